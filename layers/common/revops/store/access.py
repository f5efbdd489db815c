"""Sign-in sessions, pending logins, rate counters and the access audit, in DynamoDB.

Two tables, both declared in template.yaml:

| table              | item            | keys                                   | expires (TTL)          |
|--------------------|-----------------|----------------------------------------|------------------------|
| AccessTable        | `SessionItem`   | `SESSION#<sha256(session id)>` / `SESSION` | the session's end  |
|                    | `LoginItem`     | `LOGIN#<sha256(state)>` / `LOGIN`      | 10 minutes             |
|                    | `CounterItem`   | `RATE#<user id>#<minute>` / `RATE`     | 2 minutes              |
| AccessAuditTable   | `AuditItem`     | `<subject>` / `<time>#<event id>`; gsi1 `USER#<id>` / time | `AuditRetentionDays` |

Only hashes of session ids and OAuth `state` values are stored, so a reader of
the table cannot take over a session or finish someone's sign-in. DynamoDB
deletes expired items within days, not seconds, so every read checks
`expires_at` itself.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from revops.store.base import bind


class AccessModel(Model):
    """Base of the AccessTable items (keys and TTL as in template.yaml)."""

    class Meta:
        table_name = "unbound"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute(null=True)


class SessionItem(AccessModel):
    user_id = UnicodeAttribute()
    username = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    org_id = UnicodeAttribute()
    instance_url = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    last_seen = NumberAttribute()


class LoginItem(AccessModel):
    verifier = UnicodeAttribute()
    next_path = UnicodeAttribute()
    binding = UnicodeAttribute()  # sha256 of the browser's login cookie


class CounterItem(AccessModel):
    hits = NumberAttribute(default=0)


class ByUser(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class AuditItem(Model):
    """One open, refusal, sign-in or sign-out."""

    class Meta:
        table_name = "unbound"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)  # ACCOUNT#<id>, SIGN_IN, DASHBOARDS
    sk = UnicodeAttribute(range_key=True)  # <ISO time>#<event id>
    gsi1pk = UnicodeAttribute(null=True)  # USER#<user id>
    gsi1sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    username = UnicodeAttribute(null=True)
    record_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    file_name = UnicodeAttribute(null=True)
    request_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)

    by_user = ByUser()


class AccessStore:
    """Sessions, pending logins and counters (AccessTable)."""

    def __init__(self, table_name: str, region: str) -> None:
        bind(AccessModel, table_name, region)

    # ------------------------------------------------------------ sessions

    def put_session(self, session_hash: str, **fields: Any) -> SessionItem:
        item = SessionItem(f"SESSION#{session_hash}", "SESSION", **fields)
        item.save()
        return item

    def session(self, session_hash: str, now: float) -> SessionItem | None:
        try:
            item = SessionItem.get(f"SESSION#{session_hash}", "SESSION", consistent_read=True)
        except DoesNotExist:
            return None
        if item.expires_at is not None and item.expires_at <= now:
            return None
        return item

    def touch_session(self, item: SessionItem, now: float) -> None:
        """Record activity (idle timeout), unless the session was ended meanwhile."""
        with contextlib.suppress(UpdateError):
            item.update(
                actions=[SessionItem.last_seen.set(int(now))],
                condition=SessionItem.pk.exists(),
            )

    def delete_session(self, session_hash: str) -> None:
        with contextlib.suppress(DeleteError):
            SessionItem(f"SESSION#{session_hash}", "SESSION").delete()

    # ------------------------------------------------------------ logins

    def put_login(self, state_hash: str, **fields: Any) -> None:
        LoginItem(f"LOGIN#{state_hash}", "LOGIN", **fields).save()

    def take_login(self, state_hash: str, bindings: list[str], now: float) -> LoginItem | None:
        """The pending login for a state, if bound to one of `bindings`; deleted as it is read.

        One conditional delete: a login works once, and a request from another
        browser (no matching binding) neither gets it nor uses it up.
        """
        if not bindings:
            return None
        try:
            old = LoginItem._get_connection().delete_item(
                f"LOGIN#{state_hash}",
                range_key="LOGIN",
                condition=LoginItem.pk.exists() & LoginItem.binding.is_in(*bindings),
                return_values="ALL_OLD",
            )
        except DeleteError:
            return None
        attributes = old.get("Attributes")
        if not attributes:
            return None
        item = LoginItem.from_raw_data(attributes)
        if item.expires_at is not None and item.expires_at <= now:
            return None
        return item

    # ------------------------------------------------------------ counters

    def count(self, key: str, ttl_seconds: int) -> int:
        """Add one to a counter and return its new value (atomic)."""
        item = CounterItem(key, "RATE")
        item.update(
            actions=[
                CounterItem.hits.add(1),
                CounterItem.expires_at.set(int(time.time()) + ttl_seconds),
            ]
        )
        return int(item.hits)


class AuditStore:
    """The access audit (AccessAuditTable)."""

    def __init__(self, table_name: str, region: str) -> None:
        bind(AuditItem, table_name, region)

    def put(self, item: AuditItem) -> None:
        item.save()

    def for_subject(self, subject: str, since: str, until: str) -> Iterator[AuditItem]:
        """Events of one subject (e.g. `ACCOUNT#001...`) from `since` to before `until`, oldest first.

        Sort keys are `<ISO time>#<id>`, so an event at exactly `until` sorts after it.
        """
        yield from AuditItem.query(subject, AuditItem.sk.between(since, until))

    def for_user(self, user_id: str, since: str, until: str) -> Iterator[AuditItem]:
        yield from AuditItem.by_user.query(
            f"USER#{user_id}", AuditItem.gsi1sk.between(since, until)
        )
