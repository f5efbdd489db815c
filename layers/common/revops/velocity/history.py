"""The week-keyed history: one entry per report and week, in the old scripts' shape.

An exported history file (`boca_velocity_history.json`,
`pipeline_velocity_history.json`) is a JSON list, newest week first:

    [{"week_key": "2025-43", "period_start": "2025-10-26", "generated_at": "...",
      "data": {"period": {"last_week": {"start": "2025-10-26", "end": "2025-11-01"},
                          "prior_week": {"start": "2025-10-19", "end": "2025-10-25"}},
               "data": {"<rep>": {"meetings": {"last": 3, "prior": 1, "6w_avg": 2.17,
                                               "wow_pct": 200.0}, ...}}}}]

Reps are keyed by Salesforce User Id in the table and shown by name; when two
reps share a name, both are shown as `Name (UserId)` so they stay apart (and an
imported `Name (005...)` key gives the Id back).

Importing an old file is lossless: every entry, rep key and value is kept as
written (numbers stay ints or floats, nulls stay null), so exporting it again
gives the same JSON. The whole file is validated before anything is written: a
malformed file is rejected with every problem listed and the table is left
untouched. Values the JSON standard does not allow (NaN, Infinity), duplicate
weeks and unknown keys (which an export would drop) are malformed too.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from revops.errors import InvalidInputError
from revops.velocity.models import WEEK_KEY

_LABEL_WITH_ID = re.compile(r"^(?P<name>.*\S)\s+\((?P<id>005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)\)$")
_ENTRY_KEYS = ("week_key", "period_start", "generated_at", "data")


class MalformedHistoryError(InvalidInputError):
    """A history file to import is not in the old scripts' shape. Nothing was written."""


class RepEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None
    name: str
    label: str
    active: bool | None = None
    metrics: dict[str, Any]


class HistoryEntry(BaseModel):
    """One report's week: what the table holds and what the JSON export shows."""

    model_config = ConfigDict(extra="forbid")

    report: str
    week_key: str
    period_start: str
    generated_at: str
    period: dict[str, Any]
    reps: list[RepEntry]
    totals: dict[str, Any] | None = None
    source: Literal["run", "import"] = "run"
    run_id: str | None = None
    as_of: str | None = None  # the run's asOf: a week not over by then is in progress
    definitions: dict[str, Any] | None = None  # metric -> what it counted (definitions.py)

    @property
    def in_progress_through(self) -> date | None:
        """The last day with data when the week was not over at `as_of`, else None."""
        if not self.as_of:
            return None
        try:
            as_of = date.fromisoformat(self.as_of)
            end = date.fromisoformat(self.period["last_week"]["end"])
        except (KeyError, TypeError, ValueError):
            return None
        return as_of - timedelta(days=1) if as_of <= end else None

    def exported(self) -> dict[str, Any]:
        return {
            "week_key": self.week_key,
            "period_start": self.period_start,
            "generated_at": self.generated_at,
            "data": {
                "period": self.period,
                "data": {rep.label: rep.metrics for rep in self.reps},
            },
        }

    def rep_key(self, rep: RepEntry) -> str:
        return rep.id or f"label:{rep.label}"


def period_of(
    last_start: date, last_end: date, prior_start: date, prior_end: date
) -> dict[str, Any]:
    return {
        "last_week": {"start": last_start.isoformat(), "end": last_end.isoformat()},
        "prior_week": {"start": prior_start.isoformat(), "end": prior_end.isoformat()},
    }


