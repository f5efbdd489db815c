"""A whole FileBackup at 10k, 30k and 100k files, then a cutover and a rollback, measured.

    python -m bench.backup_scale --files 10000,30000,100000 --phase-two-at 100000

Three processes per size, so that each figure belongs to one of them:
- the S3 and DynamoDB emulator (`moto_server`, with the local stack's
  patches), which holds the source objects (1 to 64 KB), their copies and the
  tracking table, as S3 and DynamoDB would: their memory is not ours;
- the fake org (`bench.org_server`): `files` DocListEntry__c over `--accounts`
  accounts, answered over HTTP by `FakeOrg.handle`;
- the local stack (`LocalStack`): the real FileBackup ASL run by moto's Step
  Functions executor, every Lambda task dispatched in-process to the real
  handler. Its S3 and DynamoDB clients, the executor's included, reach the
  emulator through `AWS_ENDPOINT_URL_S3`/`_DYNAMODB`; Salesforce calls reach
  the org process. Its peak memory (VmHWM, reset after seeding) holds the
  executor and every Lambda that ran, at `maxConcurrency` at a time.

Reported per size: files per second over the whole execution (plan, copies,
finalize with its status page), the process's peak memory, the tracking
table's size (items and bytes, from DescribeTable), the time and DynamoDB reads
of building the status page again (`MigrationStatusFunction` `publish`), and
the CPU of each process. At `--phase-two-at`, a live cutover and a rollback of
every file follow, with the Salesforce calls the org counted.
Results go to `bench/results/backup-<timestamp>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.emulator import (
    Emulator,
    clean_env,
    machine_cpu_seconds,
    process_cpu_seconds,
    status_kb,
)
from bench.org_server import SOURCE_BUCKET, size_of, source_key
from bench.plan_scale import OrgProcess, log
from bench.series import CallCounter, run_series

REPO_ROOT = Path(__file__).resolve().parent.parent


def _reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: 5 > /proc/self/clear_refs)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def seed_sources(s3: Any, files: int, threads: int = 16) -> int:
    """The source objects the org's URLs point at; returns their total size."""

    def put(index: int) -> int:
        size = size_of(index)
        body = random.Random(index).randbytes(size)
        s3.put_object(Bucket=SOURCE_BUCKET, Key=source_key(index), Body=body)
        return size

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(put, range(files)))


def _value_bytes(value: dict[str, Any]) -> int:
    """An attribute value's size as DynamoDB bills it (strings and binary by length,
    numbers about one byte per two digits, 3 bytes per map or list plus 1 per element)."""
    ((kind, inner),) = value.items()
    if kind in ("S", "B"):
        return len(inner.encode() if isinstance(inner, str) else inner)
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_bytes(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in inner)
    return sum(len(str(v)) for v in inner)  # sets


def table_size(ddb: Any, table: str) -> tuple[int, int, int]:
    """(items, bytes, file items) of the table, from a scan."""
    items = size = files = 0
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            items += 1
            files += item["pk"]["S"].startswith("FILE#")
            size += sum(len(name.encode()) + _value_bytes(v) for name, v in item.items())
    return items, size, files


def _org_stats(endpoint: str) -> dict[str, Any]:
    import requests

    answer: dict[str, Any] = requests.get(f"{endpoint}/bench/stats", timeout=600).json()
    return answer


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """One size, in this fresh process: seed, back up, measure, then phase 2."""
    os.environ["AWS_ENDPOINT_URL_S3"] = args.emulator
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = args.emulator
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    import logging

    import local  # noqa: F401
    from bench.org_server import install_forwarder
    from local.stack import LocalStack

    logging.getLogger("moto").setLevel(logging.CRITICAL)
    result: dict[str, Any] = {"files": args.files, "accounts": args.accounts}
    with LocalStack(with_standins=False, parameters={"SourceBucketName": SOURCE_BUCKET}) as stack:
        install_forwarder(args.org)
        s3, ddb = stack.client("s3"), stack.client("dynamodb")
        began = time.perf_counter()
        result["sourceBytes"] = seed_sources(s3, args.files)
        result["seedSeconds"] = time.perf_counter() - began
        calls = CallCounter()
        emulator_pid = int(args.emulator_pid)
        _reset_peak()
        rss_before = status_kb("VmRSS") / 1024
        org_before = _org_stats(args.org)
        emu_cpu, machine = process_cpu_seconds(emulator_pid), machine_cpu_seconds()
        cpu, began = time.process_time(), time.perf_counter()
        run = stack.run(
            "FileBackupStateMachine",
            {"mode": "full", "maxConcurrency": args.concurrency},
            name="bench-full",
            timeout=6 * 3600,
        )
        seconds = time.perf_counter() - began
        org_after = _org_stats(args.org)
        if not run.succeeded:
            raise RuntimeError(f"backup failed: {run.error} {run.cause}")
        totals = run.output["totals"]
        items, size, tracked = table_size(ddb, stack.physical_name("TrackingTable"))
        result["backup"] = {
            "seconds": seconds,
            "filesPerSecond": args.files / seconds,
            "status": run.output["status"],
            "successful": totals["successful"],
            "failed": totals["failed"],
            "bytes": totals["bytes"],
            "cpuSeconds": time.process_time() - cpu,
            "peakRssMb": status_kb("VmHWM") / 1024,
            "rssBeforeMb": rss_before,
            "rssAfterMb": status_kb("VmRSS") / 1024,
            "emulatorCpuSeconds": process_cpu_seconds(emulator_pid) - emu_cpu,
            "orgCpuSeconds": org_after["cpuSeconds"] - org_before["cpuSeconds"],
            "machineCpuSeconds": machine_cpu_seconds() - machine,
            "salesforceCalls": org_after["apiUsage"] - org_before["apiUsage"],
            "awsCalls": calls.take(),
            "tableItems": items,
            "tableBytes": size,
            "trackedFiles": tracked,
            "loadBefore": args.load_before,
        }
        copied = sum(
            len(page.get("Contents", []))
            for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=stack.physical_name("BackupBucket")
            )
        )
        result["backup"]["verified"] = copied == args.files == totals["successful"] == tracked
        result["statusPage"] = status_page(stack, calls)
        if args.phase_two:
            result["phaseTwo"] = phase_two(stack, args.org, calls)
    return result


