"""FakeOrg API usage accounting, fault injection, routing errors and thread safety."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from local.salesforce import FakeOrg


@pytest.fixture
def org() -> FakeOrg:
    org = FakeOrg.with_standard_objects(daily_api_limit=1000)
    for i in range(5):
        org.insert("Account", {"Name": f"Account {i}"})
    return org


@pytest.fixture
def sf(org: FakeOrg) -> Salesforce:
    return org.client()


def raw_get(org: FakeOrg, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or org.issue_token()}"}
    return org.session().get(f"{org.instance_url}{path}", headers=headers)


# ------------------------------------------------------------------ limits


def test_every_call_is_counted_in_the_limit_header(org: FakeOrg, sf: Salesforce) -> None:
    assert org.api_usage == 0  # the login is not counted

    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 1 and sf.api_usage["api-usage"].total == 1000
    sf.Account.describe()
    sf.query("SELECT Id FROM Account")

    assert org.api_usage == 3
    assert sf.api_usage["api-usage"].used == 3


def test_error_responses_carry_the_limit_header_too(org: FakeOrg) -> None:
    token = org.issue_token()
    bad_query = raw_get(org, "/services/data/v62.0/query?q=SELECT+Nope+FROM+Account", token)
    unknown = raw_get(org, "/services/data/v62.0/nowhere", token)
    unauthorised = raw_get(org, "/services/data/v62.0/limits", "not-a-token")
    login = org.session().post(
        f"{org.login_url}/services/oauth2/token", data={"grant_type": "nope"}
    )

    assert (
        bad_query.status_code == 400
        and bad_query.headers["Sforce-Limit-Info"] == "api-usage=1/1000"
    )
    assert unknown.status_code == 404 and unknown.headers["Sforce-Limit-Info"] == "api-usage=2/1000"
    assert (
        unauthorised.status_code == 401
        and unauthorised.headers["Sforce-Limit-Info"] == "api-usage=3/1000"
    )
    assert "Sforce-Limit-Info" not in login.headers
    assert org.api_usage == 3


def test_limits_resource_reports_daily_api_requests(org: FakeOrg, sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Account")

    limits = sf.limits()

    assert limits["DailyApiRequests"] == {"Max": 1000, "Remaining": 998}
    assert {"DailyBulkV2QueryJobs", "DataStorageMB"} <= set(limits)


def test_exhausted_limit_refuses_every_call(org: FakeOrg, sf: Salesforce) -> None:
    org.exhaust_daily_limit()

    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceRefusedRequest):
        sf.limits()

    assert caught.value.status == 403
    assert caught.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    org.api_usage = 0
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 5


def test_small_daily_limit_runs_out_after_that_many_calls() -> None:
    org = FakeOrg.with_standard_objects(daily_api_limit=2)
    sf = org.client()
    sf.query("SELECT Id FROM Account")
    sf.query("SELECT Id FROM Account")

    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 2


# ---------------------------------------------------------------- failures


def test_fail_nth_call_fails_exactly_that_call(org: FakeOrg, sf: Salesforce) -> None:
    org.fail_nth_call(2)

    sf.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.query("SELECT Id FROM Account")
    after = sf.query("SELECT Id FROM Account")

    assert caught.value.status == 500
    assert caught.value.content[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert after["totalSize"] == 5
    assert org.api_usage == 3


def test_fail_nth_call_with_status_and_code(org: FakeOrg, sf: Salesforce) -> None:
    org.fail_nth_call(
        1, status=503, error_code="SERVER_UNAVAILABLE", message="down for maintenance"
    )

    with pytest.raises(SalesforceGeneralError) as caught:
        sf.Account.describe()

    assert caught.value.status == 503
    assert caught.value.content == [
        {"message": "down for maintenance", "errorCode": "SERVER_UNAVAILABLE"}
    ]


def test_fail_nth_call_counts_from_the_next_call(org: FakeOrg) -> None:
    with pytest.raises(ValueError):
        org.fail_nth_call(0)


# ----------------------------------------------------------------- routing


def test_versions_and_resources(org: FakeOrg, sf: Salesforce) -> None:
    versions = org.session().get(f"{org.instance_url}/services/data/").json()
    resources = sf.restful("")

    assert versions[-1] == {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"}
    assert resources is not None and resources["query"] == "/services/data/v62.0/query"


def test_unknown_route_and_unsupported_version_are_not_found(org: FakeOrg, sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as unknown:
        sf.restful("no/such/thing")
    too_new = raw_get(org, "/services/data/v99.0/limits")

    assert unknown.value.content == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]
    assert too_new.status_code == 404 and too_new.json()[0]["errorCode"] == "NOT_FOUND"


def test_wrong_method_is_method_not_allowed(org: FakeOrg) -> None:
    response = org.session().put(
        f"{org.instance_url}/services/data/v62.0/limits",
        headers={"Authorization": f"Bearer {org.issue_token()}"},
    )

    assert response.status_code == 405 and response.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_malformed_json_body_is_json_parser_error(org: FakeOrg, sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("sobjects/Account", method="POST", data="{not json")

    assert caught.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_calls_are_logged_by_route(org: FakeOrg, sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Account")
    sf.Account.describe()

    assert org.calls["token"] == 1 and org.calls["query"] == 1 and org.calls["describe"] == 1
    assert org.request_log[-1][1] == "/services/data/v62.0/sobjects/Account/describe"


# ------------------------------------------------------------ thread safety


def test_many_threads_updating_and_querying_at_once(org: FakeOrg) -> None:
    docs = [
        org.insert("DocListEntry__c", {"Name": f"Doc {i}", "File_Size__c": 0}) for i in range(40)
    ]
    clients = [org.client() for _ in range(8)]
    usage_before = org.api_usage

    def worker(index: int) -> int:
        sf = clients[index]
        mine = docs[index * 5 : index * 5 + 5]
        for round_ in range(1, 6):
            for doc in mine:
                sf.DocListEntry__c.update(
                    doc, {"File_Size__c": round_, "Name": f"Doc {doc} r{round_}"}
                )
            sf.query("SELECT Id, Name FROM DocListEntry__c WHERE File_Size__c >= 0")
            org.insert("Account", {"Name": f"Thread {index} round {round_}"})
        return index

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(worker, range(8))) == list(range(8))

    assert all(r["File_Size__c"] == 5.0 for r in org.records("DocListEntry__c"))
    assert all(r["Name"].endswith(" r5") for r in org.records("DocListEntry__c"))
    accounts = org.records("Account")
    assert len(accounts) == 5 + 8 * 5 and len({a["Id"] for a in accounts}) == len(accounts)
    assert org.api_usage - usage_before == 8 * 5 * 6
