"""The page in Debian's headless Chromium (Playwright drives it, no browser download): a
founder loads an example, moves a slider, types a bad value, sorts cost lines by dragging
and by keyboard, uploads a log, saves twice and compares, downloads the spreadsheet. Each
test leaves a screenshot in its temp folder. And `costline serve` as a subprocess listens
on loopback only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from costline.web.app import create_app
from costline.web.store import ScenarioStore

from .conftest import EXAMPLES, LIBRARY


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    store = ScenarioStore(tmp_path_factory.mktemp("web") / "saved.sqlite")
    app = create_app(LIBRARY, store=store)
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    web = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(100):
        if web.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    web.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(chromium, server, tmp_path):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": 1400, "height": 1400}, accept_downloads=True
        )
        tab = context.new_page()
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(server)
        full(tab)
        yield tab
        tab.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        browser.close()
    assert not errors, errors


def full(tab) -> None:
    """Wait until the page shows the full-precision figures."""
    tab.wait_for_selector("#precision[data-precision=full]", state="attached", timeout=30_000)


def margin(tab) -> str:
    return tab.inner_text("#cards .card .value")


def test_a_slider_moves_the_margin_and_the_page_settles_on_full_figures(page):
    before = margin(page)
    run = LIBRARY.run(EXAMPLES / "support-copilot.yaml")
    assert before == f"{run.blended.gross_margin * 100:.1f}%"
    page.eval_on_selector("#precision", "el => el.removeAttribute('data-precision')")
    # half the plan price: the margin falls
    page.fill("#s-price", "-1")
    page.dispatch_event("#s-price", "input")
    full(page)
    after = margin(page)
    assert after != before
    assert float(after.rstrip("%")) < float(before.rstrip("%"))
    assert page.inner_text("output[for=s-price]") == "×0.50"


def test_an_invalid_value_shows_its_error_beside_the_field(page):
    page.click("#form-panel summary")
    box = page.locator('#form [data-path="users.start"]')
    box.fill("-5")
    box.dispatch_event("change")
    error = page.locator('#form [data-path="users.start"] + .field-error')
    error.wait_for(timeout=10_000)
    assert "greater than 0" in error.inner_text()
    assert "users.start" in page.inner_text("#yaml-error")


def test_each_plan_has_a_cost_per_user_card_with_the_run_figure(page):
    run = LIBRARY.run(EXAMPLES / "support-copilot.yaml")
    for plan in run.plans:
        card = page.locator("#cards .card", has_text=f"Cost per user: {plan.name}")
        median = float(card.locator(".value").inner_text().split()[0].lstrip("$"))
        assert median == pytest.approx(plan.cost_per_user.median, abs=0.005)
        assert "p95" in card.locator(".sub").inner_text()


def test_the_form_adds_and_removes_rows_and_the_yaml_keeps_its_comments(page):
    page.click("#form-panel summary")
    cogs_before = page.inner_text("#cards .card:nth-child(3) .value")
    page.click("text=+ monthly cost")
    amount = page.locator('#form [data-path="monthly[4].usd_per_month"]')
    amount.wait_for(timeout=10_000)
    amount.fill("5000")
    amount.dispatch_event("change")
    row = "{name: monthly cost 5, usd_per_month: 5000}"
    page.wait_for_function(f"document.querySelector('#yaml').value.includes('{row}')")
    yaml_text = page.input_value("#yaml")
    assert "# support agents active in the first month" in yaml_text
    page.wait_for_function(
        f"document.querySelector('#cards .card:nth-child(3) .value').innerText !== '{cogs_before}'"
    )
    # a share changed takes its room from the other plans, so the sum stays 1
    share = page.locator('#form [data-path="plans[1].share"]')
    share.fill("0.5")
    share.dispatch_event("change")
    page.wait_for_function(
        "document.querySelector('#yaml').value.includes('{name: team, price_usd_per_month: 29, "
        "share: 0.5}')"
    )
    # the form shows the rebalanced share before the next click
    page.wait_for_function(
        "document.querySelector('#form [data-path=\"plans[0].share\"]').value === '0.5'"
    )
    # removing a plan gives its share to the others (edits run in turn: an answer to an
    # earlier one arriving late cannot bring the plan back)
    page.click("[aria-label='Remove plan enterprise']")
    page.wait_for_function(
        "!document.querySelector('#yaml').value.includes('enterprise') && document"
        ".querySelector('#yaml').value.includes('{name: team, price_usd_per_month: 29, share: 1}')",
        timeout=10_000,
    )
    assert "# support agents active in the first month" in page.input_value("#yaml")
    # a value that does not validate is refused beside its field, the YAML kept
    before = page.input_value("#yaml")
    model = page.locator('#form [data-path="features[0].model"]')
    model.fill("nope:nope")
    model.dispatch_event("change")
    error = page.locator('#form [data-path="features[0].model"] + .field-error')
    error.wait_for(timeout=10_000)
    assert "unknown model 'nope:nope'" in error.inner_text()
    assert page.input_value("#yaml") == before


def test_the_api_and_self_hosting_curves_are_drawn_when_asked(page):
    # the picker's first choice works as it stands
    page.click("#sh-show")
    page.wait_for_selector("#chart-breakeven svg", timeout=30_000)
    assert not page.is_hidden("#sh-clear")
    # one that does not fit says why beside the picker, and the figures carry on without it
    page.select_option("#sh-model", "deepseek-v3.2")
    page.select_option("#sh-tp", "1")
    page.click("#sh-show")
    page.wait_for_selector("#sh-error:not([hidden])", timeout=30_000)
    assert "does not fit" in page.inner_text("#sh-error")
    assert page.is_hidden("#sh-clear")
    full(page)
    page.select_option("#sh-model", "gpt-oss-120b")
    page.select_option("#sh-tp", "")
    page.click("#sh-show")
    page.wait_for_selector("#chart-breakeven svg", timeout=30_000)
    # a scenario with nothing on an API: the reason is shown, the figures still come
    page.select_option("#example", "self-hosted-assistant")
    page.click("#load-example")
    page.wait_for_selector("#sh-error:not([hidden])", timeout=30_000)
    assert "self-hosted already" in page.inner_text("#sh-error")
    full(page)
    assert page.locator("#chart-breakeven").count() == 0


def test_figures_of_a_scenario_that_no_longer_validates_are_marked_stale(page):
    yaml_box = page.locator("#yaml")
    yaml_box.fill(yaml_box.input_value().replace("horizon_months: 36", "horizon_months: many"))
    page.wait_for_selector("#precision[data-precision=stale]", timeout=10_000)
    assert "last valid scenario" in page.inner_text("#precision")
    assert "horizon_months" in page.inner_text("#yaml-error")


def test_cards_dragged_into_buckets_are_marked_right_or_wrong(page):
    page.click("[data-tab=sort]")
    page.click("#sort-exercise")
    card = page.locator(".card-item", has_text="Per-token API charges")
    card.wait_for()
    card.drag_to(page.locator('.bucket[data-bucket="inference"]'))
    moved = page.locator('.bucket[data-bucket="inference"] .card-item', has_text="Per-token")
    assert "right" in (moved.get_attribute("class") or "")
    assert "costline:" in moved.inner_text()
    rent = page.locator(".card-item", has_text="Office rent")
    rent.drag_to(page.locator('.bucket[data-bucket="training"]'))
    wrong = page.locator('.bucket[data-bucket="training"] .card-item', has_text="Office rent")
    assert "wrong" in (wrong.get_attribute("class") or "")
    assert "It belongs in Other" in wrong.inner_text()


def test_a_keyboard_user_moves_a_card_too(page):
    page.click("[data-tab=sort]")
    page.click("#sort-exercise")
    card = page.locator(".card-item", has_text="LoRA fine-tuning")
    card.wait_for()
    card.focus()
    page.keyboard.press("t")
    placed = page.locator('.bucket[data-bucket="training"] .card-item', has_text="LoRA")
    assert "right" in (placed.get_attribute("class") or "")
    assert "moved to Training" in page.inner_text("#sort-status")


def test_an_uploaded_log_is_priced_and_summarised(page):
    page.click("[data-tab=pilot]")
    page.set_input_files("#log-file", str(EXAMPLES / "logs" / "openai.jsonl"))
    page.wait_for_selector("#log-summary table", timeout=30_000)
    text = page.inner_text("#log-summary")
    assert "rows priced" in text and "By feature" in text
    page.click("#fit")
    page.wait_for_selector("#fit-summary p", timeout=30_000)
    assert "Fitted to 2026-11" in page.inner_text("#fit-summary")
    page.wait_for_function(
        "document.querySelector('#yaml').value.includes('fitted from the uploaded logs')"
    )


def test_two_saves_are_kept_and_compared(page):
    page.click("[data-tab=saved]")
    page.fill("#save-name", "milestones")
    page.fill("#save-note", "at launch")
    page.click("#save")
    page.wait_for_selector("text=version 1", timeout=10_000)
    page.click("[data-tab=model]")
    yaml_box = page.locator("#yaml")
    yaml_box.fill(yaml_box.input_value().replace("monthly_growth: 0.08", "monthly_growth: 0.12"))
    page.click("[data-tab=saved]")
    page.fill("#save-note", "after the round")
    page.click("#save")
    page.wait_for_selector("text=version 2", timeout=10_000)
    for box in page.locator(".pick").all()[:2]:
        box.check()
    page.click("#compare")
    page.wait_for_selector("#diff table", timeout=30_000)
    assert "milestones v1 → milestones v2" in page.inner_text("#diff")


def test_the_spreadsheet_downloads_and_opens(page, tmp_path):
    import openpyxl

    with page.expect_download(timeout=60_000) as download:
        page.click("[data-download=xlsx]")
    path = tmp_path / "scenario.xlsx"
    download.value.save_as(path)
    assert "Summary" in openpyxl.load_workbook(path).sheetnames


def _listening(port: int) -> list[str]:
    """Local addresses listening on `port`, from /proc/net/tcp and tcp6 (no traffic sent)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net")
def test_costline_serve_answers_on_loopback_and_listens_nowhere_else(tmp_path):
    costline = Path(sys.executable).with_name("costline")
    with subprocess.Popen(
        [str(costline), "serve", "--port", "0", "--db", str(tmp_path / "saved.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("costline serves http://127.0.0.1:"), line
            url = line.split()[2]
            port = int(url.rstrip("/").rsplit(":", 1)[1])
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200
            assert _listening(port) == ["0100007F"]  # 127.0.0.1 only: not 0.0.0.0, not ::
        finally:
            proc.terminate()
            proc.wait(timeout=10)
