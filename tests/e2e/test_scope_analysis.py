"""Scope analysis on the demo org, checked against a count made here from the data."""

from __future__ import annotations

from collections import Counter

from local import demo_data
from local.stack import LocalStack
from tests.conftest import load_event


def test_scope_analysis_reports_each_account_before_anything_is_copied(stack: LocalStack) -> None:
    org = demo_data.generate_org(weeks=8)
    account_ids = demo_data.load_org(stack.org, org)
    docs = demo_data.generate_documents(accounts=org.accounts, count=120)
    demo_data.load_documents(
        stack.org, stack.client("s3"), stack.parameters["SourceBucketName"], docs, account_ids
    )

    result, error = stack.invoke("AnalyzeScopeFunction", load_event("analyze_scope_all.json"))

    assert error is None, result
    per_account = Counter(account_ids.get(d.account_key or "", None) for d in docs)
    assert result["totals"]["files"] == len(docs)
    assert result["totals"]["accounts"] == len(per_account)
    assert result["totals"]["filesWithoutAccount"] == per_account[None]
    assert result["totals"]["urlKinds"]["invalid"] == 2  # the null and the malformed URL
    top = result["topAccounts"][0]
    assert top["files"] == max(per_account.values())
    mine = [d for d in docs if account_ids.get(d.account_key or "") == top["accountId"]]
    assert top["bytes"] == sum(d.size for d in mine)
    assert top["largestFiles"][0]["bytes"] == max(d.size for d in mine)
    # Nothing was copied: the report is the only output, in the work bucket.
    s3 = stack.client("s3")
    assert "Contents" not in s3.list_objects_v2(Bucket=stack.physical_name("BackupBucket"))
    body = s3.get_object(Bucket=stack.physical_name("WorkBucket"), Key=result["reportKey"])
    assert b'"byExtension"' in body["Body"].read()
