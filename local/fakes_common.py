"""Shared plumbing for in-process HTTP stand-ins of external APIs.

A stand-in ("fake") is a `FakeService` subclass that declares routes and
answers them from in-memory state. Its `FakeServiceAdapter` is a
`requests.adapters.BaseAdapter`, so production clients talk to it through an
ordinary `requests.Session` (obtained from `transport.new_session()` once the
fake is installed) and receive real `requests.Response` objects built on real
urllib3 responses. No sockets are opened.

Writing a new fake (ElevenLabs, GoHighLevel and, later, Salesforce follow this):

    class FakeThing(FakeService):
        default_base_url = "https://api.thing.example"

        def __init__(self, base_url: str | None = None) -> None:
            super().__init__(base_url)
            self.add_route("GET", r"/v1/items/(?P<item_id>[^/]+)", "item", self._item)

        def _item(self, request: FakeRequest, item_id: str) -> FakeResponse:
            return json_response(200, {"id": item_id})

Every request is recorded in `request_log` as `(method, path, params)` and
counted in `calls[route_name]` before any fault, auth or validation check, so
tests can assert exactly how many requests a client sent. Handlers run while
holding the service lock (an RLock), so state is consistent across threads.
`latency_secs` simulates server time outside the lock: the request counts as
in flight (`in_flight`, `peak_in_flight`) while it waits, and a client read
timeout shorter than the latency raises `requests.exceptions.ReadTimeout`.
`hold_requests()` / `release_requests()` park admitted requests in flight until
released, for deterministic concurrency tests.
Subclasses gate requests (faults, concurrency limits) by overriding `_admit`.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, ClassVar, Self, cast
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPHeaderDict
from urllib3.response import HTTPResponse

from revops.integrations import transport

Handler = Callable[..., "FakeResponse"]
LogEntry = tuple[str, str, dict[str, str]]


@dataclass(frozen=True)
class FakeRequest:
    """What a fake sees of an incoming request."""

    method: str
    url: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict[str]
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        """Query parameters, first value of each."""
        return {name: values[0] for name, values in self.query.items() if values}

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def form(self) -> dict[str, str]:
        """The body parsed as application/x-www-form-urlencoded (first value of each)."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {name: values[0] for name, values in parsed.items() if values}

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class FakeResponse:
    """What a fake answers; `body` is JSON-serialisable data, or str/bytes sent as is."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    set_cookies: list[str] = field(default_factory=list)  # one Set-Cookie header each

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str) and self.content_type != "application/json":
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> FakeResponse:
    return FakeResponse(status=status, body=body, headers=dict(headers or {}))


def to_fake_request(prepared: requests.PreparedRequest) -> FakeRequest:
    url = prepared.url or ""
    parts = urlsplit(url)
    raw_body = prepared.body
    if raw_body is None:
        body = b""
    elif isinstance(raw_body, bytes):
        body = raw_body
    elif isinstance(raw_body, str):
        body = raw_body.encode("utf-8")
    else:  # generators / files: streamed uploads are not needed by any fake yet
        raise TypeError(f"fake services do not support streamed request bodies ({type(raw_body)})")
    return FakeRequest(
        method=(prepared.method or "GET").upper(),
        url=url,
        path=parts.path or "/",
        query=parse_qs(parts.query, keep_blank_values=True),
        headers=CaseInsensitiveDict(dict(prepared.headers)),
        body=body,
    )


def build_response(
    prepared: requests.PreparedRequest, fake: FakeResponse, adapter: BaseAdapter
) -> requests.Response:
    """A real `requests.Response` backed by a real (socket-less) urllib3 response."""
    content = fake.encoded()
    headers = HTTPHeaderDict()
    for name, value in wire_headers(fake, len(content)):
        headers.add(name, value)
    return assemble_response(prepared, fake.status, headers, io.BytesIO(content), adapter)


def wire_headers(fake: FakeResponse, length: int) -> list[tuple[str, str]]:
    """The response headers as sent: Content-Type (with charset for text), length, cookies."""
    headers: dict[str, str] = {}
    if fake.body is not None:
        charset = (
            "; charset=utf-8" if fake.content_type.startswith(("application/json", "text/")) else ""
        )
        headers["Content-Type"] = fake.content_type + charset
    headers["Content-Length"] = str(length)
    headers.update(fake.headers)
    return [*headers.items(), *(("Set-Cookie", cookie) for cookie in fake.set_cookies)]


def assemble_response(
    prepared: requests.PreparedRequest,
    status: int,
    headers: dict[str, str] | HTTPHeaderDict,
    body: Any,
    adapter: BaseAdapter,
) -> requests.Response:
    """Wrap a status, headers and a readable body as urllib3 and requests would."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    raw = HTTPResponse(
        body=body,
        headers=headers,
        status=status,
        reason=reason,
        preload_content=False,
        decode_content=True,
        request_method=prepared.method,
        request_url=prepared.url,
    )
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict(headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = raw
    response.reason = reason
    response.url = prepared.url or ""
    response.request = prepared
    response.connection = cast(Any, adapter)  # typed as HTTPAdapter in the stubs
    return response


def read_timeout_of(timeout: Any) -> float | None:
    """The read timeout out of whatever `requests` passed to `send`."""
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        return None if timeout[1] is None else float(timeout[1])
    if isinstance(timeout, (int, float)):
        return float(timeout)
    read = getattr(timeout, "read_timeout", None)  # urllib3 Timeout
    return float(read) if isinstance(read, (int, float)) else None


class FakeServiceAdapter(BaseAdapter):
    """Transport adapter that hands every request to a `FakeService`."""

    def __init__(self, service: FakeService) -> None:
        super().__init__()
        self.service = service

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        fake = self.service.handle(to_fake_request(request), read_timeout_of(timeout))
        return build_response(request, fake, self)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler


class ManualClock:
    """An injectable clock (`clock()` returns epoch seconds) that only moves when told."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, now: float) -> None:
        with self._lock:
            self._now = float(now)


class FakeService:
    """Base class of the in-process stand-ins: routing, logging, install/uninstall."""

    default_base_url: ClassVar[str] = ""

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        if not self.base_url:
            raise ValueError("a fake service needs a base URL")
        self._lock = threading.RLock()
        self._routes: list[Route] = []
        self._adapter = FakeServiceAdapter(self)
        self._installed = False
        self.request_log: list[LogEntry] = []
        self.calls: Counter[str] = Counter()
        self.latency_secs = 0.0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._gate = threading.Event()
        self._gate.set()

    # ----------------------------------------------------------------- wiring

    def add_route(self, method: str, path_regex: str, name: str, handler: Handler) -> None:
        """Answer `method` on paths fully matching `path_regex`; named groups become kwargs."""
        self._routes.append(Route(method.upper(), re.compile(path_regex), name, handler))

    def adapter(self) -> FakeServiceAdapter:
        return self._adapter

    def session(self) -> requests.Session:
        """A plain session with this fake mounted (no global registration needed)."""
        session = requests.Session()
        session.mount(self.base_url, self._adapter)
        return session

    def install(self) -> Self:
        """Register with the transport seam so `transport.new_session()` reaches this fake."""
        transport.register_adapter(self.base_url, self._adapter)
        self._installed = True
        return self

    def uninstall(self) -> None:
        if self._installed:
            transport.unregister_adapter(self.base_url)
            self._installed = False

    def __enter__(self) -> Self:
        return self.install()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.uninstall()

    def hold_requests(self) -> None:
        """Keep admitted requests in flight until `release_requests()` (deterministic overlap).

        Held requests still honour the client's read timeout (ReadTimeout when it expires).
        """
        self._gate.clear()

    def release_requests(self) -> None:
        self._gate.set()

    def reset_log(self) -> None:
        with self._lock:
            self.request_log.clear()
            self.calls.clear()
            self.peak_in_flight = self.in_flight

    # --------------------------------------------------------------- dispatch

    def handle(self, request: FakeRequest, read_timeout: float | None = None) -> FakeResponse:
        route, groups, path_known = self._match(request)
        name = route.name if route else ("method_not_allowed" if path_known else "unmatched")
        with self._lock:
            self.request_log.append((request.method, request.path, request.params))
            self.calls[name] += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            with self._lock:
                if route is None:
                    if path_known:
                        return self._method_not_allowed(request)
                    return self._not_found(request)
                gated = self._admit(request, route.name)
                if gated is not None:
                    return gated
                hold = self.latency_secs
            if hold > 0:
                if read_timeout is not None and hold > read_timeout:
                    time.sleep(read_timeout)
                    raise requests.exceptions.ReadTimeout(
                        f"fake {type(self).__name__} held the request {hold}s "
                        f"(read timeout {read_timeout}s)"
                    )
                time.sleep(hold)
            if not self._gate.wait(read_timeout):
                raise requests.exceptions.ReadTimeout(
                    f"fake {type(self).__name__} held the request past the "
                    f"read timeout ({read_timeout}s)"
                )
            with self._lock:
                return route.handler(request, **groups)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _match(self, request: FakeRequest) -> tuple[Route | None, dict[str, str], bool]:
        path_known = False
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            path_known = True
            if route.method == request.method:
                return route, match.groupdict(), True
        return None, {}, path_known

    # ------------------------------------------------------------------ hooks

    def _admit(self, request: FakeRequest, route_name: str) -> FakeResponse | None:
        """Called under the lock with this request already counted in flight.

        Return a response to short-circuit (fault injection, throttling), or None.
        """
        return None

    def _not_found(self, request: FakeRequest) -> FakeResponse:
        return json_response(404, {"message": f"no route for {request.method} {request.path}"})

    def _method_not_allowed(self, request: FakeRequest) -> FakeResponse:
        return json_response(405, {"message": f"{request.method} not allowed on {request.path}"})
