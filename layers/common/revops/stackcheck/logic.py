"""StackCheck logic: plan, probe, summarize. Takes and returns models."""

from __future__ import annotations

import itertools
from typing import Any, Protocol

from botocore.exceptions import ClientError

from revops.errors import ConfigurationError, UpstreamThrottledError
from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration.models import DocMapping
from revops.migration.plan import check_mapping
from revops.migration.urls import HttpSource, InvalidSourceUrlError, parse_source_url
from revops.stackcheck.models import (
    ChunkRef,
    ChunkReport,
    Plan,
    PlanRequest,
    ProbeRequest,
    Summary,
    SummaryRequest,
)
from revops.store.stackcheck import CheckResults

_THROTTLE_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "503"}


class SourceBucketUnavailableError(ConfigurationError):
    """The external source bucket does not exist or we may not read it."""


class ChunkRecord(Protocol):
    status: str
    report: Any
    error: str | None
    cause: str | None


def _prefix(run_id: str) -> str:
    return f"stackcheck/{run_id}"


def plan(
    request: PlanRequest,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    mapping: DocMapping,
) -> Plan:
    """Read every record page by page and write it out as chunk files plus a manifest."""
    mapping = mapping.resolved()
    check_mapping(gateway, mapping)
    fields = ["Id", mapping.url_field, mapping.account_field]
    soql = f"SELECT {', '.join(fields)} FROM {mapping.sobject} ORDER BY Id"
    if request.max_records:
        soql += f" LIMIT {request.max_records}"
    records = gateway.query(soql)
    prefix = _prefix(request.run_id)
    refs: list[ChunkRef] = []
    total = 0
    for index, batch in enumerate(itertools.batched(records, request.chunk_size, strict=False)):
        rows = [
            {
                "id": r["Id"],
                "url": r.get(mapping.url_field),
                "accountId": r.get(mapping.account_field),
            }
            for r in batch
        ]
        key = documents.put_json(f"{prefix}/chunks/chunk-{index:05d}.json", rows)
        refs.append(ChunkRef(index=index, key=key, records=len(rows)))
        total += len(rows)
    manifest_key = documents.put_json(f"{prefix}/manifest.json", [ref.model_dump() for ref in refs])
    usage = gateway.api_usage
    return Plan(
        run_id=request.run_id,
        api_usage={"used": usage.used, "limit": usage.limit} if usage else None,
        bucket=documents.bucket,
        manifest_key=manifest_key,
        chunks=len(refs),
        records=total,
    )


def _head(s3: Any, bucket: str, key: str) -> int | None:
    """Size of an S3 object, or None when it does not exist."""
    try:
        return int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code"))
        if code in ("404", "NoSuchKey", "NotFound"):
            return None
        if code in _THROTTLE_CODES:
            raise UpstreamThrottledError(f"S3 throttled HEAD s3://{bucket}/{key}") from exc
        raise


def probe(
    request: ProbeRequest,
    documents: DocumentStore,
    source_s3: Any,
    source_bucket: str,
    results: CheckResults,
) -> ChunkReport:
    """Classify and HEAD every file of one chunk, then record the chunk's report."""
    try:
        source_s3.head_bucket(Bucket=source_bucket)
    except ClientError as exc:
        raise SourceBucketUnavailableError(f"source bucket {source_bucket!r}: {exc}") from exc
    rows = documents.get_json(request.chunk.key)
    report = ChunkReport(run_id=request.run_id, index=request.chunk.index, records=len(rows))
    for row in rows:
        if not row.get("accountId"):
            report.no_account += 1
        try:
            source = parse_source_url(row.get("url"))
        except InvalidSourceUrlError:
            report.invalid_url += 1
            continue
        if isinstance(source, HttpSource):
            report.http_sources += 1
            continue
        report.s3_sources += 1
        size = _head(source_s3, source.bucket, source.key)
        if size is None:
            report.missing += 1
        else:
            report.reachable += 1
            report.bytes += size
    results.record(report)
    return report


def summarize(
    request: SummaryRequest,
    documents: DocumentStore,
    results: CheckResults,
) -> Summary:
    counts = dict.fromkeys(
        (
            "records",
            "s3_sources",
            "http_sources",
            "reachable",
            "missing",
            "invalid_url",
            "no_account",
            "bytes",
        ),
        0,
    )
    failures: list[dict[str, str]] = []
    items = results.for_run(request.run_id)
    for item in items:
        if item.status == "ok" and item.report:
            for name in counts:
                counts[name] += int(item.report.get(name, 0))
        else:
            failures.append(
                {"chunk": item.sk, "error": item.error or "", "cause": (item.cause or "")[:500]}
            )
    summary_key = f"{_prefix(request.run_id)}/summary.json"
    summary = Summary(
        run_id=request.run_id,
        chunks=len(items),
        failed_chunks=len(failures),
        failures=failures,
        api_usage=request.api_usage,
        summary_key=summary_key,
        velocity=request.velocity,
        healthy=not failures
        and counts["missing"] == 0
        and counts["invalid_url"] == 0
        and (request.velocity or {}).get("healthy", True) is not False,
        **counts,
    )
    documents.put_json(summary_key, summary.model_dump(by_alias=True))
    return summary
