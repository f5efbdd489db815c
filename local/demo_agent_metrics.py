"""Voice-agent metrics on the offline stack: the admin API behind its authorizer, and the demo step.

The admin API runs behind `local.http_api.LocalHttpApi` (API Gateway's HTTP
API with the admin Lambda authorizer, from template.yaml).

`run_agent_metrics(ctx)` is the `make demo` step: it registers the demo
clients, imports their 12 months through the API, waits for the workflows and
writes the validation reports and the dashboard summary to `out/agent-metrics/`.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import requests

from local import demo_data
from local.http_api import LocalHttpApi
from local.stack import LOCAL_ADMIN_TOKEN

if TYPE_CHECKING:
    from local.demo import DemoContext, StepResult

API_LOGICAL_ID = "AdminHttpApi"


def admin_session(api: LocalHttpApi, token: str | None = LOCAL_ADMIN_TOKEN) -> requests.Session:
    """A session that reaches `api` and sends `Authorization: Bearer <token>`."""
    session = api.session()
    if token is not None:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


# --------------------------------------------------------------------------- demo data


def client_body(spec: demo_data.ClientSpec, refresh_token: str | None) -> dict[str, Any]:
    """The `PUT /admin/clients/{clientId}` body for a demo client."""
    body: dict[str, Any] = {
        "name": spec.name,
        "timeZone": spec.time_zone,
        "agents": [{"agentId": a.agent_id, "agentName": a.name} for a in spec.agents],
        "locationId": spec.location_id,
        "calId": spec.cal_id,
        "attribution": {
            "by": "assignedUserId" if spec.attribution == "assigned_user" else "calendar",
            "agents": dict(spec.agent_for),
        },
    }
    if refresh_token is not None:
        body["refreshToken"] = refresh_token
    return body


def month_dates(months: tuple[str, ...]) -> tuple[str, str]:
    """(first day of the first month, last day of the last month) as YYYY-MM-DD."""
    year, month = (int(p) for p in months[0].split("-"))
    first = date(year, month, 1)
    year, month = (int(p) for p in months[-1].split("-"))
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return first.isoformat(), (nxt - timedelta(days=1)).isoformat()


def register_clients(
    session: requests.Session, base_url: str, voice: demo_data.VoiceData, ghl: Any
) -> None:
    """Register every demo client with its location's current refresh token."""
    for spec in voice.clients:
        token = ghl.current_refresh_token(spec.location_id) or ghl.issue_refresh_token(
            spec.location_id
        )
        response = session.put(
            f"{base_url}/admin/clients/{spec.client_id}", json=client_body(spec, token)
        )
        response.raise_for_status()


# --------------------------------------------------------------------------- demo step


def _issue_counts(report: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for issue in report["consistency"]["issues"]:
        counts[issue["type"]] = counts.get(issue["type"], 0) + 1
    return counts


def run_agent_metrics(ctx: DemoContext) -> StepResult:
    """Import 12 months for every demo client through the admin API; validate; summarise."""
    from local.demo import StepResult, write_json

    started = time.monotonic()
    stack = ctx.stack
    out = ctx.out / "agent-metrics"
    voice = demo_data.generate_voice()
    api = LocalHttpApi(stack).install()
    lines: list[str] = []
    ok = True
    try:
        session = admin_session(api)
        base = api.base_url
        register_clients(session, base, voice, stack.ghl)
        start_date, end_date = month_dates(voice.months)
        accepted = {}
        for spec in voice.clients:
            response = session.post(
                f"{base}/admin/bootstrap/import-historical",
                json={
                    "clientId": spec.client_id,
                    "startDate": start_date,
                    "endDate": end_date,
                    "includeElevenLabs": True,
                    "includeAppointments": True,
                    "skipExisting": False,
                    "batchSize": 3,
                },
            )
            ok = ok and response.status_code == 202
            accepted[spec.client_id] = response.json()["data"]
        dashboards: dict[str, Any] = {}
        for spec in voice.clients:
            job = accepted[spec.client_id]
            stack.wait(job["executionArn"], timeout=600)
            status = session.get(f"{base}{job['statusUrl']}").json()
            write_json(out / f"import-{spec.client_id}.json", status)
            done = status["data"]
            lines.append(
                f"[{spec.client_id}] import {done['status']}: "
                f"{done['successfulMonths']}/{done['totalMonths']} months, "
                f"{done['errorMonths']} failed"
            )
            ok = ok and done["status"] == "SUCCEEDED" and done["errorMonths"] == 0
            validation = session.get(
                f"{base}/admin/bootstrap/validate",
                params={"clientId": spec.client_id, "startDate": start_date, "endDate": end_date},
            ).json()
            write_json(out / f"validation-{spec.client_id}.json", validation)
            report = validation["data"]
            lines.append(
                f"[{spec.client_id}] {validation['message']} gaps: {report['dataGaps'] or 'none'}; "
                f"issues: {_issue_counts(report) or 'none'}"
            )
            dashboard = session.get(
                f"{base}/admin/reports/dashboard-summary", params={"clientId": spec.client_id}
            ).json()
            dashboards[spec.client_id] = dashboard
            window = dashboard["data"]["trailing12Months"]
            totals = window["totals"]
            lines.append(
                f"[{spec.client_id}] {window['startPeriod']}..{window['endPeriod']}: "
                f"{totals['totalCalls']} calls ({totals['inboundCalls']} in, "
                f"{totals['outboundCalls']} out), {totals['successfulBookings']} bookings, "
                f"success rate {totals['successRate']}%"
            )
        write_json(out / "dashboard-summary.json", dashboards)
        lines.append(
            "-> out/agent-metrics/validation-<client>.json, dashboard-summary.json, import-<client>.json"
        )
    finally:
        api.uninstall()
    return StepResult(
        "AgentMetricsImport (admin API)",
        "SUCCEEDED" if ok else "FAILED",
        time.monotonic() - started,
        lines,
    )


def main() -> int:
    """Run only this step on a fresh stack (`python -m local.demo_agent_metrics`)."""
    from local.demo import run_voice_step_alone

    return run_voice_step_alone(run_agent_metrics)


if __name__ == "__main__":
    raise SystemExit(main())
