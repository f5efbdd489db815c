"""The velocity settings checks, and how a saved report's definition is put into words."""

from __future__ import annotations

from typing import Any

import pytest

from local import demo_org
from local.salesforce import FakeOrg
from revops.integrations.salesforce import SalesforceGateway
from revops.velocity import definitions, preflight
from revops.velocity.config import ReportSource, load_reports
from revops.velocity.preflight import IntegrationUser, locale_week_start, user_problems
from revops.velocity.weeks import Calendar

NY = Calendar("America/New_York", "sunday")
SOURCE = ReportSource(
    type="report",
    report_id="00O8c000001BocaOPD",
    aggregate="s!Opportunity.Amount",
    date_column="Opportunity.CreatedDate",
)


@pytest.mark.parametrize(
    ("locale", "starts"),
    [
        ("en_US", "sunday"),
        ("en_CA", "sunday"),
        ("ja_JP", "sunday"),
        ("en_GB", "monday"),
        ("de_DE", "monday"),
        ("en_AU", "monday"),
        ("fr", "monday"),
        ("zh_CN_PINYIN", "monday"),
        ("ar_AE", "saturday"),
        ("dv_MV", "friday"),
    ],
)
def test_a_locales_weeks_start_on_its_territorys_first_day(locale: str, starts: str) -> None:
    assert locale_week_start(locale) == starts


def test_a_user_in_the_org_zone_and_a_sunday_locale_has_no_problem() -> None:
    user = IntegrationUser("it@x.test", "005000000000001AAA", "America/New_York", "en_US")

    assert user_problems(user, NY) == []


def test_each_mismatch_is_named_with_its_fix() -> None:
    user = IntegrationUser("it@x.test", "005000000000001AAA", "Asia/Kolkata", "en_IN")
    london = IntegrationUser("it@x.test", "005000000000001AAA", "America/New_York", "en_GB")
    missing = IntegrationUser("it@x.test")

    (zone,) = user_problems(user, NY)  # en_IN weeks start on Sunday too
    (locale,) = user_problems(london, NY)
    (unknown,) = user_problems(missing, NY)

    assert "time zone Asia/Kolkata, not OrgTimeZone America/New_York" in zone
    assert "Fix: in Salesforce Setup > Users, edit it@x.test and set Time Zone to" in zone
    assert "locale en_GB, whose weeks start on Monday" in locale
    assert "e.g. English (United States), en_US" in locale
    assert "or deploy with VelocityWeekStart=monday" in locale
    assert "is not a User this org returns" in unknown
    with pytest.raises(preflight.VelocitySettingsError, match="Asia/Kolkata"):
        preflight.require_user(user, NY)


def _metadata(**changes: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": "Boca $",
        "aggregates": ["s!Opportunity.Amount", "RowCount"],
        "groupingsAcross": [],
        "groupingsDown": [
            {"name": "Opportunity.CreatedDate", "dateGranularity": "Week"},
            {"name": "Opportunity.OwnerId", "dateGranularity": "None"},
        ],
    }
    return metadata | changes


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, None),
        (
            {"groupingsDown": [{"name": "Opportunity.CreatedDate", "dateGranularity": "Day"}]},
            "is grouped by Opportunity.CreatedDate; it must be grouped by week, then by owner",
        ),
        (
            {"groupingsDown": [
                {"name": "Opportunity.CloseDate", "dateGranularity": "Week"},
                {"name": "Opportunity.OwnerId", "dateGranularity": "None"},
            ]},
            "groups weeks of Opportunity.CloseDate, but its configuration counts "
            "Opportunity.CreatedDate",
        ),
        ({"aggregates": ["RowCount"]}, "has no summary 's!Opportunity.Amount'"),
        ({"groupingsAcross": [{"name": "Type"}]}, "has column groupings"),
    ],
)  # fmt: skip
def test_a_reports_grouping_is_checked_against_its_configuration(
    changes: dict[str, Any], problem: str | None
) -> None:
    found = preflight.grouping_problem("opp_dollars", SOURCE, _metadata(**changes))

    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found and "Fix: in Salesforce" in found


def test_the_check_reads_the_user_and_describes_every_saved_report() -> None:
    org = FakeOrg.with_standard_objects()
    org.add_user("It", username="it@x.test", time_zone="America/New_York", locale="en_US")
    owner = org.add_user("Ann")
    org.insert("Opportunity", {"Name": "D", "OwnerId": owner, "StageName": "Prospecting",
                               "CloseDate": "2025-11-01"})  # fmt: skip
    demo_org.load_reports(org)
    gateway = SalesforceGateway(sf=org.client("it@x.test"), username="it@x.test")

    result = preflight.check(gateway, NY, load_reports())

    assert result.healthy, result.problems
    assert [r["metric"] for r in result.reports] == ["meetings", "opp_dollars", "closed_won"]
    assert result.as_dict()["integrationUser"]["weekStart"] == "sunday"


def test_a_report_filter_reads_as_a_sentence_from_the_describe() -> None:
    org = FakeOrg.with_standard_objects()
    org.add_user("It", username="it@x.test")
    demo_org.load_reports(org)
    sf = org.client("it@x.test")
    described = dict(sf.restful("analytics/reports/00O8c000001BocaCWN/describe"))
    source = load_reports()["boca"].metric("closed_won").source
    assert isinstance(source, ReportSource)

    found = definitions.of_report("closed_won", source, described)

    assert found["filters"] == [
        "Opportunity: Lead Source equals Boca",
        "Opportunity: Is Won equals true",
    ]
    assert definitions.sentence(found) == (
        "Sum of Amount by Close Date where Opportunity: Lead Source equals Boca AND "
        "Opportunity: Is Won equals true (saved report Boca - Sourced Closed Won $ by Week)"
    )


def test_a_changed_definition_names_the_weeks_that_counted_the_old_one() -> None:
    old = {"source": "report", "reportId": "r", "filters": ["A equals 1"], "value": "Sum"}
    new = old | {"filters": ["A equals 1", "B equals 2"]}
    renamed = old | {"name": "New name"}

    earlier = [("2025-41", "t1", {"m": old}), ("2025-42", "t2", {"m": old})]
    found = definitions.changes({"m": new}, earlier)

    assert [(c["metric"], c["weeks"]) for c in found] == [("m", ["2025-41", "2025-42"])]
    assert "B equals 2" in found[0]["after"] and "B equals 2" not in found[0]["before"]
    assert definitions.changes({"m": renamed}, earlier) == []  # a new name counts the same
    assert definitions.changes({"m": new}, []) == []  # nothing to compare with
