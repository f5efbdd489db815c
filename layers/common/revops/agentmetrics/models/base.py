"""Wire conventions shared by every model: camelCase on the wire, strict closed requests, id patterns."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from revops.agentmetrics.periods import (
    DATE_PATTERN,
    PERIOD_PATTERN,
)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
IMPORT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"
DEFAULT_BOOKED_STATUSES = ("confirmed", "showed")
APPOINTMENT_STATUSES = ("new", "confirmed", "cancelled", "showed", "noshow", "invalid")

ClientId = Annotated[str, Field(pattern=ID_PATTERN, description="The client's id.")]
DateText = Annotated[str, Field(pattern=DATE_PATTERN, description="A date, YYYY-MM-DD.")]
PeriodText = Annotated[str, Field(pattern=PERIOD_PATTERN, description="A month, YYYY-MM.")]
Direction = Literal["inbound", "outbound", "web"]

# Bidirectional controls (RLO and friends) reorder how a name is displayed; with the
# control characters (NUL, ESC, ...) and line separators they are refused in names.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def printable(value: str) -> str:
    """A name a person reads: no control, bidi-override, surrogate or line-separator characters."""
    for char in value:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            raise ValueError(f"contains the control character U+{ord(char):04X}")
    if not value.strip():
        raise ValueError("is blank")
    return value


DisplayName = Annotated[
    str,
    Field(min_length=1, max_length=200, description="Printable text: no control characters."),
    AfterValidator(printable),
]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; open to reading either."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class RequestModel(WireModel):
    """Request bodies and workflow inputs: strict types, no unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True
    )


def safe_name(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)[:limit]
