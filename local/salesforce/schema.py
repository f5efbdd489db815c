"""Objects, fields, record Ids and field values, as Salesforce defines them.

Everything here mirrors what the describe calls expose: an object has a key
prefix (the first three characters of its record Ids), fields have a type and
a label, and a reference field has a relationship name used in SOQL paths
(`Account__c` -> `Account__r`, `OwnerId` -> `Owner`). Names are
case-insensitive, so objects and fields are looked up by lower-cased name but
keep their canonical spelling for output.

Values are held as Python values (`str`, `bool`, `int`, `float`, `date`,
aware UTC `datetime`); `coerce` converts what a caller sends (JSON, CSV text
or Python values) and `to_json` / `to_csv` print them the way the REST API and
Bulk API 2.0 do. Like Salesforce, an empty string is stored as null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from local.salesforce.dates import (
    format_datetime,
    format_datetime_csv,
    parse_date,
    parse_datetime,
    to_utc,
)

TEXT_TYPES = frozenset(
    {"id", "string", "textarea", "url", "email", "phone", "picklist", "multipicklist", "reference"}
)
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
FIELD_TYPES = TEXT_TYPES | NUMBER_TYPES | {"boolean", "date", "datetime"}

_LENGTHS = {
    "string": 255,
    "textarea": 131072,
    "url": 255,
    "email": 80,
    "phone": 40,
    "picklist": 255,
    "multipicklist": 4099,
}
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
# The REST describe spells dateTime in camel case.
_DESCRIBE_TYPES = {"datetime": "datetime"}

SYSTEM_FIELDS = ("CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted")
_SYSTEM_KEYS = frozenset(f.lower() for f in ("Id", *SYSTEM_FIELDS))

STANDARD_KEY_PREFIXES = {
    "account": "001",
    "contact": "003",
    "user": "005",
    "opportunity": "006",
    "lead": "00Q",
    "task": "00T",
    "event": "00U",
    "case": "500",
    "campaign": "701",
    "contentdocument": "069",
    "contentversion": "068",
}
RESERVED_KEY_PREFIXES = frozenset({"00D", "00O", "01g", "750"})

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


# --------------------------------------------------------------------------- ids


def _checksum(id15: str) -> str:
    """The 3-character suffix that makes a 15-character Id case-insensitive."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _CHECKSUM_CHARS[bits]
    return suffix


def base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rem = divmod(number, 62)
        digits = _BASE62[rem] + digits
    return digits.rjust(width, "0")


def make_id(key_prefix: str, serial: int) -> str:
    """A realistic 18-character Id: prefix, pod `5g`, serial, checksum."""
    id15 = key_prefix + "5g" + base62(serial, 10)
    return id15 + _checksum(id15)


