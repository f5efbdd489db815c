"""The AgentMetricsImport workflow's logic: start, plan, one month's parts, summary, status.

1. `start_import` (API) checks the client and the range, then starts an
   execution named after the client and the range; its name is the import id.
2. `plan` (first state) validates the input again, lists the months and marks
   those to skip (`skipExisting`: the month already has data for every
   requested source; an empty month is imported again), and records the import
   and one item per month.
3. A Map runs the months, `batchSize` at a time; each month runs `run_calls`
   and `run_bookings` in parallel. The workflow records each month's success or
   failure itself, so one failed month never stops the others.
4. `summarize` validates the imported range and writes the summary.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from revops.agentmetrics import bookings, calls, checks
from revops.agentmetrics.clients import HasToken, all_clients, get_client, require
from revops.agentmetrics.errors import ClientNotConfiguredError, ImportNotFoundError
from revops.agentmetrics.history import rows_by_period
from revops.agentmetrics.models import (
    AgentMonth,
    BookingRateRange,
    BookingsMonthResult,
    CallsMonthResult,
    ImportPlan,
    ImportRequest,
    ImportStarted,
    ImportStatus,
    ImportSummary,
    MonthItem,
    MonthlySyncRequest,
    MonthlySyncResult,
    MonthResult,
    MonthTask,
    PlanRequest,
    SummarizeRequest,
    safe_name,
)
from revops.agentmetrics.periods import Period, previous_period
from revops.agentmetrics.workflow import ExecutionNotFoundError, ImportWorkflow
from revops.integrations.elevenlabs import ElevenLabsClient
from revops.integrations.gohighlevel import GoHighLevelClient
from revops.store.agentmetrics import AgentMetricsStore
from revops.validation import parse

STATUS_PATH = "/admin/bootstrap/imports/{import_id}"


def import_name(request: ImportRequest, periods: list[Period]) -> str:
    """`<client>-<YYYYMM>-<YYYYMM>-<random>`: readable, unique, a valid execution name."""
    first, last = periods[0], periods[-1]
    return (
        f"{safe_name(request.client_id, 40)}-{first.year:04d}{first.month:02d}-"
        f"{last.year:04d}{last.month:02d}-{uuid.uuid4().hex[:12]}"
    )


def start_import(
    request: ImportRequest,
    store: AgentMetricsStore,
    vault: HasToken,
    workflow: ImportWorkflow,
) -> ImportStarted:
    client = get_client(store, request.client_id)
    require(client, vault, calls=request.include_eleven_labs, bookings=request.include_appointments)
    periods = request.periods()
    name = import_name(request, periods)
    arn = workflow.start(name, request.wire())
    return ImportStarted(
        import_id=name,
        execution_arn=arn,
        status_url=STATUS_PATH.format(import_id=name),
        client_id=client.client_id,
        total_months=len(periods),
    )


def has_requested_data(request: ImportRequest, rows: list[AgentMonth]) -> bool:
    """skipExisting, as the seed says: the month already has data, for every source asked
    for (calls when ElevenLabs is included, bookings when appointments are). A month
    imported before but still empty has no data, so it is imported again."""
    wanted = []
    if request.include_eleven_labs:
        wanted.append(any(r.total_calls > 0 for r in rows))
    if request.include_appointments:
        wanted.append(any(r.successful_bookings > 0 for r in rows))
    return all(wanted)


def plan(request: PlanRequest, store: AgentMetricsStore, vault: HasToken) -> ImportPlan:
    """Validate (InvalidInputError before any work), list the months, record the import."""
    wanted = parse(ImportRequest, request.input)
    client = get_client(store, wanted.client_id)
    require(client, vault, calls=wanted.include_eleven_labs, bookings=wanted.include_appointments)
    periods = wanted.periods()
    existing = rows_by_period(store, client, periods) if wanted.skip_existing else {}
    months = [
        MonthItem(
            period=str(p),
            skip=wanted.skip_existing and has_requested_data(wanted, existing.get(str(p), [])),
        )
        for p in periods
    ]
    store.start_import(
        request.import_id,
        client.client_id,
        request.execution_arn,
        wanted.wire(),
        [(m.period, m.skip) for m in months],
    )
    return ImportPlan(
        import_id=request.import_id,
        client_id=client.client_id,
        batch_size=wanted.batch_size,
        include_eleven_labs=wanted.include_eleven_labs,
        include_appointments=wanted.include_appointments,
        months=months,
    )


def run_calls(
    task: MonthTask,
    store: AgentMetricsStore,
    eleven: ElevenLabsClient,
    now: datetime | None = None,
) -> CallsMonthResult:
    client = get_client(store, task.client_id)
    require(client, None, calls=True)
    result = calls.import_calls(
        client, Period.parse(task.period), eleven, store, import_id=task.import_id, now=now
    )
    if task.import_id:
        store.record_month_part(task.import_id, task.period, "calls", result.wire())
    return result


def run_bookings(
    task: MonthTask,
    store: AgentMetricsStore,
    vault: HasToken,
    ghl_for: Callable[[str], GoHighLevelClient],
    default_booked: list[str],
    now: datetime | None = None,
) -> BookingsMonthResult:
    client = get_client(store, task.client_id)
    require(client, vault, bookings=True)
    assert client.location_id is not None
    synced = bookings.sync(
        client,
        Period.parse(task.period),
        ghl_for(client.location_id),
        store,
        default_booked,
        import_id=task.import_id,
        now=now,
    )
    result = bookings.month_result(synced)
    if task.import_id:
        store.record_month_part(task.import_id, task.period, "bookings", result.wire())
    return result


def month_results(store: AgentMetricsStore, import_id: str) -> list[MonthResult]:
    results = []
    for item in sorted(store.import_months(import_id), key=lambda i: i.sk):
        results.append(
            MonthResult(
                period=item.period or item.sk.removeprefix("MONTH#"),
                status=(item.status or "pending"),
                eleven_labs=CallsMonthResult.model_validate(item.calls) if item.calls else None,
                appointments=(
                    BookingsMonthResult.model_validate(item.bookings) if item.bookings else None
                ),
                error=item.error,
                cause=_short(item.cause),
                finished_at=item.finished_at,
            )
        )
    return results


def _short(cause: str | None) -> str | None:
    """A failed Lambda's cause is its JSON error; keep the message, not the stack trace."""
    if not cause:
        return cause
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause[:1000]
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])[:1000]
    return cause[:1000]


