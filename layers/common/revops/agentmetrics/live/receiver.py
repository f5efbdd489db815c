"""The webhook endpoints: verify the signature over the raw body, queue the event, answer 200.

`POST /webhooks/elevenlabs` and `POST /webhooks/gohighlevel` sit on the admin HTTP API
without its bearer token (a provider cannot send one); the signature is their
authentication. Nothing is parsed before it is verified, and nothing slow happens
after: the answer goes back as soon as the event is on the queue, because providers
retry and then disable endpoints that are slow or failing.

| request                                             | answer |
|-----------------------------------------------------|--------|
| signed, an event the numbers use                    | 200, queued |
| signed, another event type (`post_call_audio`, `ContactCreate`, ...) | 200, not queued |
| no, a malformed, a wrong or (ElevenLabs) a stale signature | 401 |
| signed but not JSON, or nested deeper than 32 levels | 400   |
| a body over `WEBHOOK_MAX_BYTES`                      | 413   |
| verification not configured, or the queue refused   | 503 (the provider retries) |
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Protocol

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from revops.agentmetrics import guard
from revops.agentmetrics.envelopes import ErrorEnvelope
from revops.agentmetrics.live.events import project_elevenlabs, project_gohighlevel
from revops.agentmetrics.periods import iso_z
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.errors import ConfigurationError, UpstreamError, WebhookSignatureError
from revops.integrations import elevenlabs_webhooks
from revops.integrations.gohighlevel import webhooks as ghl_webhooks
from revops.integrations.secrets import get_json_secret
from revops.observability import logger, metrics

PROVIDERS = {"elevenlabs": "ElevenLabs", "gohighlevel": "GoHighLevel"}


class Queue(Protocol):
    def send(self, body: str) -> str: ...


@functools.cache
def sqs_client() -> Any:
    return boto3.client("sqs")


class SqsQueue:
    """`sqs:SendMessage` to one queue; `client` is injectable."""

    def __init__(self, url: str, client: Any | None = None) -> None:
        if not url:
            raise ConfigurationError("WEBHOOK_QUEUE_URL is not set")
        self.url = url
        self._client = client

    def send(self, body: str) -> str:
        client = self._client if self._client is not None else sqs_client()
        try:
            return str(client.send_message(QueueUrl=self.url, MessageBody=body)["MessageId"])
        except (ClientError, BotoCoreError) as exc:
            raise UpstreamError(
                f"the webhook queue refused the event: {type(exc).__name__}"
            ) from exc


@dataclass
class Receiver:
    """What the endpoints use; tests build their own."""

    queue: Queue
    secret: Callable[[], dict[str, Any]]
    max_body_bytes: int = 1024 * 1024
    clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def from_settings(cls, settings: AgentMetricsSettings) -> Receiver:
        return cls(
            queue=SqsQueue(settings.webhook_queue_url),
            secret=lambda: get_json_secret(settings.webhook_secret_name),
            max_body_bytes=settings.webhook_max_body_bytes,
        )


app = APIGatewayHttpResolver()


def handle(event: dict[str, Any], context: Any, receiver: Receiver | None = None) -> dict[str, Any]:
    app.append_context(receiver=receiver or Receiver.from_settings(AgentMetricsSettings.from_env()))
    return app.resolve(event, context)


def _answer(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _error(status: int, message: str, details: Any = None) -> Response[dict[str, Any]]:
    request_id = str(app.current_event.request_context.request_id or "")
    envelope = ErrorEnvelope(error=message, details=details, requestId=request_id)
    return _answer(status, envelope.model_dump(by_alias=True, mode="json", exclude_none=True))


@app.post("/webhooks/elevenlabs")
def elevenlabs() -> Response[dict[str, Any]]:
    return _receive("elevenlabs")


@app.post("/webhooks/gohighlevel")
def gohighlevel() -> Response[dict[str, Any]]:
    return _receive("gohighlevel")


def _verify(provider: str, receiver: Receiver, raw: bytes, headers: dict[str, str]) -> None:
    secret = receiver.secret()
    if provider == "elevenlabs":
        elevenlabs_webhooks.verify(
            raw,
            headers.get(elevenlabs_webhooks.SIGNATURE_HEADER.lower()),
            str(secret.get("elevenlabs_secret") or ""),
            now=receiver.clock(),
        )
    else:
        ghl_webhooks.verify(
            raw,
            headers.get(ghl_webhooks.SIGNATURE_HEADER.lower()),
            str(secret.get("gohighlevel_public_key") or ""),
            legacy=headers.get(ghl_webhooks.LEGACY_SIGNATURE_HEADER.lower()),
        )


def _receive(provider: str) -> Response[dict[str, Any]]:
    receiver: Receiver = app.context["receiver"]
    event = app.current_event.raw_event
    raw = guard.raw_body(event, receiver.max_body_bytes)
    if isinstance(raw, guard.Refusal):
        return _error(raw.status, raw.message, raw.details)
    headers = guard.lower_headers(event)
    try:
        _verify(provider, receiver, raw, headers)
    except WebhookSignatureError as exc:
        logger.warning("webhook signature refused", provider=provider, reason=str(exc))
        metrics.add_metric(name="WebhookSignatureRejected", unit=MetricUnit.Count, value=1)
        return _error(HTTPStatus.UNAUTHORIZED, f"{PROVIDERS[provider]} signature refused: {exc}")
    parsed = guard.parse_json(raw)
    if isinstance(parsed, guard.Refusal):
        return _error(parsed.status, parsed.message, parsed.details)
    message = (project_elevenlabs if provider == "elevenlabs" else project_gohighlevel)(parsed)
    kind = parsed.get("type") if isinstance(parsed, dict) else None
    data: dict[str, Any] = {"provider": provider, "eventType": kind, "queued": False}
    if message is None:
        metrics.add_metric(name="WebhookEventsNotUsed", unit=MetricUnit.Count, value=1)
        return _answer(
            HTTPStatus.OK,
            {"success": True, "message": f"Event type {kind!r} is not used", "data": data},
        )
    message["receivedAt"] = iso_z(datetime.fromtimestamp(receiver.clock(), UTC))
    message["requestId"] = str(app.current_event.request_context.request_id or "")
    receiver.queue.send(json.dumps(message))
    metrics.add_metric(name="WebhookEventsQueued", unit=MetricUnit.Count, value=1)
    data.update(queued=True, eventId=message.get("conversationId") or message.get("appointmentId"))
    return _answer(HTTPStatus.OK, {"success": True, "message": "Event queued", "data": data})


@app.exception_handler([ConfigurationError, UpstreamError])
def _unavailable(exc: Exception) -> Response[dict[str, Any]]:
    logger.error("webhook not queued", error_type=type(exc).__name__, error=str(exc))
    return _error(
        HTTPStatus.SERVICE_UNAVAILABLE, "The event could not be accepted now; retry later"
    )


@app.not_found
def _no_route(exc: NotFoundError) -> Response[dict[str, Any]]:
    return _error(HTTPStatus.NOT_FOUND, "Not found")
