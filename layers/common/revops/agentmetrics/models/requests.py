"""Request bodies of the admin API and the import workflow."""

from __future__ import annotations

from pydantic import Field, model_validator

from revops.agentmetrics.models.base import (
    ClientId,
    DateText,
    RequestModel,
)
from revops.agentmetrics.periods import (
    MAX_YEAR,
    MIN_YEAR,
    Period,
    months_between_dates,
    parse_date,
)
from revops.errors import InvalidInputError


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

    include_eleven_labs: bool = Field(
        True, alias="includeElevenLabs", description="Import ElevenLabs conversations (calls)."
    )
    include_appointments: bool = Field(
        True, description="Import GoHighLevel appointments (bookings)."
    )
    skip_existing: bool = Field(
        False,
        description=(
            "Skip months that already have data: calls when includeElevenLabs, bookings when "
            "includeAppointments (every requested source). A month imported before that is "
            "still empty is imported again, so a retry picks up failed and empty months."
        ),
    )
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
    year: int = Field(ge=MIN_YEAR, le=MAX_YEAR)
    month: int = Field(ge=1, le=12)
