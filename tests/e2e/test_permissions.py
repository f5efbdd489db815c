"""A permission missing from template.yaml fails the workflow as it would in AWS.

Each test deploys a copy of template.yaml with one permission taken out and
runs a real execution: the refused call fails with AccessDenied, the execution
fails, and the stack names the refused call. This is what the audit
(`tests/audit/`) relies on when it replays recorded calls against each reduced
policy instead of rerunning the suite once per permission.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from local import demo_org
from local.stack import LocalStack
from local.template import load_template
from tests.conftest import EVENTS, load_event


def _without(owner: str, keep: Callable[[Any], Any]) -> dict[str, Any]:
    """template.yaml with `owner`'s Policies rewritten by `keep` (a copy; the file is untouched)."""
    template = copy.deepcopy(load_template())
    props = template["Resources"][owner]["Properties"]
    props["Policies"] = keep(props["Policies"])
    return template


def _seed(stack: LocalStack, count: int = 3) -> None:
    """Documents to back up, and the integration user and reports the stack check verifies."""
    stack.org.insert("User", demo_org.integration_user_record())
    demo_org.load_reports(stack.org)
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    account = stack.org.insert("Account", {"Name": "Acme"})
    for i in range(count):
        s3.put_object(Bucket=source, Key=f"docs/{i}.pdf", Body=b"pdf")
        stack.org.insert(
            "DocListEntry__c",
            {"Name": f"d{i}", "Document__c": f"s3://{source}/docs/{i}.pdf", "Account__c": account},
        )


@contextmanager
def _deployed(template: dict[str, Any]) -> Iterator[LocalStack]:
    """A seeded stack of `template`, whose refusals are what the test checks."""
    with LocalStack(template=template) as stack:
        assert stack.iam is not None
        stack.iam.expect_denials()
        _seed(stack)
        yield stack


def _refused(stack: LocalStack, owner: str) -> list[str]:
    assert stack.iam is not None
    return [f"{c.action} {c.resource}" for c in stack.iam.denials() if c.owner == owner]


def test_a_function_without_its_table_policy_fails_with_access_denied_on_dynamodb() -> None:
    template = _without(
        "StartBackupFunction",
        lambda policies: [p for p in policies if "DynamoDBCrudPolicy" not in p],
    )
    with _deployed(template) as stack:
        result = stack.run("FileBackupStateMachine", {"mode": "full", "dryRun": True})

        assert not result.succeeded
        assert "AccessDeniedException" in (result.cause or "")
        refused = _refused(stack, "StartBackupFunction")
        assert refused and all(r.startswith("dynamodb:") for r in refused)
        assert any(stack.physical_name("TrackingTable") in r for r in refused)


def test_a_function_without_its_bucket_policy_is_refused_by_moto_and_the_evaluator() -> None:
    template = _without(
        "PlanCheckFunction",
        lambda policies: [p for p in policies if not any(name.startswith("S3") for name in p)],
    )
    with _deployed(template) as stack:
        result = stack.run("StackCheckStateMachine", {"chunkSize": 2})

        assert not result.succeeded
        refused = _refused(stack, "PlanCheckFunction")
        assert refused and all(r.startswith("s3:PutObject") for r in refused)
        assert (
            stack.iam is not None and stack.iam.moto_refusals == set()
        )  # moto's own S3 check agreed


def test_a_distributed_map_without_start_execution_on_its_own_machine_fails() -> None:
    def drop_start_execution(policies: list[Any]) -> list[Any]:
        kept = []
        for policy in policies:
            statements = policy.get("Statement") if isinstance(policy, dict) else None
            if isinstance(statements, list):
                statements = [s for s in statements if s.get("Action") != ["states:StartExecution"]]
                policy = {"Statement": statements}
            kept.append(policy)
        return kept

    template = _without("StackCheckStateMachine", drop_start_execution)
    with _deployed(template) as stack:
        result = stack.run("StackCheckStateMachine", {"chunkSize": 2})

        assert not result.succeeded
        assert stack.iam is not None
        refused = [c for c in stack.iam.denials() if c.owner == "StackCheckStateMachine"]
        assert [c.action for c in refused] == ["states:StartExecution"]
        assert "Distributed Map" in refused[0].implied


