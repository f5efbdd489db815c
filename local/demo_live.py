"""The `make demo` step for live tracking: a client's current month moving as webhooks arrive.

The ElevenLabs and GoHighLevel stand-ins send signed webhooks to the local API Gateway (the
URLs an operator registers with each provider); the receiver queues them, the event source
mapping's pollers hand them to the consumer, and Maple Grove Dental's current month moves,
wave after wave (`out/agent-metrics/live-<n>-<label>.json`). A wrongly signed webhook is
refused. Then a drift is planted, as it happens in real life: one call's webhook never
arrives and one appointment is cancelled in GoHighLevel while its webhook is lost. The
reconciliation (what the monthly sync does for a month that has ended, run here on the
current month) brings the API's numbers back and validation reports the difference per
agent as `webhookDrift` (`live-reconciliation.json`).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from local import demo_data
from local.demo_agent_metrics import LocalHttpApi, admin_session, month_dates, register_clients
from local.live import connect_webhooks, drain, parked

if TYPE_CHECKING:
    import requests

    from local.demo import DemoContext, StepResult
    from local.stack import LocalStack
    from local.webhooks import Delivery

CLIENT_ID = "client-maple"
DIRECTIONS: tuple[demo_data.Direction | None, ...] = ("inbound", "inbound", "outbound", None)
WAVES = (("morning", 14, 4), ("midday", 12, 5), ("afternoon", 10, 3))  # (label, calls, bookings)


def _moments(zone: ZoneInfo, count: int, rng: random.Random) -> list[datetime]:
    """`count` moments of this local month so far, oldest first."""
    now = datetime.now(zone)
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    span = max(1, int((now - first).total_seconds()) - 60)
    return sorted(first + timedelta(seconds=30 + rng.randrange(span)) for _ in range(count))


def _end_call(
    stack: LocalStack,
    agent: demo_data.AgentSpec,
    start: datetime,
    duration_secs: int,
    direction: demo_data.Direction | None,
) -> list[Delivery]:
    """A conversation the stand-in records, and its post-call webhook."""
    conversation = stack.elevenlabs.add_conversation(
        agent_id=agent.agent_id,
        agent_name=agent.name,
        start=start.astimezone(UTC),
        duration_secs=duration_secs,
        direction=direction,
    )
    deliveries: list[Delivery] = stack.elevenlabs.end_call(conversation)
    return deliveries


def _current(session: requests.Session, base: str) -> dict[str, Any]:
    summary = session.get(
        f"{base}/admin/reports/dashboard-summary", params={"clientId": CLIENT_ID}
    ).json()
    return dict(summary["data"]["currentMonth"])


def _figures(month: dict[str, Any]) -> str:
    totals = month["totals"]
    return (
        f"{totals['totalCalls']} calls ({totals['inboundCalls']} in, "
        f"{totals['outboundCalls']} out), {totals['successfulBookings']} bookings"
    )


def run_live_tracking(ctx: DemoContext) -> StepResult:
    from local.demo import StepResult, write_json

    started = time.monotonic()
    stack, out = ctx.stack, ctx.out / "agent-metrics"
    voice = demo_data.generate_voice()
    spec = next(c for c in voice.clients if c.client_id == CLIENT_ID)
    zone = ZoneInfo(spec.time_zone)
    rng = random.Random(4)
    api = LocalHttpApi(stack).install()
    lines: list[str] = []
    ok = True
    try:
        session, base = admin_session(api), api.base_url
        register_clients(session, base, voice, stack.ghl)
        connect_webhooks(stack, base)
        eleven, ghl = stack.elevenlabs, stack.ghl
        users = list(spec.agent_for)  # GoHighLevel users credited to each agent
        before = _current(session, base)
        period = before["period"]
        write_json(out / "live-0-before.json", before)
        lines.append(f"[{CLIENT_ID}] current month {period} before any webhook: {_figures(before)}")
        booked: list[str] = []
        for wave, (label, calls, bookings) in enumerate(WAVES, start=1):
            for moment in _moments(zone, calls, rng):
                direction: demo_data.Direction | None = rng.choice(DIRECTIONS)
                _end_call(stack, rng.choice(spec.agents), moment, rng.randint(40, 420), direction)
            if wave == 2:
                eleven.fail_call_initiation(
                    agent_id=spec.agents[1].agent_id,
                    agent_name=spec.agents[1].name,
                    at=datetime.now(UTC) - timedelta(minutes=3),
                    failure_reason="no-answer",
                )
            for moment in _moments(zone, bookings, rng):
                booked.append(
                    ghl.add_appointment(
                        location_id=spec.location_id,
                        calendar_id=spec.cal_id,
                        start=moment.astimezone(UTC),
                        status="confirmed",
                        assigned_user_id=rng.choice(users),
                        notify=True,
                    )
                )
            if wave == 3:
                ghl.set_appointment_status(booked[0], "cancelled", notify=True)
                ghl.set_appointment_status(booked[1], "showed", notify=True)
            drain(stack)
            month = _current(session, base)
            write_json(out / f"live-{wave}-{label}.json", month)
            lines.append(f"[{CLIENT_ID}] after the {label} webhooks: {_figures(month)}")
        eleven.webhooks.corrupt_next()
        [refused] = _end_call(
            stack, spec.agents[0], datetime.now(UTC) - timedelta(minutes=1), 60, "inbound"
        )
        lines.append(f"a wrongly signed webhook: HTTP {refused.status} ({refused.answer['error']})")
        ok = ok and refused.status == 401

        # Planted drift: a call whose webhook never arrives, and a cancellation whose
        # webhook is lost (the wrongly signed one above is a call the API knows too).
        eleven.webhooks.drop_next()
        _end_call(stack, spec.agents[1], datetime.now(UTC) - timedelta(minutes=2), 75, "outbound")
        ghl.webhooks.drop_next()
        ghl.set_appointment_status(booked[2], "cancelled", notify=True)
        drain(stack)
        live = _current(session, base)
        first, last = month_dates((period,))
        synced = session.post(
            f"{base}/admin/bootstrap/bulk-sync",
            json={"clientId": CLIENT_ID, "startDate": first, "endDate": last},
            headers={"Prefer": "wait=25"},
        )
        if synced.status_code == 202:
            stack.wait(synced.json()["data"]["executionArn"], timeout=300)
        reconciled = _current(session, base)
        validation = session.get(
            f"{base}/admin/bootstrap/validate",
            params={"clientId": CLIENT_ID, "startDate": first, "endDate": last},
        ).json()["data"]
        drifted = [
            d
            for d in validation["webhookDrift"]
            if any(f["difference"] for f in d["fields"].values())
        ]
        write_json(
            out / "live-reconciliation.json",
            {
                "period": period,
                "liveBeforeReconciliation": live["totals"],
                "afterReconciliation": reconciled["totals"],
                "webhookDrift": validation["webhookDrift"],
                "issues": [
                    i for i in validation["consistency"]["issues"] if i["type"] == "webhook_drift"
                ],
                "deadLetterQueue": len(parked(stack)),
            },
        )
        lines.append(f"live before reconciliation: {_figures(live)}")
        lines.append(f"after reconciliation with the APIs: {_figures(reconciled)}")
        for drift in drifted:
            changes = ", ".join(
                f"{name} {f['live']} vs API {f['api']} ({f['difference']:+d})"
                for name, f in drift["fields"].items()
                if f["difference"]
            )
            lines.append(f"webhookDrift {drift['agentName']} {drift['part']}: {changes}")
        parts = {d["part"] for d in drifted}
        ok = ok and synced.status_code in (200, 202) and parts == {"calls", "bookings"}
        lines.append("-> out/agent-metrics/live-*.json")
    finally:
        stack.elevenlabs.webhooks.unsubscribe()
        stack.ghl.webhooks.unsubscribe()
        api.uninstall()
    return StepResult(
        "Live tracking (webhooks)",
        "SUCCEEDED" if ok else "FAILED",
        time.monotonic() - started,
        lines,
    )


def main() -> int:
    """Run only this step on a fresh stack (`python -m local.demo_live`)."""
    from local.demo import run_voice_step_alone

    return run_voice_step_alone(run_live_tracking)


if __name__ == "__main__":
    raise SystemExit(main())
