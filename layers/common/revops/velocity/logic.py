"""The Velocity workflow's steps: plan, fetch, compute a week, publish; and the import.

    Plan ──▶ Parallel ┬─ boca:     Fetch (one read per metric) ──▶ Map over weeks: Compute week
                      └─ pipeline: Fetch (one read per metric) ──▶ Map over weeks: Compute week
         ──▶ Publish (prune, export JSON, render dashboards, summary)

Each function takes models and collaborators and returns a model; the handlers
in `functions/` only parse, wire and call.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from revops.errors import InvalidInputError, UpstreamError
from revops.integrations.objects import DocumentStore
from revops.store.velocity import VelocityHistoryStore
from revops.validation import parse
from revops.velocity import dashboards, definitions
from revops.velocity.config import (
    REPORT_NAMES,
    MetricConfig,
    ReportConfig,
    ReportSource,
    parse_report,
)
from revops.velocity.dataset import Dataset, RepInfo, build_entry, labels_for, week_end_day
from revops.velocity.history import (
    HistoryEntry,
    export_text,
    from_item,
    load_history_text,
    parse_history,
    to_document,
)
from revops.velocity.models import (
    ApiCalls,
    BranchResult,
    ComputeRequest,
    FailedWeek,
    FetchRequest,
    FetchResult,
    ImportRequest,
    ImportResult,
    Plan,
    PlanRequest,
    PublishRequest,
    ReportPlan,
    ReportSummary,
    SalesforceUsage,
    Summary,
    VelocityInput,
    WeekOutcome,
    WeekRef,
)
from revops.velocity.points import (
    OPPORTUNITY_MEASURES,
    TEAM,
    OppFact,
    accounts_owned,
    opportunity_measure,
)
from revops.velocity.preflight import require_user
from revops.velocity.sources import Series, VelocitySource
from revops.velocity.weeks import Calendar, Week
from revops.velocity.windows import AVERAGE_WEEKS

OLD_SCRIPT_REPORT_RUNS_PER_WEEK = 3
INDEX_PAGE = "index.html"
SUMMARY_FILE = "last_run.json"


def data_key(run_id: str, report: str) -> str:
    return f"velocity/runs/{run_id}/{report}.json"


def local_timestamp(calendar: Calendar, now: datetime) -> str:
    return now.astimezone(calendar.zone).isoformat(timespec="seconds")


# ---------------------------------------------------------------------- plan


def plan(
    request: PlanRequest,
    *,
    calendar: Calendar,
    reports: dict[str, ReportConfig],
    history_weeks: int,
    now: datetime,
) -> Plan:
    """Validate the input and resolve the weeks to report (InvalidInputError before any work)."""
    args = parse(VelocityInput, request.input or {})
    today = calendar.today(now)
    as_of = args.as_of or today
    if as_of > today:
        raise InvalidInputError(
            f"asOf {as_of} is in the future (today is {today} in {calendar.time_zone})"
        )
    weekly = calendar.last_week(as_of)
    backfill: list[Week] = []
    if args.backfill is not None:
        if args.backfill.start_date > as_of:
            raise InvalidInputError(
                f"backfill.startDate {args.backfill.start_date} is after asOf {as_of}"
            )
        backfill = calendar.backfill(args.backfill.start_date, args.backfill.weeks)
    weeks = sorted({weekly, *backfill}, reverse=True)
    skip = {"boca": args.skip_boca, "pipeline": args.skip_pipeline}
    return Plan(
        run_id=request.run_id,
        as_of=as_of,
        generated_at=local_timestamp(calendar, now),
        time_zone=calendar.time_zone,
        week_start=calendar.week_start,
        weeks=[WeekRef.of(w) for w in weeks],
        weekly_week=weekly.key,
        backfill_weeks=[w.key for w in backfill],
        history_weeks=history_weeks,
        reports={
            name: ReportPlan(run=not skip[name], config=reports[name].model_dump(mode="json"))
            for name in REPORT_NAMES
        },
    )


# ---------------------------------------------------------------------- fetch


def _point_values(
    source: VelocitySource, report: ReportConfig, weeks: list[Week]
) -> dict[str, dict[date, dict[str, float | int | None]]]:
    """Every point-in-time metric for every week: one Account read and one Opportunity
    read per distinct filter, whatever the number of weeks."""
    calendar = source.calendar
    points: dict[str, dict[date, dict[str, float | int | None]]] = {}
    metrics = report.point_metrics
    if not metrics:
        return points
    oldest, newest = min(weeks), max(weeks)
    first_end, last_end = week_end_day(oldest), week_end_day(newest)
    account_cache: dict[str | None, tuple[dict[str, int], dict[str, dict[date, int]]]] = {}
    opp_cache: dict[str | None, list[OppFact]] = {}
    lookback: dict[str | None, int] = defaultdict(int)
    for metric in metrics:
        assert metric.point is not None
        if metric.point.measure in OPPORTUNITY_MEASURES:
            lookback[metric.point.filters] = max(
                lookback[metric.point.filters], metric.point.lookback_weeks
            )
    for metric in metrics:
        spec = metric.point
        assert spec is not None
        by_week: dict[date, dict[str, float | int | None]] = {}
        if spec.measure == "accounts_owned":
            if spec.filters not in account_cache:
                baseline = source.account_baseline(spec.filters, calendar.local_midnight(first_end))
                created = (
                    source.accounts_created(spec.filters, first_end, last_end)
                    if last_end > first_end
                    else {}
                )
                account_cache[spec.filters] = (baseline, created)
            baseline, created = account_cache[spec.filters]
            for week in weeks:
                by_week[week.start] = accounts_owned(baseline, created, week_end_day(week))
        else:
            if spec.filters not in opp_cache:
                opp_cache[spec.filters] = source.opportunity_facts(
                    spec.filters,
                    calendar.local_midnight(last_end),
                    first_end - timedelta(weeks=lookback[spec.filters]),
                )
            facts = opp_cache[spec.filters]
            for week in weeks:
                end_day = week_end_day(week)
                by_week[week.start] = opportunity_measure(
                    spec.measure,
                    facts,
                    end=calendar.local_midnight(end_day),
                    end_day=end_day,
                    lookback_weeks=spec.lookback_weeks,
                    calendar=calendar,
                )
        points[metric.key] = by_week
    return points


def _window_series(source: VelocitySource, metric: MetricConfig, first: Week, last: Week) -> Series:
    if isinstance(metric.source, ReportSource):
        return source.report_series(metric.key, metric.source, first, last)
    assert metric.source is not None
    return source.soql_series(metric.key, metric.source, first, last)


def _unknown_owner(owner: str, report_label: str | None) -> str:
    """A name for an owner no User answers for (deleted, or not visible to us)."""
    if report_label and report_label != owner:
        return report_label
    return f"Unknown user {owner}"


def fetch(request: FetchRequest, source: VelocitySource, documents: DocumentStore) -> FetchResult:
    """Read every week the run needs from Salesforce once, and keep it for the week steps."""
    report = parse_report(request.report, request.config)
    if any(isinstance(m.source, ReportSource) for m in report.window_metrics):
        # Saved reports group and filter in the integration user's zone and locale weeks:
        # refuse, with StackCheck's message, rather than publish numbers shifted by a day.
        require_user(source.integration_user(), source.calendar)
    weeks = sorted({ref.week for ref in request.weeks})
    first, last = weeks[0].shifted(1 - AVERAGE_WEEKS), weeks[-1]
    series: dict[str, dict[str, dict[date, float]]] = {}
    names: dict[str, str] = {}
    counted: dict[str, dict[str, Any]] = {}
    for metric in report.window_metrics:
        fetched = _window_series(source, metric, first, last)
        counted[metric.key] = fetched.definition
        series[metric.key] = {owner: dict(values) for owner, values in fetched.values.items()}
        for owner, name in fetched.names.items():
            names.setdefault(owner, name)
    points = _point_values(source, report, weeks)
    owners = {owner for values in series.values() for owner in values}
    owners |= {
        o for by_week in points.values() for row in by_week.values() for o in row if o != TEAM
    }
    users = source.users(owners)
    shown = {o: users[o].name if o in users else _unknown_owner(o, names.get(o)) for o in owners}
    handles = {o: users[o].username or users[o].email or o for o in users}
    labels = labels_for(shown, handles)
    reps = {
        o: RepInfo(
            id=o,
            name=shown[o],
            label=labels[o],
            username=users[o].username if o in users else None,
            active=users[o].active if o in users else None,
            known=o in users,
        )
        for o in owners
    }
    calendar = source.calendar
    dataset = Dataset(
        report=report.name,
        config=report.model_dump(mode="json"),
        time_zone=calendar.time_zone,
        week_start=calendar.week_start,
        weeks=[w.start for w in weeks],
        range_start=first.start,
        range_end=last.end,
        series=series,
        points=points,
        reps=reps,
        definitions=counted,
    )
    key = data_key(request.run_id, report.name)
    documents.put_json(key, dataset.model_dump(mode="json"))
    meter = source.meter
    return FetchResult(
        report=report.name,
        bucket=documents.bucket,
        data_key=key,
        weeks=sorted(request.weeks, key=lambda ref: ref.start, reverse=True),
        range_start=first.start,
        range_end=last.end,
        reps=len(reps),
        definitions=counted,
        api=ApiCalls(
            calls=meter.calls,
            first_used=meter.first_used,
            last_used=meter.last_used,
            limit=meter.limit,
        ),
    )


# ---------------------------------------------------------------------- compute


def compute_week(
    request: ComputeRequest, documents: DocumentStore, store: VelocityHistoryStore
) -> WeekOutcome:
    """Build one week's entry from the fetched dataset and write it (overwriting a rerun)."""
    dataset = Dataset.model_validate(documents.get_json(request.data_key))
    if dataset.report != request.report:
        raise InvalidInputError(f"{request.data_key} holds {dataset.report}, not {request.report}")
    entry = build_entry(
        dataset,
        request.week.week,
        generated_at=request.generated_at,
        run_id=request.run_id,
        as_of=request.as_of,
    )
    store.put(entry.report, entry.week_key, to_document(entry))
    return WeekOutcome(week_key=entry.week_key, status="ok", reps=len(entry.reps))


