"""The velocity dashboards: one page per report and an index, rendered from the history.

Each page is one self-contained HTML file (Jinja2 templates in `templates/`):
inline CSS, inline JavaScript (column sorting) and inline SVG (sparklines); a
Content-Security-Policy that forbids loading anything from anywhere, so a page
that tried would show errors in the browser's console (the browser test looks).

A report page shows the newest week in the history:

* a per-rep table with the report's columns (each window of each window metric,
  and each point-in-time value), sortable by any column;
* week-over-week arrows and colours: `wow_pct` and `vs_avg_pct` for window
  metrics, the change from the previous history entry for point-in-time values;
* a 12-week trend sparkline (as many weeks as the history keeps) for each rep
  and metric: a window metric's `last` of every week (0 in a week the rep did
  not appear), a point-in-time metric's value (a gap where there is none);
* a totals row (team values), the period and the generation time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from revops.velocity import definitions
from revops.velocity.config import Format, MetricConfig, ReportConfig
from revops.velocity.history import HistoryEntry

TEMPLATES = Path(__file__).resolve().parent / "templates"
DASH = "\u2013"  # en dash: an empty value, and the dash between two dates
WINDOW_LABELS = {
    "last": "Last wk",
    "prior": "Prior wk",
    "6w_avg": "6-wk avg",
    "wow_pct": "WoW",
    "vs_avg_pct": "vs avg",
}
CHANGE_WINDOWS = ("wow_pct", "vs_avg_pct")
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 84, 22, 2.5


# ---------------------------------------------------------------------- formatting


def _money(value: float, suffix: str = "") -> str:
    if float(value).is_integer() or abs(value) >= 100:
        return f"${value:,.0f}{suffix}"
    return f"${value:,.2f}{suffix}"


def format_value(value: Any, fmt: Format | str) -> str:
    if value is None:
        return DASH
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    if fmt == "currency":
        return _money(value)
    if fmt == "currency_per_day":
        return _money(value, "/day")
    if fmt == "percent":
        return f"{value:,.1f}%"
    if fmt == "days":
        return f"{value:,.1f} d"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def format_change(value: Any) -> str:
    if value is None:
        return "n/a"
    arrow = "▲" if value > 0 else "▼" if value < 0 else "■"
    return f"{arrow} {abs(value):,.1f}%"


def trend_class(value: Any, better: str = "higher") -> str:
    """CSS classes of a change: its direction, and whether that is good for the metric."""
    if value is None:
        return "flat na"
    if value == 0:
        return "flat"
    up = value > 0
    good = up if better == "higher" else not up
    return f"{'up' if up else 'down'} {'good' if good else 'bad'}"


def format_period(period: dict[str, Any], key: str) -> str:
    span = period.get(key) or {}
    try:
        start, end = date.fromisoformat(span["start"]), date.fromisoformat(span["end"])
    except (KeyError, TypeError, ValueError):
        return DASH
    if start.year == end.year:
        return f"{start:%b} {start.day} {DASH} {end:%b} {end.day}, {end.year}"
    return f"{start:%b} {start.day}, {start.year} {DASH} {end:%b} {end.day}, {end.year}"


def format_timestamp(value: str) -> str:
    """An ISO timestamp as `2025-11-04 06:00 (UTC-05:00)`; anything else as written."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    offset = moment.utcoffset()
    if offset is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{moment:%Y-%m-%d %H:%M} (UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d})"


# ---------------------------------------------------------------------- sparklines


@dataclass(frozen=True)
class Sparkline:
    paths: list[str]
    last: tuple[float, float] | None
    title: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


def sparkline(points: Sequence[tuple[str, float | None]], fmt: Format | str) -> Sparkline:
    """An SVG polyline (segments broken at gaps) of values oldest -> newest."""
    values = [v for _, v in points if v is not None]
    title = " · ".join(f"{k}: {format_value(v, fmt)}" for k, v in points)
    if not values:
        return Sparkline([], None, title or "no history")
    low, high = min(values), max(values)
    span = high - low
    count = len(points)
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD

    def xy(index: int, value: float) -> tuple[float, float]:
        x = SPARK_PAD + (inner_w * index / (count - 1) if count > 1 else inner_w / 2)
        y = SPARK_PAD + (inner_h / 2 if span == 0 else inner_h * (high - value) / span)
        return round(x, 1), round(y, 1)

    paths: list[str] = []
    segment: list[str] = []
    last: tuple[float, float] | None = None
    for index, (_, value) in enumerate(points):
        if value is None:
            if segment:
                paths.append(" ".join(segment))
            segment = []
            continue
        x, y = xy(index, value)
        segment.append(f"{x},{y}")
        last = (x, y)
    if segment:
        paths.append(" ".join(segment))
    return Sparkline(paths, last, title)


