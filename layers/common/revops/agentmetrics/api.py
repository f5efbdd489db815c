"""The admin HTTP API (API Gateway HTTP API, payload 2.0) for the voice-agent metrics.

Paths, parameters and envelopes are the seed's: every answer is
`{success, message, data}`, every error `{success: false, error, details?,
requestId}`. Errors are mapped to status codes once, below:

| error                                   | status |
|-----------------------------------------|--------|
| malformed JSON body                     | 400    |
| a body that is not application/json     | 415    |
| request validation (types, ranges, dates) | 422  |
| client lacks a setting (`calId`, ...)   | 422    |
| unknown client, import or path          | 404    |
| GoHighLevel / ElevenLabs throttling     | 503    |
| other upstream failures                 | 502    |
| anything else                           | 500    |

The bearer token is checked before any of this, by the Lambda authorizer
(`functions/authorize_admin`). Imports outlive API Gateway's 29 s, so
`import-historical` and `bulk-sync` start the `AgentMetricsImport` workflow
and answer 202 with the execution ARN and a status URL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field

from revops.agentmetrics import bookings, checks, clients, imports, reports
from revops.agentmetrics.errors import (
    ClientNotConfiguredError,
    ClientNotFoundError,
    ImportNotFoundError,
)
from revops.agentmetrics.models import (
    DATE_PATTERN,
    ID_PATTERN,
    IMPORT_ID_PATTERN,
    AppointmentCounts,
    BookingRateRange,
    BulkSyncRequest,
    ClientUpsert,
    ClientView,
    CombinedMetrics,
    DashboardSummary,
    DateRange,
    HistoricalAppointments,
    ImportRequest,
    ImportStarted,
    ImportStatus,
    SyncRequest,
    SyncResult,
    ValidationReport,
)
from revops.agentmetrics.periods import Period
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.agentmetrics.workflow import ImportWorkflow
from revops.errors import InvalidInputError, UpstreamError, UpstreamThrottledError
from revops.integrations.elevenlabs import ElevenLabsAuthError
from revops.integrations.gohighlevel import (
    GoHighLevelAuthError,
    GoHighLevelClient,
    GoHighLevelRefreshTokenMissingError,
    TokenVault,
)
from revops.observability import logger
from revops.store.agentmetrics import AgentMetricsStore
from revops.validation import parse

T = TypeVar("T")

TITLE = "revops admin API: voice-agent metrics"
VERSION = "1.0.0"


class Envelope[T](BaseModel):
    """The seed's success envelope."""

    success: Literal[True] = True
    message: str
    data: T


class ErrorEnvelope(BaseModel):
    """The seed's error envelope."""

    success: Literal[False] = False
    error: str
    details: Any | None = None
    request_id: str = Field(alias="requestId")


# --------------------------------------------------------------------------- services


@dataclass
class Services:
    """Everything the routes use; tests build their own."""

    store: AgentMetricsStore
    vault: TokenVault
    workflow: Callable[[], ImportWorkflow]
    ghl_for: Callable[[str], GoHighLevelClient]
    booked_statuses: list[str]
    rate_range: BookingRateRange
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @classmethod
    def from_settings(cls, settings: AgentMetricsSettings) -> Services:
        from revops.agentmetrics import wiring

        store = wiring.store_for(settings)
        return cls(
            store=store,
            vault=wiring.vault_for(settings),
            workflow=lambda: wiring.workflow_for(settings),
            ghl_for=wiring.ghl_factory(settings, store),
            booked_statuses=settings.booked_status_list(),
            rate_range=wiring.rate_range(settings),
        )


app = APIGatewayHttpResolver(enable_validation=True)


def services() -> Services:
    services: Services = app.context["services"]
    return services


def handle(event: dict[str, Any], context: Any, svc: Services | None = None) -> dict[str, Any]:
    """Resolve one API Gateway v2 event with `svc` (built from the environment if None)."""
    refused = _refuse_non_json(event)
    if refused is not None:
        return refused
    app.append_context(services=svc or Services.from_settings(AgentMetricsSettings.from_env()))
    return app.resolve(event, context)


