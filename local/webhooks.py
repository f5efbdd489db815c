"""Webhooks the stand-ins send: signed as each provider documents, delivered over HTTP.

* ElevenLabs: `ElevenLabs-Signature: t=<timestamp>,v0=<hex HMAC-SHA256 of
  "<timestamp>.<raw body>">` with the webhook's shared secret
  (`revops.integrations.elevenlabs_webhooks`).
* HighLevel: `X-GHL-Signature: <base64 Ed25519 signature of the raw body>`. HighLevel
  signs with its private key and publishes the public one; the stand-in signs with a
  key pair of its own (`GHL_SIGNING_KEY`) and the local stack configures its public
  key (`ghl_public_key_pem()`) where HighLevel's would go.

`WebhookSender` posts each event to every subscribed URL through the transport seam
(so the local API Gateway receives it, as the real one would), and records every
delivery. Faults on demand, each for the next `n` events: `drop_next` (never sent),
`duplicate_next` (sent twice), `corrupt_next` (signed with the wrong secret or key),
`unsigned_next` (no signature header), `stale_next` (ElevenLabs: a timestamp older than
the 30-minute tolerance). `hold()` keeps events back until `release(order)` sends them
in any order, for out-of-order deliveries.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from revops.integrations import elevenlabs_webhooks, transport

# HighLevel's header (revops.integrations.gohighlevel.webhooks.SIGNATURE_HEADER). Importing
# that package here would build the Powertools objects before a test run configures them.
GHL_SIGNATURE_HEADER = "X-GHL-Signature"

LOCAL_ELEVENLABS_WEBHOOK_SECRET = "wsec_local_elevenlabs_webhook_secret"
STALE_SECONDS = 31 * 60

Signer = Callable[[bytes, float, bool], dict[str, str]]
"""(raw body, now, correctly?) -> the signature headers."""


@functools.cache
def ghl_signing_key() -> Ed25519PrivateKey:
    """The stand-in's own Ed25519 key pair (one per process), in place of HighLevel's."""
    return Ed25519PrivateKey.generate()


def ghl_public_key_pem() -> str:
    return (
        ghl_signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def elevenlabs_signer(secret: str = LOCAL_ELEVENLABS_WEBHOOK_SECRET) -> Signer:
    def sign(raw: bytes, now: float, correct: bool) -> dict[str, str]:
        timestamp = int(now)
        key = secret if correct else secret + "-wrong"
        digest = elevenlabs_webhooks.signature(key, timestamp, raw)
        return {elevenlabs_webhooks.SIGNATURE_HEADER: f"t={timestamp},v0={digest}"}

    return sign


def ghl_signer(key: Ed25519PrivateKey | None = None) -> Signer:
    def sign(raw: bytes, now: float, correct: bool) -> dict[str, str]:
        signer = (key or ghl_signing_key()) if correct else Ed25519PrivateKey.generate()
        value = base64.b64encode(signer.sign(raw)).decode("ascii")
        return {GHL_SIGNATURE_HEADER: value}

    return sign


@dataclass
class Delivery:
    """One POST of one event: what was sent and what the receiver answered."""

    url: str
    event: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    status: int | None = None
    answer: Any = None
    sent_at: float = 0.0


@dataclass
class _Held:
    event: dict[str, Any]
    faults: list[str] = field(default_factory=list)


class WebhookSender:
    """Signs, delivers and records one provider's webhooks."""

    def __init__(self, signer: Signer, *, clock: Callable[[], float] = time.time) -> None:
        self.signer = signer
        self.clock = clock
        self.urls: list[str] = []
        self.deliveries: list[Delivery] = []
        self.dropped: list[dict[str, Any]] = []
        self._faults: dict[str, int] = {}
        self._held: list[_Held] | None = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ subscriptions

    def subscribe(self, url: str) -> None:
        with self._lock:
            if url not in self.urls:
                self.urls.append(url)

    def unsubscribe(self, url: str | None = None) -> None:
        with self._lock:
            self.urls = [u for u in self.urls if url is not None and u != url]

    # ------------------------------------------------------------------ faults on demand

    def _arm(self, fault: str, count: int) -> None:
        with self._lock:
            self._faults[fault] = self._faults.get(fault, 0) + count

    def drop_next(self, count: int = 1) -> None:
        self._arm("drop", count)

    def duplicate_next(self, count: int = 1) -> None:
        self._arm("duplicate", count)

    def corrupt_next(self, count: int = 1) -> None:
        self._arm("corrupt", count)

    def unsigned_next(self, count: int = 1) -> None:
        self._arm("unsigned", count)

    def stale_next(self, count: int = 1) -> None:
        self._arm("stale", count)

    def _take_faults(self) -> list[str]:
        taken = []
        for fault, left in list(self._faults.items()):
            if left > 0:
                taken.append(fault)
                self._faults[fault] = left - 1
        return taken

    def hold(self) -> None:
        """Keep events back (in order of emission) until `release`."""
        with self._lock:
            self._held = []

    def release(self, order: Iterable[int] | None = None) -> list[Delivery]:
        """Send the held events, in `order` (indexes into what was held) or as emitted."""
        with self._lock:
            held, self._held = self._held or [], None
        chosen = [held[i] for i in order] if order is not None else held
        sent: list[Delivery] = []
        for item in chosen:
            sent += self._deliver(item.event, item.faults)
        return sent

    # ------------------------------------------------------------------ sending

    def emit(self, event: dict[str, Any]) -> list[Delivery]:
        """Send `event` to every subscriber (unless held or dropped); the deliveries made."""
        with self._lock:
            faults = self._take_faults()
            if self._held is not None:
                self._held.append(_Held(event, faults))
                return []
        return self._deliver(event, faults)

    def _deliver(self, event: dict[str, Any], faults: list[str]) -> list[Delivery]:
        if "drop" in faults:
            with self._lock:
                self.dropped.append(event)
            return []
        raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
        now = self.clock()
        signed_at = now - STALE_SECONDS if "stale" in faults else now
        headers = {"Content-Type": "application/json", "User-Agent": "revops-local-standin"}
        if "unsigned" not in faults:
            headers.update(self.signer(raw, signed_at, "corrupt" not in faults))
        made: list[Delivery] = []
        session = transport.new_session()
        for url in list(self.urls):
            for _ in range(2 if "duplicate" in faults else 1):
                delivery = Delivery(url, event, raw, dict(headers), sent_at=now)
                try:
                    response = session.post(url, data=raw, headers=headers, timeout=30)
                except requests.RequestException as exc:
                    delivery.answer = f"{type(exc).__name__}: {exc}"
                else:
                    delivery.status = response.status_code
                    delivery.answer = _answer(response)
                made.append(delivery)
        with self._lock:
            self.deliveries += made
        return made

    def redeliver(self, delivery: Delivery) -> Delivery:
        """The same bytes and headers again (a provider's retry, or a replay)."""
        response = transport.new_session().post(
            delivery.url, data=delivery.body, headers=delivery.headers, timeout=30
        )
        again = Delivery(
            delivery.url,
            delivery.event,
            delivery.body,
            dict(delivery.headers),
            response.status_code,
            _answer(response),
            self.clock(),
        )
        with self._lock:
            self.deliveries.append(again)
        return again


def _answer(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]
