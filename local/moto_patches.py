"""Every change we make to moto, in one place.

moto (pinned in pyproject.toml) runs our real ASL files with its Step Functions
executor. Eight things stop it from behaving like AWS for this project; each is
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
5. `s3_conditions`: S3 honours conditional requests that moto ignores. On
   CopyObject: `If-None-Match: *` and `If-Match` on the destination (412 when the
   key exists, or holds another version), and every `x-amz-copy-source-if-*`
   header (moto checks only `if-none-match`); on UploadPartCopy every
   `x-amz-copy-source-if-*` header; on CompleteMultipartUpload `If-Match`. The
   backup relies on them: a rerun or a retried write never stores an object
   twice, and a source that changes mid-copy never leaves a torn copy.
6. `atomic_dynamodb`: DynamoDB applies each request to an item atomically;
   moto's `UpdateItem` first stores a key-only item and then applies the
   expression to it in place, so a query from another thread (a workflow
   running beside an API call) can read an item with no attributes. Requests
   are served one at a time, as one item's requests are in AWS. BatchWriteItem
   also refuses more than 25 requests, as DynamoDB does (moto takes any number).
7. `tolerated_failures`: a Distributed Map fails
   (`States.ExceedToleratedFailureThreshold`) when its failed items exceed
   `ToleratedFailureCount(Path)` or `ToleratedFailurePercentage(Path)`, or when
   any item fails and neither is set. moto ignores both, so a Map succeeds
   whatever its items do; its grammar also refuses an integer percentage.
8. `dynamodb_at_scale`: the same answers as moto's, at the cost DynamoDB's
   own would have. moto serves every `Query` by sorting the whole table and
   filtering it, and copies the whole table for every item of a
   `TransactWriteItems` (to roll back); a table of 100,000 items makes each
   of those seconds long. Queries here start from the items under the asked
   key (a lookup for the table's key, an index rebuilt only after a write for
   a GSI) and a transaction keeps copies of the items it touches only. Read
   answers (`GetItem`, `BatchGetItem`, `Query`, `Scan`) are written as JSON
   directly, as moto itself did before its generic serializer (which spends
   about 1.5 ms per item read).

`apply()` installs all of them and is idempotent.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import email.utils
import functools
import importlib.util
import inspect
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


# --------------------------------------------------------------------------- 5. S3 conditions


def _etag_matches(condition: str, etag: str) -> bool:
    """An `If-Match`-style header against an ETag: `*`, or any listed ETag, quotes optional."""
    wanted = {part.strip().strip('"') for part in condition.split(",")}
    return "*" in wanted or etag.strip('"') in wanted


def _http_date(value: str) -> datetime.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def _copy_source_key(response: Any) -> Any:
    from urllib.parse import parse_qs, unquote, urlparse

    copy_source = response.headers.get("x-amz-copy-source")
    if isinstance(copy_source, bytes):
        copy_source = copy_source.decode("utf-8")
    if not copy_source:
        return None
    parsed = urlparse(copy_source)
    bucket, _, key = unquote(parsed.path).lstrip("/").partition("/")
    version = parse_qs(parsed.query).get("versionId", [None])[0]
    try:
        return response.backend.get_object(bucket, key, version_id=version)
    except Exception:  # a missing bucket: moto's own handler answers it
        return None


def _check_copy_source(response: Any) -> None:
    """The `x-amz-copy-source-if-*` headers, with the precedence S3 documents.

    `if-match` true with `if-unmodified-since` false copies; `if-none-match` false
    with `if-modified-since` true refuses (412 PreconditionFailed).
    """
    from moto.s3.exceptions import PreconditionFailed

    headers = response.headers
    source = _copy_source_key(response)
    if source is None:
        return
    etag = str(source.etag)
    modified = source.last_modified
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=datetime.UTC)
    modified = modified.replace(microsecond=0)
    if_match = headers.get("x-amz-copy-source-if-match")
    if_none_match = headers.get("x-amz-copy-source-if-none-match")
    unmodified_since = _http_date(headers.get("x-amz-copy-source-if-unmodified-since") or "")
    modified_since = _http_date(headers.get("x-amz-copy-source-if-modified-since") or "")
    if if_match is not None:
        if not _etag_matches(if_match, etag):
            raise PreconditionFailed("x-amz-copy-source-If-Match")
    elif unmodified_since is not None and modified > unmodified_since:
        raise PreconditionFailed("x-amz-copy-source-If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag):
            raise PreconditionFailed("x-amz-copy-source-If-None-Match")
    elif modified_since is not None and modified <= modified_since:
        raise PreconditionFailed("x-amz-copy-source-If-Modified-Since")


def _check_destination(response: Any) -> None:
    """`If-None-Match: *` and `If-Match: <etag>` on the object being written.

    S3 answers 412 PreconditionFailed when the condition fails, and 404 NoSuchKey
    for `If-Match` on a key that does not exist.
    """
    from moto.s3.exceptions import MissingKey, PreconditionFailed

    if_none_match = response.headers.get("If-None-Match")
    if_match = response.headers.get("If-Match")
    if not if_none_match and not if_match:
        return
    existing = response.backend.get_object(response.bucket_name, response.parse_key_name())
    if if_none_match == "*" and existing is not None:
        raise PreconditionFailed("If-None-Match")
    if if_match:
        if existing is None:
            raise MissingKey(key=response.parse_key_name())
        if not _etag_matches(if_match, str(existing.etag)):
            raise PreconditionFailed("If-Match")


def s3_conditions() -> None:
    """What S3 checks before a copy or a completed upload, and moto does not:

    - CopyObject: `If-None-Match: *` and `If-Match` on the destination; every
      `x-amz-copy-source-if-*` header (moto checks only `if-none-match`).
    - UploadPartCopy: every `x-amz-copy-source-if-*` header (moto checks none).
    - CompleteMultipartUpload: `If-Match` on the destination (moto checks only
      `If-None-Match`), except for a retry of the upload that already completed,
      which S3 and moto answer with the object.
    """
    from moto.s3.responses import S3Response

    original_copy = S3Response.copy_object
    if getattr(original_copy, "_revops_patched", False):
        return
    original_part_copy = S3Response.upload_part_copy
    original_post = S3Response._key_response_post

    def copy_object(self: Any) -> Any:
        _check_destination(self)
        _check_copy_source(self)
        return original_copy(self)

    def upload_part_copy(self: Any) -> Any:
        _check_copy_source(self)
        return original_part_copy(self)

    def _key_response_post(
        self: Any, request: Any, body: bytes, bucket_name: str, query: Any, key_name: str
    ) -> Any:
        upload_id = (query.get("uploadId") or [None])[0]
        if upload_id and self.headers.get("If-Match"):
            existing = self.backend.get_object(bucket_name, key_name)
            retried = (
                existing is not None
                and existing.multipart is not None
                and existing.multipart.id == upload_id
            )
            if not retried:
                _check_destination(self)
        return original_post(self, request, body, bucket_name, query, key_name)

    copy_object._revops_patched = True  # type: ignore[attr-defined]
    S3Response.copy_object = copy_object  # type: ignore[method-assign]
    S3Response.upload_part_copy = upload_part_copy  # type: ignore[method-assign]
    S3Response._key_response_post = _key_response_post  # type: ignore[method-assign]


# --------------------------------------------------------------------- 6. dynamodb

_DYNAMODB_LOCK = threading.RLock()


def atomic_dynamodb() -> None:
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "_revops_patched", False):
        return
    original_batch_write = DynamoHandler.batch_write_item

    def call_action(self: Any) -> Any:
        with _DYNAMODB_LOCK:
            return original(self)

    def batch_write_item(self: Any) -> Any:
        # DynamoDB takes at most 25 put or delete requests per BatchWriteItem.
        requests = sum(len(r) for r in self.body.get("RequestItems", {}).values())
        if requests > 25:
            raise MockValidationException("Too many items requested for the BatchWriteItem call")
        return original_batch_write(self)

    call_action._revops_patched = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    DynamoHandler.batch_write_item = batch_write_item  # type: ignore[method-assign]


# ------------------------------------------------------------------- 7. tolerated failures


def _decimal_percentages(definition: str) -> str:
    """The definition with every integer `ToleratedFailurePercentage` written as 50.0."""
    try:
        document = json.loads(definition)
    except ValueError:
        return definition
    changed = False

    def walk(node: Any) -> None:
        nonlocal changed
        if isinstance(node, dict):
            value = node.get("ToleratedFailurePercentage")
            if isinstance(value, int) and not isinstance(value, bool):
                node["ToleratedFailurePercentage"] = float(value)
                changed = True
            for inner in node.values():
                walk(inner)
        elif isinstance(node, list):
            for inner in node:
                walk(inner)

    walk(document)
    return json.dumps(document) if changed else definition


def tolerated_failures() -> None:
    """A Distributed Map fails when its failed items exceed what it tolerates.

    AWS: a Map Run fails with `States.ExceedToleratedFailureThreshold` once its
    failed (or timed-out) items exceed `ToleratedFailureCount` or their share of
    all items exceeds `ToleratedFailurePercentage` (or the `...Path` forms); with
    neither set, one failed item fails it. moto counts the failures and ignores
    both thresholds, so the Map succeeds whatever fails. Here the thresholds are
    checked once every item has run (AWS stops starting items as soon as one is
    crossed; the Map's outcome is the same, items after the crossing may not run).
    """
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map import state_map
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as distributed,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
        ToleratedFailureCountDecl,
        ToleratedFailureCountInt,
        ToleratedFailurePercentage,
        ToleratedFailurePercentageDecl,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    original_props = state_map.StateMap.from_state_props
    if getattr(original_props, "_revops_patched", False):
        return
    original_run = distributed.DistributedIterationComponent._map_run
    original_parse = AmazonStateLanguageParser.parse

    def parse(definition: str) -> Any:
        # ASL allows any number from 0 to 100; moto's grammar takes only a decimal.
        return original_parse(_decimal_percentages(definition))

    def from_state_props(self: Any, state_props: Any) -> None:
        original_props(self, state_props)
        # moto puts 0 in place of a threshold that is not declared; AWS then applies
        # only the one that is (both 0 when neither is: any failure fails the run).
        count = state_props.get(ToleratedFailureCountDecl)
        percentage = state_props.get(ToleratedFailurePercentageDecl)
        if count is None and percentage is not None:
            self.tolerated_failure_count_decl = ToleratedFailureCountInt(2**62)
        if percentage is None and count is not None:
            self.tolerated_failure_percentage_decl = ToleratedFailurePercentage(100.0)

    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        original_run(self, env, eval_input)
        items = eval_input.map_run_record.item_counter
        failed = items.failed.get() + items.timed_out.get()
        total = items.total.get()
        count = eval_input.tolerated_failure_count
        percentage = eval_input.tolerated_failure_percentage
        if failed <= count and (not total or 100.0 * failed / total <= percentage):
            return
        env.stack.pop()  # the Map's results: it fails instead
        error = StatesErrorNameType.StatesExceedToleratedFailureThreshold.to_name()
        cause = (
            f"The specified tolerated failure threshold was exceeded: {failed} of {total} "
            f"items failed (tolerated: {count} items, {percentage}%)"
        )
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=StatesErrorName(
                    typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold
                ),
                event_type=HistoryEventType.ExecutionFailed,
                event_details=EventDetails(  # type: ignore[typeddict-item]
                    executionFailedEventDetails=ExecutionFailedEventDetails(
                        error=error, cause=cause
                    )
                ),
            )
        )

    from_state_props._revops_patched = True  # type: ignore[attr-defined]
    AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign]
    state_map.StateMap.from_state_props = from_state_props  # type: ignore[method-assign]
    distributed.DistributedIterationComponent._map_run = _map_run  # type: ignore[method-assign]


# ------------------------------------------------------------------- 8. dynamodb at scale

# Actions that change no item: every other DynamoDB action makes the GSI lookups
# be rebuilt before the next query.
_DYNAMODB_READS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "ListTagsOfResource",
        "DescribeEndpoints",
    }
)
_DIRECT_JSON = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
_dynamodb_writes = 0  # bumped by every other action, under _DYNAMODB_LOCK
_gsi_lookups: dict[tuple[int, str, tuple[str, ...]], tuple[int, dict[Any, list[Any]]]] = {}


class _TablesAsIs:
    """`copy` for moto's transaction code: a table "copy" is the table itself, as
    the touched items are copied and restored by `transact_write_items` below."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, self._table_type) else copy.deepcopy(value, memo)


def _candidates(table: Any, hash_key: Any, index_name: str | None, conditions: Any) -> Any:
    """The items a query can return, or None when the query has no plain key to start from."""
    if not index_name:
        if hash_key is None:
            return None
        found = table.items.get(hash_key)
        if found is None:
            return []
        return list(found.values()) if table.range_key_attr else [found]
    if not conditions:
        return None
    names = tuple(sorted(name for name, _ in conditions))
    wanted = tuple(value for _, value in sorted(conditions, key=lambda c: c[0]))
    key = (id(table), index_name, names)
    cached = _gsi_lookups.get(key)
    if cached is None or cached[0] != _dynamodb_writes:
        lookup: dict[Any, list[Any]] = {}
        for hash_set in table.items.values():
            for item in hash_set.values() if table.range_key_attr else [hash_set]:
                values = tuple(item.attrs.get(name) for name in names)
                if all(v is not None for v in values):
                    lookup.setdefault(values, []).append(item)
        cached = (_dynamodb_writes, lookup)
        _gsi_lookups[key] = cached
    return cached[1].get(wanted, [])


def dynamodb_at_scale() -> None:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    original_query = Table.query
    if getattr(original_query, "_revops_patched", False):
        return
    from moto.dynamodb.models.utilities import dynamo_json_dump

    original_call = DynamoHandler.call_action
    original_transact = dynamodb_models.DynamoDBBackend.transact_write_items
    original_serialized = DynamoHandler.serialized

    def call_action(self: Any) -> Any:
        global _dynamodb_writes
        with _DYNAMODB_LOCK:
            if self._get_action() not in _DYNAMODB_READS:
                _dynamodb_writes += 1
            return original_call(self)

    signature = inspect.signature(original_query)

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if self._get_action() not in _DIRECT_JSON or not isinstance(result, dict):
            return original_serialized(self, action_result)
        headers = dict(self.response_headers)
        headers["Content-Type"] = "application/x-amz-json-1.0"
        return 200, headers, dynamo_json_dump(result)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        found = _candidates(
            self, asked["hash_key"], asked.get("index_name"), asked.get("hash_key_conditions")
        )
        if found is None:
            return original_query(self, *args, **kwargs)
        self.all_items = lambda: found  # moto filters and sorts what it is given
        try:
            return original_query(self, *args, **kwargs)
        finally:
            del self.all_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            attrs = op.get("Key") or op.get("Item") or {}
            if table.hash_key_attr not in attrs:
                continue
            hash_value = DynamoType(attrs[table.hash_key_attr])
            range_value = (
                DynamoType(attrs[table.range_key_attr])
                if table.range_key_attr and table.range_key_attr in attrs
                else None
            )
            current = (
                table.get_item(hash_value, range_value)
                if (range_value is not None or not table.range_key_attr)
                else None
            )
            touched.append((table, hash_value, range_value, copy.deepcopy(current)))
        try:
            original_transact(self, transact_items)
        except Exception:
            for table, hash_value, range_value, before in reversed(touched):
                holder = table.items[hash_value] if table.range_key_attr else table.items
                slot = range_value if table.range_key_attr else hash_value
                if before is None:
                    holder.pop(slot, None)
                else:
                    holder[slot] = before
            raise

    dynamodb_models.copy = _TablesAsIs(Table)  # type: ignore[assignment]
    query._revops_patched = True  # type: ignore[attr-defined]
    call_action._revops_patched = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


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
    s3_conditions()
    atomic_dynamodb()
    tolerated_failures()
    dynamodb_at_scale()
    _applied = True
