"""The validation report: gaps and consistency, in the seed's shape."""

from __future__ import annotations

from typing import Literal

from revops.agentmetrics.models.base import (
    WireModel,
)

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
