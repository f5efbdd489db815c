"""Phase 2 writes links that open: LinkMode, validation of every written link, and the links
opening (through the docs host) for exactly the people Salesforce allows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from local import demo_access
from local.demo_access import AVERY, BLAKE, CASEY, DREW, PASSWORD
from local.http_api import LocalHttpApi
from local.stack import LOCAL_DOCS_BASE_URL, LocalStack
from local.web_client import WebClient
from revops.access import wiring as access_wiring
from revops.integrations import transport
from revops.store.migration import MigrationStore
from tests.integration.test_admin_api import set_env

ACCOUNTS = ("Acme Corp", "Globex")
FILES = 6
S3 = "https://revops-local-backupbucket.s3.amazonaws.com/"


def _load(stack: LocalStack) -> dict[str, bytes]:
    """DocListEntry__c records (three per account) whose files sit in the external bucket."""
    s3, source = stack.client("s3"), stack.parameters["SourceBucketName"]
    accounts = [stack.org.insert("Account", {"Name": name}) for name in ACCOUNTS]
    bodies = {}
    for i in range(FILES):
        key = f"docs/{i}/Statement {i}.pdf"
        body = f"%PDF statement {i} ".encode() * (i + 1)
        s3.put_object(Bucket=source, Key=key, Body=body)
        record = stack.org.insert(
            "DocListEntry__c",
            {
                "Name": f"Statement {i}",
                "Document__c": f"s3://{source}/{key}",
                "Account__c": accounts[i % 2],
                "File_Name__c": f"Statement {i}.pdf",
            },
        )
        bodies[record] = body
    return bodies


def _migrate(stack: LocalStack) -> Any:
    backup = stack.run("FileBackupStateMachine", {"mode": "full"}, name="backup", timeout=300)
    assert backup.succeeded, backup.cause
    cutover = stack.run("FileCutoverStateMachine", {"dryRun": False}, name="cutover", timeout=300)
    assert cutover.succeeded and cutover.output["status"] == "completed", cutover.output
    return cutover.output


def test_object_link_mode_writes_the_object_urls_and_rollback_restores_them() -> None:
    with LocalStack(parameters={"LinkMode": "object"}) as stack:
        bodies = _load(stack)
        originals = {r: stack.org.get("DocListEntry__c", r)["Document__c"] for r in bodies}
        summary = _migrate(stack)
        store = MigrationStore(stack.physical_name("TrackingTable"), "us-east-1")

        for record_id in bodies:
            item = store.file(record_id)
            assert item is not None
            assert stack.org.get("DocListEntry__c", record_id)["Document__c"] == item.your_s3_url
        assert summary["validation"]["linksResolved"] == FILES

        back = stack.run("FileRollbackStateMachine", {"dryRun": False}, name="back", timeout=300)
        assert back.succeeded and back.output["updates"]["updated"] == FILES
        assert {r: stack.org.get("DocListEntry__c", r)["Document__c"] for r in bodies} == originals


def test_validation_finds_links_whose_file_is_gone_or_not_the_tracked_size(
    stack: LocalStack,
) -> None:
    bodies = _load(stack)
    summary = _migrate(stack)
    store = MigrationStore(stack.physical_name("TrackingTable"), "us-east-1")
    changed, gone = list(bodies)[:2]
    s3, bucket = stack.client("s3"), stack.physical_name("BackupBucket")
    s3.put_object(Bucket=bucket, Key=store.file(changed).your_s3_key, Body=b"not the file")  # type: ignore[union-attr]
    s3.delete_object(Bucket=bucket, Key=store.file(gone).your_s3_key)  # type: ignore[union-attr]
    plan = dict(summary["plan"])
    plan["batches"] = [
        {"index": 0, "key": f"cutover/{plan['runId']}/batches/batch-00000.json", "records": FILES}
    ]

    report, error = stack.invoke("ValidateRecordsFunction", plan)

    assert error is None, report
    assert report["holdingNewUrl"] == FILES
    assert report["missingObjects"] == 1 and report["sizeMismatches"] == 1
    assert report["sizeMismatchSample"][0]["id"] == changed
    assert report["linksResolved"] == FILES - 2


@pytest.fixture
def migrated(stack: LocalStack) -> Iterator[tuple[LocalStack, dict[str, bytes], Any]]:
    """The demo's people and sharing; a real backup and cutover writing links to the docs host."""
    access_wiring.checker.cache_clear()
    people = demo_access.set_up_people(stack.org)
    bodies = _load(stack)
    globex = stack.org.get("DocListEntry__c", list(bodies)[1])["Account__c"]
    demo_access.share_documents(stack.org, people, {r: r for r in bodies}, globex)
    for function in ("PlanCutoverFunction", "ValidateRecordsFunction", "PlanRollbackFunction"):
        set_env(stack, function, DOCS_BASE_URL=LOCAL_DOCS_BASE_URL)  # the docs host's domain
    _migrate(stack)
    api = LocalHttpApi(stack, "DocsHttpApi", LOCAL_DOCS_BASE_URL).install()
    try:
        yield stack, bodies, people
    finally:
        api.uninstall()


def test_cutover_links_open_for_exactly_the_people_salesforce_allows(
    migrated: tuple[LocalStack, dict[str, bytes], Any],
) -> None:
    stack, bodies, _ = migrated
    globex = stack.org.get("DocListEntry__c", list(bodies)[1])["Account__c"]
    expected = {
        AVERY.key: set(bodies),
        CASEY.key: set(bodies),
        DREW.key: {
            r for r in bodies if stack.org.get("DocListEntry__c", r)["Account__c"] == globex
        },
        BLAKE.key: set(),
    }
    for person in (AVERY, CASEY, DREW, BLAKE):
        client = WebClient(transport.new_session())
        opened = set()
        for record_id, body in bodies.items():
            link = stack.org.get("DocListEntry__c", record_id)["Document__c"]
            assert link == f"{LOCAL_DOCS_BASE_URL}/d/{record_id}"
            visit = client.go(link, stop_at=(S3,))
            if visit.url.startswith("https://fake-login.salesforce.com/"):  # the first time
                visit = client.log_in(visit, person.username, PASSWORD, stop_at=(S3,))
            if visit.status == 302:
                downloaded = transport.new_session().get(
                    visit.response.headers["Location"], timeout=10
                )
                assert hashlib.sha256(downloaded.content).digest() == hashlib.sha256(body).digest()
                opened.add(record_id)
            else:
                assert visit.status == 403 and record_id in visit.text
        assert opened == expected[person.key], person.name
