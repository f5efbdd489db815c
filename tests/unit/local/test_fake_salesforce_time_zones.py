"""The fake org evaluates dates as Salesforce does: in the running user's time zone and locale.

Each rule is tried on two records one second apart across a week boundary,
Saturday 23:59:59 and Sunday 00:00:00 on the user's wall clock, in a zone west
of UTC, one east of it and ones with half-hour offsets, on the Sundays both DST
changes happen (the boundary night itself is the one whose offset changes).

Rules (see `local/salesforce/dates.py` for the sources):
* SOQL date literals are the user's local days and locale weeks, on dateTime fields too;
* SOQL date functions read a dateTime in UTC, unless inside `convertTimezone()`,
  which converts it to the user's time zone (and is refused outside a date function);
* reports group (WEEK, DAY) and filter (relative and CUSTOM) by the user's local days,
  with weeks starting on the first day of the user's locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from local.salesforce import FakeOrg

REPORT = "00O000000000TZ1AAA"


@dataclass(frozen=True)
class Boundary:
    """A zone and a Sunday whose first second starts a week (its night changes DST when `dst`)."""

    zone: str
    sunday: date
    dst: str  # "starts", "ends" or "none"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def local(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz).astimezone(UTC)

    @property
    def saturday_night(self) -> datetime:
        return self.local(self.sunday - timedelta(days=1), time(23, 59, 59))

    @property
    def sunday_midnight(self) -> datetime:
        return self.local(self.sunday, time(0))


BOUNDARIES = [
    Boundary("America/Los_Angeles", date(2025, 3, 9), "starts"),  # west of UTC
    Boundary("America/Los_Angeles", date(2025, 11, 2), "ends"),
    Boundary("Europe/Berlin", date(2025, 3, 30), "starts"),  # east of UTC
    Boundary("Europe/Berlin", date(2025, 10, 26), "ends"),
    Boundary("America/St_Johns", date(2025, 3, 9), "starts"),  # -03:30 / -02:30
    Boundary("America/St_Johns", date(2025, 11, 2), "ends"),
    Boundary("Australia/Adelaide", date(2025, 4, 6), "ends"),  # +10:30 / +09:30
    Boundary("Australia/Adelaide", date(2025, 10, 5), "starts"),
    Boundary("Australia/Lord_Howe", date(2025, 4, 6), "ends"),  # +11:00 / +10:30
    Boundary("Australia/Lord_Howe", date(2025, 10, 5), "starts"),
    Boundary("Asia/Kolkata", date(2025, 11, 2), "none"),  # +05:30, no DST
    Boundary("Asia/Kathmandu", date(2025, 11, 2), "none"),  # +05:45
]
IDS = [f"{b.zone}-{b.sunday}-dst-{b.dst}" for b in BOUNDARIES]


def test_the_boundaries_really_cross_the_dst_changes() -> None:
    for b in BOUNDARIES:
        before, after = b.saturday_night.astimezone(b.tz), b.sunday_midnight.astimezone(b.tz)
        noon = b.local(b.sunday, time(12)).astimezone(b.tz)
        changes = before.utcoffset() != noon.utcoffset()
        assert changes == (b.dst != "none"), b
        assert after - before == timedelta(seconds=1) or b.zone == "Australia/Lord_Howe"


@dataclass
class Org:
    org: FakeOrg
    sf: Salesforce
    saturday: str
    sunday: str
    b: Boundary

    def names(self, where: str) -> list[str]:
        soql = f"SELECT Name FROM Opportunity WHERE {where} ORDER BY Name"
        return [r["Name"] for r in self.sf.query(soql)["records"]]

    def run(self, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        path = f"analytics/reports/{REPORT}"
        if metadata is None:
            return dict(self.sf.restful(path))
        return dict(self.sf.restful(path, method="POST", json={"reportMetadata": metadata}))


def _org(b: Boundary, locale: str = "en_US") -> Org:
    org = FakeOrg.with_standard_objects()
    # "Now" is the Monday after the boundary week, at noon local: LAST_WEEK is that week.
    org.clock = b.local(b.sunday + timedelta(days=8), time(12))
    org.add_user("Integration", username="runner@example.test", time_zone=b.zone, locale=locale)
    owner = org.add_user("Ann Lee")
    ids = {}
    for name, created in (("A saturday night", b.saturday_night), ("B sunday", b.sunday_midnight)):
        ids[name] = org.insert(
            "Opportunity",
            {
                "Name": name,
                "OwnerId": owner,
                "StageName": "Prospecting",
                "CloseDate": created.astimezone(b.tz).date(),
                "Amount": 100.0,
                "CreatedDate": created,
            },
        )
    org.add_report(
        REPORT,
        "Created by week",
        sobject="Opportunity",
        date_field="CreatedDate",
        owner_field="OwnerId",
        aggregate="s!Amount",
    )
    return Org(org, org.client("runner@example.test"), "A saturday night", "B sunday", b)


def _weeks(result: dict[str, Any]) -> dict[str, float]:
    facts = result["factMap"]
    return {
        g["value"]: facts[f"{g['key']}!T"]["aggregates"][0]["value"]
        for g in result["groupingsDown"]["groupings"]
    }


@pytest.mark.parametrize("b", BOUNDARIES, ids=IDS)
def test_soql_date_literals_are_the_running_users_local_days(b: Boundary) -> None:
    o = _org(b)

    assert o.names("CreatedDate = LAST_WEEK") == [o.sunday]
    assert o.names("CreatedDate < LAST_WEEK") == [o.saturday]
    assert o.names("CreatedDate = LAST_N_WEEKS:2") == [o.saturday, o.sunday]
    assert o.names("CreatedDate = N_DAYS_AGO:9") == [o.saturday]
    assert o.names("CreatedDate = N_DAYS_AGO:8") == [o.sunday]
    assert o.names("CloseDate = LAST_WEEK") == [o.sunday]  # a date field: its own day


@pytest.mark.parametrize("b", BOUNDARIES, ids=IDS)
def test_soql_date_functions_are_utc_unless_converted_to_the_users_zone(b: Boundary) -> None:
    o = _org(b)
    soql = (
        "SELECT Name, DAY_ONLY(CreatedDate) utc_day, DAY_ONLY(convertTimezone(CreatedDate)) day, "
        "HOUR_IN_DAY(convertTimezone(CreatedDate)) hour FROM Opportunity "
        "GROUP BY Name, DAY_ONLY(CreatedDate), DAY_ONLY(convertTimezone(CreatedDate)), "
        "HOUR_IN_DAY(convertTimezone(CreatedDate)) ORDER BY Name"
    )

    rows = o.sf.query(soql)["records"]

    saturday, sunday = b.sunday - timedelta(days=1), b.sunday
    assert [(r["Name"], r["day"], r["hour"]) for r in rows] == [
        (o.saturday, saturday.isoformat(), 23),
        (o.sunday, sunday.isoformat(), 0),
    ]
    assert [r["utc_day"] for r in rows] == [
        b.saturday_night.date().isoformat(),
        b.sunday_midnight.date().isoformat(),
    ]
    assert o.names(f"DAY_ONLY(convertTimezone(CreatedDate)) = {sunday}") == [o.sunday]


def test_convert_timezone_outside_a_date_function_is_refused() -> None:
    o = _org(BOUNDARIES[0])

    with pytest.raises(SalesforceMalformedRequest) as error:
        o.sf.query("SELECT convertTimezone(CreatedDate) FROM Opportunity")

    assert "date function" in str(error.value)


@pytest.mark.parametrize("b", BOUNDARIES, ids=IDS)
def test_reports_group_by_the_running_users_local_week_and_day(b: Boundary) -> None:
    o = _org(b)
    previous = b.sunday - timedelta(weeks=1)

    by_week = _weeks(o.run())
    by_day = _weeks(
        o.run({"groupingsDown": [{"name": "Opportunity.CreatedDate", "dateGranularity": "Day"}]})
    )

    assert by_week == {previous.isoformat(): 100.0, b.sunday.isoformat(): 100.0}
    assert by_day == {
        (b.sunday - timedelta(days=1)).isoformat(): 100.0,
        b.sunday.isoformat(): 100.0,
    }


@pytest.mark.parametrize("b", BOUNDARIES, ids=IDS)
def test_report_date_filters_are_the_running_users_local_days(b: Boundary) -> None:
    o = _org(b)
    column = "Opportunity.CreatedDate"
    week = {"start": b.sunday.isoformat(), "end": (b.sunday + timedelta(days=6)).isoformat()}

    custom = o.run(
        {"standardDateFilter": {"column": column, "durationValue": "CUSTOM", **{
            "startDate": week["start"], "endDate": week["end"]}}}
    )  # fmt: skip
    last_week = o.run({"standardDateFilter": {"column": column, "durationValue": "LAST_WEEK"}})
    two_weeks = o.run({"standardDateFilter": {"column": column, "durationValue": "LAST_N_WEEKS:2"}})
    this_week = o.run({"standardDateFilter": {"column": column, "durationValue": "THIS_WEEK"}})

    assert _weeks(custom) == {b.sunday.isoformat(): 100.0}
    assert _weeks(last_week) == {b.sunday.isoformat(): 100.0}
    assert sum(_weeks(two_weeks).values()) == 200.0
    assert _weeks(this_week) == {}


def test_a_report_run_by_a_user_in_another_zone_moves_the_record() -> None:
    b = BOUNDARIES[0]
    o = _org(b)
    o.org.add_user("Utc runner", username="utc@example.test", time_zone="GMT")

    mine = _weeks(o.run())
    theirs = _weeks(dict(o.org.client("utc@example.test").restful(f"analytics/reports/{REPORT}")))

    assert mine == {(b.sunday - timedelta(weeks=1)).isoformat(): 100.0, b.sunday.isoformat(): 100.0}
    assert theirs == {b.sunday.isoformat(): 200.0}  # both are Sunday in UTC


def test_a_monday_locale_starts_report_weeks_and_soql_weeks_on_monday() -> None:
    b = Boundary("Europe/Berlin", date(2025, 10, 26), "ends")
    o = _org(b, locale="en_GB")
    monday = b.sunday + timedelta(days=1)

    weeks = _weeks(o.run())

    assert weeks == {(monday - timedelta(weeks=1)).isoformat(): 200.0}  # Sat and Sun: one week
    assert o.names("CreatedDate = LAST_WEEK") == []  # the Monday-to-Sunday week before today's
    assert o.names("CreatedDate = LAST_N_WEEKS:2") == [o.saturday, o.sunday]


def test_every_user_has_a_time_zone_and_a_locale() -> None:
    org = FakeOrg.with_standard_objects(time_zone="America/New_York")
    plain = org.insert("User", {"Name": "No settings", "Username": "plain@example.test"})
    own = org.add_user("Own", time_zone="Asia/Kolkata", locale="en_IN")

    rows = org.query("SELECT Id, TimeZoneSidKey, LocaleSidKey FROM User ORDER BY Name")["records"]

    settings = {r["Id"]: (r["TimeZoneSidKey"], r["LocaleSidKey"]) for r in rows}
    assert settings == {plain: ("America/New_York", "en_US"), own: ("Asia/Kolkata", "en_IN")}
    with pytest.raises(ValueError, match="LocaleSidKey"):
        org.add_user("Bad", locale="xx_XX")
