"""Every change we make to moto, in one place.

moto (pinned in pyproject.toml) runs our real ASL files with its Step Functions
executor. Nine things stop it from behaving like AWS for this project; each is
patched here, and each patch has a test in `tests/unit/local/test_moto_patches.py`
that fails if a moto upgrade changes the behaviour underneath it:

1. `dispatch_lambda`: with `use_docker` off, moto's `LambdaSimpleBackend.invoke`
   echoes its input. We route the invocation to the real handler in
   `functions/<dir>/app.py`, with the function's environment variables, a
   Lambda-like context, and AWS's error contract (`x-amz-function-error:
   Unhandled` plus `{errorMessage, errorType, stackTrace}`), so Task states,
   `Retry`/`Catch` on error names and direct `lambda.invoke` calls all behave as
   in AWS.
2. `name_unnamed_executions`: moto names an execution started without a name
   "None", so the second unnamed start fails with ExecutionAlreadyExists. AWS
   generates a UUID.
3. `normalise_sfn_parameters`: `arn:aws:states:::states:startExecution` (and
   `.sync`) fail with KeyError 'StateMachineArn' because moto stubs out the
   parameter and response normalisation that maps ASL's PascalCase keys onto the
   boto3 shapes. We restore it from botocore's service model.
4. `scale_time`: Wait states, Retry intervals and `.sync` polling really sleep.
   We multiply every such delay by a factor (0 in tests) so the same ASL runs fast.
5. `conditional_copy`: S3 honours `If-None-Match: *` on CopyObject (a conditional
   write: 412 when the key exists); moto checks it on PutObject only. The backup
   relies on it so a rerun never writes an object twice.
6. `atomic_dynamodb`: DynamoDB applies each request to an item atomically;
   moto's `UpdateItem` first stores a key-only item and then applies the
   expression to it in place, so a query from another thread (a workflow
   running beside an API call) can read an item with no attributes. Requests
   are served one at a time, as one item's requests are in AWS.
7. `secret_size_limit`: Secrets Manager refuses a `SecretString` (or
   `SecretBinary`) over 65,536 bytes with `ValidationException`; moto stores any
   size. CreateSecret, PutSecretValue and UpdateSecret enforce the limit.
8. `sqs_event_sources`: moto's SQS -> Lambda event source mapping invokes the
   function inside `SendMessage`, one message per invocation, ignores
   `ReportBatchItemFailures`, always reports `ApproximateReceiveCount` 1, and so
   never reaches the queue's redrive policy. We run each mapping as Lambda's
   poller does instead: background threads long-poll the queue, invoke the
   function with up to `BatchSize` records shaped as AWS sends them, delete the
   records that succeeded (all of them, or all but the `batchItemFailures`), and
   leave the rest to reappear after the visibility timeout (scaled like Wait
   states, `set_time_scale`), so SQS's own redrive moves a record that keeps
   failing to the dead-letter queue after `maxReceiveCount` receives. At most
   `LOCAL_MAX_POLLERS` pollers per mapping (AWS scales up to
   `ScalingConfig.MaximumConcurrency`). `stop_event_sources()` ends them.
9. `item_level_transactions`: moto's `TransactWriteItems` deep-copies every table
   it touches before it starts, to roll back on failure: a transaction costs time
   in proportion to the whole table (90 ms on a table of a few thousand items,
   growing with it). DynamoDB's cost does not depend on the table. We keep a copy
   of the items the transaction names instead and put exactly those back when it
   is cancelled: the same all-or-nothing outcome.

`apply()` installs all of them and is idempotent.
"""

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

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYER_DIR = REPO_ROOT / "layers" / "common"

# Tag that the local deployer puts on each function: the function's code folder,
# relative to the repository root (its `CodeUri` in template.yaml).
CODE_URI_TAG = "revops:code-uri"

MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

_applied = False
_time_scale = 0.0


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
        try:
            with _environment.applied(dict(variables)):
                # Imported under the function's environment, as Lambda's init phase is.
                handler = load_handler(code_uri, fn.handler)
                result = handler(event, context)
        except Exception as exc:  # AWS turns every unhandled exception into this contract
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(_error_payload(exc)).encode()
        return json.dumps(result, default=str).encode()

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 2. names


def name_unnamed_executions() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution
    if getattr(original, "_revops_patched", False):
        return

    def start_execution(self: Any, state_machine_arn: str, name: Any = None, *a: Any, **kw: Any):
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *a, **kw)

    start_execution._revops_patched = True  # type: ignore[attr-defined]
    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 3. sfn keys


@functools.cache
def _sfn_operation(action_snake: str) -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("stepfunctions")
    name = "".join(part.capitalize() for part in action_snake.split("_"))
    return model.operation_model(name)


def _timestamps_to_epoch_millis(value: Any) -> None:
    """Step Functions reports SDK timestamps as epoch milliseconds, as AWS does."""
    import datetime

    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, inner in list(items):
        if isinstance(inner, datetime.datetime):
            value[key] = int(inner.timestamp() * 1000)
        else:
            _timestamps_to_epoch_millis(inner)


