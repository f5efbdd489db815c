"""Running one tool on the emulator: ours or a peer, timed, verified and accounted for.

Used by every phase of `python -m bench`. Each run copies into a fresh bucket,
which is listed afterwards (object count and bytes must equal the source's) and
emptied, and reports the CPU of everyone involved (`Window`).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import dataset, ours, peers
from bench.emulator import Emulator, machine_cpu_seconds
from bench.latency_proxy import LatencyProxy

SOURCE = "bench-source"
WORK = "bench-work"


class Window:
    """CPU used on the whole machine during a measurement, and by whom.

    `others` is what processes outside the benchmark used: the machine's CPU
    minus the emulator's, the proxy's, the tool's and this process's. On a quiet
    machine it is near zero; when it is not, the figure was measured under
    someone else's load.
    """

    def __init__(self, emu: Emulator, proxy: LatencyProxy | None, side: Side) -> None:
        self.emu, self.proxy, self.side = emu, proxy, side
        self.machine = machine_cpu_seconds()
        self.emulator = emu.cpu_seconds()
        self.proxied = proxy.cpu_seconds() if proxy else 0.0
        self.tracking = side.cpu_seconds()
        self.own = time.process_time()
        self.load = os.getloadavg()[0]

    def close(self, tool_cpu: float, machine: float | None = None) -> dict[str, float]:
        """`machine`: the machine's CPU over a narrower window, when the tool measured it."""
        emulator = self.emu.cpu_seconds() - self.emulator
        proxied = (self.proxy.cpu_seconds() - self.proxied) if self.proxy else 0.0
        tracking = self.side.cpu_seconds() - self.tracking
        own = time.process_time() - self.own
        if machine is None:
            machine = machine_cpu_seconds() - self.machine
        return {
            "emulator_cpu_seconds": emulator,
            "proxy_cpu_seconds": proxied,
            "tracking_emulator_cpu_seconds": tracking,
            "others_cpu_seconds": max(
                0.0, machine - emulator - proxied - tracking - own - tool_cpu
            ),
            "load_before": self.load,
        }


class Side:
    """The DynamoDB emulator (its own moto_server process) and, under latency, its proxy.

    DynamoDB is a service of its own in AWS: our tracking writes go to this
    emulator so that they do not take the S3 emulator's single process away from
    the copies (the peers write no tracking at all). `shared` runs put the
    tracking table on the S3 emulator's process instead, for comparison.
    """

    def __init__(self, tables: Emulator) -> None:
        self.tables = tables
        self.proxy: LatencyProxy | None = None

    @property
    def endpoint(self) -> str:
        return self.proxy.endpoint if self.proxy else self.tables.endpoint

    def cpu_seconds(self) -> float:
        return self.tables.cpu_seconds() + (self.proxy.cpu_seconds() if self.proxy else 0.0)


def verify(s3: Any, bucket: str, expected: tuple[int, int]) -> dict[str, Any]:
    count, total = dataset.bucket_totals(s3, bucket)
    return {"objects": count, "bytes": total, "ok": (count, total) == expected}


def run_ours(
    emu: Emulator,
    proxy: LatencyProxy | None,
    s3: Any,
    side: Side,
    items: list[dataset.SourceObject],
    expected: tuple[int, int],
    *,
    label: str,
    lambdas: int,
    shared: bool = False,
) -> dict[str, Any]:
    """Our copy worker; `shared`: the tracking table on the S3 emulator's process."""
    run_id = f"bench-{label}-{int(time.time())}"
    table = f"bench-tracking-{label}"
    dest = f"bench-dest-ours-{label}"
    ddb = (emu if shared else side.tables).client("dynamodb")
    ours.create_tracking_table(ddb, table)
    s3.create_bucket(Bucket=dest)
    refs = ours.write_chunks(s3, WORK, SOURCE, items, f"backup/{run_id}")
    window = Window(emu, proxy, side)
    run = ours.run_chunks(
        proxy.endpoint if proxy else emu.endpoint,
        run_id=run_id,
        work_bucket=WORK,
        dest_bucket=dest,
        table=table,
        chunk_refs=refs,
        lambdas=lambdas,
        dynamodb_endpoint=None if shared else side.endpoint,
    )
    # The workers' start-up is before the clock: count the machine from then on.
    usage = window.close(run.cpu_seconds, machine=run.machine_cpu_seconds)
    tracked, chunk_items = ours.tracked_files(ddb, table, run_id)
    check = verify(s3, dest, expected)
    check["tracking_items"] = tracked
    check["chunk_items"] = chunk_items
    check["ok"] = check["ok"] and tracked == len(items) and chunk_items == len(refs)
    dataset.empty_bucket(s3, dest)
    ddb.delete_table(TableName=table)
    where = "tracking on the S3 emulator" if shared else "tracking on its own DynamoDB emulator"
    return {
        "tool": "revops copy worker" + (", shared emulator" if shared else ""),
        "ours": True,
        "tracking": where,
        "flags": f"{lambdas} workers x {run.threads} threads, chunks of {ours.CHUNK_SIZE}",
        "files": run.files,
        "seconds": run.seconds,
        "files_per_s": run.files_per_s,
        "cpu_seconds": run.cpu_seconds,
        "startup_seconds": run.startup_seconds,
        **usage,
        "emulator_busy": usage["emulator_cpu_seconds"] / run.seconds if run.seconds else None,
        "counts": run.counts,
        "chunk_seconds": run.chunk_seconds,
        "verified": check,
    }


