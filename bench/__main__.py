"""Run every benchmark side by side and write bench/results/<timestamp>.json.

    python -m bench                 # the full run (5,000 files; about 8 minutes here)
    python -m bench --quick         # a smoke run (500 files, small memory sizes)
    python -m bench --skip-peers    # ours, the seed baseline and memory only

1. Throughput: the same objects copied bucket to bucket on one emulator by our
   copy worker (tracking writes included), rclone, s5cmd and `aws s3 cp`.
2. Under latency: the same through a proxy adding a delay to every request,
   against the seed's sequential GET-then-PUT.
3. Memory: peak RSS of one streamed HTTP-to-S3 copy at growing sizes.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import ceiling, dataset, memory, ours, peers, seed_baseline
from bench.emulator import Emulator, machine_cpu_seconds
from bench.latency_proxy import LatencyProxy

RESULTS = Path(__file__).resolve().parent / "results"
SOURCE = "bench-source"
WORK = "bench-work"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cpu_loop_ms() -> float:
    """How long a fixed pure-Python loop takes right now: this shared machine's speed.

    Measured at the start and the end of a run; when the two differ, or differ
    from another run's, the machine's speed changed and so did every figure.
    """
    began = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i
    return (time.perf_counter() - began) * 1000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=None, help="objects to copy (default 5000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 files, small sizes")
    parser.add_argument("--skip-peers", action="store_true", help="run no peer tool")
    parser.add_argument(
        "--skip-shared",
        action="store_true",
        help="skip the extra run of ours with the tracking table on the S3 emulator",
    )
    parser.add_argument(
        "--lambdas", type=int, default=4, help="concurrent copy workers (chunks at a time)"
    )
    parser.add_argument("--delay-ms", type=float, default=50.0, help="added to every request")
    parser.add_argument(
        "--latency-files", type=int, default=None, help="files copied under latency"
    )
    parser.add_argument(
        "--seed-files", type=int, default=None, help="files the sequential baseline copies"
    )
    parser.add_argument(
        "--memory-mb",
        default=None,
        help="comma-separated file sizes in MiB (default 512,1024,2048)",
    )
    parser.add_argument(
        "--only",
        default="throughput,latency,memory",
        help="comma-separated subset of throughput,latency,memory",
    )
    args = parser.parse_args(argv)
    args.files = args.files or (500 if args.quick else 5000)
    args.latency_files = min(args.files, args.latency_files or (500 if args.quick else 2000))
    args.seed_files = min(args.latency_files, args.seed_files or (50 if args.quick else 200))
    sizes = args.memory_mb or ("64,128,256" if args.quick else "512,1024,2048")
    args.memory_sizes = [int(float(s) * memory.MiB) for s in sizes.split(",") if s.strip()]
    args.only = {part.strip() for part in args.only.split(",") if part.strip()}
    return args


# ---------------------------------------------------------------- one tool


class _Window:
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


def _verify(s3: Any, bucket: str, expected: tuple[int, int]) -> dict[str, Any]:
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
    window = _Window(emu, proxy, side)
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
    check = _verify(s3, dest, expected)
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
    window = _Window(emu, proxy, side)
    path = getattr(tools, name)
    run = peers.RUNNERS[name](path, tool_versions[name], endpoint, source, dest, concurrency)
    usage = window.close(run.cpu_seconds)
    check = _verify(s3, dest, expected)
    check["ok"] = check["ok"] and run.returncode == 0
    dataset.empty_bucket(s3, dest)
    return {
        "tool": run.name,
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


def _ratios(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ours_row = rows[0]
    good_peers = [row for row in rows if not row.get("ours") and row["verified"]["ok"]]
    if not good_peers:
        return {"fastest_peer": None, "ratio_to_fastest_peer": None}
    fastest = max(good_peers, key=lambda row: row["files_per_s"])
    for row in rows:
        row["ratio_to_fastest_peer"] = row["files_per_s"] / fastest["files_per_s"]
    return {
        "fastest_peer": fastest["tool"],
        "ratio_to_fastest_peer": ours_row["files_per_s"] / fastest["files_per_s"],
    }


def _bucket_copy(s3: Any, items: list[dataset.SourceObject], bucket: str) -> None:
    """A source bucket holding only `items` (server-side copies inside the emulator)."""
    s3.create_bucket(Bucket=bucket)
    from concurrent.futures import ThreadPoolExecutor

    def copy(obj: dataset.SourceObject) -> None:
        s3.copy_object(Bucket=bucket, Key=obj.key, CopySource={"Bucket": SOURCE, "Key": obj.key})

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(copy, items))


# ---------------------------------------------------------------- phases


def throughput(
    emu: Emulator,
    s3: Any,
    side: Side,
    items: list[dataset.SourceObject],
    args: argparse.Namespace,
    tools: peers.Tools,
    tool_versions: dict[str, str],
    concurrency: int,
) -> dict[str, Any]:
    expected = (len(items), sum(obj.size for obj in items))
    log(f"throughput: our copy worker, {len(items)} files")
    rows = [run_ours(emu, None, s3, side, items, expected, label="direct", lambdas=args.lambdas)]
    log(f"  {rows[-1]['files_per_s']:.1f} files/s")
    if not args.skip_peers:
        for name in ("rclone", "s5cmd", "aws"):
            if getattr(tools, name) is None:
                log(f"throughput: {name} not installed, skipped")
                continue
            log(f"throughput: {name}")
            rows.append(
                run_peer(
                    emu,
                    None,
                    side,
                    s3,
                    tools,
                    tool_versions,
                    name,
                    len(items),
                    expected,
                    label="direct",
                    concurrency=concurrency,
                )
            )
            log(f"  {rows[-1]['files_per_s']:.1f} files/s")
    if not args.skip_shared:
        log("throughput: our copy worker, tracking table on the S3 emulator's process")
        rows.append(
            run_ours(
                emu,
                None,
                s3,
                side,
                items,
                expected,
                label="shared",
                lambdas=args.lambdas,
                shared=True,
            )
        )
        log(f"  {rows[-1]['files_per_s']:.1f} files/s")
    log("throughput: the emulator's CPU per file, bare copies and ours")
    cost = ceiling.measure(emu, s3, SOURCE, items)
    log(
        f"  bare {cost['bare_copy_ms']:.2f} ms, with SHA-256 {cost['sha256_copy_ms']:.2f} ms, "
        f"ours {cost['our_copy_ms']:.2f} ms + listing {cost['listing_ms_per_file']:.2f} ms"
    )
    return {"rows": rows, "copy_cost": cost} | _ratios(rows)


def latency(
    emu: Emulator,
    s3: Any,
    side: Side,
    items: list[dataset.SourceObject],
    args: argparse.Namespace,
    tools: peers.Tools,
    tool_versions: dict[str, str],
    concurrency: int,
) -> dict[str, Any]:
    subset = items[: args.latency_files]
    expected = (len(subset), sum(obj.size for obj in subset))
    delay = args.delay_ms / 1000
    result: dict[str, Any] = {"delay_ms": args.delay_ms, "files": len(subset)}
    requests_per_file: dict[str, dict[str, float]] = {}
    with (
        LatencyProxy(emu.endpoint, delay) as proxy,
        LatencyProxy(side.tables.endpoint, delay) as tables_proxy,
    ):
        side.proxy = tables_proxy
        log(f"latency {args.delay_ms:g} ms: our copy worker, {len(subset)} files")
        proxy.reset()
        tables_proxy.reset()
        rows = [
            run_ours(
                emu,
                proxy,
                s3,
                side,
                subset,
                expected,
                label="latency",
                lambdas=args.lambdas,
            )
        ]
        counts = Counter(proxy.counts()) + Counter(tables_proxy.counts())
        requests_per_file[rows[0]["tool"]] = _per_file(dict(counts), len(subset))
        log(f"  {rows[-1]['files_per_s']:.1f} files/s")

        log(
            f"latency {args.delay_ms:g} ms: seed-style sequential baseline, {args.seed_files} files"
        )
        seed_items = subset[: args.seed_files]
        seed_dest = "bench-dest-seed"
        s3.create_bucket(Bucket=seed_dest)
        proxied = emu.client("s3", endpoint=proxy.endpoint)
        proxy.reset()
        window = _Window(emu, proxy, side)
        seed = seed_baseline.copy_sequentially(proxied, SOURCE, seed_dest, seed_items)
        seed_usage = window.close(0.0)
        requests_per_file["seed baseline"] = _per_file(proxy.counts(), len(seed_items))
        seed_check = _verify(s3, seed_dest, (len(seed_items), sum(o.size for o in seed_items)))
        dataset.empty_bucket(s3, seed_dest)
        result["seed"] = seed.as_dict() | {"verified": seed_check} | seed_usage
        log(f"  {seed.files_per_s:.2f} files/s")

        if not args.skip_peers:
            source = SOURCE
            if len(subset) < len(items):
                source = "bench-source-latency"
                _bucket_copy(s3, subset, source)
            for name in ("rclone", "s5cmd", "aws"):
                if getattr(tools, name) is None:
                    continue
                log(f"latency {args.delay_ms:g} ms: {name}")
                proxy.reset()
                rows.append(
                    run_peer(
                        emu,
                        proxy,
                        side,
                        s3,
                        tools,
                        tool_versions,
                        name,
                        len(subset),
                        expected,
                        label="latency",
                        concurrency=concurrency,
                        source=source,
                    )
                )
                requests_per_file[rows[-1]["tool"]] = _per_file(proxy.counts(), len(subset))
                log(f"  {rows[-1]['files_per_s']:.1f} files/s")
            if source != SOURCE:
                dataset.empty_bucket(s3, source)
        side.proxy = None
    result["rows"] = rows
    result |= _ratios(rows)
    result["ratio_vs_seed"] = rows[0]["files_per_s"] / seed.files_per_s
    result["requests_per_file"] = requests_per_file
    return result


def _per_file(counts: dict[str, int], files: int) -> dict[str, float]:
    return {op: round(n / files, 3) for op, n in sorted(counts.items())}


def memory_phase(args: argparse.Namespace) -> list[dict[str, Any]]:
    log("memory: one streamed HTTP copy per size, each in a fresh process")
    with Emulator() as emu:  # its own emulator: moto keeps the big uploads in memory
        s3 = emu.client("s3")
        s3.create_bucket(Bucket="bench-memory")
        runs = memory.measure(emu.endpoint, s3, "bench-memory", args.memory_sizes)
    for run in runs:
        log(f"  {run.size_bytes / memory.MiB:.0f} MiB: peak {run.peak_rss_mb:.1f} MB")
    return [run.as_dict() for run in runs]


# ---------------------------------------------------------------- report


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def _tool_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            row["tool"],
            f"{row['files_per_s']:.1f}",
            f"{row['ratio_to_fastest_peer']:.2f}x" if "ratio_to_fastest_peer" in row else "-",
            f"{row['seconds']:.1f}",
            f"{row['cpu_seconds']:.1f}",
            f"{row['emulator_cpu_seconds'] / row['files'] * 1000:.1f}",
            f"{row['emulator_busy']:.0%}" if row["emulator_busy"] is not None else "-",
            f"{row['tracking_emulator_cpu_seconds'] / row['files'] * 1000:.1f}"
            if row.get("ours") and "shared" not in row["tool"]
            else "-",
            f"{row['others_cpu_seconds']:.1f}",
            "yes" if row["verified"]["ok"] else "NO",
            row["flags"],
        ]
        for row in rows
    ]


HEADERS = [
    "tool",
    "files/s",
    "vs fastest peer",
    "wall s",
    "tool CPU s",
    "emulator CPU ms/file",
    "emulator busy",
    "DynamoDB emulator CPU ms/file",
    "others' CPU s",
    "verified",
    "concurrency",
]


def _ours_detail(row: dict[str, Any]) -> str:
    chunks = sorted(row["chunk_seconds"])
    median = chunks[len(chunks) // 2] if chunks else 0.0
    return (
        f"ours: {len(chunks)} chunks, median {median:.1f} s per chunk of {ours.CHUNK_SIZE} "
        f"({row['flags'].split(',')[0]} at a time), worker CPU "
        f"{row['cpu_seconds'] / row['files'] * 1000:.1f} ms per file, "
        f"container start-up {row['startup_seconds']:.1f} s (before the clock)"
    )


def report(results: dict[str, Any]) -> str:
    parts = []
    data = results["dataset"]
    parts.append(
        f"{data['files']} objects, {data['bytes'] / 1e6:.0f} MB "
        f"({data['min_bytes']}..{data['max_bytes']} bytes, log-uniform, mean "
        f"{data['mean_bytes'] / 1024:.0f} KiB); {results['machine']['cpus']} CPUs; "
        f"machine speed: a fixed loop took {results['machine']['cpu_loop_ms_start']:.0f} ms "
        f"at the start, {results['machine'].get('cpu_loop_ms_end', 0):.0f} ms at the end"
    )
    if "throughput" in results:
        t = results["throughput"]
        parts.append(
            "\nThroughput, bucket to bucket on the emulator (ours includes tracking writes)"
        )
        parts.append(_table(HEADERS, _tool_rows(t["rows"])))
        if t.get("ratio_to_fastest_peer") is not None:
            parts.append(
                f"ours / fastest peer ({t['fastest_peer']}): {t['ratio_to_fastest_peer']:.2f}x"
                " (target >= 1.0x)"
            )
        parts.append(_ours_detail(t["rows"][0]))
        if cost := t.get("copy_cost"):
            parts.append(
                f"emulator CPU per file ({cost['files']} files, one client): bare "
                f"CopyObject {cost['bare_copy_ms']:.2f} ms, with SHA-256 "
                f"{cost['sha256_copy_ms']:.2f} ms, ours {cost['our_copy_ms']:.2f} ms "
                f"+ {cost['listing_ms_per_file']:.2f} ms of listing; with a client that cost "
                f"nothing, ours could reach {cost['ceiling_ratio']:.2f}x a peer whose bare "
                "copies keep this emulator busy"
            )
        shared = [row for row in t["rows"][1:] if row.get("ours")]
        if shared:
            parts.append(
                "ours, shared emulator: the tracking table on the S3 emulator's one process, "
                "so its DynamoDB work competes with the copies (for comparison only)"
            )
    if "latency" in results:
        lat = results["latency"]
        parts.append(f"\nUnder latency: +{lat['delay_ms']:g} ms per request, {lat['files']} files")
        parts.append(_table(HEADERS, _tool_rows(lat["rows"])))
        seed = lat["seed"]
        parts.append(
            f"seed-style sequential baseline: {seed['files_per_s']:.2f} files/s "
            f"({seed['files']} files, verified: {'yes' if seed['verified']['ok'] else 'NO'})"
        )
        parts.append(f"ours / seed baseline: {lat['ratio_vs_seed']:.1f}x (target >= 20x)")
        parts.append(_ours_detail(lat["rows"][0]))
        if lat.get("ratio_to_fastest_peer") is not None:
            parts.append(
                f"ours / fastest peer ({lat['fastest_peer']}): {lat['ratio_to_fastest_peer']:.2f}x"
            )
        parts.append("requests per file:")
        for tool, ops in lat["requests_per_file"].items():
            parts.append(f"  {tool}: " + ", ".join(f"{op} {n:g}" for op, n in ops.items()))
    if "memory" in results:
        parts.append("\nMemory: one file streamed from HTTP into S3 (peak RSS of the copier)")
        parts.append(
            _table(
                ["file size", "peak RSS MB", "after imports MB", "MB/s", "sha256 + size ok"],
                [
                    [
                        f"{m['size_bytes'] / memory.MiB:.0f} MiB",
                        f"{m['peak_rss_mb']:.1f}",
                        f"{m['after_imports_mb']:.1f}",
                        f"{m['mb_per_s']:.0f}",
                        "yes" if m["sha256_ok"] and m["size_ok"] else "NO",
                    ]
                    for m in results["memory"]
                ],
            )
        )
        parts.append("(target: at most 256 MB, flat as the size doubles)")
    return "\n".join(parts)


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    tools = peers.Tools.find()
    if not args.skip_peers and tools.missing():
        log(f"not installed (see bench/README.md): {', '.join(tools.missing())}")
    tool_versions = peers.versions(tools)
    tool_versions["moto"] = importlib.metadata.version("moto")
    shape = ours.lambda_shape()
    concurrency = args.lambdas * shape.copy_threads
    items = dataset.objects(args.files)
    sizes = [obj.size for obj in items]
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_loop_ms_start": cpu_loop_ms(),
        },
        "versions": tool_versions,
        "config": {
            "lambdas": args.lambdas,
            "copy_threads": shape.copy_threads,
            "lambda_memory_mb": shape.memory_mb,
            "chunk_size": ours.CHUNK_SIZE,
            "peer_concurrency": concurrency,
            "delay_ms": args.delay_ms,
        },
        "dataset": {
            "files": len(items),
            "bytes": sum(sizes),
            "min_bytes": min(sizes),
            "max_bytes": max(sizes),
            "mean_bytes": sum(sizes) / len(sizes),
        },
    }
    if args.only & {"throughput", "latency"}:
        with Emulator() as emu, Emulator() as tables:
            s3 = emu.client("s3")
            side = Side(tables)
            log(
                f"S3 emulator on {emu.endpoint}, DynamoDB emulator on {tables.endpoint}; "
                f"seeding {len(items)} objects"
            )
            dataset.seed_bucket(s3, SOURCE, items)
            s3.create_bucket(Bucket=WORK)
            if "throughput" in args.only:
                results["throughput"] = throughput(
                    emu, s3, side, items, args, tools, tool_versions, concurrency
                )
            if "latency" in args.only:
                results["latency"] = latency(
                    emu, s3, side, items, args, tools, tool_versions, concurrency
                )
    if "memory" in args.only:
        results["memory"] = memory_phase(args)
    results["machine"]["cpu_loop_ms_end"] = cpu_loop_ms()
    results["seconds"] = (datetime.now(UTC) - started).total_seconds()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    print(f"\nresults: bench/results/{path.name} ({results['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
