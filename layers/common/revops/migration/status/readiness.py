"""Whether phase 2 may start, and what stands in the way, in sentences."""

from __future__ import annotations

from collections.abc import Iterable

from revops.migration.remedies import describe_kinds, plural
from revops.migration.status.counts import FileCounts, error_summary, file_counts, run_row
from revops.migration.status.models import (
    COMPLETED,
    DEFAULT_MAX_UNRESOLVED_RATIO,
    ErrorSummary,
    Readiness,
)
from revops.store.migration import MigrationStore, RunItem


def _is_backup(run: RunItem) -> bool:
    return run.run_type.startswith("backup") and "dry_run" not in run.run_type


def assess_readiness(
    counts: FileCounts,
    errors: ErrorSummary,
    retained_runs: Iterable[RunItem],
    *,
    max_unresolved_ratio: float = DEFAULT_MAX_UNRESOLVED_RATIO,
    retention_days: int | None = None,
) -> Readiness:
    """Phase 2 readiness from counts already gathered (see `readiness`)."""
    running: list[RunItem] = []
    last_backup: RunItem | None = None
    for run in retained_runs:  # newest first
        if run.status == "running":
            running.append(run)
        elif last_backup is None and run.status in COMPLETED and _is_backup(run):
            last_backup = run

    total = counts.total
    unresolved = errors.unresolved_records
    ratio = unresolved / total if total else (1.0 if unresolved else 0.0)
    reasons: list[str] = []
    if last_backup is None:
        kept = f" in the last {retention_days} days" if retention_days else ""
        reasons.append(f"No backup run has completed{kept}: run a full backup before phase 2.")
    if total == 0:
        reasons.append("No files are tracked yet, so there is nothing to migrate.")
    by_type = {row.error_type: row.unresolved for row in errors.by_type if row.unresolved}
    if ratio > max_unresolved_ratio:
        parts = []
        if errors.failed_files:
            parts.append(f"{plural(errors.failed_files, 'tracked file')} failed to back up")
        if errors.untracked_records:
            parts.append(f"{plural(errors.untracked_records, 'record')} with errors never tracked")
        reasons.append(
            f"{plural(unresolved, 'record')} without a backup ({'; '.join(parts)}): "
            f"{100 * ratio:.2f}% of {plural(total, 'tracked file')}, above the "
            f"{100 * max_unresolved_ratio:.2f}% allowed (maxUnresolvedRatio "
            f"{max_unresolved_ratio:g}). "
            + " ".join(describe_kinds(by_type, errors.unresolved_sample))
            + " Or start the cutover with a higher maxUnresolvedRatio: records without a "
            "backup keep their original URLs."
        )
    if running:
        names = ", ".join(
            f"{run.run_id} ({run.run_type}, started {run.start_time})" for run in running
        )
        if len(running) == 1:
            reasons.append(f"A run is still running: {names}. Wait for it to finish.")
        else:
            reasons.append(
                f"{len(running)} runs are still running: {names}. Wait for them to finish."
            )

    return Readiness(
        ready=not reasons,
        reasons=reasons,
        total_files=total,
        backup_only=counts.backup_only,
        fully_migrated=counts.migrated,
        failed_files=errors.failed_files,
        untracked_records=errors.untracked_records,
        unresolved_records=unresolved,
        unresolved_ratio=round(ratio, 6),
        max_unresolved_ratio=max_unresolved_ratio,
        excluded_records=counts.excluded,
        unresolved_by_type=by_type,
        unresolved_sample=errors.unresolved_sample,
        running_runs=[run.run_id for run in running],
        last_completed_backup=run_row(last_backup) if last_backup else None,
    )


def _retention_days(store: MigrationStore) -> int:
    return store.retention_seconds // 86400


def readiness(
    store: MigrationStore, *, max_unresolved_ratio: float = DEFAULT_MAX_UNRESOLVED_RATIO
) -> Readiness:
    """Whether phase 2 may start (`--readiness`); the cutover workflow asks the same.

    Not ready while no non-dry-run backup has completed (among retained runs),
    while nothing is tracked, while records without a backup (failed files plus
    records the plan never tracked) exceed `max_unresolved_ratio` of tracked
    files, or while any run is still `running`.
    """
    return assess_readiness(
        file_counts(store),
        error_summary(store),
        store.all_runs(),
        max_unresolved_ratio=max_unresolved_ratio,
        retention_days=_retention_days(store),
    )
