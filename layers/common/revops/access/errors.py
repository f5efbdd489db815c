"""The outcomes a person is shown a page for, typed so one handler maps each to its page."""

from __future__ import annotations

from revops.errors import RevopsError


class AccessError(RevopsError):
    """Base of the errors that end a request with an HTML page."""


class SignInFailedError(AccessError):
    """Sign-in did not complete: cancelled, stale, tampered, another org, inactive user."""

    def __init__(self, reason: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.code = code  # Salesforce's OAuth error code, when it gave one


class AccessRefusedError(AccessError):
    """Salesforce does not let this user read the record, or use the dashboards."""

    def __init__(self, reason: str, record_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record_id = record_id


class DocumentNotFoundError(AccessError):
    """No such record, the record was deleted, or our copy of its file is missing."""

    def __init__(self, reason: str, record_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record_id = record_id


class TooManyRequestsError(AccessError):
    """The user opened more documents in a minute than `DocumentOpensPerMinute` allows."""


class CsrfRejectedError(AccessError):
    """A state-changing POST without the session's CSRF token, or from another origin."""
