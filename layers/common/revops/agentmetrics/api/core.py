"""The resolver, the seed's envelopes, the services routes use, and the error mapping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from revops.agentmetrics import guard
from revops.agentmetrics.envelopes import ErrorEnvelope
from revops.agentmetrics.errors import (
    ClientNotConfiguredError,
    ClientNotFoundError,
    ImportNotFoundError,
)
from revops.agentmetrics.models import (
    BookingRateRange,
)
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.agentmetrics.workflow import ImportWorkflow
from revops.errors import InvalidInputError, UpstreamError, UpstreamThrottledError
from revops.integrations.elevenlabs import ElevenLabsAuthError
from revops.integrations.gohighlevel import (
    GoHighLevelAuthError,
    GoHighLevelClient,
    GoHighLevelRefreshTokenMissingError,
    GoHighLevelTokenTooLargeError,
    TokenVault,
)
from revops.observability import logger
from revops.store.agentmetrics import AgentMetricsStore

T = TypeVar("T")


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
    """Resolve one API Gateway v2 event with `svc` (built from the environment if None).

    The body passes `guard.check_json_request` first (size, media type, bounded JSON).
    """
    checked = guard.check_json_request(event)
    if isinstance(checked, guard.Refusal):
        return early_error(event, checked)
    app.append_context(services=svc or Services.from_settings(AgentMetricsSettings.from_env()))
    return app.resolve(event, context)


def early_error(event: dict[str, Any], refusal: guard.Refusal) -> dict[str, Any]:
    """The error envelope for a request refused before routing."""
    body = ErrorEnvelope(
        error=refusal.message,
        details=refusal.details,
        requestId=str((event.get("requestContext") or {}).get("requestId") or ""),
    )
    return {
        "statusCode": refusal.status.value,
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
    names = guard.named([d["field"] for d in details])
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        f"Invalid request: check {names}",
        guard.cap_details(details),
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


@app.exception_handler(GoHighLevelTokenTooLargeError)
def _token_too_large(exc: GoHighLevelTokenTooLargeError) -> Response[dict[str, Any]]:
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc))


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
