"""Record-level sharing: which user may read which record, as Salesforce decides it.

`Sharing` (one per `FakeOrg`, as `org.sharing`) holds the org's sharing model and
answers `access(user_id, record_id)` with the user's maximum access level
(`None`, `Read`, `Edit`, `All`). The rules follow Salesforce's documented order
("Control Who Sees What"):

1. **Permission sets** (the profile's own, plus assigned ones, read from
   `PermissionSet`, `PermissionSetAssignment`, `ObjectPermissions`): View All
   Data gives Read on every record, Modify All Data gives All; without Read on
   the object (`ObjectPermissions.PermissionsRead`) a user reads no record of
   it; View All / Modify All Records on the object give Read / All.
2. **Organization-wide default** per object (`set_model`): `ReadWrite` (Public
   Read/Write, the default for custom objects, and what every object here has
   until told otherwise), `Read` (Public Read Only), `Private`, or
   `ControlledByParent` (access is the access to the record its
   `parent_field` points at, as for a master-detail child).
3. **Ownership**: the owner (`OwnerId`) has All; members of a group or queue
   that owns the record too.
4. **Role hierarchy**: a user whose `UserRole` is above the owner's role has
   the owner's access (Grant Access Using Hierarchies, on for every object).
5. **Shares**: rows of the object's share object (`<Name>__Share` for custom
   objects, `AccountShare` for accounts), for the user or for a public group
   the user belongs to, directly or through nested groups. Sharing rules and
   manual shares both end up as such rows in Salesforce; `share()` writes one.

The objects behind these rules are declared by `install()` (called from
`FakeOrg.with_standard_objects`): Organization (one record, the org's Id),
Profile, UserRole, PermissionSet, PermissionSetAssignment, ObjectPermissions,
Group, GroupMember and UserLogin (`IsFrozen`); User gains `ProfileId` and
`UserRoleId`, custom objects gain `OwnerId`. Two profiles exist: "System
Administrator" (View/Modify All Data) and "Standard User" (read and edit on
every object declared at install time), which a user without a `ProfileId` has.
Seeded records get Ids from their own series, so installing sharing never
changes the Ids of the records a test inserts.

The running user of an API call matters too (`is_unrestricted`): the
integration user (a JWT login without a `User` record, or a user with View All
Data) sees every record; anyone else's queries and record reads see only what
`access` allows (see `RestApi.query` and `RestApi.get_record`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from local.salesforce import record_access
from local.salesforce.schema import build_object, make_id, normalize_id
from local.salesforce.standard import ObjectSpec

if TYPE_CHECKING:
    from local.salesforce.org import FakeOrg
    from local.salesforce.store import Record, Store

Model = Literal["ReadWrite", "Read", "Private", "ControlledByParent"]
LEVELS = ("None", "Read", "Edit", "All")
ACCESS_LEVELS = ("Read", "Edit", "All")
SYSTEM_ADMINISTRATOR = "System Administrator"
STANDARD_USER = "Standard User"
_SEED_SERIAL = 62**8  # seeded setup records: far from the record counter's range

SHARING_OBJECTS: tuple[ObjectSpec, ...] = (
    ObjectSpec("Organization", {"Name": "string"}, key_prefix="00D"),
    ObjectSpec("Profile", {"Name": "string"}, key_prefix="00e"),
    ObjectSpec(
        "UserRole", {"Name": "string", "ParentRoleId": "reference:UserRole"}, key_prefix="00E"
    ),
    ObjectSpec(
        "PermissionSet",
        {
            "Name": "string",
            "Label": "string",
            "IsOwnedByProfile": "boolean",
            "ProfileId": "reference:Profile",
            "PermissionsViewAllData": "boolean",
            "PermissionsModifyAllData": "boolean",
        },
        key_prefix="0PS",
    ),
    ObjectSpec(
        "PermissionSetAssignment",
        {"AssigneeId": "reference:User", "PermissionSetId": "reference:PermissionSet"},
        key_prefix="0Pa",
    ),
    ObjectSpec(
        "ObjectPermissions",
        {
            "ParentId": "reference:PermissionSet",
            "SobjectType": "string",
            "PermissionsRead": "boolean",
            "PermissionsEdit": "boolean",
            "PermissionsViewAllRecords": "boolean",
            "PermissionsModifyAllRecords": "boolean",
        },
        key_prefix="110",
    ),
    ObjectSpec(
        "Group",
        {"Name": "string", "DeveloperName": "string", "Type": "picklist"},
        key_prefix="00G",
        picklists={"Type": ("Regular", "Queue", "Role", "Organization")},
    ),
    ObjectSpec(
        "GroupMember",
        {"GroupId": "reference:Group", "UserOrGroupId": "reference:User|Group"},
        key_prefix="011",
    ),
    ObjectSpec(
        "UserLogin",
        {"UserId": "reference:User", "IsFrozen": "boolean", "IsPasswordLocked": "boolean"},
        key_prefix="060",
    ),
)

# Share objects of standard objects (custom objects use <Name>__Share / ParentId / AccessLevel).
_STANDARD_SHARES = {"account": ("AccountShare", "AccountId", "AccountAccessLevel")}


@dataclass(frozen=True)
class ShareObject:
    name: str
    parent_field: str
    level_field: str


def share_object_for(sobject: str) -> ShareObject:
    lowered = sobject.lower()
    if lowered in _STANDARD_SHARES:
        return ShareObject(*_STANDARD_SHARES[lowered])
    if not lowered.endswith("__c"):
        raise ValueError(f"{sobject} has no share object in this fake")
    return ShareObject(sobject[:-3] + "__Share", "ParentId", "AccessLevel")


def _rank(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def _best(*levels: str | None) -> str:
    return max(levels, key=_rank) or "None"


class Sharing:
    """The org's sharing model and the access every user has to every record."""

    def __init__(self, org: FakeOrg) -> None:
        self.org = org
        self.models: dict[str, tuple[Model, str | None]] = {}
        self._seeded = 0
        self.profiles: dict[str, str] = {}

    @property
    def store(self) -> Store:
        return self.org.store

    # ------------------------------------------------------------------ setup

    def _seed(self, sobject: str, values: dict[str, Any]) -> str:
        obj = self.store.object(sobject)
        self._seeded += 1
        return self.store.insert(
            sobject, {"Id": make_id(obj.key_prefix, _SEED_SERIAL + self._seeded), **values}
        )

    def install(self) -> None:
        """Declare the sharing objects and fields, the org record and the two profiles."""
        for spec in SHARING_OBJECTS:
            self.store.declare_object(
                spec.name,
                dict(spec.fields),
                label=spec.label,
                key_prefix=spec.key_prefix,
                picklists=spec.picklists,
            )
        self.store.declare_object(
            record_access.OBJECT,
            record_access.FIELDS,
            key_prefix=record_access.KEY_PREFIX,
            picklists={"MaxAccessLevel": LEVELS},
        )
        add_fields(self.store, "User", {"ProfileId": "reference:Profile"})
        add_fields(self.store, "User", {"UserRoleId": "reference:UserRole"})
        for obj in list(self.store.objects.values()):
            if obj.custom:
                add_fields(self.store, obj.name, {"OwnerId": "reference:User|Group"})
        self.store.insert("Organization", {"Id": self.org.org_id, "Name": "revops demo org"})
        admin = self.add_profile(SYSTEM_ADMINISTRATOR, view_all_data=True, modify_all_data=True)
        standard = self.add_profile(STANDARD_USER)
        unreadable = ("Organization", record_access.OBJECT)
        readable = [o.name for o in self.store.objects.values() if o.name not in unreadable]
        self.grant_object_access(self.profile_permission_set(standard), readable, edit=True)
        self.profiles = {SYSTEM_ADMINISTRATOR: admin, STANDARD_USER: standard}

    def add_profile(
        self, name: str, *, view_all_data: bool = False, modify_all_data: bool = False
    ) -> str:
        profile = self._seed("Profile", {"Name": name})
        self._seed(
            "PermissionSet",
            {
                "Name": "X" + "".join(c for c in name if c.isalnum()),
                "Label": name,
                "IsOwnedByProfile": True,
                "ProfileId": profile,
                "PermissionsViewAllData": view_all_data,
                "PermissionsModifyAllData": modify_all_data,
            },
        )
        return profile

    def profile_permission_set(self, profile_id: str) -> str:
        for row in self._rows("PermissionSet"):
            if row.get("ProfileId") == profile_id and row.get("IsOwnedByProfile"):
                return str(row["Id"])
        raise KeyError(f"profile {profile_id} has no permission set")

    def add_permission_set(
        self,
        name: str,
        label: str | None = None,
        *,
        view_all_data: bool = False,
        modify_all_data: bool = False,
    ) -> str:
        return self._seed(
            "PermissionSet",
            {
                "Name": name,
                "Label": label or name.replace("_", " "),
                "IsOwnedByProfile": False,
                "PermissionsViewAllData": view_all_data,
                "PermissionsModifyAllData": modify_all_data,
            },
        )

    def assign_permission_set(self, user_id: str, permission_set_id: str) -> str:
        return self.store.insert(
            "PermissionSetAssignment", {"AssigneeId": user_id, "PermissionSetId": permission_set_id}
        )

    def grant_object_access(
        self,
        permission_set_id: str,
        sobjects: Iterable[str],
        *,
        edit: bool = False,
        view_all: bool = False,
        modify_all: bool = False,
    ) -> None:
        for sobject in sobjects:
            self._seed(
                "ObjectPermissions",
                {
                    "ParentId": permission_set_id,
                    "SobjectType": self.store.object(sobject).name,
                    "PermissionsRead": True,
                    "PermissionsEdit": edit or modify_all,
                    "PermissionsViewAllRecords": view_all or modify_all,
                    "PermissionsModifyAllRecords": modify_all,
                },
            )

    def add_role(self, name: str, parent_role_id: str | None = None) -> str:
        return self.store.insert("UserRole", {"Name": name, "ParentRoleId": parent_role_id})

    def add_group(self, developer_name: str, label: str | None = None) -> str:
        return self.store.insert(
            "Group",
            {"Name": label or developer_name, "DeveloperName": developer_name, "Type": "Regular"},
        )

    def add_member(self, group_id: str, user_or_group_id: str) -> str:
        return self.store.insert(
            "GroupMember", {"GroupId": group_id, "UserOrGroupId": user_or_group_id}
        )

    def freeze(self, user_id: str, frozen: bool = True) -> None:
        """Freeze a user (Setup → Users → Freeze): the login refuses them; IsActive stays."""
        for row in self._rows("UserLogin"):
            if row.get("UserId") == user_id:
                self.store.update("UserLogin", row["Id"], {"IsFrozen": frozen})
                return
        self.store.insert("UserLogin", {"UserId": user_id, "IsFrozen": frozen})

    def set_model(self, sobject: str, model: Model, parent_field: str | None = None) -> None:
        """Set an object's organization-wide default; a non-public object gets its share object."""
        obj = self.store.object(sobject)
        if model == "ControlledByParent":
            ref = obj.field(parent_field or "")
            if ref is None or not ref.reference_to:
                raise ValueError(f"{obj.name}.{parent_field} is not a reference field")
        self.models[obj.name.lower()] = (model, parent_field)
        if model in ("Private", "Read"):
            share = share_object_for(obj.name)
            if self.store.find_object(share.name) is None:
                self.store.declare_object(
                    share.name,
                    {
                        share.parent_field: f"reference:{obj.name}",
                        "UserOrGroupId": "reference:User|Group",
                        share.level_field: "picklist",
                        "RowCause": "picklist",
                    },
                    picklists={
                        share.level_field: ACCESS_LEVELS,
                        "RowCause": ("Owner", "Manual", "Rule", "ImplicitChild"),
                    },
                )

    def share(
        self, record_id: str, user_or_group_id: str, level: str = "Read", cause: str = "Manual"
    ) -> str:
        """A manual share (or, with cause "Rule", what a sharing rule writes)."""
        if level not in ACCESS_LEVELS:
            raise ValueError(f"access level must be one of {ACCESS_LEVELS}")
        found = self.store.lookup(normalize_id(record_id))
        if found is None:
            raise KeyError(f"no record {record_id}")
        share = share_object_for(found[0].name)
        if self.store.find_object(share.name) is None:
            raise ValueError(f"{found[0].name} is public: set_model(..., 'Private') first")
        return self.store.insert(
            share.name,
            {
                share.parent_field: found[1]["Id"],
                "UserOrGroupId": user_or_group_id,
                share.level_field: level,
                "RowCause": cause,
            },
        )

    # ------------------------------------------------------------------ reading

    def _rows(self, sobject: str) -> list[Record]:
        obj = self.store.find_object(sobject)
        return self.store.rows(obj) if obj is not None else []

    def user(self, user_id: str) -> Record | None:
        found = self.store.lookup(normalize_id(user_id) if user_id else None)
        if found is None or found[0].name != "User":
            return None
        return found[1]

    def permission_sets(self, user: Record) -> list[Record]:
        profile = user.get("ProfileId") or self.profiles.get(STANDARD_USER)
        assigned = {
            r["PermissionSetId"]
            for r in self._rows("PermissionSetAssignment")
            if r.get("AssigneeId") == user["Id"]
        }
        return [
            r
            for r in self._rows("PermissionSet")
            if r["Id"] in assigned or (r.get("IsOwnedByProfile") and r.get("ProfileId") == profile)
        ]

    def groups_of(self, principal_id: str) -> set[str]:
        """Every public group or queue the user (or group) is in, through nested groups."""
        members = self._rows("GroupMember")
        found: set[str] = set()
        pending = [principal_id]
        while pending:
            current = pending.pop()
            for row in members:
                if row.get("UserOrGroupId") == current and row["GroupId"] not in found:
                    found.add(row["GroupId"])
                    pending.append(row["GroupId"])
        return found

    def _role_is_above(self, manager_role: str | None, owner_role: str | None) -> bool:
        seen: set[str] = set()
        current = owner_role
        while current and current not in seen:
            seen.add(current)
            role = self.store.lookup(current)
            current = role[1].get("ParentRoleId") if role else None
            if current and current == manager_role:
                return True
        return False

    def is_unrestricted(self, user_id: str | None) -> bool:
        """True for the integration user (no User record) and for View All Data users."""
        user = self.user(user_id) if user_id else None
        if user is None:
            return True
        return any(
            p.get("PermissionsViewAllData") or p.get("PermissionsModifyAllData")
            for p in self.permission_sets(user)
        )

    def access(self, user_id: str, record_id: str) -> str:
        """The user's maximum access to a live record: None, Read, Edit or All."""
        user = self.user(user_id)
        found = self.store.lookup(normalize_id(record_id))
        if user is None or found is None:
            return "None"
        return self._access(user, found[0].name, found[1], self.permission_sets(user), 0)

    def _access(
        self, user: Record, sobject: str, record: Record, sets: list[Record], depth: int
    ) -> str:
        if any(p.get("PermissionsModifyAllData") for p in sets):
            return "All"
        granted = "Read" if any(p.get("PermissionsViewAllData") for p in sets) else "None"
        ids = {p["Id"] for p in sets}
        rows = [
            r
            for r in self._rows("ObjectPermissions")
            if r.get("ParentId") in ids and str(r.get("SobjectType", "")).lower() == sobject.lower()
        ]
        if any(r.get("PermissionsModifyAllRecords") for r in rows):
            return "All"
        if any(r.get("PermissionsViewAllRecords") for r in rows):
            granted = _best(granted, "Read")
        if not any(r.get("PermissionsRead") for r in rows) and self._managed(sobject):
            return granted
        edit = any(r.get("PermissionsEdit") for r in rows) or not self._managed(sobject)
        return _best(granted, self._record_access(user, sobject, record, sets, depth, edit))

    def _managed(self, sobject: str) -> bool:
        """Object permissions apply to an object once any permission set names it.

        (A simplification: objects declared after `install()` and never granted
        are readable and editable by every user, so tests that do not care about
        object permissions need not set them up.)
        """
        lowered = sobject.lower()
        return any(
            str(r.get("SobjectType", "")).lower() == lowered
            for r in self._rows("ObjectPermissions")
        )

    def _record_access(
        self, user: Record, sobject: str, record: Record, sets: list[Record], depth: int, edit: bool
    ) -> str:
        model, parent_field = self.models.get(sobject.lower(), ("ReadWrite", None))
        if model == "ReadWrite":
            return "Edit" if edit else "Read"
        if model == "ControlledByParent":
            parent = self.store.lookup(record.get(parent_field or ""))
            if parent is None or depth > 5:
                return "None"
            return self._access(user, parent[0].name, parent[1], sets, depth + 1)
        level = "Read" if model == "Read" else "None"
        principals = {user["Id"], *self.groups_of(user["Id"])}
        owner = record.get("OwnerId")
        if owner in principals:
            return "All"
        owner_user = self.user(owner) if owner else None
        if owner_user is not None and self._role_is_above(
            user.get("UserRoleId"), owner_user.get("UserRoleId")
        ):
            return "All"
        share = share_object_for(sobject)
        for row in self._rows(share.name):
            if (
                row.get(share.parent_field) == record["Id"]
                and row.get("UserOrGroupId") in principals
            ):
                level = _best(level, row.get(share.level_field))
        if not edit and _rank(level) > _rank("Read"):
            return "Read"
        return level

    def visible(self, user_id: str | None, sobject: str, records: list[Record]) -> list[Record]:
        """The records a running user's query returns (all of them when unrestricted)."""
        if self.is_unrestricted(user_id):
            return records
        user = self.user(user_id or "")
        assert user is not None
        sets = self.permission_sets(user)
        return [r for r in records if _rank(self._access(user, sobject, r, sets, 0)) >= 1]

    def is_frozen(self, user_id: str) -> bool:
        return any(
            r.get("UserId") == user_id and r.get("IsFrozen") for r in self._rows("UserLogin")
        )


def add_fields(store: Store, sobject: str, fields: dict[str, str]) -> None:
    """Add fields to a declared object (existing records read them as null)."""
    obj = store.object(sobject)
    extra = build_object(obj.name, fields, label=obj.label, key_prefix=obj.key_prefix)
    for key, field_def in extra.fields.items():
        obj.fields.setdefault(key, field_def)
