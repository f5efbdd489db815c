"""The FileBackup plan at 10k, 100k and 1M records, measured: first run and incremental.

    python -m bench.plan_scale --records 10000,100000,1000000
    python -m bench.plan_scale --records 100000 --profile   # py-spy, the plan worker

Four processes, so that each figure belongs to one of them:
- the AWS emulator (`moto_server`, with the local stack's patches): S3 for the
  chunk files, the manifest and the plan CSV; DynamoDB for the tracking table
  (built from template.yaml); Secrets Manager for the Salesforce secret;
- the fake org (`bench.org_server`): `records` DocListEntry__c over
  `records / 25` accounts, answered over HTTP by `FakeOrg.handle`;
- the "Lambda": a fresh process that runs the real StartBackupFunction and
  PlanBackupFunction handlers (`functions/*/app.py`) with the template's
  environment, every AWS call going to the emulator and every Salesforce call
  to the org process. Its wall time, CPU, peak memory (VmHWM) and the AWS calls
  it made (by operation, counted in botocore) are the plan's figures;
- this process, which seeds, runs, and between the two plans writes the
  tracking a full backup would have left (every planned file backed up, with
  its account's counts, through `MigrationStore.save_files`) and changes 1% of
  the org's records.

Salesforce calls are the org's own count of API requests (`Sforce-Limit-Info`).
The org's CPU during the plan is reported apart: it is the stand-in's share.
Results go to `bench/results/plan-<timestamp>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.emulator import (
    Emulator,
    aws_env,
    clean_env,
    free_port,
    machine_cpu_seconds,
    status_kb,
)
from bench.series import CallCounter, run_series

RESULTS = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parent.parent
RECORDS_PER_ACCOUNT = 25
TABLE = "revops-bench-tracking"
WORK = "revops-bench-work"
BACKUP = "revops-bench-backup"
SECRET = "revops/bench/salesforce"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the org process


class OrgProcess:
    def __init__(self, records: int, accounts: int) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.records, self.accounts = records, accounts
        self.process: subprocess.Popen[str] | None = None
        self.seed_seconds = 0.0

    def __enter__(self) -> OrgProcess:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.org_server",
                "--port",
                str(self.port),
                "--records",
                str(self.records),
                "--accounts",
                str(self.accounts),
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        assert self.process.stdout is not None
        ready = json.loads(self.process.stdout.readline())
        self.seed_seconds = float(ready["seedSeconds"])
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def get(self, path: str) -> dict[str, Any]:
        answer = requests.get(f"{self.endpoint}{path}", timeout=3600)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result


# ------------------------------------------------------------------ the Lambda process


def table_name(records: int) -> str:
    """One table name per size: this process's PynamoDB models stay bound to a
    table name, and a new name makes them reconnect to the new emulator."""
    return f"{TABLE}-{records}"


def function_env(endpoint: str, org_endpoint: str, table: str) -> dict[str, str]:
    """PlanBackupFunction's environment from template.yaml, pointed at the emulators."""
    import local  # noqa: F401
    from local.template import load_template, parameter_defaults

    template = load_template()
    params = parameter_defaults(template)
    env = {
        "STAGE": "bench",
        "TRACKING_TABLE": table,
        "WORK_BUCKET": WORK,
        "BACKUP_BUCKET": BACKUP,
        "SOURCE_BUCKET": "revops-bench-source",
        "SALESFORCE_SECRET_NAME": SECRET,
        "ORG_TIME_ZONE": params.get("OrgTimeZone", "UTC"),
        "MAX_FILE_SIZE_MB": params.get("MaxFileSizeMb", "5120"),
        "MAX_CONCURRENCY": params.get("MaxConcurrency", "100"),
        "TOLERATED_FAILURE_PERCENTAGE": params.get("ToleratedFailurePercentage", "5"),
        "POWERTOOLS_SERVICE_NAME": "revops",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "BULK_POLL_SECONDS": "0.5",
        "BENCH_ORG_ENDPOINT": org_endpoint,
    }
    for name, variable in (
        ("DocObject", "DOC_OBJECT"),
        ("DocUrlField", "DOC_URL_FIELD"),
        ("DocAccountField", "DOC_ACCOUNT_FIELD"),
        ("DocFileNameField", "DOC_FILE_NAME_FIELD"),
        ("DocFileSizeField", "DOC_FILE_SIZE_FIELD"),
        ("DocNamespace", "DOC_NAMESPACE"),
    ):
        env[variable] = params.get(name, "")
    return aws_env(endpoint) | env


