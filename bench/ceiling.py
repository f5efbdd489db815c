"""What the emulator spends serving one file's copy, for each tool's request shape.

The fastest peer keeps the emulator's single process fully busy, so its files/s
is the emulator's capacity for its requests. Ours can only match it if our
requests cost the emulator no more per file. This measures, on the same
emulator in the same run, its CPU per request for

- a bare `CopyObject` (source and destination only: what s5cmd and aws s3 cp
  send for each file), and
- ours: the same copy with S3's SHA-256 of the result (`ChecksumAlgorithm`),
  our metadata (`MetadataDirective=REPLACE`: record id, source ETag and size,
  Content-Type), `CopySourceIfMatch` and `If-None-Match: *`, which are what make
  the copy verified and safe to rerun,

from one small client, alternating the two shapes so drift hits both alike.
The ratio of the two is the best ours could reach on this emulator with a
client that cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.dataset import SourceObject, empty_bucket
from bench.emulator import Emulator

THREADS = 32
ROUNDS = 4


def _timed(emu: Emulator, call: Callable[[SourceObject], Any], batch: list[SourceObject]) -> float:
    """Emulator CPU seconds spent on one call per object, made from THREADS threads."""
    before = emu.cpu_seconds()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(call, batch))
    return emu.cpu_seconds() - before


def measure(emu: Emulator, s3: Any, source: str, items: list[SourceObject]) -> dict[str, Any]:
    """Emulator CPU ms per copy, bare and ours, over `items` (each copied once per shape)."""
    etags = {
        obj["Key"]: obj["ETag"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=source)
        for obj in page.get("Contents", [])
    }
    buckets = {"bare": "bench-ceiling-bare", "ours": "bench-ceiling-ours"}
    for bucket in buckets.values():
        s3.create_bucket(Bucket=bucket)

    def bare(obj: SourceObject) -> Any:
        return s3.copy_object(
            Bucket=buckets["bare"], Key=obj.key, CopySource={"Bucket": source, "Key": obj.key}
        )

    def ours(obj: SourceObject) -> Any:
        return s3.copy_object(
            Bucket=buckets["ours"],
            Key=obj.key,
            CopySource={"Bucket": source, "Key": obj.key},
            CopySourceIfMatch=etags[obj.key],
            IfNoneMatch="*",
            ChecksumAlgorithm="SHA256",
            MetadataDirective="REPLACE",
            Metadata={
                "revops-record-id": obj.record_id,
                "revops-source-etag": etags[obj.key].strip('"'),
                "revops-source-size": str(obj.size),
            },
            ContentType="application/pdf",
        )

    spent = {"bare": 0.0, "ours": 0.0}
    share = max(1, len(items) // ROUNDS)
    for start in range(0, len(items), share):
        batch = items[start : start + share]
        for name, call in (("bare", bare), ("ours", ours)):
            spent[name] += _timed(emu, call, batch)
    for bucket in buckets.values():
        empty_bucket(s3, bucket)
    bare_ms = spent["bare"] / len(items) * 1000
    ours_ms = spent["ours"] / len(items) * 1000
    return {
        "files": len(items),
        "bare_copy_ms": bare_ms,
        "our_copy_ms": ours_ms,
        "ceiling_ratio": bare_ms / ours_ms if ours_ms else None,
    }
