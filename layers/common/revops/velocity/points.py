"""Point-in-time measures: one value per rep as of the end of the reported week.

"The end of the week" is the instant T the week ends in the org time zone
(local midnight after its last day); `T_day` is that first day after it.
Every measure is reconstructible for past weeks, so a backfilled week and a
weekly run of the same week agree:

| measure          | value at T                                                              |
|------------------|-------------------------------------------------------------------------|
| `accounts_owned` | Accounts created before T, by current owner                            |
| `open_opps`      | Opportunities created before T and not closed before `T_day` (`IsClosed = false`, or `CloseDate >= T_day`) |
| `win_rate`       | won / closed x 100, over Opportunities closed in the `lookback_weeks` weeks before `T_day` (by `CloseDate`) |
| `avg_deal`       | mean `Amount` of the won ones among those (null Amounts are left out, not counted as 0) |
| `avg_cycle_days` | mean days from created (org-local day) to `CloseDate` of those won     |
| `avg_opp_age`    | mean days from `CreatedDate` to T of the open ones                      |
| `velocity`       | classic pipeline velocity in $/day: open_opps x win_rate x avg_deal / avg_cycle_days |

A measure with nothing to measure is null (no closed deals: no win rate), and
so is a velocity whose inputs are null or whose average cycle is 0 days.
Ownership is today's: Salesforce keeps no owner history without field history
tracking, so an account or deal that changed hands counts for its new owner in
every week. The team value (`TEAM`) is measured over every owner at once, so
the team's win rate is the org's, not a mean of the reps'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from revops.velocity.config import Measure
from revops.velocity.weeks import Calendar

TEAM = "__team__"
OPPORTUNITY_MEASURES: frozenset[str] = frozenset(
    {"open_opps", "win_rate", "avg_deal", "avg_opp_age", "avg_cycle_days", "velocity"}
)


@dataclass(frozen=True)
class OppFact:
    """The fields of one Opportunity that the measures read."""

    owner: str
    amount: float | None
    created: datetime  # aware, UTC
    close_date: date
    is_closed: bool
    is_won: bool


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def opportunity_measure(
    measure: Measure,
    facts: Iterable[OppFact],
    *,
    end: datetime,
    end_day: date,
    lookback_weeks: int,
    calendar: Calendar,
) -> dict[str, float | int | None]:
    """`measure` for every owner among `facts`, and for the team (key TEAM)."""
    if measure not in OPPORTUNITY_MEASURES:
        raise ValueError(f"{measure} is not an opportunity measure")
    since = end_day - timedelta(weeks=lookback_weeks)
    groups: dict[str, list[OppFact]] = defaultdict(list)
    for fact in facts:
        groups[fact.owner].append(fact)
        groups[TEAM].append(fact)
    result: dict[str, float | int | None] = {}
    for owner, owned in groups.items():
        opened = [f for f in owned if f.created < end]
        open_now = [f for f in opened if not f.is_closed or f.close_date >= end_day]
        closed = [f for f in opened if f.is_closed and since <= f.close_date < end_day]
        won = [f for f in closed if f.is_won]
        win_rate = len(won) / len(closed) * 100 if closed else None
        avg_deal = _mean([f.amount for f in won if f.amount is not None])
        cycle = _mean([(f.close_date - calendar.local_date(f.created)).days for f in won])
        if measure == "open_opps":
            result[owner] = len(open_now)
        elif measure == "win_rate":
            result[owner] = _round(win_rate, 1)
        elif measure == "avg_deal":
            result[owner] = _round(avg_deal, 2)
        elif measure == "avg_cycle_days":
            result[owner] = _round(cycle, 1)
        elif measure == "avg_opp_age":
            ages = [(end - f.created).total_seconds() / 86400 for f in open_now]
            result[owner] = _round(_mean(ages), 1)
        else:  # velocity
            if win_rate is None or avg_deal is None or not cycle or cycle <= 0:
                result[owner] = None
            else:
                result[owner] = round(len(open_now) * (win_rate / 100) * avg_deal / cycle, 2)
    return result


def accounts_owned(
    baseline: Mapping[str, int], created: Mapping[str, Mapping[date, int]], end_day: date
) -> dict[str, float | int | None]:
    """Accounts per owner at the end of a week: the `baseline` (created before the
    fetched range) plus those created in the range on local days before `end_day`."""
    result: dict[str, float | int | None] = {}
    owners = set(baseline) | set(created)
    team = 0
    for owner in owners:
        count = baseline.get(owner, 0) + sum(
            n for day, n in created.get(owner, {}).items() if day < end_day
        )
        if count:
            result[owner] = count
            team += count
    result[TEAM] = team
    return result
