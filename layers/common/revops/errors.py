"""Typed errors shared by every domain.

Each error's class name is what a Step Functions `Retry` or `Catch` names (the
dispatcher and the Lambda runtime both report `errorType` as the class name), so
names are part of the workflow contract: rename one and the ASL must follow.
"""

from __future__ import annotations


class RevopsError(Exception):
    """Base for every error this application raises on purpose."""


class InvalidInputError(RevopsError):
    """A workflow or API input failed validation. Never retried."""


class ConfigurationError(RevopsError):
    """A setting, secret or field mapping is missing or wrong. Never retried."""


class UpstreamError(RevopsError):
    """An external system failed in a way that may pass on retry."""


class UpstreamThrottledError(UpstreamError):
    """An external system asked us to slow down (HTTP 429, S3 SlowDown)."""


class WebhookSignatureError(RevopsError):
    """A webhook's signature is missing, malformed, stale or wrong (HTTP 401)."""
