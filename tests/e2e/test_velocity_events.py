"""Every velocity handler and workflow input, run from its `events/` file, as
`sam local invoke -e` and `aws stepfunctions start-execution` would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local import demo_data
from local.stack import LocalStack
from revops.store.velocity import VelocityHistoryStore
from revops.velocity import wiring
from tests.conftest import EVENTS, load_event

OLD_HISTORY = [
    {
        "week_key": "2025-44",
        "period_start": "2025-11-03",
        "generated_at": "2025-11-04T15:30:00",
        "data": {
            "period": {
                "last_week": {"start": "2025-10-27", "end": "2025-11-02"},
                "prior_week": {"start": "2025-10-20", "end": "2025-10-26"},
            },
            "data": {
                "Rep Name": {
                    "meetings": {"last": 10, "prior": 8, "6w_avg": 9.5, "wow_pct": 25.0},
                    "opp_dollars": {
                        "last": 50000,
                        "prior": 40000,
                        "6w_avg": 45000,
                        "wow_pct": 25.0,
                    },
                    "closed_won": {"last": 30000, "prior": 25000, "wow_pct": 20.0},
                }
            },
        },
    }
]


@pytest.fixture
def loaded(stack: LocalStack) -> LocalStack:
    wiring.gateway.cache_clear()
    demo_data.load_org(stack.org, demo_data.generate_org())
    return stack


def _store(stack: LocalStack) -> VelocityHistoryStore:
    return VelocityHistoryStore(stack.physical_name("VelocityHistoryTable"), "us-east-1")


def _invoke(stack: LocalStack, logical_id: str, event: str | dict[str, Any]) -> Any:
    body, error = stack.invoke(logical_id, load_event(event) if isinstance(event, str) else event)
    assert error is None, body
    return body


def test_each_velocity_step_runs_from_its_event_file(loaded: LocalStack) -> None:
    weekly = _invoke(loaded, "PlanVelocityFunction", "plan_velocity_weekly.json")
    assert [w["weekKey"] for w in weekly["weeks"]] == ["2025-43"]
    backfill = _invoke(loaded, "PlanVelocityFunction", "plan_velocity_backfill.json")
    assert len(backfill["weeks"]) == 12 and backfill["backfillWeeks"][0] == "2025-44"

    boca = _invoke(loaded, "FetchVelocityFunction", "fetch_velocity_boca.json")
    assert boca["dataKey"] == load_event("compute_velocity_boca.json")["dataKey"]
    assert boca["api"]["calls"] == 8 and boca["reps"] == 8  # 3 describes, 3 runs, 2 User reads
    pipeline = _invoke(loaded, "FetchVelocityFunction", "fetch_velocity_pipeline.json")
    assert pipeline["api"]["calls"] == 4

    week = _invoke(loaded, "ComputeVelocityFunction", "compute_velocity_boca.json")
    assert week == {"weekKey": "2025-43", "status": "ok", "reps": 8, "error": None, "cause": None}
    assert _store(loaded).week_keys("boca") == ["2025-43"]

    summary = _invoke(loaded, "PublishVelocityFunction", "publish_velocity_run.json")
    assert summary["status"] == "completed"
    assert summary["reports"]["pipeline"]["status"] == "skipped"
    assert "velocity/boca_velocity_latest.html" in summary["dashboards"]["files"]


def test_an_old_history_file_is_imported_and_a_malformed_one_refused(loaded: LocalStack) -> None:
    event = load_event("import_velocity_history_boca.json")
    s3 = loaded.client("s3")
    work = loaded.physical_name("WorkBucket")
    s3.put_object(Bucket=work, Key=event["key"], Body=json.dumps(OLD_HISTORY).encode())

    result = _invoke(loaded, "ImportVelocityHistoryFunction", event)

    assert result["imported"] == ["2025-44"]
    site = loaded.physical_name("DashboardsBucket")
    exported = s3.get_object(Bucket=site, Key="velocity/boca_velocity_history.json")["Body"].read()
    assert json.loads(exported) == OLD_HISTORY  # without loss
    broken = [{**OLD_HISTORY[0], "week_key": "week 45"}, OLD_HISTORY[0]]
    s3.put_object(Bucket=work, Key=event["key"], Body=json.dumps(broken).encode())

    body, error = loaded.invoke("ImportVelocityHistoryFunction", {**event, "overwrite": True})

    assert error == "Unhandled" and body["errorType"] == "MalformedHistoryError"
    assert "week 45" in body["errorMessage"] and "repeats" not in body["errorMessage"]
    again = s3.get_object(Bucket=site, Key="velocity/boca_velocity_history.json")["Body"].read()
    assert json.loads(again) == OLD_HISTORY  # untouched


def test_a_malformed_step_event_is_a_typed_error(loaded: LocalStack) -> None:
    body, error = loaded.invoke("ComputeVelocityFunction", {"runId": "x", "report": "forecast"})

    assert error == "Unhandled" and body["errorType"] == "InvalidInputError"
    assert "report" in body["errorMessage"]


@pytest.mark.parametrize("name", sorted(p.name for p in EVENTS.glob("sfn_velocity_*.json")))
def test_every_workflow_input_file_runs(loaded: LocalStack, name: str) -> None:
    result = loaded.run("VelocityStateMachine", load_event(name), name=Path(name).stem, timeout=600)

    assert result.succeeded, (result.error, result.cause)
    assert result.output["status"] == "completed"
