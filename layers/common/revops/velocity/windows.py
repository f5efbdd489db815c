"""Window values of a weekly series: `last`, `prior`, `6w_avg`, `wow_pct`, `vs_avg_pct`.

* `last` is the reported week, `prior` the week before.
* `6w_avg` is the mean of the six weeks ending with last week, counting a week
  without activity as zero (a rep who was quiet for two weeks has a lower
  average, not the average of their four active weeks).
* `wow_pct` is (last - prior) / prior x 100. When prior is 0 the change is
  undefined and the value is **null**, not 0 and not Infinity. The old scripts
  printed 0, which reads as "no change" for a rep who went from nothing to a
  first deal; null shows as "n/a" on the dashboards.
* `vs_avg_pct` is (last - 6w_avg) / 6w_avg x 100, null when the average is 0.

Rounding: money and averages to 2 decimals, percentages to 1 decimal, counts
stay integers. Percentages are computed from unrounded values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from revops.velocity.config import Format, Window
from revops.velocity.weeks import Week

AVERAGE_WEEKS = 6

Number = int | float


def pct_change(new: float, base: float) -> float | None:
    """(new - base) / base x 100, rounded to 1 decimal; None when base is 0."""
    if base == 0:
        return None
    return round((new - base) / base * 100, 1)


def amount(value: float, fmt: Format) -> Number:
    """A summed value as stored: counts as int, everything else to 2 decimals."""
    if fmt == "count" and float(value).is_integer():
        return int(value)
    return round(float(value), 2)


def window_values(
    series: Mapping[date, float], week: Week, windows: Sequence[Window], fmt: Format
) -> dict[str, Number | None]:
    """The requested windows of `series` (week start -> value; missing weeks are 0)."""
    last = float(series.get(week.start, 0.0))
    prior = float(series.get(week.prior.start, 0.0))
    six = [float(series.get(week.shifted(-i).start, 0.0)) for i in range(AVERAGE_WEEKS)]
    average = sum(six) / AVERAGE_WEEKS
    values: dict[str, Number | None] = {
        "last": amount(last, fmt),
        "prior": amount(prior, fmt),
        "6w_avg": round(average, 2),
        "wow_pct": pct_change(last, prior),
        "vs_avg_pct": pct_change(last, average),
    }
    return {name: values[name] for name in windows}


def weeks_needed(week: Week) -> list[Week]:
    """Every week whose value the windows of `week` read, oldest first."""
    return [week.shifted(-i) for i in reversed(range(AVERAGE_WEEKS))]


def has_activity(series: Mapping[date, float], week: Week) -> bool:
    """Whether any week the windows of `week` read has a non-zero value."""
    return any(series.get(w.start, 0.0) for w in weeks_needed(week))
