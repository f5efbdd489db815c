"""The validation report: gaps and consistency, in the seed's shape."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from revops.agentmetrics.models.base import (
    WireModel,
)
from revops.agentmetrics.models.metrics import Part, PartDrift

IssueType = Literal[
    "bookings_exceed_calls",
    "unrealistic_booking_rate",
    "duplicate_import",
    "bookings_without_calls",
    "webhook_drift",
]


class Issue(WireModel):
    type: IssueType
    agent_id: str
    agent_name: str
    period: str
    detail: str


class Consistency(WireModel):
    """The consistency checks of the range, counted per agent and month.

    The seed's example counts 3 checks for a year; here every check is counted each time
    it is evaluated, for each agent row of each month, so a year of two agents has many
    more. Which checks an agent's month gets:

    * with calls: `bookings_exceed_calls` and `unrealistic_booking_rate` (2);
    * with calls or bookings: `bookings_without_calls` (1);
    * with imported calls: `duplicate_import` (1);
    * per part (calls, bookings) that webhooks kept live and an import has since
      reconciled with the provider API: `webhook_drift` (1 each), failed when the
      webhooks' numbers differed from the API's (see `webhookDrift`).

    `totalChecks` = `passedChecks` + `failedChecks`; each failed check is one entry of
    `issues`. A month without data gets no check (it is a gap instead).
    """

    total_checks: int = Field(
        description="Checks evaluated: per agent and month, by the rules above (not the seed's 3)."
    )
    passed_checks: int = Field(description="Checks that found nothing wrong.")
    failed_checks: int = Field(description="Checks that found a problem; one issue each.")
    issues: list[Issue]


class WebhookDrift(PartDrift):
    """One agent's month and part whose live (webhook) numbers were reconciled with the API."""

    agent_id: str
    agent_name: str
    period: str
    part: Part


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
    webhook_drift: list[WebhookDrift] = Field(
        default_factory=list,
        description=(
            "Per agent, month and part kept live by webhooks, what the webhooks had recorded "
            "against what the provider API returned when the month was reconciled (the monthly "
            "sync, or any import): a missed webhook shows as a negative difference, a counted "
            "twice or phantom one as a positive one. The API's numbers are the ones kept."
        ),
    )

    def message(self) -> str:
        return (
            f"Validation completed. {self.months_with_data}/{self.total_months} months have data."
        )
