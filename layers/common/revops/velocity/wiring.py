"""Building the velocity functions' collaborators from settings, once per warm container."""

from __future__ import annotations

import functools

from revops.errors import ConfigurationError
from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.store.velocity import VelocityHistoryStore
from revops.velocity import config
from revops.velocity.config import ReportConfig
from revops.velocity.settings import VelocitySettings


@functools.cache
def gateway(secret_name: str) -> SalesforceGateway:
    return SalesforceGateway.from_secret(secret_name)


def gateway_for(settings: VelocitySettings) -> SalesforceGateway:
    if not settings.salesforce_secret_name:
        raise ConfigurationError("SALESFORCE_SECRET_NAME is not set")
    return gateway(settings.salesforce_secret_name)


def store_for(settings: VelocitySettings) -> VelocityHistoryStore:
    if not settings.velocity_history_table:
        raise ConfigurationError("VELOCITY_HISTORY_TABLE is not set")
    return VelocityHistoryStore(settings.velocity_history_table, settings.aws_region)


def work_documents(settings: VelocitySettings) -> DocumentStore:
    if not settings.work_bucket:
        raise ConfigurationError("WORK_BUCKET is not set")
    return DocumentStore(settings.work_bucket)


def dashboards_for(settings: VelocitySettings) -> DocumentStore:
    if not settings.dashboards_bucket:
        raise ConfigurationError("DASHBOARDS_BUCKET is not set")
    return DocumentStore(settings.dashboards_bucket)


def reports_for(settings: VelocitySettings) -> dict[str, ReportConfig]:
    """The shipped reports with the configured overrides (read on every call)."""
    return config.reports_from(settings.velocity_report_overrides)
