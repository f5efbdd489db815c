"""The stable link cutover writes into Salesforce: `https://<docs host>/d/<recordId>`.

The link names the record, not the storage: moving the files never needs
Salesforce to be rewritten again, and whoever clicks the link is signed in and
checked against Salesforce before any byte is served (`revops.access.documents`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from revops.errors import ConfigurationError

PATH_PREFIX = "/d/"
RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_base_url(base_url: str) -> str:
    """`https://host[:port]` without a trailing slash (http only for a loopback host)."""
    parts = urlsplit(base_url.strip())
    loopback = parts.hostname in _LOOPBACK
    if (
        parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not loopback)
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(f"not an https base URL: {base_url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def document_link(base_url: str, record_id: str) -> str:
    if not RECORD_ID.match(record_id):
        raise ValueError(f"not a Salesforce record Id: {record_id!r}")
    return f"{check_base_url(base_url)}{PATH_PREFIX}{record_id}"


def link_prefix(base_url: str) -> str:
    """What every stable link starts with (rollback finds records holding ours by it)."""
    return f"{check_base_url(base_url)}{PATH_PREFIX}"


def record_id_of(link: str, base_url: str) -> str | None:
    """The record Id a stable link names, or None when it is not one of ours."""
    prefix = link_prefix(base_url)
    if not link.startswith(prefix):
        return None
    candidate = link.removeprefix(prefix)
    return candidate if RECORD_ID.match(candidate) else None


_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(record_id: str) -> str:
    """The 18-character form of a 15-character Salesforce Id (18-character Ids pass through).

    The suffix encodes which of the 15 characters are upper case, five at a time.
    """
    if not RECORD_ID.match(record_id):
        raise ValueError(f"not a Salesforce record Id: {record_id!r}")
    if len(record_id) == 18:
        return record_id
    suffix = ""
    for chunk in range(3):
        bits = sum(
            1 << position
            for position, char in enumerate(record_id[chunk * 5 : chunk * 5 + 5])
            if "A" <= char <= "Z"
        )
        suffix += _SUFFIX_CHARS[bits]
    return record_id + suffix
