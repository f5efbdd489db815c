"""Building the access functions' collaborators from settings, once per warm container."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
from botocore.config import Config

from revops.access.audit import AuditLog
from revops.access.checks import AccessChecker
from revops.access.sessions import CookieKeys, SessionManager
from revops.access.settings import AccessSettings, DashboardPermission
from revops.errors import ConfigurationError
from revops.integrations.objects import s3_client
from revops.integrations.salesforce import SalesforceGateway
from revops.integrations.salesforce_oauth import SalesforceSignIn
from revops.integrations.secrets import get_json_secret
from revops.store.access import AccessStore, AuditStore
from revops.store.migration import MigrationStore


@functools.cache
def checker(secret_name: str, permission: str, cache_seconds: int) -> AccessChecker:
    """One per container: its short cache of positive decisions outlives an invocation."""
    gateway = SalesforceGateway.from_secret(secret_name)
    return AccessChecker(gateway, DashboardPermission.parse(permission), cache_seconds)


@functools.cache
def presigner(region: str, endpoint_url: str) -> Any:
    """The client that signs download links (it sends nothing itself)."""
    config = Config(signature_version="s3v4", s3={"addressing_style": "auto"})
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url or None, config=config)


class Services:
    """What the sign-in, document and dashboard routes use, built lazily; tests pass their own."""

    def __init__(self, settings: AccessSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock

    @functools.cached_property
    def store(self) -> AccessStore:
        return AccessStore(self.settings.access_table, self.settings.aws_region)

    @functools.cached_property
    def sessions(self) -> SessionManager:
        keys = CookieKeys.from_secret(get_json_secret(self.settings.session_key_secret_name))
        return SessionManager(
            self.store,
            keys,
            lifetime=timedelta(hours=self.settings.session_hours),
            idle=timedelta(minutes=self.settings.session_idle_minutes),
            clock=self.clock,
        )

    @functools.cached_property
    def checker(self) -> AccessChecker:
        settings = self.settings
        return checker(
            settings.salesforce_secret_name,
            settings.dashboard_permission,
            settings.access_cache_seconds,
        )

    @functools.cached_property
    def audit(self) -> AuditLog:
        store = AuditStore(self.settings.audit_table, self.settings.aws_region)
        return AuditLog(store, self.settings.audit_retention_days)

    @functools.cached_property
    def oauth(self) -> SalesforceSignIn:
        secret = get_json_secret(self.settings.sign_in_secret_name)
        client_id, client_secret = secret.get("client_id"), secret.get("client_secret")
        if not client_id or not client_secret:
            raise ConfigurationError(
                f"secret {self.settings.sign_in_secret_name!r} lacks client_id or client_secret"
            )
        return SalesforceSignIn(
            self.settings.salesforce_login_url, str(client_id), str(client_secret)
        )

    @functools.cached_property
    def tracking(self) -> MigrationStore:
        return MigrationStore(self.settings.tracking_table, self.settings.aws_region)

    @property
    def s3(self) -> Any:
        return s3_client()

    @property
    def presigner(self) -> Any:
        return presigner(self.settings.aws_region, self.settings.presign_endpoint_url)