def summarize(
    request: SummarizeRequest, store: AgentMetricsStore, rate_range: BookingRateRange
) -> ImportSummary:
    run = store.import_run(request.import_id)
    if run is None:
        raise ImportNotFoundError(request.import_id)
    wanted = ImportRequest.model_validate(run.request)
    results = month_results(store, request.import_id)
    for result in results:
        if result.status == "pending":  # the Map stopped before this month finished
            result.status = "error"
            result.error = result.error or "NotRun"
    successful = sum(r.status == "success" for r in results)
    errors = sum(r.status == "error" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    client = get_client(store, run.client_id)
    validation = checks.validate(
        store, client, wanted.periods(), rate_range, wanted.start_date, wanted.end_date
    )
    error = None
    if request.error:
        error = f"{request.error.get('Error')}: {_short(request.error.get('Cause'))}"
    status = "failed" if error else ("completed_with_errors" if errors else "completed")
    summary = ImportSummary(
        import_id=request.import_id,
        client_id=run.client_id,
        start_date=wanted.start_date,
        end_date=wanted.end_date,
        status=status,
        total_months=len(results),
        successful_months=successful,
        error_months=errors,
        skipped_months=skipped,
        results=results,
        validation=validation,
        error=error,
        started_at=run.started_at,
        finished_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
    store.finish_import(request.import_id, status, summary.wire())
    return summary


def wait_until_done(
    import_id: str,
    workflow: ImportWorkflow,
    seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Poll the execution until it stops or `seconds` pass; True when it stopped."""
    deadline = clock() + seconds
    delay = 0.1
    while True:
        try:
            if workflow.describe(import_id).status != "RUNNING":
                return True
        except ExecutionNotFoundError:
            pass  # just started: DescribeExecution may not see it for a moment
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        sleep(min(delay, remaining))
        delay = min(delay * 1.5, 2.0)


def status_message(result: ImportStatus) -> str:
    """The envelope message of an import's status: the seed's counts once done."""
    if result.summary is not None:
        s = result.summary
        return (
            f"Import {s.status}: {s.successful_months}/{s.total_months} months successful, "
            f"{s.error_months} failed, {s.skipped_months} skipped"
        )
    if result.total_months:
        return (
            f"Import {result.status.lower()}: "
            f"{result.completed_months}/{result.total_months} months done"
        )
    return f"Import {result.status.lower()}"


def status(import_id: str, store: AgentMetricsStore, workflow: ImportWorkflow) -> ImportStatus:
    """Progress while running; the summary once done."""
    run = store.import_run(import_id)
    try:
        execution = workflow.describe(import_id)
    except ExecutionNotFoundError:
        if run is None:
            raise ImportNotFoundError(import_id) from None
        execution = None
    summary = ImportSummary.model_validate(run.summary) if run is not None and run.summary else None
    results = summary.results if summary else (month_results(store, import_id) if run else [])
    request = (run.request or {}) if run is not None else {}
    pending = sum(r.status == "pending" for r in results)
    return ImportStatus(
        import_id=import_id,
        execution_arn=execution.arn if execution else (run.execution_arn or "") if run else "",
        status=execution.status if execution else ("SUCCEEDED" if summary else "UNKNOWN"),
        client_id=run.client_id if run is not None else None,
        start_date=request.get("startDate"),
        end_date=request.get("endDate"),
        started_at=execution.started_at if execution else (run.started_at if run else None),
        stopped_at=execution.stopped_at if execution else None,
        total_months=len(results),
        completed_months=len(results) - pending,
        successful_months=sum(r.status == "success" for r in results),
        error_months=sum(r.status == "error" for r in results),
        skipped_months=sum(r.status == "skipped" for r in results),
        pending_months=pending,
        results=results,
        summary=summary,
        error=execution.error if execution else None,
        cause=_short(execution.cause) if execution else None,
    )


def start_monthly(
    request: MonthlySyncRequest,
    store: AgentMetricsStore,
    vault: HasToken,
    workflow: ImportWorkflow,
    now: datetime | None = None,
) -> MonthlySyncResult:
    """One import per client of its previous month (in its own time zone)."""
    started: list[ImportStarted] = []
    skipped: dict[str, str] = {}
    for client in all_clients(store):
        if request.client_ids is not None and client.client_id not in request.client_ids:
            continue
        period = previous_period(client.zone, now)
        calls_ok = bookings_ok = True
        reason = ""
        try:
            require(client, vault, calls=True)
        except ClientNotConfiguredError:
            calls_ok = False
        try:
            require(client, vault, bookings=True)
        except ClientNotConfiguredError as exc:
            bookings_ok = False
            reason = str(exc)
        if not (calls_ok or bookings_ok):
            skipped[client.client_id] = reason
            continue
        first = period.first_day()
        last = period.shift(1).first_day() - timedelta(days=1)
        wanted = ImportRequest(
            client_id=client.client_id,
            start_date=first.isoformat(),
            end_date=last.isoformat(),
            include_eleven_labs=calls_ok,
            include_appointments=bookings_ok,
            skip_existing=False,
            batch_size=request.batch_size,
        )
        started.append(start_import(wanted, store, vault, workflow))
    return MonthlySyncResult(started=started, skipped=skipped)
