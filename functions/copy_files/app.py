"""FileBackup, step 3 (one Distributed Map item): copy one chunk of files with a thread pool."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.migration import backup, wiring
from revops.migration.models import CopyChunkRequest
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    request = parse(CopyChunkRequest, event)
    copier = wiring.copier()
    counts = backup.copy_chunk(
        request,
        DocumentStore(request.bucket, copier.dest_s3),  # one S3 client per container
        copier,
        wiring.store_for(settings),
        backup.object_url_for(
            request.dest_bucket, settings.aws_region, settings.public_base_url or None
        ),
        threads=settings.copy_threads,
    )
    metrics.add_metric(name="FilesCopied", unit="Count", value=counts.new + counts.updated)
    metrics.add_metric(name="FilesFailed", unit="Count", value=counts.failed)
    metrics.add_metric(name="BytesCopied", unit="Bytes", value=counts.bytes)
    return counts.model_dump(by_alias=True) | {"index": request.chunk.index}
