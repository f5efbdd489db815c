"""Testing a client's GoHighLevel integration, check by check (`/admin/ghl/test-integration`).

The seed names this as the first thing to try when GoHighLevel fails. Every check runs
and reports, rather than the first failure ending the test: a missing setting or a
refused token is a failed check with its reason and error type, not an error answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from revops.agentmetrics.models import Client, IntegrationCheck, IntegrationReport
from revops.agentmetrics.periods import current_period, iso_z
from revops.errors import RevopsError
from revops.integrations.gohighlevel import GoHighLevelClient

RATE_LIMIT_HEADERS = (
    "X-RateLimit-Max",
    "X-RateLimit-Remaining",
    "X-RateLimit-Interval-Milliseconds",
    "X-RateLimit-Limit-Daily",
    "X-RateLimit-Daily-Remaining",
)


def _failed(name: str, detail: str, exc: Exception | None = None) -> IntegrationCheck:
    return IntegrationCheck(
        name=name,
        passed=False,
        detail=detail,
        error_type=type(exc).__name__ if exc else None,
    )


def run_checks(
    client: Client,
    has_token: Callable[[str], bool],
    ghl_for: Callable[[str], GoHighLevelClient],
    now: datetime,
) -> IntegrationReport:
    checks: list[IntegrationCheck] = []
    ghl: GoHighLevelClient | None = None
    token_ok = False
    if not client.location_id:
        checks.append(_failed("refreshToken", "the client has no locationId"))
    elif not has_token(client.location_id):
        checks.append(
            _failed(
                "refreshToken",
                f"no refresh token is stored for location {client.location_id}: "
                "PUT /admin/clients/{clientId} with refreshToken",
            )
        )
    else:
        ghl = ghl_for(client.location_id)
        try:
            ghl.tokens.rotate()
        except RevopsError as exc:
            checks.append(_failed("refreshToken", f"the refresh failed: {exc}", exc))
        else:
            token_ok = True
            checks.append(
                IntegrationCheck(
                    name="refreshToken",
                    passed=True,
                    detail="exchanged for a new refresh token, which is stored",
                    data={"refreshes": ghl.tokens.refreshes},
                )
            )
    headers: dict[str, str] | None = None
    if not client.cal_id:
        checks.append(_failed("calendar", "the client has no calId"))
    elif ghl is None or not token_ok:
        checks.append(_failed("calendar", "not tried: there is no working token"))
    else:
        period = current_period(client.zone, now)
        start, end = period.bounds(client.zone)
        try:
            count, headers = ghl.probe(
                client.cal_id, int(start.timestamp() * 1000), int(end.timestamp() * 1000) - 1
            )
        except RevopsError as exc:
            checks.append(_failed("calendar", f"GET /calendars/events failed: {exc}", exc))
        else:
            checks.append(
                IntegrationCheck(
                    name="calendar",
                    passed=True,
                    detail=f"GET /calendars/events answered with {count} events for {period}",
                    data={
                        "calendarId": client.cal_id,
                        "period": str(period),
                        "events": count,
                        "startTime": iso_z(start),
                        "endTime": iso_z(end),
                    },
                )
            )
    if headers is None:
        checks.append(_failed("rateLimitHeaders", "not tried: the calendar did not answer"))
    else:
        present = {name: headers[name] for name in RATE_LIMIT_HEADERS if name in headers}
        missing = [name for name in RATE_LIMIT_HEADERS if name not in headers]
        checks.append(
            IntegrationCheck(
                name="rateLimitHeaders",
                passed=not missing,
                detail=(
                    f"missing {', '.join(missing)}"
                    if missing
                    else f"{present['X-RateLimit-Remaining']} of {present['X-RateLimit-Max']} "
                    f"requests left in the window, {present['X-RateLimit-Daily-Remaining']} "
                    "today"
                ),
                data={"headers": present},
            )
        )
    passed = sum(c.passed for c in checks)
    return IntegrationReport(
        success=passed == len(checks),
        client_id=client.client_id,
        location_id=client.location_id,
        cal_id=client.cal_id,
        total_checks=len(checks),
        passed_checks=passed,
        failed_checks=len(checks) - passed,
        checks=checks,
        tested_at=iso_z(now),
    )


def message(report: IntegrationReport) -> str:
    if report.success:
        return f"GoHighLevel integration OK: {report.passed_checks}/{report.total_checks} checks passed"
    failed = ", ".join(c.name for c in report.checks if not c.passed)
    return (
        f"GoHighLevel integration failing: {report.failed_checks} of {report.total_checks} "
        f"checks failed ({failed})"
    )
