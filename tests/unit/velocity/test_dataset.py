"""Building a week's entry: who shows, how they are named, and the team totals."""

from __future__ import annotations

from datetime import date, timedelta

from revops.velocity.config import load_reports
from revops.velocity.dataset import Dataset, RepInfo, build_entry, labels_for
from revops.velocity.points import TEAM
from revops.velocity.weeks import Week

LAST = Week(date(2025, 10, 26))
ANN, BOB, CY, DEE = (
    "005000000000001AAA",
    "005000000000002AAA",
    "005000000000003AAA",
    "005000000000004AAA",
)


def ago(weeks: int) -> date:
    return LAST.start - timedelta(weeks=weeks)


def dataset() -> Dataset:
    boca = load_reports()["boca"]
    names = {ANN: "Alex Morgan", BOB: "Alex Morgan", CY: "Cy Dee", DEE: "Dee Late"}
    labels = labels_for(names)
    return Dataset(
        report="boca",
        config=boca.model_dump(mode="json"),
        time_zone="America/New_York",
        week_start="sunday",
        weeks=[LAST.start, ago(1), ago(2)],
        range_start=ago(7),
        range_end=LAST.end,
        series={
            "meetings": {
                ANN: {ago(0): 3, ago(1): 1},
                BOB: {ago(6): 9},  # only outside the six weeks of LAST
                CY: {ago(5): 2},  # quiet for five weeks, still inside the window
                DEE: {ago(0): 1},  # first activity in the newest week
            },
            "opp_dollars": {ANN: {ago(0): 500.0}},
            "closed_won": {CY: {ago(1): 1000.0}},
        },
        points={},
        reps={o: RepInfo(id=o, name=names[o], label=labels[o], active=o != CY) for o in names},
    )


def test_reps_show_when_any_week_their_windows_read_has_activity() -> None:
    entry = build_entry(dataset(), LAST, generated_at="t", run_id="r")

    assert {r.id for r in entry.reps} == {ANN, CY, DEE}  # BOB's only week is seven back
    older = build_entry(dataset(), Week(ago(2)), generated_at="t", run_id="r")
    assert DEE not in {r.id for r in older.reps}  # a rep first appearing mid-range
    assert BOB in {r.id for r in older.reps}


def test_two_reps_with_one_name_stay_apart_by_username() -> None:
    names = {ANN: "Alex Morgan", BOB: "alex morgan ", CY: "Cy Dee"}
    handles = {ANN: "alex@example.test", CY: "cy@example.test"}

    labels = labels_for(names, handles)

    assert labels == {
        ANN: "Alex Morgan (alex@example.test)",
        BOB: f"alex morgan  ({BOB})",  # no username or email known: the Id, still apart
        CY: "Cy Dee",
    }
    entry = build_entry(dataset(), Week(ago(1)), generated_at="t", run_id="r")
    exported = entry.exported()["data"]["data"]
    assert f"Alex Morgan ({ANN})" in exported and f"Alex Morgan ({BOB})" in exported


def test_a_quiet_rep_shows_zeros_and_an_inactive_rep_is_flagged() -> None:
    entry = build_entry(dataset(), LAST, generated_at="t", run_id="r")
    cy = next(r for r in entry.reps if r.id == CY)

    assert cy.metrics["meetings"] == {"last": 0, "prior": 0, "6w_avg": 0.33, "wow_pct": None}
    assert cy.metrics["closed_won"] == {"last": 0.0, "prior": 1000.0, "wow_pct": -100.0}
    assert cy.active is False


def test_the_entry_has_the_seed_shape_and_team_totals() -> None:
    entry = build_entry(dataset(), LAST, generated_at="2025-11-04T06:00:00-05:00", run_id="r")

    exported = entry.exported()
    assert list(exported) == ["week_key", "period_start", "generated_at", "data"]
    assert exported["week_key"] == "2025-43" and exported["period_start"] == "2025-10-26"
    assert exported["data"]["period"] == {
        "last_week": {"start": "2025-10-26", "end": "2025-11-01"},
        "prior_week": {"start": "2025-10-19", "end": "2025-10-25"},
    }
    assert entry.totals is not None
    assert entry.totals["meetings"] == {"last": 4, "prior": 1, "6w_avg": 1.17, "wow_pct": 300.0}
    assert list(exported["data"]["data"]) == sorted(exported["data"]["data"], key=str.casefold)


def test_point_values_default_to_zero_for_counts_and_null_for_rates() -> None:
    pipeline = load_reports()["pipeline"]
    data = dataset().model_copy(
        update={
            "report": "pipeline",
            "config": pipeline.model_dump(mode="json"),
            "series": {"pipeline_created": {ANN: {ago(0): 10.0}}},
            "points": {
                "accounts_owned": {LAST.start: {CY: 4, TEAM: 4}},
                "win_rate": {LAST.start: {CY: 50.0, TEAM: 50.0}},
            },
        }
    )

    entry = build_entry(data, LAST, generated_at="t", run_id="r")

    by_id = {r.id: r.metrics for r in entry.reps}
    assert set(by_id) == {ANN, CY}
    assert by_id[ANN]["accounts_owned"] == 0 and by_id[ANN]["open_opps"] == 0
    assert by_id[ANN]["win_rate"] is None and by_id[ANN]["velocity"] is None
    assert by_id[CY]["accounts_owned"] == 4 and by_id[CY]["win_rate"] == 50.0
    assert entry.totals is not None and entry.totals["accounts_owned"] == 4
