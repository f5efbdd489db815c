"""FakeOrg record-level sharing, UserRecordAccess and the Composite resource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from local.salesforce import FakeOrg

V = "https://revops-demo.my.salesforce.com/services/data/v62.0"


@dataclass
class Org:
    org: FakeOrg
    http: requests.Session
    owner: str
    other: str
    manager: str
    auditor: str
    outsider: str
    acme: str
    docs: list[str]

    def token_for(self, username: str) -> str:
        return self.org.auth.issue(username)

    def get(self, path: str, token: str | None = None, **params: Any) -> requests.Response:
        token = token or self.org.issue_token()
        return self.http.get(
            f"{V}{path}", params=params, headers={"Authorization": f"Bearer {token}"}
        )

    def post(self, path: str, body: Any, token: str | None = None) -> requests.Response:
        token = token or self.org.issue_token()
        return self.http.post(f"{V}{path}", json=body, headers={"Authorization": f"Bearer {token}"})

    def access(self, user: str, *records: str, fields: str = "RecordId, HasReadAccess") -> Any:
        ids = ",".join(f"'{r}'" for r in records)
        soql = (
            f"SELECT {fields} FROM UserRecordAccess WHERE UserId = '{user}' AND RecordId IN ({ids})"
        )
        return self.get("/query", q=soql)


def user(org: FakeOrg, name: str, **fields: Any) -> str:
    username = name.lower().replace(" ", ".") + "@revops.example"
    user_id = org.add_user(name, username, username=username)
    if fields:
        org.update("User", user_id, fields)
    return user_id


@pytest.fixture
def setup() -> Org:
    org = FakeOrg.with_standard_objects()
    sharing = org.sharing
    vp = sharing.add_role("VP Sales")
    rep_role = sharing.add_role("Rep", vp)
    owner = user(org, "Olga Owner", UserRoleId=rep_role)
    other = user(org, "Otto Other")
    manager = user(org, "Mia Manager", UserRoleId=vp)
    auditor = user(org, "Ada Auditor")
    outsider = user(org, "Ned Nodocs", ProfileId=sharing.add_profile("No Documents"))
    viewers = sharing.add_permission_set("Auditors", view_all_data=True)
    sharing.assign_permission_set(auditor, viewers)
    sharing.set_model("DocListEntry__c", "Private")
    acme = org.insert("Account", {"Name": "Acme", "OwnerId": owner})
    docs = [
        org.insert(
            "DocListEntry__c",
            {
                "Name": f"Doc {i}",
                "Account__c": acme,
                "OwnerId": owner,
                "Document__c": f"s3://b/{i}",
            },
        )
        for i in range(3)
    ]
    return Org(org, org.session(), owner, other, manager, auditor, outsider, acme, docs)


def test_private_records_are_read_by_owner_manager_and_view_all_but_not_by_others(
    setup: Org,
) -> None:
    sharing, doc = setup.org.sharing, setup.docs[0]

    assert sharing.access(setup.owner, doc) == "All"
    assert sharing.access(setup.manager, doc) == "All"  # role hierarchy
    assert sharing.access(setup.auditor, doc) == "Read"  # View All Data
    assert sharing.access(setup.other, doc) == "None"
    assert sharing.access(setup.outsider, doc) == "None"


def test_manual_and_nested_group_shares_grant_read_but_not_without_object_permission(
    setup: Org,
) -> None:
    sharing, (first, second, _) = setup.org.sharing, setup.docs
    finance = sharing.add_group("Finance")
    everyone = sharing.add_group("Back_Office")
    sharing.add_member(finance, setup.other)
    sharing.add_member(everyone, finance)
    sharing.share(first, setup.other)
    sharing.share(second, everyone, cause="Rule")
    sharing.share(second, setup.outsider)

    assert sharing.access(setup.other, first) == "Read"
    assert sharing.access(setup.other, second) == "Read"  # through Finance, inside Back_Office
    assert sharing.access(setup.outsider, second) == "None"  # no Read on the object at all


def test_controlled_by_parent_follows_the_account(setup: Org) -> None:
    org = setup.org
    org.sharing.set_model("Account", "Private")
    org.sharing.set_model("DocListEntry__c", "ControlledByParent", parent_field="Account__c")
    doc = setup.docs[0]
    assert org.sharing.access(setup.other, doc) == "None"

    org.sharing.share(setup.acme, setup.other, "Edit")

    assert org.sharing.access(setup.other, doc) == "Edit"


def test_user_record_access_answers_for_the_target_user(setup: Org) -> None:
    setup.org.sharing.share(setup.docs[1], setup.other)
    missing = setup.docs[2]
    setup.org.delete("DocListEntry__c", missing)

    answer = setup.access(
        setup.other,
        *setup.docs,
        fields="RecordId, HasReadAccess, HasEditAccess, MaxAccessLevel",
    )

    assert answer.status_code == 200, answer.text
    rows = {r["RecordId"]: r for r in answer.json()["records"]}
    assert set(rows) == {setup.docs[0], setup.docs[1]}  # a deleted record has no row
    assert rows[setup.docs[0]]["HasReadAccess"] is False
    assert rows[setup.docs[0]]["MaxAccessLevel"] == "None"
    assert rows[setup.docs[1]]["HasReadAccess"] is True
    assert rows[setup.docs[1]]["HasEditAccess"] is False
    assert rows[setup.docs[1]]["attributes"]["type"] == "UserRecordAccess"


@pytest.mark.parametrize(
    ("soql", "message"),
    [
        ("SELECT RecordId FROM UserRecordAccess WHERE RecordId = '{doc}'", "UserId"),
        ("SELECT RecordId FROM UserRecordAccess WHERE UserId = '{user}'", "RecordId"),
        (
            "SELECT RecordId FROM UserRecordAccess WHERE UserId = '{user}' OR RecordId = '{doc}'",
            "AND",
        ),
        (
            "SELECT RecordId, HasReadAccess FROM UserRecordAccess "
            "WHERE UserId = '{user}' AND RecordId = '{doc}' AND HasReadAccess = true",
            "SELECT RecordId only",
        ),
        (
            "SELECT HasReadAccess FROM UserRecordAccess WHERE UserId = '{user}' AND RecordId = '{doc}'",
            "RecordId",
        ),
        (
            "SELECT RecordId FROM UserRecordAccess WHERE UserId = '{user}' AND RecordId = '{doc}' "
            "ORDER BY MaxAccessLevel",
            "ordered",
        ),
    ],
)
def test_user_record_access_refuses_what_salesforce_does_not_allow(
    setup: Org, soql: str, message: str
) -> None:
    answer = setup.get("/query", q=soql.format(user=setup.other, doc=setup.docs[0]))

    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert message in answer.json()[0]["message"]


def test_user_record_access_takes_at_most_200_record_ids(setup: Org) -> None:
    ids = [setup.docs[0]] * 201

    answer = setup.access(setup.other, *ids)

    assert answer.status_code == 400
    assert "200" in answer.json()[0]["message"]
    assert setup.access(setup.other, *ids[:200]).status_code == 200


def test_user_record_access_filters_out_records_the_running_user_cannot_read(setup: Org) -> None:
    soql = (
        f"SELECT RecordId, HasReadAccess FROM UserRecordAccess WHERE UserId = '{setup.owner}' "
        f"AND RecordId = '{setup.docs[0]}'"
    )

    as_other = setup.get("/query", token=setup.token_for("otto.other@revops.example"), q=soql)
    as_integration = setup.get("/query", q=soql)

    assert as_other.json()["records"] == []
    assert as_integration.json()["records"][0]["HasReadAccess"] is True


def test_a_users_own_session_sees_only_what_sharing_allows(setup: Org) -> None:
    setup.org.sharing.share(setup.docs[0], setup.other)
    token = setup.token_for("otto.other@revops.example")

    listed = setup.get("/query", token=token, q="SELECT Id FROM DocListEntry__c")
    shared = setup.get(f"/sobjects/DocListEntry__c/{setup.docs[0]}", token=token)
    hidden = setup.get(f"/sobjects/DocListEntry__c/{setup.docs[1]}", token=token)

    assert [r["Id"] for r in listed.json()["records"]] == [setup.docs[0]]
    assert shared.status_code == 200
    assert hidden.status_code == 404


def test_an_inactive_or_frozen_users_session_stops_working(setup: Org) -> None:
    token = setup.token_for("otto.other@revops.example")
    assert setup.get("/limits", token=token).status_code == 200

    setup.org.sharing.freeze(setup.other)
    frozen = setup.get("/limits", token=token)
    setup.org.sharing.freeze(setup.other, False)
    setup.org.update("User", setup.other, {"IsActive": False})
    inactive = setup.get("/limits", token=token)

    assert frozen.status_code == 401 and inactive.status_code == 401
    assert inactive.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_composite_runs_queries_with_references_as_one_api_call(setup: Org) -> None:
    before = setup.org.api_usage
    body = {
        "allOrNone": False,
        "compositeRequest": [
            {
                "method": "GET",
                "url": f"/services/data/v62.0/query/?q=SELECT+Id,+IsActive+FROM+User+WHERE+Id+=+'{setup.other}'",
                "referenceId": "user",
            },
            {
                "method": "GET",
                "url": "/services/data/v62.0/sobjects/User/@{user.records[0].Id}",
                "referenceId": "again",
            },
            {
                "method": "GET",
                "url": "/services/data/v62.0/sobjects/User/@{nothing.id}",
                "referenceId": "bad",
            },
        ],
    }

    answer = setup.post("/composite", body)

    assert answer.status_code == 200
    first, second, third = answer.json()["compositeResponse"]
    assert first["httpStatusCode"] == 200 and first["body"]["records"][0]["IsActive"] is True
    assert second["httpStatusCode"] == 200 and second["body"]["Id"] == setup.other
    assert third["httpStatusCode"] == 400
    assert third["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert setup.org.api_usage == before + 1


def test_composite_takes_at_most_five_queries(setup: Org) -> None:
    query = {"method": "GET", "url": "/services/data/v62.0/query/?q=SELECT+Id+FROM+User"}
    body = {"compositeRequest": [dict(query, referenceId=f"q{i}") for i in range(6)]}

    answer = setup.post("/composite", body)

    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "LIMIT_EXCEEDED"


def test_installing_sharing_keeps_record_ids_and_public_objects_unchanged() -> None:
    org = FakeOrg.with_standard_objects()
    account = org.insert("Account", {"Name": "First"})
    rep = org.add_user("Rep")

    assert account.startswith("0015g0000000001")
    assert org.sharing.access(rep, account) == "Edit"  # Public Read/Write by default
    organization = org.query("SELECT Id FROM Organization")["records"]
    assert [r["Id"] for r in organization] == [org.org_id]
