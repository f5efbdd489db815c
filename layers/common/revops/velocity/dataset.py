"""What one fetch gathers for one report, and how a week's history entry is built from it.

The fetch step writes a `Dataset` to the work bucket once per report and run;
each week of the run is then built from it without another Salesforce call.

Which reps a week shows: every owner with a non-zero value in any week a window
metric of that week reads (the reported week and the five before it), or a
non-zero point-in-time value. A rep who first appears in the middle of a
backfill shows from the first week their activity reaches; a quiet week shows
zeros, never a gap. Team totals cover every owner, shown or not.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from revops.velocity.config import ReportConfig
from revops.velocity.history import HistoryEntry, RepEntry, period_of
from revops.velocity.points import TEAM
from revops.velocity.weeks import Week
from revops.velocity.windows import has_activity, window_values

ZERO_WHEN_ABSENT = frozenset({"accounts_owned", "open_opps"})


class RepInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    label: str
    username: str | None = None
    active: bool | None = None
    known: bool = True  # False: the owner is not a User we can read (deleted or unknown)


class Dataset(BaseModel):
    """Everything one report needs for every week of one run."""

    model_config = ConfigDict(extra="forbid")

    report: str
    config: dict[str, Any]
    time_zone: str
    week_start: str
    weeks: list[date]
    range_start: date
    range_end: date
    # window metric -> owner -> week start -> value
    series: dict[str, dict[str, dict[date, float]]]
    # point metric -> week start -> owner (or TEAM) -> value
    points: dict[str, dict[date, dict[str, float | int | None]]]
    reps: dict[str, RepInfo]
    definitions: dict[str, Any] = {}  # metric -> what it counts (definitions.py)

    def report_config(self) -> ReportConfig:
        return ReportConfig.model_validate(self.config)


def labels_for(names: dict[str, str], handles: dict[str, str] | None = None) -> dict[str, str]:
    """Owner Id -> shown name; a name two owners share becomes `Name (username)` (or the
    email, or the User Id when neither is known), which a person can tell apart."""
    counts: dict[str, int] = defaultdict(int)
    for name in names.values():
        counts[name.strip().casefold()] += 1
    handles = handles or {}
    return {
        owner: f"{name} ({handles.get(owner) or owner})"
        if counts[name.strip().casefold()] > 1
        else name
        for owner, name in names.items()
    }


def build_entry(
    dataset: Dataset, week: Week, *, generated_at: str, run_id: str, as_of: date | None = None
) -> HistoryEntry:
    """The history entry of `week` (which must be one of the dataset's weeks)."""
    if week.start not in dataset.weeks:
        raise ValueError(f"week {week} was not fetched for {dataset.report}")
    config = dataset.report_config()
    shown: set[str] = set()
    for metric in config.window_metrics:
        for owner, series in dataset.series.get(metric.key, {}).items():
            if has_activity(series, week):
                shown.add(owner)
    for metric in config.point_metrics:
        for owner, value in dataset.points.get(metric.key, {}).get(week.start, {}).items():
            if owner != TEAM and value:
                shown.add(owner)

    def metrics_of(owner: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for metric in config.metrics:
            if metric.point is None:
                series = dataset.series.get(metric.key, {}).get(owner, {})
                values[metric.key] = window_values(series, week, metric.windows, metric.format)
            else:
                value = dataset.points.get(metric.key, {}).get(week.start, {}).get(owner)
                if value is None and metric.point.measure in ZERO_WHEN_ABSENT and owner != TEAM:
                    value = 0
                values[metric.key] = value
        return values

    reps = []
    for owner in shown:
        info = dataset.reps.get(owner) or RepInfo(id=owner, name=owner, label=owner, known=False)
        reps.append(
            RepEntry(
                id=owner,
                name=info.name,
                label=info.label,
                active=info.active,
                metrics=metrics_of(owner),
            )
        )
    reps.sort(key=lambda r: (r.label.casefold(), r.id or ""))

    totals: dict[str, Any] = {}
    for metric in config.metrics:
        if metric.point is None:
            team: dict[date, float] = defaultdict(float)
            for series in dataset.series.get(metric.key, {}).values():
                for start, value in series.items():
                    team[start] += value
            totals[metric.key] = window_values(team, week, metric.windows, metric.format)
        else:
            totals[metric.key] = dataset.points.get(metric.key, {}).get(week.start, {}).get(TEAM)

    prior = week.prior
    return HistoryEntry(
        report=dataset.report,
        week_key=week.key,
        period_start=week.start.isoformat(),
        generated_at=generated_at,
        period=period_of(week.start, week.end, prior.start, prior.end),
        reps=reps,
        totals=totals,
        source="run",
        run_id=run_id,
        as_of=as_of.isoformat() if as_of else None,
        definitions=dataset.definitions or None,
    )


def week_end_day(week: Week) -> date:
    """The first day after a week (point-in-time measures are taken as it begins)."""
    return week.end + timedelta(days=1)
