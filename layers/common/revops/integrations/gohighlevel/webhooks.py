"""HighLevel webhook signatures: Ed25519 over the raw body, in `X-GHL-Signature`.

HighLevel's Webhook Integration Guide
(https://marketplace.gohighlevel.com/docs/2021-04-15/webhook/WebhookIntegrationGuide)
documents two schemes: the legacy `X-WH-Signature` (RSA-SHA256), deprecated on
2026-07-01, and the current `X-GHL-Signature`: a base64 Ed25519 signature of the raw
JSON body, made with HighLevel's private key and checked with the public key HighLevel
publishes there (HighLevel's SDKs read it as a PEM, `WEBHOOK_SIGNATURE_PUBLIC_KEY`).
Only the current scheme is accepted: a request signed the legacy way alone is refused.

Ed25519 carries no timestamp. A replayed appointment event is harmless anyway: events
are applied by the appointment's own `dateUpdated`, so an old state never overwrites a
newer one. The appointment payloads are documented per event type, e.g.
https://marketplace.gohighlevel.com/docs/2021-04-15/webhook/AppointmentUpdate.
"""

from __future__ import annotations

import base64
import binascii
import functools

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from revops.errors import ConfigurationError, WebhookSignatureError

SIGNATURE_HEADER = "X-GHL-Signature"
LEGACY_SIGNATURE_HEADER = "X-WH-Signature"


@functools.lru_cache(maxsize=4)
def public_key(text: str) -> Ed25519PublicKey:
    """HighLevel's published key: a PEM (SubjectPublicKeyInfo) or the 32 raw bytes in base64."""
    text = text.strip()
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ConfigurationError("the GoHighLevel webhook public key cannot be read") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("the GoHighLevel webhook public key is not an Ed25519 key")
    return key


def verify(raw: bytes, signature: str | None, key_text: str, *, legacy: str | None = None) -> None:
    """Check an `X-GHL-Signature` against `raw`; raise WebhookSignatureError when it fails."""
    if not key_text:
        raise ConfigurationError("no GoHighLevel webhook public key is configured")
    if not signature:
        if legacy:
            raise WebhookSignatureError(
                f"only {LEGACY_SIGNATURE_HEADER} was sent; HighLevel retired it on 2026-07-01 "
                f"and signs with {SIGNATURE_HEADER}"
            )
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is missing")
    try:
        decoded = base64.b64decode(signature.strip(), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is not base64") from exc
    if len(decoded) != 64:
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER} header is not an Ed25519 signature")
    try:
        public_key(key_text).verify(decoded, raw)
    except InvalidSignature as exc:
        raise WebhookSignatureError("the signature does not match the body") from exc
