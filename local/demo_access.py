"""Who may open what, in the demo org: people who sign in, and the sharing that decides for them.

`set_up_people(org)` adds four users with passwords for the fake login page,
a role hierarchy, a public group and the dashboard permission set;
`share_documents(org, people, records, shared_account)` makes
`DocListEntry__c` private (organization-wide default Private), gives every
record to Avery, and shares one account's records with the Finance group:

| person          | role / groups            | documents                       | dashboards |
|-----------------|--------------------------|---------------------------------|------------|
| Avery Owner     | Rep                      | all (owner)                     | no         |
| Casey Manager   | VP Sales (above Rep)     | all (role hierarchy)            | yes (permission set) |
| Drew Finance    | Finance group            | the shared account's only       | no         |
| Blake Outsider  | none                     | none                            | no         |

`seed_documents(stack, ...)` puts migrated documents straight into the backup
bucket and the tracking table (for tests that are about opening documents,
not about migrating them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from revops.access.links import document_link
from revops.store.migration import MigrationStore

PASSWORD = "demo-Passw0rd!"
DASHBOARD_PERMISSION_SET = "Revops_Dashboards"
FINANCE_GROUP = "Finance"


@dataclass(frozen=True)
class Person:
    key: str
    name: str

    @property
    def username(self) -> str:
        return f"{self.key}@revops.example"


AVERY = Person("avery", "Avery Owner")
CASEY = Person("casey", "Casey Manager")
DREW = Person("drew", "Drew Finance")
BLAKE = Person("blake", "Blake Outsider")
PEOPLE = (AVERY, CASEY, DREW, BLAKE)


@dataclass
class People:
    ids: dict[str, str]  # person key -> User Id
    finance_group: str
    dashboards: str  # permission set Id

    def id(self, person: Person) -> str:
        return self.ids[person.key]


def set_up_people(org: Any) -> People:
    sharing = org.sharing
    vp = sharing.add_role("VP Sales")
    rep = sharing.add_role("Rep", vp)
    ids = {}
    for person in PEOPLE:
        user_id = org.add_user(person.name, person.username, username=person.username)
        org.web.set_password(person.username, PASSWORD)
        ids[person.key] = user_id
    org.update("User", ids[AVERY.key], {"UserRoleId": rep})
    org.update("User", ids[CASEY.key], {"UserRoleId": vp})
    finance = sharing.add_group(FINANCE_GROUP, "Finance")
    sharing.add_member(finance, ids[DREW.key])
    dashboards = sharing.add_permission_set(DASHBOARD_PERMISSION_SET, "revops dashboards")
    sharing.assign_permission_set(ids[CASEY.key], dashboards)
    return People(ids, finance, dashboards)


def share_documents(
    org: Any, people: People, records: Mapping[str, str], shared_account: str | None
) -> None:
    """Private documents owned by Avery; `shared_account`'s shared with Finance (a sharing rule)."""
    org.sharing.set_model("DocListEntry__c", "Private")
    for record_id in records.values():
        org.update("DocListEntry__c", record_id, {"OwnerId": people.id(AVERY)})
        record = org.get("DocListEntry__c", record_id)
        if shared_account and record.get("Account__c") == shared_account:
            org.sharing.share(record_id, people.finance_group, "Read", cause="Rule")


@dataclass(frozen=True)
class SeededDocument:
    record_id: str
    account_id: str
    file_name: str
    key: str
    body: bytes
    link: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def seed_documents(
    stack: Any,
    files: Sequence[tuple[str, str, bytes]],
    base_url: str,
) -> list[SeededDocument]:
    """Migrated documents: (account name, file name, bytes) → records holding their stable link."""
    org, s3 = stack.org, stack.client("s3")
    bucket = stack.physical_name("BackupBucket")
    store = MigrationStore(stack.physical_name("TrackingTable"), "us-east-1")
    accounts: dict[str, str] = {}
    seeded, items = [], []
    for account_name, file_name, body in files:
        if account_name not in accounts:
            accounts[account_name] = org.insert("Account", {"Name": account_name})
        account_id = accounts[account_name]
        key = f"uploads/{account_id}/{account_name.replace(' ', '_')}/{file_name}"
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        record_id = org.insert(
            "DocListEntry__c",
            {"Name": file_name, "Account__c": account_id, "File_Name__c": file_name},
        )
        link = document_link(base_url, record_id)
        org.update("DocListEntry__c", record_id, {"Document__c": link})
        items.append(
            store.new_file_item(
                record_id,
                account_id=account_id,
                account_name=account_name,
                original_url=f"s3://external/{file_name}",
                file_name=file_name,
                your_s3_key=key,
                your_s3_url=f"https://{bucket}.s3.amazonaws.com/{key}",
                file_size_bytes=len(body),
                status="backed_up",
                migration_phase=2,
                salesforce_updated=True,
            )
        )
        seeded.append(SeededDocument(record_id, account_id, file_name, key, body, link))
    store.save_files(items)
    return seeded