def normalise_sfn_parameters() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn as sfn_module,
    )

    cls = sfn_module.StateTaskServiceSfn
    original_params = cls._normalise_parameters
    if getattr(original_params, "_revops_patched", False):
        return

    def _normalise_parameters(
        self: Any,
        parameters: dict,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        original_params(self, parameters, boto_service_name, service_action_name)
        action = self._get_boto_service_action(service_action_name)
        self._to_boto_request(parameters, _sfn_operation(action).input_shape)

    def _normalise_response(
        self: Any,
        response: Any,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        action = self._get_boto_service_action(service_action_name)
        self._from_boto_response(response, _sfn_operation(action).output_shape)
        _timestamps_to_epoch_millis(response)

    _normalise_parameters._revops_patched = True  # type: ignore[attr-defined]
    cls._normalise_parameters = _normalise_parameters  # type: ignore[method-assign]
    cls._normalise_response = _normalise_response  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 4. time


class _ScaledTime:
    """Stands in for the `time` module inside moto's executor: sleeps are scaled."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(max(0.0, seconds * _time_scale))


def set_time_scale(scale: float) -> None:
    """0 makes Wait states and Retry intervals instant; 1 is real time."""
    global _time_scale
    _time_scale = scale


def scale_time() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    retrier_decl.time = _ScaledTime()  # type: ignore[assignment]
    # .sync integrations poll the child execution every 0.5 s; keep a small floor so
    # the poll loop does not spin.
    state_task_service_callback._DELAY_SECONDS_SYNC_CONDITION_CHECK = 0.05  # type: ignore[misc]

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            env.program_state_event.wait(wait_seconds * _time_scale)

    wait_function.WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]


# --------------------------------------------------------------------------- 5. copy


def conditional_copy() -> None:
    from moto.s3.exceptions import PreconditionFailed
    from moto.s3.responses import S3Response

    original = S3Response.copy_object
    if getattr(original, "_revops_patched", False):
        return

    def copy_object(self: Any) -> Any:
        if self.headers.get("If-None-Match") == "*":
            key_name = self.parse_key_name()
            if self.backend.get_object(self.bucket_name, key_name) is not None:
                raise PreconditionFailed("If-None-Match")
        return original(self)

    copy_object._revops_patched = True  # type: ignore[attr-defined]
    S3Response.copy_object = copy_object  # type: ignore[method-assign]


# --------------------------------------------------------------------- 6. dynamodb

_DYNAMODB_LOCK = threading.RLock()


def atomic_dynamodb() -> None:
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "_revops_patched", False):
        return

    def call_action(self: Any) -> Any:
        with _DYNAMODB_LOCK:
            return original(self)

    call_action._revops_patched = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


# ------------------------------------------------------------------ 7. secret size

SECRET_MAX_BYTES = 65_536


def secret_size_limit() -> None:
    import base64

    from moto.secretsmanager.exceptions import ValidationException
    from moto.secretsmanager.responses import SecretsManagerResponse

    def limited(original: Callable[[Any], str]) -> Callable[[Any], str]:
        @functools.wraps(original)
        def call(self: Any) -> str:
            text = self._get_param("SecretString")
            if text is not None and len(str(text).encode("utf-8")) > SECRET_MAX_BYTES:
                raise ValidationException(
                    "1 validation error detected: Value at 'secretString' failed to satisfy "
                    f"constraint: Member must have length less than or equal to {SECRET_MAX_BYTES}"
                )
            binary = self._get_param("SecretBinary")
            if binary is not None and len(base64.b64decode(binary)) > SECRET_MAX_BYTES:
                raise ValidationException(
                    "1 validation error detected: Value at 'secretBinary' failed to satisfy "
                    f"constraint: Member must have length less than or equal to {SECRET_MAX_BYTES}"
                )
            return original(self)

        call._revops_patched = True  # type: ignore[attr-defined]
        return call

    for name in ("create_secret", "put_secret_value", "update_secret"):
        original = getattr(SecretsManagerResponse, name)
        if not getattr(original, "_revops_patched", False):
            setattr(SecretsManagerResponse, name, limited(original))


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
                timeout = int(queue.visibility_timeout * _time_scale)
                backend.change_message_visibility(self.queue_name, message.receipt_handle, timeout)
            else:
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


# ------------------------------------------------------------ 9. transactions


def item_level_transactions() -> None:
    import copy

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_revops_patched", False):
        return

    class _NoTableCopies:
        """`copy` for moto's DynamoDB module: tables are not copied (items still are)."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    dynamodb_models.copy = _NoTableCopies  # type: ignore[assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots: list[tuple[str, dict[str, Any], Any]] = []
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                if "Key" in op:
                    key = op["Key"]
                else:
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                current = self.get_item(op["TableName"], key)
            except Exception:
                continue  # moto reports a malformed entry itself
            snapshots.append((op["TableName"], key, copy.deepcopy(current)))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, item in reversed(snapshots):
                if item is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, item.to_json()["Attributes"])
            raise

    transact_write_items._revops_patched = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def apply(time_scale: float | None = None) -> None:
    """Install every patch once. `time_scale` defaults to $REVOPS_TIME_SCALE or 0."""
    global _applied
    if time_scale is None:
        time_scale = float(os.environ.get("REVOPS_TIME_SCALE", "0"))
    set_time_scale(time_scale)
    if _applied:
        return
    dispatch_lambda()
    name_unnamed_executions()
    normalise_sfn_parameters()
    scale_time()
    conditional_copy()
    atomic_dynamodb()
    secret_size_limit()
    sqs_event_sources()
    item_level_transactions()
    _applied = True
