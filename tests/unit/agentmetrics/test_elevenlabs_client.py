"""The ElevenLabs client against the stand-in: cursor walk, 429 queueing and backoff, 5xx retries."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from local.elevenlabs import FakeElevenLabs
from revops.integrations.elevenlabs import (
    ElevenLabsAuthError,
    ElevenLabsClient,
    ElevenLabsThrottledError,
    ElevenLabsUnavailableError,
)
from tests.unit.agentmetrics.conftest import EL_KEY

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def client(fake: FakeElevenLabs, **kwargs: object) -> ElevenLabsClient:
    sleeps: list[float] = []
    made = ElevenLabsClient(
        EL_KEY,
        session=fake.session(),
        sleep=sleeps.append,
        retry_base_seconds=0.001,
        **kwargs,  # type: ignore[arg-type]
    )
    made.sleeps = sleeps  # type: ignore[attr-defined]
    return made


def seed(fake: FakeElevenLabs, count: int, agent: str = "agent_a") -> None:
    for i in range(count):
        fake.add_conversation(
            agent_id=agent,
            agent_name="A",
            start=T0 + timedelta(minutes=i),
            duration_secs=60,
            direction="inbound",
        )


def test_walks_every_page_of_100_with_the_agent_and_time_filters(eleven: FakeElevenLabs) -> None:
    seed(eleven, 250)
    seed(eleven, 5, agent="agent_b")
    after, before = int(T0.timestamp()), int((T0 + timedelta(days=1)).timestamp())
    found = list(client(eleven).conversations("agent_a", after, before))
    assert len({c["conversation_id"] for c in found}) == 250
    lists = [
        params for method, path, params in eleven.request_log if path.endswith("/conversations")
    ]
    assert len(lists) == 3
    assert all(p["page_size"] == "100" and p["agent_id"] == "agent_a" for p in lists)
    assert all(p["call_start_after_unix"] == str(after) for p in lists)
    assert all(p["call_start_before_unix"] == str(before) for p in lists)
    assert "cursor" not in lists[0] and lists[1]["cursor"] and lists[2]["cursor"]


def test_too_many_concurrent_requests_are_queued_and_retried(eleven: FakeElevenLabs) -> None:
    seed(eleven, 1)
    conversation = eleven.conversations()[0]["conversation_id"]
    eleven.limit_concurrency(2, hold_secs=0.02)
    made = client(eleven, max_concurrency=6, max_attempts=12)
    with ThreadPoolExecutor(max_workers=6) as pool:
        details = list(pool.map(lambda _: made.conversation(conversation), range(24)))
    assert all(d["conversation_id"] == conversation for d in details)
    assert made.gate.limit < 6  # the client learnt to send fewer at once
    assert made.retries > 0


def test_a_429_storm_ends_in_a_typed_throttling_error(eleven: FakeElevenLabs) -> None:
    eleven.fail_next(10, 429, "too_many_concurrent_requests")
    made = client(eleven, max_attempts=4)
    with pytest.raises(ElevenLabsThrottledError):
        list(made.conversations("agent_a", 0, 10))
    assert eleven.calls["list"] == 4
    assert len(made.sleeps) == 4  # type: ignore[attr-defined]


def test_server_errors_are_retried(eleven: FakeElevenLabs) -> None:
    seed(eleven, 3)
    eleven.fail_next(2, 503)
    assert len(list(client(eleven).conversations("agent_a", 0, 2**31))) == 3
    eleven.fail_next(10, 500)
    with pytest.raises(ElevenLabsUnavailableError):
        list(client(eleven, max_attempts=3).conversations("agent_a", 0, 2**31))


def test_a_wrong_key_is_a_configuration_error(eleven: FakeElevenLabs) -> None:
    made = ElevenLabsClient("wrong", session=eleven.session(), sleep=lambda s: None)
    with pytest.raises(ElevenLabsAuthError):
        list(made.conversations("agent_a", 0, 10))


def test_gate_never_exceeds_its_limit() -> None:
    from revops.integrations.elevenlabs import ConcurrencyGate

    gate = ConcurrencyGate(3)
    barrier = threading.Barrier(3)

    def hold() -> None:
        with gate:
            barrier.wait(timeout=1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: hold(), range(9)))
    assert gate.peak == 3
