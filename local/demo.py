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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from local import demo_access, demo_data
from local.http_front import HttpFront
from local.stack import LocalStack
from revops.migration.urls import S3Source, parse_source_url


@dataclass
class DemoContext:
    stack: LocalStack
    out: Path
    org_ids: dict[str, str] = field(default_factory=dict)
    document_ids: dict[str, str] = field(default_factory=dict)
    documents: list[demo_data.DocumentSpec] = field(default_factory=list)
    cdn: Any = None
    front: Any = (
        None  # local.http_front.HttpFront: the docs host, Salesforce login and S3 on sockets
    )
    people: Any = None  # local.demo_access.People: who signs in, and the sharing
    shared_account: str | None = None


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
    ctx.cdn = demo_data.serve_cdn(ctx.documents)
    ctx.people = demo_access.set_up_people(stack.org)
    busiest = Counter(d.account_key for d in ctx.documents if d.account_key).most_common(2)
    ctx.shared_account = ctx.org_ids[busiest[-1][0]]
    demo_access.share_documents(stack.org, ctx.people, ctx.document_ids, ctx.shared_account)
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
        f"people: {', '.join(p.name for p in demo_access.PEOPLE)} sign in at the fake Salesforce; "
        "documents are private, one account's shared with Finance"
        + (f"; docs host {ctx.front.docs_url}" if ctx.front else ""),
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
        velocity = summary.get("velocity") or {}
        user = velocity.get("integrationUser") or {}
        lines.append(
            f"velocity settings: reports run as {user.get('username')} in {user.get('timeZone')}, "
            f"locale {user.get('locale')} (weeks from {user.get('weekStart')}); "
            f"{len(velocity.get('savedReports') or [])} saved reports grouped by week, then owner"
        )
    elif result.error == "VelocitySettingsError":
        lines.append(f"velocity settings wrong: {result.cause}")
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
    # ... and someone attaches a 6 GB site video, over MaxFileSizeMb: the backup leaves it
    # out, tracked as excluded (it keeps its original URL and never blocks the cutover).
    stack.org.insert(
        "DocListEntry__c",
        {
            "Name": "Site survey video",
            "Document__c": f"s3://{source}/late/Site survey (4K).mov",
            "File_Name__c": "Site survey (4K).mov",
            "File_Size__c": 6 * 1024**3,
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


def _url_lines(label: str, summary: dict[str, Any]) -> list[str]:
    counts = (summary.get("plan") or {}).get("counts", {})
    updates = summary.get("updates", {})
    validation = summary.get("validation") or {}
    return [
        f"[{label}] {summary['runType']}: {summary['status']}",
        f"planned {counts.get('planned', 0)} of {counts.get('scanned', 0)} records; "
        f"already done {counts.get('alreadyDone', 0)}, conflicts {counts.get('conflicts', 0)}, "
        f"without backup {counts.get('notBackedUp', 0)}, excluded by policy "
        f"{counts.get('excluded', 0)}",
        f"updated {updates.get('updated', 0)}, failed {updates.get('failed', 0)}; "
        f"validated {validation.get('holdingNewUrl', 0)}/{validation.get('checked', 0)}",
    ]


def _error_message(cause: str | None) -> str:
    try:
        return str(json.loads(cause or "")["errorMessage"])
    except (ValueError, KeyError, TypeError):
        return cause or ""


def fix_broken_records(ctx: DemoContext) -> list[str]:
    """What an operator does after a refusal: restore missing files, fix a typo'd URL."""
    stack, s3 = ctx.stack, ctx.stack.client("s3")
    broken = demo_data.faults(ctx.documents)
    fixed = []
    for doc in broken["missing_object"]:
        if doc.source_key:
            s3.put_object(
                Bucket=doc.source_bucket, Key=doc.source_key, Body=demo_data.document_content(doc)
            )
        elif doc.url:
            path = doc.url.removeprefix(demo_data.CDN_BASE_URL)
            ctx.cdn.add_file(unquote(path), demo_data.document_content(doc))
        fixed.append(f"restored the missing file of {doc.name}")
    for doc in broken["malformed_url"]:
        url = (doc.url or "").replace("https//", "https://", 1)
        source = parse_source_url(url)
        if isinstance(source, S3Source):  # the file was never uploaded either
            s3.put_object(
                Bucket=source.bucket, Key=source.key, Body=demo_data.document_content(doc)
            )
        stack.org.update("DocListEntry__c", ctx.document_ids[doc.key], {"Document__c": url})
        fixed.append(f"corrected the URL of {doc.name} and uploaded its file")
    return fixed


def run_cutover_and_rollback(ctx: DemoContext) -> StepResult:
    started = time.monotonic()
    stack = ctx.stack
    lines: list[str] = []
    # The dry run reports what the live run refuses, in the same words; the live run stops.
    preview = stack.run("FileCutoverStateMachine", {"dryRun": True}, name="demo-cutover-preview")
    refused = stack.run("FileCutoverStateMachine", {"dryRun": False}, name="demo-cutover-refused")
    would = (preview.output or {}).get("wouldRefuse")
    lines.append(
        f"[cutover-dry-run] {preview.status}: "
        + ("would refuse, as the live run does" if would else "would not refuse")
    )
    lines.append(
        f"[cutover-refused] {refused.status}: {refused.error}: {_error_message(refused.cause)}"
    )
    write_json(
        ctx.out / "migration" / "cutover-refused.json",
        {
            "error": refused.error,
            "message": _error_message(refused.cause),
            "dryRunWouldRefuse": would,
        },
    )
    lines += [f"operator: {line}" for line in fix_broken_records(ctx)]
    again = stack.run(
        "FileBackupStateMachine", {"mode": "incremental"}, name="demo-backup-after-fixes"
    )
    if again.output:
        lines += [
            f"operator: reran the incremental backup: {again.output['totals']['successful']} "
            f"backed up, {again.output['totals']['failed']} still failing"
        ]
    runs = {
        "cutover-dry-run": ("FileCutoverStateMachine", {"dryRun": True}),
        "cutover": ("FileCutoverStateMachine", {"dryRun": False}),
        "rollback-dry-run": ("FileRollbackStateMachine", {"dryRun": True}),
    }
    ok = refused.error == "NotReadyError" and would == _error_message(refused.cause)
    for label, (machine, payload) in runs.items():
        result = stack.run(machine, payload, name=f"demo-{label}", timeout=300)
        write_json(
            ctx.out / "migration" / f"{label}.json",
            result.output or {"error": result.error, "cause": result.cause},
        )
        ok = ok and result.succeeded
        if result.output:
            lines += _url_lines(label, result.output)
        else:
            lines.append(
                f"[{label}] {result.status}: {result.error}: {_error_message(result.cause)}"
            )
    # Every object in the backup bucket is tracked or reported.
    reconciled = stack.run("FileReconcileStateMachine", {}, name="demo-reconcile", timeout=300)
    write_json(ctx.out / "migration" / "reconcile.json", reconciled.output or reconciled.cause)
    ok = ok and reconciled.succeeded and (reconciled.output or {}).get("orphans") == 0
    if reconciled.output:
        lines.append(f"[reconcile] {reconciled.output['message']}")
    # Leave the demo org migrated (the rollback above was a dry run), and show the page.
    dashboards = stack.physical_name("DashboardsBucket")
    s3 = stack.client("s3")
    for key in ("migration/status.html", "migration/status.json"):
        body = s3.get_object(Bucket=dashboards, Key=key)["Body"].read()
        target = ctx.out / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    lines.append(
        "-> out/migration/cutover*.json, rollback-dry-run.json, reconcile.json, status.html, "
        "status.json"
    )
    return StepResult(
        "FileCutover / FileRollback",
        "SUCCEEDED" if ok else "FAILED",
        time.monotonic() - started,
        lines,
    )


def run_velocity(ctx: DemoContext) -> StepResult:
    from local.demo_velocity import run_velocity as step

    return step(ctx)


def run_agent_metrics(ctx: DemoContext) -> StepResult:
    from local.demo_agent_metrics import run_agent_metrics as step

    return step(ctx)


def run_access(ctx: DemoContext) -> StepResult:
    return demo_access.run_access(ctx)


def run_live_tracking(ctx: DemoContext) -> StepResult:
    from local.demo_live import run_live_tracking as step

    return step(ctx)


def run_voice_step_alone(step: Callable[[DemoContext], StepResult]) -> int:
    """Run one voice-agent step on a fresh stack with the voice demo data loaded."""
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with LocalStack() as stack:
        demo_data.load_voice(stack.elevenlabs, stack.ghl, demo_data.generate_voice())
        result = step(DemoContext(stack=stack, out=Path("out")))
    print(f"== {result.name}: {result.status} in {result.seconds:.1f}s")
    for line in result.lines:
        print(f"  {line}")
    return 0 if result.status == "SUCCEEDED" else 1


# In the order a user would run them.
STEPS: list[Callable[[DemoContext], StepResult]] = [
    run_stack_check,
    run_scope_analysis,
    run_file_backup,
    run_cutover_and_rollback,
    run_velocity,
    run_agent_metrics,
    run_access,
    run_live_tracking,
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("out"))
    args = parser.parse_args(argv)
    # The emulator's own chatter (e.g. ToleratedFailurePercentagePath being ignored) is not
    # the user's concern here; the README lists the emulator's limits.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    started = time.monotonic()
    results: list[StepResult] = []
    with LocalStack() as stack, HttpFront(stack) as front:
        ctx = DemoContext(stack=stack, out=out, front=front)
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
