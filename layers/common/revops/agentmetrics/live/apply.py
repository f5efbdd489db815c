"""Applying one queued event to the numbers, as the imports would have counted it.

The client's time zone decides the month, as in the imports; a call counts in
`totalCalls` and by direction (web calls in `totalCalls` only), a failed initiation as
an outbound call of 0 s; an appointment counts as a booking of the agent the client's
attribution credits it to when its status is one of the booked statuses. An event for
an agent or a location no registered client has is ignored (and counted), not failed:
retrying would not change it, and the monthly sync catches the month up once the client
is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from revops.agentmetrics.bookings import appointment_state, booked_statuses
from revops.agentmetrics.clients import all_clients
from revops.agentmetrics.live.events import AppointmentEvent, CallEvent
from revops.agentmetrics.models import AgentConfig, CallRecord, Client
from revops.agentmetrics.periods import Period, current_period
from revops.store.agentmetrics import AgentMetricsStore
from revops.store.live import LiveStore

Status = Literal["applied", "duplicate", "stale", "unchanged", "ignored"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    client_id: str | None = None
    period: str | None = None
    reason: str = ""


class Directory:
    """Registered clients by ElevenLabs agent id and by GoHighLevel location."""

    def __init__(self, clients: list[Client]) -> None:
        self.agents: dict[str, tuple[Client, AgentConfig]] = {}
        self.locations: dict[str, Client] = {}
        for client in clients:
            for agent in client.agents:
                self.agents.setdefault(agent.agent_id, (client, agent))
            if client.location_id:
                self.locations.setdefault(client.location_id, client)

    @classmethod
    def load(cls, store: AgentMetricsStore) -> Directory:
        return cls(all_clients(store))


class Applier:
    """Applies events with one directory of clients (loaded once per batch)."""

    def __init__(
        self,
        store: AgentMetricsStore,
        directory: Directory,
        default_booked: list[str],
        now: datetime | None = None,
    ) -> None:
        self.live = LiveStore(store)
        self.directory = directory
        self.default_booked = default_booked
        self.now = now

    def _now(self) -> datetime:
        return self.now or datetime.now(UTC)

    def apply(self, event: CallEvent | AppointmentEvent) -> Outcome:
        if isinstance(event, CallEvent):
            return self.apply_call(event)
        return self.apply_appointment(event)

    def apply_call(self, event: CallEvent) -> Outcome:
        found = self.directory.agents.get(event.agent_id)
        if found is None:
            return Outcome("ignored", reason=f"agent {event.agent_id} is no registered client's")
        client, agent = found
        started = datetime.fromtimestamp(event.start_unix, UTC)
        period = Period.of(started.astimezone(client.zone).date())
        row = CallRecord(
            conversation_id=event.conversation_id,
            client_id=client.client_id,
            agent_id=agent.agent_id,
            agent_name=agent.agent_name,
            period=str(period),
            start_time=started.isoformat().replace("+00:00", "Z"),
            start_unix=event.start_unix,
            duration_secs=event.duration_secs,
            direction=event.direction,
            status=event.status,
            call_successful=event.call_successful,
        )
        applied = self.live.record_call(
            row.model_dump(),
            received_at=event.received_at,
            is_current=period == current_period(client.zone, self._now()),
        )
        return Outcome("applied" if applied else "duplicate", client.client_id, str(period))

    def apply_appointment(self, event: AppointmentEvent) -> Outcome:
        client = self.directory.locations.get(event.location_id)
        if client is None:
            return Outcome(
                "ignored", reason=f"location {event.location_id} is no registered client's"
            )
        state = appointment_state(
            client,
            {
                "id": event.appointment_id,
                "calendarId": event.calendar_id,
                "assignedUserId": event.assigned_user_id,
                "appointmentStatus": event.status,
                "startTime": event.start_time,
                "dateUpdated": event.date_updated,
            },
            booked_statuses(client, self.default_booked),
            deleted=event.deleted,
        )
        assert state is not None  # the event's model already checked both instants
        status = self.live.record_appointment(
            state,
            received_at=event.received_at,
            current_period=str(current_period(client.zone, self._now())),
        )
        return Outcome(status, client.client_id, state.counted.period)  # type: ignore[arg-type]