def worker(mode: str, run_id: str) -> dict[str, Any]:
    """One plan, in this fresh process: StartBackup, then Plan, as the workflow runs them."""
    import local  # noqa: F401
    from bench.org_server import install_forwarder
    from local.moto_patches import LambdaContext, load_handler

    install_forwarder(os.environ["BENCH_ORG_ENDPOINT"])
    calls = CallCounter()
    start = load_handler("functions/start_backup/", "app.lambda_handler")
    plan = load_handler("functions/plan_backup/", "app.lambda_handler")
    after_imports = status_kb("VmRSS") / 1024

    def context(name: str) -> LambdaContext:
        return LambdaContext(
            name, f"arn:aws:lambda:us-east-1:123456789012:function:{name}", 1024, 900
        )

    config = start(
        {"runId": run_id, "executionArn": None, "input": {"mode": mode}}, context("start")
    )
    calls.take()
    cpu, began = time.process_time(), time.perf_counter()
    result = plan(config, context("plan"))
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "mode": mode,
        "seconds": seconds,
        "cpuSeconds": time.process_time() - cpu,
        "peakRssMb": status_kb("VmHWM") / 1024,
        "afterImportsMb": after_imports,
        "maxRssMb": usage.ru_maxrss / 1024,
        "calls": calls.take(),
        "plan": {k: result[k] for k in ("chunks", "counts", "queryMode", "apiCalls")},
    }


