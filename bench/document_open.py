"""Opening a document: time through the real handler in-process, and Salesforce API calls per open.

    python -m bench.document_open                 # 60 records, 3 passes
    python -m bench.document_open --records 200

On the offline stack (moto's S3 and DynamoDB in-process, the fake org behind
the real `requests` transport), people sign in once through the docs host
(`LocalHttpApi`, the real sign-in function), then `GET /d/{recordId}` events
go straight to `functions/open_document/app.py`'s handler with the function's
template environment, as the Lambda runtime would call it. Each open does the
whole job: session lookup, rate counter, one Composite call to Salesforce
(User, UserLogin, UserRecordAccess), tracking lookup, HEAD of our object,
presigned link, audit write.

Passes: **first** (each record once by a user who may read it: the access
question goes to Salesforce), **again** (the same records within the minute,
same session: the answer comes from the session's cache), **refused** (each
record once by a user who may not: refusals are never cached). Reported: p50,
p95 and mean milliseconds, and Salesforce API calls per open (the fake org's
counter, what `Sforce-Limit-Info` reports). Goals from the issue: at most 1
call per open, at most 0.1 with the cache warm. Timings are this machine's,
in-process; in AWS add API Gateway, Lambda and network round trips. Results
also go to `bench/results/document-open-<UTC timestamp>.json`.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from requests.structures import CaseInsensitiveDict

from local import demo_access, moto_patches
from local.demo_access import BLAKE, CASEY, PASSWORD, Person
from local.fakes_common import FakeRequest
from local.http_api import LocalHttpApi
from local.stack import LOCAL_DOCS_BASE_URL, LocalStack
from local.web_client import WebClient
from revops.access import wiring
from revops.access.sessions import SESSION_COOKIE
from revops.integrations import transport
from revops.observability import metrics

RESULTS = Path(__file__).resolve().parent / "results"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _sign_in(api: LocalHttpApi, person: Person) -> str:
    client = WebClient(transport.new_session())
    login = client.go(LOCAL_DOCS_BASE_URL + "/")
    client.log_in(login, person.username, PASSWORD)
    return f"{SESSION_COOKIE}={client.cookies['docs.revops.local'][SESSION_COOKIE]}"


def _event(api: LocalHttpApi, link: str, cookie: str) -> dict[str, Any]:
    route = next(r for r in api.routes if r.path == "/d/{recordId}")
    path = link.removeprefix(LOCAL_DOCS_BASE_URL)
    request = FakeRequest("GET", link, path, {}, CaseInsensitiveDict({"Cookie": cookie}), b"")
    return api.event(route, request, {"recordId": path.rsplit("/", 1)[1]})


def _pass(
    stack: LocalStack, handler: Any, env: dict[str, str], events: list[dict[str, Any]]
) -> dict[str, Any]:
    times, statuses = [], []
    before = stack.org.api_usage
    for event in events:
        context = moto_patches.LambdaContext("bench-open-document", "arn:bench", 512, 15)
        started = time.perf_counter()
        with moto_patches.function_environment(env):
            answer = handler(event, context)
        times.append((time.perf_counter() - started) * 1000)
        statuses.append(answer["statusCode"])
    calls = stack.org.api_usage - before
    return {
        "opens": len(events),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "p50Ms": round(_percentile(times, 0.50), 1),
        "p95Ms": round(_percentile(times, 0.95), 1),
        "meanMs": round(statistics.fmean(times), 1),
        "salesforceCalls": calls,
        "callsPerOpen": round(calls / len(events), 3),
    }


def run(records: int) -> dict[str, Any]:
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    # What template.yaml's Globals give every function (the handler is called directly here).
    metrics.namespace = "Revops"
    metrics.service = "revops"
    with LocalStack() as stack:
        wiring.checker.cache_clear()
        people = demo_access.set_up_people(stack.org)
        files = [
            (f"Account {i % 4}", f"Statement {i}.pdf", f"%PDF statement {i}".encode() * 64)
            for i in range(records)
        ]
        documents = demo_access.seed_documents(stack, files, LOCAL_DOCS_BASE_URL)
        demo_access.share_documents(
            stack.org, people, {d.record_id: d.record_id for d in documents}, None
        )
        api = LocalHttpApi(stack, "DocsHttpApi", LOCAL_DOCS_BASE_URL).install()
        try:
            casey, blake = _sign_in(api, CASEY), _sign_in(api, BLAKE)
            lam = stack.client("lambda")
            config = lam.get_function_configuration(
                FunctionName=stack.physical_name("OpenDocumentFunction")
            )
            env = dict(config["Environment"]["Variables"]) | {"DOCUMENT_OPENS_PER_MINUTE": "100000"}
            with moto_patches.function_environment(env):
                handler = moto_patches.load_handler("functions/open_document", "app.lambda_handler")
            allowed = [_event(api, d.link, casey) for d in documents]
            refused = [_event(api, d.link, blake) for d in documents]
            passes = {
                "first": _pass(stack, handler, env, allowed),
                "again": _pass(stack, handler, env, allowed),
                "refused": _pass(stack, handler, env, refused),
            }
        finally:
            api.uninstall()
    return {"records": records, "passes": passes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.document_open", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--records", type=int, default=60)
    args = parser.parse_args(argv)
    result = run(args.records)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"document-open-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{'pass':<8} {'opens':>6} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'calls/open':>10}  statuses"
    )
    for name, row in result["passes"].items():
        print(
            f"{name:<8} {row['opens']:>6} {row['p50Ms']:>8} {row['p95Ms']:>8} {row['meanMs']:>8} "
            f"{row['callsPerOpen']:>10}  {row['statuses']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
