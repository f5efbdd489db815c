"""Patches 6, 7, 9, 13 and 14: DynamoDB atomicity, batch limits, transactions, query and
projection cost; secret sizes."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

# --------------------------------------------------------------------- 6. dynamodb

_DYNAMODB_LOCK = threading.RLock()


def atomic_dynamodb() -> None:
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "_revops_patched", False):
        return
    original_batch_write = DynamoHandler.batch_write_item

    def call_action(self: Any) -> Any:
        global _dynamodb_writes
        with _DYNAMODB_LOCK:
            if self._get_action() not in _DYNAMODB_READS:
                _dynamodb_writes += 1  # the GSI lookups of patch 13 are stale from here
            return original(self)

    def batch_write_item(self: Any) -> Any:
        # DynamoDB takes at most 25 put or delete requests per BatchWriteItem.
        requests = sum(len(r) for r in self.body.get("RequestItems", {}).values())
        if requests > 25:
            raise MockValidationException("Too many items requested for the BatchWriteItem call")
        return original_batch_write(self)

    call_action._revops_patched = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    DynamoHandler.batch_write_item = batch_write_item  # type: ignore[method-assign]


# ------------------------------------------------------------------ 7. secret size

SECRET_MAX_BYTES = 65_536


def secret_size_limit() -> None:
    import base64

    from moto.secretsmanager.exceptions import ValidationException
    from moto.secretsmanager.responses import SecretsManagerResponse

    def limited(original: Callable[[Any], str]) -> Callable[[Any], str]:
        @functools.wraps(original)
        def call(self: Any) -> str:
            text = self._get_param("SecretString")
            if text is not None and len(str(text).encode("utf-8")) > SECRET_MAX_BYTES:
                raise ValidationException(
                    "1 validation error detected: Value at 'secretString' failed to satisfy "
                    f"constraint: Member must have length less than or equal to {SECRET_MAX_BYTES}"
                )
            binary = self._get_param("SecretBinary")
            if binary is not None and len(base64.b64decode(binary)) > SECRET_MAX_BYTES:
                raise ValidationException(
                    "1 validation error detected: Value at 'secretBinary' failed to satisfy "
                    f"constraint: Member must have length less than or equal to {SECRET_MAX_BYTES}"
                )
            return original(self)

        call._revops_patched = True  # type: ignore[attr-defined]
        return call

    for name in ("create_secret", "put_secret_value", "update_secret"):
        original = getattr(SecretsManagerResponse, name)
        if not getattr(original, "_revops_patched", False):
            setattr(SecretsManagerResponse, name, limited(original))


# ------------------------------------------------------------ 9. transactions


def item_level_transactions() -> None:
    import copy

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_revops_patched", False):
        return

    class _NoTableCopies:
        """`copy` for moto's DynamoDB module: tables are not copied (items still are)."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    dynamodb_models.copy = _NoTableCopies  # type: ignore[assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots: list[tuple[str, dict[str, Any], Any]] = []
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                if "Key" in op:
                    key = op["Key"]
                else:
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                current = self.get_item(op["TableName"], key)
            except Exception:
                continue  # moto reports a malformed entry itself
            snapshots.append((op["TableName"], key, copy.deepcopy(current)))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, item in reversed(snapshots):
                if item is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, item.to_json()["Attributes"])
            raise

    transact_write_items._revops_patched = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


# ------------------------------------------------------------ 13. queries at scale

# Actions that change no item: every other DynamoDB action makes the GSI lookups
# be rebuilt before the next query.
_DYNAMODB_READS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "ListTagsOfResource",
        "DescribeEndpoints",
    }
)
_DIRECT_JSON = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
_dynamodb_writes = 0  # bumped by every other action, under _DYNAMODB_LOCK (patch 6)
_gsi_lookups: dict[tuple[int, str, tuple[str, ...]], tuple[int, dict[Any, list[Any]]]] = {}


def _candidates(table: Any, hash_key: Any, index_name: str | None, conditions: Any) -> Any:
    """The items a query can return, or None when the query has no plain key to start from."""
    if not index_name:
        if hash_key is None:
            return None
        found = table.items.get(hash_key)
        if found is None:
            return []
        return list(found.values()) if table.range_key_attr else [found]
    if not conditions:
        return None
    names = tuple(sorted(name for name, _ in conditions))
    wanted = tuple(value for _, value in sorted(conditions, key=lambda c: c[0]))
    key = (id(table), index_name, names)
    cached = _gsi_lookups.get(key)
    if cached is None or cached[0] != _dynamodb_writes:
        lookup: dict[Any, list[Any]] = {}
        for hash_set in table.items.values():
            for item in hash_set.values() if table.range_key_attr else [hash_set]:
                values = tuple(item.attrs.get(name) for name in names)
                if all(v is not None for v in values):
                    lookup.setdefault(values, []).append(item)
        cached = (_dynamodb_writes, lookup)
        _gsi_lookups[key] = cached
    return cached[1].get(wanted, [])


def dynamodb_queries_at_scale() -> None:
    """moto's answers at DynamoDB's cost: a query starts from the items under its key
    (a lookup for the table's key; for a GSI, an index rebuilt only after a write),
    where moto sorts and filters the whole table; read answers are written as JSON
    directly, where moto's generic serializer spends about 1.5 ms per item."""
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.models.utilities import dynamo_json_dump
    from moto.dynamodb.responses import DynamoHandler

    original_query = Table.query
    if getattr(original_query, "_revops_patched", False):
        return
    original_serialized = DynamoHandler.serialized
    signature = inspect.signature(original_query)

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if self._get_action() not in _DIRECT_JSON or not isinstance(result, dict):
            return original_serialized(self, action_result)
        headers = dict(self.response_headers)
        headers["Content-Type"] = "application/x-amz-json-1.0"
        return 200, headers, dynamo_json_dump(result)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        found = _candidates(
            self, asked["hash_key"], asked.get("index_name"), asked.get("hash_key_conditions")
        )
        if found is None:
            return original_query(self, *args, **kwargs)
        self.all_items = lambda: found  # moto filters and sorts what it is given
        try:
            return original_query(self, *args, **kwargs)
        finally:
            del self.all_items

    query._revops_patched = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]


# ------------------------------------------------------------ 14. projections


def plain_projections() -> None:
    """A projection of top-level attributes picks those attributes. moto turns the
    whole item into plain JSON once per projected name, looks the name up, and turns
    the result back: for a 10-name projection of a tracking item, 60% of a query's
    cost. Nested paths (`a.b`, `a[0]`) still go through moto's own code."""
    import copy

    from moto.dynamodb.models.dynamo_type import Item

    original = Item.project
    if getattr(original, "_revops_patched", False):
        return

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        if not all(len(path) == 1 and "[" not in path[0] for path in projection_expressions):
            return original(self, projection_expressions)
        projected = Item(hash_key=self.hash_key, range_key=self.range_key, attrs={})
        for (name,) in projection_expressions:
            if name in self.attrs:
                # A part of an item that fits is no bigger: skip the size check
                # that re-sums the item on every attribute set.
                dict.__setitem__(projected.attrs, name, copy.deepcopy(self.attrs[name]))
        return projected

    project._revops_patched = True  # type: ignore[attr-defined]
    Item.project = project  # type: ignore[method-assign]
