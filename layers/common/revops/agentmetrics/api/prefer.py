"""`Prefer: wait=N` (RFC 7240, section 4.3): how long a caller would wait for a long call.

The header holds preferences separated by commas, each `token[=value]` with optional
`;`-parameters; tokens are case-insensitive and values may be quoted. `wait` is a
number of seconds. Anything this module cannot read is ignored, as the RFC asks of a
server that does not understand a preference: the request is never refused for it.
"""

from __future__ import annotations

import re

MAX_WAIT_SECONDS = 25  # API Gateway gives up after 29 s; the answer needs the rest
_WAIT = re.compile(r'^\s*wait\s*=\s*"?(\d{1,6})"?\s*$', re.IGNORECASE)


def requested_wait(header: str | None) -> int | None:
    """Seconds asked for by `Prefer: wait=N`, at most `MAX_WAIT_SECONDS`; None if not asked."""
    if not header:
        return None
    for preference in header.split(","):
        match = _WAIT.match(preference.split(";", 1)[0])
        if match:
            return min(int(match.group(1)), MAX_WAIT_SECONDS)
    return None
