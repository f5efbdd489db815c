"""The checked-in OpenAPI document is the one the code generates, and it has the seed's paths."""

from __future__ import annotations

import json

from local.template import REPO_ROOT, load_template
from revops.agentmetrics import openapi

CHECKED_IN = REPO_ROOT / "functions" / "admin_api" / "openapi.json"
SEED_PATHS = {
    ("get", "/admin/bootstrap/appointments/counts"),
    ("post", "/admin/bootstrap/appointments/sync"),
    ("get", "/admin/bootstrap/appointments/historical"),
    ("post", "/admin/bootstrap/bulk-sync"),
    ("post", "/admin/bootstrap/import-historical"),
    ("get", "/admin/bootstrap/validate"),
    ("get", "/admin/reports/dashboard-summary"),
    ("get", "/admin/reports/combined-metrics"),
    ("get", "/admin/bootstrap/imports/{executionId}"),
}


def test_checked_in_openapi_document_is_current() -> None:
    assert CHECKED_IN.read_text() == openapi.render(), (
        "functions/admin_api/openapi.json is stale: run "
        "`PYTHONPATH=layers/common .venv/bin/python -m revops.agentmetrics.openapi`"
    )


def test_the_document_has_every_seed_endpoint_and_bearer_auth() -> None:
    document = json.loads(CHECKED_IN.read_text())
    operations = {(m, p) for p, item in document["paths"].items() for m in item}
    assert operations >= SEED_PATHS
    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    counts = document["paths"]["/admin/bootstrap/appointments/counts"]["get"]
    assert {p["name"] for p in counts["parameters"]} == {"clientId", "year", "month"}
    combined = document["paths"]["/admin/reports/combined-metrics"]["get"]
    assert {p["name"] for p in combined["parameters"]} == {
        "clientId",
        "startYear",
        "startMonth",
        "endYear",
        "endMonth",
    }
    imported = document["paths"]["/admin/bootstrap/import-historical"]["post"]
    assert "202" in imported["responses"]


def test_every_documented_route_is_a_route_of_the_http_api() -> None:
    document = json.loads(CHECKED_IN.read_text())
    resources = load_template()["Resources"]
    routes = {
        (e["Properties"]["Method"].lower(), e["Properties"]["Path"])
        for function in ("AdminApiFunction", "ReceiveWebhookFunction")
        for e in resources[function]["Properties"]["Events"].values()
    }
    documented = {(m, p) for p, item in document["paths"].items() for m in item}
    assert documented == routes


def test_the_webhooks_are_documented_with_their_signatures_and_no_bearer() -> None:
    paths = json.loads(CHECKED_IN.read_text())["paths"]
    for path, header in (
        ("/webhooks/elevenlabs", "ElevenLabs-Signature"),
        ("/webhooks/gohighlevel", "X-GHL-Signature"),
    ):
        operation = paths[path]["post"]
        assert operation["security"] == []
        assert [p["name"] for p in operation["parameters"]] == [header]
        assert set(operation["responses"]) == {"200", "400", "401", "413", "503"}
    ghl = paths["/admin/ghl/test-integration"]["get"]
    assert {p["name"] for p in ghl["parameters"]} == {"clientId"}


def test_check_mode_fails_on_a_stale_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    assert openapi.main(["--check", "--out", str(stale)]) == 1
    assert openapi.main(["--out", str(stale)]) == 0
    assert openapi.main(["--check", "--out", str(stale)]) == 0
