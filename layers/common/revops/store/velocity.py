"""Velocity history in DynamoDB: one item per report and week.

| item              | keys                                   | holds                                    |
|-------------------|----------------------------------------|------------------------------------------|
| `VelocityWeekItem`| `report` (hash) / `week_key` (range)   | period, generated_at, reps (by User Id) with their metrics, team totals |

The key schema is the `VelocityHistoryTable` in template.yaml. A rerun of a week
overwrites its item (a put on the same key); `prune` keeps the newest N weeks of
a report. Reps, periods and totals are JSON documents, so an imported history
comes back out exactly as written (ints stay ints, floats stay floats).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from revops.store.base import bind
from revops.store.writes import batch_write, retrying


class VelocityWeekItem(Model):
    class Meta:
        table_name = "unbound"
        region = "us-east-1"

    report = UnicodeAttribute(hash_key=True)
    week_key = UnicodeAttribute(range_key=True)
    period_start = UnicodeAttribute()
    generated_at = UnicodeAttribute()
    period = JSONAttribute()
    reps = JSONAttribute()
    totals = JSONAttribute(null=True)
    source = UnicodeAttribute(default="run")
    run_id = UnicodeAttribute(null=True)
    as_of = UnicodeAttribute(null=True)
    definitions = JSONAttribute(null=True)  # metric -> what it counted (velocity.definitions)


class VelocityHistoryStore:
    """Repository for the velocity history. The only code that talks PynamoDB."""

    def __init__(self, table_name: str, region: str) -> None:
        bind(VelocityWeekItem, table_name, region)

    def put(self, report: str, week_key: str, document: dict[str, Any]) -> None:
        """Write (or overwrite) one week. `document` holds the item's other attributes."""
        retrying(VelocityWeekItem(report, week_key, **document).save, "a velocity week")

    def put_many(self, report: str, documents: Iterable[tuple[str, dict[str, Any]]]) -> int:
        return batch_write(
            VelocityWeekItem,
            (VelocityWeekItem(report, week_key, **document) for week_key, document in documents),
        )

    def get(self, report: str, week_key: str) -> VelocityWeekItem | None:
        try:
            return VelocityWeekItem.get(report, week_key)
        except DoesNotExist:
            return None

    def weeks(self, report: str, limit: int | None = None) -> list[VelocityWeekItem]:
        """A report's weeks, newest first."""
        return list(VelocityWeekItem.query(report, scan_index_forward=False, limit=limit))

    def week_keys(self, report: str) -> list[str]:
        """A report's week keys, newest first (keys only)."""
        return [
            item.week_key
            for item in VelocityWeekItem.query(
                report, scan_index_forward=False, attributes_to_get=["report", "week_key"]
            )
        ]

    def prune(self, report: str, keep: int) -> list[str]:
        """Delete all but the newest `keep` weeks of a report; the deleted keys."""
        old = self.week_keys(report)[keep:]
        batch_write(
            VelocityWeekItem, deletes=(VelocityWeekItem(report, week_key) for week_key in old)
        )
        return old
