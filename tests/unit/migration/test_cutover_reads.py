"""Reading a write batch back from Salesforce: by its Id range when the plan walked
every record in Id order (2,000 a call), by its ids otherwise (500 a call)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce

from local.salesforce import FakeOrg, private_key_pem
from revops.integrations import transport
from revops.integrations.salesforce import SalesforceGateway
from revops.migration.cutover.reads import current_urls
from revops.migration.models import BatchRef, DocMapping


@pytest.fixture
def org() -> Iterator[FakeOrg]:
    org = FakeOrg.with_standard_objects()
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


def test_a_dense_batch_is_read_by_its_id_range_within_its_account(
    org: FakeOrg, gateway: SalesforceGateway
) -> None:
    ours, theirs = (
        org.insert("Account", {"Name": "Ours"}),
        org.insert("Account", {"Name": "Theirs"}),
    )
    ids = []
    for i in range(1200):  # two accounts, interleaved in Id order
        account = ours if i % 2 == 0 else theirs
        record = org.insert(
            "DocListEntry__c",
            {"Name": f"Doc {i}", "Document__c": f"s3://b/{i}", "Account__c": account},
        )
        if account == ours:
            ids.append(record)
    org.update("DocListEntry__c", ids[5], {"Document__c": "https://edited.example/x"})
    org.delete("DocListEntry__c", ids[6])
    batch = BatchRef(index=0, key="k", records=len(ids), first_id=ids[0], last_id=ids[-1])
    batch.account_id = ours
    mapping = DocMapping()
    gateway.field_names("DocListEntry__c")  # describe once, outside the count

    before = org.api_usage
    by_range = current_urls(gateway, mapping, ids, batch)
    range_calls = org.api_usage - before
    before = org.api_usage
    by_ids = current_urls(gateway, mapping, ids, BatchRef(index=0, key="k", records=len(ids)))
    id_calls = org.api_usage - before

    assert by_range == by_ids
    assert len(by_range) == len(ids) - 1 and ids[6] not in by_range
    assert by_range[ids[5]] == "https://edited.example/x"
    # 600 records: one page (and one look by id at the record the range did not
    # return, which confirms it deleted), or two lists of ids
    assert (range_calls, id_calls) == (2, 2)


def test_a_record_moved_to_another_account_is_still_read_as_itself(
    org: FakeOrg, gateway: SalesforceGateway
) -> None:
    ours, theirs = (
        org.insert("Account", {"Name": "Ours"}),
        org.insert("Account", {"Name": "Theirs"}),
    )
    ids = [
        org.insert(
            "DocListEntry__c",
            {"Name": f"Doc {i}", "Document__c": f"s3://b/{i}", "Account__c": ours},
        )
        for i in range(600)
    ]
    org.update("DocListEntry__c", ids[7], {"Account__c": theirs})
    batch = BatchRef(index=0, key="k", records=len(ids), first_id=ids[0], last_id=ids[-1])
    batch.account_id = ours

    current = current_urls(gateway, DocMapping(), ids, batch)

    assert len(current) == len(ids)  # not taken for deleted
    assert current[ids[7]] == "s3://b/7"
