"""`make invoke` and `make start`: `sam local invoke` for a machine without Docker."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from local import demo_data
from local.invoke import short_history, state_machine_id
from local.template import REPO_ROOT


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _json_after(text: str, marker: str) -> Any:
    return json.loads(text[text.index(marker) :])


def test_make_invoke_answers_as_the_function_would_for_the_seeded_account() -> None:
    done = _make("invoke", "FUNCTION=AnalyzeScopeFunction", "EVENT=events/analyze_scope_all.json")

    assert done.returncode == 0, done.stderr[-3000:]
    answer = _json_after(done.stdout, "{")
    accounts = demo_data.generate_org().accounts
    documents = demo_data.generate_documents(accounts=accounts, bucket="any")
    assert answer["totals"]["files"] == len(documents)
    assert answer["reportKey"].endswith("/scope.json")


def test_make_start_prints_the_execution_in_short_then_its_output() -> None:
    done = _make("start", "WORKFLOW=stack-check", "INPUT=events/sfn_stack_check.json")

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("StackCheckStateMachine: ")
    history = lines[1 : lines.index("status: SUCCEEDED")]
    kinds = [line.split()[1] for line in history]
    assert kinds[0] == "ExecutionStarted" and "MapRunStarted" in kinds
    output = _json_after(done.stdout, "{\n")
    assert output["records"] > 0 and output["failedChunks"] == 0


def test_an_unknown_function_fails_the_command_naming_the_ones_there_are() -> None:
    done = _make("invoke", "FUNCTION=NoSuchFunction", "EVENT=events/analyze_scope_all.json")

    assert done.returncode != 0
    assert "no function called 'NoSuchFunction'" in done.stderr


def test_workflow_names_are_accepted_as_the_console_and_the_files_spell_them() -> None:
    for name in ("FileBackupStateMachine", "FileBackup", "file-backup", "file_backup"):
        assert state_machine_id(name) == "FileBackupStateMachine"


def test_the_short_history_names_states_and_errors() -> None:
    import datetime

    t0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    events = [
        {"type": "ExecutionStarted", "timestamp": t0, "executionStartedEventDetails": {}},
        {
            "type": "TaskStateEntered",
            "timestamp": t0 + datetime.timedelta(seconds=1.5),
            "stateEnteredEventDetails": {"name": "Plan"},
        },
        {
            "type": "LambdaFunctionScheduled",
            "timestamp": t0,
            "lambdaFunctionScheduledEventDetails": {},
        },
        {
            "type": "ExecutionFailed",
            "timestamp": t0 + datetime.timedelta(seconds=2),
            "executionFailedEventDetails": {"error": "NotReadyError"},
        },
    ]
    assert short_history(events) == [
        "   0.000s  ExecutionStarted",
        "   1.500s  TaskStateEntered       Plan",
        "   2.000s  ExecutionFailed        NotReadyError",
    ]
