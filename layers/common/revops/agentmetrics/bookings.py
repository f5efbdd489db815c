"""GoHighLevel appointments: counts per agent, the monthly bookings sync, the historical view.

An appointment belongs to the month its start falls in, in the client's time
zone. It counts as a booking when its `appointmentStatus` is one of the booked
statuses (confirmed and showed unless the client or the deployment says
otherwise). It is credited to an agent through the client's attribution:
by `assignedUserId` or by calendar; a client with a single agent and no
mapping credits every appointment of its calendar to that agent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from revops.agentmetrics.models import (
    AgentBookings,
    AgentUpdate,
    AppointmentCounts,
    AppointmentView,
    BookingsMonthResult,
    Client,
    DateRangeView,
    HistoricalAppointments,
    MonthBookings,
    SyncResult,
)
from revops.agentmetrics.periods import Period, current_period, iso_z
from revops.integrations.gohighlevel import GoHighLevelClient
from revops.store.agentmetrics import AgentMetricsStore, now_iso
from revops.store.live import AppointmentState, Counted, LiveStore


def booked_statuses(client: Client, default: list[str]) -> list[str]:
    return list(client.booked_statuses or default)


def agent_for(client: Client, event: dict[str, Any]) -> str | None:
    if client.attribution is None:
        return client.agents[0].agent_id if len(client.agents) == 1 else None
    key = (
        event.get("assignedUserId")
        if client.attribution.by == "assignedUserId"
        else event.get("calendarId")
    )
    return client.attribution.agents.get(str(key)) if key else None


def _instant(raw: Any) -> datetime | None:
    """An ISO-8601 time with its UTC offset (GoHighLevel's rendering), or None."""
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _start(event: dict[str, Any]) -> datetime | None:
    return _instant(event.get("startTime"))


def appointment_state(
    client: Client, event: dict[str, Any], booked: list[str], *, deleted: bool = False
) -> AppointmentState | None:
    """Where an appointment counts (as the API or a webhook renders it): its local month,
    the agent it is credited to (only on the client's calendars) and whether it is booked.
    None when it has no readable start or `dateUpdated`."""
    started = _start(event)
    updated = _instant(event.get("dateUpdated") or event.get("dateAdded"))
    if started is None or updated is None or not event.get("id"):
        return None
    agent_id = agent_for(client, event) if event.get("calendarId") in client.calendars() else None
    if agent_id not in {a.agent_id for a in client.agents}:
        agent_id = None
    status = str(event.get("appointmentStatus") or "")
    return AppointmentState(
        client_id=client.client_id,
        appointment_id=str(event["id"]),
        location_id=client.location_id,
        calendar_id=event.get("calendarId"),
        assigned_user_id=event.get("assignedUserId"),
        status=status,
        start_time=str(event.get("startTime")),
        version=int(updated.timestamp() * 1000),
        deleted=deleted,
        counted=Counted(
            agent_id=agent_id,
            agent_name=client.agent_name(agent_id) if agent_id else None,
            period=str(Period.of(started.astimezone(client.zone).date())),
            booked=status in booked,
        ),
    )


def fetch_events(
    client: Client, periods: list[Period], ghl: GoHighLevelClient
) -> dict[str, list[dict[str, Any]]]:
    """Every event of the client's calendars, grouped by local month (each month its own window)."""
    tz = client.zone
    grouped: dict[str, list[dict[str, Any]]] = {str(p): [] for p in periods}
    for period in periods:
        start, end = period.bounds(tz)
        start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000) - 1
        seen: set[str] = set()
        for calendar_id in client.calendars():
            for event in ghl.events(calendar_id, start_ms, end_ms):
                started = _start(event)
                event_id = str(event.get("id"))
                if started is None or event_id in seen or not period.contains(started, tz):
                    continue
                seen.add(event_id)
                grouped[str(period)].append(event)
    return grouped


def _view(event: dict[str, Any]) -> AppointmentView:
    return AppointmentView(
        id=str(event.get("id")),
        start_time=str(event.get("startTime")),
        appointment_status=str(event.get("appointmentStatus")),
        calendar_id=str(event.get("calendarId")),
        assigned_user_id=event.get("assignedUserId"),
        title=event.get("title"),
    )


def _tally(
    client: Client, events: Iterable[dict[str, Any]], booked: list[str], *, with_appointments: bool
) -> tuple[int, int, int, dict[str, AgentBookings]]:
    """(appointments, bookings, unattributed bookings, per-agent bookings)."""
    per_agent = {
        a.agent_id: AgentBookings(agent_id=a.agent_id, agent_name=a.agent_name, booking_count=0)
        for a in client.agents
    }
    total = bookings = unattributed = 0
    for event in events:
        total += 1
        is_booked = event.get("appointmentStatus") in booked
        bookings += is_booked
        agent_id = agent_for(client, event)
        if agent_id is None or agent_id not in per_agent:
            unattributed += is_booked
            continue
        if is_booked:
            per_agent[agent_id].booking_count += 1
            if with_appointments:
                per_agent[agent_id].appointments.append(_view(event))
    return total, bookings, unattributed, per_agent


