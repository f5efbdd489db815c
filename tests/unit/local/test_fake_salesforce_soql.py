"""SOQL through simple-salesforce's `query` / `query_all` against FakeOrg."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from local.salesforce import FakeOrg

# A Wednesday. This week is Sun 2025-11-09 .. Sat 11-15; last week 11-02 .. 11-08.
NOW = datetime(2025, 11, 12, 14, 0, tzinfo=UTC)


@pytest.fixture
def org() -> FakeOrg:
    org = FakeOrg.with_standard_objects()
    org.clock = NOW
    ann = org.add_user("Ann Lee", "ann@example.com")
    bob = org.add_user("Bob Diaz", "bob@example.com")
    acme = org.insert("Account", {"Name": "Acme", "OwnerId": ann, "Industry": "Technology"})
    globex = org.insert("Account", {"Name": "Globex", "OwnerId": bob, "Industry": "Retail"})
    opportunities: list[dict[str, Any]] = [
        {"Name": "Acme Platform", "AccountId": acme, "OwnerId": ann, "Amount": 1000, "StageName": "Closed Won",
         "CloseDate": "2025-11-03", "LeadSource": "Boca", "CreatedDate": "2025-11-03T09:00:00.000+0000"},
        {"Name": "Acme Pilot", "AccountId": acme, "OwnerId": ann, "Amount": 250.5, "StageName": "Prospecting",
         "CloseDate": "2025-11-10", "LeadSource": "Web", "CreatedDate": "2025-11-10T23:30:00.000+0000"},
        {"Name": "Globex Renewal", "AccountId": globex, "OwnerId": bob, "Amount": 4000, "StageName": "Closed Won",
         "CloseDate": "2025-10-01", "LeadSource": "Boca", "CreatedDate": "2025-09-30T12:00:00.000+0000"},
        {"Name": "Globex_Addon", "AccountId": globex, "OwnerId": bob, "Amount": None, "StageName": "Closed Lost",
         "CloseDate": "2025-08-15", "LeadSource": None, "CreatedDate": "2025-08-01T00:00:00.000+0000"},
        {"Name": "Orphan deal", "AccountId": None, "OwnerId": bob, "Amount": 75, "StageName": "Qualification",
         "CloseDate": "2025-11-12", "LeadSource": "Web", "CreatedDate": "2025-11-12T08:00:00.000+0000"},
    ]  # fmt: skip
    for opp in opportunities:
        org.insert("Opportunity", opp)
    return org


@pytest.fixture
def sf(org: FakeOrg) -> Salesforce:
    return org.client()


def names(sf: Salesforce, where: str, order: str = "ORDER BY Name") -> list[str]:
    result = sf.query(f"SELECT Name FROM Opportunity WHERE {where} {order}")
    return [r["Name"] for r in result["records"]]


def error_of(sf: Salesforce, soql: str) -> dict[str, Any]:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    content = caught.value.content
    assert isinstance(content, list) and len(content) == 1
    return dict(content[0])


# ------------------------------------------------------------------ shapes


def test_records_carry_attributes_and_selected_fields_only(sf: Salesforce) -> None:
    result = sf.query("SELECT Id, Name, Amount FROM Opportunity WHERE Name = 'Acme Platform'")

    record = result["records"][0]
    assert result["totalSize"] == 1 and result["done"] is True
    assert "nextRecordsUrl" not in result
    assert list(record) == ["attributes", "Id", "Name", "Amount"]
    assert record["attributes"] == {
        "type": "Opportunity",
        "url": f"/services/data/v62.0/sobjects/Opportunity/{record['Id']}",
    }
    assert len(record["Id"]) == 18 and record["Id"].startswith("006")
    assert record["Amount"] == 1000.0


def test_relationship_fields_are_nested_with_attributes(sf: Salesforce) -> None:
    result = sf.query(
        "SELECT Name, Account.Name, Account.Owner.Name, Owner.Email FROM Opportunity ORDER BY Name"
    )

    acme = result["records"][0]
    assert acme["Account"]["attributes"]["type"] == "Account"
    assert acme["Account"]["Name"] == "Acme"
    assert acme["Account"]["Owner"]["Name"] == "Ann Lee"
    assert acme["Owner"] == {
        "attributes": {"type": "User", "url": acme["Owner"]["attributes"]["url"]},
        "Email": "ann@example.com",
    }
    orphan = next(r for r in result["records"] if r["Name"] == "Orphan deal")
    assert orphan["Account"] is None


def test_custom_relationship_paths_use_r_suffix(org: FakeOrg, sf: Salesforce) -> None:
    account = org.records("Account")[0]["Id"]
    org.insert("DocListEntry__c", {"Name": "D1", "Account__c": account, "Document__c": "s3://b/k"})

    record = sf.query("SELECT Name, Account__r.Name, Account__r.Owner.Name FROM DocListEntry__c")[
        "records"
    ][0]

    assert record["Account__r"]["Name"] == "Acme"
    assert record["Account__r"]["Owner"]["Name"] == "Ann Lee"


def test_names_are_case_insensitive_and_come_back_canonical(sf: Salesforce) -> None:
    record = sf.query("select name, account.NAME from OPPORTUNITY where NAME = 'acme platform'")[
        "records"
    ][0]

    assert record["Name"] == "Acme Platform"
    assert record["Account"]["Name"] == "Acme"


def test_polymorphic_what_id_resolves_by_key_prefix(org: FakeOrg, sf: Salesforce) -> None:
    account = org.records("Account")[0]["Id"]
    org.insert(
        "Event",
        {
            "Subject": "Meeting Attended - Acme",
            "WhatId": account,
            "ActivityDate": date(2025, 11, 4),
        },
    )

    record = sf.query("SELECT Subject, What.Name FROM Event")["records"][0]

    assert record["What"]["attributes"]["type"] == "Account"
    assert record["What"]["Name"] == "Acme"


# --------------------------------------------------------------- operators


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Amount = 1000", ["Acme Platform"]),
        ("Amount != 1000", ["Acme Pilot", "Globex Renewal", "Globex_Addon", "Orphan deal"]),
        ("Amount < 250.5", ["Orphan deal"]),
        ("Amount <= 250.5", ["Acme Pilot", "Orphan deal"]),
        ("Amount > 1000", ["Globex Renewal"]),
        ("Amount >= 1000", ["Acme Platform", "Globex Renewal"]),
        ("Amount = null", ["Globex_Addon"]),
        ("Amount != null AND Amount < 300", ["Acme Pilot", "Orphan deal"]),
        (
            "StageName IN ('Closed Won', 'closed lost')",
            ["Acme Platform", "Globex Renewal", "Globex_Addon"],
        ),
        ("LeadSource NOT IN ('Boca')", ["Acme Pilot", "Globex_Addon", "Orphan deal"]),
        ("LeadSource IN ('Boca', null)", ["Acme Platform", "Globex Renewal", "Globex_Addon"]),
        ("Name LIKE 'acme%'", ["Acme Pilot", "Acme Platform"]),
        ("Name LIKE '%_addon'", ["Globex_Addon"]),
        ("Name LIKE 'Acme P_lot'", ["Acme Pilot"]),
        ("Name LIKE 'Globex\\_%'", ["Globex_Addon"]),
        ("IsWon = true", ["Acme Platform", "Globex Renewal"]),
        ("IsClosed = false", ["Acme Pilot", "Orphan deal"]),
        ("NOT Name LIKE 'Acme%'", ["Globex Renewal", "Globex_Addon", "Orphan deal"]),
        (
            "(LeadSource = 'Web' OR Amount > 3000) AND IsClosed = false",
            ["Acme Pilot", "Orphan deal"],
        ),
        (
            "LeadSource = 'Web' OR (Amount > 3000 AND IsWon = true)",
            ["Acme Pilot", "Globex Renewal", "Orphan deal"],
        ),
        (
            "NOT (StageName = 'Closed Won' OR StageName = 'Closed Lost')",
            ["Acme Pilot", "Orphan deal"],
        ),
        ("Account.Name = 'Globex'", ["Globex Renewal", "Globex_Addon"]),
        ("Account.Industry != 'Retail'", ["Acme Pilot", "Acme Platform", "Orphan deal"]),
        ("Owner.Name LIKE 'bob%' AND AccountId = null", ["Orphan deal"]),
        ("LeadSource = ''", ["Globex_Addon"]),
    ],
)
def test_where_operators(sf: Salesforce, where: str, expected: list[str]) -> None:
    assert names(sf, where) == expected


def test_id_filters_accept_15_and_18_character_ids(org: FakeOrg, sf: Salesforce) -> None:
    account = org.records("Account")[0]["Id"]

    by_18 = names(sf, f"AccountId = '{account}'")
    by_15 = names(sf, f"AccountId IN ('{account[:15]}')")

    assert by_18 == by_15 == ["Acme Pilot", "Acme Platform"]


def test_semi_join_sub_select(sf: Salesforce) -> None:
    result = sf.query(
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity WHERE Amount > 3000)"
    )

    assert [r["Name"] for r in result["records"]] == ["Globex"]


# ------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CloseDate = 2025-11-03", ["Acme Platform"]),
        ("CloseDate >= 2025-11-01 AND CloseDate < 2025-11-11", ["Acme Platform", "Acme Pilot"]),
        ("CreatedDate >= 2025-11-10T00:00:00Z", ["Acme Pilot", "Orphan deal"]),
        ("CreatedDate > 2025-11-10T23:30:00.000+0000", ["Orphan deal"]),
        ("CreatedDate < 2025-11-03T10:00:00+01:00", ["Globex Renewal", "Globex_Addon"]),
        ("CloseDate = TODAY", ["Orphan deal"]),
        ("CloseDate = YESTERDAY", []),
        ("CloseDate = THIS_WEEK", ["Acme Pilot", "Orphan deal"]),
        ("CloseDate = LAST_WEEK", ["Acme Platform"]),
        ("CloseDate < THIS_WEEK", ["Acme Platform", "Globex Renewal", "Globex_Addon"]),
        ("CloseDate > LAST_WEEK", ["Acme Pilot", "Orphan deal"]),
        ("CloseDate = LAST_N_WEEKS:6", ["Acme Platform", "Globex Renewal"]),
        ("CloseDate = LAST_N_DAYS:2", ["Acme Pilot", "Orphan deal"]),
        ("CloseDate = LAST_N_DAYS:9", ["Acme Platform", "Acme Pilot", "Orphan deal"]),
        ("CloseDate = THIS_MONTH", ["Acme Platform", "Acme Pilot", "Orphan deal"]),
        ("CloseDate = LAST_MONTH", ["Globex Renewal"]),
        ("CloseDate = N_WEEKS_AGO:1", ["Acme Platform"]),
        ("CloseDate = THIS_YEAR AND CloseDate < LAST_N_MONTHS:1", ["Globex_Addon"]),
        # dateTime fields compare by their UTC day
        ("CreatedDate = LAST_WEEK", ["Acme Platform"]),
        ("CreatedDate = THIS_WEEK", ["Acme Pilot", "Orphan deal"]),
        ("CreatedDate = LAST_N_WEEKS:7", ["Acme Platform", "Globex Renewal"]),
        ("CreatedDate = TODAY", ["Orphan deal"]),
        ("CreatedDate >= LAST_N_DAYS:2", ["Acme Pilot", "Orphan deal"]),
    ],
)
def test_date_values_and_literals(sf: Salesforce, where: str, expected: list[str]) -> None:
    assert names(sf, where) == sorted(expected)


def test_date_literals_follow_the_org_clock(org: FakeOrg, sf: Salesforce) -> None:
    org.clock = datetime(2025, 11, 17, 9, 0, tzinfo=UTC)  # the next Monday

    assert names(sf, "CloseDate = LAST_WEEK") == ["Acme Pilot", "Orphan deal"]


@pytest.mark.parametrize(
    ("where", "kind"),
    [
        ("CloseDate = '2025-11-03'", "date and should not be enclosed in quotes"),
        ("CloseDate = 2025-11-03T00:00:00Z", "date and should not be enclosed in quotes"),
        ("CreatedDate > 2025-11-03", "dateTime and should not be enclosed in quotes"),
        ("Amount > '5'", "currency and should not be enclosed in quotes"),
        ("Name = 5", "string and should be enclosed in quotes"),
        ("IsWon = 'true'", "boolean and should not be enclosed in quotes"),
    ],
)
def test_filter_values_of_the_wrong_type_are_rejected(
    sf: Salesforce, where: str, kind: str
) -> None:
    error = error_of(sf, f"SELECT Id FROM Opportunity WHERE {where}")

    assert error["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    assert error["message"].endswith(f"must be of type {kind}")


def test_malformed_id_filter_is_rejected(sf: Salesforce) -> None:
    error = error_of(sf, "SELECT Id FROM Opportunity WHERE AccountId = 'nope'")

    assert error == {"message": error["message"], "errorCode": "INVALID_QUERY_FILTER_OPERATOR"}
    assert error["message"].endswith("invalid ID field: nope")


# -------------------------------------------------------- order, limit, offset


def test_order_by_multiple_keys_with_null_placement(sf: Salesforce) -> None:
    asc = names(sf, "Name != null", order="ORDER BY LeadSource, Amount DESC")
    nulls_last = names(sf, "Name != null", order="ORDER BY LeadSource ASC NULLS LAST, Name DESC")
    desc = names(sf, "Name != null", order="ORDER BY Amount DESC")
    desc_nulls_first = names(sf, "Name != null", order="ORDER BY Amount DESC NULLS FIRST")

    assert asc == ["Globex_Addon", "Globex Renewal", "Acme Platform", "Acme Pilot", "Orphan deal"]
    assert nulls_last == [
        "Globex Renewal",
        "Acme Platform",
        "Orphan deal",
        "Acme Pilot",
        "Globex_Addon",
    ]
    assert desc[-1] == "Globex_Addon" and desc[0] == "Globex Renewal"
    assert desc_nulls_first[0] == "Globex_Addon"


def test_order_by_relationship_field_and_text_case_insensitively(sf: Salesforce) -> None:
    ordered = names(sf, "AccountId != null", order="ORDER BY Account.Name DESC, Name")

    assert ordered == ["Globex Renewal", "Globex_Addon", "Acme Pilot", "Acme Platform"]


def test_limit_and_offset(sf: Salesforce) -> None:
    result = sf.query("SELECT Name FROM Opportunity ORDER BY Amount LIMIT 2 OFFSET 1")

    assert [r["Name"] for r in result["records"]] == ["Orphan deal", "Acme Pilot"]
    assert result["totalSize"] == 2


def test_offset_above_2000_is_refused(sf: Salesforce) -> None:
    error = error_of(sf, "SELECT Id FROM Opportunity LIMIT 10 OFFSET 2001")

    assert error["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"


# -------------------------------------------------------------- aggregates


def test_count_alone_returns_only_total_size(sf: Salesforce) -> None:
    result = sf.query("SELECT COUNT() FROM Opportunity WHERE IsClosed = true")

    assert result == {"totalSize": 3, "done": True, "records": []}


def test_group_by_with_unaliased_and_aliased_aggregates(sf: Salesforce) -> None:
    result = sf.query(
        "SELECT StageName, COUNT(Id), SUM(Amount) total, AVG(Amount), MIN(CloseDate), MAX(Amount), "
        "COUNT(LeadSource) FROM Opportunity GROUP BY StageName ORDER BY StageName"
    )

    rows = result["records"]
    assert [r["StageName"] for r in rows] == [
        "Closed Lost",
        "Closed Won",
        "Prospecting",
        "Qualification",
    ]
    won = rows[1]
    assert won == {
        "attributes": {"type": "AggregateResult"},
        "StageName": "Closed Won",
        "expr0": 2,
        "total": 5000.0,
        "expr1": 2500.0,
        "expr2": "2025-10-01",
        "expr3": 4000.0,
        "expr4": 2,
    }
    lost = rows[0]
    assert lost["total"] is None and lost["expr0"] == 1 and lost["expr4"] == 0


def test_aggregate_without_group_by_is_one_row(sf: Salesforce) -> None:
    row = sf.query("SELECT COUNT(Id) n, SUM(Amount) FROM Opportunity WHERE Amount > 100")[
        "records"
    ][0]

    assert row == {"attributes": {"type": "AggregateResult"}, "n": 3, "expr0": 5250.5}


def test_group_by_relationship_field_and_having(sf: Salesforce) -> None:
    result = sf.query(
        "SELECT Owner.Name, COUNT(Id) deals FROM Opportunity GROUP BY Owner.Name "
        "HAVING COUNT(Id) > 2 ORDER BY COUNT(Id) DESC"
    )

    assert result["records"] == [
        {"attributes": {"type": "AggregateResult"}, "Name": "Bob Diaz", "deals": 3}
    ]


def test_group_by_date_functions(sf: Salesforce) -> None:
    result = sf.query(
        "SELECT CALENDAR_YEAR(CloseDate), WEEK_IN_YEAR(CloseDate) week, DAY_ONLY(CreatedDate) day, COUNT(Id) "
        "FROM Opportunity WHERE CloseDate >= 2025-11-01 "
        "GROUP BY CALENDAR_YEAR(CloseDate), WEEK_IN_YEAR(CloseDate), DAY_ONLY(CreatedDate) "
        "ORDER BY DAY_ONLY(CreatedDate)"
    )

    rows = [{k: v for k, v in r.items() if k != "attributes"} for r in result["records"]]
    assert rows == [
        {"expr0": 2025, "week": 44, "day": "2025-11-03", "expr1": 1},
        {"expr0": 2025, "week": 45, "day": "2025-11-10", "expr1": 1},
        {"expr0": 2025, "week": 46, "day": "2025-11-12", "expr1": 1},
    ]


def test_date_function_in_where(sf: Salesforce) -> None:
    assert names(sf, "CALENDAR_MONTH(CloseDate) = 10") == ["Globex Renewal"]
    assert names(sf, "DAY_ONLY(CreatedDate) = 2025-11-10") == ["Acme Pilot"]


def test_ungrouped_field_in_aggregate_query_is_rejected(sf: Salesforce) -> None:
    error = error_of(sf, "SELECT Name, COUNT(Id) FROM Opportunity GROUP BY StageName")

    assert error["errorCode"] == "MALFORMED_QUERY"
    assert error["message"].endswith("Field must be grouped or aggregated: Name")


def test_sum_of_text_field_is_rejected(sf: Salesforce) -> None:
    error = error_of(sf, "SELECT SUM(Name) FROM Opportunity")

    assert error["errorCode"] == "MALFORMED_QUERY"


# ------------------------------------------------------------------ errors


def test_mixed_and_or_without_parentheses_is_malformed(sf: Salesforce) -> None:
    soql = "SELECT Id FROM Opportunity WHERE Amount > 1 AND IsWon = true OR Name = 'x'"

    error = error_of(sf, soql)

    assert error["errorCode"] == "MALFORMED_QUERY"
    assert error["message"] == (
        f"\n{soql}\n"
        + " " * soql.index(" OR ")
        + " ^\nERROR at Row:1:Column:62\nunexpected token: 'OR'"
    )


def test_unknown_field_is_invalid_field_with_salesforce_message(sf: Salesforce) -> None:
    error = error_of(sf, "SELECT Id, Foo__c FROM Account")

    assert error["errorCode"] == "INVALID_FIELD"
    assert error["message"] == (
        "\nSELECT Id, Foo__c FROM Account\n           ^\nERROR at Row:1:Column:12\n"
        "No such column 'Foo__c' on entity 'Account'. If you are attempting to use a custom field, "
        "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


def test_unknown_relationship_and_field_behind_it(sf: Salesforce) -> None:
    relationship = error_of(sf, "SELECT Account__r.Name FROM Opportunity")
    behind = error_of(sf, "SELECT Account.Nope FROM Opportunity")

    assert relationship["errorCode"] == "INVALID_FIELD"
    assert "Didn't understand relationship 'Account__r' in field path" in relationship["message"]
    assert behind["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Nope' on entity 'Account'" in behind["message"]


def test_unknown_field_in_where_and_order_by(sf: Salesforce) -> None:
    assert error_of(sf, "SELECT Id FROM Account WHERE Bogus = 1")["errorCode"] == "INVALID_FIELD"
    assert error_of(sf, "SELECT Id FROM Account ORDER BY Bogus")["errorCode"] == "INVALID_FIELD"


def test_unknown_object_is_invalid_type(sf: Salesforce) -> None:
    error = error_of(sf, "SELECT Id FROM Widget__c")

    assert error["errorCode"] == "INVALID_TYPE"
    assert "sObject type 'Widget__c' is not supported" in error["message"]


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT FROM Account",
        "SELECT Id Account",
        "SELECT Id FROM Account WHERE",
        "SELECT Id FROM Account WHERE Name = Foo",
        "SELECT Id FROM Account WHERE Name = 'unterminated",
        "SELECT Id FROM Account LIMIT x",
        "SELECT Id FROM Account WHERE (Name = 'a'",
        "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS",
        "SELECT Id FROM Account extra tokens",
    ],
)
def test_syntax_errors_are_malformed_query(sf: Salesforce, soql: str) -> None:
    assert error_of(sf, soql)["errorCode"] == "MALFORMED_QUERY"


def test_parent_child_sub_select_is_not_understood(sf: Salesforce) -> None:
    error = error_of(sf, "SELECT Name, (SELECT Id FROM Opportunities) FROM Account")

    assert error["errorCode"] == "INVALID_TYPE"
    assert "Didn't understand relationship 'Opportunities'" in error["message"]


def test_fields_all_needs_a_small_limit(sf: Salesforce) -> None:
    record = sf.query("SELECT FIELDS(ALL) FROM Account LIMIT 1")["records"][0]

    assert {"Id", "Name", "OwnerId", "Industry", "CreatedDate", "IsDeleted"} <= set(record)
    assert error_of(sf, "SELECT FIELDS(ALL) FROM Account")["errorCode"] == "MALFORMED_QUERY"


# ------------------------------------------------------------------ paging


def test_query_pages_of_2000_and_query_all_reads_every_page(org: FakeOrg, sf: Salesforce) -> None:
    for i in range(4500):
        org.insert("DocListEntry__c", {"Name": f"Doc {i:05d}", "File_Size__c": i})

    first = sf.query("SELECT Name FROM DocListEntry__c ORDER BY Name")
    assert first["totalSize"] == 4500 and first["done"] is False and len(first["records"]) == 2000
    locator = first["nextRecordsUrl"]
    assert locator.startswith("/services/data/v62.0/query/01g") and locator.endswith("-2000")

    second = sf.query_more(locator, identifier_is_url=True)
    assert second["records"][0]["Name"] == "Doc 02000"
    assert second["nextRecordsUrl"].endswith("-4000")
    last = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)
    assert last["done"] is True and len(last["records"]) == 500 and "nextRecordsUrl" not in last

    everything = sf.query_all("SELECT Name FROM DocListEntry__c ORDER BY Name")
    assert [r["Name"] for r in everything["records"]] == [f"Doc {i:05d}" for i in range(4500)]


def test_batch_size_header_sets_the_page_size(org: FakeOrg, sf: Salesforce) -> None:
    for i in range(450):
        org.insert("DocListEntry__c", {"Name": f"Doc {i}"})

    page = sf.query(
        "SELECT Id FROM DocListEntry__c", headers={"Sforce-Query-Options": "batchSize=200"}
    )

    assert len(page["records"]) == 200 and page["nextRecordsUrl"].endswith("-200")


def test_unknown_locator_is_rejected(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more("01g000000000000AAA-2000")

    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_query_all_includes_deleted_records(org: FakeOrg, sf: Salesforce) -> None:
    orphan = next(r for r in org.records("Opportunity") if r["Name"] == "Orphan deal")
    org.delete("Opportunity", orphan["Id"])

    live = sf.query("SELECT Name FROM Opportunity WHERE Name = 'Orphan deal'")
    every = sf.query_all(
        "SELECT Name, IsDeleted FROM Opportunity WHERE Name = 'Orphan deal'", include_deleted=True
    )

    assert live["totalSize"] == 0
    assert every["records"][0]["IsDeleted"] is True


def test_missing_query_string_is_malformed(org: FakeOrg, sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("query/")

    assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"
