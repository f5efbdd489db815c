"""`UserRecordAccess`: a user's access to a set of records, queried with SOQL.

The object is read only (API 24.0+) and has no rows of its own: each query
computes them from the sharing model (`Sharing.access`). The Object Reference
documents how it may be queried, and this fake refuses anything else with
MALFORMED_QUERY (the error code Salesforce gives; the wording is ours):

* the WHERE clause must filter on `UserId = [single ID]` and on
  `RecordId = [single ID]` or `RecordId IN [list of IDs]`, joined by AND;
* "Up to 200 record IDs can be queried";
* "When filtering by UserId and RecordId only, you must use SELECT RecordId and
  optionally one or more of the access level fields: HasReadAccess,
  HasEditAccess, HasDeleteAccess, HasTransferAccess, and HasAllAccess. You can
  include MaxAccessLevel";
* "When filtering by UserId, RecordId, and an access level field, you must use
  SELECT RecordId only";
* "You can include an ORDER BY clause for any field that is being selected";
* "When the running user is querying a user's access to a set of records,
  records that the running user doesn't have read access to are filtered out
  of the results" (the integration user, with View All Data, sees them all).

A record that does not exist or is deleted has no row. Levels map onto the
flags as: Read → HasReadAccess; Edit → also HasEditAccess; All → every flag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from local.salesforce.errors import SalesforceApiError
from local.salesforce.schema import make_id, normalize_id
from local.salesforce.soql_eval import QueryResult, run_compiled
from local.salesforce.soql_model import CompiledQuery
from local.salesforce.soql_parser import BoolOp, Compare, FieldPath, Lit, Query, parse

if TYPE_CHECKING:
    from local.salesforce.org import FakeOrg

OBJECT = "UserRecordAccess"
MAX_RECORD_IDS = 200
ACCESS_FLAGS = (
    "HasReadAccess",
    "HasEditAccess",
    "HasDeleteAccess",
    "HasTransferAccess",
    "HasAllAccess",
)
FIELDS = {
    "UserId": "reference:User",
    "RecordId": "picklist",
    **{flag: "boolean" for flag in ACCESS_FLAGS},
    "MaxAccessLevel": "picklist",
}
KEY_PREFIX = "0Bv"


def _malformed(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "MALFORMED_QUERY", message)


def _name(node: Any) -> str:
    return node.parts[-1].lower() if isinstance(node, FieldPath) else ""


def _filters(query: Query) -> tuple[str, list[str], list[str]]:
    """(user id, record ids, access-level fields filtered on) from the WHERE clause."""
    where = query.where
    items = list(where.items) if isinstance(where, BoolOp) and where.op == "AND" else [where]
    user_ids: list[str] = []
    record_ids: list[str] | None = None
    access: list[str] = []
    for item in items:
        if not isinstance(item, Compare):
            raise _malformed(f"{OBJECT} filters must be joined by AND")
        field = _name(item.lhs)
        if field == "userid" and item.op == "=" and isinstance(item.rhs, Lit):
            user_ids.append(str(item.rhs.value))
        elif field == "recordid" and item.op == "=" and isinstance(item.rhs, Lit):
            record_ids = [str(item.rhs.value)]
        elif field == "recordid" and item.op == "IN" and isinstance(item.rhs, tuple):
            record_ids = [str(v.value) for v in item.rhs if isinstance(v, Lit)]
        elif field in {f.lower() for f in (*ACCESS_FLAGS, "MaxAccessLevel")}:
            access.append(field)
        else:
            raise _malformed(
                f"{OBJECT} can only be filtered by UserId, RecordId and the access level fields"
            )
    if len(user_ids) != 1:
        raise _malformed(f"{OBJECT} queries must filter on UserId = [single ID]")
    if record_ids is None:
        raise _malformed(
            f"{OBJECT} queries must filter on RecordId = [single ID] or RecordId IN [list of IDs]"
        )
    if len(record_ids) > MAX_RECORD_IDS:
        raise _malformed(f"Up to {MAX_RECORD_IDS} record IDs can be queried on {OBJECT}")
    return user_ids[0], record_ids, access


def _check_select(query: Query, access_filters: list[str]) -> None:
    selected = [_name(item.expr) for item in query.select]
    if "" in selected or "recordid" not in selected:
        raise _malformed(f"{OBJECT} queries must SELECT RecordId")
    allowed = {"recordid"}
    if not access_filters:
        allowed |= {f.lower() for f in (*ACCESS_FLAGS, "MaxAccessLevel")}
    extra = [name for name in selected if name not in allowed]
    if extra:
        if access_filters:
            raise _malformed(
                f"When filtering {OBJECT} by an access level field, you must use SELECT RecordId only"
            )
        raise _malformed(
            f"{OBJECT} queries may select RecordId, the access level fields and MaxAccessLevel only"
        )
    for order in query.order_by:
        if _name(order.expr) not in selected:
            raise _malformed(f"{OBJECT} can only be ordered by a selected field")


def rows_for(
    org: FakeOrg, user_id: str, record_ids: list[str], running_user: str | None
) -> list[dict[str, Any]]:
    """One row per live record the running user can read, with the target user's access."""
    sharing = org.sharing
    target = normalize_id(user_id)
    rows = []
    for serial, given in enumerate(record_ids):
        record_id = normalize_id(given)
        if record_id is None or target is None or org.store.lookup(record_id) is None:
            continue
        if (
            not sharing.is_unrestricted(running_user)
            and sharing.access(running_user or "", record_id) == "None"
        ):
            continue
        level = sharing.access(target, record_id)
        rank = ("None", "Read", "Edit", "All").index(level)
        rows.append(
            {
                "Id": make_id(KEY_PREFIX, serial + 1),
                "UserId": target,
                "RecordId": record_id,
                "HasReadAccess": rank >= 1,
                "HasEditAccess": rank >= 2,
                "HasDeleteAccess": rank >= 3,
                "HasTransferAccess": rank >= 3,
                "HasAllAccess": rank >= 3,
                "MaxAccessLevel": level,
                "IsDeleted": False,
            }
        )
    return rows


def query_user_record_access(
    org: FakeOrg, soql: str, compiled: CompiledQuery, running_user: str | None
) -> QueryResult:
    """Run a compiled UserRecordAccess query as `GET /query` does."""
    query = parse(soql)
    if query.where is None:
        raise _malformed(f"{OBJECT} queries must filter on UserId and RecordId")
    user_id, record_ids, access = _filters(query)
    _check_select(query, access)
    rows = rows_for(org, user_id, record_ids, running_user)
    return run_compiled(org.store, compiled, include_deleted=False, rows=rows)
