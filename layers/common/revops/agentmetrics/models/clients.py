"""Clients: their settings as stored, the upsert body, the view returned."""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator

from revops.agentmetrics.models.base import (
    ID_PATTERN,
    DisplayName,
    RequestModel,
    WireModel,
)
from revops.agentmetrics.periods import canonical_zone
from revops.integrations.gohighlevel.tokens import MAX_REFRESH_TOKEN_BYTES, SECRET_STRING_MAX_BYTES


class AgentConfig(RequestModel):
    agent_id: str = Field(pattern=ID_PATTERN, description="ElevenLabs agent id.")
    agent_name: DisplayName


class AttributionConfig(RequestModel):
    """Which appointments count for which agent.

    `by: assignedUserId` credits an appointment to the agent mapped from its
    GoHighLevel `assignedUserId`; `by: calendar` to the agent mapped from its
    calendar id (every mapped calendar is queried). Unmapped appointments
    count for no agent.
    """

    by: Literal["assignedUserId", "calendar"]
    agents: dict[Annotated[str, Field(pattern=ID_PATTERN)], str] = Field(
        default_factory=dict, description="assignedUserId or calendar id -> agentId"
    )


class ClientSettings(RequestModel):
    """A client's configuration, as stored (no secrets)."""

    name: DisplayName
    time_zone: str = Field(
        max_length=64,
        description=(
            "Canonical IANA time zone (Area/Location, e.g. America/Toronto, or Etc/UTC); "
            "month bounds are local to it. Aliases (US/Eastern, UTC), Factory, posixrules, "
            "right/... and EST5EDT-style names are refused."
        ),
    )
    agents: list[AgentConfig] = Field(default_factory=list, max_length=50)
    location_id: str | None = Field(None, pattern=ID_PATTERN, description="GoHighLevel locationId")
    cal_id: str | None = Field(None, pattern=ID_PATTERN, description="GoHighLevel calendar id")
    attribution: AttributionConfig | None = None
    booked_statuses: (
        list[Literal["new", "confirmed", "cancelled", "showed", "noshow", "invalid"]] | None
    ) = Field(None, min_length=1, description="Appointment statuses that count as bookings.")

    @field_validator("time_zone")
    @classmethod
    def _canonical_zone(cls, value: str) -> str:
        return canonical_zone(value)

    @model_validator(mode="after")
    def _mapped_agents_exist(self) -> ClientSettings:
        known = {a.agent_id for a in self.agents}
        if self.attribution:
            unknown = sorted(set(self.attribution.agents.values()) - known)
            if unknown:
                raise ValueError(f"attribution maps to unknown agents: {', '.join(unknown)}")
        return self


class ClientUpsert(ClientSettings):
    """PUT /admin/clients/{clientId}: the settings, plus the GHL refresh token (write only)."""

    refresh_token: SecretStr | None = Field(
        None,
        description=(
            "GoHighLevel refresh token for locationId; stored in Secrets Manager, never returned. "
            f"Printable ASCII, at most {MAX_REFRESH_TOKEN_BYTES:,} bytes (Secrets Manager keeps "
            f"{SECRET_STRING_MAX_BYTES:,} bytes a secret, the access token included)."
        ),
    )

    @field_validator("refresh_token")
    @classmethod
    def _storable_token(cls, value: SecretStr | None) -> SecretStr | None:
        """Refused here, with a 422 and before any write, rather than by Secrets Manager."""
        if value is None:
            return None
        token = value.get_secret_value()
        if not re.fullmatch(r"[\x21-\x7e]+", token):
            raise ValueError("must be printable ASCII without spaces")
        size = len(json.dumps(token))
        if size > MAX_REFRESH_TOKEN_BYTES:
            raise ValueError(
                f"is {size:,} bytes; at most {MAX_REFRESH_TOKEN_BYTES:,} fit in Secrets Manager"
            )
        return value


class Client(WireModel):
    """A registered client (the `CLIENT#<id>` item)."""

    client_id: str
    name: str
    time_zone: str
    agents: list[AgentConfig] = Field(default_factory=list)
    location_id: str | None = None
    cal_id: str | None = None
    attribution: AttributionConfig | None = None
    booked_statuses: list[str] | None = None
    updated_at: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def agent_name(self, agent_id: str) -> str:
        for agent in self.agents:
            if agent.agent_id == agent_id:
                return agent.agent_name
        return agent_id

    def calendars(self) -> list[str]:
        """The calendars whose events are listed: calId, plus every mapped calendar."""
        calendars = [self.cal_id] if self.cal_id else []
        if self.attribution and self.attribution.by == "calendar":
            calendars += [c for c in self.attribution.agents if c not in calendars]
        return calendars


class ClientView(Client):
    has_refresh_token: bool