def status_page(stack: Any, calls: CallCounter, rounds: int = 3) -> dict[str, Any]:
    """Build and publish the status page again, as MigrationStatusFunction does."""
    times = []
    for _ in range(rounds):
        calls.take()
        began = time.perf_counter()
        answer, error = stack.invoke("MigrationStatusFunction", {"view": "publish"})
        times.append(time.perf_counter() - began)
        if error:
            raise RuntimeError(f"status page: {answer}")
    return {"seconds": statistics.median(times), "all": times, "awsCalls": calls.take()}


def phase_two(stack: Any, org: str, calls: CallCounter) -> dict[str, Any]:
    """A live cutover of every backed-up record, then its rollback: Salesforce calls."""
    rows = {}
    for machine, name in (
        ("FileCutoverStateMachine", "bench-cutover"),
        ("FileRollbackStateMachine", "bench-rollback"),
    ):
        before = _org_stats(org)
        began = time.perf_counter()
        run = stack.run(machine, {"dryRun": False}, name=name, timeout=6 * 3600)
        seconds = time.perf_counter() - began
        after = _org_stats(org)
        used = after["apiUsage"] - before["apiUsage"]
        by_route = {
            route: count - before["calls"].get(route, 0)
            for route, count in sorted(after["calls"].items())
            if count != before["calls"].get(route, 0)
        }
        if not run.succeeded:
            raise RuntimeError(f"{name} failed: {run.error} {run.cause}")
        updated = int(run.output["updates"]["updated"])
        rows[name] = {
            "seconds": seconds,
            "recordsUpdated": updated,
            "salesforceCalls": used,
            "salesforceCallsByRoute": by_route,
            "recordsPerCall": updated / used if used else None,
            "mode": run.output["plan"].get("mode"),
            "recheckWindowMs": run.output["updates"].get("recheckWindowMs"),
            "awsCalls": calls.take(),
        }
    return rows


def measure(files: int, args: argparse.Namespace) -> dict[str, Any]:
    with Emulator() as emu:
        log(f"{files:,} files over {args.accounts:,} accounts")
        with OrgProcess(files, args.accounts) as org:
            command = [
                sys.executable,
                "-m",
                "bench.backup_scale",
                "--worker",
                "--files",
                str(files),
                "--accounts",
                str(args.accounts),
                "--concurrency",
                str(args.concurrency),
                "--emulator",
                emu.endpoint,
                "--emulator-pid",
                str(emu.pid),
                "--org",
                org.endpoint,
                "--load-before",
                str(os.getloadavg()[0]),
            ]
            if files >= args.phase_two_at:
                command.append("--phase-two")
            done = subprocess.run(
                command, cwd=REPO_ROOT, env=clean_env(), capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise RuntimeError(f"backup worker failed:\n{done.stderr[-6000:]}")
            result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
            result["emulatorRssMb"] = emu.rss_mb()
            result["orgRssMb"] = org.get("/bench/stats")["rssMb"]
    backup = result["backup"]
    log(
        f"  {backup['filesPerSecond']:.1f} files/s ({backup['seconds']:.0f} s), peak "
        f"{backup['peakRssMb']:.0f} MB, table {backup['tableItems']:,} items, status page "
        f"{result['statusPage']['seconds']:.2f} s"
    )
    return result


def report(results: dict[str, Any]) -> str:
    lines = [
        "files    files/s  wall s  peak MB  table items  table MB  page s  page reads  ours CPU s  emulator CPU s"
    ]
    for size in results["sizes"]:
        b, page = size["backup"], size["statusPage"]
        reads = sum(n for op, n in page["awsCalls"].items() if op.startswith("dynamodb:"))
        lines.append(
            f"{size['files']:>7,}  {b['filesPerSecond']:>7.1f}  {b['seconds']:>6.0f}  {b['peakRssMb']:>7.0f}  "
            f"{b['tableItems']:>11,}  {b['tableBytes'] / 1e6:>8.1f}  {page['seconds']:>6.2f}  {reads:>10}  "
            f"{b['cpuSeconds']:>10.0f}  {b['emulatorCpuSeconds']:>14.0f}"
        )
        for name, row in (size.get("phaseTwo") or {}).items():
            lines.append(
                f"  {name}: {row['recordsUpdated']:,} records, {row['salesforceCalls']} Salesforce "
                f"calls ({row['recordsPerCall']:.0f} records per call, {row['mode']}), {row['seconds']:.0f} s"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.backup_scale",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--files", default="10000,30000,100000")
    parser.add_argument("--accounts", type=int, default=400, help="the same at every size")
    parser.add_argument("--concurrency", type=int, default=4, help="the backup's maxConcurrency")
    parser.add_argument(
        "--phase-two-at", type=int, default=100_000, help="cutover+rollback from this size"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase-two", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--emulator", help=argparse.SUPPRESS)
    parser.add_argument("--emulator-pid", help=argparse.SUPPRESS)
    parser.add_argument("--org", help=argparse.SUPPRESS)
    parser.add_argument("--load-before", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        args.files = int(args.files)
        print(json.dumps(worker(args)))
        return 0
    sizes = (int(n) for n in args.files.split(","))
    return run_series("backup", sizes, lambda files: measure(files, args), report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
