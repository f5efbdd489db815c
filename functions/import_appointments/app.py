"""AgentMetricsImport, per month: GoHighLevel appointments -> the bookings part."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics import imports, wiring
from revops.agentmetrics.models import MonthTask
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = AgentMetricsSettings.from_env()
    task = parse(MonthTask, event)
    store = wiring.store_for(settings)
    result = imports.run_bookings(
        task,
        store,
        wiring.vault_for(settings),
        wiring.ghl_factory(settings, store),
        settings.booked_status_list(),
    )
    logger.info(
        "appointments imported", period=result.period, appointments=result.total_appointments
    )
    metrics.add_metric(name="AppointmentsImported", unit="Count", value=result.total_appointments)
    return result.wire()
