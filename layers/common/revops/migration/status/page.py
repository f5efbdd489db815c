"""The status page: one self-contained HTML file (inline CSS and SVG), published with its JSON."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from revops.integrations.objects import DocumentStore
from revops.migration.status.counts import _parse_time
from revops.migration.status.models import (
    STATUS_JSON_KEY,
    STATUS_PAGE_KEY,
    Overview,
    ReportOptions,
    RunRow,
    StatusReport,
)
from revops.migration.status.report import report
from revops.store.migration import MigrationStore

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


PHASE_COLOURS = {"backup_only": "#3b82f6", "migrated": "#16a34a", "failed": "#dc2626"}


def _number(value: Any) -> str:
    return f"{int(value or 0):,}"


def _size(value: Any) -> str:
    size = float(value or 0)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{int(size):,} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PB"  # pragma: no cover - the loop always returns


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "—"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _when(stamp: Any) -> str:
    parsed = _parse_time(stamp) if isinstance(stamp, str) else None
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if parsed else "—"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=_number, size=_size, duration=_duration, when=_when)
    return env


def _donut(overview: Overview) -> list[dict[str, Any]]:
    """Segments of a donut drawn with one circle each (r=15.9155: circumference 100)."""
    parts = [
        ("backup_only", "Backup only (phase 1)", overview.backup_only),
        ("migrated", "Fully migrated (phase 2)", overview.fully_migrated),
        ("failed", "Failed", overview.failed),
    ]
    total = overview.total_files
    segments, start = [], 0.0
    for key, label, value in parts:
        pct = 100 * value / total if total else 0.0
        segments.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "pct": pct,
                "colour": PHASE_COLOURS[key],
                "dash": f"{pct:.3f} {100 - pct:.3f}",
                "offset": f"{25 - start:.3f}",  # start at twelve o'clock
            }
        )
        start += pct
    return segments


def _run_bars(rows: list[RunRow], width: int = 560, height: int = 140) -> dict[str, Any]:
    """Stacked bars (successful / failed) for the runs, oldest on the left."""
    ordered = list(reversed(rows))
    peak = max((r.successful_files + r.failed_files for r in ordered), default=0)
    slot = width / max(len(ordered), 1)
    bar = max(min(slot * 0.7, 48), 2)
    bars = []
    for index, row in enumerate(ordered):
        ok_h = height * row.successful_files / peak if peak else 0
        bad_h = height * row.failed_files / peak if peak else 0
        x = index * slot + (slot - bar) / 2
        bars.append(
            {
                "x": round(x, 2),
                "width": round(bar, 2),
                "ok_y": round(height - ok_h, 2),
                "ok_h": round(ok_h, 2),
                "bad_y": round(height - ok_h - bad_h, 2),
                "bad_h": round(bad_h, 2),
                "title": f"{row.run_id}: {row.successful_files:,} ok, {row.failed_files:,} failed",
            }
        )
    return {"width": width, "height": height, "peak": peak, "bars": bars}


def render_status_page(report: Mapping[str, Any] | StatusReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, nothing external)."""
    model = report if isinstance(report, StatusReport) else StatusReport.model_validate(report)
    template = _environment().get_template("status.html.j2")
    return template.render(
        report=model,
        donut=_donut(model.overview),
        run_chart=_run_bars(model.runs),
        colours=PHASE_COLOURS,
    )


def publish_status_page(
    store: MigrationStore,
    dashboards: DocumentStore,
    options: ReportOptions | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """Write `migration/status.json` and `migration/status.html` to the dashboards bucket.

    Returns the page's key. The finalize step of every run calls this.
    """
    full = report(store, options, now=now)
    dashboards.put_json(STATUS_JSON_KEY, full.model_dump(mode="json", by_alias=True))
    return dashboards.put_text(
        STATUS_PAGE_KEY, render_status_page(full), "text/html; charset=utf-8"
    )
