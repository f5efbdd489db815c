"""Wire conventions shared by every model: camelCase on the wire, strict closed requests, id patterns."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
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
