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


@pytest.mark.parametrize(
    "change", [{"year": 1999}, {"year": 2101}, {"month": 13}, {"month": 0}, {"year": "2024"}]
)
def test_sync_year_and_month_ranges(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SyncRequest.model_validate({"clientId": "c", "year": 2024, "month": 11, **change})


def test_the_last_month_of_the_last_year_is_a_valid_request() -> None:
    assert SyncRequest.model_validate({"clientId": "c", "year": 2100, "month": 12}).year == 2100
    request = ImportRequest.model_validate(
        {**GOOD, "startDate": "2100-11-15", "endDate": "2100-12-31"}
    )
    assert [str(p) for p in request.periods()] == ["2100-11", "2100-12"]


def test_client_settings_check_zone_and_attribution() -> None:
    base = {
        "name": "X",
        "timeZone": "America/Toronto",
        "agents": [{"agentId": "agent_a", "agentName": "A"}],
    }
    assert ClientUpsert.model_validate(base).time_zone == "America/Toronto"
    with pytest.raises(ValidationError, match="IANA"):
        ClientUpsert.model_validate({**base, "timeZone": "Mars/Olympus"})
    assert ClientUpsert.model_validate({**base, "timeZone": "Etc/UTC"}).time_zone == "Etc/UTC"
    with pytest.raises(ValidationError, match="unknown agents"):
        ClientUpsert.model_validate(
            {**base, "attribution": {"by": "calendar", "agents": {"cal1": "agent_zzz"}}}
        )


CLIENT: dict[str, Any] = {"name": "Maple", "timeZone": "America/Toronto"}


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("Factory", "not a canonical IANA time zone"),
        ("posixrules", "not a canonical IANA time zone"),
        ("right/America/Toronto", "not a canonical IANA time zone"),
        ("posix/America/Toronto", "not a canonical IANA time zone"),
        ("EST5EDT", "not a canonical IANA time zone"),
        ("CST6CDT", "not a canonical IANA time zone"),
        ("EST", "use the canonical IANA name 'America/Panama'"),
        ("US/Eastern", "use the canonical IANA name 'America/New_York'"),
        ("UTC", "use the canonical IANA name 'Etc/UTC'"),
        ("Canada/Pacific", "use the canonical IANA name 'America/Vancouver'"),
        ("america/toronto", "not a canonical IANA time zone"),
        ("../../etc/passwd", "not a canonical IANA time zone"),
        ("", "not a canonical IANA time zone"),
    ],
)
def test_only_canonical_iana_zones_are_accepted(zone: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ClientUpsert.model_validate({**CLIENT, "timeZone": zone})


@pytest.mark.parametrize(
    "name",
    [
        "Maple\x00Dental",
        "Maple\x1bDental",
        "Maple\u202eDental",  # right-to-left override
        "Maple\u2066Dental",  # left-to-right isolate
        "Maple\u200fDental",  # right-to-left mark
        "Maple\u2028Dental",  # line separator
        "Maple\nDental",
        "   ",
    ],
)
def test_control_and_bidi_characters_in_client_and_agent_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="name"):
        ClientUpsert.model_validate({**CLIENT, "name": name})
    agents = [{"agentId": "agent_a", "agentName": name}]
    with pytest.raises(ValidationError, match="agentName"):
        ClientUpsert.model_validate({**CLIENT, "agents": agents})


@pytest.mark.parametrize(
    "name", ["Clinique Côté", "歯科医院", "Dr. O'Brien & Co.", "👩\u200d⚕️ Care"]
)
def test_names_in_any_script_with_emoji_are_kept(name: str) -> None:
    assert ClientUpsert.model_validate({**CLIENT, "name": name}).name == name


def test_a_refresh_token_that_would_not_fit_in_secrets_manager_is_refused() -> None:
    from revops.integrations.gohighlevel import MAX_REFRESH_TOKEN_BYTES

    body = {**CLIENT, "locationId": "loc1"}
    fits = "r" * (MAX_REFRESH_TOKEN_BYTES - 2)  # JSON quotes included
    assert ClientUpsert.model_validate({**body, "refreshToken": fits}).refresh_token is not None
    for token in ("r" * (MAX_REFRESH_TOKEN_BYTES - 1), "r" * 70_000):
        with pytest.raises(ValidationError, match="fit in Secrets Manager") as caught:
            ClientUpsert.model_validate({**body, "refreshToken": token})
        assert token not in str(caught.value)
    with pytest.raises(ValidationError, match="printable ASCII"):
        ClientUpsert.model_validate({**body, "refreshToken": "ghl rt\n"})


def test_refresh_token_never_prints() -> None:
    body = ClientUpsert.model_validate(
        {"name": "X", "timeZone": "Etc/UTC", "locationId": "loc1", "refreshToken": "ghl_rt_secret"}
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
