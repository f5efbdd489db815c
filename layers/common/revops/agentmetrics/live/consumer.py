"""The queue's consumer: a batch of events applied one by one, failures reported per record.

Powertools' `BatchProcessor` runs each record and answers Lambda with
`batchItemFailures`, so only the records that failed go back to the queue (the event
source mapping has `ReportBatchItemFailures`). A poison record, one that can never be
applied, fails on every delivery until the queue's redrive policy parks it in the
dead-letter queue, whose alarm tells an operator; the rest of its batch is applied.
Applying is idempotent (`store.live`), so a record delivered again after a partial
failure or a timeout changes nothing the first delivery already did.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from revops.agentmetrics.live.apply import Applier, Directory, Outcome
from revops.agentmetrics.live.events import parse_message
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.observability import logger, metrics

OUTCOME_METRICS = {
    "applied": "WebhookEventsApplied",
    "duplicate": "WebhookEventsDuplicate",
    "stale": "WebhookEventsStale",
    "unchanged": "WebhookEventsDuplicate",
    "ignored": "WebhookEventsIgnored",
}


def applier_from_settings(settings: AgentMetricsSettings) -> Applier:
    from revops.agentmetrics import wiring

    store = wiring.store_for(settings)
    return Applier(store, Directory.load(store), settings.booked_status_list())


def _latency_ms(received_at: str) -> float:
    received = datetime.fromisoformat(received_at.replace("Z", "+00:00"))
    return max(0.0, (datetime.now(UTC) - received).total_seconds() * 1000)


def handle(event: dict[str, Any], context: Any, applier: Applier | None = None) -> dict[str, Any]:
    """Apply an SQS batch; `{"batchItemFailures": [...]}` names the records to retry."""
    current = applier or applier_from_settings(AgentMetricsSettings.from_env())

    def record_handler(record: SQSRecord) -> Outcome:
        message = parse_message(record.body)
        outcome = current.apply(message)
        metrics.add_metric(name=OUTCOME_METRICS[outcome.status], unit=MetricUnit.Count, value=1)
        if outcome.status == "applied":
            metrics.add_metric(
                name="WebhookApplyLatency",
                unit=MetricUnit.Milliseconds,
                value=_latency_ms(message.received_at),
            )
        if outcome.status == "ignored":
            logger.info("webhook event ignored", reason=outcome.reason)
        return outcome

    processor = BatchProcessor(event_type=EventType.SQS)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    failed = len(response["batchItemFailures"])
    if failed:
        logger.warning(
            "webhook events failed", failed=failed, batch=len(event.get("Records") or [])
        )
        metrics.add_metric(name="WebhookEventsFailed", unit=MetricUnit.Count, value=failed)
    return dict(response)
