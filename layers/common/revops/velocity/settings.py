"""Settings of every velocity function, from template.yaml."""

from __future__ import annotations

from pydantic import Field

from revops.settings import AwsSettings
from revops.velocity.weeks import DEFAULT_TIME_ZONE, DEFAULT_WEEK_START, Calendar


class VelocitySettings(AwsSettings):
    velocity_history_table: str = ""
    velocity_history_weeks: int = Field(12, ge=1, le=104)
    velocity_report_overrides: str = ""
    velocity_week_start: str = DEFAULT_WEEK_START
    velocity_dashboards_prefix: str = "velocity/"
    org_time_zone: str = DEFAULT_TIME_ZONE
    dashboards_bucket: str = ""
    work_bucket: str = ""
    salesforce_secret_name: str = ""

    def calendar(self) -> Calendar:
        return Calendar(self.org_time_zone, self.velocity_week_start)

    @property
    def prefix(self) -> str:
        prefix = self.velocity_dashboards_prefix.strip("/")
        return f"{prefix}/" if prefix else ""
