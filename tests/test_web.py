"""The web page's JSON API through the ASGI test client: the same figures as the library,
sliders worked by hand, errors with their field, the Host check, size limits, saved
scenarios with history, uploads and downloads; schemathesis against the OpenAPI document."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from fastapi.testclient import TestClient

from costline import parse_scenario
from costline.web.app import BODY_LIMIT_BYTES, create_app
from costline.web.store import ScenarioStore

from .conftest import EXAMPLES, LIBRARY

COPILOT = (EXAMPLES / "support-copilot.yaml").read_text()


@pytest.fixture
def app(tmp_path):
    return create_app(LIBRARY, store=ScenarioStore(tmp_path / "saved.sqlite"), hosts=["testserver"])


@pytest.fixture
def client(app):
    return TestClient(app)


def test_the_page_and_its_assets_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'src="/vendor/vega.js"' in page.text and "support-copilot" in page.text
    assert "http://" not in page.text.replace("http://127.0.0.1", "")  # nothing from outside
    assert "vegaEmbed" in client.get("/vendor/vega.js").text
    assert client.get("/static/app.js").status_code == 200


def test_a_full_evaluation_is_what_run_prints(client):
    out = client.post("/api/evaluate", json={"yaml": COPILOT}).json()
    run = LIBRARY.run(EXAMPLES / "support-copilot.yaml")
    assert out["precision"] == "full"
    assert out["result"]["blended"]["gross_margin"] == run.blended.gross_margin
    assert [f["cost_per_query"]["p95"] for f in out["result"]["features"]] == [
        f.cost_per_query.p95 for f in run.features
    ]
    assert set(out["charts"]) >= {"revenue-vs-cogs", "gross-margin", "scale"}


def test_a_preview_is_quicker_and_says_so(client):
    out = client.post("/api/evaluate", json={"yaml": COPILOT, "preview": True}).json()
    assert out["precision"] == "preview"
    assert out["result"]["simulation"]["query_samples"] < 50_000


def test_sliders_by_hand(client):
    # ARPU of the copilot: 0.7 x $29 + 0.3 x $59 = $38; 1,000 users at twice the price
    body = {"yaml": COPILOT, "preview": True}
    base = client.post("/api/evaluate", json=body).json()["result"]["blended"]
    slid = client.post(
        "/api/evaluate",
        json={**body, "sliders": {"users_start": 1000, "plan_price_factor": 2}},
    ).json()["result"]["blended"]
    assert slid["revenue_usd"] == pytest.approx(1000 * 2 * 38)
    # inference is linear in queries: twice the queries, twice the bill (same draws)
    doubled = client.post("/api/evaluate", json={**body, "sliders": {"queries_factor": 2}}).json()[
        "result"
    ]["blended"]
    assert doubled["inference_cost_usd"] == pytest.approx(2 * base["inference_cost_usd"])


def test_sliders_write_back_into_the_yaml(client):
    text = client.post("/api/yaml", json={"yaml": COPILOT, "sliders": {"monthly_growth": 0.12}})
    data = yaml.safe_load(text.json()["yaml"])
    assert data["users"]["monthly_growth"] == 0.12
    assert data["plans"][0] == {"name": "team", "price_usd_per_month": 29.0, "share": 0.7}


def test_sliders_written_back_keep_the_founders_comments(client):
    sliders = {"monthly_growth": 0.12, "plan_price_factor": 1.5}
    text = client.post("/api/yaml", json={"yaml": COPILOT, "sliders": sliders}).json()["yaml"]
    assert text.count("#") == COPILOT.count("#")
    assert "  monthly_growth: 0.12   # +8% a month" in text  # the old comment, now stale
    assert "  - {name: team, price_usd_per_month: 43.5, share: 0.7}" in text
    assert parse_scenario(COPILOT, "yaml").features == parse_scenario(text, "yaml").features


def test_the_form_edits_the_yaml_in_place(client):
    edits = [
        {"path": "plans[0].price_usd_per_month", "value": 35},
        {"path": "monthly", "op": "append", "value": {"name": "status page", "usd_per_month": 29}},
    ]
    out = client.post("/api/edit", json={"yaml": COPILOT, "edits": edits}).json()
    seats = "  - {name: helpdesk integration seats, usd_per_user: 0.50}\n"
    expected = COPILOT.replace("price_usd_per_month: 29,", "price_usd_per_month: 35,")
    expected = expected.replace(seats, seats + "  - {name: status page, usd_per_month: 29}\n")
    assert out["yaml"] == expected
    assert out["scenario"]["plans"][0]["price_usd_per_month"] == 35
    # the document is what the file says, without the defaults the scenario fills
    assert out["document"]["monthly"][-1] == {"name": "status page", "usd_per_month": 29}
    assert "thresholds" not in out["document"] and "thresholds" in out["scenario"]


def test_a_form_edit_that_breaks_the_scenario_is_a_422_naming_its_field(client):
    response = client.post(
        "/api/edit", json={"yaml": COPILOT, "edits": [{"path": "plans[1].share", "value": 0.5}]}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "plans"
    assert "sum to 1.2" in response.json()["detail"][0]["msg"]
    response = client.post(
        "/api/edit", json={"yaml": COPILOT, "edits": [{"path": "plans[9].share", "value": 1}]}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "edits[0]"


def test_a_bad_value_is_a_422_naming_the_field(client):
    bad = COPILOT.replace("start: 2000 ", "start: -5 ")
    response = client.post("/api/evaluate", json={"yaml": bad})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["field"] == "users.start"
    assert "greater than 0" in problem["msg"]


def test_a_percent_slip_in_a_slider_is_a_422_with_the_hint(client):
    response = client.post(
        "/api/evaluate", json={"yaml": COPILOT, "sliders": {"cache_hit_rate": 30}}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "cache_hit_rate"


def test_a_routing_slider_needs_its_model(client):
    response = client.post(
        "/api/evaluate", json={"yaml": COPILOT, "sliders": {"routing_share": 0.3}}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "sliders.route_to"


def test_another_sites_host_header_is_refused(client):
    response = client.get("/", headers={"host": "attacker.example:8000"})
    assert response.status_code == 400
    assert "unexpected Host header" in response.text


def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    response = client.post(
        "/api/check",
        content=b'{"yaml": "' + b"x" * (BODY_LIMIT_BYTES + 10) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_an_example_is_named_never_a_path(client):
    assert client.get("/api/examples/support-copilot").json()["yaml"] == COPILOT
    assert client.get("/api/examples/..%2Fpyproject").status_code == 404
    assert client.get("/api/examples/%2Fetc%2Fpasswd").status_code == 404


def test_saves_keep_their_history_and_a_failed_save_loses_nothing(client):
    first = client.post("/api/scenarios/seed round", json={"yaml": COPILOT, "note": "v1"})
    changed = COPILOT.replace("monthly_growth: 0.08", "monthly_growth: 0.12")
    second = client.post("/api/scenarios/seed round", json={"yaml": changed})
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    broken = client.post("/api/scenarios/seed round", json={"yaml": "users: {start: -1}"})
    assert broken.status_code == 422
    (saved,) = client.get("/api/scenarios").json()
    assert [v["version"] for v in saved["versions"]] == [2, 1]
    assert client.get("/api/scenarios/seed round?version=1").json()["yaml"] == COPILOT
    assert client.get("/api/scenarios/seed round").json()["yaml"] == changed
    assert client.get("/api/scenarios/nothing").status_code == 404


def test_two_saves_compare_over_the_horizon(client):
    changed = COPILOT.replace("monthly_growth: 0.08", "monthly_growth: 0.12")
    d = client.post("/api/diff", json={"before": COPILOT, "after": changed}).json()
    expected = LIBRARY.diff(
        LIBRARY.load(EXAMPLES / "support-copilot.yaml"), yaml.safe_load(changed)
    )
    assert [c["name"] for c in d["horizon"]] == [c.name for c in expected.horizon]
    assert [c["after"] for c in d["horizon"]] == [c.after for c in expected.horizon]


def test_the_exercise_is_sorted_by_the_same_classifier(client):
    items = client.get("/api/exercise").json()
    assert {i["bucket"] for i in items} == {"training", "inference", "other"}
    lines = [i["description"] for i in items]
    out = client.post("/api/classify", json={"lines": lines}).json()
    library = LIBRARY.classify(lines)
    assert [c["bucket"] for c in out["items"]] == [c.bucket for c in library.items]
    assert all(c["reason"] for c in out["items"])


def test_a_bill_csv_is_sorted_with_its_amounts(client):
    text = (EXAMPLES / "bills" / "items.csv").read_text()
    out = client.post(
        "/api/classify/csv?amount=amount", content=text, headers={"content-type": "text/csv"}
    ).json()
    library = LIBRARY.classify(EXAMPLES / "bills" / "items.csv", amount_column="amount")
    assert [c["amount"] for c in out["items"]] == [c.amount for c in library.items]


def test_an_uploaded_log_is_priced_as_ingest_prices_it(client, tmp_path):
    log = EXAMPLES / "logs" / "openai.jsonl"
    out = client.post("/api/logs?kind=jsonl", content=log.read_bytes())
    assert out.status_code == 200, out.text
    body = out.json()
    expected = LIBRARY.ingest(str(log), tmp_path / "priced.parquet")
    assert body["ingest"]["rows_priced"] == expected.rows_priced
    assert body["ingest"]["total_cost_usd"] == pytest.approx(expected.total_cost_usd, rel=1e-12)
    assert str(tmp_path) not in json.dumps(body) and "/tmp" not in json.dumps(body)
    assert body["usage"]["groups"]


def test_an_empty_or_unreadable_upload_is_a_422(client):
    assert client.post("/api/logs?kind=jsonl", content=b"").status_code == 422
    garbage = client.post("/api/logs?kind=parquet", content=b"\x00\xffnot parquet")
    assert garbage.status_code == 422
    assert "the uploaded file" in garbage.json()["detail"][0]["msg"]
    assert client.post("/api/logs?kind=exe", content=b"x").status_code == 422


def test_the_spreadsheet_downloads_and_opens(client):
    import openpyxl

    response = client.post("/api/export/xlsx", json={"yaml": COPILOT})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "Summary" in book.sheetnames


def test_the_brief_and_report_download(client):
    md = client.post("/api/export/md", json={"yaml": COPILOT})
    assert md.status_code == 200 and md.text.startswith("#")
    html = client.post("/api/export/html", json={"yaml": COPILOT})
    assert html.status_code == 200 and "<html" in html.text


def test_the_model_picker_shows_prices_and_shutdowns(client):
    rows = {r["ref"]: r for r in client.get("/api/models?q=gpt-4o-mini").json()}
    shutdown = LIBRARY.catalogs.retirements.of("openai:gpt-4o-mini")
    assert shutdown is not None
    assert rows["openai:gpt-4o-mini"]["shutdown"] == shutdown.shutdown.isoformat()
    assert rows["openai:gpt-4o-mini"]["input_usd_per_mtok"] is not None


def test_the_calculators_answer_as_the_library(client):
    body = {"params": 8e9, "tokens": 1.5e12, "gpu": "h100-sxm", "gpus": 64}
    train = client.post("/api/train", json=body).json()
    assert train == json.loads(LIBRARY.train(**body).model_dump_json())  # type: ignore[arg-type]
    served = client.post(
        "/api/selfhost", json={"model": "llama-3.1-8b", "gpu": "l4", "output_tokens": 300}
    ).json()
    expected = LIBRARY.selfhost("llama-3.1-8b", "l4", output_tokens=300)
    assert served == json.loads(expected.model_dump_json())
    unknown = client.post("/api/selfhost", json={"model": "nope", "gpu": "l4"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["msg"]
    bad = client.post("/api/train", json={"params": -1, "tokens": 1e12, "gpu": "h100-sxm"})
    assert bad.status_code == 422


def test_the_openapi_document_lists_every_page_action(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/evaluate",
        "/api/brief",
        "/api/levers",
        "/api/models",
        "/api/train",
        "/api/selfhost",
        "/api/breakeven",
        "/api/classify",
        "/api/logs",
        "/api/scenarios/{name}",
        "/api/export/{kind}",
        "/api/diff",
    ):
        assert path in paths, path


def test_a_port_in_use_is_one_clear_error(tmp_path):
    import socket

    from typer.testing import CliRunner

    from costline.cli import app as cli

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        out = CliRunner().invoke(
            cli, ["serve", "--port", str(port), "--db", str(tmp_path / "s.sqlite")]
        )
    assert out.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in out.output
    assert "--port 0" in out.output and "Traceback" not in out.output


def test_a_scenario_that_does_not_validate_is_refused_before_serving(tmp_path):
    from typer.testing import CliRunner

    from costline.cli import app as cli

    bad = tmp_path / "bad.yaml"
    bad.write_text("start: 2026-12\nusers: {start: -1}\n")
    out = CliRunner().invoke(cli, ["serve", str(bad), "--db", str(tmp_path / "s.sqlite")])
    assert out.exit_code == 2
    assert str(bad) in out.output and "Traceback" not in out.output


def test_a_scenario_is_fitted_to_uploaded_logs_as_fit_does(client, tmp_path):
    log = EXAMPLES / "logs" / "openai.jsonl"
    out = client.post("/api/logs/fit?kind=jsonl", content=log.read_bytes())
    assert out.status_code == 200, out.text
    body = out.json()
    LIBRARY.ingest(str(log), tmp_path / "usage.parquet")
    expected = LIBRARY.fit(tmp_path / "usage.parquet")
    assert body["modelled_cost_usd"] == expected.modelled_cost_usd
    assert body["gap"] == expected.gap
    fitted, by_fit = yaml.safe_load(body["yaml"]), yaml.safe_load(expected.text)
    # the name says where the usage came from: the upload, not a temporary folder
    assert fitted.pop("name") == "fitted from the uploaded logs (2026-11)"
    by_fit.pop("name")
    assert fitted == by_fit
    assert "/tmp" not in body["yaml"]


def test_the_brief_and_the_levers_are_the_librarys(client):
    margin = (EXAMPLES / "margin-levers.yaml").read_text()
    brief = client.post("/api/brief", json={"yaml": margin}).json()
    expected = LIBRARY.brief(EXAMPLES / "margin-levers.yaml")
    assert "result" not in brief["brief"]
    assert brief["brief"]["verdict"]["gross_margin"] == expected.verdict.gross_margin.model_dump()
    assert brief["markdown"].startswith("#")
    levers = client.post("/api/levers", json={"yaml": margin}).json()
    waterfall = LIBRARY.levers(EXAMPLES / "margin-levers.yaml")
    assert [s["saving_usd"] for s in levers["steps"]] == [s.saving_usd for s in waterfall.steps]


def test_the_brief_and_downloads_show_the_cache_and_routing_sliders_too(client):
    sliders = {"cache_hit_rate": 0.8, "routing_share": 0.5, "route_to": "openai:gpt-6-luna"}
    shown = client.post("/api/evaluate", json={"yaml": COPILOT, "sliders": sliders}).json()
    margin = shown["result"]["blended"]["gross_margin"]
    plain = client.post("/api/evaluate", json={"yaml": COPILOT}).json()
    assert margin > plain["result"]["blended"]["gross_margin"]
    brief = client.post("/api/brief", json={"yaml": COPILOT, "sliders": sliders}).json()
    assert brief["brief"]["verdict"]["gross_margin"]["value"] == pytest.approx(margin, abs=1e-12)
    md = client.post("/api/export/md", json={"yaml": COPILOT, "sliders": sliders}).text
    assert f"{margin * 100:.1f}%" in md


def test_a_download_named_in_any_script_is_served(client):
    named = COPILOT.replace("name: Support copilot (RAG)", "name: 日本語 copilot")
    response = client.post("/api/export/md", json={"yaml": named})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert "filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E-copilot-brief.md" in disposition
    assert 'filename="___-copilot-brief.md"' in disposition


def test_request_errors_name_their_field_and_nan_is_refused(client):
    response = client.post(
        "/api/train",
        content='{"params": NaN, "tokens": 1e12, "gpu": "h100-sxm"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "params"
    response = client.post("/api/classify", json={"lines": ["ok", "x" * 2001]})
    assert response.json()["detail"][0]["field"] == "lines[1]"


def test_a_bill_that_is_not_utf8_is_a_422_and_its_column_can_be_named(client):
    response = client.post(
        "/api/classify/csv",
        content=b"description\n\xe9t\xe9 GPU\n",
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 422
    assert "not UTF-8" in response.json()["detail"][0]["msg"]
    bill = (EXAMPLES / "bills" / "aws-cur.csv").read_bytes()
    response = client.post("/api/classify/csv?column=line_item_description", content=bill)
    assert response.status_code == 200 and response.json()["items"]


def test_a_csv_or_parquet_log_is_priced_with_its_columns_named(client):
    columns = (
        "map=timestamp=ts&map=model=model&map=input_tokens=prompt&map=output_tokens=completion"
    )
    totals = []
    for name, kind in (("export.csv", "csv"), ("export.parquet", "parquet")):
        data = (EXAMPLES / "logs" / name).read_bytes()
        response = client.post(f"/api/logs?kind={kind}&{columns}", content=data)
        assert response.status_code == 200, response.text
        totals.append(response.json()["ingest"]["total_cost_usd"])
        assert response.json()["ingest"]["rows_priced"] == 200
    assert totals[0] == pytest.approx(totals[1], rel=1e-12)
    response = client.post("/api/logs?kind=csv&map=ts", content=b"ts\n1\n")
    assert response.json()["detail"][0]["field"] == "map[0]"


def test_saved_names_may_hold_a_slash_but_not_be_dots(client):
    for name, path in (("a/b", "a%2Fb"), ("../x", "..%2Fx")):
        assert client.post(f"/api/scenarios/{path}", json={"yaml": COPILOT}).status_code == 200
        assert client.get(f"/api/scenarios/{path}").json()["name"] == name
    response = client.post("/api/scenarios/%2E%2E", json={"yaml": COPILOT})
    assert response.status_code in (404, 422)  # never saved under a dot name
    assert all(s["name"] not in (".", "..") for s in client.get("/api/scenarios").json())


def test_a_chunked_body_over_the_limit_is_a_413(client):
    def chunks():
        yield b'{"yaml": "'
        for _ in range(BODY_LIMIT_BYTES // 10_000 + 2):
            yield b"x" * 10_000
        yield b'"}'

    response = client.post(
        "/api/check", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_an_unknown_model_in_a_form_edit_is_refused_beside_its_field(client):
    edit = [{"path": "features[0].model", "value": "nope:nope"}]
    response = client.post("/api/edit", json={"yaml": COPILOT, "edits": edit})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "features[0].model"


def test_a_bad_before_in_a_diff_is_located_at_before(client):
    response = client.post("/api/diff", json={"before": "name: [", "after": COPILOT})
    assert response.json()["detail"][0]["loc"] == ["body", "before"]


def test_a_self_hosting_option_that_does_not_fit_is_named_self_host(client):
    body = {"yaml": COPILOT, "self_host": "deepseek-v3.2@h100-sxm", "preview": True}
    response = client.post("/api/evaluate", json=body)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["field"] == "self_host" and "does not fit" in problem["msg"]
    body |= {"self_host_dtype": "fp8", "self_host_tp": 2, "self_host": "gpt-oss-120b@h100-sxm"}
    crossing = client.post("/api/evaluate", json=body).json()["crossing"]
    assert crossing["serving"]["tp"] == 2 and crossing["serving"]["dtype"] == "fp8"


def test_the_api_docs_page_loads_nothing_from_outside(client):
    import re

    page = client.get("/docs")
    assert page.status_code == 200
    assert "/api/evaluate" in page.text and "Evaluate" in page.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)


def test_the_openapi_document_says_what_the_endpoints_take_and_give(client):
    doc = client.get("/openapi.json").json()
    assert "application/octet-stream" in doc["paths"]["/api/logs"]["post"]["requestBody"]["content"]
    assert "text/csv" in doc["paths"]["/api/classify/csv"]["post"]["requestBody"]["content"]
    export = doc["paths"]["/api/export/{kind}"]["post"]["responses"]["200"]["content"]
    assert "application/json" not in export and "text/html" in export
    problem = doc["components"]["schemas"]["Problem"]
    assert {"loc", "field", "msg"} <= set(problem["required"])
    assert "result" not in doc["components"]["schemas"]["Waterfall"]["properties"]
    assert "422" in doc["paths"]["/api/evaluate"]["post"]["responses"]


def test_absurd_training_inputs_are_422s(client):
    base = {"params": 8e9, "tokens": 1e12, "gpu": "h100-sxm"}
    for change, field in (
        ({"gpus": 10**30}, "gpus"),
        ({"usd_per_gpu_hour": 1e308}, "usd_per_gpu_hour"),
    ):
        response = client.post("/api/train", json=base | change)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == field


def test_a_what_if_error_is_located_under_what_if(client):
    body = {"yaml": COPILOT, "what_if": {"response_cache": {"hit_rate": "x"}}}
    response = client.post("/api/levers", json=body)
    assert response.json()["detail"][0]["field"] == "what_if.response_cache.hit_rate"


def test_a_log_format_can_be_named_and_the_message_names_the_page_controls(client):
    data = (EXAMPLES / "logs" / "openai.jsonl").read_bytes()
    named = client.post("/api/logs?kind=jsonl&format=openai-chat", content=data).json()
    detected = client.post("/api/logs?kind=jsonl", content=data).json()
    assert named["ingest"]["total_cost_usd"] == detected["ingest"]["total_cost_usd"]
    csv_export = (EXAMPLES / "logs" / "export.csv").read_bytes()
    message = client.post("/api/logs?kind=csv", content=csv_export).json()["detail"][0]["msg"]
    assert "the Log format menu" in message and "the Columns box" in message
    assert "fields=" not in message


def test_uploaded_logs_that_carry_a_cost_are_reconciled(client):
    data = (EXAMPLES / "logs" / "openrouter.jsonl").read_bytes()
    out = client.post("/api/logs?kind=jsonl", content=data).json()
    rec = out["reconciliation"]
    assert rec["source"] == "upload"
    assert all(r["source_file"] == "upload" for r in rec["rows_differing_most"])
    assert {g["model"] for g in rec["groups"] if g["flagged"]} == {"google/gemini-3.5-flash"}
    plain = client.post(
        "/api/logs?kind=jsonl", content=(EXAMPLES / "logs" / "openai.jsonl").read_bytes()
    )
    assert plain.json()["reconciliation"] is None
