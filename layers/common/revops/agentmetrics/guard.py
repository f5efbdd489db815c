"""What every request body must pass before routing: size, media type, bounded JSON.

Checked on the raw API Gateway event, before Powertools parses anything, so no
body can turn into a 5xx:

| body                                             | status |
|--------------------------------------------------|--------|
| larger than `MAX_BODY_BYTES` (256 KiB)           | 413    |
| base64 that does not decode, bytes that are not UTF-8, not JSON, `NaN` | 400 |
| objects/arrays nested deeper than 32 levels      | 400    |
| not `application/json` (or `+json`)              | 415    |
| an integer longer than 4,300 digits, in any field | 422 (the fields named) |

Error details are capped too (`cap_details`): a body with tens of thousands of
unknown fields gets the first `MAX_ERROR_DETAILS` and a count of the rest, never
an answer near Lambda's 6 MB response limit.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from revops import safejson

MAX_BODY_BYTES = 256 * 1024
MAX_ERROR_DETAILS = 20
MAX_NAMED_FIELDS = 10


@dataclass(frozen=True)
class Refusal:
    status: HTTPStatus
    message: str
    details: Any = None


@dataclass(frozen=True)
class Body:
    """The raw body as bytes (what a signature covers) and its parsed JSON (None if empty)."""

    raw: bytes = b""
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def lower_headers(event: dict[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def raw_body(event: dict[str, Any], limit: int = MAX_BODY_BYTES) -> bytes | Refusal:
    """The body's bytes, or a refusal when it is too large or not decodable base64."""
    text = event.get("body")
    if not text:
        return b""
    text = str(text)
    encoded = bool(event.get("isBase64Encoded"))
    # Cheap bound first: base64 grows bytes by 4/3, UTF-8 text is at least one byte a char.
    if len(text) > (limit * 4 // 3 + 4 if encoded else limit):
        return _too_large(limit)
    if encoded:
        try:
            data = base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error):
            return Refusal(HTTPStatus.BAD_REQUEST, "The request body is not valid JSON")
    else:
        data = text.encode("utf-8", "surrogatepass")
    if len(data) > limit:
        return _too_large(limit)
    return data


def _too_large(limit: int) -> Refusal:
    return Refusal(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"The request body is larger than {limit:,} bytes",
        {"maxBytes": limit},
    )


def is_json_media_type(headers: dict[str, str]) -> bool:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in ("", "application/json") or content_type.endswith("+json")


def parse_json(data: bytes) -> Any | Refusal:
    """The parsed document, or the refusal for bytes that are not bounded JSON."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(HTTPStatus.BAD_REQUEST, "The request body is not valid JSON")
    try:
        return safejson.loads(text)
    except safejson.JsonTooDeepError as exc:
        return Refusal(
            HTTPStatus.BAD_REQUEST,
            f"The request body is nested deeper than {exc.max_depth} levels",
        )
    except safejson.JsonNumberTooLongError as exc:
        return Refusal(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            f"Invalid request: a number has more than {safejson.max_int_digits():,} digits",
            cap_details(
                [
                    {
                        "field": safejson.path_text(path),
                        "type": "int_too_long",
                        "message": f"Integers may have at most {safejson.max_int_digits()} digits",
                    }
                    for path in exc.paths
                ]
            ),
        )
    except safejson.JsonSyntaxError:
        return Refusal(HTTPStatus.BAD_REQUEST, "The request body is not valid JSON")


def check_json_request(event: dict[str, Any], limit: int = MAX_BODY_BYTES) -> Body | Refusal:
    """Size, media type and bounded JSON of an API Gateway v2 event's body."""
    headers = lower_headers(event)
    data = raw_body(event, limit)
    if isinstance(data, Refusal):
        return data
    if not data:
        return Body(headers=headers)
    if not is_json_media_type(headers):
        return Refusal(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "The request body must be application/json"
        )
    parsed = parse_json(data)
    if isinstance(parsed, Refusal):
        return parsed
    return Body(raw=data, data=parsed, headers=headers)


def cap_details(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most `MAX_ERROR_DETAILS` details; one more entry counts the ones left out."""
    if len(details) <= MAX_ERROR_DETAILS:
        return details
    left = len(details) - MAX_ERROR_DETAILS
    return [
        *details[:MAX_ERROR_DETAILS],
        {"field": "*", "type": "too_many_errors", "message": f"{left:,} more problems not shown"},
    ]


def named(fields: list[str]) -> str:
    """'a, b, c' for a few field names; the first few and a count for many."""
    unique = sorted(set(fields))
    if len(unique) <= MAX_NAMED_FIELDS:
        return ", ".join(unique)
    shown = ", ".join(unique[:MAX_NAMED_FIELDS])
    return f"{shown} and {len(unique) - MAX_NAMED_FIELDS:,} more"