def _refuse_non_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """Bodies are UTF-8 JSON only, checked before routing: Powertools would try to parse
    forms and multipart bodies, and fails on malformed ones and on bytes that are not
    UTF-8 (API Gateway hands those over base64-encoded)."""
    raw = event.get("body")
    if not raw:
        return None
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(str(raw), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return _early_error(event, HTTPStatus.BAD_REQUEST, "The request body is not valid JSON")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("", "application/json") or content_type.endswith("+json"):
        return None
    return _early_error(
        event, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "The request body must be application/json"
    )


def _early_error(event: dict[str, Any], status: HTTPStatus, message: str) -> dict[str, Any]:
    body = ErrorEnvelope(
        error=message, requestId=str((event.get("requestContext") or {}).get("requestId") or "")
    )
    return {
        "statusCode": status.value,
        "headers": {"Content-Type": "application/json"},
        "body": body.model_dump_json(by_alias=True, exclude_none=True),
        "isBase64Encoded": False,
    }


# --------------------------------------------------------------------------- errors


def _request_id() -> str:
    try:
        return str(app.current_event.request_context.request_id or "")
    except (AttributeError, KeyError, TypeError):
        return ""


def error_response(
    status: int, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    body = ErrorEnvelope(error=message, details=details, requestId=_request_id())
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(by_alias=True, mode="json", exclude_none=True),
        headers=headers,
    )


def _field(loc: Any) -> str:
    parts = [str(p) for p in (loc or ()) if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


@app.exception_handler(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response[dict[str, Any]]:
    errors = list(exc.errors())
    if any(tuple(e.get("loc") or ())[:1] == ("response",) for e in errors):
        # Powertools reports an answer that fails its own schema this way: our bug, not the caller's.
        logger.error("response failed its own schema", errors=[e.get("loc") for e in errors])
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(HTTPStatus.BAD_REQUEST, "The request body is not valid JSON")
    details = [
        {"field": _field(e.get("loc")), "type": e.get("type"), "message": e.get("msg")}
        for e in errors
    ]
    names = ", ".join(sorted({d["field"] for d in details}))
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, f"Invalid request: check {names}", details
    )


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_body(exc: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
    return error_response(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "The request body must be application/json"
    )


@app.exception_handler(ClientNotConfiguredError)
def _not_configured(exc: ClientNotConfiguredError) -> Response[dict[str, Any]]:
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        str(exc),
        {"clientId": exc.client_id, "missingSettings": exc.missing},
    )


@app.exception_handler(GoHighLevelRefreshTokenMissingError)
def _no_refresh_token(exc: GoHighLevelRefreshTokenMissingError) -> Response[dict[str, Any]]:
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, str(exc), {"missingSettings": ["refreshToken"]}
    )


@app.exception_handler(InvalidInputError)
def _invalid_input(exc: InvalidInputError) -> Response[dict[str, Any]]:
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc))


@app.exception_handler([ClientNotFoundError, ImportNotFoundError])
def _missing(exc: Exception) -> Response[dict[str, Any]]:
    return error_response(HTTPStatus.NOT_FOUND, str(exc))


@app.not_found
def _no_route(exc: NotFoundError) -> Response[dict[str, Any]]:
    return error_response(HTTPStatus.NOT_FOUND, "Not found")


@app.exception_handler(UpstreamThrottledError)
def _throttled(exc: UpstreamThrottledError) -> Response[dict[str, Any]]:
    logger.warning("upstream throttled", error_type=type(exc).__name__)
    return error_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        f"{exc} (try again later)",
        {"errorType": type(exc).__name__},
        {"Retry-After": "30"},
    )


@app.exception_handler([UpstreamError, GoHighLevelAuthError, ElevenLabsAuthError])
def _upstream(exc: Exception) -> Response[dict[str, Any]]:
    logger.warning("upstream failure", error_type=type(exc).__name__)
    return error_response(HTTPStatus.BAD_GATEWAY, str(exc), {"errorType": type(exc).__name__})


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")


# --------------------------------------------------------------------------- OpenAPI


class GatewayMessage(BaseModel):
    """What API Gateway itself answers (401, 403), before our function runs."""

    message: str


def _error(description: str, model: Any = ErrorEnvelope) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


COMMON_ERRORS: dict[int, OpenAPIResponse] = {
    401: _error(
        "Missing or malformed `Authorization: Bearer <token>` (answered by API Gateway)",
        GatewayMessage,
    ),
    403: _error("Wrong token (answered by API Gateway)", GatewayMessage),
    422: _error("Invalid request, or the client lacks a setting this call needs"),
    500: _error("Internal error"),
}
NOT_FOUND: dict[int, OpenAPIResponse] = {404: _error("Unknown clientId")}
UPSTREAM: dict[int, OpenAPIResponse] = {
    502: _error("GoHighLevel or ElevenLabs failed"),
    503: _error("GoHighLevel or ElevenLabs is throttling; retry later"),
}
BODY_ERRORS: dict[int, OpenAPIResponse] = {
    400: _error("The body is not valid JSON"),
    415: _error("The body is not application/json"),
}


def _ok(model: Any, description: str, code: int = 200) -> dict[int, OpenAPIResponse]:
    return {code: {"description": description, "content": {"application/json": {"model": model}}}}


ClientIdQuery = Annotated[str, Query(alias="clientId", pattern=ID_PATTERN, max_length=128)]
DateQuery = Annotated[str, Query(pattern=DATE_PATTERN)]


def _range(client_id: str, start_date: str, end_date: str) -> DateRange:
    return parse(DateRange, {"clientId": client_id, "startDate": start_date, "endDate": end_date})


