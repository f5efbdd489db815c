"""OpenAPI for the webhook routes: what the providers send, and what the receiver answers.

The receiver reads its body raw (the signature covers the exact bytes), so these models
document the providers' payloads rather than validate them; the parts the numbers need
are validated by the consumer (`events`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from revops.agentmetrics.envelopes import ErrorEnvelope


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PhoneCall(_Open):
    direction: Literal["inbound", "outbound"] | None = None
    external_number: str | None = None
    agent_number: str | None = None


class ConversationMetadata(_Open):
    start_time_unix_secs: int
    call_duration_secs: int
    phone_call: PhoneCall | None = Field(None, description="null for a web call")


class PostCallData(_Open):
    agent_id: str
    conversation_id: str
    status: str = Field(description="done, failed, ...")
    metadata: ConversationMetadata
    analysis: dict[str, Any] = Field(
        default_factory=dict, description="`call_successful`: success, failure or unknown"
    )


class InitiationFailureData(_Open):
    agent_id: str
    conversation_id: str
    failure_reason: Literal["busy", "no-answer", "unknown"]
    metadata: dict[str, Any] = Field(default_factory=dict)


class ElevenLabsWebhook(_Open):
    """An ElevenLabs post-call webhook (`post_call_transcription`, `call_initiation_failure`;
    other types are accepted and not used)."""

    type: str
    event_timestamp: int
    data: PostCallData | InitiationFailureData | dict[str, Any]


class Appointment(_Open):
    id: str
    calendarId: str
    assignedUserId: str | None = None
    appointmentStatus: str
    startTime: str
    endTime: str | None = None
    dateUpdated: str


class HighLevelWebhook(_Open):
    """A HighLevel appointment webhook (`AppointmentCreate`, `AppointmentUpdate`,
    `AppointmentDelete`; other types are accepted and not used)."""

    type: str
    locationId: str
    appointment: Appointment | None = None


class Accepted(BaseModel):
    provider: Literal["elevenlabs", "gohighlevel"]
    eventType: str | None
    queued: bool = Field(description="false for event types the numbers do not use")
    eventId: str | None = None


class WebhookAnswer(BaseModel):
    success: Literal[True]
    message: str
    data: Accepted


PROVIDERS: dict[str, tuple[str, type[BaseModel], str, str]] = {
    "/webhooks/elevenlabs": (
        "ElevenLabs post-call webhook (register it in ElevenLabs' webhook settings)",
        ElevenLabsWebhook,
        "ElevenLabs-Signature",
        '`t=<unix seconds>,v0=<hex HMAC-SHA256 of "<t>.<raw body>">` with the webhook\'s '
        "shared secret; refused when older than 30 minutes. "
        "https://elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks",
    ),
    "/webhooks/gohighlevel": (
        "HighLevel appointment webhook (register it in the marketplace app's webhook settings)",
        HighLevelWebhook,
        "X-GHL-Signature",
        "base64 Ed25519 signature of the raw body, checked with HighLevel's published public "
        "key; the legacy X-WH-Signature alone is refused. "
        "https://marketplace.gohighlevel.com/docs/2021-04-15/webhook/WebhookIntegrationGuide",
    ),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def add_webhooks(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the webhook routes and their schemas added."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    models: tuple[type[BaseModel], ...] = (
        WebhookAnswer,
        ErrorEnvelope,
        ElevenLabsWebhook,
        HighLevelWebhook,
    )
    for model in models:
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(generated.pop("$defs", {}))
        schemas.setdefault(model.__name__, generated)
    for path, (summary, payload, header, scheme) in PROVIDERS.items():
        document.setdefault("paths", {})[path] = {
            "post": {
                "tags": ["webhooks"],
                "summary": summary,
                "description": (
                    "No bearer token: the provider signs the body instead, and the signature is "
                    "verified over the raw bytes before anything is parsed. A verified event is "
                    "queued and answered at once; it is applied to the numbers by the queue's "
                    "consumer, exactly once (by conversation or appointment id)."
                ),
                "operationId": f"webhook_{path.rsplit('/', 1)[1]}",
                "security": [],
                "parameters": [
                    {
                        "name": header,
                        "in": "header",
                        "required": True,
                        "description": scheme,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(payload.__name__)}},
                },
                "responses": {
                    "200": _json("WebhookAnswer", "Verified: queued, or an event type not used"),
                    "400": _json(
                        "ErrorEnvelope", "Signed, but not JSON or nested deeper than 32 levels"
                    ),
                    "401": _json("ErrorEnvelope", "No, a malformed, a wrong or a stale signature"),
                    "413": _json("ErrorEnvelope", "The body is larger than 1 MiB"),
                    "503": _json(
                        "ErrorEnvelope",
                        "Verification not configured, or the queue refused: retry later",
                    ),
                },
            }
        }
    return document
