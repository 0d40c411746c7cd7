"""Property-based API tests: schemathesis generates requests from the app's OpenAPI schema; no answer
may be a server error (5xx), and every answer must match the schema's status codes, content types
and response bodies."""

from __future__ import annotations

import warnings

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from hpgsim.web.app import create_app  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*:DeprecationWarning")
TOKEN = "schema-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}  # the generator's client is not loopback: a token admits it
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HEAVY = ["/api/assess", "/api/jobs/assess", "/api/assessments", "/api/jobs/trial"]  # run the model for a valid body

_app = None


def _make_app(tmp_dir: str):
    global _app
    if _app is None:
        _app = create_app(db_path=f"{tmp_dir}/schema.sqlite3", token=TOKEN, warm=False)
    return _app


import tempfile  # noqa: E402

_TMP = tempfile.mkdtemp(prefix="hpgsim-schema-")
schema = schemathesis.openapi.from_asgi("/openapi.json", _make_app(_TMP), headers=AUTH)
SETTINGS = dict(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])


@schema.exclude(path=HEAVY).parametrize()
@settings(max_examples=25, **SETTINGS)
def test_no_server_errors_and_answers_match_the_schema(case):
    case.call_and_validate(headers=AUTH, checks=CHECKS)


@schema.include(path=HEAVY).parametrize()
@settings(max_examples=6, **SETTINGS)
def test_no_server_errors_on_the_endpoints_that_run_the_model(case):
    case.call_and_validate(headers=AUTH, checks=CHECKS)


def test_the_documented_examples_pass_the_same_checks():
    """Generated patient documents are nearly always invalid (422); the schema's worked example is a
    valid one, so the model runs behind both assess endpoints at least once under the same checks."""
    for path in ("/api/assess", "/api/jobs/assess"):
        operation = schema[path]["POST"]
        example = operation.definition.raw["requestBody"]["content"]["application/json"]["example"]
        response = operation.Case(body=example, media_type="application/json").call_and_validate(headers=AUTH,
                                                                                                   checks=CHECKS)
        assert response.status_code in (200, 202)
