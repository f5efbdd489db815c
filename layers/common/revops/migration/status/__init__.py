"""Migration status (the seed's `migration_status.py`): what has been backed up,
what failed, how the runs went, and whether phase 2 may start.

| seed flag            | here                                  | how it reads the table                    |
|----------------------|---------------------------------------|-------------------------------------------|
| `--overview`         | `overview(store)`                     | the accounts' counts (16 queries)         |
| `--runs`             | `runs(store, limit)`                  | gsi1 `RUNS`, newest first, `limit` items  |
| `--accounts`         | `accounts(store, limit)`              | the accounts' counts (16 queries)         |
| `--errors`           | `error_summary(store)`                | gsi1 `ERRORS` (projected), gsi2 `FAILED`, key-only batch-gets |
| `--recent-errors N`  | `recent_errors(store, limit)`         | gsi1 `ERRORS`, newest first, `N` items    |
| `--readiness`        | `readiness(store, max_unresolved_ratio=...)` | the counts above plus every retained run |
| `--export FILE`      | `export_report(store, documents)`     | the full report as JSON in the work bucket |
| `--all`              | `report(store)`                       | the counts once, then as above            |
| `--cleanup-days N`   | (gone: retention)                     | see below                                 |

No view reads the file items to count them. Every write of a file item moves its
account's counts in the same transaction (`revops.store.counts`: one counter per
account, exact through retries, reruns and crashes), so the overview, the
accounts, readiness and the page cost what the number of accounts costs, not the
number of files. Only the failed files (gsi2 `FAILED`) and the retained errors
are listed one by one, to name them.

Retention replaces `--cleanup-days N`: every run, error and chunk item carries
`expires_at` (set by `MigrationStore` from the `retention_days` setting, env
`RETENTION_DAYS`, default 90), and DynamoDB TTL deletes it after that many days.
Nothing needs cleaning by hand. File items never expire: rollback needs them.
The views read only what is retained, so "no completed backup run" in readiness
means none within the retention period.

The status page (`render_status_page`) is one self-contained HTML file: inline
CSS and SVG, no scripts, fonts or stylesheets from elsewhere.
`publish_status_page` writes it with the report's JSON to the dashboards bucket.
"""

from revops.migration.status.counts import (
    FileCounts,
    accounts,
    error_summary,
    file_counts,
    overview,
    recent_errors,
    run_row,
    runs,
)
from revops.migration.status.models import (
    DEFAULT_MAX_UNRESOLVED_RATIO,
    STATUS_JSON_KEY,
    STATUS_PAGE_KEY,
    AccountRow,
    ErrorRow,
    ErrorSummary,
    ErrorTypeRow,
    Overview,
    Readiness,
    ReportOptions,
    RunRow,
    StatusReport,
    StatusRequest,
    StatusSettings,
)
from revops.migration.status.page import publish_status_page, render_status_page
from revops.migration.status.readiness import assess_readiness, readiness
from revops.migration.status.report import export_report, report
from revops.migration.status.views import view

__all__ = [
    "DEFAULT_MAX_UNRESOLVED_RATIO",
    "STATUS_JSON_KEY",
    "STATUS_PAGE_KEY",
    "AccountRow",
    "ErrorRow",
    "ErrorSummary",
    "ErrorTypeRow",
    "FileCounts",
    "Overview",
    "Readiness",
    "ReportOptions",
    "RunRow",
    "StatusReport",
    "StatusRequest",
    "StatusSettings",
    "accounts",
    "assess_readiness",
    "error_summary",
    "export_report",
    "file_counts",
    "overview",
    "publish_status_page",
    "readiness",
    "recent_errors",
    "render_status_page",
    "report",
    "run_row",
    "runs",
    "view",
]
