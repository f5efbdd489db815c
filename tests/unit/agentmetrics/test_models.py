"""Request models: strict types, closed shapes, bounded numbers, ordered and bounded dates."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from revops.agentmetrics.models import (
    BulkSyncRequest,
    ClientUpsert,
    ImportRequest,
    MetricValues,
    SyncRequest,
    derive,
    totals_of,
)

GOOD: dict[str, Any] = {
    "clientId": "client-maple",
    "startDate": "2024-01-01",
    "endDate": "2024-12-31",
}


def test_import_request_defaults_are_the_seeds() -> None:
    request = ImportRequest.model_validate(GOOD)
    assert request.include_eleven_labs and request.include_appointments
    assert request.skip_existing is False and request.batch_size == 3
    assert request.wire()["includeElevenLabs"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"batchSize": 0}, "batchSize"),
        ({"batchSize": 13}, "batchSize"),
        ({"batchSize": "3"}, "batchSize"),
        ({"batchSize": 2.5}, "batchSize"),
        ({"skipExisting": "yes"}, "skipExisting"),
        ({"includeElevenLabs": 1}, "includeElevenLabs"),
        ({"clientId": 42}, "clientId"),
        ({"startDate": "2024-1-1"}, "startDate"),
        ({"endDate": 20241231}, "endDate"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_wrong_types_and_ranges_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ImportRequest.model_validate({**GOOD, **change})
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-12-31", "2024-01-01", "before startDate"),
        ("2024-02-30", "2024-03-01", "not a real date"),
        ("2021-01-01", "2024-01-31", "37 months"),
    ],
)
def test_bad_date_ranges(start: str, end: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ImportRequest.model_validate({**GOOD, "startDate": start, "endDate": end})


def test_an_import_must_import_something() -> None:
    with pytest.raises(ValidationError, match="both false"):
        ImportRequest.model_validate(
            {**GOOD, "includeElevenLabs": False, "includeAppointments": False}
        )


def test_bulk_sync_is_an_import_without_skipping() -> None:
    bulk = BulkSyncRequest.model_validate({**GOOD, "syncAppointments": False})
    request = bulk.as_import()
    assert request.include_eleven_labs and not request.include_appointments
    assert request.skip_existing is False


@pytest.mark.parametrize("change", [{"year": 1999}, {"month": 13}, {"month": 0}, {"year": "2024"}])
def test_sync_year_and_month_ranges(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SyncRequest.model_validate({"clientId": "c", "year": 2024, "month": 11, **change})


def test_client_settings_check_zone_and_attribution() -> None:
    base = {
        "name": "X",
        "timeZone": "America/Toronto",
        "agents": [{"agentId": "agent_a", "agentName": "A"}],
    }
    assert ClientUpsert.model_validate(base).time_zone == "America/Toronto"
    with pytest.raises(ValidationError, match="IANA"):
        ClientUpsert.model_validate({**base, "timeZone": "Mars/Olympus"})
    with pytest.raises(ValidationError, match="unknown agents"):
        ClientUpsert.model_validate(
            {**base, "attribution": {"by": "calendar", "agents": {"cal1": "agent_zzz"}}}
        )


def test_refresh_token_never_prints() -> None:
    body = ClientUpsert.model_validate(
        {"name": "X", "timeZone": "UTC", "locationId": "loc1", "refreshToken": "ghl_rt_secret"}
    )
    assert "ghl_rt_secret" not in repr(body) and "ghl_rt_secret" not in str(body.wire())


def test_derived_numbers() -> None:
    assert derive(4, 600, 1) == (150.0, 25.0)
    assert derive(0, 0, 3) == (0.0, None)
    totals = totals_of(
        [
            MetricValues(inbound_calls=2, total_calls=3, total_duration=300, successful_bookings=1),
            MetricValues(outbound_calls=1, total_calls=1, total_duration=100),
        ]
    )
    assert (totals.total_calls, totals.average_duration, totals.success_rate) == (4, 100.0, 25.0)
