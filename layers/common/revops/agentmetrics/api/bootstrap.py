"""The seed's bootstrap routes: appointment counts, sync and history, imports, validation."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from revops.agentmetrics import bookings, checks, clients, imports
from revops.agentmetrics.api.core import Envelope, app, services
from revops.agentmetrics.api.docs import (
    BODY_ERRORS,
    COMMON_ERRORS,
    NOT_FOUND,
    UPSTREAM,
    ClientIdQuery,
    date_range,
    error_doc,
    ok_doc,
)
from revops.agentmetrics.models import (
    DATE_PATTERN,
    IMPORT_ID_PATTERN,
    AppointmentCounts,
    BulkSyncRequest,
    HistoricalAppointments,
    ImportRequest,
    ImportStarted,
    ImportStatus,
    SyncRequest,
    SyncResult,
    ValidationReport,
)
from revops.agentmetrics.periods import MAX_YEAR, MIN_YEAR, Period
from revops.observability import logger


@app.get(
    "/admin/bootstrap/appointments/counts",
    summary="GoHighLevel appointment counts per agent for one month",
    responses={
        **ok_doc(Envelope[AppointmentCounts], "Counts"),
        **COMMON_ERRORS,
        **NOT_FOUND,
        **UPSTREAM,
    },
    tags=["bootstrap"],
)
def appointment_counts(
    client_id: ClientIdQuery,
    year: Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR)],
    month: Annotated[int, Query(ge=1, le=12)],
) -> Envelope[AppointmentCounts]:
    svc = services()
    client = clients.get_client(svc.store, client_id)
    clients.require(client, svc.vault, bookings=True)
    assert client.location_id is not None
    result = bookings.counts(
        client, Period(year, month), svc.ghl_for(client.location_id), svc.booked_statuses
    )
    return Envelope(message="Appointment counts retrieved successfully", data=result)


@app.post(
    "/admin/bootstrap/appointments/sync",
    summary="Sync one month's GoHighLevel bookings into the agents' metrics",
    responses={
        **ok_doc(Envelope[SyncResult], "Synced"),
        **BODY_ERRORS,
        **COMMON_ERRORS,
        **NOT_FOUND,
        **UPSTREAM,
    },
    tags=["bootstrap"],
)
def appointment_sync(body: SyncRequest) -> Envelope[SyncResult]:
    svc = services()
    client = clients.get_client(svc.store, body.client_id)
    clients.require(client, svc.vault, bookings=True)
    assert client.location_id is not None
    result = bookings.sync(
        client,
        Period(body.year, body.month),
        svc.ghl_for(client.location_id),
        svc.store,
        svc.booked_statuses,
        now=svc.now(),
    )
    return Envelope(message=f"Appointment metrics synced for period {result.period}", data=result)


@app.get(
    "/admin/bootstrap/appointments/historical",
    summary="GoHighLevel appointments per month and agent over a date range (live)",
    responses={
        **ok_doc(Envelope[HistoricalAppointments], "Appointments by month"),
        **COMMON_ERRORS,
        **NOT_FOUND,
        **UPSTREAM,
    },
    tags=["bootstrap"],
)
def appointments_historical(
    client_id: ClientIdQuery,
    start_date: Annotated[str, Query(alias="startDate", pattern=DATE_PATTERN)],
    end_date: Annotated[str, Query(alias="endDate", pattern=DATE_PATTERN)],
) -> Envelope[HistoricalAppointments]:
    svc = services()
    wanted = date_range(client_id, start_date, end_date)
    client = clients.get_client(svc.store, client_id)
    clients.require(client, svc.vault, bookings=True)
    assert client.location_id is not None
    result = bookings.historical(
        client,
        wanted.periods(),
        start_date,
        end_date,
        svc.ghl_for(client.location_id),
        svc.booked_statuses,
    )
    return Envelope(
        message=f"Historical appointments retrieved for {result.total_months} months", data=result
    )


def _started(started: ImportStarted, message: str) -> Response[Envelope[ImportStarted]]:
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=Envelope(message=message, data=started),
        headers={"Location": started.status_url},
    )


@app.post(
    "/admin/bootstrap/bulk-sync",
    summary="Start re-syncing every month of a range (ElevenLabs and/or GoHighLevel)",
    responses={
        **ok_doc(Envelope[ImportStarted], "The import workflow started", 202),
        **BODY_ERRORS,
        **COMMON_ERRORS,
        **NOT_FOUND,
        **UPSTREAM,
    },
    tags=["bootstrap"],
)
def bulk_sync(body: BulkSyncRequest) -> Response[Envelope[ImportStarted]]:
    svc = services()
    started = imports.start_import(body.as_import(), svc.store, svc.vault, svc.workflow())
    logger.info("bulk sync started", import_id=started.import_id, client_id=started.client_id)
    return _started(started, f"Bulk sync started for {started.total_months} months")


@app.post(
    "/admin/bootstrap/import-historical",
    summary="Start a historical import (the AgentMetricsImport workflow)",
    responses={
        **ok_doc(Envelope[ImportStarted], "The import workflow started", 202),
        **BODY_ERRORS,
        **COMMON_ERRORS,
        **NOT_FOUND,
        **UPSTREAM,
    },
    tags=["bootstrap"],
)
def import_historical(body: ImportRequest) -> Response[Envelope[ImportStarted]]:
    svc = services()
    started = imports.start_import(body, svc.store, svc.vault, svc.workflow())
    logger.info("import started", import_id=started.import_id, client_id=started.client_id)
    return _started(started, f"Historical import started for {started.total_months} months")


@app.get(
    "/admin/bootstrap/imports/<executionId>",
    summary="An import's progress, and its summary once done",
    responses={
        **ok_doc(Envelope[ImportStatus], "Status"),
        **COMMON_ERRORS,
        404: error_doc("Unknown import"),
        **UPSTREAM,
    },
    tags=["bootstrap"],
)
def import_status(
    execution_id: Annotated[str, Path(alias="executionId", pattern=IMPORT_ID_PATTERN)],
) -> Envelope[ImportStatus]:
    svc = services()
    result = imports.status(execution_id, svc.store, svc.workflow())
    if result.summary is not None:
        s = result.summary
        message = (
            f"Import {s.status}: {s.successful_months}/{s.total_months} months successful, "
            f"{s.error_months} failed, {s.skipped_months} skipped"
        )
    elif result.total_months:
        message = (
            f"Import {result.status.lower()}: "
            f"{result.completed_months}/{result.total_months} months done"
        )
    else:
        message = f"Import {result.status.lower()}"
    return Envelope(message=message, data=result)


@app.get(
    "/admin/bootstrap/validate",
    summary="Gaps and consistency of the imported history",
    responses={**ok_doc(Envelope[ValidationReport], "Validation"), **COMMON_ERRORS, **NOT_FOUND},
    tags=["bootstrap"],
)
def validate(
    client_id: ClientIdQuery,
    start_date: Annotated[str, Query(alias="startDate", pattern=DATE_PATTERN)],
    end_date: Annotated[str, Query(alias="endDate", pattern=DATE_PATTERN)],
) -> Envelope[ValidationReport]:
    svc = services()
    wanted = date_range(client_id, start_date, end_date)
    client = clients.get_client(svc.store, client_id)
    report = checks.validate(
        svc.store, client, wanted.periods(), svc.rate_range, start_date, end_date
    )
    return Envelope(message=report.message(), data=report)
