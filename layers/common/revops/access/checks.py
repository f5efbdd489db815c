"""Salesforce decides: may this user read this record, or see the dashboards?

Every decision is one Composite request made as the integration user (one API
call, whatever the number of queries in it):

* `SELECT Id, IsActive FROM User WHERE Id = :user` and
  `SELECT IsFrozen FROM UserLogin WHERE UserId = :user`: a deactivated or
  frozen user is refused at once, whatever their session says;
* for a document, `SELECT RecordId, HasReadAccess FROM UserRecordAccess WHERE
  UserId = :user AND RecordId = :record` (the Object Reference's own query:
  sharing model, sharing rules, role hierarchy, profiles and permission sets
  all count). The integration user has View All Data, so no row means the
  record does not exist or was deleted;
* for the dashboards, the permission set assignment
  (`PermissionSetAssignment` with `PermissionSet.Name`) or the public group
  membership (`GroupMember` with `Group.DeveloperName`) that
  `DashboardPermission` names.

Positive answers are kept for `AccessCacheSeconds` (60 at most) per session:
a user opening the same document again within that time costs no API call.
Refusals are never kept, so a share granted in Salesforce works on the next
click. A user deactivated in Salesforce therefore loses access to everything at
most `AccessCacheSeconds` after the change, and at once to anything not opened
in that window. We never decide from our own copy of the data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from revops.access.links import RECORD_ID
from revops.access.settings import DashboardPermission
from revops.integrations.salesforce import SalesforceGateway


@dataclass(frozen=True)
class UserState:
    exists: bool
    active: bool
    frozen: bool

    @property
    def allowed(self) -> bool:
        return self.exists and self.active and not self.frozen


@dataclass(frozen=True)
class RecordDecision:
    user: UserState
    record_exists: bool
    can_read: bool


@dataclass(frozen=True)
class DashboardDecision:
    user: UserState
    permitted: bool


def _soql_id(value: str) -> str:
    if not RECORD_ID.match(value):
        raise ValueError(f"not a Salesforce Id: {value!r}")
    return value


def _user_queries(user_id: str) -> dict[str, str]:
    uid = _soql_id(user_id)
    return {
        "user": f"SELECT Id, IsActive FROM User WHERE Id = '{uid}'",
        "login": f"SELECT IsFrozen FROM UserLogin WHERE UserId = '{uid}'",
    }


def _user_state(answers: dict[str, list[dict[str, Any]]]) -> UserState:
    users = answers.get("user") or []
    logins = answers.get("login") or []
    return UserState(
        exists=bool(users),
        active=bool(users and users[0].get("IsActive")),
        frozen=any(bool(row.get("IsFrozen")) for row in logins),
    )


class _TtlCache:
    """Positive decisions for a few seconds, per key; thread-safe."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self.clock = clock
        self._items: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] <= self.clock():
                del self._items[key]
                return None
            return found[1]

    def put(self, key: tuple[str, ...], value: Any) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._items) > 10_000:  # a warm container never grows without bound
                now = self.clock()
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
            self._items[key] = (self.clock() + self.seconds, value)

    def forget(self, scope: str) -> None:
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if k[0] != scope}


class AccessChecker:
    """Access decisions from Salesforce, with a short per-session cache of the positive ones."""

    def __init__(
        self,
        gateway: SalesforceGateway,
        permission: DashboardPermission,
        cache_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.permission = permission
        self._cache = _TtlCache(min(cache_seconds, 60.0), clock)
        self._org_id: str | None = None

    def document(self, scope: str, user_id: str, record_id: str) -> RecordDecision:
        """May `user_id` read `record_id`? `scope` (the session) keys the cache."""
        key = (scope, "record", record_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        queries = _user_queries(user_id)
        queries["access"] = (
            "SELECT RecordId, HasReadAccess FROM UserRecordAccess "
            f"WHERE UserId = '{_soql_id(user_id)}' AND RecordId = '{_soql_id(record_id)}'"
        )
        answers = self.gateway.composite_queries(queries)
        rows = answers.get("access") or []
        decision = RecordDecision(
            user=_user_state(answers),
            record_exists=bool(rows),
            can_read=bool(rows and rows[0].get("HasReadAccess")),
        )
        if decision.user.allowed and decision.can_read:
            self._cache.put(key, decision)
        return decision

    def dashboards(self, scope: str, user_id: str) -> DashboardDecision:
        """Does `user_id` hold the dashboard permission (and is still active)?"""
        key = (scope, "dashboards")
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        queries = _user_queries(user_id)
        uid = _soql_id(user_id)
        if self.permission.kind == "permissionset":
            queries["permission"] = (
                "SELECT Id FROM PermissionSetAssignment "
                f"WHERE AssigneeId = '{uid}' AND PermissionSet.Name = '{self.permission.name}'"
            )
        else:
            queries["permission"] = (
                "SELECT Id FROM GroupMember "
                f"WHERE UserOrGroupId = '{uid}' AND Group.DeveloperName = '{self.permission.name}'"
            )
        answers = self.gateway.composite_queries(queries)
        decision = DashboardDecision(
            user=_user_state(answers), permitted=bool(answers.get("permission"))
        )
        if decision.user.allowed and decision.permitted:
            self._cache.put(key, decision)
        return decision

    def forget(self, scope: str) -> None:
        """Drop a session's cached decisions (at sign-out, or when its user is refused)."""
        self._cache.forget(scope)

    def org_id(self) -> str:
        """The org's Id (18 characters), read once per container."""
        if self._org_id is None:
            rows = list(self.gateway.query("SELECT Id FROM Organization"))
            self._org_id = str(rows[0]["Id"]) if rows else ""
        return self._org_id
