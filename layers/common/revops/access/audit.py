"""Every document open and refusal, every sign-in and sign-out: a structured log and a table.

Each event is logged (`logger.info("access", ...)`, one JSON line with its
fields) and written to AccessAuditTable, kept `AuditRetentionDays` (DynamoDB
TTL). Events are stored by subject: `ACCOUNT#<account id>` for documents (the
account of the record, from the tracking table; `ACCOUNT#_unknown` when the
record is not one we migrated), `SIGN_IN` for sign-ins and sign-outs,
`DASHBOARDS` for dashboard refusals; and indexed by user (gsi1). Presigned URLs,
cookies and Salesforce tokens are never part of an event.

`access_report` answers "who opened this account's documents last month" for
`MigrationStatusFunction` (`{"view": "access", "accountId": "001..."}`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from revops.observability import logger, metrics
from revops.store.access import AuditItem, AuditStore

NO_ACCOUNT = "_unknown"
DEFAULT_EVENTS = 100


@dataclass
class AccessEvent:
    action: str  # open | sign_in | sign_out | dashboards
    outcome: str  # allowed | refused | not_found | unavailable | rate_limited | failed
    reason: str | None = None
    user_id: str | None = None
    username: str | None = None
    record_id: str | None = None
    account_id: str | None = None
    object_key: str | None = None
    file_name: str | None = None
    request_id: str | None = None
    source_ip: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def subject(self) -> str:
        if self.action == "open":
            return f"ACCOUNT#{self.account_id or NO_ACCOUNT}"
        return "DASHBOARDS" if self.action == "dashboards" else "SIGN_IN"


def _metric_name(event: AccessEvent) -> str:
    """DocumentOpened, DocumentRefused (any outcome but allowed), SignIn, SignOut, ..."""
    noun = "".join(part.title() for part in event.action.split("_"))
    if event.action == "open":
        return "DocumentOpened" if event.outcome == "allowed" else "DocumentRefused"
    return noun if event.outcome == "allowed" else f"{noun}Refused"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    def __init__(self, store: AuditStore, retention_days: int) -> None:
        self.store = store
        self.retention_days = retention_days

    def record(self, event: AccessEvent) -> None:
        fields = {k: v for k, v in asdict(event).items() if v is not None and k != "at"}
        logger.info("access", at=_iso(event.at), **fields)
        metrics.add_metric(name=_metric_name(event), unit="Count", value=1)
        stamp = _iso(event.at)
        expires = int((event.at + timedelta(days=self.retention_days)).timestamp())
        self.store.put(
            AuditItem(
                event.subject,
                f"{stamp}#{uuid.uuid4().hex[:12]}",
                gsi1pk=f"USER#{event.user_id}" if event.user_id else None,
                gsi1sk=stamp if event.user_id else None,
                expires_at=expires,
                at=stamp,
                **{k: v for k, v in fields.items()},
            )
        )


def previous_month(today: date) -> tuple[date, date]:
    """(first day of the previous month, first day of this month)."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


def access_report(
    store: AuditStore,
    account_id: str,
    since: date | None = None,
    until: date | None = None,
    *,
    limit: int = DEFAULT_EVENTS,
    today: Callable[[], date] = lambda: datetime.now(UTC).date(),
) -> dict[str, Any]:
    """Who opened (or was refused) an account's documents in [since, until): last month by default."""
    if since is None or until is None:
        default_since, default_until = previous_month(today())
        since, until = since or default_since, until or default_until
    events = list(store.for_subject(f"ACCOUNT#{account_id}", since.isoformat(), until.isoformat()))
    people: dict[str, dict[str, Any]] = {}
    for item in events:
        key = item.user_id or "-"
        person = people.setdefault(
            key,
            {
                "userId": item.user_id,
                "username": item.username,
                "opens": 0,
                "refusals": 0,
                "documents": set(),
            },
        )
        if item.outcome == "allowed":
            person["opens"] += 1
            person["documents"].add(item.record_id)
        else:
            person["refusals"] += 1
        person["lastAt"] = item.at
    return {
        "accountId": account_id,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "opens": sum(1 for e in events if e.outcome == "allowed"),
        "refusals": sum(1 for e in events if e.outcome != "allowed"),
        "people": [
            {**p, "documents": len(p["documents"])}
            for p in sorted(people.values(), key=lambda p: (-p["opens"], str(p["username"])))
        ],
        "events": [
            {
                "at": e.at,
                "action": e.action,
                "outcome": e.outcome,
                "reason": e.reason,
                "userId": e.user_id,
                "username": e.username,
                "recordId": e.record_id,
                "fileName": e.file_name,
            }
            for e in reversed(events[-limit:])
        ],
    }
