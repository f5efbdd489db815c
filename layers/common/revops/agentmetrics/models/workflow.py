"""Payloads of the AgentMetricsImport workflow and of its status."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from revops.agentmetrics.models.base import (
    ID_PATTERN,
    IMPORT_ID_PATTERN,
    WireModel,
)
from revops.agentmetrics.models.bookings import AgentUpdate
from revops.agentmetrics.models.validation import ValidationReport
from revops.agentmetrics.periods import (
    PERIOD_PATTERN,
)


class ImportStarted(WireModel):
    import_id: str
    execution_arn: str
    status_url: str
    client_id: str
    total_months: int


class MonthItem(WireModel):
    period: str
    skip: bool


class ImportPlan(WireModel):
    """What the plan step hands to the Map: one item per month."""

    import_id: str
    client_id: str
    batch_size: int
    include_eleven_labs: bool = Field(alias="includeElevenLabs")
    include_appointments: bool
    months: list[MonthItem]


class PlanRequest(WireModel):
    """The plan step's event: the execution's name and ARN, and the workflow input."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    import_id: str = Field(pattern=IMPORT_ID_PATTERN)
    execution_arn: str | None = None
    input: dict[str, Any]


class MonthTask(WireModel):
    """One month's ElevenLabs or GoHighLevel task."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    import_id: str | None = Field(None, pattern=IMPORT_ID_PATTERN)
    client_id: str = Field(pattern=ID_PATTERN)
    period: str = Field(pattern=PERIOD_PATTERN)


class SummarizeRequest(WireModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    import_id: str = Field(pattern=IMPORT_ID_PATTERN)
    error: dict[str, Any] | None = None


class CallValues(WireModel):
    """The ElevenLabs part of an agent's month."""

    inbound_calls: int
    outbound_calls: int
    web_calls: int
    total_calls: int
    total_duration: int
    average_duration: float


class CallsMonthResult(WireModel):
    period: str
    conversations: int
    details_fetched: int
    agents: dict[str, CallValues]


class BookingsMonthResult(WireModel):
    period: str
    total_appointments: int
    total_confirmed_bookings: int
    agent_updates: dict[str, AgentUpdate]


class MonthResult(WireModel):
    period: str
    status: Literal["pending", "success", "error", "skipped"]
    eleven_labs: CallsMonthResult | None = Field(None, alias="elevenLabs")
    appointments: BookingsMonthResult | None = None
    error: str | None = None
    cause: str | None = None
    finished_at: str | None = None


class ImportSummary(WireModel):
    """The import's result: the seed's `totalMonths`, `successfulMonths`, `errorMonths`."""

    import_id: str
    client_id: str
    start_date: str
    end_date: str
    status: Literal["completed", "completed_with_errors", "failed"]
    total_months: int
    successful_months: int
    error_months: int
    skipped_months: int
    results: list[MonthResult]
    validation: ValidationReport | None = None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


class ImportStatus(WireModel):
    """GET /admin/bootstrap/imports/{executionId}: progress while running; once done, the
    seed's `totalMonths`, `successfulMonths`, `errorMonths` and per-month `results` are final,
    and `summary` holds the whole summary (with its validation)."""

    import_id: str
    execution_arn: str
    status: str = Field(description="The execution's status: RUNNING, SUCCEEDED, FAILED, ...")
    client_id: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None
    total_months: int = 0
    completed_months: int = 0
    successful_months: int = 0
    error_months: int = 0
    skipped_months: int = 0
    pending_months: int = 0
    results: list[MonthResult] = Field(default_factory=list)
    summary: ImportSummary | None = None
    error: str | None = None
    cause: str | None = None


class MonthlySyncRequest(WireModel):
    """The monthly schedule's event: every client's previous month (in its own zone)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    batch_size: int = Field(3, ge=1, le=12)
    client_ids: list[str] | None = None


class MonthlySyncResult(WireModel):
    started: list[ImportStarted]
    skipped: dict[str, str] = Field(default_factory=dict, description="clientId -> why")
