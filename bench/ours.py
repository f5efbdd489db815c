"""Our copy worker, run the way the FileBackup workflow runs it.

The real CopyFilesFunction handler (`functions/copy_files/app.py`, which calls
`backup.copy_chunk` with the real `FileCopier` and `MigrationStore`) is invoked
once per chunk file of `chunkSize` rows, written by the plan's own
`ChunkWriter`. A pool of worker processes plays the Distributed Map's
concurrent Lambdas: each process is one warm container (its own S3 and
DynamoDB clients, `COPY_THREADS` copy threads from template.yaml) and takes the
next chunk as soon as it is done, as `MaxConcurrency` does. Every copied file
writes its tracking item to a table built from template.yaml's TrackingTable
(on a DynamoDB emulator of its own, or on the S3 emulator's process), and each
chunk writes its chunk item: the measured time includes all of it.

Every SDK call reaches the emulator through `AWS_ENDPOINT_URL`, so the
handler's own clients (`transfer.s3_client`, PynamoDB, `DocumentStore`) are
used unchanged.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.dataset import SourceObject

REPO_ROOT = Path(__file__).resolve().parent.parent
CODE_URI = "functions/copy_files/"
FUNCTION = "CopyFilesFunction"
CHUNK_SIZE = 250  # the template's default chunkSize (MigrationSettings.chunk_size)


@dataclass(frozen=True)
class LambdaShape:
    memory_mb: int
    timeout_s: int
    copy_threads: int


def lambda_shape() -> LambdaShape:
    """CopyFilesFunction's memory, timeout and COPY_THREADS, from template.yaml."""
    import local  # noqa: F401  (puts the layer on sys.path)
    from local.template import function_setting, load_template

    template = load_template()
    resource = template["Resources"][FUNCTION]
    variables = resource["Properties"].get("Environment", {}).get("Variables", {})
    return LambdaShape(
        memory_mb=int(function_setting(template, resource, "MemorySize")),
        timeout_s=int(function_setting(template, resource, "Timeout")),
        copy_threads=int(variables.get("COPY_THREADS", 32)),
    )


def create_tracking_table(ddb: Any, name: str) -> None:
    """The TrackingTable exactly as template.yaml declares it."""
    from local.stack import create_table
    from local.template import load_template, resources_of_type

    tables = resources_of_type(load_template(), "AWS::DynamoDB::Table")
    create_table(ddb, name, tables["TrackingTable"]["Properties"])


def source_url(bucket: str, key: str) -> str:
    """The URL form Salesforce holds: virtual-hosted S3 (parsed to an S3 source)."""
    return f"https://{bucket}.s3.amazonaws.com/{key}"


def plan_order(items: Iterable[SourceObject]) -> list[SourceObject]:
    """Items in the order the plan writes chunk rows: by account, then record."""
    return sorted(items, key=lambda o: (o.account_id, o.record_id))


def write_chunks(
    s3: Any,
    work_bucket: str,
    source_bucket: str,
    items: Sequence[SourceObject],
    prefix: str,
    chunk_size: int = CHUNK_SIZE,
) -> list[Any]:
    """Chunk files as the plan writes them (its ChunkWriter, rows in the plan's
    account order); returns the ChunkRefs."""
    import local  # noqa: F401
    from revops.integrations.objects import DocumentStore
    from revops.migration import naming
    from revops.migration.models import ChunkRow
    from revops.migration.plan import ChunkWriter, seen_counted

    writer = ChunkWriter(DocumentStore(work_bucket, s3), prefix, chunk_size)
    for obj in plan_order(items):
        writer.add(
            ChunkRow(
                id=obj.record_id,
                url=source_url(source_bucket, obj.key),
                account_id=obj.account_id,
                account_name=obj.account_name,
                file_name=obj.file_name,
                dest_key=naming.plain_key(obj.account_id, obj.account_name, obj.file_name),
                size=obj.size,
                last_modified="2024-05-01T12:00:00.000Z",
                system_modstamp="2024-05-01T12:00:00.000Z",
                reason="new",
                # a first run: the plan knows nothing is tracked, so the worker's
                # tracking writes read nothing first (conditional on no item)
                counted=seen_counted(None),
            )
        )
    writer.flush()
    return writer.refs


# ------------------------------------------------------------ worker processes

_handler: Any = None
_shape: LambdaShape | None = None
_cpu_ready = 0.0


