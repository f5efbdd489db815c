"""The AgentMetricsImport state machine, seen from the API: start an import, describe one."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from revops.errors import ConfigurationError, UpstreamError


@functools.cache
def sfn_client() -> Any:
    return boto3.client("stepfunctions")


@dataclass(frozen=True)
class Execution:
    arn: str
    status: str
    started_at: str | None
    stopped_at: str | None
    output: Any
    error: str | None
    cause: str | None


class ExecutionNotFoundError(UpstreamError):
    """No execution by that name."""


class ImportWorkflow:
    """`states:StartExecution` / `DescribeExecution` on one state machine; `sfn` is injectable."""

    def __init__(self, state_machine_arn: str, sfn: Any | None = None) -> None:
        if not state_machine_arn:
            raise ConfigurationError("AGENT_METRICS_IMPORT_ARN is not set")
        self.state_machine_arn = state_machine_arn
        self._sfn = sfn

    @property
    def sfn(self) -> Any:
        return self._sfn if self._sfn is not None else sfn_client()

    def execution_arn(self, name: str) -> str:
        prefix, _, machine = self.state_machine_arn.partition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def start(self, name: str, payload: dict[str, Any]) -> str:
        try:
            response = self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload)
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            raise UpstreamError(f"starting the import failed: {code}") from exc
        return str(response["executionArn"])

    def describe(self, name: str) -> Execution:
        try:
            described = self.sfn.describe_execution(executionArn=self.execution_arn(name))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("ExecutionDoesNotExist", "InvalidArn"):
                raise ExecutionNotFoundError(name) from exc
            raise UpstreamError(f"describing import {name} failed: {code}") from exc
        output = described.get("output")

        def stamp(value: Any) -> str | None:
            return value.isoformat() if hasattr(value, "isoformat") else None

        return Execution(
            arn=str(described["executionArn"]),
            status=str(described["status"]),
            started_at=stamp(described.get("startDate")),
            stopped_at=stamp(described.get("stopDate")),
            output=json.loads(output) if output else None,
            error=described.get("error"),
            cause=described.get("cause"),
        )
