"""Patches 6, 7 and 9: DynamoDB atomicity, batch limits and transactions; secret sizes."""

from __future__ import annotations

import functools
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
        with _DYNAMODB_LOCK:
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
