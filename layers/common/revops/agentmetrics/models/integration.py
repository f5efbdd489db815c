"""GET /admin/ghl/test-integration: each check of a client's GoHighLevel integration."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from revops.agentmetrics.models.base import WireModel

CheckName = Literal["refreshToken", "calendar", "rateLimitHeaders"]


class IntegrationCheck(WireModel):
    name: CheckName
    passed: bool
    detail: str
    error_type: str | None = Field(None, description="The typed error when the check failed.")
    data: dict[str, Any] = Field(default_factory=dict)


class IntegrationReport(WireModel):
    """The seed's first troubleshooting step: does the client's GoHighLevel access work?

    * `refreshToken`: the stored refresh token is exchanged now (under the location's
      refresh lock) and the new one is stored before anything else uses it;
    * `calendar`: `GET /calendars/events` on `calId` answers, for the current local month;
    * `rateLimitHeaders`: that answer carries GoHighLevel's `X-RateLimit-*` headers, which
      the client paces itself by.
    """

    success: bool = Field(description="Every check passed.")
    client_id: str
    location_id: str | None
    cal_id: str | None
    total_checks: int
    passed_checks: int
    failed_checks: int
    checks: list[IntegrationCheck]
    tested_at: str
