"""FileReconcile: every object under uploads/ is either tracked or reported, and
orphans are removed only when asked."""

from __future__ import annotations

from typing import Any

import pytest

from revops.store.migration import MigrationStore
from tests.e2e.migration_org import FILES, Org, backup


def _keys(org: Org) -> set[str]:
    s3 = org.stack.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=org.stack.physical_name("BackupBucket"), Prefix="uploads/"
    )
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def test_a_healthy_backup_has_no_orphans_and_a_moved_record_keeps_its_key(org: Org) -> None:
    backup(org)
    moved = org.ids[0]
    new_account = org.stack.org.insert("Account", {"Name": "Acquirer Ltd"})
    org.stack.org.update("DocListEntry__c", moved, {"Account__c": new_account})
    assert org.run("FileBackupStateMachine", {"mode": "incremental"}, "after-move").succeeded

    result = org.run("FileReconcileStateMachine", {}, "check")

    assert result.succeeded, result.cause
    assert result.output["objects"] == FILES
    assert result.output["orphans"] == 0 and result.output["tracked"] == FILES
    page = (
        org.stack.client("s3")
        .get_object(
            Bucket=org.stack.physical_name("DashboardsBucket"), Key="migration/status.html"
        )["Body"]
        .read()
        .decode()
    )
    assert 'id="orphans"' in page and "0 not tracked by any record" in page


def test_copies_left_by_a_crash_and_a_rename_are_reported_then_removed_when_asked(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = MigrationStore.save_files

    def crash(self: MigrationStore, items: Any) -> int:
        raise RuntimeError("worker lost between the copy and the tracking write")

    monkeypatch.setattr(MigrationStore, "save_files", crash)
    crashed = org.run("FileBackupStateMachine", {"mode": "full"}, "crashed")
    assert crashed.status == "FAILED"
    monkeypatch.setattr(MigrationStore, "save_files", original)
    first_copies = _keys(org)
    assert len(first_copies) == FILES
    renamed = org.ids[:3]
    for record_id in renamed:  # renamed before the rerun: the rerun copies to new keys
        org.stack.org.update("DocListEntry__c", record_id, {"File_Name__c": "renamed.pdf"})
    rerun = org.run("FileBackupStateMachine", {"mode": "incremental"}, "rerun")
    assert rerun.succeeded, rerun.cause

    report = org.run("FileReconcileStateMachine", {}, "report")

    assert report.succeeded, report.cause
    assert report.output["orphans"] == 3 and report.output["deleted"] == 0
    rows = org.work_csv(report.output["orphansKey"])
    assert {row["likelyRecord"] for row in rows} == set(renamed)
    for row in rows:
        item = org.store.file(row["likelyRecord"])
        assert item is not None and row["recordKeyNow"] == item.your_s3_key != row["key"]
        assert "renamed or moved" in row["reason"]
    assert _keys(org) == first_copies | {org.store.file(i).your_s3_key for i in renamed}  # type: ignore[union-attr]

    removed = org.run("FileReconcileStateMachine", {"deleteOrphans": True}, "remove")
    again = org.run("FileReconcileStateMachine", {}, "again")

    assert removed.succeeded and removed.output["deleted"] == 3
    assert again.succeeded and again.output["orphans"] == 0
    assert _keys(org) == {org.store.file(i).your_s3_key for i in org.ids}  # type: ignore[union-attr]


def test_nothing_is_removed_while_a_backup_is_running(org: Org) -> None:
    backup(org)
    org.store.start_run("still-copying", "backup_full", {}, None)

    result = org.run("FileReconcileStateMachine", {"deleteOrphans": True}, "too-soon")

    assert result.status == "FAILED"
    assert result.error == "RunInProgressError"
    assert "still-copying" in (result.cause or "")
