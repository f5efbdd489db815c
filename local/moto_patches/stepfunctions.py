"""Patches 2, 3 and 4: Step Functions execution names, SDK parameter keys, scaled time."""

from __future__ import annotations

import functools
import json
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


# ------------------------------------------------------------------- 10. tolerated failures


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


# ------------------------------------------------------------- 12. validation

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
