"""Writing a plan to S3 (changes, rollback export, conflicts, batch files) and marking tracking."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import COLLECTION_LIMIT
from revops.migration.models import (
    BatchRef,
    PhaseTwoConfig,
    PhaseTwoCounts,
    PhaseTwoPlan,
    UrlChange,
)
from revops.store.migration import FileItem, MigrationStore, now_iso

BULK_BATCH_SIZE = 10_000


READ_BATCH_SIZE = 2_000  # Ids per `WHERE Id IN (...)` query: one 2,000-record page


@dataclass
class PlanWriter:
    """Streams a plan to S3: change list, rollback export, conflicts, batch files."""

    documents: DocumentStore
    config: PhaseTwoConfig
    batch_size: int
    # The plan saw every record of the object (or of config.account_id) in Id order.
    dense: bool = False
    batches: list[BatchRef] = field(default_factory=list)
    _rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        prefix = f"{self.config.direction}/{self.config.run_id}"
        self.prefix = prefix
        self.changes_key = f"{prefix}/planned-changes.csv"
        self.conflicts_key = f"{prefix}/conflicts.csv"
        self._changes = self.documents.open_text_writer(self.changes_key, "text/csv")
        self._conflicts = self.documents.open_text_writer(self.conflicts_key, "text/csv")
        self._changes_csv = csv.writer(self._changes)
        self._changes_csv.writerow(["record_id", "original_url", "new_url"])
        self._conflicts_csv = csv.writer(self._conflicts)
        self._conflicts_csv.writerow(["record_id", "salesforce_url", "expected_url", "reason"])

    def change(self, change: UrlChange) -> None:
        self._changes_csv.writerow([change.id, change.expected, change.to])
        self._rows.append(change.model_dump(by_alias=True))
        if len(self._rows) >= self.batch_size:
            self._flush()

    def conflict(self, record_id: str, current: str | None, expected: str | None, why: str) -> None:
        self._conflicts_csv.writerow([record_id, current, expected, why])

    def _flush(self) -> None:
        if not self._rows:
            return
        index = len(self.batches)
        key = self.documents.put_json(f"{self.prefix}/batches/batch-{index:05d}.json", self._rows)
        ref = BatchRef(index=index, key=key, records=len(self._rows))
        if self.dense:
            ref.first_id, ref.last_id = self._rows[0]["id"], self._rows[-1]["id"]
            ref.account_id = self.config.account_id
        self.batches.append(ref)
        self._rows = []

    def close(self) -> str | None:
        self._flush()
        self._changes.close()
        self._conflicts.close()
        if self.config.direction != "cutover":
            return None
        # The rollback export: exactly the planned changes, kept under its own name.
        rollback_key = f"{self.prefix}/rollback.csv"
        self.documents.s3.copy_object(
            Bucket=self.documents.bucket,
            Key=rollback_key,
            CopySource={"Bucket": self.documents.bucket, "Key": self.changes_key},
        )
        return rollback_key

    def finish(
        self,
        mode: Literal["collections", "bulk"],
        counts: PhaseTwoCounts,
        refusal: Iterable[str] = (),
    ) -> PhaseTwoPlan:
        """Close the plan's files and describe it: what the update and validate steps read."""
        rollback_key = self.close()
        return PhaseTwoPlan(
            run_id=self.config.run_id,
            direction=self.config.direction,
            dry_run=self.config.dry_run,
            bucket=self.documents.bucket,
            mode=mode,
            batches=self.batches,
            counts=counts,
            changes_key=self.changes_key,
            rollback_key=rollback_key,
            conflicts_key=self.conflicts_key,
            refusal=list(refusal),
        )


def mode_for(
    config: PhaseTwoConfig, expected_records: int
) -> tuple[Literal["collections", "bulk"], int]:
    if expected_records > config.bulk_threshold:
        return "bulk", BULK_BATCH_SIZE
    return "collections", min(config.batch_size, COLLECTION_LIMIT)


def pages(records: Iterable[dict[str, Any]], size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    page: list[dict[str, Any]] = []
    for record in records:
        page.append(record)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


def mark_tracking(
    store: MigrationStore, items: Iterable[FileItem], direction: str, run_id: str
) -> int:
    stamp = now_iso()
    changed = []
    for item in items:
        item.migration_phase = 2 if direction == "cutover" else 1
        item.salesforce_updated = direction == "cutover"
        item.last_run_id = run_id
        item.updated_date = stamp
        changed.append(item)
    return store.save_files(changed)
