"""Analytics REST API saved reports (weekly by owner) on FakeOrg via simple-salesforce."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from local.salesforce import FakeOrg

NOW = datetime(2025, 11, 12, 14, 0, tzinfo=UTC)
MEETINGS = "00O5g000001MeetAAA"
WON = "00O5g000001WonsAAA"
PIPELINE = "00O5g000001PipeAAA"


@pytest.fixture
def org() -> FakeOrg:
    org = FakeOrg.with_standard_objects()
    org.clock = NOW
    zoe = org.add_user("Zoe Park")
    ann = org.add_user("Ann Lee")
    account = org.insert("Account", {"Name": "Acme", "OwnerId": ann})
    meetings = [
        (ann, date(2025, 11, 2), "Meeting Attended - Acme", "Meeting"),  # Sunday: week of 11/2
        (ann, date(2025, 11, 8), "Meeting Attended - Acme", "Meeting"),  # Saturday: same week
        (zoe, date(2025, 11, 4), "Meeting Attended - Acme", "Meeting"),
        (zoe, date(2025, 11, 10), "Meeting Attended - Acme", "Meeting"),
        (zoe, date(2025, 11, 11), "Meeting Scheduled - Acme", "Meeting"),  # filtered out
        (ann, date(2025, 10, 28), "Call", "Call"),  # filtered out
    ]
    for owner, day, subject, kind in meetings:
        org.insert(
            "Event",
            {
                "OwnerId": owner,
                "ActivityDate": day,
                "Subject": subject,
                "Type": kind,
                "WhatId": account,
            },
        )
    deals = [
        (ann, "2025-11-03T10:00:00.000+0000", 1000, "Closed Won", "Boca"),
        (ann, "2025-11-04T10:00:00.000+0000", 500, "Closed Won", "Boca"),
        (zoe, "2025-11-11T10:00:00.000+0000", 250, "Closed Won", "Boca"),
        (zoe, "2025-11-11T11:00:00.000+0000", 9999, "Closed Won", "Web"),
        (zoe, "2025-11-05T11:00:00.000+0000", 300, "Prospecting", "Boca"),
    ]
    for owner, created, amount, stage, source in deals:
        org.insert(
            "Opportunity",
            {"Name": "Deal", "OwnerId": owner, "Amount": amount, "StageName": stage, "LeadSource": source,
             "CloseDate": created[:10], "CreatedDate": created},
        )  # fmt: skip
    org.add_report(
        MEETINGS,
        "Boca meetings attended",
        sobject="Event",
        date_field="ActivityDate",
        owner_field="OwnerId",
        filters="Type = 'Meeting' AND Subject LIKE 'Meeting Attended%'",
    )
    org.add_report(
        WON,
        "Boca closed won",
        sobject="Opportunity",
        date_field="CreatedDate",
        owner_field="OwnerId",
        aggregate="s!Amount",
        filters="LeadSource = 'Boca' AND IsWon = true",
    )
    org.add_report(
        PIPELINE,
        "Pipeline",
        sobject="Opportunity",
        date_field="CloseDate",
        owner_field="OwnerId",
        aggregate=["RowCount", "s!Opportunity.Amount", "mx!Amount"],
        date_column="CLOSE_DATE",
        owner_column="FULL_NAME",
    )
    return org


@pytest.fixture
def sf(org: FakeOrg) -> Salesforce:
    return org.client()


def run(
    sf: Salesforce, report_id: str, body: dict[str, Any] | None = None, **params: str
) -> dict[str, Any]:
    path = f"analytics/reports/{report_id}"
    if body is None:
        result = sf.restful(path, params=params or None)
    else:
        result = sf.restful(path, method="POST", json=body, params=params or None)
    assert isinstance(result, dict)
    return result


def test_report_groups_by_sunday_week_then_owner(sf: Salesforce, org: FakeOrg) -> None:
    result = run(sf, MEETINGS)

    weeks = result["groupingsDown"]["groupings"]
    assert [(w["key"], w["value"], w["label"]) for w in weeks] == [
        ("0", "2025-11-02", "11/2/2025 - 11/8/2025"),
        ("1", "2025-11-09", "11/9/2025 - 11/15/2025"),
    ]
    users = {r["Name"]: r["Id"] for r in org.records("User")}
    assert [(o["key"], o["label"], o["value"]) for o in weeks[0]["groupings"]] == [
        ("0_0", "Ann Lee", users["Ann Lee"]),
        ("0_1", "Zoe Park", users["Zoe Park"]),
    ]
    assert weeks[1]["groupings"] == [
        {"groupings": [], "key": "1_0", "label": "Zoe Park", "value": users["Zoe Park"]}
    ]


def test_fact_map_counts_rows_per_cell_week_and_total(sf: Salesforce) -> None:
    fact_map = run(sf, MEETINGS)["factMap"]

    counts = {key: cell["aggregates"][0]["value"] for key, cell in fact_map.items()}
    assert counts == {"T!T": 4, "0!T": 3, "0_0!T": 2, "0_1!T": 1, "1!T": 1, "1_0!T": 1}
    assert fact_map["0_0!T"]["aggregates"] == [{"label": "2", "value": 2}]
    assert "rows" not in fact_map["0_0!T"]


def test_sum_report_on_a_datetime_field(sf: Salesforce) -> None:
    result = run(sf, WON)

    fact_map = result["factMap"]
    assert fact_map["T!T"]["aggregates"] == [{"label": "$1,750.00", "value": 1750.0}]
    assert fact_map["0!T"]["aggregates"][0]["value"] == 1500.0
    assert fact_map["1_0!T"]["aggregates"][0]["value"] == 250.0
    assert result["reportMetadata"]["aggregates"] == ["s!Opportunity.Amount"]


def test_report_metadata_shape(sf: Salesforce) -> None:
    result = run(sf, PIPELINE)

    metadata = result["reportMetadata"]
    assert result["attributes"]["type"] == "Report" and result["attributes"]["reportId"] == PIPELINE
    assert result["allData"] is True and result["hasDetailRows"] is False
    assert metadata["id"] == PIPELINE and metadata["name"] == "Pipeline"
    assert metadata["reportFormat"] == "SUMMARY"
    assert metadata["aggregates"] == ["RowCount", "s!Opportunity.Amount", "mx!Opportunity.Amount"]
    assert metadata["groupingsDown"][0]["name"] == "CLOSE_DATE"
    assert metadata["groupingsDown"][0]["dateGranularity"] == "Week"
    assert metadata["groupingsDown"][1]["name"] == "FULL_NAME"
    assert metadata["detailColumns"] == [
        "Opportunity.Name",
        "CLOSE_DATE",
        "FULL_NAME",
        "Opportunity.Amount",
    ]
    assert result["groupingsAcross"] == {"groupings": []}
    assert (
        result["reportExtendedMetadata"]["aggregateColumnInfo"]["s!Opportunity.Amount"]["label"]
        == "Sum of Amount"
    )
    assert [a["value"] for a in result["factMap"]["T!T"]["aggregates"]] == [5, 12049.0, 9999.0]


def test_post_with_custom_standard_date_filter(sf: Salesforce) -> None:
    body = {
        "reportMetadata": {
            "standardDateFilter": {
                "column": "Event.ActivityDate",
                "durationValue": "CUSTOM",
                "startDate": "2025-11-03",
                "endDate": "2025-11-10",
            }
        }
    }

    result = run(sf, MEETINGS, body)

    assert result["factMap"]["T!T"]["aggregates"][0]["value"] == 3
    assert result["reportMetadata"]["standardDateFilter"]["startDate"] == "2025-11-03"


def test_post_with_relative_duration_and_report_filters(sf: Salesforce) -> None:
    body = {
        "reportMetadata": {
            "standardDateFilter": {"column": "CLOSE_DATE", "durationValue": "THIS_WEEK"},
            "reportFilters": [
                {"column": "Opportunity.LeadSource", "operator": "equals", "value": "Boca"}
            ],
        }
    }

    result = run(sf, PIPELINE, body)

    assert [a["value"] for a in result["factMap"]["T!T"]["aggregates"]] == [1, 250.0, 250.0]


@pytest.mark.parametrize(
    ("operator", "value", "count"),
    [
        ("notEqual", "Boca", 1),
        ("greaterThan", "400", 3),
        ("lessOrEqual", "500", 3),
        ("contains", "oc", 4),
        ("startsWith", "W", 1),
        ("equals", "Boca,Web", 5),
    ],
)
def test_report_filter_operators(sf: Salesforce, operator: str, value: str, count: int) -> None:
    column = "Opportunity.Amount" if operator in ("greaterThan", "lessOrEqual") else "LeadSource"
    body = {
        "reportMetadata": {
            "reportFilters": [{"column": column, "operator": operator, "value": value}]
        }
    }

    assert run(sf, PIPELINE, body)["factMap"]["T!T"]["aggregates"][0]["value"] == count


def test_include_details_adds_rows_to_the_cells(org: FakeOrg, sf: Salesforce) -> None:
    ann = next(r["Id"] for r in org.records("User") if r["Name"] == "Ann Lee")

    result = run(sf, MEETINGS, includeDetails="true")

    cell = result["factMap"]["0_0!T"]
    assert result["hasDetailRows"] is True
    assert result["reportMetadata"]["detailColumns"] == [
        "Event.Name",
        "Event.ActivityDate",
        "Event.OwnerId",
    ]
    assert len(cell["rows"]) == 2
    assert cell["rows"][0]["dataCells"] == [
        {"label": "-", "value": None},
        {"label": "11/2/2025", "value": "2025-11-02"},
        {"label": "Ann Lee", "value": ann},
    ]
    assert result["factMap"]["T!T"]["rows"] == []


def test_describe_returns_metadata_without_running(sf: Salesforce) -> None:
    described = sf.restful(f"analytics/reports/{WON}/describe")

    assert described is not None
    assert described["reportMetadata"]["name"] == "Boca closed won"
    assert "factMap" not in described
    assert (
        described["reportExtendedMetadata"]["groupingColumnInfo"]["Opportunity.CreatedDate"][
            "groupingLevel"
        ]
        == 0
    )


def test_report_list(sf: Salesforce) -> None:
    listed = sf.restful("analytics/reports")

    assert listed is not None
    assert {r["id"] for r in listed} == {MEETINGS, WON, PIPELINE}
    assert listed[0]["url"] == f"/services/data/v62.0/analytics/reports/{MEETINGS}"


def test_unknown_report_is_404(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        run(sf, "00O000000000000AAA")

    assert caught.value.content == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_bad_filter_column_is_rejected(sf: Salesforce) -> None:
    body = {
        "reportMetadata": {
            "reportFilters": [{"column": "Nope", "operator": "equals", "value": "x"}]
        }
    }

    with pytest.raises(SalesforceMalformedRequest) as caught:
        run(sf, PIPELINE, body)

    assert caught.value.content[0]["errorCode"] == "BAD_REQUEST"


def test_report_reflects_data_changes(org: FakeOrg, sf: Salesforce) -> None:
    zoe = next(r["Id"] for r in org.records("User") if r["Name"] == "Zoe Park")
    org.insert(
        "Event",
        {
            "OwnerId": zoe,
            "ActivityDate": date(2025, 11, 12),
            "Subject": "Meeting Attended - X",
            "Type": "Meeting",
        },
    )

    assert run(sf, MEETINGS)["factMap"]["1_0!T"]["aggregates"][0]["value"] == 2


def test_add_report_validates_its_definition(org: FakeOrg) -> None:
    with pytest.raises(ValueError, match="not a date"):
        org.add_report("00Ox", "x", sobject="Event", date_field="Subject", owner_field="OwnerId")
    with pytest.raises(ValueError, match="invalid report filters"):
        org.add_report(
            "00Ox",
            "x",
            sobject="Event",
            date_field="ActivityDate",
            owner_field="OwnerId",
            filters="Bogus = 1",
        )
    with pytest.raises(ValueError, match="non-numeric"):
        org.add_report(
            "00Ox",
            "x",
            sobject="Event",
            date_field="ActivityDate",
            owner_field="OwnerId",
            aggregate="s!Subject",
        )
