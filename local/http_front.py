"""The docs host, the Salesforce login and S3, on real sockets on 127.0.0.1, for a real browser.

    with HttpFront(stack) as front:
        front.docs_url          # http://127.0.0.1:<port>: DocsHttpApi (LocalHttpApi, throttled)
        front.salesforce_url    # http://localhost:<port>: the fake org's authorize and login pages
        front.s3_url            # http://localhost:<port>: presigned GETs (PresignedS3)

Three `ThreadingHTTPServer`s on ephemeral ports, each handing every request to
a stand-in (`FakeService.handle`) and writing its answer back, so a browser
walks the whole journey: a stable link, API Gateway's HTTP API with the real
sign-in, document and dashboard functions, the Salesforce login page and back,
a presigned link checked for signature and expiry, the download.

Entering configures the stack the way an operator configures AWS: the docs
functions learn their public address (`DOCS_BASE_URL`), the sign-in function
the Salesforce login (`SALESFORCE_LOGIN_URL`), the document function where
presigned links point (`PRESIGN_ENDPOINT_URL`), the cutover functions the docs
host they write links to; the connected app gets the front's callback URL.
Salesforce and S3 are reached as `localhost` and the docs host as `127.0.0.1`,
so the browser sees three sites, as it would in AWS.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

from local.fakes_common import FakeRequest, FakeResponse, wire_headers
from local.http_api import LocalHttpApi
from local.presigned_s3 import PresignedS3
from local.stack import SIGN_IN_CLIENT_ID, LocalStack

logger = logging.getLogger(__name__)
DOCS_FUNCTIONS = ("SignInFunction", "OpenDocumentFunction", "ServeDashboardFunction")
LINK_FUNCTIONS = ("PlanCutoverFunction", "PlanRollbackFunction", "ValidateRecordsFunction")


def _handler_for(service: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host = self.headers.get("Host", "")
            parts = urlsplit(self.path)
            request = FakeRequest(
                method=self.command,
                url=f"http://{host}{self.path}",
                path=parts.path or "/",
                query=parse_qs(parts.query, keep_blank_values=True),
                headers=CaseInsensitiveDict(dict(self.headers.items())),
                body=body,
            )
            try:
                answer = service.handle(request)
            except Exception:  # a bug in a stand-in: answer like a server would, keep serving
                logger.exception("the local front failed on %s %s", self.command, parts.path)
                answer = FakeResponse(500, "Internal Server Error", content_type="text/plain")
            content = answer.encoded()
            self.send_response(answer.status)
            for name, value in wire_headers(answer, len(content)):
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet, and no URLs in logs
            pass

    return Handler


class _Server:
    def __init__(self, service: Any) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(service))
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Forward:
    """Late binding: a server is listening (and its port known) before its service exists."""

    def __init__(self) -> None:
        self.service: Any = None

    def handle(self, request: FakeRequest) -> Any:
        return self.service.handle(request)


class HttpFront:
    def __init__(self, stack: LocalStack, *, s3_clock: Callable[[], float] = time.time) -> None:
        self.stack = stack
        self.s3_clock = s3_clock
        self._docs, self._salesforce, self._s3 = _Forward(), _Forward(), _Forward()
        self._servers = [_Server(self._docs), _Server(self._salesforce), _Server(self._s3)]
        self._saved_env: dict[str, dict[str, str]] = {}
        self.api: LocalHttpApi | None = None

    @property
    def docs_url(self) -> str:
        return f"http://127.0.0.1:{self._servers[0].port}"

    @property
    def salesforce_url(self) -> str:
        return f"http://localhost:{self._servers[1].port}"

    @property
    def s3_url(self) -> str:
        return f"http://localhost:{self._servers[2].port}"

    def __enter__(self) -> HttpFront:
        stack = self.stack
        self.api = LocalHttpApi(stack, "DocsHttpApi", self.docs_url, throttle=True)
        self._docs.service = self.api
        self._salesforce.service = stack.org
        self._s3.service = PresignedS3(
            stack.client("s3"),
            {os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]},
            clock=self.s3_clock,
            base_url=self.s3_url,
        )
        app = stack.org.web.apps[SIGN_IN_CLIENT_ID]
        app.callback_urls = (*app.callback_urls, f"{self.docs_url}/auth/callback")
        for function in DOCS_FUNCTIONS:
            self._set_env(function, DOCS_BASE_URL=self.docs_url)
        self._set_env("SignInFunction", SALESFORCE_LOGIN_URL=self.salesforce_url)
        self._set_env("OpenDocumentFunction", PRESIGN_ENDPOINT_URL=self.s3_url)
        for function in LINK_FUNCTIONS:
            self._set_env(function, DOCS_BASE_URL=self.docs_url)
        for server in self._servers:
            server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for server in self._servers:
            server.stop()
        lam = self.stack.client("lambda")
        for function, env in self._saved_env.items():
            lam.update_function_configuration(
                FunctionName=self.stack.physical_name(function), Environment={"Variables": env}
            )

    def _set_env(self, logical: str, **values: str) -> None:
        """As `aws lambda update-function-configuration` would (restored on exit)."""
        lam = self.stack.client("lambda")
        name = self.stack.physical_name(logical)
        env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        self._saved_env.setdefault(logical, dict(env))
        lam.update_function_configuration(
            FunctionName=name, Environment={"Variables": env | values}
        )