def normalize_id(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character Id, or None if malformed."""
    if not _ID_RE.match(value):
        return None
    if len(value) == 15:
        return value + _checksum(value)
    # The suffix records which of the 15 characters are upper case, so an
    # 18-character Id survives case-insensitive handling: restore the case.
    chars = list(value[:15])
    for chunk, suffix_char in enumerate(value[15:].upper()):
        bits = _CHECKSUM_CHARS.find(suffix_char)
        if bits < 0:
            return None
        for position in range(5):
            index = chunk * 5 + position
            upper = bool(bits >> position & 1)
            if chars[index].isalpha():
                chars[index] = chars[index].upper() if upper else chars[index].lower()
            elif upper:
                return None
    id15 = "".join(chars)
    return id15 + _checksum(id15)


# ------------------------------------------------------------------ definitions


def _label_of(name: str) -> str:
    base = name[:-3] if name.lower().endswith("__c") else name
    base = base.replace("_", " ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base).strip()


def relationship_name_of(field_name: str) -> str:
    """`Account__c` -> `Account__r`; `OwnerId` -> `Owner`; other -> name + `__r`."""
    if field_name.lower().endswith("__c"):
        return field_name[:-3] + "__r"
    if field_name.lower().endswith("id") and len(field_name) > 2:
        return field_name[:-2]
    return field_name + "__r"


@dataclass
class FieldDef:
    """One field as the describe call reports it."""

    name: str
    type: str
    label: str
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    custom: bool = False
    picklist_values: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def length(self) -> int:
        return _LENGTHS.get(self.type, 18 if self.type in ("id", "reference") else 0)

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES

    @property
    def is_number(self) -> bool:
        return self.type in NUMBER_TYPES


@dataclass
class ObjectDef:
    """One sObject type: its fields, relationships and Id key prefix."""

    name: str
    label: str
    key_prefix: str
    custom: bool
    fields: dict[str, FieldDef] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def field(self, name: str) -> FieldDef | None:
        return self.fields.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        lowered = name.lower()
        for candidate in self.fields.values():
            if candidate.relationship_name and candidate.relationship_name.lower() == lowered:
                return candidate
        return None

    @property
    def label_plural(self) -> str:
        return self.label + ("es" if self.label.endswith(("s", "x", "ch", "sh")) else "s")


def parse_field_type(spec: str) -> tuple[str, tuple[str, ...]]:
    """`"reference:Account|Opportunity"` -> `("reference", ("Account", "Opportunity"))`."""
    kind, _, targets = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "reference":
        names = tuple(t.strip() for t in targets.split("|") if t.strip())
        if not names:
            raise ValueError(f"reference field type needs a target object: {spec!r}")
        return kind, names
    if kind not in FIELD_TYPES or targets:
        raise ValueError(f"unknown field type {spec!r}")
    return kind, ()


def build_object(
    name: str,
    fields: Mapping[str, str],
    *,
    label: str | None,
    key_prefix: str,
    required: Iterable[str] = (),
    read_only: Iterable[str] = (),
    picklists: Mapping[str, Iterable[str]] | None = None,
) -> ObjectDef:
    """An `ObjectDef` with the system fields every object has added."""
    custom = name.lower().endswith("__c")
    obj = ObjectDef(name, label or _label_of(name), key_prefix, custom)
    required_keys = {r.lower() for r in required}
    read_only_keys = {r.lower() for r in read_only}
    picklist_values = {k.lower(): tuple(v) for k, v in (picklists or {}).items()}
    obj.required = tuple(required)

    def add(field_name: str, spec: str, **extra: Any) -> None:
        kind, targets = parse_field_type(spec)
        lowered = field_name.lower()
        system = lowered in _SYSTEM_KEYS
        writable = (
            bool(extra.get("writable", True)) and lowered not in read_only_keys and not system
        )
        obj.fields[lowered] = FieldDef(
            name=field_name,
            type=kind,
            label=extra.get("label") or _label_of(field_name),
            reference_to=targets,
            relationship_name=relationship_name_of(field_name) if targets else None,
            nillable=lowered not in required_keys and kind != "boolean" and not system,
            createable=writable,
            updateable=writable,
            custom=field_name.lower().endswith("__c"),
            picklist_values=picklist_values.get(lowered, ()),
        )

    add("Id", "id", label=f"{obj.label} ID", writable=False)
    declared = {k.lower() for k in fields}
    if "name" not in declared:
        add("Name", "string", label=f"{obj.label} Name")
    canonical = {n.lower(): n for n in ("Name", *SYSTEM_FIELDS)}
    for field_name, spec in fields.items():
        if field_name.lower() == "id":
            continue
        add(canonical.get(field_name.lower(), field_name), spec)
    for system in SYSTEM_FIELDS:
        if system.lower() not in declared:
            add(system, "boolean" if system == "IsDeleted" else "datetime", writable=False)
    return obj


# ----------------------------------------------------------------------- values


def coerce(field_def: FieldDef, value: Any) -> Any:
    """Convert an incoming value to the field's Python type; ValueError if it can't."""
    if value is None or (isinstance(value, str) and value == ""):
        return False if field_def.type == "boolean" else None
    kind = field_def.type
    if kind in ("id", "reference"):
        normalized = normalize_id(str(value)) if isinstance(value, str) else None
        if normalized is None:
            raise ValueError(f"invalid id {value!r}")
        return normalized
    if kind in TEXT_TYPES:
        if isinstance(value, (dict, list)):
            raise ValueError(f"not a text value: {value!r}")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    if kind == "boolean":
        return _coerce_boolean(value)
    if kind == "int":
        return _coerce_int(value)
    if kind in NUMBER_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"not a number: {value!r}")
        return float(value)
    if kind == "date":
        if isinstance(value, datetime):
            return to_utc(value).date()
        if isinstance(value, date):
            return value
        return parse_date(str(value))
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, date):
        return to_utc(datetime(value.year, value.month, value.day))
    return parse_datetime(str(value))


def _coerce_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"not a boolean: {value!r}")


def _coerce_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"not an integer: {value!r}")
    if isinstance(value, int):
        return value
    number = float(value)
    if not number.is_integer():
        raise ValueError(f"not an integer: {value!r}")
    return int(number)


def to_json(value: Any) -> Any:
    """A stored value as the REST API prints it."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(value: Any) -> str:
    """A stored value as a Bulk API 2.0 CSV cell (null is empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime_csv(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------- describe


def describe_field(field_def: FieldDef) -> dict[str, Any]:
    """A `fields[]` entry of `GET /sobjects/{Object}/describe`."""
    kind = field_def.type
    return {
        "aggregatable": kind not in ("textarea", "boolean", "multipicklist"),
        "autoNumber": False,
        "byteLength": field_def.length * 3,
        "calculated": False,
        "caseSensitive": False,
        "createable": field_def.createable,
        "custom": field_def.custom,
        "defaultValue": False if kind == "boolean" else None,
        "defaultedOnCreate": kind == "boolean" or field_def.name in SYSTEM_FIELDS,
        "digits": 9 if kind == "int" else 0,
        "externalId": False,
        "filterable": kind != "textarea",
        "groupable": kind not in ("textarea", "double", "currency", "percent", "datetime"),
        "idLookup": kind == "id",
        "label": field_def.label,
        "length": field_def.length,
        "name": field_def.name,
        "nameField": field_def.name == "Name",
        "nillable": field_def.nillable,
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in field_def.picklist_values
        ],
        "polymorphicForeignKey": len(field_def.reference_to) > 1,
        "precision": 18 if kind in ("double", "currency", "percent") else 0,
        "referenceTo": list(field_def.reference_to),
        "relationshipName": field_def.relationship_name,
        "scale": 2 if kind in ("double", "currency", "percent") else 0,
        "soapType": _SOAP_TYPES.get(kind, "xsd:string"),
        "sortable": kind not in ("textarea", "multipicklist"),
        "type": _DESCRIBE_TYPES.get(kind, kind),
        "unique": False,
        "updateable": field_def.updateable,
    }


def object_urls(obj: ObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {
        "sobject": base,
        "describe": f"{base}/describe",
        "rowTemplate": f"{base}/{{ID}}",
    }


def describe_global_entry(obj: ObjectDef, version: str) -> dict[str, Any]:
    """An `sobjects[]` entry of `GET /sobjects/`."""
    return {
        "activateable": False,
        "createable": True,
        "custom": obj.custom,
        "customSetting": False,
        "deletable": True,
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mergeable": False,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": True,
        "updateable": True,
        "urls": object_urls(obj, version),
    }


def describe_object(
    obj: ObjectDef, version: str, children: Iterable[tuple[ObjectDef, FieldDef]]
) -> dict[str, Any]:
    """The body of `GET /sobjects/{Object}/describe`."""
    described = describe_global_entry(obj, version)
    described.update(
        {
            "childRelationships": [
                {
                    "cascadeDelete": False,
                    "childSObject": child.name,
                    "deprecatedAndHidden": False,
                    "field": ref.name,
                    "relationshipName": None,
                    "restrictedDelete": False,
                }
                for child, ref in children
            ],
            "fields": [describe_field(f) for f in obj.fields.values()],
            "recordTypeInfos": [],
        }
    )
    return described
