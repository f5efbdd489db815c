"""Patches 2, 3 and 4: Step Functions execution names, SDK parameter keys, scaled time."""

from __future__ import annotations

import functools
import time
import uuid
from typing import Any

from local.moto_patches import clock

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
        time.sleep(max(0.0, seconds * clock.scale()))


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
            env.program_state_event.wait(wait_seconds * clock.scale())

    wait_function.WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]
