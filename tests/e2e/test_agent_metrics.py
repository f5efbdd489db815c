"""AgentMetricsImport end to end: the admin API starts the real ASL on the local stack,
which imports the demo clients from the ElevenLabs and GoHighLevel stand-ins.

Assertions are on what a user checks afterwards: the numbers per agent and month against
the demo data (months local to each client), callHistory, the validation report, the
summary, and the refresh tokens."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from local import demo_data
from local.demo_agent_metrics import month_dates
from local.stack import LocalStack
from revops.agentmetrics.models import derive
from revops.store.agentmetrics import AgentMetricsStore
from tests.integration.test_admin_api import Admin, open_admin

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin(stack: LocalStack) -> Iterator[Admin]:
    with open_admin(stack) as opened:
        yield opened


VOICE = demo_data.generate_voice()
START, END = month_dates(VOICE.months)


def expected(client: demo_data.ClientSpec) -> dict[tuple[str, str], dict[str, int]]:
    """(month, agent) -> the seed's numbers, straight from the demo data."""
    zone = ZoneInfo(client.time_zone)
    numbers: dict[tuple[str, str], Counter[str]] = {}
    for month in VOICE.months:
        for agent in client.agents:
            numbers[(month, agent.agent_id)] = Counter()
    for conv in VOICE.conversations:
        if conv.client_id != client.client_id:
            continue
        row = numbers[(f"{conv.start.astimezone(zone):%Y-%m}", conv.agent_id)]
        row["totalCalls"] += 1
        row["totalDuration"] += conv.duration_secs
        if conv.direction == "inbound":
            row["inboundCalls"] += 1
        elif conv.direction == "outbound":
            row["outboundCalls"] += 1
    for appt in VOICE.appointments:
        if appt.client_id != client.client_id or appt.status not in demo_data.BOOKED_STATUSES:
            continue
        key = appt.assigned_user_id if client.attribution == "assigned_user" else appt.calendar_id
        agent = client.agent_for.get(key)
        if agent:
            numbers[(f"{appt.start.astimezone(zone):%Y-%m}", agent)]["successfulBookings"] += 1
    return {key: dict(value) for key, value in numbers.items()}


def store_of(stack: LocalStack) -> AgentMetricsStore:
    return AgentMetricsStore(stack.physical_name("AgentMetricsTable"), "us-east-1", derive)


def import_body(
    client_id: str, start: str = START, end: str = END, **extra: object
) -> dict[str, object]:
    return {"clientId": client_id, "startDate": start, "endDate": end, **extra}


def test_twelve_months_for_two_clients_then_validation_finds_what_was_planted(
    admin: Admin,
) -> None:
    accepted = {
        c.client_id: admin.post(
            "/admin/bootstrap/import-historical", import_body(c.client_id, batchSize=4)
        )
        for c in VOICE.clients
    }
    statuses = {
        client_id: admin.wait(response, timeout=600) for client_id, response in accepted.items()
    }
    store = store_of(admin.stack)
    for client in VOICE.clients:
        summary = statuses[client.client_id]["summary"]
        assert summary["status"] == "completed"
        assert (summary["totalMonths"], summary["successfulMonths"], summary["errorMonths"]) == (
            12,
            12,
            0,
        )
        # Every number, per agent and local month, is the demo data's.
        numbers = expected(client)
        for item in store.history_between(client.client_id, VOICE.months[0], VOICE.months[-1]):
            want = numbers[(item.period, item.agent_id)]
            got = {
                "totalCalls": item.total_calls,
                "inboundCalls": item.inbound_calls,
                "outboundCalls": item.outbound_calls,
                "totalDuration": item.total_duration,
                "successfulBookings": item.successful_bookings,
            }
            assert {k: int(v or 0) for k, v in got.items()} == {k: want.get(k, 0) for k in got}, (
                client.client_id,
                item.period,
                item.agent_id,
            )
            average, rate = derive(
                want.get("totalCalls", 0),
                want.get("totalDuration", 0),
                want.get("successfulBookings", 0),
            )
            assert item.average_duration == average and item.success_rate == rate
        # One callHistory row per conversation, boundary calls in their local month.
        rows = [
            row for month in VOICE.months for row in store.calls_in_period(client.client_id, month)
        ]
        mine = [c for c in VOICE.conversations if c.client_id == client.client_id]
        assert len(rows) == len(mine) == len({r.conversation_id for r in rows})
        zone = ZoneInfo(client.time_zone)
        by_id = {r.conversation_id: r for r in rows}
        for conv_id in VOICE.boundary_conversation_ids:
            conv = next((c for c in mine if c.conversation_id == conv_id), None)
            if conv is not None:
                assert by_id[conv_id].period == f"{conv.start.astimezone(zone):%Y-%m}"

    coastal = admin.get(
        "/admin/bootstrap/validate", clientId="client-coastal", startDate=START, endDate=END
    ).json()
    assert coastal["data"]["dataGaps"] == list(demo_data.VOICE_GAP_MONTHS["client-coastal"])
    assert coastal["message"] == "Validation completed. 9/12 months have data."
    assert coastal["data"]["consistency"]["failedChecks"] == 0

    maple = admin.get(
        "/admin/bootstrap/validate", clientId="client-maple", startDate=START, endDate=END
    ).json()
    assert maple["data"]["dataGaps"] == []
    issues = {(i["type"], i["period"]) for i in maple["data"]["consistency"]["issues"]}
    for _, month in demo_data.VOICE_OVERBOOKED_MONTHS:
        assert ("unrealistic_booking_rate", month) in issues
        assert ("bookings_exceed_calls", month) in issues
    for _, month in demo_data.VOICE_BOOKINGS_WITHOUT_CALLS:
        assert ("bookings_without_calls", month) in issues
    planted = {
        m for _, m in demo_data.VOICE_OVERBOOKED_MONTHS + demo_data.VOICE_BOOKINGS_WITHOUT_CALLS
    }
    assert {period for _, period in issues} == planted
    # The import's own summary carries the same validation.
    assert (
        statuses["client-maple"]["summary"]["validation"]["consistency"]
        == maple["data"]["consistency"]
    )

    dashboard = admin.get("/admin/reports/dashboard-summary", clientId="client-coastal").json()[
        "data"
    ]
    assert dashboard["latestPeriodWithData"] == VOICE.months[-1]
    assert dashboard["trailing12Months"]["monthsWithData"] == 9
    total = sum(1 for c in VOICE.conversations if c.client_id == "client-coastal")
    assert dashboard["trailing12Months"]["totals"]["totalCalls"] == total


