"""Migration status views, readiness, export and the HTML page, on a moto table
built from template.yaml's TrackingTable and filled through MigrationStore."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.stack import create_table
from local.template import REPO_ROOT, load_template, resources_of_type
from revops.errors import ConfigurationError
from revops.integrations.objects import DocumentStore
from revops.migration import status
from revops.store.migration import ErrorItem, FileItem, MigrationStore, RunItem

REGION = "us-east-1"
TABLE = "status-tracking"
WORK_BUCKET = "status-work"
DASHBOARDS_BUCKET = "status-dashboards"
ACME = "001000000000001AAA"
CAFE = "001000000000002AAA"
CAFE_NAME = "Café 🚀 <Ünïcode> & Co"
HOSTILE = "<script>alert('x')</script> 404 & \"quoted\""
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        table = resources_of_type(load_template(), "AWS::DynamoDB::Table")["TrackingTable"]
        create_table(boto3.client("dynamodb", region_name=REGION), TABLE, table["Properties"])
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=WORK_BUCKET)
        s3.create_bucket(Bucket=DASHBOARDS_BUCKET)
        yield


@pytest.fixture
def store(aws: None) -> MigrationStore:
    return MigrationStore(TABLE, REGION)


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def file_item(store: MigrationStore, record_id: str, **fields: Any) -> FileItem:
    fields.setdefault("status", "backed_up")
    fields.setdefault("migration_phase", 1)
    return store.new_file_item(record_id, **fields)


def add_run(
    store: MigrationStore,
    run_id: str,
    run_type: str,
    status_: str,
    start: str,
    end: str | None = None,
    **counts: Any,
) -> RunItem:
    run = store.start_run(run_id, run_type, {}, None)
    run.start_time = start
    run.gsi1sk = f"{start}#{run_id}"  # pin the order in gsi1 `RUNS`
    run.status = status_
    run.end_time = end
    for name, value in counts.items():
        setattr(run, name, value)
    store.save_run(run)
    return run


def error_item(
    store: MigrationStore, run_id: str, record_id: str, error_type: str, when: str, message: str
) -> ErrorItem:
    error = store.new_error(
        run_id, record_id, error_type, message, f"https://cdn.example/{record_id}"
    )
    error.timestamp = when  # pin the order in gsi1 `ERRORS`
    error.gsi1sk = f"{when}#{record_id}"
    return error


def populate(store: MigrationStore) -> None:
    """8 tracked files in 3 accounts: 6 backup only, 1 migrated, 1 failed; 2 runs; 4 errors."""
    acme = {"account_id": ACME, "account_name": "Acme Corp"}
    cafe = {"account_id": CAFE, "account_name": CAFE_NAME, "file_size_bytes": 1000}
    store.save_files(
        [
            file_item(store, "acme-1", file_size_bytes=100, **acme),
            file_item(store, "acme-2", file_size_bytes=200, **acme),
            file_item(store, "acme-3", file_size_bytes=300, **acme),
            file_item(store, "acme-4", file_size_bytes=400, migration_phase=2, **acme),
            file_item(store, "acme-bad", status="failed", last_error_type="not_found", **acme),
            file_item(store, "cafe-1", **cafe),
            file_item(store, "cafe-2", **cafe),
            file_item(store, "orphan-1", file_size_bytes=50),  # a record without an account
        ]
    )

    add_run(
        store, "full-1", "backup_full", "completed_with_errors",
        "2025-01-01T01:00:00.000Z", "2025-01-01T02:30:15.000Z",
        total_files_processed=9, successful_files=7, failed_files=2, new_files=7,
        bytes_copied=2650,
    )  # fmt: skip
    add_run(
        store, "incr-2", "backup_incremental", "completed",
        "2025-01-02T01:00:00.000Z", "2025-01-02T01:00:45.500Z",
        total_files_processed=3, successful_files=2, failed_files=1, updated_files=1,
        skipped_files=1, bytes_copied=400,
    )  # fmt: skip

    store.save_errors(
        [
            error_item(store, "full-1", "acme-1", "download_error", "2025-01-01T01:10:00.000Z", "reset"),
            error_item(store, "full-1", "acme-bad", "not_found", "2025-01-01T01:20:00.000Z", HOSTILE),
            error_item(store, "incr-2", "acme-bad", "not_found", "2025-01-02T01:00:10.000Z", HOSTILE),
            error_item(store, "incr-2", "skipped-1", "filtered", "2025-01-02T01:00:20.000Z", ".exe"),
        ]
    )  # fmt: skip


@pytest.fixture
def populated(store: MigrationStore) -> MigrationStore:
    populate(store)
    return store


# ---------------------------------------------------------------------- views


def test_overview_counts_phases_failures_bytes_and_the_last_run(populated: MigrationStore) -> None:
    view = status.overview(populated)

    assert (view.total_files, view.backup_only, view.fully_migrated, view.failed) == (8, 6, 1, 1)
    assert view.success_rate == 87.5
    assert view.bytes_backed_up == 100 + 200 + 300 + 400 + 2 * 1000 + 50
    assert view.last_run is not None
    assert (view.last_run.run_id, view.last_run.run_type, view.last_run.status) == (
        "incr-2",
        "backup_incremental",
        "completed",
    )
    assert view.last_run.duration_seconds == 45.5


def test_overview_of_a_fresh_install_is_all_zero(store: MigrationStore) -> None:
    view = status.overview(store)
    assert view.total_files == 0 and view.success_rate is None and view.last_run is None


def test_runs_are_newest_first_with_the_seed_columns_duration_and_bytes(
    populated: MigrationStore,
) -> None:
    rows = status.runs(populated, limit=10)

    assert [r.run_id for r in rows] == ["incr-2", "full-1"]
    full = rows[1].model_dump(by_alias=True)
    assert full == {
        "runId": "full-1",
        "runType": "backup_full",
        "status": "completed_with_errors",
        "startTime": "2025-01-01T01:00:00.000Z",
        "endTime": "2025-01-01T02:30:15.000Z",
        "durationSeconds": 5415.0,
        "totalFilesProcessed": 9,
        "successfulFiles": 7,
        "failedFiles": 2,
        "newFiles": 7,
        "updatedFiles": 0,
        "skippedFiles": 0,
        "bytesCopied": 2650,
        "errorMessage": None,
    }
    assert [r.run_id for r in status.runs(populated, limit=1)] == ["incr-2"]


def test_accounts_are_ranked_by_files_with_phase_and_failure_counts(
    populated: MigrationStore,
) -> None:
    rows = status.accounts(populated, limit=10)

    assert [(r.account_id, r.account_name) for r in rows] == [
        (ACME, "Acme Corp"),
        (CAFE, CAFE_NAME),
        (None, None),
    ]
    acme, cafe, orphan = rows
    assert (acme.files, acme.bytes, acme.backup_only, acme.migrated, acme.failed) == (
        5,
        1000,
        3,
        1,
        1,
    )
    assert (cafe.files, cafe.bytes, cafe.backup_only) == (2, 2000, 2)
    assert (orphan.files, orphan.bytes) == (1, 50)
    assert [r.account_id for r in status.accounts(populated, limit=1)] == [ACME]


def test_error_summary_counts_types_and_what_is_still_unresolved(
    populated: MigrationStore,
) -> None:
    summary = status.error_summary(populated)

    assert summary.total_errors == 4
    by_type = {row.error_type: (row.count, row.records, row.unresolved) for row in summary.by_type}
    assert by_type == {
        "not_found": (2, 1, 1),  # two attempts at acme-bad, still failed
        "filtered": (1, 1, 1),  # skipped-1 was never tracked: no backup
        "download_error": (1, 1, 0),  # acme-1 was backed up afterwards
    }
    assert summary.by_type[0].error_type == "not_found"
    assert (summary.failed_files, summary.untracked_records, summary.unresolved_records) == (
        1,
        1,
        2,
    )


def test_recent_errors_are_newest_first_with_run_record_type_message_and_url(
    populated: MigrationStore,
) -> None:
    rows = status.recent_errors(populated, limit=2)

    assert [(r.run_id, r.record_id, r.error_type) for r in rows] == [
        ("incr-2", "skipped-1", "filtered"),
        ("incr-2", "acme-bad", "not_found"),
    ]
    assert rows[1].message == HOSTILE
    assert rows[1].url == "https://cdn.example/acme-bad"
    assert rows[1].timestamp == "2025-01-02T01:00:10.000Z"


# ---------------------------------------------------------------------- readiness


def test_readiness_passes_with_a_completed_backup_and_few_failures(
    populated: MigrationStore,
) -> None:
    result = status.readiness(populated, max_unresolved_ratio=0.25)

    assert result.ready is True and result.reasons == []
    assert (result.total_files, result.failed_files, result.unresolved_records) == (8, 1, 2)
    assert result.unresolved_ratio == 0.25
    assert result.last_completed_backup is not None
    assert result.last_completed_backup.run_id == "incr-2"


def test_readiness_blocks_when_unresolved_records_exceed_the_threshold(
    populated: MigrationStore,
) -> None:
    result = status.readiness(populated)  # default: 1% of tracked files

    assert result.ready is False
    assert len(result.reasons) == 1
    reason = result.reasons[0]
    assert reason.startswith(
        "2 records without a backup (1 tracked file failed to back up; 1 record with errors "
        "never tracked): 25.00% of 8 tracked files, above the 1.00% allowed "
        "(maxUnresolvedRatio 0.01). "
    )
    # Each kind names its records and what to do about them.
    assert "1 record has no backup (not_found): acme-bad. To fix: restore each file" in reason
    assert "1 record has no backup (filtered): skipped-1. To fix:" in reason
    assert reason.endswith("records without a backup keep their original URLs.")


def test_readiness_blocks_on_a_fresh_install(store: MigrationStore) -> None:
    result = status.readiness(store)

    assert result.ready is False
    assert result.reasons == [
        "No backup run has completed in the last 90 days: run a full backup before phase 2.",
        "No files are tracked yet, so there is nothing to migrate.",
    ]
    assert result.last_completed_backup is None


def test_readiness_ignores_dry_runs_and_failed_runs(store: MigrationStore) -> None:
    store.save_files([file_item(store, "a-1", account_id=ACME, file_size_bytes=1)])
    add_run(store, "dry", "backup_full_dry_run", "completed", "2025-01-01T00:00:00.000Z", "2025-01-01T00:01:00.000Z")  # fmt: skip
    add_run(store, "boom", "backup_full", "failed", "2025-01-01T01:00:00.000Z", "2025-01-01T01:01:00.000Z")  # fmt: skip

    result = status.readiness(store)

    assert result.ready is False
    assert [r for r in result.reasons if r.startswith("No backup run has completed")]
    assert len(result.reasons) == 1


def test_readiness_blocks_while_a_run_is_running(populated: MigrationStore) -> None:
    add_run(populated, "live-3", "backup_incremental", "running", "2025-01-03T01:00:00.000Z")

    result = status.readiness(populated, max_unresolved_ratio=0.5)

    assert result.ready is False
    assert result.running_runs == ["live-3"]
    assert result.reasons == [
        "A run is still running: live-3 (backup_incremental, started "
        "2025-01-03T01:00:00.000Z). Wait for it to finish."
    ]
    assert result.last_completed_backup is not None
    assert result.last_completed_backup.run_id == "incr-2"


# ---------------------------------------------------------------------- report, export, handler


def test_the_full_report_agrees_with_each_view(populated: MigrationStore) -> None:
    full = status.report(populated, status.ReportOptions(), now=NOW)

    assert full.generated_at == "2025-01-02T03:04:05Z"
    assert full.overview == status.overview(populated)  # one scan == the gsi2 counts
    assert full.runs == status.runs(populated)
    assert full.accounts == status.accounts(populated)
    assert full.errors == status.error_summary(populated)
    assert full.recent_errors == status.recent_errors(populated)
    assert full.readiness == status.readiness(populated)


def test_export_writes_the_full_report_as_json_to_the_work_bucket(
    populated: MigrationStore,
) -> None:
    key = status.export_report(populated, DocumentStore(WORK_BUCKET), now=NOW)

    assert key == "status/report-20250102T030405Z.json"
    body = json.loads(s3().get_object(Bucket=WORK_BUCKET, Key=key)["Body"].read())
    assert set(body) == {
        "generatedAt",
        "reconcile",
        "overview",
        "runs",
        "accounts",
        "errors",
        "recentErrors",
        "readiness",
    }
    assert body["reconcile"] is None  # no FileReconcile has run
    assert body["overview"]["totalFiles"] == 8
    assert body["accounts"][1]["accountName"] == CAFE_NAME
    assert body["readiness"]["ready"] is False


def test_view_answers_each_event_shape(populated: MigrationStore) -> None:
    work = DocumentStore(WORK_BUCKET)

    def ask(event: dict[str, Any]) -> dict[str, Any]:
        return status.view(status.StatusRequest.model_validate(event), populated, work)

    assert ask({})["overview"]["totalFiles"] == 8
    assert [r["runId"] for r in ask({"view": "runs", "limit": 1})["runs"]] == ["incr-2"]
    assert len(ask({"view": "accounts", "limit": 2})["accounts"]) == 2
    assert ask({"view": "errors"})["errors"]["unresolvedRecords"] == 2
    assert len(ask({"view": "recent-errors", "limit": 3})["recentErrors"]) == 3
    assert ask({"view": "readiness", "maxUnresolvedRatio": 0.3})["readiness"]["ready"] is True
    everything = ask({"view": "all", "limit": 1})
    assert len(everything["runs"]) == 1 and len(everything["accounts"]) == 1
    exported = ask({"view": "export"})
    assert exported["bucket"] == WORK_BUCKET and exported["key"].startswith("status/report-")
    json.dumps(everything)  # JSON-able as returned
    with pytest.raises(ConfigurationError):
        ask({"view": "publish"})


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_the_handler_answers_an_event(
    populated: MigrationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKING_TABLE", TABLE)
    monkeypatch.setenv("WORK_BUCKET", WORK_BUCKET)
    monkeypatch.setenv("DASHBOARDS_BUCKET", DASHBOARDS_BUCKET)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "RevopsTest")
    monkeypatch.setenv("MAX_UNRESOLVED_RATIO", "0.3")
    path = Path(REPO_ROOT) / "functions" / "migration_status" / "app.py"
    spec = importlib.util.spec_from_file_location("migration_status_app", path)
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    context = SimpleNamespace(
        function_name="status",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:status",
        aws_request_id="req-1",
    )

    answer = app.lambda_handler({"view": "recent-errors", "limit": 1}, context)
    assert [e["recordId"] for e in answer["recentErrors"]] == ["skipped-1"]
    assert app.lambda_handler({"view": "readiness"}, context)["readiness"]["ready"] is True
    strict = app.lambda_handler({"view": "readiness", "maxUnresolvedRatio": 0.01}, context)
    assert strict["readiness"]["ready"] is False
    published = app.lambda_handler({"view": "publish"}, context)
    assert published["key"] == status.STATUS_PAGE_KEY


# ---------------------------------------------------------------------- the page

EXTERNAL = re.compile(r"<link|<script|@import|url\(|<iframe|<img|src=", re.IGNORECASE)


def test_the_page_escapes_data_and_loads_nothing_from_elsewhere(
    populated: MigrationStore,
) -> None:
    html = status.render_status_page(status.report(populated, now=NOW).model_dump(by_alias=True))

    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 404 &amp; &#34;quoted&#34;" in html
    assert "Café 🚀 &lt;Ünïcode&gt; &amp; Co" in html
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    # The only web addresses on the page are the error rows' source URLs.
    assert set(re.findall(r"https?://[^\s<\"']+", html)) == {
        "https://cdn.example/skipped-1",
        "https://cdn.example/acme-bad",
        "https://cdn.example/acme-1",
    }
    assert "<svg" in html and 'class="segment-backup_only"' in html
    assert 'class="segment-failed"' in html and 'class="bar-ok"' in html
    for section in ("overview", "progress", "readiness", "runs", "accounts", "errors"):
        assert f'id="{section}"' in html
    assert "Acme Corp" in html and "87.5%" in html and "2025-01-02 03:04:05 UTC" in html


def test_the_page_renders_a_fresh_install(store: MigrationStore) -> None:
    html = status.render_status_page(status.report(store, now=NOW))

    assert "No runs yet." in html and "No files tracked yet." in html and "No errors." in html
    assert "<svg" in html and "segment-" not in html
    assert "Not ready" in html
    assert not EXTERNAL.search(html)
    assert "http://" not in html and "https://" not in html


def test_publish_writes_the_page_and_its_json_to_the_dashboards_bucket(
    populated: MigrationStore,
) -> None:
    key = status.publish_status_page(populated, DocumentStore(DASHBOARDS_BUCKET), now=NOW)

    assert key == "migration/status.html"
    page = s3().get_object(Bucket=DASHBOARDS_BUCKET, Key=key)
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert CAFE_NAME.replace("<", "&lt;").replace(">", "&gt;").replace(" & ", " &amp; ") in (
        page["Body"].read().decode("utf-8")
    )
    data = s3().get_object(Bucket=DASHBOARDS_BUCKET, Key="migration/status.json")
    assert json.loads(data["Body"].read())["generatedAt"] == "2025-01-02T03:04:05Z"
