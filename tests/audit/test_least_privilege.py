"""Least privilege over the calls the whole suite made (run by `make test` after it).

`make test` runs the suite with `REVOPS_IAM_RECORD` set, so every stack records
its roles and every call each function and state machine made under
enforcement; then it runs this module with `REVOPS_IAM_AUDIT` pointing at those
records. Run on its own (no records), it is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from local.iam.audit import Findings, audit, load
from local.template import load_template

RECORDS = os.environ.get("REVOPS_IAM_AUDIT")

pytestmark = pytest.mark.skipif(
    not RECORDS or not Path(RECORDS).is_dir(),
    reason="audits the calls a whole test run recorded: `make test` runs it after the suite",
)


@pytest.fixture(scope="module")
def findings() -> Findings:
    assert RECORDS is not None
    records = load(Path(RECORDS))
    assert records, f"no recorded calls in {RECORDS}"
    return audit(records)


def test_every_function_and_state_machine_ran_under_enforcement(findings: Findings) -> None:
    owners = {
        name
        for name, resource in load_template()["Resources"].items()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
    }
    used = {sid.split("/", 1)[0] for sid, _ in findings.used}
    assert sorted(owners - used) == []


def test_no_policy_is_granted_that_nothing_uses(findings: Findings) -> None:
    assert findings.unused_policies() == []


def test_every_granted_action_is_used_or_justified(findings: Findings) -> None:
    unjustified = [f"{sid}: {action}" for sid, action, why in findings.unexercised() if not why]
    assert unjustified == [], "justify in local/iam/justifications.py or drop from template.yaml"


def test_removing_any_used_permission_refuses_a_recorded_call(findings: Findings) -> None:
    assert findings.used, "no call was recorded"
    assert findings.unnoticed() == []
