"""StackCheck, step 1: log in to Salesforce, check the mapping, write chunk files."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import wiring
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, record_salesforce_usage, tracer
from revops.stackcheck import logic
from revops.stackcheck.models import PlanRequest
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, gateway: SalesforceGateway | None = None
) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    sf = gateway or wiring.gateway_for(settings)
    plan = logic.plan(
        parse(PlanRequest, event),
        sf,
        DocumentStore(settings.work_bucket),
        settings.mapping(),
    )
    logger.info("planned stack check", run_id=plan.run_id, chunks=plan.chunks, records=plan.records)
    metrics.add_metric(name="StackCheckRecordsPlanned", unit="Count", value=plan.records)
    record_salesforce_usage(sf)
    return plan.model_dump(by_alias=True)