# ---------------------------------------------------------------------- publish


def _message(cause: str | None) -> str:
    """The errorMessage inside a Lambda error's Cause, or the cause itself."""
    if not cause:
        return ""
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        return str(parsed["errorMessage"])
    return cause


def history_of(store: VelocityHistoryStore, report: str, keep: int) -> list[HistoryEntry]:
    """A report's newest `keep` weeks, newest first."""
    return [from_item(item) for item in store.weeks(report, limit=keep)]


def publish_report(
    report: ReportConfig,
    store: VelocityHistoryStore,
    site: DocumentStore,
    *,
    keep: int,
    prefix: str,
    generated_at: str,
) -> list[str]:
    """Export a report's history JSON and render its page; the keys written."""
    history = history_of(store, report.name, keep)
    history_key = f"{prefix}{report.history_file}"
    page_key = f"{prefix}{report.page_file}"
    site.put_text(history_key, export_text(history), "application/json; charset=utf-8")
    page = dashboards.render_report_page(report, history, generated_at=generated_at)
    site.put_text(page_key, page, "text/html; charset=utf-8")
    return [history_key, page_key]


def publish_index(
    reports: Iterable[ReportConfig],
    store: VelocityHistoryStore,
    site: DocumentStore,
    *,
    keep: int,
    prefix: str,
    generated_at: str,
    summary: dict[str, Any] | None = None,
) -> str:
    cards = []
    for report in reports:
        history = history_of(store, report.name, keep)
        cards.append(dashboards.ReportCard(report=report, history=history))
    key = f"{prefix}{INDEX_PAGE}"
    page = dashboards.render_index(cards, generated_at=generated_at, summary=summary)
    site.put_text(key, page, "text/html; charset=utf-8")
    return key


