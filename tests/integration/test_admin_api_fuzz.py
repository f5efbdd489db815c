"""Schemathesis fuzzes the admin API from the checked-in OpenAPI document: no 5xx, ever, and
every answer is one the document declares (status code, content type, body schema).

Every generated request (valid and deliberately invalid ones) goes through API Gateway's
contract (`LocalHttpApi`): the real authorizer with the local admin token, then the real
admin function on the local stack. Most generated client ids and date ranges are steered to
registered clients and real dates, so the fuzzer reaches the code behind the 404 and the
date checks as well (GoHighLevel calls, imports started, reports).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local import demo_data
from local.demo_agent_metrics import LocalHttpApi, admin_session, client_body, register_clients
from local.stack import LocalStack
from local.template import REPO_ROOT

DOCUMENT = json.loads((REPO_ROOT / "functions" / "admin_api" / "openapi.json").read_text())
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=20, deterministic=True
)

FUZZ_CLIENT = "client-fuzz"
COUNTER = itertools.count()
READ_RANGES = [
    ("2025-01-01", "2025-03-31"),
    ("2024-11-01", "2025-10-31"),
    ("2023-01-01", "2025-12-31"),  # the longest range allowed, 36 months
    ("2025-05-15", "2025-05-15"),
]
IMPORT_RANGES = [("2025-01-01", "2025-02-28"), ("2025-05-15", "2025-05-15")]


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[LocalHttpApi, requests.Session]]:
    with LocalStack() as stack:
        voice = demo_data.generate_voice()
        demo_data.load_voice(stack.elevenlabs, stack.ghl, voice)
        api = LocalHttpApi(stack).install()
        http = admin_session(api)
        register_clients(http, api.base_url, voice, stack.ghl)
        # A client with nothing to import: imports the fuzzer starts stay cheap.
        quiet = demo_data.ClientSpec(
            client_id=FUZZ_CLIENT,
            name="Fuzz",
            time_zone="Etc/UTC",
            agents=(demo_data.AgentSpec("agent_fuzz", "Fuzz"),),
            location_id="fuzzLocation00000001",
            cal_id="fuzzCalendar00000001",
            calendar_ids=("fuzzCalendar00000001",),
            attribution="assigned_user",
            agent_for={},
            unmapped_keys=(),
        )
        token = stack.ghl.issue_refresh_token(quiet.location_id)
        assert http.put(
            f"{api.base_url}/admin/clients/{FUZZ_CLIENT}", json=client_body(quiet, token)
        ).ok
        yield api, http
        _wait_for_imports(stack)
        api.uninstall()


def _wait_for_imports(stack: LocalStack) -> None:
    sfn = stack.client("stepfunctions")
    arn = stack.state_machine_arn("AgentMetricsImportStateMachine")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
        if not running:
            return
        time.sleep(0.1)


def _aim(case: Any) -> None:
    """Steer three cases in four past the 404 and the date checks, to the code behind them:
    a registered client (cheap `client-fuzz` for anything that starts an import), and
    every other time a valid date range."""
    n = next(COUNTER)
    if n % 4 == 0:
        return
    target = "client-maple" if n % 4 == 1 and case.method == "GET" else FUZZ_CLIENT
    for container in (case.query, case.body):
        if not isinstance(container, dict):
            continue
        if isinstance(container.get("clientId"), str):
            container["clientId"] = target
        dates = (container.get("startDate"), container.get("endDate"))
        if n % 4 == 3 and all(isinstance(d, str) for d in dates):
            ranges = READ_RANGES if case.method == "GET" else IMPORT_RANGES
            container["startDate"], container["endDate"] = ranges[(n // 4) % len(ranges)]
    path = case.path_parameters
    if case.method == "GET" and isinstance(path, dict) and isinstance(path.get("clientId"), str):
        path["clientId"] = target


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_gets_a_5xx_or_an_undocumented_answer(
    case: Any, gateway: tuple[LocalHttpApi, requests.Session]
) -> None:
    api, http = gateway
    _aim(case)
    response = case.call_and_validate(
        base_url=api.base_url,
        session=http,
        checks=[
            not_a_server_error,
            response_schema_conformance,
            status_code_conformance,
            content_type_conformance,
        ],
    )
    if response.status_code == 202:  # an import started: let it finish before the next case
        result = api.stack.wait(response.json()["data"]["executionArn"], timeout=120)
        assert result.succeeded, (result.error, result.cause)
