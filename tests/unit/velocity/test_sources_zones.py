"""The SOQL path puts every record on its org-local day, in any IANA zone.

Records one second apart across a week boundary (Saturday 23:59:59 and Sunday
00:00:00 local) on the Sundays the DST changes happen, and in zones whose
offset is not a whole number of hours. The integration user runs in UTC here:
the SOQL path must not depend on the user's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from local.salesforce import FakeOrg
from revops.integrations.salesforce import SalesforceGateway
from revops.velocity.config import SoqlSource
from revops.velocity.sources import Meter, VelocitySource
from revops.velocity.weeks import Calendar, Week
from tests.unit.velocity.test_sources import CREATED

COUNTED = SoqlSource(
    type="soql", object="Opportunity", date_field="CreatedDate", date_type="datetime"
)

CASES = [
    ("America/New_York", date(2025, 3, 9)),
    ("America/New_York", date(2025, 11, 2)),
    ("Asia/Tokyo", date(2025, 11, 2)),
    ("Asia/Kolkata", date(2025, 11, 2)),
    ("Asia/Kathmandu", date(2025, 3, 30)),
    ("America/St_Johns", date(2025, 3, 9)),
    ("America/St_Johns", date(2025, 11, 2)),
    ("Australia/Adelaide", date(2025, 4, 6)),
    ("Australia/Adelaide", date(2025, 10, 5)),
    ("Australia/Lord_Howe", date(2025, 4, 6)),
    ("Australia/Lord_Howe", date(2025, 10, 5)),
]
WHOLE_HOURS = {"America/New_York", "Asia/Tokyo"}


def local(zone: str, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _source(org: FakeOrg, zone: str) -> VelocitySource:
    return VelocitySource(Meter(SalesforceGateway(sf=org.client())), Calendar(zone, "sunday"))


@pytest.mark.parametrize(("zone", "sunday"), CASES, ids=[f"{z}-{d}" for z, d in CASES])
def test_a_record_a_second_before_local_midnight_stays_in_its_week(zone: str, sunday: date) -> None:
    org = FakeOrg.with_standard_objects()  # the API user runs in GMT
    org.clock = local(zone, sunday + timedelta(days=9), time(12))
    ann = org.add_user("Ann Lee")
    amounts = {
        local(zone, sunday - timedelta(days=1), time(23, 59, 59)): 1.0,  # Saturday night
        local(zone, sunday, time(0)): 10.0,  # Sunday's first second
        local(zone, sunday, time(0, 59, 59)): 100.0,
        local(zone, sunday + timedelta(days=6), time(23, 59, 59)): 1000.0,  # next Saturday
        local(zone, sunday + timedelta(days=7), time(0)): 10000.0,  # next Sunday
    }
    for created, amount in amounts.items():
        org.insert(
            "Opportunity",
            {
                "Name": "Deal",
                "OwnerId": ann,
                "StageName": "Prospecting",
                "CloseDate": created.date(),
                "Amount": amount,
                "CreatedDate": created,
            },
        )
    source = _source(org, zone)
    week = Week(sunday)

    series = source.soql_series("pipeline_created", CREATED, week.prior, week.shifted(1))
    counts = source.soql_series("count", COUNTED, week.prior, week.shifted(1))

    assert series.values[ann] == {
        week.prior.start: 1.0,
        week.start: 1110.0,
        week.shifted(1).start: 10000.0,
    }
    assert counts.values[ann] == {week.prior.start: 1, week.start: 3, week.shifted(1).start: 1}
    # One grouped query per metric; a zone whose midnight is not on the hour costs one more.
    assert source.meter.calls == (2 if zone in WHOLE_HOURS else 4)


def test_the_split_hours_are_those_holding_a_local_midnight() -> None:
    def hours(zone: str, first: date, last: date) -> set[int]:
        return set(Calendar(zone).split_hours(first, last))

    year = (date(2025, 1, 1), date(2025, 12, 31))
    assert hours("America/New_York", *year) == set()
    assert hours("Asia/Kolkata", *year) == {18}
    assert hours("Asia/Kathmandu", *year) == {18}
    assert hours("America/St_Johns", *year) == {2, 3}
    assert hours("Australia/Adelaide", *year) == {13, 14}
    assert hours("Australia/Lord_Howe", *year) == {13}  # +11:00 in summer is on the hour
    assert hours("Australia/Lord_Howe", date(2025, 1, 5), date(2025, 1, 11)) == set()
