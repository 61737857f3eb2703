"""The form's edits change only the field they name: the founder's comments, order and
layout survive, and the value reads back as written."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costline.errors import InputError
from costline.scenario.edit import Edit, edit_yaml
from costline.scenario.load import parse_document, parse_scenario

from .conftest import EXAMPLES

COPILOT = (EXAMPLES / "support-copilot.yaml").read_text(encoding="utf-8")


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_setting_a_price_changes_that_line_and_nothing_else():
    after = edit_yaml(COPILOT, [Edit(path="plans[0].price_usd_per_month", value=39)])
    assert changed_lines(COPILOT, after) == [
        "-  - {name: team, price_usd_per_month: 29, share: 0.7}",
        "+  - {name: team, price_usd_per_month: 39, share: 0.7}",
    ]
    assert parse_scenario(after, "yaml").plans[0].price_usd_per_month == 39


def test_a_nested_quantity_keeps_the_comment_on_its_neighbours():
    after = edit_yaml(COPILOT, [Edit(path="features[0].usage.output_tokens.p95", value=1200)])
    assert changed_lines(COPILOT, after) == [
        "-      output_tokens: {median: 350, p95: 900}",
        "+      output_tokens: {median: 350, p95: 1200}",
    ]
    assert after.count("#") == COPILOT.count("#")


def test_an_appended_row_is_written_like_its_siblings():
    row = {"name": "status page", "usd_per_month": 29}
    after = edit_yaml(COPILOT, [Edit(path="monthly", op="append", value=row)])
    assert changed_lines(COPILOT, after) == ["+  - {name: status page, usd_per_month: 29}"]
    assert parse_scenario(after, "yaml").monthly[-1].usd_per_month == 29


def test_a_deleted_key_keeps_the_blank_line_after_it():
    after = edit_yaml(COPILOT, [Edit(path="users.cap", op="delete")])
    assert changed_lines(COPILOT, after) == ["-  cap: 200000"]
    assert "cap" not in parse_document(after, "yaml")["users"]


def test_a_deleted_item_leaves_its_neighbours_and_their_comments():
    after = edit_yaml(COPILOT, [Edit(path="monthly[1]", op="delete")])
    assert changed_lines(COPILOT, after) == ["-  - {name: LLM observability, usd_per_month: 250}"]


def test_a_list_left_empty_goes_with_its_key():
    after = edit_yaml(COPILOT, [Edit(path="one_time[0]", op="delete")])
    assert changed_lines(COPILOT, after) == [
        "-one_time:",
        "-  - {name: eval set and prompt engineering, amount_usd: 30000, amortise_months: 12}",
        "-",
    ]
    assert "one_time" not in parse_document(after, "yaml")
    assert "\n\nprice_trajectory:" in after


def test_a_file_that_indents_lists_flush_keeps_its_style():
    text = "name: x\nplans:\n- name: a  # the only plan\n  price_usd_per_month: 10\n"
    after = edit_yaml(text, [Edit(path="plans[0].price_usd_per_month", value=12)])
    assert after == "name: x\nplans:\n- name: a  # the only plan\n  price_usd_per_month: 12\n"


def test_a_missing_mapping_on_the_way_is_made():
    after = edit_yaml("name: x\n", [Edit(path="price_trajectory.annual_change", value=-0.2)])
    assert parse_document(after, "yaml") == {
        "name": "x",
        "price_trajectory": {"annual_change": -0.2},
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("plans[7].share", "there is no plans[7]"),
        ("plans..share", "expected a field path"),
        ("[0]", "expected a field path"),
        ("plans[0]share", "expected a field path"),
        ("name.first", "there is no name.first"),
    ],
)
def test_a_path_that_cannot_be_followed_names_the_edit(path, message):
    with pytest.raises(InputError) as caught:
        edit_yaml(COPILOT, [Edit(path="name", value="ok"), Edit(path=path, value=1)])
    assert caught.value.field == "edits[1].path" or caught.value.field == "edits[1]"
    assert message in str(caught.value)


def test_text_that_is_not_a_mapping_is_refused():
    with pytest.raises(InputError, match="expected a mapping of scenario fields"):
        edit_yaml("- a\n- b\n", [Edit(path="name", value="x")])
    with pytest.raises(InputError, match="malformed YAML"):
        edit_yaml("name: [unclosed\n", [Edit(path="name", value="x")])
    # libyaml's depth limit answers before the round-trip parser recurses
    with pytest.raises(InputError, match="nesting depth"):
        edit_yaml("name: " + "[" * 5000 + "]" * 5000, [Edit(path="name", value="x")])


def test_a_value_nested_past_any_scenario_field_is_refused():
    from pydantic import ValidationError

    deep: list = []
    for _ in range(50):
        deep = [deep]
    with pytest.raises(ValidationError, match="nests deeper than 12 levels"):
        Edit(path="name", value=deep)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_any_text_reads_back_as_the_text_typed(name):
    # "yes", "1e3", "null", "2026-01-01", "#", ": " would read back as something else unquoted
    after = edit_yaml(COPILOT, [Edit(path="name", value=name)])
    assert parse_document(after, "yaml")["name"] == name


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
    )
)
def test_any_number_reads_back_as_the_number_typed(price):
    after = edit_yaml(COPILOT, [Edit(path="plans[1].price_usd_per_month", value=price)])
    assert parse_document(after, "yaml")["plans"][1]["price_usd_per_month"] == price


def test_a_list_left_empty_keeps_the_comment_on_its_key():
    text = "name: x\none_time:   # ONE TIME COMMENT\n  - {name: a, amount_usd: 5}\n"
    after = edit_yaml(text, [Edit(path="one_time[0]", op="delete")])
    assert after == "name: x\none_time: []  # ONE TIME COMMENT\n"


def test_sliders_written_in_keep_whole_numbers_whole():
    from costline.scenario.edit import rewrite_yaml
    from costline.scenario.sliders import Sliders, with_sliders

    scenario = parse_scenario(COPILOT, "yaml")
    slid = with_sliders(scenario, Sliders(users_start=10_000, plan_price_factor=2))
    after = rewrite_yaml(COPILOT, slid)
    assert "  start: 10000 " in after
    assert "  - {name: team, price_usd_per_month: 58, share: 0.7}" in after
    assert parse_scenario(after, "yaml") == slid


def test_a_json_scenario_stays_json_indented_as_it_was():
    import json

    text = json.dumps(parse_document(COPILOT, "yaml"), indent=4) + "\n"
    after = edit_yaml(text, [Edit(path="users.start", value=3000)])
    expected = json.loads(text)
    expected["users"]["start"] = 3000
    assert after == json.dumps(expected, indent=4) + "\n"


def test_sliders_written_in_round_to_four_figures():
    from costline.scenario.edit import rewrite_yaml
    from costline.scenario.sliders import Sliders, with_sliders

    scenario = parse_scenario(COPILOT, "yaml")
    sliders = Sliders(queries_factor=1.41, output_tokens_factor=0.78, plan_price_factor=1.19)
    after = rewrite_yaml(COPILOT, with_sliders(scenario, sliders))
    assert "{name: team, price_usd_per_month: 34.51, share: 0.7}" in after  # 29 x 1.19
    assert "queries_per_day: {median: 16.92, p95: 56.4}" in after  # 12 x 1.41, 40 x 1.41
    assert "      output_tokens: 156\n" in after  # 200 x 0.78
    assert after.count("#") == COPILOT.count("#")