def run_worker(env: dict[str, str], mode: str, run_id: str, profile: Path | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.plan_scale", "--worker", mode, "--run-id", run_id]
    if profile is not None:
        spy = REPO_ROOT / ".venv-bench" / "bin" / "py-spy"
        command = [str(spy), "record", "-o", str(profile), "-f", "raw", "-r", "50", "--", *command]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=clean_env(env), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"plan worker failed:\n{done.stderr[-4000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# ------------------------------------------------------------------ between the runs


def deploy(emu: Emulator, table: str) -> None:
    import local  # noqa: F401
    from local.stack import create_table, local_secret_values
    from local.template import load_template, resources_of_type

    tables = resources_of_type(load_template(), "AWS::DynamoDB::Table")
    create_table(emu.client("dynamodb"), table, tables["TrackingTable"]["Properties"])
    s3 = emu.client("s3")
    for bucket in (WORK, BACKUP):
        s3.create_bucket(Bucket=bucket)
    emu.client("secretsmanager").create_secret(
        Name=SECRET, SecretString=json.dumps(local_secret_values()["SalesforceSecret"])
    )


def backed_up(emu: Emulator, table: str, run_id: str, threads: int = 8) -> dict[str, float]:
    """Track every file the plan chose as the copy workers would have: backed up,
    written with the accounts' counts through `MigrationStore.save_files`."""
    import local  # noqa: F401
    from revops.integrations.objects import DocumentStore
    from revops.migration import backup
    from revops.migration.models import ChunkRef, ChunkRow
    from revops.migration.transfer import CopyOutcome
    from revops.store.migration import MigrationStore

    os.environ.update(aws_env(emu.endpoint))
    documents = DocumentStore(WORK, emu.client("s3"))
    store = MigrationStore(table, "us-east-1")
    url_for = backup.object_url_for(BACKUP, "us-east-1", None)
    refs = [
        ChunkRef.model_validate(r) for r in documents.get_json(f"backup/{run_id}/manifest.json")
    ]

    def track(ref: ChunkRef) -> int:
        rows = [ChunkRow.model_validate(r) for r in documents.get_json(ref.key)]
        items = []
        for row in rows:
            outcome = CopyOutcome(
                status="copied",
                dest_key=row.dest_key,
                size=row.size or 0,
                sha256="0" * 64,
                checksum_type="FULL_OBJECT",
                version_id="bench",
                source_etag='"bench"',
                attempts=1,
            )
            result = backup.FileResult(row, outcome=outcome)
            items.append(backup._file_item(store, result, run_id, url_for))
        return store.save_files(items)

    began, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        tracked = sum(pool.map(track, refs))
    return {
        "files": tracked,
        "seconds": time.perf_counter() - began,
        "cpuSeconds": time.process_time() - cpu,
    }


# ------------------------------------------------------------------ one size


def measure(records: int, args: argparse.Namespace) -> dict[str, Any]:
    accounts = max(1, records // RECORDS_PER_ACCOUNT)
    result: dict[str, Any] = {"records": records, "accounts": accounts}
    with Emulator() as emu:
        log(f"{records:,} records over {accounts:,} accounts: seeding the org")
        with OrgProcess(records, accounts) as org:
            result["orgSeedSeconds"] = org.seed_seconds
            table = table_name(records)
            deploy(emu, table)
            env = function_env(emu.endpoint, org.endpoint, table)
            runs: list[dict[str, Any]] = []
            for mode, run_id in (("full", "plan-first"), ("incremental", "plan-incremental")):
                if mode == "incremental":
                    if records > args.incremental_up_to:
                        log(f"  incremental skipped above {args.incremental_up_to:,} records")
                        break
                    log("  tracking what a full backup would leave")
                    result["tracking"] = backed_up(emu, table, "plan-first")
                    result["tracking"]["emulatorRssMb"] = emu.rss_mb()
                    changed = org.get(f"/bench/change?share={args.changed}")
                    result["changedRecords"] = changed["changed"]
                before = org.get("/bench/stats")
                emulator_cpu, machine = emu.cpu_seconds(), machine_cpu_seconds()
                load = os.getloadavg()[0]
                log(f"  plan ({mode})")
                profile = None
                if args.profile:
                    profile = RESULTS / f"plan-{records}-{mode}.folded.txt"
                run = run_worker(env, mode, run_id, profile)
                after = org.get("/bench/stats")
                run["salesforceCalls"] = after["apiUsage"] - before["apiUsage"]
                run["orgCpuSeconds"] = after["cpuSeconds"] - before["cpuSeconds"]
                run["orgRssMb"] = after["rssMb"]
                run["emulatorCpuSeconds"] = emu.cpu_seconds() - emulator_cpu
                run["machineCpuSeconds"] = machine_cpu_seconds() - machine
                run["loadBefore"] = load
                run["profile"] = str(profile.relative_to(REPO_ROOT)) if profile else None
                log(
                    f"    {run['seconds']:.1f} s, CPU {run['cpuSeconds']:.1f} s, peak "
                    f"{run['peakRssMb']:.0f} MB, {run['salesforceCalls']} Salesforce calls, "
                    f"org CPU {run['orgCpuSeconds']:.1f} s"
                )
                runs.append(run)
            result["runs"] = runs
            result["emulatorRssMb"] = emu.rss_mb()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.plan_scale", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--records", default="10000,100000,1000000")
    parser.add_argument(
        "--changed", type=float, default=0.01, help="share changed before the incremental run"
    )
    parser.add_argument(
        "--incremental-up-to", type=int, default=10**9, help="skip the incremental run above this"
    )
    parser.add_argument("--profile", action="store_true", help="record the plan worker with py-spy")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--run-id", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.run_id)))
        return 0
    sizes = (int(n) for n in args.records.split(","))
    return run_series("plan", sizes, lambda records: measure(records, args), report, argv)


def report(results: dict[str, Any]) -> str:
    lines = [
        "records  accounts  run          wall s  CPU s  peak MB  SF calls  DynamoDB calls  S3 calls  org CPU s"
    ]
    for size in results["sizes"]:
        for run in size["runs"]:
            ddb = sum(n for op, n in run["calls"].items() if op.startswith("dynamodb:"))
            s3 = sum(n for op, n in run["calls"].items() if op.startswith("s3:"))
            lines.append(
                f"{size['records']:>7,}  {size['accounts']:>8,}  {run['mode']:<11}  {run['seconds']:>6.1f}  "
                f"{run['cpuSeconds']:>5.1f}  {run['peakRssMb']:>7.0f}  {run['salesforceCalls']:>8}  "
                f"{ddb:>14}  {s3:>8}  {run['orgCpuSeconds']:>9.1f}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
