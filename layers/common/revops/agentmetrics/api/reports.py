"""Report routes: the dashboard summary and combined metrics."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from revops.agentmetrics import clients, reports
from revops.agentmetrics.api.core import app, services
from revops.agentmetrics.api.docs import (
    COMMON_ERRORS,
    NOT_FOUND,
    ClientIdQuery,
    ok_doc,
)
from revops.agentmetrics.envelopes import Envelope
from revops.agentmetrics.models import (
    CombinedMetrics,
    DashboardSummary,
)
from revops.agentmetrics.periods import MAX_YEAR, MIN_YEAR, Period
from revops.errors import InvalidInputError


@app.get(
    "/admin/reports/dashboard-summary",
    summary="Current month, latest month and trailing 12 months per agent",
    responses={**ok_doc(Envelope[DashboardSummary], "Summary"), **COMMON_ERRORS, **NOT_FOUND},
    tags=["reports"],
)
def dashboard_summary(client_id: ClientIdQuery) -> Envelope[DashboardSummary]:
    svc = services()
    client = clients.get_client(svc.store, client_id)
    summary = reports.dashboard_summary(svc.store, client, svc.now())
    return Envelope(message="Dashboard summary retrieved successfully", data=summary)


@app.get(
    "/admin/reports/combined-metrics",
    summary="ElevenLabs calls and GoHighLevel bookings per agent and month",
    responses={**ok_doc(Envelope[CombinedMetrics], "Metrics"), **COMMON_ERRORS, **NOT_FOUND},
    tags=["reports"],
)
def combined_metrics(
    client_id: ClientIdQuery,
    start_year: Annotated[int, Query(alias="startYear", ge=MIN_YEAR, le=MAX_YEAR)],
    start_month: Annotated[int, Query(alias="startMonth", ge=1, le=12)],
    end_year: Annotated[int, Query(alias="endYear", ge=MIN_YEAR, le=MAX_YEAR)],
    end_month: Annotated[int, Query(alias="endMonth", ge=1, le=12)],
) -> Envelope[CombinedMetrics]:
    svc = services()
    start, end = Period(start_year, start_month), Period(end_year, end_month)
    if end < start:
        raise InvalidInputError(f"the range ends ({end}) before it starts ({start})")
    client = clients.get_client(svc.store, client_id)
    result = reports.combined_metrics(svc.store, client, start, end)
    return Envelope(message=f"Combined metrics retrieved for {start} to {end}", data=result)
