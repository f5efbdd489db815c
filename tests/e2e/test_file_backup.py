"""FileBackup end to end: the real ASL and handlers on moto, the fake org and the file host.

Each test asserts on what a user would check afterwards: the objects in the
backup bucket (bytes and SHA-256), the tracking items, the errors and the run.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local import demo_data
from local.stack import LocalStack
from revops.store.migration import MigrationStore


@dataclass
class Seeded:
    stack: LocalStack
    docs: list[demo_data.DocumentSpec]
    ids: dict[str, str]  # doc key -> DocListEntry__c Id
    account_ids: dict[str, str]

    @property
    def store(self) -> MigrationStore:
        return MigrationStore(self.stack.physical_name("TrackingTable"), "us-east-1")

    @property
    def backup_bucket(self) -> str:
        return self.stack.physical_name("BackupBucket")

    def healthy(self) -> list[demo_data.DocumentSpec]:
        return [d for d in self.docs if d.fault in (None, "no_account")]

    def backup_objects(self) -> dict[str, Any]:
        s3 = self.stack.client("s3")
        objects: dict[str, Any] = {}
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.backup_bucket):
            for version in page.get("Versions", []):
                objects.setdefault(version["Key"], []).append(version)
        return objects

    def read_backup(self, key: str) -> bytes:
        body = self.stack.client("s3").get_object(Bucket=self.backup_bucket, Key=key)["Body"]
        return bytes(body.read())

    def run(self, payload: dict[str, Any], name: str) -> Any:
        result = self.stack.run("FileBackupStateMachine", payload, name=name, timeout=300)
        assert result.succeeded, (result.error, result.cause)
        return result.output


@pytest.fixture
def seeded(stack: LocalStack) -> Iterator[Seeded]:
    org = demo_data.generate_org(weeks=8)
    account_ids = demo_data.load_org(stack.org, org)
    docs = demo_data.generate_documents(accounts=org.accounts, count=80)
    ids = demo_data.load_documents(
        stack.org, stack.client("s3"), stack.parameters["SourceBucketName"], docs, account_ids
    )
    cdn = demo_data.serve_cdn(docs)
    yield Seeded(stack, docs, ids, account_ids)
    cdn.uninstall()


def test_full_backup_copies_every_readable_file_with_its_checksum(seeded: Seeded) -> None:
    summary = seeded.run({"mode": "full"}, "full-1")

    healthy = seeded.healthy()
    assert summary["status"] == "completed_with_errors"  # the planted faults
    assert summary["totals"]["successful"] == len(healthy)
    assert summary["totals"]["new"] == len(healthy)
    faults = demo_data.faults(seeded.docs)
    assert summary["errorsByType"] == {
        "invalid_url": len(faults["null_url"]) + len(faults["malformed_url"]),
        "not_found": len(faults["missing_object"]),
    }
    store = seeded.store
    for doc in healthy:
        item = store.file(seeded.ids[doc.key])
        assert item is not None and item.status == "backed_up", doc.key
        data = seeded.read_backup(item.your_s3_key or "")
        expected = demo_data.document_content(doc)
        assert data == expected, doc.key
        assert item.file_hash == hashlib.sha256(expected).hexdigest()
        assert item.file_size_bytes == len(expected)
        assert item.migration_phase == 1 and item.salesforce_updated is False
        assert item.original_url == doc.url
        assert (item.your_s3_key or "").startswith("uploads/")
    # Errors are recorded per record with the URL, and visible in the run record.
    errors = list(store.errors_for_run("full-1"))
    assert {e.doclist_entry_id for e in errors} == {
        seeded.ids[d.key]
        for d in seeded.docs
        if d.fault in ("null_url", "malformed_url", "missing_object")
    }
    run = store.run("full-1")
    assert run is not None and run.status == "completed_with_errors"
    assert run.successful_files == len(healthy)


def test_duplicate_names_in_one_account_never_overwrite_each_other(seeded: Seeded) -> None:
    seeded.run({"mode": "full"}, "dupes")
    store = seeded.store
    keys = [store.file(seeded.ids[d.key]) for d in seeded.healthy()]
    dest_keys = [k.your_s3_key for k in keys if k is not None]
    assert len(dest_keys) == len(set(dest_keys)), "two records share one object"
    duplicated = [d for d in seeded.docs if "duplicate" in d.name_tags]
    assert len(duplicated) >= 2
    objects = seeded.backup_objects()
    assert all(len(versions) == 1 for versions in objects.values())


def test_rerun_of_a_full_backup_copies_nothing_again(seeded: Seeded) -> None:
    seeded.run({"mode": "full"}, "first")
    before = seeded.backup_objects()

    summary = seeded.run({"mode": "full"}, "second")

    assert summary["totals"]["skipped"] == len(seeded.healthy())
    assert summary["totals"]["new"] == 0 and summary["totals"]["bytes"] == 0
    assert seeded.backup_objects() == before  # no new versions anywhere


def test_incremental_backup_copies_only_new_and_changed_records(seeded: Seeded) -> None:
    seeded.run({"mode": "full"}, "base")
    org, s3 = seeded.stack.org, seeded.stack.client("s3")
    source = seeded.stack.parameters["SourceBucketName"]
    healthy = [d for d in seeded.healthy() if d.url_style != "plain_https"]
    changed, deleted = healthy[0], healthy[1]
    # A changed file: new bytes at the same URL, and the record touched.
    s3.put_object(Bucket=source, Key=changed.source_key, Body=b"version two")
    org.advance_clock(__import__("datetime").timedelta(minutes=5))
    org.update("DocListEntry__c", seeded.ids[changed.key], {"Name": "touched"})
    org.delete("DocListEntry__c", seeded.ids[deleted.key])
    s3.put_object(Bucket=source, Key="late/new file.pdf", Body=b"brand new")
    new_id = org.insert(
        "DocListEntry__c",
        {
            "Name": "New",
            "Document__c": f"s3://{source}/late/new file.pdf",
            "Account__c": seeded.account_ids[changed.account_key or ""],
        },
    )

    summary = seeded.run({"mode": "incremental"}, "incr")

    assert summary["plan"]["new"] == 1
    assert summary["plan"]["changed"] == 1
    assert summary["totals"]["new"] == 1 and summary["totals"]["updated"] == 1
    store = seeded.store
    new_item = store.file(new_id)
    assert new_item is not None and seeded.read_backup(new_item.your_s3_key or "") == b"brand new"
    changed_item = store.file(seeded.ids[changed.key])
    assert changed_item is not None
    assert seeded.read_backup(changed_item.your_s3_key or "") == b"version two"
    # The old bytes are still there as a previous version: nothing is lost.
    versions = seeded.backup_objects()[changed_item.your_s3_key]
    assert len(versions) == 2
    # The deleted record keeps its backup and tracking.
    assert store.file(seeded.ids[deleted.key]) is not None


def test_dry_run_plans_and_copies_nothing(seeded: Seeded) -> None:
    summary = seeded.run({"mode": "full", "dryRun": True, "allowedExtensions": [".pdf"]}, "dry")

    assert summary["dryRun"] is True and summary["status"] in ("completed", "completed_with_errors")
    plan = summary["plan"]
    pdfs = [d for d in seeded.docs if d.extension.lower() == ".pdf"]  # matching ignores case
    assert plan["selected"] == len(pdfs)
    assert plan["filtered"] == len(seeded.docs) - len(pdfs)
    assert seeded.backup_objects() == {}
    assert list(seeded.store.all_files()) == []
    assert list(seeded.store.errors_for_run("dry")) == []
    plan_csv = (
        seeded.stack.client("s3")
        .get_object(Bucket=seeded.stack.physical_name("WorkBucket"), Key="backup/dry/plan.csv")[
            "Body"
        ]
        .read()
        .decode()
    )
    rows = list(csv.DictReader(io.StringIO(plan_csv)))
    # Every record with its fate: the ones to copy, and the ones the filter leaves out.
    assert len(rows) == len(seeded.docs)
    assert sum(row["reason"] == "filtered" for row in rows) == len(seeded.docs) - len(pdfs)
    assert all(row["destKey"] for row in rows if row["reason"] != "filtered")


def test_single_account_backup_touches_only_that_account(seeded: Seeded) -> None:
    account_key = next(d.account_key for d in seeded.healthy() if d.account_key)
    account_id = seeded.account_ids[account_key or ""]
    mine = [d for d in seeded.docs if d.account_key == account_key]

    summary = seeded.run({"mode": "full", "accountId": account_id}, "one-account")

    assert summary["plan"]["scanned"] == len(mine)
    assert all(k.startswith(f"uploads/{account_id}/") for k in seeded.backup_objects())


@pytest.mark.parametrize(
    "payload, problem",
    [
        ({"mode": "sometimes"}, "mode"),
        ({"maxConcurrency": 0}, "maxConcurrency"),
        ({"accountId": "not-an-id"}, "accountId"),
        ({"maxFileSizeMb": -1}, "maxFileSizeMb"),
        ({"allowedExtensions": []}, "allowedExtensions"),
        ({"unexpected": True}, "unexpected"),
    ],
)
def test_invalid_input_is_rejected_before_any_work(
    stack: LocalStack, payload: dict[str, Any], problem: str
) -> None:
    result = stack.run("FileBackupStateMachine", payload, name=f"bad-{problem}")

    assert result.status == "FAILED"
    assert result.error == "InvalidInputError"
    assert problem in (result.cause or "")
    store = MigrationStore(stack.physical_name("TrackingTable"), "us-east-1")
    assert store.runs() == []
