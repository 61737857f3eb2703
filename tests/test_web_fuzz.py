"""schemathesis against the served OpenAPI document: generated requests to every endpoint
(bounded examples) get an answer, never a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from costline.web.app import create_app
from costline.web.store import ScenarioStore

from .conftest import LIBRARY


def _app():
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="costline-fuzz-"))
    return create_app(
        LIBRARY, store=ScenarioStore(folder / "saved.sqlite"), hosts=["testserver", "localhost"]
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
