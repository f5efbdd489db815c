"""Settings of the sign-in, document and dashboard functions, from template.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field

from revops.errors import ConfigurationError
from revops.settings import AwsSettings

_PERMISSION = re.compile(r"^(permissionset|group):([A-Za-z][A-Za-z0-9_]{0,79})$")


@dataclass(frozen=True)
class DashboardPermission:
    """Who may see the dashboards: a permission set's API name or a public group's."""

    kind: str  # "permissionset" | "group"
    name: str

    @classmethod
    def parse(cls, text: str) -> DashboardPermission:
        match = _PERMISSION.match(text.strip())
        if match is None:
            raise ConfigurationError(
                f"DashboardPermission {text!r}: use permissionset:<API name> or group:<API name>"
            )
        return cls(match.group(1), match.group(2))

    def __str__(self) -> str:
        noun = "permission set" if self.kind == "permissionset" else "public group"
        return f"the {noun} {self.name}"


class AccessSettings(AwsSettings):
    access_table: str
    audit_table: str
    tracking_table: str = ""
    backup_bucket: str = ""
    dashboards_bucket: str = ""
    # Secrets Manager: the integration user (access checks), the connected app, the cookie key
    salesforce_secret_name: str = ""
    sign_in_secret_name: str = ""
    session_key_secret_name: str = ""
    # https://login.salesforce.com, https://test.salesforce.com or https://<MyDomain>.my.salesforce.com
    salesforce_login_url: str = "https://login.salesforce.com"
    # Empty: https://<the API's own domain>, from the request (API Gateway sets it)
    docs_base_url: str = ""
    dashboard_permission: str = "permissionset:Revops_Dashboards"
    session_hours: float = Field(8.0, gt=0, le=8)
    session_idle_minutes: int = Field(60, ge=1, le=480)
    access_cache_seconds: int = Field(60, ge=0, le=60)
    download_link_seconds: int = Field(60, ge=1, le=60)
    document_opens_per_minute: int = Field(60, ge=1)
    audit_retention_days: int = Field(400, ge=1)
    access_contact: str = "your Salesforce administrator"
    # Where presigned links point; empty is S3's own endpoint (the local stack sets it)
    presign_endpoint_url: str = ""

    def permission(self) -> DashboardPermission:
        return DashboardPermission.parse(self.dashboard_permission)
