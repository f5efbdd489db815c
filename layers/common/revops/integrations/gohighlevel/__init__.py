"""The GoHighLevel (LeadConnector API v2) client: OAuth refresh and calendar events.

OAuth. The app's `client_id` / `client_secret` come from the GoHighLevel
secret. Each location (sub-account) has its own refresh token, kept in its own
Secrets Manager secret `<prefix>/<locationId>` as
`{"refresh_token", "access_token", "access_token_expires_at"}`. GoHighLevel
refresh tokens are single use: every refresh returns a new one and kills the
old. So a refresh (`TokenManager.refresh`):

1. takes a lock for the location (`RefreshLock`: a conditional put in DynamoDB
   with a lease), so two workers never present the same token;
2. re-reads the stored token under the lock (another worker may have
   refreshed already: its access token is then used as is);
3. exchanges the refresh token and stores the NEW refresh token (a new secret
   version; the old one stays as AWSPREVIOUS) before the access token is used;
4. on `invalid_grant`, re-reads the stored token: if another worker rotated it
   meanwhile, it retries once with that one, otherwise the location must be
   reconnected (`GoHighLevelReauthorizationError`). A failed refresh never
   touches the stored token.

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