def test_importing_again_counts_nothing_twice(admin: Admin) -> None:
    body = import_body("client-maple", "2025-08-01", "2025-10-31", batchSize=3)
    admin.wait(admin.post("/admin/bootstrap/import-historical", body))
    store = store_of(admin.stack)

    def snapshot() -> tuple[list[tuple[object, ...]], int]:
        history = sorted(
            (
                i.period,
                i.agent_id,
                i.total_calls,
                i.successful_bookings,
                i.total_duration,
                i.success_rate,
            )
            for i in store.history_between("client-maple", "2025-08", "2025-10")
        )
        calls = sum(
            len(list(store.calls_in_period("client-maple", m)))
            for m in ("2025-08", "2025-09", "2025-10")
        )
        return history, calls

    first = snapshot()
    admin.stack.elevenlabs.reset_log()
    second_status = admin.wait(admin.post("/admin/bootstrap/bulk-sync", body))
    assert second_status["summary"]["successfulMonths"] == 3
    assert snapshot() == first
    assert admin.stack.elevenlabs.calls["detail"] == 0  # directions known from the first import
    report = admin.get(
        "/admin/bootstrap/validate",
        clientId="client-maple",
        startDate="2025-08-01",
        endDate="2025-10-31",
    ).json()
    assert not [
        i for i in report["data"]["consistency"]["issues"] if i["type"] == "duplicate_import"
    ]


def test_skip_existing_leaves_imported_months_alone(admin: Admin) -> None:
    admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            import_body("client-coastal", "2025-03-01", "2025-04-30"),
        )
    )
    admin.stack.elevenlabs.reset_log()
    status = admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            import_body(
                "client-coastal", "2025-02-01", "2025-05-31", skipExisting=True, batchSize=1
            ),
        )
    )
    summary = status["summary"]
    assert (summary["successfulMonths"], summary["skippedMonths"]) == (2, 2)
    skipped = [r["period"] for r in summary["results"] if r["status"] == "skipped"]
    assert skipped == ["2025-03", "2025-04"]
    listed_months = {
        p["call_start_after_unix"]
        for _, path, p in admin.stack.elevenlabs.request_log
        if path.endswith("/conversations")
    }
    assert len(listed_months) == 2  # only February and May were listed


def test_skip_existing_imports_again_a_month_that_was_imported_empty(admin: Admin) -> None:
    # client-coastal has no calls and no appointments in January and February 2025.
    admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            import_body("client-coastal", "2025-01-01", "2025-03-31"),
        )
    )
    summary = admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            import_body("client-coastal", "2025-01-01", "2025-03-31", skipExisting=True),
        )
    )["summary"]
    statuses = {r["period"]: r["status"] for r in summary["results"]}
    assert statuses == {"2025-01": "success", "2025-02": "success", "2025-03": "skipped"}
    # Calls only: a month with bookings but no calls has no calls data, so it is imported.
    only_calls = admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            import_body(
                "client-maple",
                "2025-07-01",
                "2025-07-31",
                skipExisting=True,
                includeAppointments=False,
            ),
        )
    )["summary"]
    assert only_calls["skippedMonths"] == 0  # 2025-07: maple's planted month without calls


def test_a_duplicate_history_row_shows_up_in_validation(admin: Admin) -> None:
    admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            import_body("client-maple", "2025-05-01", "2025-05-31"),
        )
    )
    store = store_of(admin.stack)
    row = next(iter(store.calls_in_period("client-maple", "2025-05")))
    # A row the old system wrote for the same conversation, under another key.
    legacy = row.attribute_values.copy()
    legacy.update(pk=f"CALL#legacy-{row.conversation_id}")
    type(row)(**legacy).save()
    report = admin.get(
        "/admin/bootstrap/validate",
        clientId="client-maple",
        startDate="2025-05-01",
        endDate="2025-05-31",
    ).json()
    duplicates = [
        i for i in report["data"]["consistency"]["issues"] if i["type"] == "duplicate_import"
    ]
    assert len(duplicates) == 1 and row.conversation_id in duplicates[0]["detail"]


def test_the_monthly_schedule_syncs_every_clients_previous_month(admin: Admin) -> None:
    from tests.conftest import load_event

    result, error = admin.stack.invoke(
        "StartMonthlySyncFunction", load_event("start_monthly_sync_schedule.json")
    )
    assert error is None, result
    assert {s["clientId"] for s in result["started"]} == {c.client_id for c in VOICE.clients}
    for started in result["started"]:
        assert started["totalMonths"] == 1
        outcome = admin.stack.wait(started["executionArn"], timeout=120)
        assert outcome.succeeded and outcome.output["successfulMonths"] == 1
