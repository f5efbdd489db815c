"""FileCutover / FileRollback, step 5: re-read the records and confirm the new URLs (and objects)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import cutover, wiring
from revops.migration.models import PhaseTwoPlan
from revops.migration.settings import MigrationSettings
from revops.migration.transfer import s3_client
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
    plan = parse(PhaseTwoPlan, event)
    report = cutover.validate(
        plan,
        DocumentStore(plan.bucket),
        sf,
        wiring.store_for(settings),
        settings.mapping(),
        s3_client(),
        settings.backup_bucket,
        wiring.links_for(settings),
    )
    logger.info("validated", run_id=plan.run_id, **report)
    record_salesforce_usage(sf)
    return report
