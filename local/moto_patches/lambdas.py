"""Patches 1 and 8: Lambda runs our real handlers, and SQS event sources run as Lambda's pollers."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from local.moto_patches import clock

REPO_ROOT = Path(__file__).resolve().parents[2]
LAYER_DIR = REPO_ROOT / "layers" / "common"

# Tag that the local deployer puts on each function: the function's code folder,
# relative to the repository root (its `CodeUri` in template.yaml).
CODE_URI_TAG = "revops:code-uri"


# --------------------------------------------------------------------------- 1. Lambda


class LambdaContext:
    """The attributes of the Lambda runtime's context object that code reads."""

    def __init__(self, function_name: str, function_arn: str, memory_mb: int, timeout_s: int):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@functools.cache
def load_handler(code_uri: str, handler: str) -> Callable[[Any, Any], Any]:
    """Import `functions/<dir>/app.py` under a unique module name and return its handler."""
    module_name, _, attr = handler.rpartition(".")
    path = REPO_ROOT / code_uri / f"{module_name.replace('.', '/')}.py"
    if not path.is_file():
        raise FileNotFoundError(f"handler module {path} not found for {code_uri}")
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))
    unique = "revops_functions." + code_uri.strip("/").replace("/", ".") + "." + module_name
    spec = importlib.util.spec_from_file_location(unique, path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    handler_fn: Callable[[Any, Any], Any] = getattr(module, attr)
    return handler_fn


class _Environment:
    """Applies function environment variables around concurrent invocations.

    os.environ is process-wide. Variables are set for the duration of each
    invocation and restored when the last concurrent invocation ends. Functions
    of one stack share values for shared keys (table and bucket names), so
    overlapping invocations see consistent settings.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved: dict[str, str | None] = {}

    @contextlib.contextmanager
    def applied(self, variables: dict[str, str]) -> Iterator[None]:
        with self._lock:
            for key, value in variables.items():
                if key not in self._saved:
                    self._saved[key] = os.environ.get(key)
                os.environ[key] = value
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0:
                    for key, old in self._saved.items():
                        if old is None:
                            os.environ.pop(key, None)
                        else:
                            os.environ[key] = old
                    self._saved.clear()


_environment = _Environment()


def function_environment(variables: dict[str, str]) -> contextlib.AbstractContextManager[None]:
    """A Lambda function's environment variables, set as its invocation sets them
    (shared safely between functions running at once in this process)."""
    return _environment.applied(variables)


def start_cold() -> None:
    """Forget what warm containers cache: the layer's cached objects and secrets.

    Boto3 client factories (named `*client`) are kept: a client signs each call
    with the role acting at that moment, so sharing one grants nothing.
    """
    from aws_lambda_powertools.utilities import parameters

    for name, module in list(sys.modules.items()):
        if name != "revops" and not name.startswith("revops."):
            continue
        for value in list(vars(module).values()):
            if (
                callable(getattr(value, "cache_clear", None))
                and getattr(value, "__module__", None) == name
                and not getattr(value, "__name__", "").endswith("client")
            ):
                value.cache_clear()
    parameters.clear_caches()


def _drop_metrics() -> None:
    """What `log_metrics` would have published: dropped, as the local stack disables metrics.

    With POWERTOOLS_METRICS_DISABLED, Powertools' flush neither prints nor
    clears, so a long local run would pile every invocation's metrics into the
    shared set until its 100-value limit prints them all at once.
    """
    observability = sys.modules.get("revops.observability")
    if observability is not None:
        observability.metrics.clear_metrics()


def _error_payload(exc: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_exception(exc)[-10:],
    }


def dispatch_lambda() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(
        self: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes:
        fn = self.get_function(function_name, qualifier)  # raises if it does not exist
        tags = self.list_tags(fn.function_arn) or {}
        code_uri = tags.get(CODE_URI_TAG)
        if not code_uri:
            raise RuntimeError(f"function {fn.function_name} has no {CODE_URI_TAG} tag")
        event = json.loads(body) if body else {}
        variables = (fn.environment_vars or {}) if hasattr(fn, "environment_vars") else {}
        context = LambdaContext(
            fn.function_name, fn.function_arn, int(fn.memory_size or 128), int(fn.timeout or 3)
        )
        from local.iam import enforce

        with enforce.acting_as(None):  # the harness assumes the role, not the caller
            principal = enforce.for_function(fn.function_arn)
        if enforce.cold_start(fn.function_arn):
            start_cold()
        try:
            with _environment.applied(dict(variables)), enforce.acting_as(principal):
                # Imported under the function's environment, as Lambda's init phase is.
                handler = load_handler(code_uri, fn.handler)
                result = handler(event, context)
        except Exception as exc:  # AWS turns every unhandled exception into this contract
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(_error_payload(exc)).encode()
        finally:
            _drop_metrics()
        return json.dumps(result, default=str).encode()

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]


# ------------------------------------------------------------- 8. SQS event sources

LOCAL_MAX_POLLERS = 2
_RECEIVE_LOCK = threading.Lock()
_pollers: list[_SqsPoller] = []
_pollers_lock = threading.Lock()


def _sqs_record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": {
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "SentTimestamp": str(message.sent_timestamp),
            "SenderId": str(message.sender_id),
            "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
        },
        "messageAttributes": {},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _failed_ids(payload: bytes, reports_failures: bool, ids: set[str]) -> set[str]:
    """The records Lambda treats as failed, given the function's answer (AWS's rules)."""
    if not reports_failures:
        return set()
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        return set(ids)
    if answer is None or not isinstance(answer, dict):
        return set()
    failures = answer.get("batchItemFailures")
    if failures is None:
        return set()
    named = set()
    for failure in failures if isinstance(failures, list) else [None]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in ids:
            return set(ids)  # a malformed answer fails the whole batch
        named.add(identifier)
    return named


# What Lambda's pollers do with the function's execution role; CreateEventSourceMapping
# checks the role can (AWS's documented minimum for an SQS event source).
_POLLER_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


def _poller_may(function_arn: str, queue_arn: str, actions: tuple[str, ...]) -> None:
    """Check (and record) the poller's calls against the function's role, as Lambda makes them."""
    from moto.core.exceptions import JsonRESTError

    from local.iam import enforce
    from local.iam.evaluate import Request

    with enforce.acting_as(None):
        principal = enforce.for_function(function_arn)
    if principal is None:
        return
    denied = principal.guard.check(
        principal,
        [Request(action, queue_arn) for action in actions],
        implied="Lambda's SQS poller, with the function's role",
    )
    if denied:
        raise JsonRESTError(
            "InvalidParameterValueException",
            "The provided execution role does not have permissions to call "
            f"{denied[0].action.split(':', 1)[1]} on SQS",
        )


class _SqsPoller(threading.Thread):
    """One of Lambda's pollers for one SQS event source mapping."""

    def __init__(self, esm: Any, queue_name: str, queue_arn: str) -> None:
        super().__init__(daemon=True, name=f"sqs-poller-{esm.uuid[:8]}")
        self.uuid = esm.uuid
        self.account, self.region = esm.account_id, esm.region
        self.queue_name, self.queue_arn = queue_name, queue_arn
        self.stopped = threading.Event()
        self.invocations = 0

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                if not self._poll_once():
                    return
            except Exception:  # the emulator was torn down under us
                return

    def _poll_once(self) -> bool:
        from moto.awslambda.utils import get_backend
        from moto.sqs.models import sqs_backends

        lambdas = get_backend(self.account, self.region)
        esm = lambdas._event_source_mappings.get(self.uuid)
        if esm is None:
            return False
        if not esm.enabled:
            self.stopped.wait(0.1)
            return True
        backend: Any = sqs_backends[self.account][self.region]
        queue: Any = backend.get_queue(self.queue_name)
        _poller_may(esm.function_arn, self.queue_arn, ("sqs:ReceiveMessage",))
        with _RECEIVE_LOCK:  # SQS hands a message to one receiver; moto's receive is not atomic
            messages = backend.receive_message(
                self.queue_name, int(esm.batch_size or 10), 0, int(queue.visibility_timeout)
            )
        if not messages:
            queue.wait_for_messages(1)  # long polling: back as soon as one arrives
            return True
        if self.stopped.is_set():
            return True
        event = {"Records": [_sqs_record(m, self.queue_arn, self.region) for m in messages]}
        response_headers: dict[str, Any] = {}
        payload = lambdas.invoke(esm.function_arn, None, json.dumps(event), {}, response_headers)
        self.invocations += 1
        ids = {m.id for m in messages}
        if "x-amz-function-error" in response_headers:
            failed = ids
        else:
            reports = "ReportBatchItemFailures" in (esm.function_response_types or [])
            raw = payload if isinstance(payload, bytes) else str(payload or "").encode()
            failed = _failed_ids(raw, reports, ids)
        for message in messages:
            if message.id in failed:
                # Lambda leaves a failed record alone: it reappears when its visibility
                # timeout ends (here scaled, as Wait states are).
                timeout = int(queue.visibility_timeout * clock.scale())
                backend.change_message_visibility(self.queue_name, message.receipt_handle, timeout)
            else:
                _poller_may(esm.function_arn, self.queue_arn, ("sqs:DeleteMessage",))
                backend.delete_message(self.queue_name, message.receipt_handle)
        if failed:
            with queue._messages_lock:
                queue._messages_lock.notify_all()
        return True


