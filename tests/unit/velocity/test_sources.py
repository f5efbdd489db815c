"""Reading velocity data from the fake org: one grouped query per metric, split when full."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from local.salesforce import FakeOrg
from revops.integrations.salesforce import SalesforceGateway
from revops.velocity.config import ReportSource, SoqlSource
from revops.velocity.sources import (
    GroupLimitError,
    Meter,
    ReportDefinitionError,
    VelocitySource,
    parse_sf_datetime,
)
from revops.velocity.weeks import Calendar, Week

W1 = Week(date(2025, 10, 19))
W2 = Week(date(2025, 10, 26))
REPORT = "00O8c000001TestAAA"

CREATED = SoqlSource(
    type="soql",
    object="Opportunity",
    date_field="CreatedDate",
    date_type="datetime",
    value="SUM(Amount)",
)
CLOSED_COUNT = SoqlSource(
    type="soql", object="Opportunity", date_field="CloseDate", date_type="date", value="count"
)


@pytest.fixture
def org() -> FakeOrg:
    org = FakeOrg.with_standard_objects()
    org.clock = parse_sf_datetime("2025-11-04T14:00:00.000+0000")
    return org


@pytest.fixture
def users(org: FakeOrg) -> dict[str, str]:
    return {
        "ann": org.add_user("Ann Lee"),
        "bob": org.add_user("Bob Ray", active=False),
    }


def source_for(org: FakeOrg, max_rows: int = 2000, week_start: str = "sunday") -> VelocitySource:
    gateway = SalesforceGateway(sf=org.client())
    return VelocitySource(
        Meter(gateway), Calendar("America/New_York", week_start), max_rows=max_rows
    )


def opp(org: FakeOrg, owner: str, created: str, amount: float | None, **more: Any) -> str:
    return org.insert(
        "Opportunity",
        {
            "Name": "Deal",
            "OwnerId": owner,
            "Amount": amount,
            "StageName": more.pop("stage", "Prospecting"),
            "CloseDate": more.pop("close", created[:10]),
            "CreatedDate": created,
            **more,
        },
    )


def test_datetimes_are_grouped_by_org_local_day_not_utc_day(
    org: FakeOrg, users: dict[str, str]
) -> None:
    ann = users["ann"]
    opp(org, ann, "2025-10-26T03:30:00.000+0000", 100)  # Sat 25 Oct 23:30 in New York: W1
    opp(org, ann, "2025-10-27T02:30:00.000+0000", 200)  # Sun 26 Oct 22:30 in New York: W2
    opp(org, ann, "2025-11-02T03:59:00.000+0000", 400)  # Sat 1 Nov 23:59 EDT: still W2
    opp(org, ann, "2025-11-02T04:00:00.000+0000", 800)  # Sun 2 Nov 00:00 EDT: after W2

    series = source_for(org).soql_series("pipeline_created", CREATED, W1, W2)

    assert series.values[ann] == {W1.start: 100.0, W2.start: 600.0}


def test_null_amounts_add_nothing_and_rows_still_count(org: FakeOrg, users: dict[str, str]) -> None:
    ann, bob = users["ann"], users["bob"]
    opp(org, ann, "2025-10-28T15:00:00.000+0000", None, close="2025-10-28")
    opp(org, ann, "2025-10-29T15:00:00.000+0000", 50, close="2025-10-29")
    opp(org, bob, "2025-10-29T15:00:00.000+0000", None, close="2025-10-20")

    source = source_for(org)
    sums = source.soql_series("created", CREATED, W1, W2)
    counts = source.soql_series("closed", CLOSED_COUNT, W1, W2)

    assert sums.values[ann] == {W2.start: 50.0}
    assert sums.values.get(bob, {W2.start: 0.0}) == {W2.start: 0.0}
    assert counts.values[ann] == {W2.start: 2.0}
    assert counts.values[bob] == {W1.start: 1.0}
    assert source.meter.calls == 2  # one query per metric


def _spread(org: FakeOrg, owners: list[str], days: int) -> None:
    for index, owner in enumerate(owners):
        for day in range(days):
            when = date(2025, 10, 19) + timedelta(days=day)
            opp(org, owner, f"{when}T{13 + index % 9:02d}:00:00.000+0000", 10 * (index + 1))


def test_a_full_answer_is_split_in_two_until_every_part_fits(
    org: FakeOrg, users: dict[str, str]
) -> None:
    owners = [users["ann"], users["bob"], org.add_user("Cy Dee")]
    _spread(org, owners, 14)
    whole = source_for(org).soql_series("created", CREATED, W1, W2)

    split = source_for(org, max_rows=5)
    pieces = split.soql_series("created", CREATED, W1, W2)

    assert pieces.values == whole.values
    assert split.meter.calls > 3  # the 14 days were asked again in smaller ranges


def test_more_than_2000_groups_are_split_at_salesforce_s_real_limit(org: FakeOrg) -> None:
    owners = [org.add_user(f"Rep {i:02d}") for i in range(21)]
    for owner in owners:
        for day in range(100):  # 21 owners x 100 days = 2,100 groups
            org.insert(
                "Event",
                {"OwnerId": owner, "ActivityDate": date(2025, 7, 20) + timedelta(days=day)},
            )
    meetings = SoqlSource(type="soql", object="Event", date_field="ActivityDate", date_type="date")
    source = source_for(org)

    series = source.soql_series(
        "meetings", meetings, Week(date(2025, 7, 20)), Week(date(2025, 10, 26))
    )

    assert sum(sum(v.values()) for v in series.values.values()) == 2100
    assert all(sum(v.values()) == 100 for v in series.values.values())
    assert source.meter.calls == 3  # one full answer, then two halves


def test_one_day_with_too_many_groups_is_an_error_naming_the_metric(
    org: FakeOrg, users: dict[str, str]
) -> None:
    opp(org, users["ann"], "2025-10-28T15:00:00.000+0000", 1, close="2025-10-28")
    opp(org, users["bob"], "2025-10-28T15:00:00.000+0000", 1, close="2025-10-28")

    with pytest.raises(GroupLimitError, match=r"'closed'.*2025-10-28"):
        source_for(org, max_rows=2).soql_series("closed", CLOSED_COUNT, W2, W2)


# ---------------------------------------------------------------------- saved reports


def _boca_report(org: FakeOrg) -> ReportSource:
    org.add_report(
        REPORT,
        "Boca closed won",
        sobject="Opportunity",
        date_field="CloseDate",
        owner_field="OwnerId",
        aggregate=["RowCount", "s!Amount"],
        filters="LeadSource = 'Boca'",
    )
    return ReportSource(type="report", report_id=REPORT, aggregate="s!Opportunity.Amount")


def test_a_saved_report_gives_the_same_series_as_soql(org: FakeOrg, users: dict[str, str]) -> None:
    ann, bob = users["ann"], users["bob"]
    for owner, created, close, amount, lead in [
        (ann, "2025-10-01T15:00:00.000+0000", "2025-10-20", 100, "Boca"),
        (ann, "2025-10-01T15:00:00.000+0000", "2025-10-27", 200, "Boca"),
        (bob, "2025-10-01T15:00:00.000+0000", "2025-10-27", 400, "Boca"),
        (bob, "2025-10-01T15:00:00.000+0000", "2025-10-28", None, "Boca"),
        (bob, "2025-10-01T15:00:00.000+0000", "2025-10-28", 999, "Web"),
        (ann, "2025-10-01T15:00:00.000+0000", "2025-11-03", 800, "Boca"),  # after W2
    ]:
        opp(org, owner, created, amount, close=close, LeadSource=lead)
    source = source_for(org)

    series = source.report_series("closed_won", _boca_report(org), W1, W2)
    soql = source.soql_series(
        "closed_won",
        SoqlSource(
            type="soql",
            object="Opportunity",
            date_field="CloseDate",
            date_type="date",
            value="SUM(Amount)",
            filters="LeadSource = 'Boca'",
        ),
        W1,
        W2,
    )

    assert (
        series.values
        == soql.values
        == {ann: {W1.start: 100.0, W2.start: 200.0}, bob: {W2.start: 400.0}}
    )
    assert series.names == {ann: "Ann Lee", bob: "Bob Ray"}


def test_a_report_over_the_row_limit_is_run_again_by_halves(
    org: FakeOrg, users: dict[str, str]
) -> None:
    for week in range(4):
        for owner in users.values():
            opp(
                org,
                owner,
                "2025-09-01T15:00:00.000+0000",
                10,
                close=f"2025-10-{6 + 7 * week:02d}",
                LeadSource="Boca",
            )
    whole = source_for(org).report_series("x", _boca_report(org), Week(date(2025, 10, 5)), W2)

    split = source_for(org, max_rows=3)
    pieces = split.report_series("x", _boca_report(org), Week(date(2025, 10, 5)), W2)

    assert pieces.values == whole.values
    assert split.meter.calls >= 4


def test_a_missing_saved_report_is_an_error_naming_it(org: FakeOrg) -> None:
    missing = ReportSource(type="report", report_id="00O000000000000AAA")

    with pytest.raises(
        ReportDefinitionError, match=r"'meetings'.*00O000000000000AAA.*does not exist"
    ):
        source_for(org).report_series("meetings", missing, W1, W2)


def test_a_report_not_grouped_by_week_then_owner_is_an_error_naming_it(
    org: FakeOrg, users: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _boca_report(org)
    opp(org, users["ann"], "2025-10-01T15:00:00.000+0000", 5, close="2025-10-27", LeadSource="Boca")
    original = org.analytics.metadata

    def by_month(*args: Any, **kwargs: Any) -> dict[str, Any]:
        metadata = original(*args, **kwargs)
        metadata["groupingsDown"][0]["dateGranularity"] = "Month"
        return metadata

    monkeypatch.setattr(org.analytics, "metadata", by_month)

    with pytest.raises(ReportDefinitionError, match=rf"{REPORT} \(Boca closed won\).*week first"):
        source_for(org).report_series("closed_won", source, W1, W2)


def test_a_report_with_one_grouping_is_an_error(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _boca_report(org)
    original = org.analytics.metadata

    def owner_only(*args: Any, **kwargs: Any) -> dict[str, Any]:
        metadata = original(*args, **kwargs)
        metadata["groupingsDown"] = metadata["groupingsDown"][1:]
        return metadata

    monkeypatch.setattr(org.analytics, "metadata", owner_only)

    with pytest.raises(ReportDefinitionError, match=r"grouped by Opportunity.OwnerId; it must"):
        source_for(org).report_series("closed_won", source, W1, W2)


def test_a_report_missing_the_wanted_summary_is_an_error(org: FakeOrg) -> None:
    source = _boca_report(org).model_copy(update={"aggregate": "s!Opportunity.ExpectedRevenue"})

    with pytest.raises(ReportDefinitionError, match=r"no summary 's!Opportunity.ExpectedRevenue'"):
        source_for(org).report_series("closed_won", source, W1, W2)


def test_report_weeks_must_start_on_the_calendar_s_week_start(
    org: FakeOrg, users: dict[str, str]
) -> None:
    opp(org, users["ann"], "2025-10-01T15:00:00.000+0000", 5, close="2025-10-28", LeadSource="Boca")
    monday = source_for(org, week_start="monday")

    with pytest.raises(ReportDefinitionError, match=r"starting on a Sunday.*Monday"):
        monday.report_series(
            "closed_won", _boca_report(org), Week(date(2025, 10, 20)), Week(date(2025, 10, 27))
        )


def test_the_report_date_column_is_described_when_not_configured(
    org: FakeOrg, users: dict[str, str]
) -> None:
    opp(org, users["ann"], "2025-10-01T15:00:00.000+0000", 5, close="2025-10-28", LeadSource="Boca")
    source = source_for(org)

    series = source.report_series("closed_won", _boca_report(org), W1, W2)

    assert series.values == {users["ann"]: {W2.start: 5.0}}
    assert source.meter.calls == 2  # describe, then run


# ---------------------------------------------------------------------- users and facts


def test_users_gives_names_and_active_flags_and_omits_unknown_ids(
    org: FakeOrg, users: dict[str, str]
) -> None:
    found = source_for(org).users([users["ann"], users["bob"], "005000000000099AAA", "not-an-id"])

    assert {i: (u.name, u.active) for i, u in found.items()} == {
        users["ann"]: ("Ann Lee", True),
        users["bob"]: ("Bob Ray", False),
    }


def test_the_integration_users_settings_are_read_by_its_username(org: FakeOrg) -> None:
    org.add_user(
        "Integration", username="it@example.test", time_zone="Europe/Berlin", locale="de_DE"
    )
    source = VelocitySource(
        Meter(SalesforceGateway(sf=org.client("it@example.test"), username="it@example.test")),
        Calendar("America/New_York"),
    )

    runner = source.integration_user()

    assert (runner.time_zone, runner.locale) == ("Europe/Berlin", "de_DE")
    assert source.meter.calls == 1


def test_opportunity_facts_page_through_every_record(org: FakeOrg, users: dict[str, str]) -> None:
    for i in range(2500):
        opp(org, users["ann"], "2025-10-01T15:00:00.000+0000", i, close="2025-12-01")
    source = source_for(org)

    facts = source.opportunity_facts(
        None, parse_sf_datetime("2025-11-02T04:00:00Z"), date(2025, 8, 1)
    )

    assert len(facts) == 2500
    assert source.meter.calls == 2  # two pages of 2,000
    assert facts[0].created == parse_sf_datetime("2025-10-01T15:00:00.000+0000")
