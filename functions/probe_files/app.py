"""StackCheck, step 2 (one Distributed Map item): probe one chunk of file URLs."""

from __future__ import annotations

import functools
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, tracer
from revops.stackcheck import logic
from revops.stackcheck.models import ProbeRequest
from revops.store.stackcheck import CheckResults
from revops.validation import parse


@functools.cache
def _source_s3() -> Any:
    return boto3.client("s3")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    request = parse(ProbeRequest, event)
    report = logic.probe(
        request,
        DocumentStore(request.bucket),
        _source_s3(),
        settings.source_bucket,
        CheckResults(settings.tracking_table, settings.aws_region),
    )
    metrics.add_metric(name="StackCheckFilesProbed", unit="Count", value=report.records)
    return report.model_dump(by_alias=True)
