"""Typed errors shared by every domain.

Each error's class name is what a Step Functions `Retry` or `Catch` names (the
dispatcher and the Lambda runtime both report `errorType` as the class name), so
names are part of the workflow contract: rename one and the ASL must follow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any


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


# A source file and line in a stack trace, or a bare .py path in a message.
_TRACE = re.compile(r'File "[^"]*", line \d+(?:, in \S+)?|(?:/[\w.\-]+)+\.py\b')


def failure_message(error: Mapping[str, Any] | None, limit: int = 1000) -> str | None:
    """A workflow's caught error (`{"Error", "Cause"}`) as one clean line for people.

    A failed Lambda's Cause is its JSON error (`errorType`, `errorMessage`,
    `stackTrace`); a failed nested execution's is its own `{"Error", "Cause"}`.
    The result keeps the error's type and message and drops stack traces and file
    paths, which belong in the logs, not in a run record or a status page.
    """
    if not error:
        return None
    name = str(error.get("Error") or error.get("error") or "Error")
    cause: Any = error.get("Cause") or error.get("cause") or ""
    for _ in range(3):  # unwrap nested causes
        try:
            parsed = json.loads(cause) if isinstance(cause, str) else cause
        except ValueError:
            break
        if not isinstance(parsed, dict):
            break
        if "errorMessage" in parsed:
            name = str(parsed.get("errorType") or name)
            cause = str(parsed.get("errorMessage") or "")
            break
        inner = parsed.get("Cause") or parsed.get("cause")
        if inner is None:
            break
        name = str(parsed.get("Error") or parsed.get("error") or name)
        cause = inner
    text = " ".join(_TRACE.sub("", str(cause)).split())
    return (f"{name}: {text}" if text else name)[:limit]


class WebhookSignatureError(RevopsError):
    """A webhook's signature is missing, malformed, stale or wrong (HTTP 401)."""
