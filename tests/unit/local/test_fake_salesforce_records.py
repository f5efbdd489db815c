"""FakeOrg describe, single-record REST calls and sObject Collections via simple-salesforce."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from local.salesforce import FakeOrg

NOW = datetime(2025, 11, 12, 14, 0, tzinfo=UTC)


@pytest.fixture
def org() -> FakeOrg:
    org = FakeOrg.with_standard_objects()
    org.clock = NOW
    return org


@pytest.fixture
def sf(org: FakeOrg) -> Salesforce:
    return org.client()


def docs(org: FakeOrg, count: int) -> list[str]:
    return [
        org.insert("DocListEntry__c", {"Name": f"Doc {i}", "Document__c": f"s3://b/{i}"})
        for i in range(count)
    ]


def collection(
    sf: Salesforce, method: str, records: list[dict[str, Any]], all_or_none: bool
) -> list[dict[str, Any]]:
    result = sf.restful(
        "composite/sobjects", method=method, json={"allOrNone": all_or_none, "records": records}
    )
    assert isinstance(result, list)
    return result


def doc_update(record_id: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "DocListEntry__c"}, "id": record_id, **fields}


# ----------------------------------------------------------------- seeding


def test_insert_returns_18_char_ids_with_the_object_key_prefix(org: FakeOrg) -> None:
    account = org.insert("Account", {"Name": "Acme"})
    doc = org.insert("DocListEntry__c", {"Name": "D"})

    assert len(account) == 18 and account.startswith("001")
    assert len(doc) == 18 and doc.startswith("a0")
    assert account != org.insert("Account", {"Name": "Acme"})


def test_insert_fills_system_fields_from_the_clock_unless_given(org: FakeOrg) -> None:
    fresh = org.get("Account", org.insert("Account", {"Name": "New"}))
    seeded = org.get(
        "Account",
        org.insert("Account", {"Name": "Old", "CreatedDate": "2024-01-02T03:04:05.000+0000"}),
    )

    assert fresh["CreatedDate"] == fresh["LastModifiedDate"] == fresh["SystemModstamp"] == NOW
    assert fresh["IsDeleted"] is False and fresh["Industry"] is None
    assert seeded["CreatedDate"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert seeded["LastModifiedDate"] == seeded["CreatedDate"]


def test_update_bumps_last_modified_and_delete_soft_deletes(org: FakeOrg) -> None:
    account = org.insert("Account", {"Name": "Acme"})
    org.advance_clock(timedelta(hours=1))

    org.update("Account", account, {"Industry": "Retail"})
    updated = org.get("Account", account)
    org.delete("Account", account)

    assert updated["Industry"] == "Retail"
    assert updated["LastModifiedDate"] == NOW + timedelta(hours=1)
    assert updated["CreatedDate"] == NOW
    assert org.records("Account") == []
    assert org.records("Account", include_deleted=True)[0]["IsDeleted"] is True


def test_opportunity_closed_and_won_follow_the_stage(org: FakeOrg) -> None:
    opp = org.insert(
        "Opportunity", {"Name": "O", "StageName": "Prospecting", "CloseDate": date(2025, 1, 1)}
    )
    org.update("Opportunity", opp, {"StageName": "Closed Won"})

    record = org.get("Opportunity", opp)

    assert record["IsClosed"] is True and record["IsWon"] is True


def test_seeding_rejects_unknown_fields_and_objects(org: FakeOrg) -> None:
    with pytest.raises(KeyError):
        org.insert("Account", {"Nmae": "typo"})
    with pytest.raises(KeyError):
        org.insert("Widget__c", {"Name": "x"})


def test_declare_custom_object_with_types(org: FakeOrg, sf: Salesforce) -> None:
    org.declare_object(
        "Invoice__c",
        {
            "Total__c": "currency",
            "Paid__c": "boolean",
            "Due__c": "date",
            "Account__c": "reference:Account",
        },
        label="Invoice",
        key_prefix="a7X",
    )
    invoice = org.insert(
        "Invoice__c",
        {"Name": "INV-1", "Total__c": "12.5", "Paid__c": "true", "Due__c": "2025-12-01"},
    )

    record = sf.Invoice__c.get(invoice)

    assert invoice.startswith("a7X")
    assert (record["Total__c"], record["Paid__c"], record["Due__c"]) == (12.5, True, "2025-12-01")
    assert record["CreatedDate"] == "2025-11-12T14:00:00.000+0000"


# ---------------------------------------------------------------- describe


def test_describe_object_lists_fields_with_types_and_relationships(sf: Salesforce) -> None:
    described = sf.DocListEntry__c.describe()

    fields = {f["name"]: f for f in described["fields"]}
    assert described["name"] == "DocListEntry__c" and described["custom"] is True
    assert described["label"] == "Doc List Entry"
    assert {"Id", "Name", "Document__c", "Account__c", "File_Name__c", "File_Size__c", "CreatedDate",
            "LastModifiedDate", "SystemModstamp", "IsDeleted"} <= set(fields)  # fmt: skip
    assert fields["Document__c"]["type"] == "url"
    assert fields["File_Size__c"]["type"] == "double"
    assert fields["Account__c"]["type"] == "reference"
    assert fields["Account__c"]["referenceTo"] == ["Account"]
    assert fields["Account__c"]["relationshipName"] == "Account__r"
    assert fields["Id"]["nillable"] is False and fields["Name"]["nillable"] is True
    assert fields["CreatedDate"]["updateable"] is False


def test_describe_standard_relationship_names(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Event.describe()["fields"]}

    assert fields["OwnerId"]["relationshipName"] == "Owner"
    assert fields["WhatId"]["referenceTo"] == ["Account", "Opportunity"]
    assert fields["WhatId"]["polymorphicForeignKey"] is True
    assert fields["StartDateTime"]["type"] == "datetime"


def test_describe_is_case_insensitive_and_unknown_object_is_404(sf: Salesforce) -> None:
    assert sf.restful("sobjects/opportunity/describe")["name"] == "Opportunity"
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Widget__c.describe()
    assert caught.value.content == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_describe_global_lists_every_object(sf: Salesforce) -> None:
    described = sf.describe()

    by_name = {o["name"]: o for o in described["sobjects"]}
    assert {"User", "Account", "Opportunity", "Event", "Task", "DocListEntry__c"} <= set(by_name)
    assert by_name["Account"]["keyPrefix"] == "001"
    assert (
        by_name["Opportunity"]["urls"]["describe"]
        == "/services/data/v62.0/sobjects/Opportunity/describe"
    )
    assert sf.Account.metadata()["objectDescribe"]["name"] == "Account"


# ------------------------------------------------------------------ records


def test_get_record_returns_every_field_or_the_ones_asked(org: FakeOrg, sf: Salesforce) -> None:
    account = org.insert("Account", {"Name": "Acme", "Industry": "Retail"})

    full = sf.Account.get(account)
    some = sf.Account.get(account, params={"fields": "Name"})

    assert full["attributes"]["type"] == "Account" and full["Id"] == account
    assert full["Industry"] == "Retail" and full["IsDeleted"] is False
    assert list(some) == ["attributes", "Name"]
    assert sf.Account.get(account[:15])["Id"] == account


def test_patch_updates_and_answers_204(org: FakeOrg, sf: Salesforce) -> None:
    doc = docs(org, 1)[0]
    org.advance_clock(timedelta(minutes=5))

    status = sf.DocListEntry__c.update(
        doc, {"Document__c": "https://cdn/x.pdf", "File_Size__c": 10}
    )

    record = org.get("DocListEntry__c", doc)
    assert status == 204
    assert record["Document__c"] == "https://cdn/x.pdf" and record["File_Size__c"] == 10.0
    assert record["LastModifiedDate"] == NOW + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"Bogus__c": 1}, "INVALID_FIELD"),
        ({"CreatedDate": "2020-01-01T00:00:00Z"}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ({"File_Size__c": "big"}, "INVALID_TYPE_ON_FIELD_IN_RECORD"),
        ({"Document__c": "x" * 256}, "STRING_TOO_LONG"),
        ({"Account__c": "006000000000000AAA"}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"Account__c": "0015g000009zzzzAAA"}, "INVALID_CROSS_REFERENCE_KEY"),
    ],
)
def test_patch_validation_errors(
    org: FakeOrg, sf: Salesforce, fields: dict[str, Any], code: str
) -> None:
    doc = docs(org, 1)[0]

    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.DocListEntry__c.update(doc, fields)

    assert caught.value.content[0]["errorCode"] == code
    assert org.get("DocListEntry__c", doc)["Document__c"] == "s3://b/0"


def test_patch_unknown_or_deleted_record(org: FakeOrg, sf: Salesforce) -> None:
    doc = docs(org, 1)[0]
    org.delete("DocListEntry__c", doc)

    with pytest.raises(SalesforceResourceNotFound) as deleted:
        sf.DocListEntry__c.update(doc, {"Name": "x"})
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.DocListEntry__c.get("a005g000009zzzzAAA")

    assert deleted.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    assert missing.value.content[0]["errorCode"] == "NOT_FOUND"


def test_create_and_delete_records(org: FakeOrg, sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Initech", "Industry": "Finance"})

    assert created == {"id": created["id"], "success": True, "errors": []}
    assert org.get("Account", created["id"])["Industry"] == "Finance"
    assert sf.Account.delete(created["id"]) == 204
    assert org.get("Account", created["id"])["IsDeleted"] is True


def test_create_requires_required_fields(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Opportunity.create({"Name": "No stage"})

    assert caught.value.content == [
        {
            "message": "Required fields are missing: [StageName, CloseDate]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["StageName", "CloseDate"],
        }
    ]


def test_locked_record_refuses_a_single_update(org: FakeOrg, sf: Salesforce) -> None:
    doc = docs(org, 1)[0]
    org.lock_records([doc], times=1)

    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.DocListEntry__c.update(doc, {"Name": "x"})

    assert caught.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert sf.DocListEntry__c.update(doc, {"Name": "x"}) == 204


# -------------------------------------------------------------- collections


def test_collection_update_reports_each_record(org: FakeOrg, sf: Salesforce) -> None:
    ids = docs(org, 3)
    org.lock_records([ids[1]])

    results = collection(
        sf,
        "PATCH",
        [doc_update(i, Document__c=f"https://cdn/{n}") for n, i in enumerate(ids)],
        all_or_none=False,
    )

    assert results[0] == {"id": ids[0], "success": True, "errors": []}
    assert results[1] == {
        "id": ids[1],
        "success": False,
        "errors": [
            {
                "statusCode": "UNABLE_TO_LOCK_ROW",
                "message": "unable to obtain exclusive access to this record",
                "fields": [],
            }
        ],
    }
    assert results[2]["success"] is True
    assert [r["Document__c"] for r in org.records("DocListEntry__c")] == [
        "https://cdn/0",
        "s3://b/1",
        "https://cdn/2",
    ]


def test_collection_all_or_none_rolls_everything_back(org: FakeOrg, sf: Salesforce) -> None:
    ids = docs(org, 3)
    org.lock_records([ids[2]])

    results = collection(
        sf, "PATCH", [doc_update(i, Name="changed") for i in ids], all_or_none=True
    )

    assert [r["success"] for r in results] == [False, False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[2]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert {r["Name"] for r in org.records("DocListEntry__c")} == {"Doc 0", "Doc 1", "Doc 2"}


def test_collection_all_or_none_applies_when_all_succeed(org: FakeOrg, sf: Salesforce) -> None:
    ids = docs(org, 2)

    results = collection(
        sf, "PATCH", [doc_update(i, Name="changed") for i in ids], all_or_none=True
    )

    assert all(r["success"] for r in results)
    assert {r["Name"] for r in org.records("DocListEntry__c")} == {"changed"}


def test_lock_with_times_fails_only_that_many_attempts(org: FakeOrg, sf: Salesforce) -> None:
    doc = docs(org, 1)[0]
    org.lock_records([doc], times=2)

    outcomes = [
        collection(sf, "PATCH", [doc_update(doc, Name=f"try {n}")], all_or_none=False)[0]["success"]
        for n in range(3)
    ]

    assert outcomes == [False, False, True]
    assert org.get("DocListEntry__c", doc)["Name"] == "try 2"


def test_collection_per_record_errors(org: FakeOrg, sf: Salesforce) -> None:
    ids = docs(org, 1)

    results = collection(
        sf,
        "PATCH",
        [
            doc_update("not-an-id", Name="x"),
            doc_update(ids[0], Bogus__c=1),
            {"attributes": {"type": "DocListEntry__c"}, "Id": ids[0], "Name": "ok"},
        ],
        all_or_none=False,
    )

    assert results[0]["errors"][0]["statusCode"] == "MALFORMED_ID" and "id" not in results[0]
    assert results[1]["errors"][0] == {
        "statusCode": "INVALID_FIELD",
        "message": "No such column 'Bogus__c' on sobject of type DocListEntry__c",
        "fields": ["Bogus__c"],
    }
    assert results[2] == {"id": ids[0], "success": True, "errors": []}


def test_collection_over_200_records_is_refused(org: FakeOrg, sf: Salesforce) -> None:
    ids = docs(org, 201)

    with pytest.raises(SalesforceMalformedRequest) as caught:
        collection(sf, "PATCH", [doc_update(i, Name="x") for i in ids], all_or_none=False)

    assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert collection(sf, "PATCH", [doc_update(i, Name="x") for i in ids[:200]], all_or_none=False)[
        199
    ]["success"]


def test_collection_records_need_a_type(org: FakeOrg, sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        collection(sf, "PATCH", [{"id": docs(org, 1)[0], "Name": "x"}], all_or_none=False)

    assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_collection_create_and_delete(org: FakeOrg, sf: Salesforce) -> None:
    created = collection(
        sf,
        "POST",
        [
            {"attributes": {"type": "Account"}, "Name": "A"},
            {"attributes": {"type": "Account"}, "Industry": "No name"},
        ],
        all_or_none=False,
    )
    new_id = created[0]["id"]

    deleted = sf.restful(
        "composite/sobjects",
        method="DELETE",
        params={"ids": f"{new_id},001000000000000AAA", "allOrNone": "false"},
    )

    assert (
        created[0]["success"] and created[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    )
    assert [r["Name"] for r in org.records("Account")] == []
    assert deleted is not None and deleted[0] == {"id": new_id, "success": True, "errors": []}
    assert deleted[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"


def test_collection_retrieve_by_ids(org: FakeOrg, sf: Salesforce) -> None:
    ids = docs(org, 2)

    found = sf.restful(
        "composite/sobjects/DocListEntry__c",
        params={"ids": f"{ids[1]},{ids[0][:15]},a005g000009zzzzAAA", "fields": "Name,Document__c"},
    )

    assert found is not None
    assert [r and r["Name"] for r in found] == ["Doc 1", "Doc 0", None]
    assert list(found[0]) == ["attributes", "Name", "Document__c"]


def test_python_query_helper_does_not_count_calls(org: FakeOrg) -> None:
    org.insert("Account", {"Name": "Acme"})

    result = org.query("SELECT Name FROM Account")

    assert result["totalSize"] == 1 and result["records"][0]["Name"] == "Acme"
    assert org.api_usage == 0