# --------------------------------------------------------------------------- bootstrap


@app.get(
    "/admin/bootstrap/appointments/counts",
    summary="GoHighLevel appointment counts per agent for one month",
    responses={
        **_ok(Envelope[AppointmentCounts], "Counts"),
        **COMMON_ERRORS,
        **NOT_FOUND,
        **UPSTREAM,
    },
    tags=["bootstrap"],
)
def appointment_counts(
    client_id: ClientIdQuery,
    year: Annotated[int, Query(ge=2000, le=2100)],
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
        **_ok(Envelope[SyncResult], "Synced"),
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
        **_ok(Envelope[HistoricalAppointments], "Appointments by month"),
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
    wanted = _range(client_id, start_date, end_date)
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
        **_ok(Envelope[ImportStarted], "The import workflow started", 202),
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
        **_ok(Envelope[ImportStarted], "The import workflow started", 202),
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
        **_ok(Envelope[ImportStatus], "Status"),
        **COMMON_ERRORS,
        404: _error("Unknown import"),
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
    responses={**_ok(Envelope[ValidationReport], "Validation"), **COMMON_ERRORS, **NOT_FOUND},
    tags=["bootstrap"],
)
def validate(
    client_id: ClientIdQuery,
    start_date: Annotated[str, Query(alias="startDate", pattern=DATE_PATTERN)],
    end_date: Annotated[str, Query(alias="endDate", pattern=DATE_PATTERN)],
) -> Envelope[ValidationReport]:
    svc = services()
    wanted = _range(client_id, start_date, end_date)
    client = clients.get_client(svc.store, client_id)
    report = checks.validate(
        svc.store, client, wanted.periods(), svc.rate_range, start_date, end_date
    )
    return Envelope(message=report.message(), data=report)


# --------------------------------------------------------------------------- reports


@app.get(
    "/admin/reports/dashboard-summary",
    summary="Current month, latest month and trailing 12 months per agent",
    responses={**_ok(Envelope[DashboardSummary], "Summary"), **COMMON_ERRORS, **NOT_FOUND},
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
    responses={**_ok(Envelope[CombinedMetrics], "Metrics"), **COMMON_ERRORS, **NOT_FOUND},
    tags=["reports"],
)
def combined_metrics(
    client_id: ClientIdQuery,
    start_year: Annotated[int, Query(alias="startYear", ge=2000, le=2100)],
    start_month: Annotated[int, Query(alias="startMonth", ge=1, le=12)],
    end_year: Annotated[int, Query(alias="endYear", ge=2000, le=2100)],
    end_month: Annotated[int, Query(alias="endMonth", ge=1, le=12)],
) -> Envelope[CombinedMetrics]:
    svc = services()
    start, end = Period(start_year, start_month), Period(end_year, end_month)
    if end < start:
        raise InvalidInputError(f"the range ends ({end}) before it starts ({start})")
    client = clients.get_client(svc.store, client_id)
    result = reports.combined_metrics(svc.store, client, start, end)
    return Envelope(message=f"Combined metrics retrieved for {start} to {end}", data=result)


# --------------------------------------------------------------------------- clients


@app.put(
    "/admin/clients/<clientId>",
    summary="Register or update a client (the refresh token goes to Secrets Manager)",
    responses={**_ok(Envelope[ClientView], "Saved"), **BODY_ERRORS, **COMMON_ERRORS, **UPSTREAM},
    tags=["clients"],
)
def put_client(
    client_id: Annotated[str, Path(alias="clientId", pattern=ID_PATTERN, max_length=128)],
    body: ClientUpsert,
) -> Envelope[ClientView]:
    svc = services()
    saved = clients.upsert_client(svc.store, svc.vault, client_id, body)
    logger.info("client saved", client_id=client_id)
    return Envelope(message="Client saved", data=saved)


@app.get(
    "/admin/clients/<clientId>",
    summary="A client's settings (never its tokens)",
    responses={**_ok(Envelope[ClientView], "Client"), **COMMON_ERRORS, **NOT_FOUND, **UPSTREAM},
    tags=["clients"],
)
def get_client(
    client_id: Annotated[str, Path(alias="clientId", pattern=ID_PATTERN, max_length=128)],
) -> Envelope[ClientView]:
    svc = services()
    client = clients.get_client(svc.store, client_id)
    return Envelope(message="Client retrieved", data=clients.view(client, svc.vault))


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of this API, as checked in (`functions/admin_api/openapi.json`)."""
    text = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=(__doc__ or "").strip(),
        security_schemes={
            "bearerAuth": HTTPBearer(
                description="The admin token; API Gateway's Lambda authorizer checks it."
            )
        },
        security=[{"bearerAuth": []}],
    )
    document: dict[str, Any] = json.loads(text)
    return document
