"""Inputs and outputs of the Velocity workflow's tasks, and the history entry.

Workflow documents are camelCase on the wire (like every other workflow here);
the history entry keeps the old scripts' snake_case JSON shape exactly.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from revops.velocity.weeks import Week

MAX_BACKFILL_WEEKS = 104
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WEEK_KEY = re.compile(r"^\d{4}-\d{2}$")


class ApiModel(BaseModel):
    """camelCase on the wire (workflow JSON), snake_case in Python."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


def iso_date(value: Any) -> Any:
    """Accept only a real calendar date written YYYY-MM-DD (not numbers, not datetimes)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return date.fromisoformat(value)  # ValueError for 2025-02-30


# ---------------------------------------------------------------------- input


class BackfillInput(ApiModel):
    start_date: date = Field(alias="startDate")
    weeks: int = Field(alias="weeks", strict=True, ge=1, le=MAX_BACKFILL_WEEKS)

    @field_validator("start_date", mode="before")
    @classmethod
    def _start(cls, value: Any) -> Any:
        return iso_date(value)


class VelocityInput(ApiModel):
    """The workflow's input: `{"asOf": null, "skipBoca": false, "skipPipeline": false,
    "backfill": {"startDate": "2025-11-03", "weeks": 12}}`; every field is optional."""

    as_of: date | None = Field(None, alias="asOf")
    skip_boca: bool = Field(False, alias="skipBoca", strict=True)
    skip_pipeline: bool = Field(False, alias="skipPipeline", strict=True)
    backfill: BackfillInput | None = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, value: Any) -> Any:
        return None if value is None else iso_date(value)

    @model_validator(mode="after")
    def _something_to_do(self) -> Self:
        if self.skip_boca and self.skip_pipeline:
            raise ValueError("skipBoca and skipPipeline are both true: nothing to run")
        return self


class PlanRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1, max_length=80)
    input: dict[str, Any] | None = None


# ---------------------------------------------------------------------- plan


class WeekRef(ApiModel):
    """One reported week: its key and its first and last day."""

    week_key: str = Field(alias="weekKey", pattern=WEEK_KEY.pattern)
    start: date
    end: date

    @classmethod
    def of(cls, week: Week) -> WeekRef:
        return cls(week_key=week.key, start=week.start, end=week.end)

    @property
    def week(self) -> Week:
        return Week(self.start)


class ReportPlan(ApiModel):
    run: bool
    config: dict[str, Any]


class Plan(ApiModel):
    run_id: str = Field(alias="runId")
    as_of: date = Field(alias="asOf")
    generated_at: str = Field(alias="generatedAt")
    time_zone: str = Field(alias="timeZone")
    week_start: str = Field(alias="weekStart")
    weeks: list[WeekRef]  # newest first: the weekly week and every backfill week
    weekly_week: str = Field(alias="weeklyWeek")
    backfill_weeks: list[str] = Field(alias="backfillWeeks")
    history_weeks: int = Field(alias="historyWeeks")
    reports: dict[str, ReportPlan]


# ---------------------------------------------------------------------- fetch


class FetchRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    report: Literal["boca", "pipeline"]
    config: dict[str, Any]
    weeks: list[WeekRef] = Field(min_length=1)


class ApiCalls(ApiModel):
    """Salesforce API calls one task made, and the org's counter around them
    (`Sforce-Limit-Info: api-usage=used/limit`, as first and last seen)."""

    calls: int = 0
    first_used: int | None = Field(None, alias="firstUsed")
    last_used: int | None = Field(None, alias="lastUsed")
    limit: int | None = None


class FetchResult(ApiModel):
    report: str
    bucket: str
    data_key: str = Field(alias="dataKey")
    weeks: list[WeekRef]
    range_start: date = Field(alias="rangeStart")
    range_end: date = Field(alias="rangeEnd")
    reps: int
    api: ApiCalls
    definitions: dict[str, Any] = Field(default_factory=dict)  # metric -> what it counts


# ---------------------------------------------------------------------- compute


class ComputeRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    report: Literal["boca", "pipeline"]
    bucket: str = Field(min_length=1)
    data_key: str = Field(alias="dataKey", min_length=1)
    generated_at: str = Field(alias="generatedAt", min_length=1)
    as_of: date | None = Field(None, alias="asOf")
    week: WeekRef


class WeekOutcome(ApiModel):
    """One week of one report: written, or failed with the error Step Functions caught."""

    week_key: str = Field(alias="weekKey")
    status: Literal["ok", "failed"]
    reps: int | None = None
    error: str | None = None
    cause: str | None = None


# ---------------------------------------------------------------------- publish


class BranchResult(ApiModel):
    """What one Parallel branch hands to the publish step."""

    report: Literal["boca", "pipeline"]
    status: Literal["ran", "skipped", "failed"]
    fetched: FetchResult | None = None
    weeks: list[WeekOutcome] = Field(default_factory=list)
    error: str | None = None
    cause: str | None = None


class PublishRequest(ApiModel):
    plan: Plan
    reports: list[BranchResult]


class FailedWeek(ApiModel):
    week_key: str = Field(alias="weekKey")
    error: str
    message: str


class ReportSummary(ApiModel):
    status: Literal["completed", "completed_with_errors", "failed", "skipped"]
    weeks_written: list[str] = Field(default_factory=list, alias="weeksWritten")
    failed_weeks: list[FailedWeek] = Field(default_factory=list, alias="failedWeeks")
    history_weeks: list[str] = Field(default_factory=list, alias="historyWeeks")
    pruned_weeks: list[str] = Field(default_factory=list, alias="prunedWeeks")
    reps: int | None = None
    api_calls: int = Field(0, alias="apiCalls")
    files: list[str] = Field(default_factory=list)
    definitions: list[str] = Field(default_factory=list)  # "metric: what it counts"
    definition_changes: list[dict[str, Any]] = Field(
        default_factory=list, alias="definitionChanges"
    )
    in_progress_weeks: list[str] = Field(default_factory=list, alias="inProgressWeeks")
    error: str | None = None
    message: str | None = None


class SalesforceUsage(ApiModel):
    """API calls for this run, against what the old scripts needed."""

    calls: dict[str, int]
    total_calls: int = Field(alias="totalCalls")
    org_counter_delta: int | None = Field(None, alias="orgCounterDelta")
    daily_limit: int | None = Field(None, alias="dailyLimit")
    weeks: int
    old_scripts_report_runs: int = Field(alias="oldScriptsReportRuns")


class Summary(ApiModel):
    run_id: str = Field(alias="runId")
    status: Literal["completed", "completed_with_errors", "failed"]
    as_of: date = Field(alias="asOf")
    generated_at: str = Field(alias="generatedAt")
    weekly_week: str = Field(alias="weeklyWeek")
    weeks: list[str]
    backfill_weeks: list[str] = Field(alias="backfillWeeks")
    reports: dict[str, ReportSummary]
    failed_weeks: list[str] = Field(alias="failedWeeks")
    definition_changes: list[str] = Field(default_factory=list, alias="definitionChanges")
    salesforce: SalesforceUsage
    dashboards: dict[str, Any]
    error: str | None = None
    message: str | None = None


# ---------------------------------------------------------------------- import


class ImportRequest(ApiModel):
    """Import an old `*_velocity_history.json` (uploaded to the work bucket)."""

    report: Literal["boca", "pipeline"]
    key: str = Field(min_length=1)
    bucket: str | None = None
    overwrite: bool = False


class ImportResult(ApiModel):
    report: str
    source: str
    imported: list[str]
    skipped: list[str]
    files: list[str]