def export_history(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    """The history file's content: newest week first."""
    ordered = sorted(entries, key=lambda e: e.week_key, reverse=True)
    return [entry.exported() for entry in ordered]


def export_text(entries: list[HistoryEntry]) -> str:
    return json.dumps(export_history(entries), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------------- import


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_history_text(text: str | bytes) -> Any:
    """Parse a history file strictly (no NaN or Infinity)."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise MalformedHistoryError(f"history file is not JSON: {exc}") from exc


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def _iso_day(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_period(where: str, period: Any, problems: list[str]) -> None:
    if not isinstance(period, dict) or set(period) != {"last_week", "prior_week"}:
        problems.append(f"{where}.period must have exactly last_week and prior_week")
        return
    for name, span in period.items():
        if not isinstance(span, dict) or set(span) != {"start", "end"}:
            problems.append(f"{where}.period.{name} must have exactly start and end")
            continue
        for edge in ("start", "end"):
            if not _iso_day(span[edge]):
                problems.append(f"{where}.period.{name}.{edge} is not a YYYY-MM-DD date")


def _check_rep(where: str, metrics: Any, problems: list[str]) -> None:
    if not isinstance(metrics, dict):
        problems.append(f"{where} must be an object of metrics")
        return
    for key, value in metrics.items():
        if value is None or _is_number(value):
            continue
        if isinstance(value, dict):
            bad = [k for k, v in value.items() if v is not None and not _is_number(v)]
            if bad:
                problems.append(f"{where}.{key}: {', '.join(bad)} must be numbers or null")
            continue
        problems.append(f"{where}.{key} must be a number, null or an object of numbers")


def validate_history(document: Any) -> list[str]:
    """Every problem that makes `document` not a history file (empty list: it is one)."""
    if not isinstance(document, list):
        return ["a history file is a JSON list of week entries"]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(document):
        where = f"[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} is not an object")
            continue
        missing = [k for k in _ENTRY_KEYS if k not in entry]
        extra = sorted(set(entry) - set(_ENTRY_KEYS))
        if missing:
            problems.append(f"{where} lacks {', '.join(missing)}")
        if extra:
            problems.append(f"{where} has unknown keys {', '.join(extra)}")
        if missing:
            continue
        key = entry["week_key"]
        if not isinstance(key, str) or not re.fullmatch(WEEK_KEY, key):
            problems.append(f"{where}.week_key {key!r} is not YYYY-WW")
        elif key in seen:
            problems.append(f"{where}.week_key {key} repeats entry [{seen[key]}]")
        else:
            seen[key] = index
        if not _iso_day(entry["period_start"]):
            problems.append(f"{where}.period_start is not a YYYY-MM-DD date")
        if not isinstance(entry["generated_at"], str) or not entry["generated_at"]:
            problems.append(f"{where}.generated_at must be a timestamp string")
        data = entry["data"]
        if not isinstance(data, dict) or set(data) != {"period", "data"}:
            problems.append(f"{where}.data must have exactly period and data")
            continue
        _check_period(f"{where}.data", data["period"], problems)
        reps = data["data"]
        if not isinstance(reps, dict):
            problems.append(f"{where}.data.data must be an object keyed by rep")
            continue
        for label, metrics in reps.items():
            _check_rep(f"{where}.data.data[{label!r}]", metrics, problems)
    return problems


def rep_from_label(label: str, metrics: dict[str, Any]) -> RepEntry:
    """An imported rep: the Id comes back from a `Name (005...)` key, else it is unknown."""
    match = _LABEL_WITH_ID.match(label)
    if match:
        return RepEntry(id=match["id"], name=match["name"], label=label, metrics=metrics)
    return RepEntry(id=None, name=label, label=label, metrics=metrics)


def parse_history(report: str, document: Any) -> list[HistoryEntry]:
    """Entries of an old history file; MalformedHistoryError lists every problem."""
    problems = validate_history(document)
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise MalformedHistoryError(f"{report} history file rejected: {shown}{more}")
    return [
        HistoryEntry(
            report=report,
            week_key=entry["week_key"],
            period_start=entry["period_start"],
            generated_at=entry["generated_at"],
            period=entry["data"]["period"],
            reps=[rep_from_label(label, m) for label, m in entry["data"]["data"].items()],
            totals=None,
            source="import",
        )
        for entry in document
    ]


# ---------------------------------------------------------------------- table items


def to_document(entry: HistoryEntry) -> dict[str, Any]:
    """The attributes of an entry's table item (besides its keys)."""
    return {
        "period_start": entry.period_start,
        "generated_at": entry.generated_at,
        "period": entry.period,
        "reps": [rep.model_dump() for rep in entry.reps],
        "totals": entry.totals,
        "source": entry.source,
        "run_id": entry.run_id,
        "as_of": entry.as_of,
        "definitions": entry.definitions,
    }


def from_item(item: Any) -> HistoryEntry:
    """An entry from a table item (anything with the item's attributes)."""
    return HistoryEntry(
        report=item.report,
        week_key=item.week_key,
        period_start=item.period_start,
        generated_at=item.generated_at,
        period=item.period,
        reps=[RepEntry.model_validate(rep) for rep in item.reps or []],
        totals=item.totals,
        source=item.source or "run",
        run_id=item.run_id,
        as_of=item.as_of,
        definitions=getattr(item, "definitions", None),
    )
