"""Scope analysis and account discovery: per-account file counts, bytes, extensions
and largest files, as JSON in S3, before anything is copied. Invoke from the console."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import scope, wiring
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, record_salesforce_usage, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, gateway: SalesforceGateway | None = None
) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    sf = gateway or wiring.gateway_for(settings)
    result = scope.analyze_scope(
        parse(scope.ScopeRequest, event or {}),
        sf,
        DocumentStore(settings.work_bucket),
        settings.mapping(),
        bulk_threshold=settings.bulk_query_threshold,
    )
    logger.info("scope analysed", files=result["totals"]["files"], key=result["reportKey"])
    record_salesforce_usage(sf)
    return result
