"""The seed's way of copying, as the baseline under latency.

The old script handled one file at a time: it downloaded the whole file into
memory, uploaded it with one PUT, and recorded it in SQLite before moving on.
This does the same against the same endpoint: `GetObject` read in full,
`PutObject` of those bytes, then one committed SQLite insert per file.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.dataset import SourceObject


@dataclass
class SeedRun:
    files: int
    bytes: int
    seconds: float

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"files_per_s": self.files_per_s}


def copy_sequentially(
    s3: Any, source_bucket: str, dest_bucket: str, items: Sequence[SourceObject]
) -> SeedRun:
    copied = 0
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(Path(folder) / "migration_tracking.db")
        db.execute(
            "CREATE TABLE file_migrations (doclist_entry_id TEXT PRIMARY KEY, original_url TEXT,"
            " your_s3_key TEXT, file_size_bytes INTEGER, status TEXT, backup_timestamp TEXT)"
        )
        started = time.perf_counter()
        for obj in items:
            data = s3.get_object(Bucket=source_bucket, Key=obj.key)["Body"].read()
            s3.put_object(Bucket=dest_bucket, Key=obj.key, Body=data)
            db.execute(
                "INSERT OR REPLACE INTO file_migrations VALUES (?, ?, ?, ?, 'backed_up',"
                " datetime('now'))",
                (obj.record_id, f"s3://{source_bucket}/{obj.key}", obj.key, len(data)),
            )
            db.commit()
            copied += len(data)
        seconds = time.perf_counter() - started
        db.close()
    return SeedRun(files=len(items), bytes=copied, seconds=seconds)
