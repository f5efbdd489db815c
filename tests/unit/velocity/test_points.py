"""Point-in-time measures as of the end of a week, and classic pipeline velocity."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from revops.velocity.points import TEAM, OppFact, accounts_owned, opportunity_measure
from revops.velocity.weeks import Calendar

CAL = Calendar("America/New_York")
END_DAY = date(2025, 11, 2)  # the week 2025-10-26..11-01 ends as Nov 2 begins
END = CAL.local_midnight(END_DAY)  # 2025-11-02T04:00Z


def fact(owner: str, created: str, close: str, amount: float | None, state: str) -> OppFact:
    return OppFact(
        owner=owner,
        amount=amount,
        created=datetime.fromisoformat(created).replace(tzinfo=UTC),
        close_date=date.fromisoformat(close),
        is_closed=state in ("won", "lost"),
        is_won=state == "won",
    )


FACTS = [
    fact("a", "2025-10-01T15:00", "2025-10-11", 1000, "won"),  # 10-day cycle
    fact("a", "2025-10-01T15:00", "2025-10-21", 3000, "won"),  # 20-day cycle
    fact("a", "2025-10-05T15:00", "2025-10-15", None, "won"),  # null Amount, 10-day cycle
    fact("a", "2025-10-05T15:00", "2025-10-20", 500, "lost"),
    fact("a", "2025-10-10T15:00", "2025-12-01", 9000, "open"),
    fact("a", "2025-10-20T15:00", "2025-11-05", 7000, "won"),  # closes after the week: open at END
    fact("a", "2025-11-02T05:00", "2025-12-01", 100, "open"),  # created after END: not yet
    fact("b", "2025-06-01T15:00", "2025-07-01", 100, "won"),  # closed before the lookback
    fact("b", "2025-10-30T15:00", "2025-09-30", 200, "open"),  # past-due but still open
]


def measure(name: str, lookback: int = 12) -> dict[str, float | int | None]:
    return opportunity_measure(
        name,  # type: ignore[arg-type]
        FACTS,
        end=END,
        end_day=END_DAY,
        lookback_weeks=lookback,
        calendar=CAL,
    )


def test_open_opps_counts_what_was_open_when_the_week_ended() -> None:
    assert measure("open_opps") == {"a": 2, "b": 1, TEAM: 3}


def test_win_rate_is_won_over_closed_in_the_lookback() -> None:
    result = measure("win_rate")

    assert result["a"] == 75.0  # 3 won of 4 closed
    assert result["b"] is None  # nothing closed in the lookback: no rate, not 0
    assert result[TEAM] == 75.0


def test_average_deal_leaves_null_amounts_out() -> None:
    assert measure("avg_deal")["a"] == 2000.0  # (1000 + 3000) / 2, the null is not a 0


def test_average_age_of_open_opportunities_in_days() -> None:
    result = measure("avg_opp_age")

    ages = [(END - datetime(2025, 10, d, 15, tzinfo=UTC)).total_seconds() / 86400 for d in (10, 20)]
    assert result["a"] == pytest.approx(sum(ages) / 2, abs=0.05)


def test_velocity_is_open_times_win_rate_times_deal_over_cycle() -> None:
    cycle = measure("avg_cycle_days")["a"]
    velocity = measure("velocity")["a"]

    assert cycle == pytest.approx((10 + 20 + 10) / 3, abs=0.05)
    assert velocity == pytest.approx(2 * 0.75 * 2000.0 / ((10 + 20 + 10) / 3), abs=0.01)
    assert measure("velocity")["b"] is None  # no win rate: no velocity


def test_a_short_lookback_sees_fewer_closed_deals() -> None:
    assert measure("win_rate", lookback=1)["a"] is None  # nothing closed Oct 26..Nov 1


def test_accounts_owned_adds_creations_before_the_week_end_to_the_baseline() -> None:
    baseline = {"a": 3, "b": 1}
    created = {"a": {date(2025, 10, 28): 2, date(2025, 11, 5): 4}, "c": {date(2025, 10, 30): 1}}

    assert accounts_owned(baseline, created, END_DAY) == {"a": 5, "b": 1, "c": 1, TEAM: 7}
    assert accounts_owned({}, {}, END_DAY) == {TEAM: 0}
