"""FileCutover / FileRollback, step 4 (one Map item): write one batch of URLs to Salesforce."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import cutover, wiring
from revops.migration.models import UpdateBatchRequest
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
    request = parse(UpdateBatchRequest, event)
    counts = cutover.update_batch(
        request,
        DocumentStore(request.bucket),
        sf,
        wiring.store_for(settings),
        settings.mapping(),
        s3_client(),
        settings.backup_bucket,
    )
    metrics.add_metric(name="SalesforceRecordsUpdated", unit="Count", value=counts.updated)
    metrics.add_metric(name="SalesforceUpdatesFailed", unit="Count", value=counts.failed)
    record_salesforce_usage(sf)
    return counts.model_dump(by_alias=True) | {"index": request.batch.index}
