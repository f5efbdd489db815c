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

from bench import ceiling, crt, dataset, memory, ours, peers, seed_baseline
from bench.emulator import Emulator
from bench.latency_proxy import LatencyProxy
from bench.report import report
from bench.runs import (
    SOURCE,
    WORK,
    Side,
    Window,
    bucket_copy,
    ceiling_ratio,
    ratios,
    run_ours,
    run_peer,
    verify,
)

RESULTS = Path(__file__).resolve().parent / "results"


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
        default="throughput,latency,memory,crt",
        help="comma-separated subset of throughput,latency,memory,crt",
    )
    args = parser.parse_args(argv)
    args.files = args.files or (500 if args.quick else 5000)
    args.latency_files = min(args.files, args.latency_files or (500 if args.quick else 2000))
    args.seed_files = min(args.latency_files, args.seed_files or (50 if args.quick else 200))
    sizes = args.memory_mb or ("64,128,256" if args.quick else "512,1024,2048")
    args.memory_sizes = [int(float(s) * memory.MiB) for s in sizes.split(",") if s.strip()]
    args.only = {part.strip() for part in args.only.split(",") if part.strip()}
    return args


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
        for name in peers.PEERS:
            if getattr(tools, peers.tool_of(name)) is None:
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
    result = {"rows": rows, "copy_cost": cost} | ratios(rows)
    result["ratio_to_ceiling"] = ceiling_ratio(rows[0], cost)
    return result


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
        window = Window(emu, proxy, side)
        seed = seed_baseline.copy_sequentially(proxied, SOURCE, seed_dest, seed_items)
        seed_usage = window.close(0.0)
        requests_per_file["seed baseline"] = _per_file(proxy.counts(), len(seed_items))
        seed_check = verify(s3, seed_dest, (len(seed_items), sum(o.size for o in seed_items)))
        dataset.empty_bucket(s3, seed_dest)
        result["seed"] = seed.as_dict() | {"verified": seed_check} | seed_usage
        log(f"  {seed.files_per_s:.2f} files/s")

        if not args.skip_peers:
            source = SOURCE
            if len(subset) < len(items):
                source = "bench-source-latency"
                bucket_copy(s3, subset, source)
            for name in peers.PEERS:
                if getattr(tools, peers.tool_of(name)) is None:
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
    result |= ratios(rows)
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
    if args.only & {"throughput", "latency", "crt"}:
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
            if "crt" in args.only:
                log("crt: client CPU per file of botocore, s3transfer and the CRT (1,000 files)")
                results["crt"] = crt.measure_ways(emu, SOURCE, [o.key for o in items[:1000]])
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
