"""Least privilege, proven on the calls a test run made.

`make test` records, for every stack the suite builds, each role's statements
and every call its functions and state machines made (`enforce.RECORD_DIR_ENV`).
From those records:

- every action a statement grants must be used by some call, or carry a
  justification (`justifications.py`): nothing is granted that no call uses;
- every used permission, taken away on its own (one action of one statement,
  or one resource ARN of one statement), must make some recorded call refused:
  a suite that passes with all of them proves each one is needed, so removing
  any of them makes the suite fail (the calls run with enforcement on, so the
  refusal would fail that test in the same way).

Removals are replayed against the recorded calls rather than by rerunning the
suite once per permission; `tests/e2e/test_permissions.py` shows on real
executions that a removed permission fails the workflow with AccessDenied.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from local.iam.evaluate import (
    Request,
    Statement,
    action_matches,
    decide,
    resource_matches,
    statement_applies,
)
from local.iam.justifications import justification


def statement_to_json(statement: Statement) -> dict[str, Any]:
    return {
        "sid": statement.sid,
        "effect": statement.effect,
        "actions": list(statement.actions),
        "not_actions": list(statement.not_actions),
        "resources": list(statement.resources),
        "not_resources": list(statement.not_resources),
        "conditions": [[op, key, list(values)] for op, key, values in statement.conditions],
    }


def statement_from_json(raw: dict[str, Any]) -> Statement:
    return Statement(
        sid=raw["sid"],
        effect=raw["effect"],
        actions=tuple(raw["actions"]),
        not_actions=tuple(raw["not_actions"]),
        resources=tuple(raw["resources"]),
        not_resources=tuple(raw["not_resources"]),
        conditions=tuple((op, key, tuple(values)) for op, key, values in raw["conditions"]),
    )


@dataclass
class StackRecord:
    """One stack of the run: each role's statements and the calls each made."""

    statements: dict[str, list[Statement]]
    calls: dict[str, list[Request]]  # allowed calls only, by owner


def load(folder: Path) -> list[StackRecord]:
    records = []
    for path in sorted(folder.glob("calls-*.jsonl")):
        for line in path.read_text().splitlines():
            raw = json.loads(line)
            if raw.get("expected_denials"):
                continue  # a test that took permissions away on purpose
            calls: dict[str, list[Request]] = defaultdict(list)
            for owner, action, resource, allowed, _implied in raw["calls"]:
                if allowed:
                    calls[owner].append(Request(action, resource))
            statements = {
                owner: [statement_from_json(s) for s in raw_statements]
                for owner, raw_statements in raw["roles"].items()
            }
            records.append(StackRecord(statements, dict(calls)))
    return records


def _source(sid: str) -> str:
    """`Owner/2:S3CrudPolicy[0]` -> `S3CrudPolicy`."""
    return sid.split(":", 1)[1].split("[", 1)[0] if ":" in sid else "Statement"


def _owner(sid: str) -> str:
    return sid.split("/", 1)[0]


@dataclass
class Findings:
    used: set[tuple[str, str]] = field(default_factory=set)  # (sid, action pattern)
    used_resources: set[tuple[str, str]] = field(default_factory=set)  # (sid, resource pattern)
    granted: set[tuple[str, str]] = field(default_factory=set)
    noticed: set[tuple[str, str]] = field(default_factory=set)
    noticed_resources: set[tuple[str, str]] = field(default_factory=set)

    def unexercised(self) -> list[tuple[str, str, str | None]]:
        """(sid, action, justification or None) for every granted action no call used."""
        found = []
        for sid, action in sorted(self.granted - self.used):
            found.append((sid, action, justification(_owner(sid), _source(sid), action)))
        return found

    def unused_policies(self) -> list[str]:
        """Policies of which no action is used: a template's blanket reason cannot cover those.

        A SAM policy template is justified action by action only where the role
        uses that table or bucket at all; a policy nobody uses must be dropped,
        unless each of its actions has a reason of its own (`BY_OWNER`, `ANYWHERE`).
        """
        policies: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for sid, action in self.granted:
            policies[sid.split("[", 1)[0]].add((sid, action))
        return sorted(
            label
            for label, keys in policies.items()
            if not keys & self.used
            and not all(justification(_owner(sid), "", action) for sid, action in keys)
        )

    def unnoticed(self) -> list[str]:
        found = [
            f"{sid}: removing {action} refuses no recorded call (granted again elsewhere?)"
            for sid, action in sorted(self.used - self.noticed)
        ]
        found += [
            f"{sid}: removing resource {resource} refuses no recorded call (granted again elsewhere?)"
            for sid, resource in sorted(self.used_resources - self.noticed_resources)
        ]
        return found


def _without(statements: list[Statement], sid: str, field: str, value: str) -> list[Statement]:
    """The statements with `value` taken out of one statement's `actions` or `resources`."""
    reduced = []
    for s in statements:
        if s.sid == sid:
            kept = tuple(v for v in getattr(s, field) if v != value)
            s = replace(s, actions=kept) if field == "actions" else replace(s, resources=kept)
            if not getattr(s, field):
                continue
        reduced.append(s)
    return reduced


def _refuses_some(statements: list[Statement], calls: Iterable[Request]) -> bool:
    return any(not decide(statements, call).allowed for call in calls)


def audit(records: list[StackRecord]) -> Findings:
    findings = Findings()
    for record in records:
        for statements in record.statements.values():
            for s in statements:
                if s.effect == "Allow" and "/managed:" not in s.sid:
                    findings.granted.update((s.sid, a) for a in s.actions)
        for owner, calls in record.calls.items():
            statements = record.statements.get(owner, [])
            distinct = sorted(set(calls), key=lambda r: (r.action, r.resource))
            for call in distinct:
                for s in statements:
                    if s.effect != "Allow" or not statement_applies(s, call):
                        continue
                    findings.used.update(
                        (s.sid, a) for a in s.actions if action_matches(a, call.action)
                    )
                    findings.used_resources.update(
                        (s.sid, r) for r in s.resources if resource_matches(r, call.resource)
                    )
            for s in statements:
                for action in s.actions:
                    key = (s.sid, action)
                    if (
                        key in findings.used
                        and key not in findings.noticed
                        and _refuses_some(_without(statements, s.sid, "actions", action), distinct)
                    ):
                        findings.noticed.add(key)
                for resource in s.resources:
                    key = (s.sid, resource)
                    if (
                        key in findings.used_resources
                        and key not in findings.noticed_resources
                        and _refuses_some(
                            _without(statements, s.sid, "resources", resource), distinct
                        )
                    ):
                        findings.noticed_resources.add(key)
    return findings
