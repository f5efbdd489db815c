"""History files: exported in the seed's shape, imported without loss, malformed ones refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from revops.velocity.config import load_reports
from revops.velocity.history import (
    MalformedHistoryError,
    export_history,
    from_item,
    load_history_text,
    parse_history,
    to_document,
)
from revops.velocity.logic import import_history
from revops.velocity.models import ImportRequest
from tests.unit.velocity.conftest import Aws

# The guide's own example, verbatim.
SEED_ENTRY: dict[str, Any] = {
    "week_key": "2025-44",
    "period_start": "2025-11-03",
    "generated_at": "2025-11-04T15:30:00",
    "data": {
        "period": {
            "last_week": {"start": "2025-10-27", "end": "2025-11-02"},
            "prior_week": {"start": "2025-10-20", "end": "2025-10-26"},
        },
        "data": {
            "Rep Name": {
                "meetings": {"last": 10, "prior": 8, "6w_avg": 9.5, "wow_pct": 25.0},
                "opp_dollars": {"last": 50000, "prior": 40000, "6w_avg": 45000, "wow_pct": 25.0},
                "closed_won": {"last": 30000, "prior": 25000, "wow_pct": 20.0},
            }
        },
    },
}


def _older(week_key: str, start: str, reps: dict[str, Any]) -> dict[str, Any]:
    entry = copy.deepcopy(SEED_ENTRY)
    entry.update(week_key=week_key, period_start=start, generated_at=f"{start}T09:00:00")
    entry["data"]["data"] = reps
    return entry


OLD_FILE = [
    SEED_ENTRY,
    _older(
        "2025-43",
        "2025-10-27",
        {
            "Alex Morgan (0055g0000000003AAA)": {
                "meetings": {"last": 1, "prior": 0, "6w_avg": 0.17, "wow_pct": None}
            },
            "Alex Morgan (0055g0000000004AAA)": {
                "meetings": {"last": 2, "prior": 2, "6w_avg": 2.0, "wow_pct": 0.0}
            },
        },
    ),
    _older("2025-42", "2025-10-20", {}),
]


def _import(aws: Aws, document: Any, *, overwrite: bool = False, report: str = "boca") -> Any:
    return import_history(
        ImportRequest(report=report, key="old.json", overwrite=overwrite),
        json.dumps(document),
        reports=load_reports(),
        store=aws.store,
        site=aws.site,
        keep=12,
        prefix="velocity/",
        generated_at="2025-11-10T06:00:00-05:00",
        source="s3://config-bucket/old.json",
    )


def test_the_guides_example_round_trips_exactly() -> None:
    entries = parse_history("boca", [SEED_ENTRY])

    assert export_history(entries) == [SEED_ENTRY]
    assert entries[0].reps[0].id is None and entries[0].reps[0].name == "Rep Name"


def test_an_imported_file_is_exported_again_without_loss(aws: Aws) -> None:
    result = _import(aws, OLD_FILE)

    assert result.imported == ["2025-44", "2025-43", "2025-42"]
    exported = json.loads(aws.site_text("velocity/boca_velocity_history.json"))
    assert exported == OLD_FILE
    # ints stay ints and floats stay floats (50000 is not 50000.0)
    assert exported[0]["data"]["data"]["Rep Name"]["opp_dollars"]["last"] == 50000
    assert isinstance(exported[0]["data"]["data"]["Rep Name"]["opp_dollars"]["last"], int)
    assert "velocity/boca_velocity_latest.html" in aws.site_keys()
    assert "velocity/index.html" in aws.site_keys()


def test_a_name_with_a_user_id_gives_the_id_back(aws: Aws) -> None:
    _import(aws, OLD_FILE)

    entry = from_item(aws.store.get("boca", "2025-43"))

    assert [(r.id, r.name) for r in entry.reps] == [
        ("0055g0000000003AAA", "Alex Morgan"),
        ("0055g0000000004AAA", "Alex Morgan"),
    ]
    assert entry.source == "import"


def test_an_import_keeps_weeks_already_there_unless_told_to_overwrite(aws: Aws) -> None:
    existing = parse_history("boca", [_older("2025-44", "2025-10-26", {"Kept": {"meetings": 1}})])[
        0
    ]
    aws.store.put("boca", "2025-44", to_document(existing))

    kept = _import(aws, OLD_FILE)

    assert kept.skipped == ["2025-44"] and kept.imported == ["2025-43", "2025-42"]
    assert [r.label for r in from_item(aws.store.get("boca", "2025-44")).reps] == ["Kept"]

    replaced = _import(aws, OLD_FILE, overwrite=True)

    assert replaced.imported == ["2025-44", "2025-43", "2025-42"]
    assert [r.label for r in from_item(aws.store.get("boca", "2025-44")).reps] == ["Rep Name"]


def _broken(change: Any) -> Any:
    document = copy.deepcopy(OLD_FILE)
    change(document)
    return document


MALFORMED: list[tuple[str, Any, str]] = [
    ("not a list", {"week_key": "2025-44"}, "JSON list"),
    ("entry not an object", ["2025-44"], r"\[0\] is not an object"),
    ("missing data", _broken(lambda d: d[0].pop("data")), r"\[0\] lacks data"),
    ("unknown key", _broken(lambda d: d[1].update(notes="x")), "unknown keys notes"),
    ("bad week key", _broken(lambda d: d[0].update(week_key="2025-W44")), "not YYYY-WW"),
    ("repeated week", _broken(lambda d: d[2].update(week_key="2025-44")), "repeats entry"),
    ("bad period_start", _broken(lambda d: d[0].update(period_start="11/03/2025")), "period_start"),
    ("no prior week", _broken(lambda d: d[0]["data"]["period"].pop("prior_week")), "prior_week"),
    ("reps not an object", _broken(lambda d: d[0]["data"].update(data=[1])), "keyed by rep"),
    (
        "text value",
        _broken(lambda d: d[0]["data"]["data"]["Rep Name"]["meetings"].update(last="ten")),
        "last must be numbers",
    ),
    (
        "boolean value",
        _broken(lambda d: d[0]["data"]["data"]["Rep Name"].update(open_opps=True)),
        "open_opps must be a number",
    ),
]


@pytest.mark.parametrize(("case", "document", "problem"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_file_is_rejected_and_the_history_is_left_untouched(
    aws: Aws, case: str, document: Any, problem: str
) -> None:
    _import(aws, [SEED_ENTRY])
    before = [to_document(from_item(i)) for i in aws.store.weeks("boca")]
    files_before = {key: aws.site_text(key) for key in aws.site_keys()}

    with pytest.raises(MalformedHistoryError, match=problem):
        _import(aws, document, overwrite=True)

    assert [to_document(from_item(i)) for i in aws.store.weeks("boca")] == before
    assert {key: aws.site_text(key) for key in aws.site_keys()} == files_before


@pytest.mark.parametrize("text", ['[{"week_key": NaN}]', "[1, 2", "Infinity"])
def test_non_json_and_non_standard_numbers_are_malformed(text: str) -> None:
    with pytest.raises(MalformedHistoryError, match="not JSON"):
        load_history_text(text)


def test_export_is_newest_week_first() -> None:
    entries = parse_history("boca", list(reversed(OLD_FILE)))

    assert [e["week_key"] for e in export_history(entries)] == ["2025-44", "2025-43", "2025-42"]


def test_prune_keeps_the_newest_weeks(aws: Aws) -> None:
    for n in range(30, 45):
        entry = parse_history("boca", [_older(f"2025-{n}", "2025-08-01", {})])[0]
        aws.store.put("boca", entry.week_key, to_document(entry))

    pruned = aws.store.prune("boca", 12)

    assert pruned == ["2025-32", "2025-31", "2025-30"]
    assert aws.store.week_keys("boca") == [f"2025-{n}" for n in range(44, 32, -1)]
