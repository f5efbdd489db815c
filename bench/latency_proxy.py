"""A forwarding HTTP proxy that adds a fixed delay to every request.

    python -m bench.latency_proxy --upstream http://127.0.0.1:5000 --delay-ms 50

Clients use it as their endpoint (`--endpoint-url`, `AWS_ENDPOINT_URL`): each
request is read in full, held for `delay` seconds, then forwarded over a
keep-alive connection to the upstream (the emulator), and the answer streamed
back. The Host header is passed through unchanged, so SigV4 signatures stay as
the client made them. A thread serves each client connection, so concurrent
clients wait concurrently, as they would on a network with that latency.

It also counts requests by operation (S3 HEAD/GET/PUT/copy/list, DynamoDB
targets): `GET /__proxy__/stats` returns the counts as JSON, and
`POST /__proxy__/reset` clears them. Those two are answered at once, without
the delay.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
_BUCKET_SUBRESOURCES = frozenset(
    {"location", "versioning", "acl", "policy", "uploads", "tagging", "cors", "lifecycle"}
)
STATS_PATH = "/__proxy__/stats"
RESET_PATH = "/__proxy__/reset"


def operation(method: str, path: str, headers: Any) -> str:
    """A short name for what a request does (S3 REST or a DynamoDB target)."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rpartition(".")[2]  # e.g. BatchWriteItem
    parts = urlsplit(path)
    query = parse_qs(parts.query, keep_blank_values=True)
    segments = [s for s in parts.path.split("/") if s]
    if method == "PUT" and headers.get("x-amz-copy-source"):
        return "UploadPartCopy" if "partNumber" in query else "CopyObject"
    if len(segments) <= 1:  # the bucket itself
        if method == "GET" and not query.keys() & _BUCKET_SUBRESOURCES:
            return "ListObjects"
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        return f"{method} bucket"
    if method == "PUT":
        return "UploadPart" if "partNumber" in query else "PutObject"
    if method == "POST":
        return "CreateMultipartUpload" if "uploads" in query else "CompleteMultipartUpload"
    return {"HEAD": "HeadObject", "GET": "GetObject", "DELETE": "DeleteObject"}.get(method, method)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _upstream(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self, "_conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection(
                self.server.upstream_host, self.server.upstream_port, timeout=300
            )
            self._conn = conn
        return conn

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _local(self) -> bool:
        if self.path == STATS_PATH:
            payload = json.dumps(self.server.snapshot()).encode()
        elif self.path == RESET_PATH:
            self.server.reset()
            payload = b"{}"
        else:
            return False
        self._read_body()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        return True

    def _forward(self) -> None:
        if self._local():
            return
        body = self._read_body()
        self.server.count(operation(self.command, self.path, self.headers))
        if self.server.delay > 0:
            time.sleep(self.server.delay)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body or self.command in ("PUT", "POST"):
            headers["Content-Length"] = str(len(body))
        for attempt in (0, 1):
            conn = self._upstream(fresh=attempt > 0)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                break
            except (http.client.HTTPException, OSError):
                if attempt:
                    self.send_error(502, "upstream failed")
                    return
        self._relay(response)

    def _relay(self, response: http.client.HTTPResponse) -> None:
        length = response.getheader("Content-Length")
        chunked = length is None and self.command != "HEAD"
        body = response.read() if chunked else None
        self.send_response_only(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() in HOP_BY_HOP or (chunked and key.lower() == "content-length"):
                continue
            self.send_header(key, value)
        if body is not None:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            response.read()
            return
        if body is not None:
            self.wfile.write(body)
            return
        while chunk := response.read(1024 * 1024):
            self.wfile.write(chunk)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, listen_port: int, upstream: str, delay: float) -> None:
        super().__init__(("127.0.0.1", listen_port), _Handler)
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.delay = delay
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


def serve(port: int, upstream: str, delay: float) -> None:
    server = _ProxyServer(port, upstream, delay)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


class LatencyProxy:
    """The proxy in its own process (so its CPU is apart from the tools')."""

    def __init__(self, upstream: str, delay: float, port: int | None = None) -> None:
        from bench.emulator import free_port

        self.upstream = upstream
        self.delay = delay
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.latency_proxy",
                "--upstream",
                self.upstream,
                "--delay-ms",
                str(self.delay * 1000),
                "--port",
                str(self.port),
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.endpoint + STATS_PATH, timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the latency proxy did not start")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def cpu_seconds(self) -> float:
        from bench.emulator import process_cpu_seconds

        return process_cpu_seconds(self._process.pid) if self._process else 0.0

    def counts(self) -> dict[str, int]:
        return dict(requests.get(self.endpoint + STATS_PATH, timeout=10).json())

    def reset(self) -> None:
        requests.post(self.endpoint + RESET_PATH, timeout=10)

    def __enter__(self) -> LatencyProxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve(args.port, args.upstream, args.delay_ms / 1000)


if __name__ == "__main__":
    main()
