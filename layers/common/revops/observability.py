"""The one logger, tracer and metrics object every handler uses.

Configured entirely by the POWERTOOLS_* variables in template.yaml's Globals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:
    from revops.integrations.salesforce import SalesforceGateway

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def record_salesforce_usage(gateway: SalesforceGateway) -> None:
    """Publish the org's API usage from the last `Sforce-Limit-Info` header.

    `SalesforceApiUsagePercent` drives the 80%-of-daily-limit alarm.
    """
    usage = gateway.api_usage
    if usage is None or not usage.limit:
        return
    metrics.add_metric(name="SalesforceApiUsed", unit=MetricUnit.Count, value=usage.used)
    metrics.add_metric(
        name="SalesforceApiUsagePercent",
        unit=MetricUnit.Percent,
        value=100 * usage.used / usage.limit,
    )
