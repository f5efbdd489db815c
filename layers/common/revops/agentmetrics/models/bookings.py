"""GoHighLevel appointment counts, the bookings sync and the historical view, in the seed's shapes."""

from __future__ import annotations

from pydantic import Field

from revops.agentmetrics.models.base import (
    WireModel,
)


class AppointmentView(WireModel):
    id: str
    start_time: str
    appointment_status: str
    calendar_id: str
    assigned_user_id: str | None = None
    title: str | None = None


class AgentBookings(WireModel):
    agent_id: str
    agent_name: str
    booking_count: int
    appointments: list[AppointmentView] = Field(default_factory=list)


class DateRangeView(WireModel):
    start: str
    end: str


class AppointmentCounts(WireModel):
    """GET /admin/bootstrap/appointments/counts, the seed's shape."""

    success: bool = True
    client_id: str
    period: str
    time_zone: str
    total_bookings: int
    total_appointments: int
    unattributed_bookings: int
    agent_bookings: dict[str, AgentBookings]
    date_range: DateRangeView


class AgentUpdate(WireModel):
    """One agent's part of a bookings sync, in the seed's names."""

    agent_name: str
    previous_bookings: int = Field(description="successfulBookings stored before this sync.")
    new_bookings: int = Field(
        description="successfulBookings now: the agent's booked appointments."
    )
    appointments_found: int = Field(
        description=(
            "The agent's booked appointments found in GoHighLevel for the month (statuses in "
            "bookedStatuses), so it equals newBookings, as in the seed's example (15 found of "
            "18 appointments). totalAppointments counts every status."
        )
    )


class SyncResult(WireModel):
    """POST /admin/bootstrap/appointments/sync, the seed's shape."""

    success: bool = True
    period: str
    client_id: str
    total_appointments: int
    total_confirmed_bookings: int
    agent_updates: dict[str, AgentUpdate]


class MonthBookings(WireModel):
    period: str
    total_appointments: int
    total_bookings: int
    agent_bookings: dict[str, AgentBookings]


class HistoricalAppointments(WireModel):
    client_id: str
    start_date: str
    end_date: str
    time_zone: str
    total_months: int
    total_appointments: int
    total_bookings: int
    months: list[MonthBookings]
