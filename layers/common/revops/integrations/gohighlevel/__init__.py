"""The GoHighLevel (LeadConnector API v2) client: OAuth refresh and calendar events.

OAuth. Each location (sub-account) keeps its own single-use refresh token in
Secrets Manager; a refresh happens under a per-location lock and stores the new
token before the access token is used (`tokens` says how, step by step).

Events. `GET /calendars/events` has no paging and silently caps large
answers, so `events()` asks for bounded windows and splits a window whose
answer reaches `max_events_per_window` in two, de-duplicating by event id.

Rate limits. 100 requests per 10 s per location (and a daily cap). The
`RateLimiter` spaces requests on a sliding window, waits out the interval when
`X-RateLimit-Remaining` reaches 0, and a 429 waits
`X-RateLimit-Interval-Milliseconds` (or exponential backoff) before retrying.

Modules: `errors`, `tokens` (OAuth), `ratelimit`, `client` (events); everything is
importable from here.
"""

from __future__ import annotations

from revops.integrations.gohighlevel.client import API_VERSION, MIN_WINDOW_MS, GoHighLevelClient
from revops.integrations.gohighlevel.errors import (
    GoHighLevelAuthError,
    GoHighLevelLockTimeoutError,
    GoHighLevelReauthorizationError,
    GoHighLevelRefreshTokenMissingError,
    GoHighLevelRequestError,
    GoHighLevelThrottledError,
    GoHighLevelTokenTooLargeError,
    GoHighLevelTruncatedError,
    GoHighLevelUnavailableError,
)
from revops.integrations.gohighlevel.ratelimit import RateLimiter
from revops.integrations.gohighlevel.tokens import (
    DEFAULT_BASE_URL,
    MAX_REFRESH_TOKEN_BYTES,
    SECRET_STRING_MAX_BYTES,
    Grant,
    OAuthClient,
    RefreshLock,
    SecretsManagerTokenVault,
    StoredToken,
    TokenManager,
    TokenVault,
)

__all__ = [
    "API_VERSION",
    "DEFAULT_BASE_URL",
    "MAX_REFRESH_TOKEN_BYTES",
    "MIN_WINDOW_MS",
    "SECRET_STRING_MAX_BYTES",
    "GoHighLevelAuthError",
    "GoHighLevelClient",
    "GoHighLevelLockTimeoutError",
    "GoHighLevelReauthorizationError",
    "GoHighLevelRefreshTokenMissingError",
    "GoHighLevelRequestError",
    "GoHighLevelThrottledError",
    "GoHighLevelTokenTooLargeError",
    "GoHighLevelTruncatedError",
    "GoHighLevelUnavailableError",
    "Grant",
    "OAuthClient",
    "RateLimiter",
    "RefreshLock",
    "SecretsManagerTokenVault",
    "StoredToken",
    "TokenManager",
    "TokenVault",
]
