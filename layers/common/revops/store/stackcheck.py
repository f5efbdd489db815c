"""StackCheck results in the tracking table: one item per probed chunk.

`pk = CHECK#<runId>`, `sk = CHUNK#<index>`. A worker writes `status=ok` with its
report; the workflow's Catch writes `status=failed` with the error directly
(a DynamoDB task in the ASL), in the same key shape.
"""

from __future__ import annotations

import time

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from revops.stackcheck.models import ChunkReport
from revops.store.base import TrackingModel, bind
from revops.store.writes import retrying

RETENTION_SECONDS = 30 * 24 * 3600


class CheckChunkItem(TrackingModel):
    status = UnicodeAttribute()
    report = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    cause = UnicodeAttribute(null=True)


def _pk(run_id: str) -> str:
    return f"CHECK#{run_id}"


class CheckResults:
    def __init__(self, table_name: str, region: str) -> None:
        bind(TrackingModel, table_name, region)

    def record(self, report: ChunkReport) -> None:
        item = CheckChunkItem(
            _pk(report.run_id),
            f"CHUNK#{report.index}",
            status="ok",
            report=report.model_dump(),
            expires_at=int(time.time()) + RETENTION_SECONDS,
        )
        retrying(item.save, "the check's chunk item")

    def for_run(self, run_id: str) -> list[CheckChunkItem]:
        return list(CheckChunkItem.query(_pk(run_id)))
