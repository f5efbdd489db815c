"""Models of the voice-agent metrics domain: clients, requests, reports, workflow payloads.

On the wire every name is camelCase (the seed's names: `clientId`, `calId`,
`totalCalls`, ...); in Python it is snake_case. Request models are strict and
closed (`extra="forbid"`): a string where a number belongs, or an unknown
field, is a 422 naming the field, never a silent coercion.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.alias_generators import to_camel

from revops.agentmetrics.periods import (
    DATE_PATTERN,
    PERIOD_PATTERN,
    Period,
    months_between_dates,
    parse_date,
)
from revops.errors import InvalidInputError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
IMPORT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"
DEFAULT_BOOKED_STATUSES = ("confirmed", "showed")
APPOINTMENT_STATUSES = ("new", "confirmed", "cancelled", "showed", "noshow", "invalid")

ClientId = Annotated[str, Field(pattern=ID_PATTERN, description="The client's id.")]
DateText = Annotated[str, Field(pattern=DATE_PATTERN, description="A date, YYYY-MM-DD.")]
PeriodText = Annotated[str, Field(pattern=PERIOD_PATTERN, description="A month, YYYY-MM.")]
Direction = Literal["inbound", "outbound", "web"]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; open to reading either."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class RequestModel(WireModel):
    """Request bodies and workflow inputs: strict types, no unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True
    )


# --------------------------------------------------------------------------- clients


class AgentConfig(RequestModel):
    agent_id: str = Field(pattern=ID_PATTERN, description="ElevenLabs agent id.")
    agent_name: str = Field(min_length=1, max_length=200)


class AttributionConfig(RequestModel):
    """Which appointments count for which agent.

    `by: assignedUserId` credits an appointment to the agent mapped from its
    GoHighLevel `assignedUserId`; `by: calendar` to the agent mapped from its
    calendar id (every mapped calendar is queried). Unmapped appointments
    count for no agent.
    """

    by: Literal["assignedUserId", "calendar"]
    agents: dict[Annotated[str, Field(pattern=ID_PATTERN)], str] = Field(
        default_factory=dict, description="assignedUserId or calendar id -> agentId"
    )


class ClientSettings(RequestModel):
    """A client's configuration, as stored (no secrets)."""

    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(description="IANA time zone; month bounds are local to it.")
    agents: list[AgentConfig] = Field(default_factory=list, max_length=50)
    location_id: str | None = Field(None, pattern=ID_PATTERN, description="GoHighLevel locationId")
    cal_id: str | None = Field(None, pattern=ID_PATTERN, description="GoHighLevel calendar id")
    attribution: AttributionConfig | None = None
    booked_statuses: (
        list[Literal["new", "confirmed", "cancelled", "showed", "noshow", "invalid"]] | None
    ) = Field(None, min_length=1, description="Appointment statuses that count as bookings.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone") from exc
        return value

    @model_validator(mode="after")
    def _mapped_agents_exist(self) -> ClientSettings:
        known = {a.agent_id for a in self.agents}
        if self.attribution:
            unknown = sorted(set(self.attribution.agents.values()) - known)
            if unknown:
                raise ValueError(f"attribution maps to unknown agents: {', '.join(unknown)}")
        return self


class ClientUpsert(ClientSettings):
    """PUT /admin/clients/{clientId}: the settings, plus the GHL refresh token (write only)."""

    refresh_token: SecretStr | None = Field(
        None,
        description="GoHighLevel refresh token for locationId; stored in Secrets Manager, never returned.",
    )


class Client(WireModel):
    """A registered client (the `CLIENT#<id>` item)."""

    client_id: str
    name: str
    time_zone: str
    agents: list[AgentConfig] = Field(default_factory=list)
    location_id: str | None = None
    cal_id: str | None = None
    attribution: AttributionConfig | None = None
    booked_statuses: list[str] | None = None
    updated_at: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def agent_name(self, agent_id: str) -> str:
        for agent in self.agents:
            if agent.agent_id == agent_id:
                return agent.agent_name
        return agent_id

    def calendars(self) -> list[str]:
        """The calendars whose events are listed: calId, plus every mapped calendar."""
        calendars = [self.cal_id] if self.cal_id else []
        if self.attribution and self.attribution.by == "calendar":
            calendars += [c for c in self.attribution.agents if c not in calendars]
        return calendars


