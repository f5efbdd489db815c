"""SOQL execution over the org's records: resolve names, filter, group, sort, shape.

`execute` mirrors what the query endpoints do with a statement:

* Names resolve case-insensitively against the schema. Unknown objects fail
  with INVALID_TYPE, unknown fields or relationships with INVALID_FIELD, and a
  filter value of the wrong kind (a quoted date, a date on a dateTime field,
  a string on a number...) with INVALID_QUERY_FILTER_OPERATOR, with the same
  messages and `ERROR at Row:Column` pointers Salesforce gives.
* Text comparisons are case-insensitive; `!=` and `NOT IN` also match nulls;
  an empty string means null. Date literals (`LAST_N_WEEKS:6`) are ranges of
  the running user's local days (time zone and locale: `dates.UserClock`); on a
  dateTime field they cover those days' UTC instants. Date functions read a
  dateTime in UTC, or on the user's wall clock inside `convertTimezone()`.
* ORDER BY sorts nulls first ascending and last descending unless told.
* Aggregate queries return `AggregateResult` rows keyed by alias, by field
  name for grouped fields, and `expr0`, `expr1`... for unaliased functions.
  `SELECT COUNT()` alone returns only `totalSize`.

The work is split by responsibility: `soql_parser` (text -> syntax tree),
`soql_compiler` (tree -> `CompiledQuery` against the schema, with Salesforce's
errors), `soql_eval` (running it: `run_compiled`, `QueryResult`).
"""

from __future__ import annotations

from local.salesforce.dates import UserClock
from local.salesforce.soql_compiler import compile_query
from local.salesforce.soql_eval import QueryResult, record_attributes, run_compiled
from local.salesforce.store import Store

__all__ = ["QueryResult", "compile_query", "execute", "record_attributes", "run_compiled"]


def execute(
    store: Store, soql: str, *, clock: UserClock, include_deleted: bool = False
) -> QueryResult:
    """Run a SOQL statement as `GET /query` (or `/queryAll`) would, for the user whose
    clock is `clock` (its time zone and locale give date literals their days)."""
    compiled = compile_query(store, soql, clock)
    return run_compiled(store, compiled, include_deleted=include_deleted)
