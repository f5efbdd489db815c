"""The seed's bootstrap routes: appointment counts, sync and history, imports, validation."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from revops.agentmetrics import bookings, checks, clients, imports
from revops.agentmetrics.api.core import app, services
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
from revops.agentmetrics.api.prefer import MAX_WAIT_SECONDS, requested_wait
from revops.agentmetrics.envelopes import Envelope
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


PREFER = Annotated[
    str | None,
    Header(
        alias="prefer",
        description=(
            "RFC 7240 `Prefer: wait=N` (seconds, at most 25): wait that long for the import "
            "to finish. Finished in time: 200 with the import's status (the seed's "
            "`totalMonths`, `successfulMonths`, `errorMonths`, `results`); otherwise 202 as "
            "without the header. `Preference-Applied: wait=N` says the wait was honoured."
        ),
    ),
]
FINISHED = ok_doc(
    Envelope[ImportStatus],
    "Finished within `Prefer: wait=N`: the import's status, as its status URL answers it",
)


def _start(
    request: ImportRequest, prefer: str | None, started_message: str
) -> Response[Envelope[ImportStarted] | Envelope[ImportStatus]]:
    """Start the workflow; answer 202, or 200 with the outcome when the caller waits for it."""
    svc = services()
    workflow = svc.workflow()
    started = imports.start_import(request, svc.store, svc.vault, workflow)
    logger.info("import started", import_id=started.import_id, client_id=started.client_id)
    headers = {"Location": started.status_url}
    wait = requested_wait(prefer)
    if wait is not None:
        headers["Preference-Applied"] = f"wait={wait}"
        budget = min(float(wait), _remaining_seconds() - ANSWER_SECONDS)
        if budget > 0 and imports.wait_until_done(started.import_id, workflow, budget):
            result = imports.status(started.import_id, svc.store, workflow)
            return Response(
                status_code=HTTPStatus.OK,
                content_type=content_types.APPLICATION_JSON,
                body=Envelope(message=imports.status_message(result), data=result),
                headers=headers,
            )
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=Envelope(message=started_message.format(months=started.total_months), data=started),
        headers=headers,
    )


ANSWER_SECONDS = 3.0  # kept to read the outcome and answer before the Lambda's timeout


def _remaining_seconds() -> float:
    context = getattr(app, "lambda_context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000 if callable(remaining) else float(MAX_WAIT_SECONDS + ANSWER_SECONDS)


# What starting the import workflow can answer, for both ways of asking.
IMPORT_RESPONSES = {
    **FINISHED,
    **ok_doc(Envelope[ImportStarted], "The import workflow started", 202),
    **BODY_ERRORS,
    **COMMON_ERRORS,
    **NOT_FOUND,
    **UPSTREAM,
}


@app.post(
    "/admin/bootstrap/bulk-sync",
    summary="Re-sync every month of a range (ElevenLabs and/or GoHighLevel)",
    responses=IMPORT_RESPONSES,
    tags=["bootstrap"],
)
def bulk_sync(
    body: BulkSyncRequest, prefer: PREFER = None
) -> Response[Envelope[ImportStarted] | Envelope[ImportStatus]]:
    return _start(body.as_import(), prefer, "Bulk sync started for {months} months")


@app.post(
    "/admin/bootstrap/import-historical",
    summary="Run a historical import (the AgentMetricsImport workflow)",
    responses=IMPORT_RESPONSES,
    tags=["bootstrap"],
)
def import_historical(
    body: ImportRequest, prefer: PREFER = None
) -> Response[Envelope[ImportStarted] | Envelope[ImportStatus]]:
    return _start(body, prefer, "Historical import started for {months} months")


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
    return Envelope(message=imports.status_message(result), data=result)


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
