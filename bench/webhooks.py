"""Webhook ingest on the offline stack: throughput, receipt-to-numbers latency, cost per 1,000.

    python -m bench.webhooks                # 1,000 events in a burst, then 150 at a steady rate
    python -m bench.webhooks --events 300   # a smaller burst

Everything is the real path: the ElevenLabs stand-in posts signed post-call webhooks to
the local API Gateway, ReceiveWebhookFunction verifies and queues them, the event source
mapping's pollers (`local/moto_patches/`, at most 2 here) hand batches of 10 to
ApplyWebhookEventsFunction, which records each call and moves the month. Measured:

* **endpoint**: events/s the receiver accepts (a burst, one sender, as a provider sends);
* **end to end**: events/s from the first receipt to the last event applied, and per event
  the time from the receiver's receipt (`receivedAt`) to the moment `agentMetrics` holds it
  (when `LiveStore.record_call` returns: the transaction, the derived numbers and the
  current month's copy are written), p50/p95/max, in a burst and at a steady rate;
* **counts**: AWS requests per event by service and operation, Lambda invocations and
  their durations: the inputs of the cost on paper (`cost_per_1000`).

It runs on the emulator, whose every DynamoDB request costs tens of milliseconds of
Python and is served one at a time: the figures are the local stack's, and AWS's
latencies are lower. The cost uses the counts, which do not depend on the emulator.
Results go to `bench/results/webhooks-<UTC timestamp>.json`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import threading
import time
import warnings
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

RESULTS = Path(__file__).resolve().parent / "results"

# us-east-1 list prices (2026), per unit.
PRICES = {
    "apigw_http_request": 1.00 / 1e6,
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm": 0.0000133334,
    "sqs_request": 0.40 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "xray_trace": 5.00 / 1e6,
}
MEMORY_MB = {"ReceiveWebhookFunction": 256, "ApplyWebhookEventsFunction": 512}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Recorder:
    """Counts AWS requests, Lambda invocations and their durations, and when calls land."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.invocations: Counter[str] = Counter()
        self.durations: dict[str, list[float]] = defaultdict(list)
        self.applied: dict[str, float] = {}
        self.lock = threading.Lock()

    def install(self) -> None:
        from moto.awslambda_simple.models import LambdaSimpleBackend
        from moto.core.botocore_stubber import BotocoreStubber

        from revops.store.live import LiveStore

        recorder = self
        process = BotocoreStubber.process_request

        def process_request(stub: Any, request: Any) -> Any:
            target = request.headers.get("X-Amz-Target")
            host = str(request.url).split("/")[2].split(".")[0]
            name = target.decode() if isinstance(target, bytes) else target
            with recorder.lock:
                recorder.requests[f"{host}:{(name or request.method).split('.')[-1]}"] += 1
            return process(stub, request)

        BotocoreStubber.process_request = process_request  # type: ignore[method-assign,assignment]

        invoke = LambdaSimpleBackend.invoke

        def timed(self: Any, function_name: str, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return invoke(self, function_name, *args, **kwargs)
            finally:
                logical = function_name.rsplit(":", 1)[-1].split("-", 2)[-1]
                with recorder.lock:
                    recorder.invocations[logical] += 1
                    recorder.durations[logical].append(time.perf_counter() - began)

        LambdaSimpleBackend.invoke = timed  # type: ignore[method-assign]

        record = LiveStore.record_call

        def landed(store: Any, row: dict[str, Any], **kwargs: Any) -> bool:
            applied = record(store, row, **kwargs)
            with recorder.lock:
                recorder.applied.setdefault(row["conversation_id"], time.time())
            return applied

        LiveStore.record_call = landed  # type: ignore[method-assign,assignment]

    def snapshot(self) -> tuple[Counter[str], Counter[str], dict[str, list[float]]]:
        with self.lock:
            return (
                Counter(self.requests),
                Counter(self.invocations),
                {k: list(v) for k, v in self.durations.items()},
            )


def run(args: argparse.Namespace) -> dict[str, Any]:
    from local import demo_data
    from local.demo_agent_metrics import LocalHttpApi, admin_session, register_clients
    from local.live import connect_webhooks, drain
    from local.stack import LocalStack
    from revops.agentmetrics.models import derive
    from revops.store.agentmetrics import AgentMetricsStore

    recorder = Recorder()
    with LocalStack() as stack:
        recorder.install()
        voice = demo_data.generate_voice()
        demo_data.load_voice(stack.elevenlabs, stack.ghl, voice)
        api = LocalHttpApi(stack).install()
        register_clients(admin_session(api), api.base_url, voice, stack.ghl)
        connect_webhooks(stack, api.base_url)
        store = AgentMetricsStore(stack.physical_name("AgentMetricsTable"), "us-east-1", derive)
        spec = next(c for c in voice.clients if c.client_id == "client-maple")
        zone = ZoneInfo(spec.time_zone)
        first = datetime.now(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)

        def send(count: int, rate: float | None) -> tuple[list[str], float]:
            ids: list[str] = []
            began = time.perf_counter()
            for i in range(count):
                agent = spec.agents[i % len(spec.agents)]
                start = max(datetime.now(UTC) - timedelta(minutes=5), first + timedelta(seconds=1))
                conversation = stack.elevenlabs.add_conversation(
                    agent_id=agent.agent_id,
                    agent_name=agent.name,
                    start=start.astimezone(UTC),
                    duration_secs=60 + i % 300,
                    direction="inbound" if i % 3 else "outbound",
                )
                [delivery] = stack.elevenlabs.end_call(conversation)
                assert delivery.status == 200, delivery.answer
                ids.append(conversation)
                if rate:
                    time.sleep(max(0.0, began + (i + 1) / rate - time.perf_counter()))
            return ids, time.perf_counter() - began

        def latencies(ids: list[str]) -> list[float]:
            rows = store.calls(ids)
            out = []
            for conversation in ids:
                received = datetime.fromisoformat(
                    rows[conversation].received_at.replace("Z", "+00:00")
                )
                out.append(recorder.applied[conversation] - received.timestamp())
            return out

        log("warming up (cold starts of both functions)")
        warm, _ = send(20, None)
        drain(stack)
        requests_before, invocations_before, durations_before = recorder.snapshot()

        log(f"burst: {args.events} events, one sender")
        burst_started = time.time()
        burst, sent_seconds = send(args.events, None)
        drain(stack, timeout=3600)
        burst_done = max(recorder.applied[c] for c in burst)
        requests_after, invocations_after, durations_after = recorder.snapshot()
        burst_latency = latencies(burst)

        log(f"steady: {args.steady_events} events at {args.rate}/s")
        steady, _ = send(args.steady_events, args.rate)
        drain(stack, timeout=3600)
        steady_latency = latencies(steady)
        history = next(iter(store.current("client-maple")))
        [call] = store.calls(steady[:1]).values()
        sizes = {
            "agent_metrics_row": len(json.dumps(history.serialize())),
            "call_row": len(json.dumps(call.serialize())),
        }
        api.uninstall()

    requests = requests_after - requests_before
    invocations = invocations_after - invocations_before
    durations = {k: durations_after[k][len(durations_before.get(k, [])) :] for k in durations_after}
    local_only = ("lambda:", "sqs:GetQueueAttributes")  # the stack invoking, `drain` polling
    per_event = {
        name: count / args.events
        for name, count in sorted(requests.items())
        if not name.startswith(local_only)
    }
    result = {
        "events": args.events,
        "endpoint_events_per_second": args.events / sent_seconds,
        "end_to_end_events_per_second": args.events / (burst_done - burst_started),
        "burst_receipt_to_agentmetrics_seconds": summary(burst_latency),
        "steady_rate_per_second": args.rate,
        "steady_receipt_to_agentmetrics_seconds": summary(steady_latency),
        "aws_requests_per_event": per_event,
        "lambda_invocations": dict(invocations),
        "lambda_mean_duration_seconds": {k: statistics.fmean(v) for k, v in durations.items() if v},
        "warm_up_events": len(warm),
        "item_bytes_upper_bound": sizes,
    }
    result["cost_per_1000_events"] = cost_per_1000(result)
    return result


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values, default=0.0),
        "count": len(values),
    }