def _start_container(env: dict[str, str], shape: LambdaShape, barrier: Any) -> None:
    """Initialise one 'Lambda container': its environment and the handler's imports."""
    global _handler, _shape, _cpu_ready
    os.environ.update(env)
    import local  # noqa: F401
    from local.moto_patches import load_handler

    _handler = load_handler(CODE_URI, "app.lambda_handler")
    _shape = shape
    _cpu_ready = time.process_time()
    barrier.wait(timeout=120)


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from local.moto_patches import LambdaContext

    assert _shape is not None
    context = LambdaContext(
        "revops-bench-copy-files",
        "arn:aws:lambda:us-east-1:123456789012:function:revops-bench-copy-files",
        _shape.memory_mb,
        _shape.timeout_s,
    )
    began = time.perf_counter()
    result: dict[str, Any] = _handler(event, context)
    return result | {
        "pid": os.getpid(),
        "cpu": time.process_time() - _cpu_ready,
        "chunk_seconds": time.perf_counter() - began,
    }


@dataclass
class OursRun:
    files: int
    chunks: int
    lambdas: int
    threads: int
    seconds: float  # from the first chunk handed out to the last one done (warm containers)
    startup_seconds: float  # starting the containers (imports), before the clock
    cpu_seconds: float  # CPU used by the worker processes while copying
    machine_cpu_seconds: float  # CPU used on the whole machine while copying
    counts: dict[str, int] = field(default_factory=dict)
    chunk_seconds: list[float] = field(default_factory=list)  # each invocation, in finishing order

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"files_per_s": self.files_per_s}


def run_chunks(
    endpoint: str,
    *,
    run_id: str,
    work_bucket: str,
    dest_bucket: str,
    table: str,
    chunk_refs: Sequence[Any],
    lambdas: int,
    threads: int | None = None,
    dynamodb_endpoint: str | None = None,
) -> OursRun:
    """Copy every chunk with `lambdas` worker processes; returns the timing.

    `endpoint` serves every AWS call, except DynamoDB's when `dynamodb_endpoint`
    is given (the tracking table on its own emulator, as DynamoDB is its own
    service in AWS).
    """
    from bench.emulator import aws_env, machine_cpu_seconds

    shape = lambda_shape()
    if threads is not None:
        shape = LambdaShape(shape.memory_mb, shape.timeout_s, threads)
    env = aws_env(endpoint) | {
        "TRACKING_TABLE": table,
        "WORK_BUCKET": work_bucket,
        "BACKUP_BUCKET": dest_bucket,
        "COPY_THREADS": str(shape.copy_threads),
        "POWERTOOLS_SERVICE_NAME": "revops",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    if dynamodb_endpoint:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    events = [
        {
            "runId": run_id,
            "bucket": work_bucket,
            "destBucket": dest_bucket,
            "maxFileSizeMb": 5120,
            "chunk": ref.model_dump(by_alias=True),
        }
        for ref in chunk_refs
    ]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(lambdas + 1)
    started = time.perf_counter()
    with ctx.Pool(lambdas, initializer=_start_container, initargs=(env, shape, barrier)) as pool:
        barrier.wait(timeout=120)
        ready = time.perf_counter()
        machine_ready = machine_cpu_seconds()
        cpu_at: dict[int, float] = {}
        totals: dict[str, int] = {}
        chunk_seconds: list[float] = []
        for result in pool.imap_unordered(_invoke, events):
            cpu_at[result.pop("pid")] = result.pop("cpu")
            chunk_seconds.append(round(result.pop("chunk_seconds"), 3))
            result.pop("index", None)
            for key, value in result.items():
                totals[key] = totals.get(key, 0) + int(value)
        done = time.perf_counter()
        machine = machine_cpu_seconds() - machine_ready
        pool.close()
    files = sum(ref.files for ref in chunk_refs)
    return OursRun(
        files=files,
        chunks=len(chunk_refs),
        lambdas=lambdas,
        threads=shape.copy_threads,
        seconds=done - ready,
        startup_seconds=ready - started,
        cpu_seconds=sum(cpu_at.values()),
        machine_cpu_seconds=machine,
        counts=totals,
        chunk_seconds=chunk_seconds,
    )


def tracked_files(ddb: Any, table: str, run_id: str) -> tuple[int, int]:
    """(file items written by `run_id` as backed_up, chunk items of the run)."""
    files = 0
    for page in ddb.get_paginator("scan").paginate(
        TableName=table,
        Select="COUNT",
        FilterExpression="begins_with(pk, :file) AND last_run_id = :run AND #s = :ok",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":file": {"S": "FILE#"},
            ":run": {"S": run_id},
            ":ok": {"S": "backed_up"},
        },
    ):
        files += int(page["Count"])
    chunks = ddb.query(
        TableName=table,
        Select="COUNT",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :chunk)",
        ExpressionAttributeValues={":pk": {"S": f"RUN#{run_id}"}, ":chunk": {"S": "CHUNK#"}},
    )["Count"]
    return files, int(chunks)
