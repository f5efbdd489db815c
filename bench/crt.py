"""Client CPU per copied file: botocore, s3transfer and the AWS Common Runtime.

Runs in an environment of its own (`.venv-crt`, bench/requirements-crt.txt:
the project's boto3 plus awscrt) against an emulator the caller started, and
reports, for each way of asking for a bucket-to-bucket copy, the CPU this
process spent per file (all its threads, the CRT's native ones included):

- `copy_object`: a bare botocore `CopyObject` (source and destination only);
- `copy_object, ours`: the request our copy worker sends (SHA-256 of the
  result, our metadata, `CopySourceIfMatch`, `If-None-Match: *`);
- `s3transfer`: boto3's managed copy (`client.copy`), classic transfer manager:
  a `HeadObject` of the source, then `CopyObject`;
- `s3transfer, CRT`: the same through s3transfer's `CRTTransferManager`, whose
  requests are built, signed and sent by the CRT's native S3 client. In
  s3transfer 0.19 that manager uploads and downloads but does not copy, so this
  way is reported as unavailable (`notes`) rather than measured.

    .venv-crt/bin/python -m bench.crt --endpoint http://127.0.0.1:PORT \\
        --bucket SRC --keys-file keys.txt --threads 32

Run by `python -m bench` (the `crt` phase), which starts the emulator, seeds
the objects and reads the emulator's CPU around each way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

REGION = "us-east-1"


def _client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=64, retries={"mode": "standard", "max_attempts": 5}),
    )


def ways(s3: Any, source: str, etags: dict[str, str]) -> dict[str, Callable[[str, str], Any]]:
    """Each way of copying `key` from `source` into bucket `dest`."""

    def bare(key: str, dest: str) -> Any:
        return s3.copy_object(Bucket=dest, Key=key, CopySource={"Bucket": source, "Key": key})

    def ours(key: str, dest: str) -> Any:
        etag = etags[key]
        return s3.copy_object(
            Bucket=dest,
            Key=key,
            CopySource={"Bucket": source, "Key": key},
            CopySourceIfMatch=etag,
            IfNoneMatch="*",
            ChecksumAlgorithm="SHA256",
            MetadataDirective="REPLACE",
            Metadata={
                "revops-record-id": key[-18:],
                "revops-source-etag": etag.strip('"'),
                "revops-source-size": "1",
            },
            ContentType="application/pdf",
        )

    def managed(key: str, dest: str) -> Any:
        return s3.copy({"Bucket": source, "Key": key}, dest, key)

    return {"copy_object": bare, "copy_object, ours": ours, "s3transfer": managed}


def crt_copier(endpoint: str, source: str) -> tuple[Any, Callable[[str, str], Any]]:
    """s3transfer's CRT transfer manager and a copy through it."""
    import boto3
    from boto3.s3.transfer import TransferConfig, create_transfer_manager

    s3 = _client(endpoint)
    manager = create_transfer_manager(
        s3, TransferConfig(preferred_transfer_client="crt", max_concurrency=32)
    )
    if type(manager).__name__ != "CRTTransferManager":
        raise RuntimeError(f"boto3 {boto3.__version__} chose {type(manager).__name__}, not CRT")
    if not hasattr(manager, "copy"):
        # s3transfer's CRT manager uploads and downloads only: a bucket-to-bucket
        # copy would mean building and signing CopyObject by hand on awscrt's
        # S3Client, which is writing an S3 client of our own.
        manager.shutdown()
        raise RuntimeError(
            "s3transfer's CRTTransferManager has no copy (uploads and downloads only)"
        )

    def copy(key: str, dest: str) -> Any:
        return manager.copy({"Bucket": source, "Key": key}, dest, key).result()

    return manager, copy


def measure(
    copy: Callable[[str, str], Any], keys: list[str], dest: str, threads: int
) -> dict[str, float]:
    cpu, began = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda key: copy(key, dest), keys))
    seconds = time.perf_counter() - began
    return {
        "files": len(keys),
        "seconds": seconds,
        "cpuMsPerFile": (time.process_time() - cpu) / len(keys) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--keys-file", required=True)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--way", action="append", help="only these ways (repeatable)")
    args = parser.parse_args(argv)
    with open(args.keys_file) as fh:
        keys = [line for line in fh.read().splitlines() if line]
    s3 = _client(args.endpoint)
    etags = {
        item["Key"]: item["ETag"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket)
        for item in page.get("Contents", [])
    }
    copies = ways(s3, args.bucket, etags)
    manager = None
    try:
        manager, copies["s3transfer, CRT"] = crt_copier(args.endpoint, args.bucket)
    except Exception as exc:  # reported, not fatal: the others still measure
        print(json.dumps({"crtUnavailable": f"{type(exc).__name__}: {exc}"}), file=sys.stderr)
    results: dict[str, Any] = {}
    for name, copy in copies.items():
        if args.way and name not in args.way:
            continue
        dest = "bench-crt-" + "".join(c if c.isalnum() else "-" for c in name).strip("-").lower()
        s3.create_bucket(Bucket=dest)
        print(json.dumps({"starting": name, "dest": dest}), file=sys.stderr, flush=True)
        try:
            results[name] = measure(copy, keys, dest, args.threads) | {"dest": dest}
        except Exception as exc:
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "dest": dest}
        print(json.dumps({"done": name}), file=sys.stderr, flush=True)
    if manager is not None:
        manager.shutdown()
    print(json.dumps(results))
    return 0


# ------------------------------------------------------------------ the caller's side


CRT_PYTHON = ".venv-crt/bin/python"


def measure_ways(emu: Any, source: str, keys: list[str], threads: int = 32) -> dict[str, Any]:
    """Run this module in `.venv-crt` against `emu`; add the emulator's CPU per file."""
    import subprocess
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    python = root / CRT_PYTHON
    if not python.exists():
        return {"skipped": f"{CRT_PYTHON} not found (see bench/requirements-crt.txt)"}
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(keys))
    command = [str(python), "-m", "bench.crt", "--endpoint", emu.endpoint, "--bucket", source]
    command += ["--keys-file", listing.name, "--threads", str(threads)]
    emulator: dict[str, float] = {}
    notes: list[dict[str, Any]] = []
    with subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        assert child.stderr is not None and child.stdout is not None
        began = 0.0
        for line in child.stderr:
            try:
                note = json.loads(line)
            except ValueError:
                continue
            if "starting" in note:
                began = emu.cpu_seconds()
            elif "done" in note:
                emulator[note["done"]] = emu.cpu_seconds() - began
            else:
                notes.append(note)
        output = child.stdout.read()
    Path(listing.name).unlink(missing_ok=True)
    results: dict[str, Any] = json.loads(output.strip().splitlines()[-1]) if output else {}
    for name, row in results.items():
        if name in emulator and row.get("files"):
            row["emulatorCpuMsPerFile"] = emulator[name] / row["files"] * 1000
    return {"ways": results, "notes": notes}


if __name__ == "__main__":
    raise SystemExit(main())
