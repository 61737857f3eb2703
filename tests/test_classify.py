"""Sorting cost lines into training, inference and other: the issue's own hard cases, the
accuracy on the held-out part of the shipped labelled set, the command and the scenario
checks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from costline.catalog.rules import labelled_lines, load_rules, split_labelled
from costline.cli import app
from costline.engine.classify import (
    BUCKETS,
    LOW_CONFIDENCE,
    classify,
    summarise_bill,
    train_text_model,
)
from costline.scenario.load import parse_scenario

from .conftest import LIBRARY
from .test_levers import BASE

RULES = load_rules()


def run_with_rules(scenario):
    """A small run with the classifier's checks of the scenario's cost rows."""
    return LIBRARY.run(scenario, samples=1_000, users=200)


@pytest.mark.parametrize(
    "line, bucket",
    [
        ("GPU hours for the distillation job", "training"),
        ("vLLM serving instances on L4 GPUs", "inference"),
        ("Batch job scoring yesterday's tickets with the frozen classifier", "inference"),
        ("Batch API job generating synthetic training data with GPT-4o", "training"),
        ("OpenAI API - gpt-4o output tokens, November", "inference"),
        ("Amazon SageMaker ml.g5.2xlarge Hosting instance hours", "inference"),
        ("Amazon SageMaker ml.p4d.24xlarge Training instance hours", "training"),
        ("Scale AI - preference data for RLHF", "training"),
        ("Pinecone - read units", "inference"),
        ("Office rent, October", "other"),
    ],
)
def test_context_beats_keywords(line, bucket):
    c = classify(line, RULES)
    assert c.bucket == bucket, c
    assert c.confidence >= LOW_CONFIDENCE and c.reason


def test_an_ambiguous_line_gets_a_low_confidence_and_says_what_would_decide():
    c = classify("8x H100 GPUs", RULES)
    assert c.confidence < LOW_CONFIDENCE
    assert "training job" in c.reason and "serving" in c.reason


def test_the_labelled_set_is_large_and_covers_every_bucket():
    lines = labelled_lines()
    assert len(lines) >= 150
    counts = {b: sum(1 for _, x in lines if x == b) for b in BUCKETS}
    assert all(n >= 30 for n in counts.values()), counts
    assert len({d.lower() for d, _ in lines}) == len(lines)  # no duplicates


@pytest.mark.xfail(
    reason="the issue's 95% held-out target is not met yet (626/682 = 91.8%, README)",
    strict=True,
)
def test_accuracy_on_the_held_out_part_is_at_least_95_percent():
    # the learned backup sees only the training part; the held-out lines are new to it.
    # Strict xfail: the day the target is met this passes, and the marker must go.
    train, held = split_labelled()
    model = train_text_model(train)
    right = sum(classify(d, RULES, model=model).bucket == b for d, b in held)
    assert len(held) >= 100
    assert right / len(held) >= 0.95, f"{right}/{len(held)}"


def test_a_bill_is_totalled_by_bucket():
    items = [
        classify("OpenAI API output tokens", RULES, amount=300.0),
        classify("GPU hours for the distillation job", RULES, amount=1_000.0),
        classify("Office rent", RULES, amount=700.0),
        classify("Pinecone read units", RULES, amount=100.0),
    ]
    s = summarise_bill(items)
    totals = {t.bucket: t for t in s.totals}
    assert totals["inference"].amount == 400 and totals["inference"].lines == 2
    assert totals["training"].share_of_amount == pytest.approx(1_000 / 2_100)
    assert (s.lines, s.amount) == (4, 2_100.0)
    assert [i.description for i in s.margin_movers] == [
        "OpenAI API output tokens",
        "Pinecone read units",
    ]


def test_classify_command(tmp_path):
    runner = CliRunner()
    items = tmp_path / "items.csv"
    items.write_text(
        "line_item_description,unblended_cost\n"
        "GPU hours for the distillation job,1200.50\n"
        "Office rent,lots\n"
        ",5\n"
        "OpenAI API output tokens,300\n"
    )
    result = runner.invoke(
        app,
        [
            "classify",
            str(items),
            "--column",
            "line_item_description",
            "--amount-column",
            "unblended_cost",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [(i["line"], i["bucket"], i["amount"]) for i in out] == [
        (2, "training", 1200.5),
        (3, "other", None),
        (5, "inference", 300.0),
    ]
    assert set(out[0]) >= {"description", "amount", "bucket", "confidence", "reason"}
    assert "line 3: amount 'lots' is not a number" in result.stderr
    assert "line 4: empty" in result.stderr

    wrong = runner.invoke(app, ["classify", str(items)])
    assert wrong.exit_code == 2 and "the columns are line_item_description, unblended_cost" in (
        wrong.output
    )
    assert "--column: " in wrong.output and "try 'line_item_description'" in wrong.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert runner.invoke(app, ["classify", str(empty)]).exit_code == 2
    piped = runner.invoke(app, ["classify", "-", "-f", "json"], input="vLLM on L4 GPUs, serving\n")
    assert json.loads(piped.stdout)[0]["bucket"] == "inference"


def test_scenario_rows_are_checked_against_their_bucket():
    s = parse_scenario(
        BASE
        + """monthly:
  - {name: H100 cluster for the 3-week pretraining run, usd_per_month: 50000}
  - {name: Office rent, usd_per_month: 4000}