def counts(
    client: Client, period: Period, ghl: GoHighLevelClient, default_booked: list[str]
) -> AppointmentCounts:
    events = fetch_events(client, [period], ghl)[str(period)]
    booked = booked_statuses(client, default_booked)
    total, bookings, unattributed, per_agent = _tally(
        client, events, booked, with_appointments=True
    )
    start, end = period.bounds(client.zone)
    return AppointmentCounts(
        client_id=client.client_id,
        period=str(period),
        time_zone=client.time_zone,
        total_bookings=bookings,
        total_appointments=total,
        unattributed_bookings=unattributed,
        agent_bookings=per_agent,
        date_range=DateRangeView(start=iso_z(start), end=iso_z(end - timedelta(seconds=1))),
    )


def sync(
    client: Client,
    period: Period,
    ghl: GoHighLevelClient,
    store: AgentMetricsStore,
    default_booked: list[str],
    *,
    import_id: str | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Count the month's bookings per agent and write them into the history rows.

    Each appointment's state is recorded too, so that webhooks later move the counts
    from what this sync counted (`store.live`)."""
    listed_at_ms = int(time.time() * 1000)
    events = fetch_events(client, [period], ghl)[str(period)]
    booked = booked_statuses(client, default_booked)
    total, bookings, _, per_agent = _tally(client, events, booked, with_appointments=False)
    states = [appointment_state(client, event, booked) for event in events]
    LiveStore(store).put_imported(
        [s for s in states if s is not None],
        client_id=client.client_id,
        period=str(period),
        listed_at_ms=listed_at_ms,
    )
    start, end = period.bounds(client.zone)
    is_current = period == current_period(client.zone, now)
    updates: dict[str, AgentUpdate] = {}
    for agent in client.agents:
        previous = store.history(client.client_id, str(period), agent.agent_id)
        new = per_agent[agent.agent_id].booking_count
        store.write_part(
            client.client_id,
            str(period),
            agent.agent_id,
            agent.agent_name,
            {"successful_bookings": new},
            "bookings_source",
            {
                "system": "gohighlevel",
                "detail": {
                    "endpoint": "GET /calendars/events",
                    "locationId": client.location_id,
                    "calendarIds": client.calendars(),
                    "attribution": client.attribution.by if client.attribution else "singleAgent",
                    "bookedStatuses": booked,
                    "appointmentsFound": new,
                    "startTime": iso_z(start),
                    "endTime": iso_z(end),
                },
                "importedAt": now_iso(),
                "importId": import_id,
            },
            is_current=is_current,
        )
        updates[agent.agent_id] = AgentUpdate(
            agent_name=agent.agent_name,
            previous_bookings=int(previous.successful_bookings or 0) if previous else 0,
            new_bookings=new,
            appointments_found=new,
        )
    store.mark_period(client.client_id, str(period), "bookings")
    return SyncResult(
        period=str(period),
        client_id=client.client_id,
        total_appointments=total,
        total_confirmed_bookings=bookings,
        agent_updates=updates,
    )


def month_result(result: SyncResult) -> BookingsMonthResult:
    return BookingsMonthResult(
        period=result.period,
        total_appointments=result.total_appointments,
        total_confirmed_bookings=result.total_confirmed_bookings,
        agent_updates=result.agent_updates,
    )


def historical(
    client: Client,
    periods: list[Period],
    start_date: str,
    end_date: str,
    ghl: GoHighLevelClient,
    default_booked: list[str],
) -> HistoricalAppointments:
    grouped = fetch_events(client, periods, ghl)
    booked = booked_statuses(client, default_booked)
    months: list[MonthBookings] = []
    for period in periods:
        total, bookings, _, per_agent = _tally(
            client, grouped[str(period)], booked, with_appointments=False
        )
        months.append(
            MonthBookings(
                period=str(period),
                total_appointments=total,
                total_bookings=bookings,
                agent_bookings=per_agent,
            )
        )
    return HistoricalAppointments(
        client_id=client.client_id,
        start_date=start_date,
        end_date=end_date,
        time_zone=client.time_zone,
        total_months=len(periods),
        total_appointments=sum(m.total_appointments for m in months),
        total_bookings=sum(m.total_bookings for m in months),
        months=months,
    )
