"""Every voice-agent metrics function, invoked with its `events/` files, as `sam local invoke -e`
would: the authorizer's three outcomes, every admin route's v2 event, and the workflow's tasks."""

from __future__ import annotations

import json

import pytest

from local.stack import LocalStack
from tests.conftest import EVENTS, load_event
from tests.integration.test_admin_api import open_admin

ADMIN_EVENTS = {
    "admin_api_put_client.json": 200,
    "admin_api_get_client.json": 200,
    "admin_api_counts.json": 200,
    "admin_api_sync.json": 200,
    "admin_api_historical.json": 200,
    "admin_api_import_historical.json": 202,
    "admin_api_bulk_sync.json": 202,
    "admin_api_validate.json": 200,
    "admin_api_dashboard_summary.json": 200,
    "admin_api_combined_metrics.json": 200,
    "admin_api_unknown_client.json": 404,
    "admin_api_bad_dates.json": 422,
    "admin_api_import_status.json": 200,
}


def test_every_admin_event_file_is_listed_here() -> None:
    on_disk = {p.name for p in EVENTS.glob("admin_api_*.json")}
    assert on_disk == set(ADMIN_EVENTS)


def test_the_authorizer_from_its_event_files(stack: LocalStack) -> None:
    decision, error = stack.invoke(
        "AuthorizeAdminFunction", load_event("authorize_admin_valid_token.json")
    )
    assert error is None and decision["isAuthorized"] is True
    decision, error = stack.invoke(
        "AuthorizeAdminFunction", load_event("authorize_admin_wrong_token.json")
    )
    assert error is None and decision == {"isAuthorized": False}
    failure, error = stack.invoke(
        "AuthorizeAdminFunction", load_event("authorize_admin_malformed_header.json")
    )
    assert error == "Unhandled" and failure["errorMessage"] == "Unauthorized"


def test_workflow_tasks_then_every_admin_route_from_their_event_files(stack: LocalStack) -> None:
    with open_admin(stack):
        plan, error = stack.invoke("PlanImportFunction", load_event("plan_import_default.json"))
        assert error is None, plan
        assert [m["period"] for m in plan["months"]] == ["2025-01", "2025-02", "2025-03"]
        calls, error = stack.invoke("ImportCallsFunction", load_event("import_calls_month.json"))
        assert error is None and calls["conversations"] > 0, calls
        booked, error = stack.invoke(
            "ImportAppointmentsFunction", load_event("import_appointments_month.json")
        )
        assert error is None and booked["totalConfirmedBookings"] > 0, booked
        summary, error = stack.invoke(
            "SummarizeImportFunction", load_event("summarize_import_run.json")
        )
        assert error is None, summary
        # Only March ran its tasks; the workflow would have recorded the months' outcomes.
        assert summary["totalMonths"] == 3 and summary["importId"] == "events-import"

        started = []
        for name, status in ADMIN_EVENTS.items():
            answer, error = stack.invoke("AdminApiFunction", load_event(name))
            assert error is None, (name, answer)
            assert answer["statusCode"] == status, (name, answer["body"])
            if status == 202:
                started.append(json.loads(answer["body"])["data"]["executionArn"])
        for arn in started:
            assert stack.wait(arn, timeout=300).succeeded


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in EVENTS.glob("sfn_agent_metrics_import_*.json")),
)
def test_the_sample_workflow_inputs_run(stack: LocalStack, name: str) -> None:
    with open_admin(stack):
        result = stack.run("AgentMetricsImportStateMachine", load_event(name), timeout=300)
        assert result.succeeded, (result.error, result.cause)
        assert result.output["errorMonths"] == 0
