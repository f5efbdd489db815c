"""The one module that owns cookies and sessions. Handlers ask it "who is this?".

Two cookies, both `__Host-` (so `Secure`, `Path=/`, no `Domain`: only our exact
host ever receives them), `HttpOnly` and `SameSite=Lax` (sent on a click from
Salesforce, never on another site's POST; OWASP ASVS V3.4.1 to V3.4.5):

* `__Host-revops_session`: `<session id>.<expiry>.<signature>`. The id is 256
  random bits; the signature is HMAC-SHA256 over id and expiry with the cookie
  key from Secrets Manager. It holds no Salesforce token and no user data. The
  server keeps the session (user id, username, org, times) under the SHA-256 of
  the id, so the cookie is worthless once the session ends: logout deletes it
  (OWASP ASVS V3.3.1), and a replayed cookie finds nothing.
* `__Host-revops_login`: binds a sign-in in progress to the browser that
  started it (login CSRF): the pending login (PKCE verifier, where to go
  after) is stored under the SHA-256 of the OAuth `state` with the hash of
  this cookie, is valid for 10 minutes and can be taken once.

A session lasts `SessionHours` (8 at most, absolute, ASVS V3.3.2) and ends after
`SessionIdleMinutes` without a request. A new session id is made at every
sign-in and nothing the browser sent before is reused (no session fixation,
ASVS V3.2.1). Logout is a POST carrying a token derived from the session with
the cookie key (ASVS V4.2.2).

The key secret is `{"key": "...", "previous": "..."}`: cookies are signed
with `key` and accepted with either, so the key can be rotated without
signing everyone out at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from revops.errors import ConfigurationError
from revops.store.access import AccessStore

SESSION_COOKIE = "__Host-revops_session"
LOGIN_COOKIE = "__Host-revops_login"
LOGIN_LIFETIME = timedelta(minutes=10)
TOUCH_EVERY_SECONDS = 300  # record activity at most this often (one write per 5 minutes)
MAX_NEXT_PATH = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class CookieKeys:
    current: bytes
    previous: bytes | None = None

    @classmethod
    def from_secret(cls, secret: dict[str, object]) -> CookieKeys:
        key = str(secret.get("key") or "")
        if len(key) < 32:
            raise ConfigurationError("the session key secret needs a 'key' of 32+ characters")
        previous = str(secret.get("previous") or "") or None
        return cls(key.encode(), previous.encode() if previous else None)

    def sign(self, message: str) -> str:
        return _b64(hmac.new(self.current, message.encode(), hashlib.sha256).digest())

    def verify(self, message: str, signature: str) -> bool:
        keys = [self.current] + ([self.previous] if self.previous else [])
        return any(
            hmac.compare_digest(
                _b64(hmac.new(key, message.encode(), hashlib.sha256).digest()), signature
            )
            for key in keys
        )


@dataclass(frozen=True)
class Identity:
    """Who a request comes from, as the session records it."""

    session_hash: str
    user_id: str
    username: str
    name: str
    org_id: str
    instance_url: str
    expires_at: float
    csrf_token: str


@dataclass(frozen=True)
class LoginStart:
    state: str
    verifier: str
    cookie: Cookie


@dataclass(frozen=True)
class PendingLogin:
    verifier: str
    next_path: str


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    username: str
    name: str
    org_id: str
    instance_url: str


def cookie_values(cookies: Iterable[str], name: str) -> list[str]:
    """Every value of cookie `name` in API Gateway's `cookies` list (or Cookie header parts)."""
    values = []
    for entry in cookies:
        for part in entry.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name:
                values.append(value)
    return values


def safe_next_path(candidate: str | None) -> str:
    """A path on our own host to return to after sign-in; anything else becomes "/".

    Accepts `/...` only: no scheme, no `//` or `/\\` (protocol-relative), no
    backslashes or control characters anywhere (OWASP ASVS V5.1.5, open redirects).
    """
    if not candidate or len(candidate) > MAX_NEXT_PATH or not candidate.startswith("/"):
        return "/"
    if candidate.startswith(("//", "/\\")) or "\\" in candidate:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in candidate):
        return "/"
    lowered = candidate.lower()
    if lowered.startswith(("/%2f", "/%5c")):
        return "/"
    return candidate