def _report_summary(
    branch: BranchResult,
    report: ReportConfig,
    store: VelocityHistoryStore,
    site: DocumentStore,
    *,
    keep: int,
    prefix: str,
    run: Plan,
) -> ReportSummary:
    generated_at = run.generated_at
    if branch.status == "skipped":
        return ReportSummary(status="skipped")
    if branch.status == "failed" or branch.fetched is None:
        return ReportSummary(
            status="failed",
            error=branch.error or "FetchFailed",
            message=_message(branch.cause) or "the report could not be read",
        )
    written = sorted((w.week_key for w in branch.weeks if w.status == "ok"), reverse=True)
    failed = [
        FailedWeek(week_key=w.week_key, error=w.error or "Error", message=_message(w.cause))
        for w in sorted(branch.weeks, key=lambda w: w.week_key, reverse=True)
        if w.status != "ok"
    ]
    pruned = store.prune(report.name, keep)
    files = publish_report(report, store, site, keep=keep, prefix=prefix, generated_at=generated_at)
    counted = branch.fetched.definitions
    earlier = [
        (e.week_key, e.generated_at, e.definitions)
        for e in history_of(store, report.name, keep)
        if e.run_id != run.run_id
    ]
    in_progress = [w.week_key for w in run.weeks if w.week_key in written and run.as_of <= w.end]
    status = "completed"
    error = message = None
    if failed:
        status = "failed" if not written else "completed_with_errors"
        if not written:
            error, message = failed[0].error, failed[0].message
    return ReportSummary(
        status=status,
        weeks_written=written,
        failed_weeks=failed,
        history_weeks=store.week_keys(report.name),
        pruned_weeks=pruned,
        reps=branch.fetched.reps,
        api_calls=branch.fetched.api.calls,
        files=files,
        definitions=[f"{key}: {definitions.sentence(d)}" for key, d in counted.items()],
        definition_changes=definitions.changes(counted, earlier),
        in_progress_weeks=in_progress,
        error=error,
        message=message,
    )


