"""FileRollback, step 2: find records that hold our URL and plan their original URLs back."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import cutover, wiring
from revops.migration.models import PhaseTwoConfig
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
    config = parse(PhaseTwoConfig, event)
    plan = cutover.plan_rollback(
        config,
        sf,
        DocumentStore(config.bucket),
        wiring.store_for(settings),
        settings.mapping(),
        wiring.url_prefix(settings),
        wiring.links_for(settings),
    )
    logger.info(
        "rollback planned", run_id=config.run_id, planned=plan.counts.planned, mode=plan.mode
    )
    metrics.add_metric(name="RollbackRecordsPlanned", unit="Count", value=plan.counts.planned)
    record_salesforce_usage(sf)
    return plan.model_dump(by_alias=True)