def sqs_event_sources() -> None:
    from moto.awslambda.models import LambdaBackend
    from moto.sqs.models import sqs_backends

    original = LambdaBackend.create_event_source_mapping
    if getattr(original, "_revops_patched", False):
        return

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        esm = original(self, spec)
        if ":sqs:" not in esm.event_source_arn:
            return esm
        _poller_may(esm.function_arn, esm.event_source_arn, _POLLER_ACTIONS)
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            if queue.queue_arn == esm.event_source_arn:
                queue.lambda_event_source_mappings.pop(esm.function_arn, None)  # no inline calls
                scaling = esm.scaling_config or {}
                count = min(int(scaling.get("MaximumConcurrency") or 5), LOCAL_MAX_POLLERS)
                with _pollers_lock:
                    for _ in range(count):
                        poller = _SqsPoller(esm, queue.name, queue.queue_arn)
                        _pollers.append(poller)
                        poller.start()
        return esm

    create_event_source_mapping._revops_patched = True  # type: ignore[attr-defined]
    LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign]


def stop_event_sources() -> None:
    """Stop every SQS poller and wait for the batches in flight to finish."""
    with _pollers_lock:
        pollers, _pollers[:] = list(_pollers), []
    for poller in pollers:
        poller.stopped.set()
    for poller in pollers:
        poller.join(timeout=30)
