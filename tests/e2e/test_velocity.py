"""Velocity end to end: the real ASL and handlers on moto, against the demo org.

Every number is checked against `Independent`, a computation written here from
`demo_data`'s generated specs (the records as generated, not as stored), with
no code from `revops.velocity`: the two agree only if the queries, the report
runs, the time zones, the windows and the point-in-time measures are right.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from local import demo_data
from local.stack import LocalStack
from revops.store.velocity import VelocityHistoryStore
from revops.velocity import wiring

TZ = ZoneInfo("America/New_York")  # the template's OrgTimeZone default
AS_OF = "2025-11-04"
BACKFILL = {"startDate": "2025-11-03", "weeks": 12}
LOOKBACK_DAYS = 84  # the shipped pipeline report's 12-week lookback
PREFIX = "velocity/"
ABS = {"last": 0.006, "prior": 0.006, "6w_avg": 0.006, "wow_pct": 0.051, "vs_avg_pct": 0.051}
POINT_ABS = {
    "accounts_owned": 0,
    "open_opps": 0,
    "win_rate": 0.051,
    "avg_deal": 0.006,
    "avg_opp_age": 0.051,
    "velocity": 0.02,
}
WINDOWS = {
    "meetings": ("last", "prior", "6w_avg", "wow_pct"),
    "opp_dollars": ("last", "prior", "6w_avg", "wow_pct"),
    "closed_won": ("last", "prior", "wow_pct"),
    "pipeline_created": ("last", "prior", "6w_avg", "wow_pct", "vs_avg_pct"),
}
REPORT_METRICS = {
    "boca": ("meetings", "opp_dollars", "closed_won"),
    "pipeline": ("pipeline_created",),
}
POINTS = ("accounts_owned", "open_opps", "win_rate", "avg_deal", "avg_opp_age", "velocity")


# ---------------------------------------------------------------------- the independent computation


def sunday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.isoweekday() % 7))


def org_day(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def iso_key(sunday: date) -> str:
    year, week, _ = sunday.isocalendar()
    return f"{year}-{week:02d}"


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class Independent:
    """What each report should say for each week, straight from the generated specs."""

    def __init__(self, data: demo_data.OrgData, ids: dict[str, str]) -> None:
        self.data = data
        self.ids = ids
        self.weekly: dict[str, dict[str, dict[date, float]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(float))
        )
        for event in data.events:
            if event.type == "Meeting" and event.subject.startswith("Meeting Attended"):
                self.weekly["meetings"][event.owner_key][
                    sunday_on_or_before(event.activity_date)
                ] += 1
        for opp in data.opportunities:
            if opp.amount is None:
                continue  # a null Amount adds nothing to a sum
            created_week = sunday_on_or_before(org_day(opp.created))
            self.weekly["pipeline_created"][opp.owner_key][created_week] += opp.amount
            if opp.lead_source == "Boca":
                self.weekly["opp_dollars"][opp.owner_key][created_week] += opp.amount
                if opp.is_won:
                    closed_week = sunday_on_or_before(opp.close_date)
                    self.weekly["closed_won"][opp.owner_key][closed_week] += opp.amount
        names = {u.key: u.name for u in data.users}
        usernames = {u.key: u.email for u in data.users}  # the demo's usernames are the emails
        twice = {n for n in names.values() if list(names.values()).count(n) > 1}
        self.labels = {
            key: f"{name} ({usernames[key]})" if name in twice else name
            for key, name in names.items()
        }

    def windows(self, metric: str, owner: str, sunday: date) -> dict[str, float | None]:
        series = self.weekly[metric][owner]
        six = [series.get(sunday - timedelta(weeks=back), 0.0) for back in range(6)]
        last, prior, average = six[0], six[1], sum(six) / 6
        every = {
            "last": last,
            "prior": prior,
            "6w_avg": average,
            "wow_pct": None if prior == 0 else (last - prior) / prior * 100,
            "vs_avg_pct": None if average == 0 else (last - average) / average * 100,
        }
        return {name: every[name] for name in WINDOWS[metric]}

    def points(self, owner: str, sunday: date) -> dict[str, float | None]:
        end_day = sunday + timedelta(days=7)
        # In UTC: Python compares and subtracts two datetimes of one zone on the wall clock,
        # which is an hour off across a DST change.
        end = datetime.combine(end_day, time(0), tzinfo=TZ).astimezone(UTC)
        accounts = sum(
            1
            for a in self.data.accounts
            if a.owner_key == owner and a.created.astimezone(UTC) < end
        )
        mine = [
            o
            for o in self.data.opportunities
            if o.owner_key == owner and o.created.astimezone(UTC) < end
        ]
        still_open = [o for o in mine if not o.is_closed or o.close_date >= end_day]
        closed = [
            o
            for o in mine
            if o.is_closed and end_day - timedelta(days=LOOKBACK_DAYS) <= o.close_date < end_day
        ]
        won = [o for o in closed if o.is_won]
        win_rate = 100 * len(won) / len(closed) if closed else None
        avg_deal = mean([o.amount for o in won if o.amount is not None])
        cycle = mean([(o.close_date - org_day(o.created)).days for o in won])
        age = mean([(end - o.created.astimezone(UTC)).total_seconds() / 86400 for o in still_open])
        velocity = None
        if win_rate is not None and avg_deal is not None and cycle:
            velocity = len(still_open) * win_rate / 100 * avg_deal / cycle
        return {
            "accounts_owned": accounts,
            "open_opps": len(still_open),
            "win_rate": win_rate,
            "avg_deal": avg_deal,
            "avg_opp_age": age,
            "velocity": velocity,
        }

    def week(self, report: str, sunday: date) -> dict[str, dict[str, Any]]:
        """label -> metrics, for the reps the week shows."""
        shown: dict[str, dict[str, Any]] = {}
        for user in self.data.users:
            metrics: dict[str, Any] = {
                m: self.windows(m, user.key, sunday) for m in REPORT_METRICS[report]
            }
            active = any(
                self.weekly[m][user.key].get(sunday - timedelta(weeks=back), 0)
                for m in REPORT_METRICS[report]
                for back in range(6)
            )
            if report == "pipeline":
                points = self.points(user.key, sunday)
                metrics.update(points)
                active = active or any(points.values())
            if active:
                shown[self.labels[user.key]] = metrics
        return shown


# ---------------------------------------------------------------------- the stack


@dataclass
class Demo:
    stack: LocalStack
    data: demo_data.OrgData
    ids: dict[str, str]

    @property
    def expected(self) -> Independent:
        return Independent(self.data, self.ids)

    def run(self, payload: dict[str, Any], name: str) -> Any:
        return self.stack.run("VelocityStateMachine", payload, name=name, timeout=600)

    def site_keys(self) -> set[str]:
        s3 = self.stack.client("s3")
        listed = s3.list_objects_v2(Bucket=self.stack.physical_name("DashboardsBucket"))
        return {o["Key"] for o in listed.get("Contents", [])}

    def site_text(self, key: str) -> str:
        s3 = self.stack.client("s3")
        body = s3.get_object(Bucket=self.stack.physical_name("DashboardsBucket"), Key=key)["Body"]
        return str(body.read().decode())

    def history(self, report: str) -> list[dict[str, Any]]:
        return list(json.loads(self.site_text(f"{PREFIX}{report}_velocity_history.json")))

    @property
    def store(self) -> VelocityHistoryStore:
        return VelocityHistoryStore(self.stack.physical_name("VelocityHistoryTable"), "us-east-1")


def _demo(stack: LocalStack) -> Demo:
    # A warm container's gateway would still hold the previous test's session: its
    # re-login costs one (refused) call, which the exact call counts below would see.
    wiring.gateway.cache_clear()
    data = demo_data.generate_org()
    ids = demo_data.load_org(stack.org, data)
    return Demo(stack, data, ids)


@pytest.fixture
def demo(stack: LocalStack) -> Demo:
    return _demo(stack)


def assert_week_matches(demo: Demo, report: str, entry: dict[str, Any]) -> None:
    sunday = date.fromisoformat(entry["period_start"])
    expected = demo.expected.week(report, sunday)
    actual = entry["data"]["data"]
    assert sorted(actual) == sorted(expected), f"{report} {entry['week_key']}: reps differ"
    for label, metrics in expected.items():
        got = actual[label]
        for metric, value in metrics.items():
            where = f"{report} {entry['week_key']} {label} {metric}"
            if isinstance(value, dict):
                assert set(got[metric]) == set(value), where
                for window, number in value.items():
                    if number is None:
                        assert got[metric][window] is None, f"{where} {window}"
                    else:
                        assert got[metric][window] == pytest.approx(number, abs=ABS[window]), (
                            f"{where} {window}"
                        )
            elif value is None:
                assert got[metric] is None, where
            else:
                assert got[metric] == pytest.approx(value, abs=POINT_ABS[metric]), where


# ---------------------------------------------------------------------- weekly


def test_a_weekly_run_matches_an_independent_computation(demo: Demo) -> None:
    before = demo.stack.org.api_usage

    result = demo.run({"asOf": AS_OF}, "weekly")

    assert result.succeeded, (result.error, result.cause)
    summary = result.output
    assert summary["status"] == "completed" and summary["weeklyWeek"] == "2025-43"
    assert summary["weeks"] == ["2025-43"] and summary["failedWeeks"] == []
    for report in ("boca", "pipeline"):
        history = demo.history(report)
        assert [e["week_key"] for e in history] == ["2025-43"]
        entry = history[0]
        assert entry["period_start"] == "2025-10-26"
        assert entry["data"]["period"] == {
            "last_week": {"start": "2025-10-26", "end": "2025-11-01"},
            "prior_week": {"start": "2025-10-19", "end": "2025-10-25"},
        }
        assert_week_matches(demo, report, entry)
    # Salesforce calls: counted by us, and the org's own counter agrees.
    calls = summary["salesforce"]
    assert calls["totalCalls"] == demo.stack.org.api_usage - before
    assert calls["orgCounterDelta"] == calls["totalCalls"]
    # 3 saved-report describes (their definitions) and runs (as today), the integration
    # user's settings and 1 User lookup
    assert calls["calls"]["boca"] == 8
    assert calls["totalCalls"] <= 14


def test_reps_are_keyed_by_user_id_and_two_alex_morgans_stay_apart(demo: Demo) -> None:
    assert demo.run({"asOf": AS_OF}, "weekly").succeeded

    item = demo.store.get("pipeline", "2025-43")
    assert item is not None
    reps = {r["id"]: r for r in item.reps}
    alex = [demo.ids[k] for k in demo_data.DUPLICATE_NAME_USER_KEYS]
    assert all(reps[i]["name"] == "Alex Morgan" for i in alex)
    emails = {u.key: u.email for u in demo.data.users}
    assert {reps[i]["label"] for i in alex} == {
        f"Alex Morgan ({emails[k]})" for k in demo_data.DUPLICATE_NAME_USER_KEYS
    }
    inactive = demo.ids[demo_data.INACTIVE_USER_KEY]
    assert reps[inactive]["active"] is False  # Marcus Webb still owns accounts and deals
    assert all(reps[i]["active"] is True for i in alex)


def test_a_rerun_in_the_same_week_overwrites_its_entry(demo: Demo) -> None:
    assert demo.run({"asOf": AS_OF}, "first").succeeded
    demo.stack.org.insert(
        "Event",
        {
            "OwnerId": demo.ids["user-01"],
            "ActivityDate": "2025-10-28",
            "Subject": "Meeting Attended - late entry",
            "Type": "Meeting",
        },
    )

    assert demo.run({"asOf": "2025-11-06"}, "second").succeeded

    history = demo.history("boca")
    assert [e["week_key"] for e in history] == ["2025-43"]
    item = demo.store.get("boca", "2025-43")
    assert item is not None and item.run_id == "second"
    jordan = history[0]["data"]["data"]["Jordan Reyes"]["meetings"]["last"]
    expected = demo.expected.windows("meetings", "user-01", date(2025, 10, 26))["last"]
    assert expected is not None and jordan == expected + 1


# ---------------------------------------------------------------------- backfill


def test_a_12_week_backfill_gives_12_consecutive_weeks_that_all_match(demo: Demo) -> None:
    before = demo.stack.org.api_usage

    result = demo.run({"asOf": AS_OF, "backfill": BACKFILL}, "backfill")

    assert result.succeeded, (result.error, result.cause)
    summary = result.output
    keys = [f"2025-{n}" for n in range(44, 32, -1)]
    assert summary["backfillWeeks"] == keys  # consecutive: nothing skipped
    for report in ("boca", "pipeline"):
        history = demo.history(report)
        assert [e["week_key"] for e in history] == keys
        starts = [date.fromisoformat(e["period_start"]) for e in history]
        assert all(a - b == timedelta(weeks=1) for a, b in itertools.pairwise(starts))
        assert [iso_key(s) for s in starts] == keys
        for entry in history:
            assert_week_matches(demo, report, entry)
    # One read per metric for all 12 weeks, not 3 report runs per week.
    calls = summary["salesforce"]
    assert calls["totalCalls"] == demo.stack.org.api_usage - before
    assert calls["oldScriptsReportRuns"] == 36
    assert calls["calls"]["boca"] == 8
    assert calls["totalCalls"] <= 15  # about one call per week, for both reports together


def test_the_planted_oddities_are_in_the_backfill(demo: Demo) -> None:
    assert demo.run({"asOf": AS_OF, "backfill": BACKFILL}, "backfill").succeeded
    boca = {e["week_key"]: e for e in demo.history("boca")}
    pipeline = {e["week_key"]: e for e in demo.history("pipeline")}

    # The empty week: nobody did anything, everyone still shows (their averages), all zeros.
    empty = iso_key(demo.data.empty_week)
    assert boca[empty]["data"]["data"]
    for metrics in boca[empty]["data"]["data"].values():
        assert metrics["meetings"]["last"] == 0 and metrics["opp_dollars"]["last"] == 0
    for metrics in pipeline[empty]["data"]["data"].values():
        assert metrics["pipeline_created"]["last"] == 0
    # The week after it: prior is 0, so week-over-week is null, not 0 and not Infinity.
    after = iso_key(demo.data.empty_week + timedelta(weeks=1))
    changes = [m["meetings"]["wow_pct"] for m in boca[after]["data"]["data"].values()]
    assert changes and all(c is None for c in changes)
    # Null Amounts fall inside the fetched range (and are left out of sums and averages).
    first = date.fromisoformat(boca["2025-33"]["period_start"]) - timedelta(weeks=5)
    assert any(o.amount is None and org_day(o.created) >= first for o in demo.data.opportunities)
    # A rep's planted quiet week: shown with zeros, not left out.
    (quiet,) = demo.data.quiet_weeks["user-05"]
    sam = boca[iso_key(quiet)]["data"]["data"]["Sam O'Connor"]
    assert sam["meetings"]["last"] == 0 and sam["meetings"]["6w_avg"] > 0
    # The inactive rep, silent for the last weeks: zeros while the averages still reach
    # back to their activity, and their accounts and open deals still count.
    marcus = boca["2025-43"]["data"]["data"]["Marcus Webb"]
    assert marcus["meetings"]["last"] == 0 and marcus["meetings"]["6w_avg"] > 0
    assert pipeline["2025-43"]["data"]["data"]["Marcus Webb"]["accounts_owned"] > 0


def test_a_rep_who_starts_mid_range_appears_with_their_first_activity() -> None:
    with LocalStack(parameters={"VelocityHistoryWeeks": "30"}) as stack:
        demo = _demo(stack)
        result = demo.run(
            {"asOf": AS_OF, "backfill": {"startDate": "2025-10-26", "weeks": 20}}, "long"
        )

        assert result.succeeded, (result.error, result.cause)
        history = demo.history("boca")
        assert len(history) == 20
        for entry in history:
            assert_week_matches(demo, "boca", entry)
        dana = demo.expected.labels[demo_data.LATE_START_USER_KEY]
        shown = [dana in e["data"]["data"] for e in reversed(history)]  # oldest first
        assert not shown[0] and shown[-1]
        assert shown == sorted(shown)  # absent, then present from the first activity on


def test_history_keeps_the_configured_number_of_weeks() -> None:
    with LocalStack(parameters={"VelocityHistoryWeeks": "4"}) as stack:
        demo = _demo(stack)
        result = demo.run({"asOf": AS_OF, "backfill": {"startDate": "2025-11-03", "weeks": 6}}, "r")

        assert result.succeeded, (result.error, result.cause)
        assert [e["week_key"] for e in demo.history("pipeline")] == [
            "2025-44",
            "2025-43",
            "2025-42",
            "2025-41",
        ]
        assert result.output["reports"]["pipeline"]["prunedWeeks"] == ["2025-40", "2025-39"]
        assert demo.store.week_keys("boca") == ["2025-44", "2025-43", "2025-42", "2025-41"]


# ---------------------------------------------------------------------- flags and failures


@pytest.mark.parametrize(
    ("flag", "skipped", "ran"),
    [("skipBoca", "boca", "pipeline"), ("skipPipeline", "pipeline", "boca")],
)
def test_a_skip_flag_leaves_one_report_out(demo: Demo, flag: str, skipped: str, ran: str) -> None:
    result = demo.run({"asOf": AS_OF, flag: True}, f"skip-{skipped}")

    assert result.succeeded, (result.error, result.cause)
    assert result.output["reports"][skipped]["status"] == "skipped"
    assert result.output["reports"][ran]["status"] == "completed"
    keys = demo.site_keys()
    assert f"{PREFIX}{ran}_velocity_history.json" in keys
    assert f"{PREFIX}{skipped}_velocity_history.json" not in keys
    assert demo.store.week_keys(skipped) == []
    assert skipped not in result.output["salesforce"]["calls"]


def test_a_failing_week_is_recorded_and_the_others_go_on(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = VelocityHistoryStore.put

    def lose_week_40(self: VelocityHistoryStore, report: str, week_key: str, document: Any) -> None:
        if week_key == "2025-40":
            raise RuntimeError(f"{report} {week_key}: the write was lost")
        original(self, report, week_key, document)

    monkeypatch.setattr(VelocityHistoryStore, "put", lose_week_40)

    result = demo.run({"asOf": AS_OF, "backfill": BACKFILL}, "lossy")

    assert result.succeeded, (result.error, result.cause)
    summary = result.output
    assert summary["status"] == "completed_with_errors"
    assert summary["failedWeeks"] == ["boca 2025-40", "pipeline 2025-40"]
    for report in ("boca", "pipeline"):
        detail = summary["reports"][report]
        assert detail["status"] == "completed_with_errors"
        assert detail["failedWeeks"] == [
            {
                "weekKey": "2025-40",
                "error": "RuntimeError",
                "message": f"{report} 2025-40: the write was lost",
            }
        ]
        assert len(detail["weeksWritten"]) == 11
        assert "2025-40" not in [e["week_key"] for e in demo.history(report)]
    assert "boca 2025-40" in demo.site_text(f"{PREFIX}index.html")


@pytest.mark.parametrize(
    "payload",
    [
        {"asOf": "2025-11-31"},
        {"asOf": "not a date"},
        {"asOf": AS_OF, "backfill": {"startDate": "2025-11-03", "weeks": 0}},
        {"asOf": AS_OF, "backfill": {"startDate": "2025-11-03", "weeks": "12"}},
        {"asOf": AS_OF, "backfill": {"startDate": "03/11/2025", "weeks": 12}},
        {"asOf": AS_OF, "skipBoca": True, "skipPipeline": True},
    ],
)
def test_invalid_inputs_are_rejected_before_any_work(demo: Demo, payload: dict[str, Any]) -> None:
    before = demo.stack.org.api_usage

    result = demo.run(payload, "invalid")

    assert result.status == "FAILED" and result.error == "InvalidInputError"
    assert "VelocityInput" in json.loads(result.cause or "{}")["errorMessage"]
    assert demo.stack.org.api_usage == before  # no Salesforce call
    assert demo.site_keys() == set() and demo.store.week_keys("boca") == []


def test_a_missing_saved_report_fails_the_run_naming_it(demo: Demo) -> None:
    missing = demo_data.BOCA_REPORT_IDS["closed_won"]
    del demo.stack.org.analytics.reports[missing]

    result = demo.run({"asOf": AS_OF}, "missing-report")

    assert result.status == "FAILED" and result.error == "ReportDefinitionError"
    assert "boca" in (result.cause or "") and missing in (result.cause or "")
    assert "'closed_won'" in (result.cause or "")
    # the other report still ran and was published
    assert f"{PREFIX}pipeline_velocity_history.json" in demo.site_keys()
    assert demo.store.week_keys("boca") == []


def test_a_report_with_unexpected_groupings_fails_the_run_naming_it(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    analytics = demo.stack.org.analytics
    original = analytics.metadata
    meetings = demo_data.BOCA_REPORT_IDS["meetings"]

    def by_month(report: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        metadata = original(report, *args, **kwargs)
        if report.id == meetings:
            metadata["groupingsDown"][0]["dateGranularity"] = "Month"
        return dict(metadata)

    monkeypatch.setattr(analytics, "metadata", by_month)

    result = demo.run({"asOf": AS_OF}, "bad-groupings")

    assert result.status == "FAILED" and result.error == "ReportDefinitionError"
    assert meetings in (result.cause or "") and "week first" in (result.cause or "")


def test_a_deleted_owner_keeps_their_numbers_under_their_id(demo: Demo) -> None:
    gone = demo.ids["user-02"]
    demo.stack.org.delete("User", gone)

    result = demo.run({"asOf": AS_OF}, "deleted-owner")

    assert result.succeeded, (result.error, result.cause)
    entry = demo.history("pipeline")[0]["data"]["data"]
    label = f"Unknown user {gone}"
    assert "Priya Natarajan" not in entry and label in entry
    expected = demo.expected.windows("pipeline_created", "user-02", date(2025, 10, 26))
    assert entry[label]["pipeline_created"]["last"] == pytest.approx(expected["last"])
    item = demo.store.get("pipeline", "2025-43")
    assert item is not None
    assert {r["id"]: r["active"] for r in item.reps}[gone] is None


# ---------------------------------------------------------------------- report overrides


def test_boca_from_soql_overrides_equals_boca_from_saved_reports() -> None:
    """The same metrics defined as SOQL (an SSM override) give the saved reports' numbers."""

    def soql(date_field: str, date_type: str, value: str, filters: str) -> dict[str, Any]:
        return {
            "type": "soql",
            "object": "Event" if date_field == "ActivityDate" else "Opportunity",
            "owner_field": "OwnerId",
            "date_field": date_field,
            "date_type": date_type,
            "value": value,
            "filters": filters,
        }

    metrics = []
    for key, source in {
        "meetings": soql("ActivityDate", "date", "count", demo_data.MEETINGS_ATTENDED_FILTER),
        "opp_dollars": soql("CreatedDate", "datetime", "SUM(Amount)", demo_data.BOCA_OPP_FILTER),
        "closed_won": soql("CloseDate", "date", "SUM(Amount)", demo_data.BOCA_CLOSED_WON_FILTER),
    }.items():
        metrics += [{"key": key, "remove": True}]
        metrics += [
            {
                "key": key,
                "label": key,
                "format": "count" if key == "meetings" else "currency",
                "windows": list(WINDOWS[key]),
                "source": source,
            }
        ]
    name = "/revops/local/velocity/reports"
    with LocalStack(parameters={"VelocityReportOverrides": name}) as stack:
        stack.client("ssm").put_parameter(
            Name=name, Value=json.dumps({"boca": {"metrics": metrics}}), Type="String"
        )
        demo = _demo(stack)
        result = demo.run({"asOf": AS_OF, "skipPipeline": True, "backfill": BACKFILL}, "soql")

        assert result.succeeded, (result.error, result.cause)
        history = demo.history("boca")
        assert len(history) == 12
        for entry in history:
            assert_week_matches(demo, "boca", entry)
        assert result.output["salesforce"]["calls"]["boca"] == 4  # 3 queries + users
