"""Live tracking under a burst: 1,000 webhook events through the local API Gateway, the queue and
the consumer, with duplicates and provider retries mixed in. Nothing is lost, nothing is counted
twice, and the numbers are exactly what the stand-ins hold."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from local import demo_data
from local.live import connect_webhooks, drain, parked
from local.stack import LocalStack
from tests.integration.test_admin_api import COASTAL, MAPLE, Admin, open_admin

pytestmark = pytest.mark.e2e

CALLS = 800
APPOINTMENT_EVENTS = 200


@pytest.fixture
def admin(stack: LocalStack) -> Iterator[Admin]:
    with open_admin(stack) as opened:
        connect_webhooks(stack, opened.base)
        yield opened


def month_bounds(zone: str) -> tuple[datetime, datetime]:
    now = datetime.now(ZoneInfo(zone))
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    after = (first + timedelta(days=32)).replace(day=1)
    return first.astimezone(UTC), after.astimezone(UTC)


def test_a_burst_of_1000_events_loses_nothing_and_counts_nothing_twice(admin: Admin) -> None:
    rng = random.Random(13)
    eleven, ghl = admin.stack.elevenlabs, admin.stack.ghl
    first, after = month_bounds(MAPLE.time_zone)
    span = int((min(after, datetime.now(UTC)) - first).total_seconds()) - 2
    agents = list(MAPLE.agents)
    expected: Counter[str] = Counter()
    deliveries = 0
    for i in range(CALLS):
        agent = agents[i % len(agents)]
        start = first + timedelta(seconds=1 + rng.randrange(max(span, 1)))
        conversation = eleven.add_conversation(
            agent_id=agent.agent_id,
            agent_name=agent.name,
            start=start,
            duration_secs=rng.randint(10, 400),
            direction=rng.choice(["inbound", "outbound", None]),
        )
        expected[agent.agent_id] += 1
        if i % 40 == 0:
            eleven.webhooks.duplicate_next()  # sent twice
        sent = eleven.end_call(conversation)
        if i % 50 == 7:
            sent.append(eleven.webhooks.redeliver(sent[0]))  # and a provider retry
        deliveries += len(sent)
        assert all(d.status == 200 for d in sent)

    coastal_first, _ = month_bounds(COASTAL.time_zone)
    appointments: list[str] = []
    for i in range(APPOINTMENT_EVENTS):
        if i % 2 == 0 or not appointments:
            start = coastal_first + timedelta(hours=rng.randrange(24 * 27))
            appointments.append(
                ghl.add_appointment(
                    location_id=COASTAL.location_id,
                    calendar_id=rng.choice(COASTAL.calendar_ids),
                    start=start,
                    status=rng.choice(["new", "confirmed", "showed"]),
                    assigned_user_id="coastUsrReception9zz",
                    notify=True,
                )
            )
        else:
            ghl.set_appointment_status(
                rng.choice(appointments), rng.choice(demo_data.APPOINTMENT_STATUSES), notify=True
            )
        deliveries += 1

    drain(admin.stack, timeout=600)
    assert parked(admin.stack) == []
    summary = admin.get("/admin/reports/dashboard-summary", clientId="client-maple").json()["data"]
    counted = {a["agentId"]: a["totalCalls"] for a in summary["currentMonth"]["agents"]}
    assert counted == dict(expected)
    assert summary["currentMonth"]["totals"]["totalCalls"] == CALLS
    assert deliveries > CALLS + APPOINTMENT_EVENTS  # duplicates and retries were delivered

    booked: Counter[str] = Counter()
    mine = set(appointments)  # the stand-in also holds the demo data's past months
    for appointment in ghl.appointments(COASTAL.location_id):
        if appointment["id"] not in mine:
            continue
        agent = COASTAL.agent_for.get(appointment["calendarId"])
        if agent and appointment["appointmentStatus"] in demo_data.BOOKED_STATUSES:
            booked[agent] += 1
    coastal = admin.get("/admin/reports/dashboard-summary", clientId="client-coastal").json()
    live = {
        a["agentId"]: a["successfulBookings"] for a in coastal["data"]["currentMonth"]["agents"]
    }
    assert {k: v for k, v in live.items() if v} == dict(booked)


def test_the_demo_step_moves_the_current_month_and_reports_the_planted_drift(
    stack: LocalStack, tmp_path: Path
) -> None:
    from local.demo import DemoContext
    from local.demo_live import run_live_tracking

    demo_data.load_voice(stack.elevenlabs, stack.ghl, demo_data.generate_voice())
    result = run_live_tracking(DemoContext(stack=stack, out=tmp_path))
    assert result.status == "SUCCEEDED", result.lines
    folder = tmp_path / "agent-metrics"
    waves = [
        json.loads((folder / f).read_text())
        for f in sorted(p.name for p in folder.glob("live-[0-9]-*.json"))
    ]
    calls = [w["totals"]["totalCalls"] for w in waves]
    assert calls[0] == 0 and calls == sorted(calls) and calls[-1] > calls[1] > 0
    reconciliation = json.loads((folder / "live-reconciliation.json").read_text())
    differences = {
        (d["agentName"], d["part"]): {
            n: f["difference"] for n, f in d["fields"].items() if f["difference"]
        }
        for d in reconciliation["webhookDrift"]
    }
    assert (
        sum(v.get("totalCalls", 0) for v in differences.values()) == -2
    )  # one dropped, one refused
    assert sum(v.get("successfulBookings", 0) for v in differences.values()) == 1  # a lost cancel
    assert reconciliation["deadLetterQueue"] == 0