def cost_per_1000(result: dict[str, Any]) -> dict[str, Any]:
    """Dollars per 1,000 events from the counts (and the local durations, an upper bound).

    SQS: one SendMessage per event; Lambda's poller receives a batch and deletes it in one
    DeleteMessageBatch (it polls an empty queue too: 5 pollers' long polls, about 0.65M
    requests a month whatever the traffic, left out here). DynamoDB: a transaction's items
    cost 2 WRU each (items under 1 KB), a put or update outside one 1 WRU, a strongly
    consistent read and the clients' query 1 RRU each. X-Ray: every invocation traced (the
    template's `Tracing: Active`; the default sampling rule, 1/s then 5 %, traces fewer
    under load)."""
    events = result["events"]
    per = result["aws_requests_per_event"]
    invocations = result["lambda_invocations"]
    batches = invocations.get("ApplyWebhookEventsFunction", 0) / events
    sqs = per.get("sqs:SendMessage", 0.0) + 2 * batches
    transactions = per.get("dynamodb:TransactWriteItems", 0.0)
    writes = per.get("dynamodb:UpdateItem", 0.0) + per.get("dynamodb:PutItem", 0.0)
    reads = per.get("dynamodb:GetItem", 0.0) + per.get("dynamodb:Query", 0.0)
    lambda_seconds = {
        name: invocations.get(name, 0)
        / events
        * result["lambda_mean_duration_seconds"].get(name, 0)
        for name in MEMORY_MB
    }
    invoked = sum(invocations.get(n, 0) for n in MEMORY_MB) / events
    lines = {
        "api_gateway": 1000 * PRICES["apigw_http_request"],
        "lambda_requests": 1000 * invoked * PRICES["lambda_request"],
        "lambda_compute_local_durations": 1000
        * sum(s * MEMORY_MB[n] / 1024 for n, s in lambda_seconds.items())
        * PRICES["lambda_gb_second_arm"],
        "sqs": 1000 * sqs * PRICES["sqs_request"],
        "dynamodb": 1000
        * (
            (transactions * 2 * 2 + writes) * PRICES["dynamodb_wru"]
            + reads * PRICES["dynamodb_rru"]
        ),
        "xray_all_traced": 1000 * invoked * PRICES["xray_trace"],
    }
    lines["total_without_xray"] = sum(v for k, v in lines.items() if not k.startswith("xray"))
    lines["total"] = lines["total_without_xray"] + lines["xray_all_traced"]
    return lines


