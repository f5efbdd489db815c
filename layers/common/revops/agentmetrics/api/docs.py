"""OpenAPI: the responses each route declares, and the document generated from the routes."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from revops.agentmetrics.api.core import app
from revops.agentmetrics.envelopes import ErrorEnvelope
from revops.agentmetrics.models import (
    DATE_PATTERN,
    ID_PATTERN,
    DateRange,
)
from revops.validation import parse

TITLE = "revops admin API: voice-agent metrics"
VERSION = "1.0.0"
DESCRIPTION = """The admin HTTP API (API Gateway HTTP API, payload 2.0) for the voice-agent metrics.

Paths, parameters and envelopes are the seed's: every answer is
`{success, message, data}`, every error `{success: false, error, details?,
requestId}`. Errors are mapped to status codes once, below:

| error                                                  | status |
|--------------------------------------------------------|--------|
| malformed JSON body, or nested deeper than 32 levels   | 400    |
| a body larger than 256 KiB                             | 413    |
| a body that is not application/json                    | 415    |
| request validation (types, ranges, dates; at most 20 details) | 422 |
| an integer longer than 4,300 digits, in any field      | 422    |
| client lacks a setting (`calId`, ...)                  | 422    |
| unknown client, import or path                        | 404    |
| GoHighLevel / ElevenLabs throttling                    | 503    |
| other upstream failures                                | 502    |
| anything else                                          | 500    |

Years run from 2000 to 2100 everywhere (query parameters, bodies, dates), to
the last month of 2100.

`POST /webhooks/elevenlabs` and `POST /webhooks/gohighlevel` are the providers'
webhooks (live tracking): no bearer token, a signature instead (see each route).

The bearer token is checked before any of this, by the Lambda authorizer
(`functions/authorize_admin`). Imports outlive API Gateway's 29 s, so
`import-historical` and `bulk-sync` start the `AgentMetricsImport` workflow
and answer 202 with the execution ARN and a status URL."""


class GatewayMessage(BaseModel):
    """What API Gateway itself answers (401, 403), before our function runs."""

    message: str


def error_doc(description: str, model: Any = ErrorEnvelope) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


COMMON_ERRORS: dict[int, OpenAPIResponse] = {
    401: error_doc(
        "Missing or malformed `Authorization: Bearer <token>` (answered by API Gateway)",
        GatewayMessage,
    ),
    403: error_doc("Wrong token (answered by API Gateway)", GatewayMessage),
    422: error_doc(
        "Invalid request (at most 20 `details`, then a count of the rest), a number longer "
        "than 4,300 digits, or the client lacks a setting this call needs"
    ),
    500: error_doc("Internal error"),
}
NOT_FOUND: dict[int, OpenAPIResponse] = {404: error_doc("Unknown clientId")}
UPSTREAM: dict[int, OpenAPIResponse] = {
    502: error_doc("GoHighLevel or ElevenLabs failed"),
    503: error_doc("GoHighLevel or ElevenLabs is throttling; retry later"),
}
BODY_ERRORS: dict[int, OpenAPIResponse] = {
    400: error_doc("The body is not valid JSON, or nests objects and arrays deeper than 32 levels"),
    413: error_doc("The body is larger than 262,144 bytes (256 KiB)"),
    415: error_doc("The body is not application/json"),
}


def ok_doc(model: Any, description: str, code: int = 200) -> dict[int, OpenAPIResponse]:
    return {code: {"description": description, "content": {"application/json": {"model": model}}}}


ClientIdQuery = Annotated[str, Query(alias="clientId", pattern=ID_PATTERN, max_length=128)]
DateQuery = Annotated[str, Query(pattern=DATE_PATTERN)]


def date_range(client_id: str, start_date: str, end_date: str) -> DateRange:
    return parse(DateRange, {"clientId": client_id, "startDate": start_date, "endDate": end_date})


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of this API, as checked in (`functions/admin_api/openapi.json`)."""
    text = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes={
            "bearerAuth": HTTPBearer(
                description="The admin token; API Gateway's Lambda authorizer checks it."
            )
        },
        security=[{"bearerAuth": []}],
    )
    from revops.agentmetrics.live.docs import add_webhooks

    return add_webhooks(json.loads(text))