def run_peer(
    emu: Emulator,
    proxy: LatencyProxy | None,
    side: Side,
    s3: Any,
    tools: peers.Tools,
    tool_versions: dict[str, str],
    name: str,
    files: int,
    expected: tuple[int, int],
    *,
    label: str,
    concurrency: int,
    source: str = SOURCE,
) -> dict[str, Any]:
    dest = f"bench-dest-{name}-{label}"
    s3.create_bucket(Bucket=dest)
    endpoint = proxy.endpoint if proxy else emu.endpoint
    window = Window(emu, proxy, side)
    tool = peers.tool_of(name)
    run = peers.RUNNERS[name](
        getattr(tools, tool), tool_versions[tool], endpoint, source, dest, concurrency
    )
    usage = window.close(run.cpu_seconds)
    check = verify(s3, dest, expected)
    check["ok"] = check["ok"] and run.returncode == 0
    dataset.empty_bucket(s3, dest)
    return {
        "tool": run.name,
        "peer": name,
        "version": run.version,
        "flags": run.flags,
        "files": files,
        "seconds": run.seconds,
        "files_per_s": files / run.seconds if run.seconds else 0.0,
        "cpu_seconds": run.cpu_seconds,
        **usage,
        "emulator_busy": usage["emulator_cpu_seconds"] / run.seconds if run.seconds else None,
        "returncode": run.returncode,
        "stderr_tail": run.stderr_tail,
        "verified": check,
    }


def ratios(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Ours against the fastest peer and against the peer doing our work, and every
    tool's own CPU per file."""
    ours_row = rows[0]
    for row in rows:
        row["cpu_ms_per_file"] = row["cpu_seconds"] / row["files"] * 1000 if row["files"] else None
    good_peers = [row for row in rows if not row.get("ours") and row["verified"]["ok"]]
    if not good_peers:
        return {"fastest_peer": None, "ratio_to_fastest_peer": None}
    fastest = max(good_peers, key=lambda row: row["files_per_s"])
    for row in rows:
        row["ratio_to_fastest_peer"] = row["files_per_s"] / fastest["files_per_s"]
    result: dict[str, Any] = {
        "fastest_peer": fastest["tool"],
        "ratio_to_fastest_peer": ours_row["files_per_s"] / fastest["files_per_s"],
    }
    equal = next((row for row in good_peers if row.get("peer") == peers.EQUAL_WORK), None)
    if equal is not None:
        result["equal_work_peer"] = equal["tool"]
        result["ratio_to_equal_work"] = ours_row["files_per_s"] / equal["files_per_s"]
        result["cpu_ratio_to_equal_work"] = ours_row["cpu_ms_per_file"] / equal["cpu_ms_per_file"]
    return result


def ceiling_ratio(row: dict[str, Any], cost: dict[str, Any]) -> float:
    """Ours against the emulator's ceiling for our request shape: the files/s at which
    our copies and listings (`ceiling.measure`) would keep its one process fully busy."""
    per_file_ms = cost["our_copy_ms"] + cost["listing_ms_per_file"]
    return float(row["files_per_s"] * per_file_ms / 1000)


def bucket_copy(s3: Any, items: list[dataset.SourceObject], bucket: str) -> None:
    """A source bucket holding only `items` (server-side copies inside the emulator)."""
    s3.create_bucket(Bucket=bucket)

    def copy(obj: dataset.SourceObject) -> None:
        s3.copy_object(Bucket=bucket, Key=obj.key, CopySource={"Bucket": SOURCE, "Key": obj.key})

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(copy, items))
