"""The status views' models and settings: camelCase on the wire, like every migration document."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from revops.migration.models import ApiModel
from revops.migration.settings import MigrationSettings

DEFAULT_RUNS = 10


DEFAULT_ACCOUNTS = 10


DEFAULT_RECENT_ERRORS = 20


DEFAULT_MAX_UNRESOLVED_RATIO = 0.01


STATUS_PAGE_KEY = "migration/status.html"


STATUS_JSON_KEY = "migration/status.json"


COMPLETED = ("completed", "completed_with_errors")


View = Literal[
    "overview",
    "runs",
    "accounts",
    "errors",
    "recent-errors",
    "readiness",
    "export",
    "all",
    "publish",
    "access",
]


class StatusSettings(MigrationSettings):
    """The status function's settings: the migration's, plus where the page goes and
    the readiness threshold (both also read by the cutover and finalize steps)."""

    dashboards_bucket: str = ""
    max_unresolved_ratio: float = DEFAULT_MAX_UNRESOLVED_RATIO
    audit_table: str = ""  # the `access` view (documents opened and refused)


class StatusModel(BaseModel):
    """camelCase on the wire, like every other migration document."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RunRow(StatusModel):
    """One run: the seed's migration_runs columns, plus duration and bytes."""

    run_id: str
    run_type: str
    status: str
    start_time: str
    end_time: str | None = None
    duration_seconds: float | None = None
    total_files_processed: int = 0
    successful_files: int = 0
    failed_files: int = 0
    new_files: int = 0
    updated_files: int = 0
    skipped_files: int = 0
    bytes_copied: int = 0
    error_message: str | None = None


class Overview(StatusModel):
    total_files: int
    backup_only: int  # phase 1, backed up
    fully_migrated: int  # phase 2
    failed: int  # no backup
    excluded: int = 0  # left out by the backup policy: decided, keep their original URLs
    success_rate: float | None  # % of tracked files with a backup; None before any
    bytes_backed_up: int
    last_run: RunRow | None = None


class AccountRow(StatusModel):
    account_id: str | None
    account_name: str | None
    files: int
    bytes: int
    backup_only: int
    migrated: int
    failed: int
    excluded: int = 0


class ErrorTypeRow(StatusModel):
    error_type: str
    count: int  # retained error items of this type
    records: int  # distinct records among them
    unresolved: int  # records of this type that still have no backup


class ErrorSummary(StatusModel):
    total_errors: int
    failed_files: int  # tracked, status failed
    untracked_records: int  # errors for records never tracked (e.g. filtered, too large)
    unresolved_records: int  # failed_files + untracked_records
    by_type: list[ErrorTypeRow]
    # error type -> the first unresolved record ids (sorted), to name them in refusals
    unresolved_sample: dict[str, list[str]] = Field(default_factory=dict)


class ErrorRow(StatusModel):
    timestamp: str
    run_id: str
    record_id: str
    error_type: str
    message: str
    url: str | None = None


class Readiness(StatusModel):
    """Whether phase 2 may start. `reasons` says, in sentences, what stands in the way."""

    ready: bool
    reasons: list[str]
    total_files: int
    backup_only: int
    fully_migrated: int
    failed_files: int
    untracked_records: int
    unresolved_records: int
    unresolved_ratio: float
    max_unresolved_ratio: float
    excluded_records: int = 0  # left out by the backup policy: keep their original URLs
    unresolved_by_type: dict[str, int] = Field(default_factory=dict)
    unresolved_sample: dict[str, list[str]] = Field(default_factory=dict)
    running_runs: list[str]
    last_completed_backup: RunRow | None = None


class ReconcileRow(StatusModel):
    """The latest reconciliation of the backup bucket against the tracking."""

    run_id: str
    finished: str | None
    objects: int
    orphans: int  # found by that run
    deleted: int
    orphans_key: str | None = None


class StatusReport(StatusModel):
    generated_at: str
    overview: Overview
    runs: list[RunRow]
    accounts: list[AccountRow]
    errors: ErrorSummary
    recent_errors: list[ErrorRow]
    readiness: Readiness
    reconcile: ReconcileRow | None = None  # None until FileReconcile has run


class ReportOptions(StatusModel):
    """How much the full report holds, and the readiness threshold."""

    runs_limit: int = Field(DEFAULT_RUNS, ge=1)
    accounts_limit: int = Field(DEFAULT_ACCOUNTS, ge=1)
    errors_limit: int = Field(DEFAULT_RECENT_ERRORS, ge=1)
    max_unresolved_ratio: float = Field(DEFAULT_MAX_UNRESOLVED_RATIO, ge=0, le=1)


class StatusRequest(ApiModel):
    """The status function's event: `{"view": "recent-errors", "limit": 20}`."""

    view: View = "overview"
    limit: int | None = Field(None, ge=1, le=1000)
    # None: the configured threshold (`MAX_UNRESOLVED_RATIO`, default 1%)
    max_unresolved_ratio: float | None = Field(None, alias="maxUnresolvedRatio", ge=0, le=1)
    # the `access` view: one account, [since, until) (default: last calendar month, UTC)
    account_id: str | None = Field(None, alias="accountId", pattern=r"^[A-Za-z0-9]{15,18}$")
    since: date | None = None
    until: date | None = None
