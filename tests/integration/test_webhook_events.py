"""The live-tracking functions, invoked with their `events/` files as `sam local invoke -e` would.

The receiver's files carry placeholder signatures (a signature is only good for its body,
key and, for ElevenLabs, half an hour): the test signs each body as the provider would,
with the local stack's secret and the stand-in's key, then invokes the function.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from local.live import drain
from local.stack import LocalStack
from local.webhooks import elevenlabs_signer, ghl_signer
from tests.conftest import load_event
from tests.integration.test_admin_api import Admin, open_admin


@pytest.fixture
def admin(stack: LocalStack) -> Iterator[Admin]:
    with open_admin(stack) as opened:
        yield opened


@pytest.mark.parametrize(
    ("name", "signer", "header"),
    [
        ("receive_webhook_elevenlabs.json", elevenlabs_signer(), "elevenlabs-signature"),
        ("receive_webhook_gohighlevel.json", ghl_signer(), "x-ghl-signature"),
    ],
)
def test_the_receiver_queues_its_sample_event_once_signed(
    admin: Admin, name: str, signer: object, header: str
) -> None:
    event = load_event(name)
    body = event["body"].encode()
    signed = signer(body, datetime.now(UTC).timestamp(), True)  # type: ignore[operator]
    event["headers"][header] = next(iter(signed.values()))
    answer, error = admin.stack.invoke("ReceiveWebhookFunction", event)
    assert error is None, answer
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["data"]["queued"] is True
    unsigned, _ = admin.stack.invoke("ReceiveWebhookFunction", load_event(name))
    assert unsigned["statusCode"] == 401
    drain(admin.stack)


def test_the_consumer_applies_its_sample_batch(admin: Admin) -> None:
    answer, error = admin.stack.invoke(
        "ApplyWebhookEventsFunction", load_event("apply_webhook_events_batch.json")
    )
    assert error is None, answer
    assert answer == {"batchItemFailures": []}

    def october(client_id: str) -> dict[str, int]:
        return dict(
            admin.get(
                "/admin/reports/combined-metrics",
                clientId=client_id,
                startYear=2025,
                startMonth=10,
                endYear=2025,
                endMonth=10,
            ).json()["data"]["totals"]
        )

    assert october("client-coastal")["successfulBookings"] == 1
    maple = october("client-maple")
    assert (maple["outboundCalls"], maple["totalDuration"]) == (1, 95)
    again, _ = admin.stack.invoke(
        "ApplyWebhookEventsFunction", load_event("apply_webhook_events_batch.json")
    )
    assert again == {"batchItemFailures": []}
    assert october("client-maple") == maple  # delivered twice, counted once
    assert october("client-coastal")["successfulBookings"] == 1
