"""The project's SalesforceGateway, unchanged, against an installed FakeOrg."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce

from local.salesforce import FakeOrg, private_key_pem
from revops.integrations import transport
from revops.integrations.salesforce import (
    SalesforceGateway,
    SalesforceLimitExceededError,
    SalesforceQueryError,
)


@pytest.fixture
def org() -> Iterator[FakeOrg]:
    org = FakeOrg.with_standard_objects()
    for i in range(2500):
        org.insert("DocListEntry__c", {"Name": f"Doc {i:04d}", "Document__c": f"s3://bucket/{i}"})
    with org:
        yield org


@pytest.fixture
def gateway(org: FakeOrg) -> SalesforceGateway:
    def connect() -> Salesforce:
        return Salesforce(
            username="integration@revops.example",
            consumer_key="local-connected-app",
            privatekey=private_key_pem(),
            domain="fake-login",
            version="62.0",
            session=transport.new_session(),
        )

    return SalesforceGateway(connect=connect)


def test_gateway_reads_schema_and_pages_through_queries(gateway: SalesforceGateway) -> None:
    assert {"document__c", "account__c", "file_size__c"} <= gateway.field_names("DocListEntry__c")

    names = [r["Name"] for r in gateway.query("SELECT Name FROM DocListEntry__c ORDER BY Name")]

    assert len(names) == 2500 and names[-1] == "Doc 2499"
    assert gateway.count("SELECT COUNT() FROM DocListEntry__c WHERE Name LIKE 'Doc 1%'") == 1000
    usage = gateway.api_usage
    assert usage is not None and usage.used == 4 and usage.limit == 100_000


def test_gateway_survives_an_expired_session(org: FakeOrg, gateway: SalesforceGateway) -> None:
    assert gateway.count("SELECT COUNT() FROM DocListEntry__c") == 2500
    org.expire_session()

    assert gateway.count("SELECT COUNT() FROM DocListEntry__c") == 2500
    assert org.auth.logins == 2


def test_gateway_translates_salesforce_errors(org: FakeOrg, gateway: SalesforceGateway) -> None:
    with pytest.raises(SalesforceQueryError, match="INVALID_FIELD"):
        list(gateway.query("SELECT Nope__c FROM DocListEntry__c"))

    org.exhaust_daily_limit()
    with pytest.raises(SalesforceLimitExceededError):
        gateway.count("SELECT COUNT() FROM DocListEntry__c")
