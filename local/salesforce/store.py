"""The org's data: object definitions and records, and how writes behave.

Two kinds of writes exist:

* Seeding (`insert`, `update`, `delete` called from Python): trusted, lenient.
  Values are coerced to the field types and system fields are filled in, but
  read-only fields may be set, references are not checked and row locks are
  ignored. Tests use these to arrange data.
* API writes (`validate_*` then `apply_*`, used by the REST, Collections and
  Bulk handlers): validated like Salesforce validates them, failing with a
  `RecordError` carrying the real status code (INVALID_FIELD,
  INVALID_FIELD_FOR_INSERT_UPDATE, REQUIRED_FIELD_MISSING, MALFORMED_ID,
  ENTITY_IS_DELETED, INVALID_CROSS_REFERENCE_KEY, STRING_TOO_LONG,
  UNABLE_TO_LOCK_ROW...). Validation never mutates records, so all-or-none
  callers can validate everything before applying anything.

Deleting is soft, as in Salesforce: the record goes to the recycle bin
(`IsDeleted = true`), disappears from `query` and stays visible to `queryAll`.
The store is not thread-safe by itself; `FakeOrg` serialises access.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from local.salesforce.errors import RecordError
from local.salesforce.schema import (
    RESERVED_KEY_PREFIXES,
    STANDARD_KEY_PREFIXES,
    FieldDef,
    ObjectDef,
    base62,
    build_object,
    coerce,
    make_id,
    normalize_id,
)

Record = dict[str, Any]

_CLOSED_WON = "closed won"
_CLOSED_LOST = "closed lost"


class Store:
    """Object definitions plus records, keyed by lower-cased object name and Id."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.objects: dict[str, ObjectDef] = {}
        self._records: dict[str, dict[str, Record]] = {}
        self._by_prefix: dict[str, str] = {}
        self._serial = itertools.count(1)
        self._custom_prefixes = itertools.count(0)
        # id -> attempts left (None: locked until unlocked)
        self.locks: dict[str, int | None] = {}

    # -------------------------------------------------------------- schema

    def declare_object(
        self,
        name: str,
        fields: Mapping[str, str],
        *,
        label: str | None = None,
        key_prefix: str | None = None,
        required: Iterable[str] = (),
        read_only: Iterable[str] = (),
        picklists: Mapping[str, Iterable[str]] | None = None,
    ) -> ObjectDef:
        lowered = name.lower()
        existing = self.objects.get(lowered)
        prefix = key_prefix or (existing.key_prefix if existing else self._pick_prefix(lowered))
        owner = self._by_prefix.get(prefix)
        if owner is not None and owner != lowered:
            raise ValueError(f"key prefix {prefix!r} already belongs to {owner}")
        obj = build_object(
            name,
            fields,
            label=label,
            key_prefix=prefix,
            required=required,
            read_only=read_only,
            picklists=picklists,
        )
        self.objects[lowered] = obj
        self._by_prefix[prefix] = lowered
        self._records.setdefault(lowered, {})
        return obj

    def _pick_prefix(self, lowered: str) -> str:
        standard = STANDARD_KEY_PREFIXES.get(lowered)
        if standard and standard not in self._by_prefix:
            return standard
        while True:
            candidate = "a0" + base62(next(self._custom_prefixes), 1)
            if candidate not in self._by_prefix and candidate not in RESERVED_KEY_PREFIXES:
                return candidate

    def find_object(self, name: str) -> ObjectDef | None:
        return self.objects.get(name.lower())

    def object(self, name: str) -> ObjectDef:
        obj = self.find_object(name)
        if obj is None:
            raise KeyError(f"no such object {name!r}; declare it first")
        return obj

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        lowered = self._by_prefix.get(record_id[:3])
        return self.objects[lowered] if lowered else None

    def children_of(self, obj: ObjectDef) -> list[tuple[ObjectDef, FieldDef]]:
        """Reference fields on any object that point at `obj`."""
        return [
            (child, ref)
            for child in self.objects.values()
            for ref in child.fields.values()
            if any(target.lower() == obj.name.lower() for target in ref.reference_to)
        ]

    def new_id(self, obj: ObjectDef) -> str:
        return make_id(obj.key_prefix, next(self._serial))

    # ------------------------------------------------------------- reading

    def rows(self, obj: ObjectDef, *, include_deleted: bool = False) -> list[Record]:
        """The stored records themselves (do not mutate), in insertion order."""
        records = self._records[obj.name.lower()].values()
        if include_deleted:
            return list(records)
        return [r for r in records if not r["IsDeleted"]]

    def lookup(self, record_id: str | None) -> tuple[ObjectDef, Record] | None:
        """The live (not deleted) record with this Id, on whatever object."""
        if not record_id:
            return None
        obj = self.object_for_id(record_id)
        if obj is None:
            return None
        record = self._records[obj.name.lower()].get(record_id)
        if record is None or record["IsDeleted"]:
            return None
        return obj, record

    def raw(self, obj: ObjectDef, record_id: str) -> Record | None:
        """The stored record with this Id, deleted or not."""
        return self._records[obj.name.lower()].get(record_id)

    def snapshot(self, record: Record) -> Record:
        return copy.deepcopy(record)

    # ------------------------------------------------------------- seeding

    def insert(self, sobject: str, values: Mapping[str, Any]) -> str:
        obj = self.object(sobject)
        prepared = self._coerce_all(obj, values)
        given_id = prepared.pop("Id", None)
        if given_id is not None and given_id[:3] != obj.key_prefix:
            raise ValueError(
                f"Id {given_id} does not have {obj.name}'s key prefix {obj.key_prefix}"
            )
        record_id = given_id or self.new_id(obj)
        if record_id in self._records[obj.name.lower()]:
            raise ValueError(f"{obj.name} {record_id} already exists")
        self._store_new(obj, record_id, prepared)
        return record_id

    def update(self, sobject: str, record_id: str, values: Mapping[str, Any]) -> None:
        obj = self.object(sobject)
        record = self._seed_target(obj, record_id)
        prepared = self._coerce_all(obj, values)
        prepared.pop("Id", None)
        self._store_changes(obj, record, prepared)

    def delete(self, sobject: str, record_id: str) -> None:
        obj = self.object(sobject)
        record = self._seed_target(obj, record_id)
        self._store_delete(record)

    def _seed_target(self, obj: ObjectDef, record_id: str) -> Record:
        normalized = normalize_id(record_id)
        record = self.raw(obj, normalized) if normalized else None
        if record is None:
            raise KeyError(f"no {obj.name} with Id {record_id}")
        return record

    def _coerce_all(self, obj: ObjectDef, values: Mapping[str, Any]) -> dict[str, Any]:
        prepared: dict[str, Any] = {}
        for name, value in values.items():
            field_def = obj.field(name)
            if field_def is None:
                raise KeyError(f"{obj.name} has no field {name!r}")
            prepared[field_def.name] = coerce(field_def, value)
        return prepared

    # ---------------------------------------------------------- API writes

    def validate_insert(self, obj: ObjectDef, values: Mapping[str, Any]) -> dict[str, Any]:
        """Check an API create; return the coerced field values."""
        if any(k.lower() == "id" and v not in (None, "") for k, v in values.items()):
            raise RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        prepared = self._validate_values(obj, values, creating=True)
        missing = [
            name for name in obj.required if prepared.get(obj.fields[name.lower()].name) is None
        ]
        if missing:
            raise RecordError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
        return prepared

    def validate_update(
        self, obj: ObjectDef, record_id: Any, values: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """Check an API update; return the normalised Id and coerced values."""
        normalized = self.check_target(obj, record_id)
        changes = {k: v for k, v in values.items() if k.lower() != "id"}
        prepared = self._validate_values(obj, changes, creating=False)
        for name in obj.required:
            canonical = obj.fields[name.lower()].name
            if canonical in prepared and prepared[canonical] is None:
                raise RecordError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{canonical}]",
                    [canonical],
                )
        self.take_lock(normalized)
        return normalized, prepared

    def validate_delete(self, obj: ObjectDef | None, record_id: Any) -> tuple[ObjectDef, str]:
        """Check an API delete (the object may come from the Id's prefix)."""
        target = obj or (self.object_for_id(record_id) if isinstance(record_id, str) else None)
        if target is None:
            raise RecordError("MALFORMED_ID", f"malformed id {record_id}")
        normalized = self.check_target(target, record_id)
        self.take_lock(normalized)
        return target, normalized

    def check_target(self, obj: ObjectDef, record_id: Any) -> str:
        """The Id of a live record of `obj`, or the RecordError Salesforce gives."""
        normalized = normalize_id(record_id) if isinstance(record_id, str) else None
        if normalized is None:
            raise RecordError(
                "MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {record_id}", ["Id"]
            )
        if normalized[:3] != obj.key_prefix:
            raise RecordError(
                "MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {normalized}", ["Id"]
            )
        record = self.raw(obj, normalized)
        if record is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        if record["IsDeleted"]:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted")
        return normalized

    def take_lock(self, record_id: str) -> None:
        """Fail with UNABLE_TO_LOCK_ROW if the record is locked (using up one attempt)."""
        if record_id not in self.locks:
            return
        remaining = self.locks[record_id]
        if remaining is not None:
            if remaining <= 1:
                del self.locks[record_id]
            else:
                self.locks[record_id] = remaining - 1
        raise RecordError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")

    def _validate_values(
        self, obj: ObjectDef, values: Mapping[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        prepared: dict[str, Any] = {}
        for name, value in values.items():
            if name == "attributes":
                continue
            field_def = obj.field(name)
            if field_def is None:
                raise RecordError(
                    "INVALID_FIELD",
                    f"No such column '{name}' on sobject of type {obj.name}",
                    [name],
                )
            writable = field_def.createable if creating else field_def.updateable
            if not writable:
                raise RecordError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {field_def.name}. Please check the security "
                    "settings of this field and verify that it is read/write for your profile or "
                    "permission set.",
                    [field_def.name],
                )
            prepared[field_def.name] = self._validate_value(field_def, value)
        return prepared

    def _validate_value(self, field_def: FieldDef, value: Any) -> Any:
        try:
            coerced = coerce(field_def, value)
        except ValueError as exc:
            if field_def.type == "reference":
                raise RecordError(
                    "MALFORMED_ID",
                    f"{field_def.label}: id value of incorrect type: {value}",
                    [field_def.name],
                ) from exc
            raise RecordError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{field_def.label}: value not of required type: {value}",
                [field_def.name],
            ) from exc
        if isinstance(coerced, str) and field_def.length and len(coerced) > field_def.length:
            raise RecordError(
                "STRING_TOO_LONG",
                f"{field_def.label}: data value too large: {coerced[:40]} (max length={field_def.length})",
                [field_def.name],
            )
        if field_def.type == "reference" and coerced is not None:
            self._check_reference(field_def, coerced)
        return coerced

    def _check_reference(self, field_def: FieldDef, record_id: str) -> None:
        target = self.object_for_id(record_id)
        allowed = {t.lower() for t in field_def.reference_to}
        if target is None or target.name.lower() not in allowed:
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"field integrity exception: unknown ({field_def.label}: id value of incorrect type: {record_id})",
                [field_def.name],
            )
        if self.lookup(record_id) is None:
            raise RecordError(
                "INVALID_CROSS_REFERENCE_KEY",
                f"invalid cross reference id: {record_id}",
                [field_def.name],
            )

    def apply_insert(self, obj: ObjectDef, prepared: Mapping[str, Any]) -> str:
        record_id = self.new_id(obj)
        self._store_new(obj, record_id, dict(prepared))
        return record_id

    def apply_update(self, obj: ObjectDef, record_id: str, prepared: Mapping[str, Any]) -> None:
        record = self.raw(obj, record_id)
        assert record is not None
        self._store_changes(obj, record, dict(prepared))

    def apply_delete(self, obj: ObjectDef, record_id: str) -> None:
        record = self.raw(obj, record_id)
        assert record is not None
        self._store_delete(record)

    # ------------------------------------------------------------ storage

    def _store_new(self, obj: ObjectDef, record_id: str, prepared: dict[str, Any]) -> None:
        now = self._clock()
        record: Record = {"Id": record_id}
        for field_def in obj.fields.values():
            if field_def.name != "Id":
                record[field_def.name] = False if field_def.type == "boolean" else None
        record.update(prepared)
        record["CreatedDate"] = prepared.get("CreatedDate") or now
        record["LastModifiedDate"] = prepared.get("LastModifiedDate") or record["CreatedDate"]
        record["SystemModstamp"] = prepared.get("SystemModstamp") or record["LastModifiedDate"]
        self._derive(obj, record, prepared)
        self._records[obj.name.lower()][record_id] = record

    def _store_changes(self, obj: ObjectDef, record: Record, prepared: dict[str, Any]) -> None:
        record.update(prepared)
        now = self._clock()
        if "LastModifiedDate" not in prepared:
            record["LastModifiedDate"] = now
        if "SystemModstamp" not in prepared:
            record["SystemModstamp"] = prepared.get("LastModifiedDate", now)
        self._derive(obj, record, prepared)

    def _store_delete(self, record: Record) -> None:
        record["IsDeleted"] = True
        record["SystemModstamp"] = self._clock()

    def _derive(self, obj: ObjectDef, record: Record, prepared: Mapping[str, Any]) -> None:
        """Opportunity's IsClosed/IsWon follow StageName, as the standard stages define."""
        if obj.name.lower() != "opportunity" or "StageName" not in prepared:
            return
        stage = str(record.get("StageName") or "").lower()
        if obj.field("IsClosed") is not None and "IsClosed" not in prepared:
            record["IsClosed"] = stage in (_CLOSED_WON, _CLOSED_LOST)
        if obj.field("IsWon") is not None and "IsWon" not in prepared:
            record["IsWon"] = stage == _CLOSED_WON
