"""A small org for the phase 2 tests: 30 files over 3 accounts, backed up on demand."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from local.stack import LocalStack
from revops.store.migration import MigrationStore

FILES = 30


@dataclass
class Org:
    stack: LocalStack
    ids: list[str]
    original: dict[str, str]  # record id -> URL before any cutover

    @property
    def store(self) -> MigrationStore:
        return MigrationStore(self.stack.physical_name("TrackingTable"), "us-east-1")

    def url(self, record_id: str) -> str:
        return str(self.stack.org.get("DocListEntry__c", record_id)["Document__c"])

    def link(self, record_id: str) -> str:
        """The stable link cutover writes by default (LinkMode stable)."""
        lam = self.stack.client("lambda")
        config = lam.get_function_configuration(
            FunctionName=self.stack.physical_name("PlanCutoverFunction")
        )
        return f"{config['Environment']['Variables']['DOCS_BASE_URL']}/d/{record_id}"

    def run(self, machine: str, payload: dict[str, Any], name: str) -> Any:
        return self.stack.run(machine, payload, name=name, timeout=300)

    def work_csv(self, key: str) -> list[dict[str, str]]:
        body = self.stack.client("s3").get_object(
            Bucket=self.stack.physical_name("WorkBucket"), Key=key
        )["Body"]
        return list(csv.DictReader(io.StringIO(body.read().decode())))


def make_org(stack: LocalStack) -> Org:
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    accounts = [stack.org.insert("Account", {"Name": f"Account {n}"}) for n in range(3)]
    ids, original = [], {}
    for i in range(FILES):
        key = f"docs/{i:03d}/contract {i}.pdf"
        s3.put_object(Bucket=source, Key=key, Body=f"contract {i}".encode())
        url = f"https://{source}.s3.amazonaws.com/docs/{i:03d}/contract%20{i}.pdf"
        record_id = stack.org.insert(
            "DocListEntry__c",
            {"Name": f"Contract {i}", "Document__c": url, "Account__c": accounts[i % 3]},
        )
        ids.append(record_id)
        original[record_id] = url
    return Org(stack, ids, original)


def backup(org: Org, name: str = "backup") -> None:
    result = org.run("FileBackupStateMachine", {"mode": "full"}, name)
    assert result.succeeded and result.output["status"] == "completed", result.output
