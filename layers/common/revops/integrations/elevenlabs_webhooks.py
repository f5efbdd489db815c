"""ElevenLabs webhook signatures: `ElevenLabs-Signature: t=<timestamp>,v0=<hex>`.

Documented in "Post-call webhooks" (https://elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks)
and "Webhooks" (https://elevenlabs.io/docs/eleven-api/resources/webhooks): the hash is the
hex-encoded HMAC-SHA256, keyed with the webhook's shared secret, of
`<timestamp>.<raw request body>`; both the hash and the timestamp are to be validated.
ElevenLabs' own SDK (`construct_event`) refuses timestamps more than 30 minutes old,
which is what makes a captured request useless for a replay; we refuse as much in the
future too (a clock that far ahead is as suspicious).

Verification runs over the raw bytes as received, before any parsing, and compares
digests in constant time (`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac

from revops.errors import ConfigurationError, WebhookSignatureError

SIGNATURE_HEADER = "ElevenLabs-Signature"
TOLERANCE_SECONDS = 30 * 60


def signature(secret: str, timestamp: int, raw: bytes) -> str:
    """The `v0` hash of `raw` sent at `timestamp` (what ElevenLabs computes)."""
    message = str(timestamp).encode("ascii") + b"." + raw
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(
    raw: bytes,
    header: str | None,
    secret: str,
    *,
    now: float,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> int:
    """Check `header` against `raw`; return the signed timestamp or raise WebhookSignatureError."""
    if not secret:
        raise ConfigurationError("no ElevenLabs webhook secret is configured")
    if not header:
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is missing")
    timestamp_text = ""
    hashes: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp_text = value
        elif key == "v0":
            hashes.append(value)
    if not timestamp_text.isdigit() or len(timestamp_text) > 12 or not hashes:
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is not t=<timestamp>,v0=<hash>")
    timestamp = int(timestamp_text)
    if timestamp < now - tolerance_seconds:
        raise WebhookSignatureError(
            f"the signature is older than {tolerance_seconds // 60} minutes (a replay?)"
        )
    if timestamp > now + tolerance_seconds:
        raise WebhookSignatureError("the signature's timestamp is in the future")
    expected = signature(secret, timestamp, raw)
    matched = False
    for candidate in hashes:  # every candidate compared, in constant time each
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookSignatureError("the signature does not match the body")
    return timestamp
