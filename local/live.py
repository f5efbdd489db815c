"""Live tracking on the offline stack: the stand-ins' webhooks into the local API, and waiting
for the queue behind it.

`connect_webhooks(stack, api)` subscribes the ElevenLabs and GoHighLevel stand-ins to the
webhook routes of the local HTTP API (what an operator registers with each provider, see
the README), so every event they send goes API Gateway -> ReceiveWebhookFunction ->
WebhookQueue -> the event source mapping's pollers -> ApplyWebhookEventsFunction, for real.
`drain(stack)` waits until the queue holds nothing visible or in flight.
"""

from __future__ import annotations

import time
from typing import Any

from local.stack import LocalStack

ELEVENLABS_PATH = "/webhooks/elevenlabs"
GOHIGHLEVEL_PATH = "/webhooks/gohighlevel"


def connect_webhooks(stack: LocalStack, base_url: str) -> None:
    stack.elevenlabs.webhooks.subscribe(f"{base_url}{ELEVENLABS_PATH}")
    stack.ghl.webhooks.subscribe(f"{base_url}{GOHIGHLEVEL_PATH}")


def queue_depth(stack: LocalStack, logical_id: str = "WebhookQueue") -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resolver.refs[logical_id],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def drain(stack: LocalStack, timeout: float = 120.0, logical_id: str = "WebhookQueue") -> None:
    """Wait until the consumer has settled every message of the queue (applied or parked)."""
    deadline = time.monotonic() + timeout
    while queue_depth(stack, logical_id) != (0, 0):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{logical_id} still holds {queue_depth(stack, logical_id)}")
        time.sleep(0.02)


def parked(stack: LocalStack) -> list[dict[str, Any]]:
    """Every message in the dead-letter queue (read without removing them for long)."""
    sqs = stack.client("sqs")
    url = stack.resolver.refs["WebhookDeadLetterQueue"]
    found: dict[str, dict[str, Any]] = {}
    for _ in range(10):
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        messages = answer.get("Messages") or []
        found.update({m["MessageId"]: m for m in messages})
        if not messages:
            break
    return list(found.values())