def print_table(result: dict[str, Any]) -> None:
    burst, steady = (
        result["burst_receipt_to_agentmetrics_seconds"],
        result["steady_receipt_to_agentmetrics_seconds"],
    )
    print(f"events: {result['events']} (after {result['warm_up_events']} to warm up)")
    print(f"endpoint: {result['endpoint_events_per_second']:.1f} events/s accepted")
    print(f"end to end: {result['end_to_end_events_per_second']:.1f} events/s applied")
    print(
        f"receipt -> agentMetrics, burst: p50 {burst['p50']:.2f} s, p95 {burst['p95']:.2f} s, "
        f"max {burst['max']:.2f} s"
    )
    print(
        f"receipt -> agentMetrics at {result['steady_rate_per_second']}/s: p50 {steady['p50']:.3f} s, "
        f"p95 {steady['p95']:.3f} s, max {steady['max']:.3f} s"
    )
    print("AWS requests per event (the local stack's own calls left out):")
    for name, count in result["aws_requests_per_event"].items():
        print(f"  {name:40} {count:6.2f}")
    for name, count in result["lambda_invocations"].items():
        print(f"  {'lambda invocations ' + name:40} {count / result['events']:6.2f}")
    print("cost per 1,000 events (USD):")
    for name, dollars in result["cost_per_1000_events"].items():
        print(f"  {name:40} {dollars:.6f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.webhooks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--events", type=int, default=1000, help="events in the burst")
    parser.add_argument("--steady-events", type=int, default=150)
    parser.add_argument("--rate", type=float, default=5.0, help="events/s of the steady run")
    args = parser.parse_args(argv)
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "revops")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Revops")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["REVOPS_LOCAL_LOG_LEVEL"] = "ERROR"
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore")
    result = run(args)
    result["machine"] = {"cpus": os.cpu_count(), "load_after": os.getloadavg()[0]}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"webhooks-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    log(f"-> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