one_time:
  - {name: OpenAI API output tokens for November, amount_usd: 3000}
  - {name: Anthropic API tokens, kind: other, amount_usd: 100}
""",
        "yaml",
    )
    result = run_with_rules(s)
    codes = {(w.code, w.subject) for w in result.warnings}
    assert ("CAPEX_IN_MONTHLY", "H100 cluster for the 3-week pretraining run") in codes
    assert ("COGS_IN_ONE_TIME", "OpenAI API output tokens for November") in codes
    # a kind written in the scenario is the user's call, and rent is neither
    assert not any(subject in ("Anthropic API tokens", "Office rent") for _, subject in codes)


def test_a_one_time_row_without_a_kind_is_placed_by_what_it_reads_as():
    s = parse_scenario(
        BASE
        + """one_time:
  - {name: LoRA fine-tuning run on support transcripts, amount_usd: 4000}
  - {name: Launch party, amount_usd: 2000}
  - {name: Data labelling, kind: other, amount_usd: 1000}
""",
        "yaml",
    )
    result = run_with_rules(s)
    kinds = [(o.kind, o.kind_source) for o in result.one_time]
    assert kinds == [("training", "classified"), ("other", "default"), ("other", "scenario")]


@pytest.mark.parametrize(
    "line, bucket",
    [
        ("Security awareness training for staff", "other"),
        ("Onboarding training for support agents", "other"),
        ("Not for training: production API tokens", "inference"),
        ("NVIDIA DGX H100 purchase (on-prem)", "training"),
        ("Depreciation of GPU servers", "training"),
        # a bucket named only to be ruled out adds nothing to it
        ("H100 nodes, excluding inference", "training"),
        ("GPU nodes for serving only (excl. the training cluster)", "inference"),
        ("Claude API for the sales team's scripts: not product, not training", "other"),
        # what the line's context says beats what its service is
        ("Depreciation of the GPU servers that serve chat", "inference"),
        ("Dedicated endpoint hosting our fine-tuned 8B model", "inference"),
        ("Bedrock input tokens, eval harness on the release candidate", "training"),
        ("EC2 g5.12xlarge | user:project=ft-job-summariser", "training"),
        ("Anthropic API tokens, sandbox account of an engineer", "other"),
        ("not training: prod chatbot GPUs", "inference"),
        ("Non-training GPUs for the prod chatbot", "inference"),
        ("GPUs - inference only, no fine-tuning", "inference"),
        ("1-yr reserved p5.48xlarge for production serving of our fine-tuned model", "inference"),
    ],
)
def test_people_training_negations_and_hardware_purchases(line, bucket):
    c = classify(line, RULES)
    assert c.bucket == bucket, c
    assert c.confidence >= LOW_CONFIDENCE


def test_bills_as_finance_exports_them(tmp_path):
    from costline.ingest.bills import parse_amount

    assert parse_amount("$1,234.56") == 1234.56
    assert parse_amount("1.234,56") == 1234.56
    assert parse_amount("(123.45)") == -123.45
    runner = CliRunner()
    bill = tmp_path / "gcp.csv"
    bill.write_bytes(
        "Service;SKU;Cost\n"
        "Vertex AI;Online prediction node hours;1.234,56\n"
        "Compute Engine;Office VPN;12\n"
        "Caf\u00e9;Team lunch\n".encode("cp1252")
    )
    result = runner.invoke(
        app, ["classify", str(bill), "--column", "service", "--column", "sku", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out[0]["description"] == "Vertex AI - Online prediction node hours"
    assert (out[0]["bucket"], out[0]["amount"]) == ("inference", 1234.56)
    assert "read as Windows-1252" in result.stderr
    assert "line 4: 2 fields where the header has 3" in result.stderr
    assert "line 4: no amount" in result.stderr
    piped = runner.invoke(
        app, ["classify", "-", "-f", "json"], input="description,amount\nOpenAI API tokens,10\n"
    )
    assert [(r["description"], r["amount"]) for r in json.loads(piped.stdout)] == [
        ("OpenAI API tokens", 10.0)
    ]


def test_quoted_fields_over_several_lines_and_a_quote_never_closed(tmp_path):
    runner = CliRunner()
    bill = tmp_path / "bill.csv"
    bill.write_text(
        'description,amount\n"OpenAI API tokens,\nNovember",120\nOffice rent,900\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["classify", str(bill), "-f", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # the line break inside the quotes is part of one description, read as one line
    assert [(r["line"], r["description"]) for r in out] == [
        (2, "OpenAI API tokens, November"),
        (4, "Office rent"),
    ]
    assert "line 2: one row over lines 2-3" in result.stderr
    # a quote never closed would swallow the rest of the file into one field
    bill.write_text(
        'description,amount\n"OpenAI API tokens,120\nOffice rent,900\nGPU for a training run,50\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["classify", str(bill), "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = [(r["line"], r["description"], r["amount"]) for r in json.loads(result.stdout)]
    assert rows == [
        (2, "OpenAI API tokens", 120.0),
        (3, "Office rent", 900.0),
        (4, "GPU for a training run", 50.0),
    ]
    assert "line 2: a quote opened here is never closed" in result.stderr


def test_scored_against_the_users_own_labels(tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "description,amount,bucket\n"
        "GPU hours for the distillation job,1000,training\n"
        "OpenAI API output tokens,300,Inference\n"
        "Office rent,700,inference\n"  # the user's label is wrong: costline says other
        "Pinecone read units,100,opex\n"  # not a bucket: reported, not scored
        "Slack Pro,12,\n",  # no label: reported, not scored
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(app, ["classify", str(ledger), "--labels", "bucket", "-f", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert len(out["lines"]) == 5
    a = out["agreement"]
    assert (a["lines"], a["agreed"]) == (3, 2)
    assert a["accuracy"] == pytest.approx(2 / 3)
    assert a["confusion"]["inference"] == {"training": 0, "inference": 1, "other": 1}
    assert a["confusion"]["training"]["training"] == 1
    assert [(m["line"], m["expected"], m["said"]) for m in a["misses"]] == [
        (4, "inference", "other")
    ]
    assert "line 5: label 'opex' is not training, inference or other" in result.stderr
    assert "line 6: no label" in result.stderr
    md = runner.invoke(app, ["classify", str(ledger), "--labels", "bucket", "-f", "markdown"])
    assert "2 of 3 lines agree (66.7%). 2 more had no label or one that is not a bucket" in (
        md.stdout
    )
    assert "| 4 | Office rent | inference | other |" in md.stdout
    term = runner.invoke(app, ["classify", str(ledger), "--labels", "bucket"])
    assert term.exit_code == 0 and "2 of 3 lines agree" in term.stdout
    missing = runner.invoke(app, ["classify", str(ledger), "--labels", "truth"])
    assert missing.exit_code == 2
    assert "--labels:" in missing.output and "the columns are description, amount, bucket" in (
        missing.output
    )


def test_amounts_read_once_per_file_totals_left_out_and_money_columns_found(tmp_path):
    from costline.ingest.bills import decimal_comma, parse_amount

    # 37.688 is thirty-seven dollars in a file that writes 0.125; in 1.234,56 files a thousand
    assert decimal_comma(["0.125", "37.688", "1.500"], ",") is False
    assert parse_amount("37.688", comma=False) == 37.688
    assert decimal_comma(["1.234,56", "1,234"], ";") is True
    assert parse_amount("1,234", comma=True) == 1.234
    assert decimal_comma(["1,234", "37.688"], ";") is True  # no evidence: ';' is European
    with pytest.raises(ValueError):
        parse_amount("nan")
    bill = tmp_path / "gcp.csv"
    bill.write_text(
        "Service description,SKU description,Cost ($),Subtotal ($)\n"
        'Vertex AI,Online prediction node hours,"1,845.22","1,845.22"\n'
        "Vertex AI,Gemini input tokens,37.688,37.688\n"
        "Cloud Run,web frontend,inf,0\n"
        "Total,,1882.908,1882.908\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    cols = ["--column", "Service description", "--column", "SKU description"]
    result = runner.invoke(app, ["classify", str(bill), *cols, "-f", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [r["amount"] for r in out] == [1845.22, 37.688, None]
    assert "line 1: amounts read from column 'Cost ($)'" in result.stderr
    assert "line 4: amount 'inf' is not a number" in result.stderr
    assert "line 5: 'Total' reads as the bill's total: left out" in result.stderr
    md = runner.invoke(app, ["classify", str(bill), *cols, "-f", "markdown"])
    assert "1 line has no amount: in the line counts, not in the money" in md.stdout
    assert "- total: 3 lines, $1,883 (the amount the shares are of)" in md.stdout
