"""Validating what was written, and closing the run with its summary."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from revops.errors import InvalidInputError, failure_message
from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import naming
from revops.migration.cutover.reads import current_urls, read_groups
from revops.migration.cutover.start import refusal_message
from revops.migration.cutover.update import _object_exists
from revops.migration.link_mode import OurLinks, check_links
from revops.migration.models import (
    DocMapping,
    FinishPhaseTwoRequest,
    PhaseTwoPlan,
    UpdateCounts,
    UrlChange,
)
from revops.observability import logger
from revops.store.migration import MigrationStore, now_iso


def validate(
    plan: PhaseTwoPlan,
    documents: DocumentStore,
    gateway: SalesforceGateway,
    store: MigrationStore,
    mapping: DocMapping,
    s3: Any,
    backup_bucket: str,
    links: OurLinks | None = None,
) -> dict[str, Any]:
    """Re-read every planned record and confirm it holds the new URL; HEAD our objects.

    With `links`, a cutover's every written link must also lead (through the
    record it names) to an object of exactly the tracked size.
    """
    mapping = mapping.resolved()
    changes: list[UrlChange] = []
    holding = 0
    mismatched: list[dict[str, Any]] = []
    for group in read_groups(plan.batches):
        chunk = [
            UrlChange.model_validate(r)
            for batch in group.batches
            for r in documents.get_json(batch.key)
        ]
        changes += chunk
        current = current_urls(gateway, mapping, [c.id for c in chunk], group.span)
        for change in chunk:
            if current.get(change.id) == change.to:
                holding += 1
            elif len(mismatched) < 50:
                mismatched.append(
                    {"id": change.id, "expected": change.to, "actual": current.get(change.id)}
                )
    missing: list[str] = []
    links_report: dict[str, Any] = {}
    if plan.direction == "cutover" and links is not None:
        missing, links_report = check_links(changes, store, s3, backup_bucket, links)
    elif plan.direction == "cutover":
        keys = [c.key for c in changes if c.key]
        with ThreadPoolExecutor(max_workers=16) as pool:
            exists = list(pool.map(lambda k: _object_exists(s3, backup_bucket, k), keys))
        missing = [k for k, ok in zip(keys, exists, strict=True) if not ok]
    report = {
        "checked": len(changes),
        "holdingNewUrl": holding,
        "notHoldingNewUrl": len(changes) - holding,
        "mismatchSample": mismatched,
        "missingObjects": len(missing),
        "missingObjectSample": missing[:50],
        **links_report,
    }
    store.record_validation(plan.run_id, report)
    return report


def finish_run(
    request: FinishPhaseTwoRequest, documents: DocumentStore, store: MigrationStore
) -> dict[str, Any]:
    run = store.run(request.run_id)
    if run is None:
        raise InvalidInputError(f"unknown run {request.run_id}")
    totals = UpdateCounts()
    failed_batches = 0
    for chunk in store.chunks(request.run_id):
        if chunk.status != "ok" or not chunk.counts:
            failed_batches += 1
            continue
        for name, info in UpdateCounts.model_fields.items():
            value = int(chunk.counts.get(info.alias or name, 0))
            setattr(totals, name, getattr(totals, name) + value)
    plan = run.plan or {}
    plan_counts = plan.get("counts", {})
    validation = run.validation or {}
    if request.error:
        status = "failed"
        run.error_message = failure_message(request.error)
        logger.error("run failed", run_id=request.run_id, error=request.error)
    elif (
        totals.failed
        or failed_batches
        or totals.missing_objects
        or totals.conflicts
        or plan_counts.get("conflicts")
        or validation.get("notHoldingNewUrl")
        or plan.get("refusal")
        or validation.get("sizeMismatches")
        or validation.get("unresolvedLinks")
    ):
        status = "completed_with_errors"
    else:
        status = "completed"
    run.status = status
    run.end_time = now_iso()
    run.total_files_processed = totals.attempted
    run.successful_files = totals.updated
    run.failed_files = totals.failed + totals.missing_objects
    run.skipped_files = int(plan_counts.get("alreadyDone", 0))
    store.save_run(run)
    summary_key = f"{run.run_type.split('_')[0]}/{run.run_id}/summary.json"
    summary: dict[str, Any] = {
        "runId": run.run_id,
        "runType": run.run_type,
        "status": status,
        "startTime": run.start_time,
        "endTime": run.end_time,
        "plan": plan,
        "updates": totals.model_dump(by_alias=True),
        "failedBatches": failed_batches,
        "validation": validation,
        "errorMessage": run.error_message,
        "summaryKey": summary_key,
    }
    if plan.get("refusal"):
        # A dry run: what the live run would refuse, in the words it would use.
        summary["wouldRefuse"] = refusal_message(plan["refusal"])
    documents.put_json(summary_key, summary)
    return summary


def our_url_prefix(bucket: str, region: str, base_url: str | None) -> str:
    return naming.object_url(bucket, "", region, base_url)
