"""Why an action is granted although no call in the test suite uses it.

The audit (`local/iam/audit.py`) lists every granted action that no recorded
call exercised. Each must be justified here or dropped from template.yaml.

SAM's policy templates grant fixed action lists; a justification for a template
applies to every role that uses it, so a new function using `S3CrudPolicy`
needs nothing new here. Keep each reason true: when code starts using an action,
its entry here is simply no longer needed.
"""

from __future__ import annotations

# (SAM policy template, action) -> reason
BY_TEMPLATE: dict[tuple[str, str], str] = {}

# (owner logical id, action) -> reason, for the template's own `Statement`s
BY_OWNER: dict[tuple[str, str], str] = {}

# action -> reason, whoever holds it
ANYWHERE: dict[str, str] = {}


def justification(owner: str, source: str, action: str) -> str | None:
    return (
        BY_OWNER.get((owner, action)) or BY_TEMPLATE.get((source, action)) or ANYWHERE.get(action)
    )
