"""`make demo`: every workflow, end to end, on the offline stack.

    python -m local.demo --out out

Builds the stack from template.yaml, loads the deterministic demo dataset into
the fake Salesforce org, the "external" bucket, the file host and the
voice-agent stand-ins, runs each state machine, and writes what a user would
look at under `out/`.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local import demo_data
from local.stack import LocalStack


@dataclass
class DemoContext:
    stack: LocalStack
    out: Path
    org_ids: dict[str, str] = field(default_factory=dict)
    document_ids: dict[str, str] = field(default_factory=dict)
    documents: list[demo_data.DocumentSpec] = field(default_factory=list)


@dataclass
class StepResult:
    name: str
    status: str
    seconds: float
    lines: list[str]
    details: dict[str, Any] = field(default_factory=dict)


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")
    return path


def load_demo_data(ctx: DemoContext) -> list[str]:
    stack = ctx.stack
    org_data = demo_data.generate_org()
    ctx.org_ids = demo_data.load_org(stack.org, org_data)
    accounts = org_data.accounts
    ctx.documents = demo_data.generate_documents(
        accounts=accounts, bucket=stack.parameters["SourceBucketName"]
    )
    ctx.document_ids = demo_data.load_documents(
        stack.org,
        stack.client("s3"),
        stack.parameters["SourceBucketName"],
        ctx.documents,
        ctx.org_ids,
    )
    demo_data.serve_cdn(ctx.documents)
    voice = demo_data.generate_voice()
    demo_data.load_voice(stack.elevenlabs, stack.ghl, voice)
    total_bytes = sum(d.size for d in ctx.documents)
    return [
        f"org: {len(org_data.users)} reps, {len(accounts)} accounts, "
        f"{len(org_data.opportunities)} opportunities, {len(org_data.events)} events "
        f"over {len(org_data.week_starts)} weeks",
        f"files: {len(ctx.documents)} DocListEntry__c records, {total_bytes / 1e6:.1f} MB "
        f"in s3://{stack.parameters['SourceBucketName']} and a plain HTTPS host",
        f"voice: {len(voice.clients)} clients, {len(voice.conversations)} conversations, "
        f"{len(voice.appointments)} appointments over {len(voice.months)} months",
    ]


def run_stack_check(ctx: DemoContext) -> StepResult:
    started = time.monotonic()
    result = ctx.stack.run("StackCheckStateMachine", {"chunkSize": 50}, name="demo-stack-check")
    summary = result.output or {"error": result.error, "cause": result.cause}
    write_json(ctx.out / "stackcheck" / "summary.json", summary)
    lines = [f"execution {result.status}"]
    if result.succeeded:
        lines.append(
            f"{summary['records']} records in {summary['chunks']} chunks: "
            f"{summary['reachable']} reachable in S3 ({summary['bytes'] / 1e6:.1f} MB), "
            f"{summary['httpSources']} on plain HTTPS, {summary['missing']} missing, "
            f"{summary['invalidUrl']} invalid URLs, {summary['noAccount']} without an account"
        )
        usage = summary.get("apiUsage") or {}
        lines.append(f"Salesforce API calls used: {usage.get('used')} of {usage.get('limit')}")
    return StepResult(
        "StackCheck",
        result.status,
        time.monotonic() - started,
        [*lines, "-> out/stackcheck/summary.json"],
        {"summary": summary},
    )


def run_scope_analysis(ctx: DemoContext) -> StepResult:
    started = time.monotonic()
    result, error = ctx.stack.invoke("AnalyzeScopeFunction", {"top": 5})
    write_json(ctx.out / "migration" / "scope.json", result)
    if error:
        return StepResult("Scope analysis", "FAILED", time.monotonic() - started, [str(result)])
    totals = result["totals"]
    lines = [
        f"{totals['files']} files in {totals['accounts']} accounts, "
        f"{totals['bytes'] / 1e6:.1f} MB; URL kinds {totals['urlKinds']}",
        "top accounts: "
        + ", ".join(f"{a['accountName']} ({a['files']})" for a in result["topAccounts"][:3]),
        "-> out/migration/scope.json",
    ]
    return StepResult("Scope analysis", "SUCCEEDED", time.monotonic() - started, lines)


def _backup_lines(summary: dict[str, Any]) -> list[str]:
    totals, plan = summary["totals"], summary.get("plan") or {}
    return [
        f"run {summary['runId']} ({summary['runType']}): {summary['status']}",
        f"planned {plan.get('selected', 0)} of {plan.get('scanned', 0)} records "
        f"(new {plan.get('new', 0)}, changed {plan.get('changed', 0)}, "
        f"retry {plan.get('retry', 0)}, unchanged {plan.get('unchanged', 0)})",
        f"copied {totals['new']} new + {totals['updated']} updated, "
        f"skipped {totals['skipped']} unchanged, failed {totals['failed']}, "
        f"{totals['bytes'] / 1e6:.1f} MB",
        f"errors by type: {summary['errorsByType'] or 'none'}",
    ]


def run_file_backup(ctx: DemoContext) -> StepResult:
    started = time.monotonic()
    stack = ctx.stack
    dry = stack.run("FileBackupStateMachine", {"mode": "full", "dryRun": True}, name="demo-dry-run")
    full = stack.run("FileBackupStateMachine", {"mode": "full"}, name="demo-full-backup")
    # Users keep working: a new file arrives and one record changes.
    source = stack.parameters["SourceBucketName"]
    stack.client("s3").put_object(
        Bucket=source, Key="late/Signed contract.pdf", Body=b"%PDF-1.7 signed"
    )
    stack.org.insert(
        "DocListEntry__c",
        {
            "Name": "Signed contract",
            "Document__c": f"s3://{source}/late/Signed contract.pdf",
            "Account__c": next(v for k, v in ctx.org_ids.items() if k.startswith("acct-")),
        },
    )
    incremental = stack.run(
        "FileBackupStateMachine", {"mode": "incremental"}, name="demo-incremental-backup"
    )
    runs = {"dry-run": dry, "full": full, "incremental": incremental}
    lines: list[str] = []
    for label, result in runs.items():
        write_json(ctx.out / "migration" / f"backup-{label}.json", result.output or result.cause)
        if result.output:
            lines += [f"[{label}]", *_backup_lines(result.output)]
    lines.append("-> out/migration/backup-*.json")
    status = "SUCCEEDED" if all(r.succeeded for r in runs.values()) else "FAILED"
    return StepResult("FileBackup", status, time.monotonic() - started, lines)


# In the order a user would run them.
STEPS: list[Callable[[DemoContext], StepResult]] = [
    run_stack_check,
    run_scope_analysis,
    run_file_backup,
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("out"))
    args = parser.parse_args(argv)
    # The emulator's own chatter (e.g. ToleratedFailurePercentagePath being ignored) is not
    # the user's concern here; the README lists the emulator's limits.
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    started = time.monotonic()
    results: list[StepResult] = []
    with LocalStack() as stack:
        ctx = DemoContext(stack=stack, out=out)
        print("revops demo: offline stack from template.yaml (moto + stand-ins)")
        for line in load_demo_data(ctx):
            print(f"  {line}")
        for step in STEPS:
            result = step(ctx)
            results.append(result)
            print(f"\n== {result.name}: {result.status} in {result.seconds:.1f}s")
            for line in result.lines:
                print(f"  {line}")
    total = time.monotonic() - started
    write_json(
        out / "demo-summary.json",
        {
            "seconds": round(total, 2),
            "runs": [
                {"workflow": r.name, "status": r.status, "seconds": round(r.seconds, 2)}
                for r in results
            ],
        },
    )
    failed = [r.name for r in results if r.status != "SUCCEEDED"]
    print(f"\n{len(results) - len(failed)}/{len(results)} workflows succeeded in {total:.1f}s")
    print(f"results in {out}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
