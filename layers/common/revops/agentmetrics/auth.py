"""The admin API's bearer-token check, for the HTTP API's Lambda authorizer.

API Gateway (HTTP API, authorizer payload 2.0, simple responses, identity
source `$request.header.Authorization`, no caching) behaves like this, and the
authorizer is written for it:

* no `Authorization` header (or an empty one): API Gateway answers 401 itself,
  without calling the authorizer;
* a header that is not `Bearer <token>` (e.g. `Basic ...`, or `Bearer` with
  nothing after it): the authorizer fails with the error message
  `Unauthorized`, which API Gateway turns into 401. The scheme is matched
  case-insensitively (`bearer`, `BEARER`), as RFC 9110 says;
* a well-formed but wrong token: `{"isAuthorized": false}`, which API Gateway
  turns into 403;
* the right token: `{"isAuthorized": true}`, and the request goes on to the
  admin function.

Only the SHA-256 digest of the token is stored (the admin secret's
`token_sha256`), and digests are compared in constant time. Tokens are never
logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

# RFC 9110 section 11.1: the auth-scheme is case-insensitive ("bearer", "BEARER"), and
# one or more spaces separate it from the credentials (RFC 6750's token68 syntax).
BEARER = re.compile(r"^Bearer +([A-Za-z0-9._~+/-]+=*)$", re.IGNORECASE)
MAX_TOKEN_LENGTH = 4096


class Unauthorized(Exception):
    """Raised for a missing or malformed header: API Gateway answers 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def bearer_token(headers: Mapping[str, str] | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or Unauthorized."""
    value = None
    for name, header in (headers or {}).items():
        if name.lower() == "authorization":
            value = header
    if not value:
        raise Unauthorized()
    match = BEARER.fullmatch(value.strip())
    if match is None or len(match.group(1)) > MAX_TOKEN_LENGTH:
        raise Unauthorized()
    return match.group(1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, expected_sha256: str) -> bool:
    if not expected_sha256:
        return False
    return hmac.compare_digest(digest(token), expected_sha256.strip().lower())


def authorize(event: Mapping[str, Any], expected_sha256: str) -> dict[str, Any]:
    """The simple response for an authorizer event (raises Unauthorized when malformed)."""
    token = bearer_token(event.get("headers"))
    if not token_matches(token, expected_sha256):
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": {"principal": "admin"}}
