"""Typed GoHighLevel errors: their class names are what Step Functions `Retry`/`Catch` name."""

from __future__ import annotations

from revops.errors import ConfigurationError, UpstreamError, UpstreamThrottledError


class GoHighLevelThrottledError(UpstreamThrottledError):
    """GoHighLevel kept answering 429 after every retry. Retry later."""


class GoHighLevelUnavailableError(UpstreamError):
    """GoHighLevel answered 5xx or could not be reached (API or token refresh)."""


class GoHighLevelReauthorizationError(UpstreamError):
    """The location's refresh token was refused (`invalid_grant`): reconnect the app there."""


class GoHighLevelAuthError(ConfigurationError):
    """The app's client id or secret is wrong, or the token has no access to the location."""


class GoHighLevelRefreshTokenMissingError(ConfigurationError):
    """No refresh token is stored for a location."""


class GoHighLevelRequestError(UpstreamError):
    """GoHighLevel rejected a request (4xx): a bug on our side, never retried."""


class GoHighLevelTruncatedError(UpstreamError):
    """Even the smallest window returned a full (so maybe truncated) answer."""


class GoHighLevelLockTimeoutError(UpstreamThrottledError):
    """Another worker held the location's refresh lock for too long. Retry later."""


class GoHighLevelTokenTooLargeError(ConfigurationError):
    """A location's tokens would not fit in a Secrets Manager secret (65,536 bytes)."""
