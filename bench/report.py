"""The tables `python -m bench` prints from its results."""

from __future__ import annotations

from typing import Any

from bench import memory, ours


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
        if t.get("ratio_to_equal_work") is not None:
            parts.append(
                f"ours / the peer doing our work ({t['equal_work_peer']}): "
                f"{t['ratio_to_equal_work']:.2f}x (target >= 1.0x)"
            )
        if t.get("ratio_to_ceiling") is not None:
            parts.append(
                f"ours / the emulator's ceiling for our request shape: "
                f"{t['ratio_to_ceiling']:.2f}x (target >= 0.9x)"
            )
        if t.get("ratio_to_fastest_peer") is not None:
            parts.append(
                f"ours / fastest peer ({t['fastest_peer']}): {t['ratio_to_fastest_peer']:.2f}x"
            )
        parts.append(
            "client CPU per file: "
            + ", ".join(
                f"{row['tool']} {row['cpu_ms_per_file']:.2f} ms"
                for row in t["rows"]
                if row.get("cpu_ms_per_file") is not None
            )
            + " (target: ours at most the peer doing our work's, then toward a bare "
            "botocore CopyObject's)"
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
    if "crt" in results:
        ways = results["crt"].get("ways") or {}
        parts.append(
            "\nClient CPU per file, one process of 32 threads, 1,000 copies each (bench.crt)"
        )
        parts.append(
            _table(
                ["way", "client CPU ms/file", "emulator CPU ms/file", "files/s"],
                [
                    [
                        name,
                        f"{row['cpuMsPerFile']:.2f}"
                        if "cpuMsPerFile" in row
                        else row.get("error", "-"),
                        f"{row.get('emulatorCpuMsPerFile', 0):.2f}",
                        f"{row['files'] / row['seconds']:.0f}" if row.get("seconds") else "-",
                    ]
                    for name, row in ways.items()
                ],
            )
            if ways
            else str(results["crt"])
        )
        for note in results["crt"].get("notes") or []:
            parts.append("  " + "; ".join(f"{k}: {v}" for k, v in note.items()))
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
