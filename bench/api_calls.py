"""Salesforce API economy of phase 2: calls for a cutover and a rollback of N records.

Runs the real FileBackup, FileCutover and FileRollback state machines on the
offline stack and reads the fake org's call counter (the same count that
`Sforce-Limit-Info: api-usage=N/M` reports on every response). The old scripts
used one `query_all` plus Bulk API 1.0 in batches of 200, several calls each.

    python -m bench.api_calls --records 10000
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from typing import Any

from local.stack import LocalStack

TARGET_RECORDS_PER_CALL = 200


def _seed(stack: LocalStack, records: int) -> None:
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    accounts = [stack.org.insert("Account", {"Name": f"Account {n}"}) for n in range(50)]
    for i in range(records):
        key = f"docs/{i:06d}.pdf"
        s3.put_object(Bucket=source, Key=key, Body=b"%PDF")
        stack.org.insert(
            "DocListEntry__c",
            {
                "Name": f"Doc {i}",
                "Document__c": f"https://{source}.s3.amazonaws.com/{key}",
                "Account__c": accounts[i % len(accounts)],
            },
        )


def _measure(stack: LocalStack, machine: str, payload: dict[str, Any], name: str) -> dict[str, Any]:
    before = stack.org.api_usage
    started = time.monotonic()
    result = stack.run(machine, payload, name=name, timeout=3600)
    calls = stack.org.api_usage - before
    if not result.succeeded:
        raise RuntimeError(f"{name}: {result.error} {result.cause}")
    updated = int(result.output["updates"]["updated"])
    return {
        "workflow": name,
        "recordsUpdated": updated,
        "salesforceCalls": calls,
        "recordsPerCall": round(updated / calls, 1) if calls else None,
        "mode": result.output["plan"].get("mode"),
        # re-read to write: how long a user's edit could still be overwritten
        "recheckWindowMs": result.output["updates"].get("recheckWindowMs"),
        "seconds": round(time.monotonic() - started, 1),
    }


def run(records: int) -> dict[str, Any]:
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    with LocalStack() as stack:
        _seed(stack, records)
        backup = stack.run(
            "FileBackupStateMachine", {"mode": "full"}, name="bench-backup", timeout=3600
        )
        if not backup.succeeded:
            raise RuntimeError(f"backup failed: {backup.cause}")
        cutover = _measure(stack, "FileCutoverStateMachine", {"dryRun": False}, "bench-cutover")
        rollback = _measure(stack, "FileRollbackStateMachine", {"dryRun": False}, "bench-rollback")
    rows = [cutover, rollback]
    for row in rows:
        row["target"] = f"<= 1 call per {TARGET_RECORDS_PER_CALL} records"
        row["meetsTarget"] = bool(
            row["recordsPerCall"] and row["recordsPerCall"] >= TARGET_RECORDS_PER_CALL
        )
    return {"records": records, "results": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    report = run(args.records)
    print(json.dumps(report, indent=2))
    for row in report["results"]:
        print(
            f"{row['workflow']:>16}: {row['salesforceCalls']} Salesforce calls for "
            f"{row['recordsUpdated']} records ({row['recordsPerCall']} records per call, "
            f"{row['mode']}) in {row['seconds']}s"
        )


if __name__ == "__main__":
    main()
