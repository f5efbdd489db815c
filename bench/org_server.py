"""The fake Salesforce org in a process of its own, over HTTP on 127.0.0.1.

The scale benchmarks measure our Lambda code, so the org (which holds up to a
million records in memory and builds every Bulk API result) runs apart: its
CPU and memory are read from its own process and reported as its share, never
as ours. Every request is answered by `FakeOrg.handle`, exactly as the
in-process transport adapter answers it; `OrgForwarder` is the client side, a
transport adapter that sends the org's URLs here instead.

    python -m bench.org_server --port 8123 --records 100000 --accounts 4000

The data is deterministic: `records` `DocListEntry__c` over `accounts` accounts,
skewed as real orgs are (the biggest account holds a few thousand records, the
median a dozen), file names that repeat within an account, sizes of 1 to 64 KB
and URLs into `--source-bucket`. `/bench/*` routes report the org's counters
and change a share of its records for an incremental run.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from bench.emulator import status_kb

SEED = 1_000_000
MIN_SIZE, MAX_SIZE = 1024, 64 * 1024
KINDS = ("Contract", "Invoice", "Statement of Work", "Scan", "Quote", "Résumé", "Plan")
EXTENSIONS = (".pdf", ".pdf", ".pdf", ".docx", ".png", ".xlsx")
ORIGINAL_URL = "X-Bench-Original-Url"
SOURCE_BUCKET = "revops-bench-source"


def account_of(index: int, accounts: int) -> int:
    """Record `index`'s account: u**2 skew (account 0 about 0.5% of all records)."""
    u = random.Random(index * 7919 + SEED).random()
    return min(accounts - 1, int(accounts * u * u))


def size_of(index: int) -> int:
    u = random.Random(index * 104_729 + SEED).random()
    return round(math.exp(math.log(MIN_SIZE) + u * (math.log(MAX_SIZE) - math.log(MIN_SIZE))))


def file_name(index: int) -> str:
    kind = KINDS[index % len(KINDS)]
    return f"{kind} {index % 400}{EXTENSIONS[index % len(EXTENSIONS)]}"


def source_key(index: int) -> str:
    return f"docs/{index // 1000:04d}/{index:07d}/{file_name(index)}"


def source_url(index: int, bucket: str = SOURCE_BUCKET) -> str:
    from urllib.parse import quote

    return f"https://{bucket}.s3.amazonaws.com/{quote(source_key(index))}"


def build_org(records: int, accounts: int, bucket: str = SOURCE_BUCKET) -> Any:
    """A FakeOrg holding the benchmark's accounts and records (Bulk pages of 50,000)."""
    from local.salesforce import FakeOrg

    org = FakeOrg.with_standard_objects(bulk_page_size=50_000, daily_api_limit=10_000_000)
    org.clock = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    account_ids = []
    for n in range(accounts):
        name = f"Account {n}" if n % 97 else f"Société Générale n°{n} / Ünïcode 🚀"
        account_ids.append(org.insert("Account", {"Name": name}))
    for index in range(records):
        org.insert(
            "DocListEntry__c",
            {
                "Name": f"Doc {index}",
                "Document__c": source_url(index, bucket),
                "Account__c": account_ids[account_of(index, accounts)],
                "File_Name__c": file_name(index),
                "File_Size__c": size_of(index),
            },
        )
    return org


def change_share(org: Any, share: float, seed: int = 7) -> int:
    """Change `share` of the records, as users would between two runs: half get a
    new file (URL), half an edit (a newer SystemModstamp). Returns how many."""
    rows = org.records("DocListEntry__c")
    picked = random.Random(seed).sample(range(len(rows)), round(len(rows) * share))
    org.advance_clock(timedelta(days=1))
    for n, position in enumerate(picked):
        row = rows[position]
        if n % 2:
            org.update("DocListEntry__c", row["Id"], {"Name": f"{row['Name']} (edited)"})
        else:
            url = str(row["Document__c"]).replace(".pdf", "-v2.pdf")
            org.update("DocListEntry__c", row["Id"], {"Document__c": url})
    return len(picked)


def serve(org: Any, port: int) -> ThreadingHTTPServer:
    from local.fakes_common import FakeRequest

    def stats() -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "apiUsage": org.api_usage,
            "calls": dict(org.calls),
            "cpuSeconds": usage.ru_utime + usage.ru_stime,
            "rssMb": status_kb("VmRSS") / 1024,
            "peakRssMb": usage.ru_maxrss / 1024,
        }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            if parts.path.startswith("/bench/"):
                self._control(parts.path, parse_qs(parts.query))
                return
            url = self.headers.get(ORIGINAL_URL) or self.path
            request = FakeRequest(
                method=self.command,
                url=url,
                path=parts.path or "/",
                query=parse_qs(parts.query, keep_blank_values=True),
                headers=CaseInsensitiveDict(dict(self.headers.items())),
                body=body,
            )
            answer = org.handle(request)
            content = answer.encoded()
            headers = dict(answer.headers)
            if answer.body is not None:
                charset = (
                    "; charset=utf-8"
                    if answer.content_type.startswith(("application/json", "text/"))
                    else ""
                )
                headers.setdefault("Content-Type", answer.content_type + charset)
            self._answer(answer.status, headers, content)

        def _control(self, path: str, query: dict[str, list[str]]) -> None:
            if path == "/bench/stats":
                result: dict[str, Any] = stats()
            elif path == "/bench/change":
                began = time.process_time()
                changed = change_share(org, float(query.get("share", ["0.01"])[0]))
                result = {"changed": changed, "cpuSeconds": time.process_time() - began}
            elif path == "/bench/reset":
                org.reset_log()
                result = stats()
            else:
                self._answer(404, {}, b"")
                return
            self._answer(200, {"Content-Type": "application/json"}, json.dumps(result).encode())

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class OrgForwarder(HTTPAdapter):
    """A transport adapter sending requests for the org's URLs to its process."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(pool_connections=64, pool_maxsize=64)
        self.endpoint = endpoint.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        original = request.url or ""
        parts = urlsplit(original)
        request.url = f"{self.endpoint}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        request.headers[ORIGINAL_URL] = original
        response = super().send(request, **kwargs)
        response.url = original
        return response


def install_forwarder(endpoint: str) -> None:
    """Route the org's instance and login URLs to the org process."""
    from local.salesforce import DEFAULT_INSTANCE_URL, DEFAULT_LOGIN_URL
    from revops.integrations import transport

    adapter = OrgForwarder(endpoint)
    for prefix in (DEFAULT_INSTANCE_URL, DEFAULT_LOGIN_URL):
        transport.register_adapter(prefix, adapter)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--source-bucket", default=SOURCE_BUCKET)
    args = parser.parse_args(argv)
    import local  # noqa: F401  (puts the layer on sys.path)

    began = time.perf_counter()
    org = build_org(args.records, args.accounts, args.source_bucket)
    serve(org, args.port)
    seeded = time.perf_counter() - began
    print(
        json.dumps({"ready": True, "seedSeconds": seeded, "rssMb": status_kb("VmRSS") / 1024}),
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
