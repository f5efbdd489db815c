"""Least privilege, checked on template.yaml itself.

Every IAM statement in the template (function and state machine `Policies`,
and any `AWS::IAM::*` resource) is read. A `*` action, or a `*` resource for a
data service (s3, dynamodb, secretsmanager, states, lambda), fails the test
unless its line in template.yaml carries a justification comment:

    Resource: "*"  # iam-justification: X-Ray trace segments have no resource ARN
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from local.template import TEMPLATE_PATH, load_template

DATA_SERVICES = ("s3", "dynamodb", "secretsmanager", "states", "lambda")
JUSTIFICATION = re.compile(r"#\s*iam-justification:\s*\S")


def _statements(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every dict that looks like an IAM statement (has Effect and Action)."""
    if isinstance(node, dict):
        if "Effect" in node and ("Action" in node or "NotAction" in node):
            yield where, node
        for key, value in node.items():
            yield from _statements(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _statements(value, f"{where}[{i}]")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_statements() -> list[tuple[str, dict[str, Any]]]:
    template = load_template()
    found = []
    for name, resource in template["Resources"].items():
        kind = resource["Type"]
        props = resource.get("Properties", {})
        if kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            found += list(_statements(props.get("Policies", []), f"{name}.Policies"))
        elif kind.startswith("AWS::IAM::"):
            found += list(_statements(props, name))
    return found


def _justified_lines() -> list[str]:
    """For each justification comment, the statement text around it (8 lines either side)."""
    lines = TEMPLATE_PATH.read_text().splitlines()
    return [
        "\n".join(lines[max(0, i - 8) : i + 9])
        for i, line in enumerate(lines)
        if JUSTIFICATION.search(line)
    ]


def violations() -> list[str]:
    justified = _justified_lines()
    problems = []
    for where, statement in iam_statements():
        if statement.get("Effect") != "Allow":
            continue
        actions = [a for a in _as_list(statement.get("Action", [])) if isinstance(a, str)]
        resources = _as_list(statement.get("Resource", []))
        wildcard_actions = [a for a in actions if a == "*" or a.endswith(":*")]
        data_actions = [a for a in actions if a.split(":")[0] in DATA_SERVICES]
        wildcard_resource = any(r == "*" for r in resources)
        if wildcard_actions and not _is_justified(justified, wildcard_actions):
            problems.append(f"{where}: wildcard action {wildcard_actions}")
        if wildcard_resource and data_actions and not _is_justified(justified, data_actions):
            problems.append(f"{where}: '*' resource for {data_actions}")
    return problems


def _is_justified(windows: list[str], actions: list[str]) -> bool:
    """A justification comment sits next to a statement that names these actions."""
    return any(all(a in window for a in actions) for window in windows)


def test_template_grants_no_wildcards_without_a_justification() -> None:
    assert violations() == []


def test_every_function_and_state_machine_has_its_own_policies() -> None:
    template = load_template()
    for name, resource in template["Resources"].items():
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            props = resource.get("Properties", {})
            assert "Role" not in props, f"{name} should get scoped Policies, not a shared role"
            assert props.get("Policies"), f"{name} has no Policies"


@pytest.mark.parametrize(
    "statement, expected",
    [
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}, "wildcard action"),
        ({"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"}, "'*' resource"),
        ({"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}, None),
    ],
)
def test_the_checker_catches_what_it_should(
    statement: dict[str, Any], expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.unit.test_iam as module

    monkeypatch.setattr(module, "iam_statements", lambda: [("Probe.Policies", statement)])
    monkeypatch.setattr(module, "_justified_lines", lambda: [])
    found = module.violations()
    if expected is None:
        assert found == []
    else:
        assert found and expected in found[0]