# ---------------------------------------------------------------------- view model


@dataclass
class Cell:
    text: str
    sort: float | str | None
    css: str = "num"
    spark: Sparkline | None = None
    title: str = ""


@dataclass
class Row:
    label: str
    name: str
    inactive: bool
    unknown: bool
    cells: list[Cell]


@dataclass
class Column:
    label: str
    group: str
    first_in_group: bool = False
    sortable: bool = True


@dataclass
class Group:
    label: str
    span: int
    description: str = ""


@dataclass
class ReportView:
    report: ReportConfig
    entry: HistoryEntry | None
    groups: list[Group]
    columns: list[Column]
    rows: list[Row]
    totals: Row | None
    weeks: list[str]
    generated_at: str
    last_week: str = ""
    prior_week: str = ""
    week_label: str = "Last week"  # "This week, in progress" for a week not over
    definitions: list[tuple[str, str]] = field(default_factory=list)  # (metric, what it counts)
    definition_notes: list[str] = field(default_factory=list)  # weeks that counted otherwise


def _window_value(metrics: dict[str, Any], metric: MetricConfig, window: str) -> Any:
    value = metrics.get(metric.key)
    return value.get(window) if isinstance(value, dict) else None


def _trend_value(metrics: dict[str, Any] | None, metric: MetricConfig) -> float | None:
    if metrics is None:
        return 0.0 if metric.is_window else None
    value = metrics.get(metric.key)
    if metric.is_window:
        last = value.get("last") if isinstance(value, dict) else None
        return float(last) if isinstance(last, int | float) else 0.0
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


IN_PROGRESS = "This week, in progress"


def _columns(report: ReportConfig, in_progress: bool = False) -> tuple[list[Group], list[Column]]:
    labels = WINDOW_LABELS | ({"last": "This wk (so far)"} if in_progress else {})
    groups, columns = [], []
    for metric in report.metrics:
        names = [labels[w] for w in metric.windows] if metric.is_window else ["Value"]
        names.append("Trend")
        groups.append(Group(metric.label, len(names), metric.description))
        for index, name in enumerate(names):
            columns.append(Column(name, metric.key, index == 0, sortable=name != "Trend"))
    return groups, columns


def _cells(
    metrics: dict[str, Any],
    previous: dict[str, Any] | None,
    report: ReportConfig,
    trend: Callable[[MetricConfig], Sparkline],
) -> list[Cell]:
    cells: list[Cell] = []
    for metric in report.metrics:
        if metric.is_window:
            for window in metric.windows:
                value = _window_value(metrics, metric, window)
                if window in CHANGE_WINDOWS:
                    css = f"num change {trend_class(value, metric.better)}"
                    cells.append(Cell(format_change(value), value, css))
                else:
                    fmt = (
                        "count"
                        if window == "6w_avg" and metric.format == "count"
                        else metric.format
                    )
                    cells.append(Cell(format_value(value, fmt), value))
        else:
            value = metrics.get(metric.key)
            before = previous.get(metric.key) if previous is not None else None
            change = None
            css = "num"
            if isinstance(value, int | float) and isinstance(before, int | float):
                delta = value - before
                change = (delta / before * 100) if before else None
                css = f"num point {trend_class(delta, metric.better)}"
                arrow = "▲" if delta > 0 else "▼" if delta < 0 else ""
                text = f"{format_value(value, metric.format)} {arrow}".strip()
                title = f"previous week: {format_value(before, metric.format)}"
                if change is not None:
                    title += f" ({format_change(change)})"
                cells.append(Cell(text, value, css, title=title))
            else:
                cells.append(Cell(format_value(value, metric.format), value, css))
        cells.append(Cell("", None, "spark", spark=trend(metric)))
    return cells


