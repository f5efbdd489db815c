"""Webhook signatures as the providers document them, checked over the raw body.

ElevenLabs: `ElevenLabs-Signature: t=<timestamp>,v0=<hex HMAC-SHA256("<t>.<body>")>`, at most
30 minutes old. HighLevel: `X-GHL-Signature`, a base64 Ed25519 signature of the body, checked
with the published public key (the stand-in's own key pair here).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from local.webhooks import (
    LOCAL_ELEVENLABS_WEBHOOK_SECRET,
    elevenlabs_signer,
    ghl_public_key_pem,
    ghl_signer,
    ghl_signing_key,
)
from revops.errors import ConfigurationError, WebhookSignatureError
from revops.integrations import elevenlabs_webhooks as el
from revops.integrations.gohighlevel import webhooks as ghl

SECRET = LOCAL_ELEVENLABS_WEBHOOK_SECRET
BODY = json.dumps(
    {"type": "post_call_transcription", "data": {"note": "Côté ✓"}}, ensure_ascii=False
).encode()
NOW = 1_767_225_600.0


def header(timestamp: int = int(NOW), body: bytes = BODY, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v0={digest.hexdigest()}"


def test_an_elevenlabs_signature_over_the_raw_body_is_accepted() -> None:
    assert el.verify(BODY, header(), SECRET, now=NOW) == int(NOW)
    signed = elevenlabs_signer()(BODY, NOW, True)
    assert el.verify(BODY, signed[el.SIGNATURE_HEADER], SECRET, now=NOW) == int(NOW)


@pytest.mark.parametrize(
    ("value", "body", "reason"),
    [
        (None, BODY, "missing"),
        ("", BODY, "missing"),
        ("t=abc,v0=00", BODY, "not t=<timestamp>,v0=<hash>"),
        (f"t={int(NOW)}", BODY, "not t=<timestamp>,v0=<hash>"),
        (f"v0={'0' * 64}", BODY, "not t=<timestamp>,v0=<hash>"),
        (header(), BODY + b" ", "does not match"),
        (header(), json.dumps(json.loads(BODY)).encode(), "does not match"),  # re-serialised
        (header(secret="another-secret"), BODY, "does not match"),
        (header(int(NOW) - 30 * 60 - 1), BODY, "older than 30 minutes"),
        (header(int(NOW) + 30 * 60 + 1), BODY, "in the future"),
        (elevenlabs_signer()(BODY, NOW, False)[el.SIGNATURE_HEADER], BODY, "does not match"),
    ],
)
def test_bad_missing_and_replayed_elevenlabs_signatures_are_refused(
    value: str | None, body: bytes, reason: str
) -> None:
    with pytest.raises(WebhookSignatureError, match=reason):
        el.verify(body, value, SECRET, now=NOW)


def test_the_tolerance_edge_and_a_second_hash_are_accepted() -> None:
    assert el.verify(BODY, header(int(NOW) - 30 * 60), SECRET, now=NOW)
    rotated = header() + ",v0=" + "f" * 64
    assert el.verify(BODY, "v0=" + "0" * 64 + "," + rotated, SECRET, now=NOW)


def test_elevenlabs_hashes_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []

    def compare(a: str, b: str) -> bool:
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(el.hmac, "compare_digest", compare)
    el.verify(BODY, header() + ",v0=" + "0" * 64, SECRET, now=NOW)
    assert len(compared) == 2  # every candidate, even after a match


def test_no_secret_configured_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no ElevenLabs webhook secret"):
        el.verify(BODY, header(), "", now=NOW)


def ghl_signature(body: bytes = BODY, key: Ed25519PrivateKey | None = None) -> str:
    return base64.b64encode((key or ghl_signing_key()).sign(body)).decode()


def test_a_highlevel_ed25519_signature_over_the_raw_body_is_accepted() -> None:
    ghl.verify(BODY, ghl_signature(), ghl_public_key_pem())
    ghl.verify(BODY, ghl_signer()(BODY, NOW, True)[ghl.SIGNATURE_HEADER], ghl_public_key_pem())
    raw = (
        ghl_signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    ghl.verify(BODY, ghl_signature(), base64.b64encode(raw).decode())  # the key as raw base64


@pytest.mark.parametrize(
    ("signature", "body", "reason"),
    [
        (None, BODY, "X-GHL-Signature header is missing"),
        ("not base64!", BODY, "not base64"),
        (base64.b64encode(b"short").decode(), BODY, "not an Ed25519 signature"),
        (ghl_signature(), BODY + b"\n", "does not match"),
        (ghl_signature(key=Ed25519PrivateKey.generate()), BODY, "does not match"),
        (ghl_signer()(BODY, NOW, False)[ghl.SIGNATURE_HEADER], BODY, "does not match"),
    ],
    # Stable ids: the signatures are made with keys generated at collection time, and
    # parallel workers must collect the same test names.
    ids=["missing", "not-base64", "too-short", "body-changed", "another-key", "wrongly-signed"],
)
def test_bad_and_missing_highlevel_signatures_are_refused(
    signature: str | None, body: bytes, reason: str
) -> None:
    with pytest.raises(WebhookSignatureError, match=reason):
        ghl.verify(body, signature, ghl_public_key_pem())


def test_the_retired_rsa_header_alone_is_refused_with_the_reason() -> None:
    with pytest.raises(WebhookSignatureError, match="retired it on 2026-07-01"):
        ghl.verify(BODY, None, ghl_public_key_pem(), legacy="c2lnbmF0dXJl")


def test_an_unreadable_public_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        ghl.verify(
            BODY, ghl_signature(), "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"
        )
    with pytest.raises(ConfigurationError, match="no GoHighLevel webhook public key"):
        ghl.verify(BODY, ghl_signature(), "")