def test_with_every_permission_in_place_the_same_runs_succeed_and_nothing_is_refused(
    stack: LocalStack,
) -> None:
    _seed(stack)

    assert stack.run("FileBackupStateMachine", {"mode": "full", "dryRun": True}).succeeded
    assert stack.run("StackCheckStateMachine", {"chunkSize": 2}).succeeded
    assert stack.iam is not None and stack.iam.denials() == []
    owners = {c.owner for c in stack.iam.calls}
    assert {"StartBackupFunction", "PlanCheckFunction", "StackCheckStateMachine"} <= owners


@pytest.mark.parametrize("owner", ["StackCheckStateMachine", "FileBackupStateMachine"])
def test_step_functions_own_calls_are_made_with_the_state_machines_role(
    stack: LocalStack, owner: str
) -> None:
    _seed(stack)
    payload = {"chunkSize": 2} if owner == "StackCheckStateMachine" else {"mode": "full"}

    assert stack.run(owner, payload).succeeded

    assert stack.iam is not None
    actions = {c.action for c in stack.iam.calls if c.owner == owner}
    assert {"lambda:InvokeFunction", "s3:GetObject", "states:StartExecution"} <= actions


def test_a_backup_refreshes_the_status_page_and_every_status_view_runs_under_its_role(
    stack: LocalStack,
) -> None:
    _seed(stack)

    assert stack.run("FileBackupStateMachine", {"mode": "full"}).succeeded

    site = stack.physical_name("DashboardsBucket")
    page = stack.client("s3").get_object(Bucket=site, Key="migration/status.html")
    assert b"<html" in page["Body"].read().lower()
    for event_file in sorted(EVENTS.glob("migration_status_*.json")):
        body, error = stack.invoke("MigrationStatusFunction", load_event(event_file.name))
        assert error is None, (event_file.name, body)
    body, error = stack.invoke("MigrationStatusFunction", {"view": "publish"})
    assert error is None, body
    assert stack.iam is not None
    used = {c.action for c in stack.iam.calls if c.owner == "MigrationStatusFunction"}
    assert {"dynamodb:Query", "s3:PutObject"} <= used
    assert any(
        c.owner == "FinalizeBackupFunction" and c.resource.startswith(f"arn:aws:s3:::{site}/")
        for c in stack.iam.calls
    )


# The work bucket's name on a stack of stage "local" (LocalStack names it before deploying).
WORK_BUCKET = "revops-local-workbucket"


@pytest.mark.parametrize(
    "location", [f"s3://{WORK_BUCKET}/velocity/overrides.json", "/revops/local/velocity/overrides"]
)
def test_report_overrides_are_read_under_each_functions_own_role(location: str) -> None:
    from tests.e2e.test_velocity_events import OLD_HISTORY

    with LocalStack(parameters={"VelocityReportOverrides": location}) as stack:
        if location.startswith("s3://"):
            stack.client("s3").put_object(
                Bucket=WORK_BUCKET, Key="velocity/overrides.json", Body=b"{}"
            )
            read = "s3:GetObject"
        else:
            stack.client("ssm").put_parameter(Name=location, Value="{}", Type="String")
            read = "ssm:GetParameter"

        body, error = stack.invoke("PlanVelocityFunction", load_event("plan_velocity_weekly.json"))
        assert error is None, body
        event = load_event("import_velocity_history_boca.json")
        stack.client("s3").put_object(
            Bucket=WORK_BUCKET, Key=event["key"], Body=json.dumps(OLD_HISTORY).encode()
        )
        body, error = stack.invoke("ImportVelocityHistoryFunction", event)
        assert error is None, body
        assert body["imported"] == ["2025-44"]
        body, error = stack.invoke(
            "CheckVelocityFunction", load_event("check_velocity_default.json")
        )
        assert error is None, body

        assert stack.iam is not None
        readers = {
            c.owner for c in stack.iam.calls if c.action == read and "overrides" in c.resource
        }
        assert readers == {
            "PlanVelocityFunction",
            "ImportVelocityHistoryFunction",
            "CheckVelocityFunction",
        }
