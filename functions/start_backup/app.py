"""FileBackup, step 1: validate the input, resolve defaults, record the run as running."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.migration import backup, wiring
from revops.migration.models import StartBackupRequest
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    config = backup.start_run(
        parse(StartBackupRequest, event), wiring.defaults_for(settings), wiring.store_for(settings)
    )
    logger.info(
        "backup run started", run_id=config.run_id, mode=config.mode, dry_run=config.dry_run
    )
    return config.model_dump(by_alias=True)
