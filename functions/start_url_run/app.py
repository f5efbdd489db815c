"""FileCutover / FileRollback, step 1: validate the input, check readiness, record the run."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.migration import cutover, status, wiring
from revops.migration.models import StartPhaseTwoRequest
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    store = wiring.store_for(settings)
    config = cutover.start_run(
        parse(StartPhaseTwoRequest, event),
        wiring.phase_two_defaults(settings),
        store,
        lambda ratio: status.readiness(store, max_unresolved_ratio=ratio),
    )
    logger.info(
        "url run started", run_id=config.run_id, direction=config.direction, dry_run=config.dry_run
    )
    return config.model_dump(by_alias=True)
