"""API Gateway's HTTP API (payload 2.0) in front of the local stack's functions, from template.yaml.

`LocalHttpApi(stack, "AdminHttpApi")` or `LocalHttpApi(stack, "DocsHttpApi")`:
the routes are the `HttpApi` events of the functions attached to that API
(`$default` catches what no route matches; `ANY` matches every method); the
authorizer, when the API declares a default one, is its Lambda function. It is
a `FakeService`, so any `requests` session reaches it once installed (and
`local.http_front` serves it on a real socket), and each request becomes the
event the real service sends:

* request cookies move from the `Cookie` header to the event's `cookies` list,
  and a response's `cookies` become one `Set-Cookie` header each;
* no (or an empty) identity-source header: 401 `{"message": "Unauthorized"}`,
  the authorizer is not called;
* the authorizer fails with the message `Unauthorized`: 401, same body;
* the authorizer fails otherwise: 500 `{"message": "Internal Server Error"}`;
* `{"isAuthorized": false}`: 403 `{"message": "Forbidden"}`;
* `{"isAuthorized": true}`: the route's function runs with the v2 event (its
  `requestContext.authorizer.lambda` holds the authorizer's context) and its
  `{statusCode, headers, cookies, body, isBase64Encoded}` is the answer;
* a path or method without a route (and no `$default`): 404 `{"message": "Not Found"}`;
* a route with `Auth: {Authorizer: NONE}` (the provider webhooks) skips the
  authorizer: its function authenticates the request (by signature) itself;
* with `throttle=True`, the API's `DefaultRouteSettings` (rate and burst) as a
  token bucket: 429 `{"message": "Too Many Requests"}` beyond them.

Functions run through the local stack's Lambda (`stack.invoke`), with the
environment template.yaml gives them.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from local.fakes_common import FakeRequest, FakeResponse, FakeService, json_response
from local.stack import ACCOUNT_ID, REGION

if TYPE_CHECKING:
    from local.stack import LocalStack

DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class HttpRoute:
    method: str  # GET, POST, ... or ANY
    path: str  # as in the template, e.g. /admin/bootstrap/imports/{executionId}, or $default
    function: str  # logical id
    authorized: bool = True  # False: `Auth: {Authorizer: NONE}` (the webhooks)

    @property
    def key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"

    def regex(self) -> str:
        if self.path == DEFAULT_ROUTE:
            return r"/.*"
        pattern = re.sub(r"\\\{([A-Za-z0-9_]+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.path))
        return re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", pattern)


def http_routes(stack: LocalStack, api: str) -> list[HttpRoute]:
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
    # Specific routes first, $default last, as API Gateway matches them.
    return sorted(routes, key=lambda r: r.path == DEFAULT_ROUTE)


def authorizer_function(stack: LocalStack, api: str) -> tuple[str | None, list[str]]:
    """(logical id of the API's default authorizer function, its identity headers), if any."""
    auth = stack.template["Resources"][api]["Properties"].get("Auth")
    if not auth or not auth.get("DefaultAuthorizer"):
        return None, []
    config = auth["Authorizers"][auth["DefaultAuthorizer"]]
    logical = config["FunctionArn"]["Fn::GetAtt"][0]
    return logical, [h.lower() for h in config.get("Identity", {}).get("Headers", [])]


def gateway_error(status: int, message: str) -> FakeResponse:
    return json_response(status, {"message": message})


class TokenBucket:
    """API Gateway's throttling: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class LocalHttpApi(FakeService):
    """An HTTP API of template.yaml, with its routes and (optional) Lambda authorizer."""

    default_base_url = "https://admin-api.revops.local"

    def __init__(
        self,
        stack: LocalStack,
        api: str = "AdminHttpApi",
        base_url: str | None = None,
        *,
        throttle: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(base_url)
        self.stack = stack
        self.api_id = "local" + re.sub(r"[^a-z0-9]", "", api.lower())
        self.routes = http_routes(stack, api)
        self.authorizer, self.identity_headers = authorizer_function(stack, api)
        self.authorizer_calls = 0
        self.bucket: TokenBucket | None = None
        if throttle:
            settings = stack.resolver.resolve(
                stack.template["Resources"][api]["Properties"].get("DefaultRouteSettings") or {}
            )
            self.bucket = TokenBucket(
                float(settings.get("ThrottlingRateLimit", 10_000)),
                float(settings.get("ThrottlingBurstLimit", 5_000)),
                clock,
            )
        for route in self.routes:
            methods = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
            for method in methods if route.method == "ANY" else (route.method,):
                self.add_route(method, route.regex(), route.key, self._handler(route))

    def _handler(self, route: HttpRoute) -> Any:
        def handle(request: FakeRequest, **path: str) -> FakeResponse:
            return self.dispatch(route, request, path)

        return handle

    def _not_found(self, request: FakeRequest) -> FakeResponse:
        return gateway_error(404, "Not Found")

    def _method_not_allowed(self, request: FakeRequest) -> FakeResponse:
        return gateway_error(404, "Not Found")

    def _admit(self, request: FakeRequest, route_name: str) -> FakeResponse | None:
        if self.bucket is not None and not self.bucket.take():
            return gateway_error(429, "Too Many Requests")
        return None

    # ------------------------------------------------------------------ events

    def event(self, route: HttpRoute, request: FakeRequest, path: dict[str, str]) -> dict[str, Any]:
        """The API Gateway v2 event for `request` on `route`."""
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in request.headers.items():
            key = name.lower()
            if key == "cookie":
                cookies += [c.strip() for c in value.split(";") if c.strip()]
                continue
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        query = {name: ",".join(values) for name, values in request.query.items()}
        now = datetime.now(UTC)
        netloc = urlsplit(self.base_url).netloc
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
                "domainName": netloc,
                "domainPrefix": netloc.split(".")[0],
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": route.key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": encoded,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if path and route.path != DEFAULT_ROUTE:
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
        for key in ("queryStringParameters", "pathParameters", "cookies"):
            if key in event:
                authorizer_event[key] = event[key]
        return authorizer_event

    # ------------------------------------------------------------------ dispatch

    def dispatch(
        self, route: HttpRoute, request: FakeRequest, path: dict[str, str]
    ) -> FakeResponse:
        event = self.event(route, request, path)
        if self.authorizer is not None and route.authorized:
            if any(not event["headers"].get(h) for h in self.identity_headers):
                return gateway_error(401, "Unauthorized")  # identity source missing
            self.authorizer_calls += 1
            decision, error = self.stack.invoke(
                self.authorizer, self.authorizer_event(route, event)
            )
            if error:
                if isinstance(decision, dict) and decision.get("errorMessage") == "Unauthorized":
                    return gateway_error(401, "Unauthorized")
                return gateway_error(500, "Internal Server Error")
            if not isinstance(decision, dict) or not isinstance(decision.get("isAuthorized"), bool):
                return gateway_error(500, "Internal Server Error")
            if not decision["isAuthorized"]:
                return gateway_error(403, "Forbidden")
            event["requestContext"]["authorizer"] = {"lambda": decision.get("context") or {}}
        answer, error = self.stack.invoke(route.function, event)
        if error or not isinstance(answer, dict):
            return gateway_error(500, "Internal Server Error")
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
        set_cookies=[str(c) for c in answer.get("cookies") or []],
    )
