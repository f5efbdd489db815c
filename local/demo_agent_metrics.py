"""Voice-agent metrics on the offline stack: the admin API behind its authorizer, and the demo step.

`LocalHttpApi` stands in for API Gateway's HTTP API in front of the admin
function, built from template.yaml: the routes are the admin function's
`HttpApi` events, the authorizer is the API's default Lambda authorizer. It is
a `FakeService`, so any `requests` session reaches it once installed, and each
request becomes the API Gateway v2 event the real service would send:

* no (or an empty) `Authorization` header: 401 `{"message": "Unauthorized"}`,
  the authorizer is not called (its identity source is missing);
* the authorizer fails with the message `Unauthorized`: 401, same body;
* the authorizer fails otherwise: 500 `{"message": "Internal Server Error"}`;
* `{"isAuthorized": false}`: 403 `{"message": "Forbidden"}`;
* `{"isAuthorized": true}`: the admin function runs with the v2 event (its
  `requestContext.authorizer.lambda` holds the authorizer's context) and its
  `{statusCode, headers, body, isBase64Encoded}` is the answer;
* a path or method without a route: 404 `{"message": "Not Found"}`;
* a route with `Auth: {Authorizer: NONE}` (the provider webhooks) skips the
  authorizer: its function authenticates the request (by signature) itself.

Both functions run through the local stack's Lambda (`stack.invoke`), with the
environment template.yaml gives them.

`run_agent_metrics(ctx)` is the `make demo` step: it registers the demo
clients, imports their 12 months through the API, waits for the workflows and
writes the validation reports and the dashboard summary to `out/agent-metrics/`.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from local import demo_data
from local.fakes_common import FakeRequest, FakeResponse, FakeService, json_response
from local.stack import ACCOUNT_ID, LOCAL_ADMIN_TOKEN, REGION, LocalStack

if TYPE_CHECKING:
    from local.demo import DemoContext, StepResult

API_LOGICAL_ID = "AdminHttpApi"


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str  # as in the template, e.g. /admin/bootstrap/imports/{executionId}
    function: str  # logical id
    authorized: bool = True  # False: `Auth: {Authorizer: NONE}` (the webhooks)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def regex(self) -> str:
        return re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))


def http_routes(stack: LocalStack, api: str = API_LOGICAL_ID) -> list[HttpRoute]:
    """Every `HttpApi` event of every function attached to `api`, from template.yaml."""
    routes = []
    for logical, resource in stack.template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            props = event.get("Properties", {})
            if event.get("Type") == "HttpApi" and props.get("ApiId") == {"Ref": api}:
                authorizer = (props.get("Auth") or {}).get("Authorizer")
                routes.append(
                    HttpRoute(props["Method"].upper(), props["Path"], logical, authorizer != "NONE")
                )
    return routes


def authorizer_function(stack: LocalStack, api: str = API_LOGICAL_ID) -> tuple[str, list[str]]:
    """(logical id of the default authorizer's function, its identity headers)."""
    auth = stack.template["Resources"][api]["Properties"]["Auth"]
    config = auth["Authorizers"][auth["DefaultAuthorizer"]]
    logical = config["FunctionArn"]["Fn::GetAtt"][0]
    return logical, [h.lower() for h in config.get("Identity", {}).get("Headers", [])]


def _gateway(status: int, message: str) -> FakeResponse:
    return json_response(status, {"message": message})


class LocalHttpApi(FakeService):
    """API Gateway HTTP API (payload 2.0) with its Lambda authorizer, over the local stack."""

    default_base_url = "https://admin-api.revops.local"

    def __init__(self, stack: LocalStack, api: str = API_LOGICAL_ID, base_url: str | None = None):
        super().__init__(base_url)
        self.stack = stack
        self.api_id = "localadminapi"
        self.routes = http_routes(stack, api)
        self.authorizer, self.identity_headers = authorizer_function(stack, api)
        self.authorizer_calls = 0
        for route in self.routes:
            self.add_route(route.method, route.regex(), route.key, self._handler(route))

    def _handler(self, route: HttpRoute) -> Any:
        def handle(request: FakeRequest, **path: str) -> FakeResponse:
            return self.dispatch(route, request, path)

        return handle

    def _not_found(self, request: FakeRequest) -> FakeResponse:
        return _gateway(404, "Not Found")

    def _method_not_allowed(self, request: FakeRequest) -> FakeResponse:
        return _gateway(404, "Not Found")

    # ------------------------------------------------------------------ events

    def event(self, route: HttpRoute, request: FakeRequest, path: dict[str, str]) -> dict[str, Any]:
        """The API Gateway v2 event for `request` on `route`."""
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        query = {name: ",".join(values) for name, values in request.query.items()}
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        body: str | None = None
        encoded = False
        if request.body:
            try:
                body = request.body.decode("utf-8")
            except UnicodeDecodeError:
                body, encoded = base64.b64encode(request.body).decode(), True
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.key,
            "rawPath": request.path,
            "rawQueryString": urlsplit(request.url).query,
            "headers": headers,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": self.api_id,
                "domainName": urlsplit(self.base_url).netloc,
                "domainPrefix": urlsplit(self.base_url).netloc.split(".")[0],
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": request_id,
                "routeKey": route.key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": encoded,
        }
        if query:
            event["queryStringParameters"] = query
        if path:
            event["pathParameters"] = path
        if body is not None:
            event["body"] = body
        return event

    def authorizer_event(self, route: HttpRoute, event: dict[str, Any]) -> dict[str, Any]:
        authorizer_event: dict[str, Any] = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": (
                f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{self.api_id}/$default/"
                f"{route.method}{route.path}"
            ),
            "identitySource": [event["headers"][h] for h in self.identity_headers],
            "routeKey": route.key,
            "rawPath": event["rawPath"],
            "rawQueryString": event["rawQueryString"],
            "headers": event["headers"],
            "requestContext": event["requestContext"],
        }
        for key in ("queryStringParameters", "pathParameters"):
            if key in event:
                authorizer_event[key] = event[key]
        return authorizer_event

    # ------------------------------------------------------------------ dispatch

    def dispatch(
        self, route: HttpRoute, request: FakeRequest, path: dict[str, str]
    ) -> FakeResponse:
        event = self.event(route, request, path)
        if not route.authorized:
            return self.integrate(route, event)
        if any(not event["headers"].get(h) for h in self.identity_headers):
            return _gateway(401, "Unauthorized")  # identity source missing: no authorizer call
        self.authorizer_calls += 1
        decision, error = self.stack.invoke(self.authorizer, self.authorizer_event(route, event))
        if error:
            if isinstance(decision, dict) and decision.get("errorMessage") == "Unauthorized":
                return _gateway(401, "Unauthorized")
            return _gateway(500, "Internal Server Error")
        if not isinstance(decision, dict) or not isinstance(decision.get("isAuthorized"), bool):
            return _gateway(500, "Internal Server Error")
        if not decision["isAuthorized"]:
            return _gateway(403, "Forbidden")
        event["requestContext"]["authorizer"] = {"lambda": decision.get("context") or {}}
        return self.integrate(route, event)

    def integrate(self, route: HttpRoute, event: dict[str, Any]) -> FakeResponse:
        """The route's function with the v2 event; its answer, or API Gateway's 500."""
        answer, error = self.stack.invoke(route.function, event)
        if error or not isinstance(answer, dict):
            return _gateway(500, "Internal Server Error")
        return to_fake_response(answer)


def to_fake_response(answer: dict[str, Any]) -> FakeResponse:
    body = answer.get("body") or ""
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode()
    headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
    content_type = next(
        (v for k, v in headers.items() if k.lower() == "content-type"), "application/json"
    )
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return FakeResponse(
        status=int(answer.get("statusCode") or 200),
        body=raw,
        headers=headers,
        content_type=content_type.split(";")[0],
    )


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
