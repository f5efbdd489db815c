"""Bulk API 2.0 ingest and query jobs via simple-salesforce's `sf.bulk2` and raw calls."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceOperationError,
)

from local.salesforce import FakeOrg


@pytest.fixture
def org() -> FakeOrg:
    org = FakeOrg.with_standard_objects()
    account = org.insert("Account", {"Name": "Acme"})
    for i in range(25):
        org.insert(
            "DocListEntry__c",
            {
                "Name": f"Doc {i:02d}",
                "Document__c": f"s3://bucket/{i}",
                "Account__c": account,
                "File_Size__c": i,
            },
        )
    return org


@pytest.fixture
def sf(org: FakeOrg) -> Salesforce:
    return org.client()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


class Raw:
    """Direct Bulk API 2.0 calls with a bearer token."""

    def __init__(self, org: FakeOrg) -> None:
        self.base = f"{org.instance_url}/services/data/v62.0/jobs"
        self.session = org.session()
        self.session.headers["Authorization"] = f"Bearer {org.issue_token()}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base}/{path}", **kwargs)


# ------------------------------------------------------------------ ingest


def test_bulk_update_applies_rows_and_reports_locked_ones(org: FakeOrg, sf: Salesforce) -> None:
    docs = org.records("DocListEntry__c")
    org.lock_records([docs[3]["Id"]])
    updates = [{"Id": d["Id"], "Document__c": f"https://cdn/{d['Name']}.pdf"} for d in docs[:10]]

    result = sf.bulk2.DocListEntry__c.update(records=updates, wait=0)

    assert result[0]["numberRecordsProcessed"] == 10
    assert result[0]["numberRecordsFailed"] == 1
    job_id = result[0]["job_id"]
    failed = rows(sf.bulk2.DocListEntry__c.get_failed_records(job_id))
    assert failed == [
        {
            "sf__Id": docs[3]["Id"],
            "sf__Error": "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--",
            "Id": docs[3]["Id"],
            "Document__c": "https://cdn/Doc 03.pdf",
        }
    ]
    succeeded = rows(sf.bulk2.DocListEntry__c.get_successful_records(job_id))
    assert len(succeeded) == 9
    assert succeeded[0] == {
        "sf__Id": docs[0]["Id"],
        "sf__Created": "false",
        "Id": docs[0]["Id"],
        "Document__c": "https://cdn/Doc 00.pdf",
    }
    assert org.get("DocListEntry__c", docs[0]["Id"])["Document__c"] == "https://cdn/Doc 00.pdf"
    assert org.get("DocListEntry__c", docs[3]["Id"])["Document__c"] == "s3://bucket/3"
    # simple-salesforce orders CSV columns through a set, so compare them as one
    assert set(sf.bulk2.DocListEntry__c.get_unprocessed_records(job_id).strip().split(",")) == {
        "Id",
        "Document__c",
    }


def test_bulk_results_csv_has_salesforce_quoting(
    org: FakeOrg, sf: Salesforce, tmp_path: Path
) -> None:
    doc = org.records("DocListEntry__c")[0]["Id"]
    upload = tmp_path / "update.csv"
    upload.write_text(f"Id,Name\n{doc},New\n")

    job_id = sf.bulk2.DocListEntry__c.update(csv_file=str(upload), wait=0)[0]["job_id"]

    assert sf.bulk2.DocListEntry__c.get_successful_records(job_id) == (
        f'"sf__Id","sf__Created",Id,Name\n"{doc}","false","{doc}","New"\n'
    )


def test_bulk_row_errors_use_the_status_code_message_fields_format(
    org: FakeOrg, sf: Salesforce
) -> None:
    doc = org.records("DocListEntry__c")[0]["Id"]
    updates = [
        {"Id": doc, "File_Size__c": "huge"},
        {"Id": "a005g000009zzzzAAA", "File_Size__c": "1"},
        {"Id": "garbage", "File_Size__c": "1"},
    ]

    job_id = sf.bulk2.DocListEntry__c.update(records=updates, wait=0)[0]["job_id"]

    errors = [r["sf__Error"] for r in rows(sf.bulk2.DocListEntry__c.get_failed_records(job_id))]
    assert errors == [
        "INVALID_TYPE_ON_FIELD_IN_RECORD:File Size: value not of required type: huge:File_Size__c --",
        "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
        "MALFORMED_ID:Doc List Entry ID: id value of incorrect type: garbage:Id --",
    ]


def test_bulk_empty_cells_are_ignored_and_na_sets_null(org: FakeOrg, sf: Salesforce) -> None:
    doc = org.records("DocListEntry__c")[0]["Id"]

    sf.bulk2.DocListEntry__c.update(
        records=[{"Id": doc, "Name": "", "Document__c": "#N/A"}], wait=0
    )

    record = org.get("DocListEntry__c", doc)
    assert record["Name"] == "Doc 00" and record["Document__c"] is None


def test_bulk_insert_upsert_and_delete(org: FakeOrg, sf: Salesforce) -> None:
    inserted = sf.bulk2.Account.insert(records=[{"Name": "Initech"}, {"Name": "Hooli"}], wait=0)
    created = rows(sf.bulk2.Account.get_successful_records(inserted[0]["job_id"]))
    assert [r["sf__Created"] for r in created] == ["true", "true"]

    hooli = created[1]["sf__Id"]
    upserted = sf.bulk2.Account.upsert(
        records=[{"Id": hooli, "Name": "Hooli XYZ"}], external_id_field="Id", wait=0
    )
    assert upserted[0]["numberRecordsFailed"] == 0
    assert org.get("Account", hooli)["Name"] == "Hooli XYZ"

    deleted = sf.bulk2.Account.delete(records=[{"Id": created[0]["sf__Id"]}], wait=0)
    assert deleted[0]["numberRecordsProcessed"] == 1
    assert sorted(r["Name"] for r in org.records("Account")) == ["Acme", "Hooli XYZ"]


def test_bulk_upsert_on_an_external_id_field(org: FakeOrg, sf: Salesforce) -> None:
    result = sf.bulk2.DocListEntry__c.upsert(
        records=[
            {"Name": "Doc 01", "File_Size__c": "99"},
            {"Name": "Brand new", "File_Size__c": "1"},
        ],
        external_id_field="Name",
        wait=0,
    )

    outcome = rows(sf.bulk2.DocListEntry__c.get_successful_records(result[0]["job_id"]))
    assert [r["sf__Created"] for r in outcome] == ["false", "true"]
    assert (
        next(r for r in org.records("DocListEntry__c") if r["Name"] == "Doc 01")["File_Size__c"]
        == 99.0
    )
    assert any(r["Name"] == "Brand new" for r in org.records("DocListEntry__c"))


def test_bulk_unknown_column_fails_the_job(org: FakeOrg, sf: Salesforce) -> None:
    doc = org.records("DocListEntry__c")[0]["Id"]

    with pytest.raises(SalesforceOperationError, match="Field name not found : Bogus__c"):
        sf.bulk2.DocListEntry__c.update(records=[{"Id": doc, "Bogus__c": "x"}], wait=0)


def test_bulk_unknown_object_is_refused_at_job_creation(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.bulk2.Widget__c.insert(records=[{"Name": "x"}], wait=0)

    assert caught.value.content[0]["errorCode"] == "INVALIDENTITY"


def test_ingest_job_lifecycle_over_raw_http(org: FakeOrg) -> None:
    raw = Raw(org)
    doc = org.records("DocListEntry__c")[0]["Id"]

    job = raw.call(
        "POST",
        "ingest",
        json={
            "object": "DocListEntry__c",
            "operation": "update",
            "lineEnding": "LF",
            "columnDelimiter": "PIPE",
            "contentType": "CSV",
        },
    ).json()
    assert (
        job["state"] == "Open" and job["id"].startswith("750") and job["columnDelimiter"] == "PIPE"
    )
    assert job["contentUrl"] == f"services/data/v62.0/jobs/ingest/{job['id']}/batches"

    upload = raw.call(
        "PUT",
        f"ingest/{job['id']}/batches",
        data=f"Id|Name\n{doc}|Piped\n",
        headers={"Content-Type": "text/csv"},
    )
    again = raw.call(
        "PUT",
        f"ingest/{job['id']}/batches",
        data=f"Id|Name\n{doc}|Twice\n",
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201
    assert again.status_code == 400 and again.json()[0]["errorCode"] == "BULK_API_ERROR"

    closed = raw.call("PATCH", f"ingest/{job['id']}", json={"state": "UploadComplete"}).json()
    info = raw.call("GET", f"ingest/{job['id']}").json()
    assert closed["state"] == "UploadComplete"
    assert (
        info["state"] == "JobComplete"
        and info["numberRecordsProcessed"] == 1
        and info["numberRecordsFailed"] == 0
    )
    assert org.get("DocListEntry__c", doc)["Name"] == "Piped"
    assert raw.call("GET", "ingest").json()["records"][0]["id"] == job["id"]
    assert raw.call("DELETE", f"ingest/{job['id']}").status_code == 204
    assert raw.call("GET", f"ingest/{job['id']}").status_code == 404


def test_aborted_ingest_job_leaves_rows_unprocessed(org: FakeOrg) -> None:
    raw = Raw(org)
    doc = org.records("DocListEntry__c")[0]["Id"]
    job = raw.call(
        "POST", "ingest", json={"object": "DocListEntry__c", "operation": "update"}
    ).json()
    raw.call("PUT", f"ingest/{job['id']}/batches", data=f"Id,Name\n{doc},Never\n")

    aborted = raw.call("PATCH", f"ingest/{job['id']}", json={"state": "Aborted"}).json()
    unprocessed = raw.call("GET", f"ingest/{job['id']}/unprocessedrecords/")

    assert aborted["state"] == "Aborted"
    assert rows(unprocessed.text) == [{"Id": doc, "Name": "Never"}]
    assert org.get("DocListEntry__c", doc)["Name"] == "Doc 00"


def test_jobs_can_answer_in_progress_before_completing(org: FakeOrg, sf: Salesforce) -> None:
    org.bulk_polls_before_complete = 2
    raw = Raw(org)
    doc = org.records("DocListEntry__c")[0]["Id"]
    job = raw.call(
        "POST", "ingest", json={"object": "DocListEntry__c", "operation": "update"}
    ).json()
    raw.call("PUT", f"ingest/{job['id']}/batches", data=f"Id,Name\n{doc},Later\n")
    raw.call("PATCH", f"ingest/{job['id']}", json={"state": "UploadComplete"})

    states = [raw.call("GET", f"ingest/{job['id']}").json()["state"] for _ in range(3)]

    assert states == ["InProgress", "InProgress", "JobComplete"]
    assert org.get("DocListEntry__c", doc)["Name"] == "Later"
    assert (
        sf.bulk2.DocListEntry__c.update(records=[{"Id": doc, "Name": "Polled"}], wait=0)[0][
            "numberRecordsFailed"
        ]
        == 0
    )


def test_bulk_handler_refuses_an_expired_session(org: FakeOrg, sf: Salesforce) -> None:
    org.expire_session()

    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.bulk2.DocListEntry__c.update(
            records=[{"Id": org.records("DocListEntry__c")[0]["Id"], "Name": "x"}], wait=0
        )

    assert caught.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


# ------------------------------------------------------------------- query


def test_bulk_query_pages_with_locators(org: FakeOrg, sf: Salesforce) -> None:
    pages = list(
        sf.bulk2.DocListEntry__c.query(
            "SELECT Id, Name, Account__r.Name, File_Size__c FROM DocListEntry__c WHERE File_Size__c < 23 ORDER BY Name",
            max_records=10,
            wait=0,
        )
    )

    assert len(pages) == 3
    parsed = [rows(p) for p in pages]
    assert [len(p) for p in parsed] == [10, 10, 3]
    assert list(parsed[0][0]) == ["Id", "Name", "Account__r.Name", "File_Size__c"]
    assert parsed[0][0]["Account__r.Name"] == "Acme" and parsed[0][0]["File_Size__c"] == "0.0"
    assert parsed[2][-1]["Name"] == "Doc 22"
    assert pages[0].startswith('"Id","Name","Account__r.Name","File_Size__c"\n')


def test_bulk_query_download_to_files(org: FakeOrg, sf: Salesforce, tmp_path: Path) -> None:
    results = sf.bulk2.DocListEntry__c.download(
        "SELECT Id, Name FROM DocListEntry__c", str(tmp_path), max_records=20, wait=0
    )

    assert [r["number_of_records"] for r in results] == [20, 5]
    assert results[0]["locator"] and results[1]["locator"] == ""
    assert sum(len(rows(Path(r["file"]).read_text())) for r in results) == 25


def test_bulk_query_results_headers_over_raw_http(org: FakeOrg) -> None:
    raw = Raw(org)
    job = raw.call(
        "POST", "query", json={"operation": "query", "query": "SELECT Name FROM DocListEntry__c"}
    ).json()
    info = raw.call("GET", f"query/{job['id']}").json()

    first = raw.call("GET", f"query/{job['id']}/results", params={"maxRecords": 20})
    last = raw.call(
        "GET",
        f"query/{job['id']}/results",
        params={"maxRecords": 20, "locator": first.headers["Sforce-Locator"]},
    )

    assert job["state"] == "UploadComplete" and job["object"] == "DocListEntry__c"
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 25
    assert first.headers["Sforce-NumberOfRecords"] == "20" and first.headers[
        "Sforce-Locator"
    ] not in ("", "null")
    assert (
        last.headers["Sforce-NumberOfRecords"] == "5" and last.headers["Sforce-Locator"] == "null"
    )
    assert first.headers["Content-Type"].startswith("text/csv")


def test_bulk_query_all_sees_deleted_rows(org: FakeOrg, sf: Salesforce) -> None:
    doc = org.records("DocListEntry__c")[0]["Id"]
    org.delete("DocListEntry__c", doc)

    live = "".join(sf.bulk2.DocListEntry__c.query("SELECT Id FROM DocListEntry__c", wait=0))
    every = "".join(
        sf.bulk2.DocListEntry__c.query_all("SELECT Id, IsDeleted FROM DocListEntry__c", wait=0)
    )

    assert doc not in live
    assert f'"{doc}","true"' in every


def test_bulk_query_validates_the_query_at_creation(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as invalid:
        list(sf.bulk2.DocListEntry__c.query("SELECT Bogus__c FROM DocListEntry__c", wait=0))
    with pytest.raises(SalesforceMalformedRequest) as aggregate:
        list(sf.bulk2.DocListEntry__c.query("SELECT COUNT(Id) FROM DocListEntry__c", wait=0))

    assert invalid.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert aggregate.value.content[0]["errorCode"] == "API_ERROR"
