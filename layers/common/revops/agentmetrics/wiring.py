"""Building the voice-agent metrics collaborators from settings.

Sessions and clients are built per invocation (cheap, and a session only sees
the transport adapters registered when it is built); boto3 clients are cached.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3

from revops.agentmetrics.models import BookingRateRange, derive
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.agentmetrics.workflow import ImportWorkflow
from revops.integrations.elevenlabs import ElevenLabsClient
from revops.integrations.gohighlevel import (
    GoHighLevelClient,
    OAuthClient,
    SecretsManagerTokenVault,
    TokenManager,
)
from revops.store.agentmetrics import AgentMetricsStore


@functools.cache
def secrets_client() -> Any:
    return boto3.client("secretsmanager")


def store_for(settings: AgentMetricsSettings) -> AgentMetricsStore:
    return AgentMetricsStore(settings.agent_metrics_table, settings.aws_region, derive)


def vault_for(settings: AgentMetricsSettings) -> SecretsManagerTokenVault:
    return SecretsManagerTokenVault(settings.gohighlevel_token_secret_prefix, secrets_client())


def elevenlabs_for(settings: AgentMetricsSettings) -> ElevenLabsClient:
    return ElevenLabsClient.from_secret(
        settings.elevenlabs_secret_name,
        base_url=settings.elevenlabs_base_url,
        max_concurrency=settings.elevenlabs_max_concurrency,
        max_attempts=settings.max_attempts,
        retry_base_seconds=settings.retry_base_seconds,
        timeout_seconds=settings.http_timeout_seconds,
    )


def ghl_factory(settings: AgentMetricsSettings, store: AgentMetricsStore) -> Any:
    """location id -> a GoHighLevelClient sharing one OAuth client."""
    oauth: OAuthClient | None = None

    def build(location_id: str) -> GoHighLevelClient:
        nonlocal oauth
        if oauth is None:
            oauth = OAuthClient.from_secret(
                settings.gohighlevel_secret_name,
                base_url=settings.gohighlevel_base_url,
                timeout_seconds=settings.http_timeout_seconds,
            )
        tokens = TokenManager(location_id, vault=vault_for(settings), lock=store, oauth=oauth)
        return GoHighLevelClient(
            location_id,
            tokens,
            base_url=settings.gohighlevel_base_url,
            max_attempts=settings.max_attempts,
            retry_base_seconds=settings.retry_base_seconds,
            max_events_per_window=settings.ghl_max_events_per_window,
            timeout_seconds=settings.http_timeout_seconds,
        )

    return build


def workflow_for(settings: AgentMetricsSettings) -> ImportWorkflow:
    return ImportWorkflow(settings.agent_metrics_import_arn)


def rate_range(settings: AgentMetricsSettings) -> BookingRateRange:
    return BookingRateRange(
        min_percent=settings.min_booking_rate, max_percent=settings.max_booking_rate
    )