class SessionManager:
    def __init__(
        self,
        store: AccessStore,
        keys: CookieKeys,
        *,
        lifetime: timedelta = timedelta(hours=8),
        idle: timedelta = timedelta(hours=1),
        clock: Callable[[], float] = time.time,
    ) -> None:
        if lifetime > timedelta(hours=8):
            raise ConfigurationError("a session lasts 8 hours at most")
        self.store = store
        self.keys = keys
        self.lifetime = lifetime
        self.idle = idle
        self.clock = clock

    # ------------------------------------------------------------------ who is this?

    def who(self, cookies: Iterable[str]) -> Identity | None:
        """The signed-in user of a request, or None (no, bad, expired or ended session)."""
        now = self.clock()
        for value in cookie_values(cookies, SESSION_COOKIE):
            identity = self._check(value, now)
            if identity is not None:
                return identity
        return None

    def _check(self, value: str, now: float) -> Identity | None:
        parts = value.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        session_id, expiry, signature = parts
        if not self.keys.verify(f"session|{session_id}|{expiry}", signature):
            return None  # tampered, or signed with a key we no longer hold
        if int(expiry) <= now:
            return None
        session_hash = _hash(session_id)
        item = self.store.session(session_hash, now)
        if item is None:
            return None  # ended (logout, deactivation) or never existed
        if item.last_seen + self.idle.total_seconds() <= now:
            self.store.delete_session(session_hash)
            return None
        if now - item.last_seen >= TOUCH_EVERY_SECONDS:
            self.store.touch_session(item, now)
        user = SignedIn(
            item.user_id,
            item.username,
            item.name or item.username,
            item.org_id,
            item.instance_url or "",
        )
        return self._identity(session_hash, user, float(item.expires_at or expiry))

    def _identity(self, session_hash: str, user: SignedIn, expires_at: float) -> Identity:
        return Identity(
            session_hash=session_hash,
            user_id=user.user_id,
            username=user.username,
            name=user.name,
            org_id=user.org_id,
            instance_url=user.instance_url,
            expires_at=expires_at,
            csrf_token=self.keys.sign(f"csrf|{session_hash}"),
        )

    # ------------------------------------------------------------------ sign-in

    def begin_login(self, next_path: str) -> LoginStart:
        """A new pending login: the OAuth state, the PKCE verifier and the browser binding."""
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9-_] (RFC 7636: 43-128)
        binding = secrets.token_urlsafe(32)
        expires = int(self.clock() + LOGIN_LIFETIME.total_seconds())
        self.store.put_login(
            _hash(state),
            verifier=verifier,
            next_path=safe_next_path(next_path),
            binding=_hash(binding),
            expires_at=expires,
        )
        signed = f"{binding}.{self.keys.sign(f'login|{binding}')}"
        return LoginStart(
            state, verifier, _cookie(LOGIN_COOKIE, signed, int(LOGIN_LIFETIME.total_seconds()))
        )

    def take_login(self, state: str, cookies: Iterable[str]) -> PendingLogin | None:
        """The pending login `state` names, if this browser started it; usable once."""
        if not state or len(state) > 128:
            return None
        bindings = []
        for value in cookie_values(cookies, LOGIN_COOKIE):
            binding, _, signature = value.partition(".")
            if binding and self.keys.verify(f"login|{binding}", signature):
                bindings.append(_hash(binding))
        item = self.store.take_login(_hash(state), bindings, self.clock())
        if item is None:
            return None
        return PendingLogin(item.verifier, safe_next_path(item.next_path))

    def start(self, user: SignedIn, cookies: Iterable[str] = ()) -> tuple[Identity, list[Cookie]]:
        """A brand-new session for a user who just signed in; any earlier one of this browser ends."""
        previous = self.who(cookies)
        if previous is not None:
            self.store.delete_session(previous.session_hash)
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        expiry = int(now + self.lifetime.total_seconds())
        session_hash = _hash(session_id)
        self.store.put_session(
            session_hash,
            user_id=user.user_id,
            username=user.username,
            name=user.name,
            org_id=user.org_id,
            instance_url=user.instance_url,
            created_at=int(now),
            last_seen=int(now),
            expires_at=expiry,
        )
        value = f"{session_id}.{expiry}.{self.keys.sign(f'session|{session_id}|{expiry}')}"
        cookies_out = [
            _cookie(SESSION_COOKIE, value, int(self.lifetime.total_seconds())),
            _cookie(LOGIN_COOKIE, "", 0),
        ]
        return self._identity(session_hash, user, float(expiry)), cookies_out

    # ------------------------------------------------------------------ sign-out

    def end(self, identity: Identity) -> list[Cookie]:
        """End the session on the server and clear the browser's cookies."""
        self.store.delete_session(identity.session_hash)
        return self.cleared()

    def cleared(self) -> list[Cookie]:
        return clearing_cookies()

    def csrf_ok(self, identity: Identity, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(identity.csrf_token, str(token))


def _cookie(name: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        name=name,
        value=value,
        path="/",
        secure=True,
        http_only=True,
        max_age=max_age,
        same_site=SameSite.LAX_MODE,
    )


def clearing_cookies() -> list[Cookie]:
    """Set-Cookie values that make the browser forget its session."""
    return [_cookie(SESSION_COOKIE, "", 0)]
