"""What the emulator spends serving one file's copy, for each tool's request shape.

The fastest peer keeps the emulator's single process fully busy, so its files/s
is the emulator's capacity for its requests. Ours can only match it if our
requests cost the emulator no more per file. This measures, on the same
emulator in the same run, its CPU per request for

- a bare `CopyObject` (source and destination only: what s5cmd and aws s3 cp
  send for each file);
- the same with S3's SHA-256 of the result (`ChecksumAlgorithm`), which the
  issue asks for and which the emulator computes on its own CPU, where S3
  does it for free;
- ours: the same copy with S3's SHA-256 of the result (`ChecksumAlgorithm`),
  our metadata (`MetadataDirective=REPLACE`: record id, source ETag and size,
  Content-Type), `CopySourceIfMatch` and `If-None-Match: *`, which are what make
  the copy verified and safe to rerun,

from one small client, alternating the shapes so drift hits all alike; and our
per-chunk `ListObjectsV2` (`listing.list_sources`) over every file, in chunks
of 250 in the plan's account order as the throughput run has them, spread over
the files. Bare over ours-plus-listing is the best ours could reach
on this emulator with a client that cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.dataset import SourceObject, empty_bucket
from bench.emulator import Emulator
from bench.ours import CHUNK_SIZE, plan_order

THREADS = 32
ROUNDS = 4


def _timed(emu: Emulator, call: Callable[[SourceObject], Any], batch: list[SourceObject]) -> float:
    """Emulator CPU seconds spent on one call per object, made from THREADS threads."""
    before = emu.cpu_seconds()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(call, batch))
    return emu.cpu_seconds() - before


def measure(
    emu: Emulator, s3: Any, source: str, items: list[SourceObject], sample: int = 1000
) -> dict[str, Any]:
    """Emulator CPU ms per file: each copy shape over the first `sample` items, and
    our listing over all of them."""
    listing_ms = _listing_ms(emu, s3, source, items)
    items = items[:sample]
    etags = {
        obj["Key"]: obj["ETag"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=source)
        for obj in page.get("Contents", [])
    }

    def extras(name: str, obj: SourceObject) -> dict[str, Any]:
        """A shape's arguments beyond source and destination."""
        if name == "bare":
            return {}
        if name == "sha256":
            return {"ChecksumAlgorithm": "SHA256"}
        etag = etags[obj.key]
        return {
            "CopySourceIfMatch": etag,
            "IfNoneMatch": "*",
            "ChecksumAlgorithm": "SHA256",
            "MetadataDirective": "REPLACE",
            "Metadata": {
                "revops-record-id": obj.record_id,
                "revops-source-etag": etag.strip('"'),
                "revops-source-size": str(obj.size),
            },
            "ContentType": "application/pdf",
        }

    def shape(name: str) -> Callable[[SourceObject], Any]:
        def copy(obj: SourceObject) -> Any:
            return s3.copy_object(
                Bucket=buckets[name],
                Key=obj.key,
                CopySource={"Bucket": source, "Key": obj.key},
                **extras(name, obj),
            )

        return copy

    buckets = {name: f"bench-ceiling-{name}" for name in ("bare", "sha256", "ours")}
    for bucket in buckets.values():
        s3.create_bucket(Bucket=bucket)
    shapes = {name: shape(name) for name in buckets}
    spent = dict.fromkeys(shapes, 0.0)
    share = max(1, len(items) // ROUNDS)
    for start in range(0, len(items), share):
        batch = items[start : start + share]
        for name, call in shapes.items():
            spent[name] += _timed(emu, call, batch)
    for bucket in buckets.values():
        empty_bucket(s3, bucket)
    ms = {name: seconds / len(items) * 1000 for name, seconds in spent.items()}
    ours_total = ms["ours"] + listing_ms
    return {
        "files": len(items),
        "bare_copy_ms": ms["bare"],
        "sha256_copy_ms": ms["sha256"],
        "our_copy_ms": ms["ours"],
        "listing_ms_per_file": listing_ms,
        "ceiling_ratio": ms["bare"] / ours_total if ours_total else None,
    }


def _listing_ms(emu: Emulator, s3: Any, source: str, items: list[SourceObject]) -> float:
    """Emulator CPU ms per file for our per-chunk listings of `items`, in account order."""
    import local  # noqa: F401  (puts the layer on sys.path)
    from revops.migration.listing import list_sources
    from revops.migration.urls import S3Source

    ordered = plan_order(items)
    before = emu.cpu_seconds()
    for start in range(0, len(ordered), CHUNK_SIZE):
        list_sources(s3, [S3Source(source, o.key) for o in ordered[start : start + CHUNK_SIZE]])
    return (emu.cpu_seconds() - before) / len(ordered) * 1000
