"""Velocity end to end: the right week for records at local midnight, the integration
user's settings checked (the run refuses as StackCheck does), definitions in sight."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from local import demo_data
from local.stack import LocalStack
from tests.e2e.test_velocity import AS_OF, PREFIX, Demo, _demo, assert_week_matches

LAST_WEEK = date(2025, 10, 26)


@pytest.fixture
def demo(stack: LocalStack) -> Demo:
    return _demo(stack)


def _sunday(day: date) -> date:
    return day - timedelta(days=day.isoweekday() % 7)


def test_deals_a_second_either_side_of_local_midnight_land_in_their_weeks(demo: Demo) -> None:
    # The demo plants them, and UTC would put them in other weeks: the fix matters here.
    planted = [
        o
        for o in demo.data.opportunities
        if o.owner_key in demo_data.BOUNDARY_USER_KEYS and "Midnight" in o.name
    ]
    assert {(o.created.hour, o.created.minute, o.created.second) for o in planted} == {
        (23, 59, 59),
        (0, 0, 0),
    }
    moved = [
        o for o in planted if _sunday(o.created.astimezone(UTC).date()) != _sunday(o.created.date())
    ]
    assert moved, "no planted deal changes week between UTC and the org's zone"

    result = demo.run({"asOf": AS_OF}, "midnight")

    assert result.succeeded, (result.error, result.cause)
    for report in ("boca", "pipeline"):
        assert_week_matches(demo, report, demo.history(report)[0])
    # Saturday 23:59:59 and Sunday 00:00:00 at both ends of 2025-10-26..11-01, New York time:
    # only the two inside the week count, by the saved report and by SOQL alike.
    jordan = demo.history("boca")[0]["data"]["data"]["Jordan Reyes"]["opp_dollars"]["last"]
    inside = sum(
        o.amount or 0
        for o in demo.data.opportunities
        if o.owner_key == "user-01"
        and o.lead_source == "Boca"
        and LAST_WEEK <= o.created.date() <= LAST_WEEK + timedelta(days=6)
    )
    assert jordan == inside
    counted = {
        o.name.rsplit(" - ", 1)[-1]
        for o in planted
        if o.owner_key == "user-01" and LAST_WEEK <= o.created.date() <= LAST_WEEK + timedelta(6)
    }
    assert counted == {"Midnight 2", "Midnight 3"}


def _misconfigure(stack: LocalStack, change: dict[str, str]) -> None:
    rows = stack.org.query(
        f"SELECT Id FROM User WHERE Username = '{demo_data.INTEGRATION_USERNAME}'"
    )["records"]
    stack.org.update("User", rows[0]["Id"], change)


def test_a_run_refuses_saved_reports_in_another_zone_with_stack_checks_message(
    demo: Demo,
) -> None:
    _misconfigure(demo.stack, {"TimeZoneSidKey": "Asia/Kolkata"})

    check = demo.stack.run("StackCheckStateMachine", {}, name="check")
    result = demo.run({"asOf": AS_OF}, "refused")

    assert check.status == "FAILED" and check.error == "VelocitySettingsError"
    assert result.status == "FAILED" and result.error == "VelocitySettingsError"
    assert check.cause and check.cause in (result.cause or "")  # word for word
    assert "Time Zone to America/New_York" in check.cause
    # Nothing shifted was published for boca; pipeline (SOQL) does not depend on the user.
    assert demo.store.week_keys("boca") == []
    assert_week_matches(demo, "pipeline", demo.history("pipeline")[0])


def test_a_run_refuses_saved_reports_whose_weeks_start_on_another_day(demo: Demo) -> None:
    _misconfigure(demo.stack, {"LocaleSidKey": "en_GB"})

    result = demo.run({"asOf": AS_OF}, "monday-weeks")

    assert result.status == "FAILED" and result.error == "VelocitySettingsError"
    assert "has locale en_GB, whose weeks start on Monday" in (result.cause or "")
    assert demo.store.week_keys("boca") == []


def test_the_definitions_are_in_the_summary_and_the_footer(demo: Demo) -> None:
    result = demo.run({"asOf": AS_OF}, "definitions")

    assert result.succeeded, (result.error, result.cause)
    boca = result.output["reports"]["boca"]["definitions"]
    assert any(
        d.startswith("opp_dollars: Sum of Amount by Created Date where "
                     "Opportunity: Lead Source equals Boca")
        for d in boca
    ), boca  # fmt: skip
    assert any(
        "Event: Type equals Meeting AND Event: Subject starts with Meeting Attended" in d
        for d in boca
    ), boca
    page = demo.site_text(f"{PREFIX}boca_velocity_latest.html")
    assert "What each metric counts" in page
    assert "Opportunity: Lead Source equals Boca" in page
    assert result.output["definitionChanges"] == []


def test_a_changed_report_definition_is_flagged(demo: Demo) -> None:
    assert demo.run({"asOf": AS_OF, "backfill": {"startDate": "2025-10-19", "weeks": 2}}, "a")
    report = demo.stack.org.analytics.reports[demo_data.BOCA_REPORT_IDS["opp_dollars"]]
    report.report_filters = [
        *report.report_filters,
        {"column": "Opportunity.Type", "isRunPageEditable": True, "operator": "equals",
         "value": "New Business"},
    ]  # fmt: skip

    result = demo.run({"asOf": "2025-11-06"}, "b")  # rewrites 2025-43 only

    assert result.succeeded, (result.error, result.cause)
    changes = result.output["reports"]["boca"]["definitionChanges"]
    assert [c["metric"] for c in changes] == ["opp_dollars"]
    assert changes[0]["weeks"] == ["2025-41", "2025-42"]
    assert "Opportunity: Type equals New Business" in changes[0]["after"]
    assert "Type equals" not in changes[0]["before"]
    assert result.output["definitionChanges"][0].startswith("boca opp_dollars: was ")
    page = demo.site_text(f"{PREFIX}boca_velocity_latest.html")
    assert "weeks 2025-41, 2025-42 counted an earlier definition" in page


def test_a_week_in_progress_is_labelled_so(demo: Demo) -> None:
    result = demo.run({"asOf": AS_OF, "backfill": {"startDate": AS_OF, "weeks": 1}}, "now")

    assert result.succeeded, (result.error, result.cause)
    assert result.output["reports"]["boca"]["inProgressWeeks"] == ["2025-44"]
    page = demo.site_text(f"{PREFIX}boca_velocity_latest.html")
    assert "This week, in progress" in page and "Last week <b>" not in page
    assert "This wk (so far)" in page
    index = demo.site_text(f"{PREFIX}index.html")
    assert "this week, in progress" in index