def _usage(branches: list[BranchResult], weeks: int) -> SalesforceUsage:
    calls = {b.report: b.fetched.api.calls for b in branches if b.fetched is not None}
    firsts = [b.fetched.api.first_used for b in branches if b.fetched and b.fetched.api.first_used]
    lasts = [b.fetched.api.last_used for b in branches if b.fetched and b.fetched.api.last_used]
    limits = [b.fetched.api.limit for b in branches if b.fetched and b.fetched.api.limit]
    return SalesforceUsage(
        calls=calls,
        total_calls=sum(calls.values()),
        org_counter_delta=max(lasts) - min(firsts) + 1 if firsts and lasts else None,
        daily_limit=max(limits) if limits else None,
        weeks=weeks,
        old_scripts_report_runs=OLD_SCRIPT_REPORT_RUNS_PER_WEEK * weeks,
    )


def publish(
    request: PublishRequest,
    store: VelocityHistoryStore,
    site: DocumentStore,
    *,
    prefix: str,
) -> Summary:
    """Prune, export and render every report that ran, then the index; the run's summary."""
    run = request.plan
    keep = run.history_weeks
    configs = {name: parse_report(name, plan.config) for name, plan in run.reports.items()}
    summaries: dict[str, ReportSummary] = {}
    for branch in request.reports:
        summaries[branch.report] = _report_summary(
            branch,
            configs[branch.report],
            store,
            site,
            keep=keep,
            prefix=prefix,
            run=run,
        )
    failed_weeks = [
        f"{name} {week.week_key}" for name, s in summaries.items() for week in s.failed_weeks
    ]
    failures = [(name, s) for name, s in summaries.items() if s.status == "failed"]
    status = "failed" if failures else "completed_with_errors" if failed_weeks else "completed"
    error = message = None
    if failures:
        error = failures[0][1].error
        message = "; ".join(f"{name}: {s.message}" for name, s in failures)
    summary = Summary(
        run_id=run.run_id,
        status=status,
        as_of=run.as_of,
        generated_at=run.generated_at,
        weekly_week=run.weekly_week,
        weeks=[w.week_key for w in run.weeks],
        backfill_weeks=run.backfill_weeks,
        reports=summaries,
        failed_weeks=failed_weeks,
        definition_changes=[
            f"{name} {c['metric']}: was {c['before']}; now {c['after']}"
            + (f" (weeks {', '.join(c['weeks'])} counted the old definition)" if c["weeks"] else "")
            for name, s in summaries.items()
            for c in s.definition_changes
        ],
        salesforce=_usage(request.reports, len(run.weeks)),
        dashboards={"bucket": site.bucket, "prefix": prefix, "files": []},
        error=error,
        message=message,
    )
    document = summary.model_dump(mode="json", by_alias=True)
    index = publish_index(
        configs.values(),
        store,
        site,
        keep=keep,
        prefix=prefix,
        generated_at=run.generated_at,
        summary=document,
    )
    files = [f for s in summaries.values() for f in s.files]
    summary.dashboards["files"] = [*files, index, f"{prefix}{SUMMARY_FILE}"]
    document = summary.model_dump(mode="json", by_alias=True)
    site.put_text(
        f"{prefix}{SUMMARY_FILE}", json.dumps(document, indent=2) + "\n", "application/json"
    )
    return summary


# ---------------------------------------------------------------------- import


def read_import_file(s3: Any, bucket: str, key: str) -> bytes:
    """The bytes of a history file to import (InvalidInputError when it is not there)."""
    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NoSuchBucket"):
            raise InvalidInputError(f"s3://{bucket}/{key} does not exist") from exc
        raise UpstreamError(f"reading s3://{bucket}/{key}: {code}") from exc


def import_history(
    request: ImportRequest,
    text: str | bytes,
    *,
    reports: dict[str, ReportConfig],
    store: VelocityHistoryStore,
    site: DocumentStore,
    keep: int,
    prefix: str,
    generated_at: str,
    source: str,
) -> ImportResult:
    """Import an old history file: all or nothing. Existing weeks are kept unless `overwrite`."""
    entries = parse_history(request.report, load_history_text(text))
    imported, skipped = [], []
    to_write = []
    for entry in entries:
        if not request.overwrite and store.get(entry.report, entry.week_key) is not None:
            skipped.append(entry.week_key)
            continue
        to_write.append((entry.week_key, to_document(entry)))
        imported.append(entry.week_key)
    store.put_many(request.report, to_write)
    report = reports[request.report]
    files = publish_report(
        report, store, site, keep=max(keep, len(entries)), prefix=prefix, generated_at=generated_at
    )
    index = publish_index(
        reports.values(), store, site, keep=keep, prefix=prefix, generated_at=generated_at
    )
    return ImportResult(
        report=request.report,
        source=source,
        imported=imported,
        skipped=skipped,
        files=[*files, index],
    )