class ClientView(Client):
    has_refresh_token: bool


# --------------------------------------------------------------------------- requests


class DateRange(RequestModel):
    client_id: ClientId
    start_date: DateText
    end_date: DateText

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        try:
            self.periods()
        except InvalidInputError as exc:  # reported by pydantic as a validation error
            raise ValueError(str(exc)) from exc
        return self

    def periods(self) -> list[Period]:
        return months_between_dates(
            parse_date(self.start_date, "startDate"), parse_date(self.end_date, "endDate")
        )


class ImportRequest(DateRange):
    """POST /admin/bootstrap/import-historical, and the AgentMetricsImport workflow's input."""

    include_eleven_labs: bool = Field(True, alias="includeElevenLabs")
    include_appointments: bool = True
    skip_existing: bool = False
    batch_size: int = Field(3, ge=1, le=12, description="Months imported at once (1-12).")

    @model_validator(mode="after")
    def _something_to_do(self) -> ImportRequest:
        if not (self.include_eleven_labs or self.include_appointments):
            raise ValueError("includeElevenLabs and includeAppointments are both false")
        return self


class BulkSyncRequest(DateRange):
    """POST /admin/bootstrap/bulk-sync: an import of every month in the range, nothing skipped."""

    sync_eleven_labs: bool = Field(True, alias="syncElevenLabs")
    sync_appointments: bool = True
    batch_size: int = Field(3, ge=1, le=12)

    @model_validator(mode="after")
    def _something_to_do(self) -> BulkSyncRequest:
        if not (self.sync_eleven_labs or self.sync_appointments):
            raise ValueError("syncElevenLabs and syncAppointments are both false")
        return self

    def as_import(self) -> ImportRequest:
        return ImportRequest(
            client_id=self.client_id,
            start_date=self.start_date,
            end_date=self.end_date,
            include_eleven_labs=self.sync_eleven_labs,
            include_appointments=self.sync_appointments,
            skip_existing=False,
            batch_size=self.batch_size,
        )


class SyncRequest(RequestModel):
    """POST /admin/bootstrap/appointments/sync."""

    client_id: ClientId
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)


# --------------------------------------------------------------------------- metrics


class Source(WireModel):
    """Where a number came from."""

    system: Literal["elevenlabs", "gohighlevel", "derived"]
    detail: dict[str, Any] = Field(default_factory=dict)
    imported_at: str | None = None
    import_id: str | None = None


class MetricValues(WireModel):
    """The seed's per-agent, per-month numbers."""

    inbound_calls: int = 0
    outbound_calls: int = 0
    total_calls: int = 0
    successful_bookings: int = 0
    total_duration: int = Field(0, description="Seconds.")
    average_duration: float = Field(0.0, description="Seconds per call.")
    success_rate: float | None = Field(
        None, description="Bookings / calls in percent; null when there were no calls."
    )


def derive(total_calls: int, total_duration: int, bookings: int) -> tuple[float, float | None]:
    """(averageDuration, successRate) from the stored counts."""
    average = round(total_duration / total_calls, 1) if total_calls else 0.0
    rate = round(bookings / total_calls * 100, 2) if total_calls else None
    return average, rate


class AgentMonth(MetricValues):
    """One agentMetricsHistory row (or the current month's agentMetrics)."""

    client_id: str
    agent_id: str
    agent_name: str
    period: str
    updated_at: str | None = None
    calls_imported: bool = False
    bookings_imported: bool = False
    sources: dict[str, Source] = Field(default_factory=dict)


class CallRecord(WireModel):
    """One callHistory row: one ElevenLabs conversation."""

    conversation_id: str
    client_id: str
    agent_id: str
    agent_name: str
    period: str
    start_time: str
    start_unix: int
    duration_secs: int
    direction: Direction
    status: str
    call_successful: str


class Totals(MetricValues):
    pass


