"""Every change we make to moto, in one place.

moto (pinned in pyproject.toml) runs our real ASL files with its Step Functions
executor. Seven things stop it from behaving like AWS for this project, and one
makes it slow; each is patched here, and each patch has a test in `tests/unit/local/test_moto_patches.py`
that fails if a moto upgrade changes the behaviour underneath it:

1. `dispatch_lambda`: with `use_docker` off, moto's `LambdaSimpleBackend.invoke`
   echoes its input. We route the invocation to the real handler in
   `functions/<dir>/app.py`, with the function's environment variables, a
   Lambda-like context, and AWS's error contract (`x-amz-function-error:
   Unhandled` plus `{errorMessage, errorType, stackTrace}`), so Task states,
   `Retry`/`Catch` on error names and direct `lambda.invoke` calls all behave as
   in AWS. All functions share one process, so what one function read with its
   role and cached (a Salesforce session, a secret) would serve the next: each
   function's first invocation on a stack starts cold (`start_cold`), so it
   reads its own secrets with its own role, as its own container would.
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

7. IAM (`local/iam/enforce.py`): every request a role makes (a handler, a
   state machine) is signed with that role's credentials, recorded and
   evaluated against its policies from template.yaml; a refused one fails with
   AccessDenied, as in AWS.

8. `validate_definitions_once`: moto parses a definition to validate it on
   every CreateStateMachine; every stack creates the same six, so a definition
   that parsed once is not parsed again for validation (executions still parse
   their own copy).

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


# ------------------------------------------------------------- 8. validation

_VALID_DEFINITIONS: set[str] = set()


def validate_definitions_once() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend._validate_definition
    if getattr(original, "_revops_patched", False):
        return

    def _validate_definition(definition: str) -> None:
        if definition not in _VALID_DEFINITIONS:
            original(definition)  # raises InvalidDefinition when it does not parse
            _VALID_DEFINITIONS.add(definition)

    _validate_definition._revops_patched = True  # type: ignore[attr-defined]
    StepFunctionsParserBackend._validate_definition = staticmethod(_validate_definition)  # type: ignore[method-assign]


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
    validate_definitions_once()
    from local.iam import enforce

    enforce.apply()
    _applied = True