def report_view(
    report: ReportConfig, history: Sequence[HistoryEntry], *, generated_at: str
) -> ReportView:
    """The page's content: the newest entry, with sparklines over the whole history."""
    ordered = sorted(history, key=lambda e: e.week_key)  # oldest first
    entry = ordered[-1] if ordered else None
    groups, columns = _columns(report, entry is not None and entry.in_progress_through is not None)
    weeks = [e.week_key for e in ordered]
    if entry is None:
        return ReportView(report, None, groups, columns, [], None, weeks, generated_at)
    previous_entry = ordered[-2] if len(ordered) > 1 else None
    by_week: list[dict[str, dict[str, Any]]] = [
        {e.rep_key(rep): rep.metrics for rep in e.reps} for e in ordered
    ]

    def series(key: str, metric: MetricConfig) -> Sparkline:
        points = [
            (week, _trend_value(reps.get(key), metric))
            for week, reps in zip(weeks, by_week, strict=True)
        ]
        return sparkline(points, metric.format)

    rows = []
    for rep in entry.reps:
        key = entry.rep_key(rep)
        previous = by_week[-2].get(key) if previous_entry is not None else None
        cells = _cells(rep.metrics, previous, report, lambda m, k=key: series(k, m))  # type: ignore[misc]
        rows.append(Row(rep.label, rep.name, rep.active is False, False, cells))
    totals = None
    if entry.totals:
        team_history = [e.totals or {} for e in ordered]

        def team_series(metric: MetricConfig) -> Sparkline:
            points = [
                (week, _trend_value(t if t else None, metric))
                for week, t in zip(weeks, team_history, strict=True)
            ]
            return sparkline(points, metric.format)

        previous_totals = team_history[-2] if len(team_history) > 1 else None
        totals = Row(
            "Team total",
            "Team total",
            False,
            False,
            _cells(entry.totals, previous_totals or None, report, team_series),
        )
    return ReportView(
        report,
        entry,
        groups,
        columns,
        rows,
        totals,
        weeks,
        generated_at,
        last_week=format_period(entry.period, "last_week"),
        prior_week=format_period(entry.period, "prior_week"),
        week_label=IN_PROGRESS if entry.in_progress_through else "Last week",
        definitions=_definitions(report, entry),
        definition_notes=_definition_notes(report, entry, ordered),
    )


def _definitions(report: ReportConfig, entry: HistoryEntry) -> list[tuple[str, str]]:
    shown = []
    for metric in report.metrics:
        found = (entry.definitions or {}).get(metric.key)
        if found:
            shown.append((metric.label, definitions.sentence(found)))
    return shown


def _definition_notes(
    report: ReportConfig, entry: HistoryEntry, ordered: Sequence[HistoryEntry]
) -> list[str]:
    """Which kept weeks counted a metric under another definition than the newest week."""
    notes = []
    for metric in report.metrics:
        now = (entry.definitions or {}).get(metric.key)
        if not now:
            continue
        other = [
            e.week_key
            for e in ordered
            if (e.definitions or {}).get(metric.key)
            and not definitions.same(e.definitions[metric.key], now)  # type: ignore[index]
        ]
        if other:
            notes.append(
                f"{metric.label}: weeks {', '.join(other)} counted an earlier definition; "
                "trends across that change compare different things"
            )
    return notes


@dataclass
class Headline:
    label: str
    value: str
    change: str
    css: str
    spark: Sparkline


@dataclass
class ReportCard:
    report: ReportConfig
    history: list[HistoryEntry]
    headline: list[Headline] = field(default_factory=list)

    @property
    def latest(self) -> HistoryEntry | None:
        return max(self.history, key=lambda e: e.week_key) if self.history else None


def _card_headline(card: ReportCard) -> list[Headline]:
    """Each metric's team value in the newest week, its change and its team trend."""
    latest = card.latest
    if latest is None or not latest.totals:
        return []
    ordered = sorted(card.history, key=lambda e: e.week_key)
    lines = []
    for metric in card.report.metrics:
        value = latest.totals.get(metric.key)
        points = [(e.week_key, _trend_value(e.totals or None, metric)) for e in ordered]
        spark = sparkline(points, metric.format)
        if metric.is_window and isinstance(value, dict):
            change = value.get("wow_pct")
            shown = format_value(value.get("last"), metric.format)
            lines.append(
                Headline(
                    metric.label,
                    shown,
                    format_change(change),
                    trend_class(change, metric.better),
                    spark,
                )
            )
        elif not metric.is_window:
            lines.append(Headline(metric.label, format_value(value, metric.format), "", "", spark))
    return lines


# ---------------------------------------------------------------------- rendering


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_timestamp
    env.filters["period"] = format_period
    return env


def render_report_page(
    report: ReportConfig, history: Sequence[HistoryEntry], *, generated_at: str
) -> str:
    view = report_view(report, history, generated_at=generated_at)
    return _environment().get_template("report.html.j2").render(view=view)


def render_index(
    cards: Sequence[ReportCard], *, generated_at: str, summary: dict[str, Any] | None = None
) -> str:
    for card in cards:
        card.headline = _card_headline(card)
    return (
        _environment()
        .get_template("index.html.j2")
        .render(cards=cards, generated_at=generated_at, summary=summary)
    )