def totals_of(rows: list[AgentMonth] | list[Totals] | list[MetricValues]) -> Totals:
    inbound = sum(r.inbound_calls for r in rows)
    outbound = sum(r.outbound_calls for r in rows)
    calls = sum(r.total_calls for r in rows)
    bookings = sum(r.successful_bookings for r in rows)
    duration = sum(r.total_duration for r in rows)
    average, rate = derive(calls, duration, bookings)
    return Totals(
        inbound_calls=inbound,
        outbound_calls=outbound,
        total_calls=calls,
        successful_bookings=bookings,
        total_duration=duration,
        average_duration=average,
        success_rate=rate,
    )


# --------------------------------------------------------------------------- bookings


class AppointmentView(WireModel):
    id: str
    start_time: str
    appointment_status: str
    calendar_id: str
    assigned_user_id: str | None = None
    title: str | None = None


class AgentBookings(WireModel):
    agent_id: str
    agent_name: str
    booking_count: int
    appointments: list[AppointmentView] = Field(default_factory=list)


class DateRangeView(WireModel):
    start: str
    end: str


class AppointmentCounts(WireModel):
    """GET /admin/bootstrap/appointments/counts, the seed's shape."""

    success: bool = True
    client_id: str
    period: str
    time_zone: str
    total_bookings: int
    total_appointments: int
    unattributed_bookings: int
    agent_bookings: dict[str, AgentBookings]
    date_range: DateRangeView


class AgentUpdate(WireModel):
    agent_name: str
    previous_bookings: int
    new_bookings: int
    appointments_found: int


class SyncResult(WireModel):
    """POST /admin/bootstrap/appointments/sync, the seed's shape."""

    success: bool = True
    period: str
    client_id: str
    total_appointments: int
    total_confirmed_bookings: int
    agent_updates: dict[str, AgentUpdate]


class MonthBookings(WireModel):
    period: str
    total_appointments: int
    total_bookings: int
    agent_bookings: dict[str, AgentBookings]


class HistoricalAppointments(WireModel):
    client_id: str
    start_date: str
    end_date: str
    time_zone: str
    total_months: int
    total_appointments: int
    total_bookings: int
    months: list[MonthBookings]


# --------------------------------------------------------------------------- validation


IssueType = Literal[
    "bookings_exceed_calls",
    "unrealistic_booking_rate",
    "duplicate_import",
    "bookings_without_calls",
]


class Issue(WireModel):
    type: IssueType
    agent_id: str
    agent_name: str
    period: str
    detail: str


class Consistency(WireModel):
    total_checks: int
    passed_checks: int
    failed_checks: int
    issues: list[Issue]


class BookingRateRange(WireModel):
    min_percent: float
    max_percent: float


class ValidationReport(WireModel):
    """GET /admin/bootstrap/validate, the seed's shape."""

    client_id: str
    start_date: str
    end_date: str
    total_months: int
    months_with_data: int
    months_without_data: int
    data_gaps: list[str]
    consistency: Consistency
    booking_rate_range: BookingRateRange

    def message(self) -> str:
        return (
            f"Validation completed. {self.months_with_data}/{self.total_months} months have data."
        )


# --------------------------------------------------------------------------- reports


class AgentTotals(Totals):
    agent_id: str
    agent_name: str


class MonthReport(WireModel):
    period: str
    totals: Totals
    agents: list[AgentMonth]


class CombinedMetrics(WireModel):
    client_id: str
    client_name: str
    start_period: str
    end_period: str
    totals: Totals
    agents: list[AgentTotals]
    months: list[MonthReport]


class PeriodTotals(WireModel):
    period: str
    totals: Totals


class WindowSummary(WireModel):
    start_period: str | None
    end_period: str | None
    months_with_data: int
    totals: Totals
    agents: list[AgentTotals]
    months: list[PeriodTotals]


class ImportBrief(WireModel):
    import_id: str
    status: str
    started_at: str | None = None
    finished_at: str | None = None
    start_date: str | None = None
    end_date: str | None = None


class DashboardSummary(WireModel):
    client_id: str
    client_name: str
    time_zone: str
    current_period: str
    current_month: MonthReport
    latest_period_with_data: str | None
    latest_month: MonthReport | None
    trailing_12_months: WindowSummary = Field(alias="trailing12Months")
    last_import: ImportBrief | None
    generated_at: str


# --------------------------------------------------------------------------- workflow


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


def safe_name(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)[:limit]
