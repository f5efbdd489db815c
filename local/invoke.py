"""`sam local invoke`, without Docker: one function or one workflow on the offline stack.

    python -m local.invoke function MigrationStatusFunction events/migration_status_overview.json
    python -m local.invoke workflow file-backup events/sfn_file_backup_dry_run.json

(`make invoke FUNCTION=... EVENT=...` and `make start WORKFLOW=... INPUT=...`.)

The stack is built from template.yaml and loaded with the demo dataset (the fake
org, the external bucket's files, the voice-agent stand-ins), so the answer is
the one a seeded account would give. A function runs as `sam local invoke -e`
runs it: its environment variables from the template (Globals and its own),
the layer on the path, and its own role: every AWS call it makes is checked
against the role template.yaml gives it. The answer is printed; a state
machine's execution is printed as a short history, then its output.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, TextIO

from local.stack import LocalStack
from local.template import REPO_ROOT, load_template, resources_of_type


def _read_event(path: str) -> Any:
    file = Path(path)
    if not file.is_absolute() and not file.exists():
        file = REPO_ROOT / path
    return json.loads(file.read_text())


def state_machine_id(name: str) -> str:
    """A logical id from `FileBackupStateMachine`, `FileBackup`, `file-backup` or `file_backup`."""
    machines = resources_of_type(load_template(), "AWS::Serverless::StateMachine")
    wanted = name.replace("-", "").replace("_", "").lower()
    for logical, resource in machines.items():
        short = logical.removesuffix("StateMachine").lower()
        definition = Path(resource["Properties"]["DefinitionUri"]).name.split(".")[0]
        if wanted in (logical.lower(), short, definition.replace("_", "")):
            return logical
    known = ", ".join(sorted(m.removesuffix("StateMachine") for m in machines))
    raise SystemExit(f"no state machine called {name!r}: one of {known}")


def function_id(name: str) -> str:
    functions = resources_of_type(load_template(), "AWS::Serverless::Function")
    if name in functions:
        return name
    for logical in functions:
        if logical.lower() in (name.lower(), f"{name.lower()}function"):
            return logical
    raise SystemExit(f"no function called {name!r}: one of {', '.join(sorted(functions))}")


def _seed(stack: LocalStack) -> None:
    from local.demo import DemoContext, load_demo_data

    load_demo_data(DemoContext(stack=stack, out=Path(tempfile.mkdtemp(prefix="revops-invoke-"))))


_SHOWN = (
    "ExecutionStarted",
    "TaskStateEntered",
    "MapStateEntered",
    "ParallelStateEntered",
    "ChoiceStateEntered",
    "PassStateEntered",
    "WaitStateEntered",
    "FailStateEntered",
    "SucceedStateEntered",
    "MapRunStarted",
    "MapRunSucceeded",
    "MapRunFailed",
    "TaskFailed",
    "LambdaFunctionFailed",
    "ExecutionSucceeded",
    "ExecutionFailed",
)


def short_history(events: list[dict[str, Any]]) -> list[str]:
    """One line per state entered, failure and outcome, with seconds since the start."""
    if not events:
        return []
    start = events[0]["timestamp"]
    lines = []
    for event in events:
        kind = event["type"]
        if kind not in _SHOWN:
            continue
        seconds = (event["timestamp"] - start).total_seconds()
        details: dict[str, Any] = (
            next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
        )
        what = details.get("name") or details.get("error") or ""
        if details.get("error") and details.get("name"):
            what = f"{details['name']}: {details['error']}"
        lines.append(f"{seconds:8.3f}s  {kind:<22} {what}".rstrip())
    return lines


def invoke_function(stack: LocalStack, logical: str, event: Any, out: TextIO) -> int:
    answer, error = stack.invoke(logical, event)
    print(json.dumps(answer, indent=2, ensure_ascii=False, default=str), file=out)
    if error:
        print(
            f"{logical} failed ({error}): {answer.get('errorType') if isinstance(answer, dict) else ''}",
            file=sys.stderr,
        )
        return 1
    return 0


def start_workflow(stack: LocalStack, logical: str, payload: Any, out: TextIO) -> int:
    arn = stack.start(logical, payload)
    result = stack.wait(arn, timeout=900)
    print(f"{logical}: {arn.rsplit(':', 1)[-1]}", file=out)
    for line in short_history(stack.history(arn)):
        print(line, file=out)
    print(f"status: {result.status}", file=out)
    if result.succeeded:
        print(json.dumps(result.output, indent=2, ensure_ascii=False, default=str), file=out)
        return 0
    print(f"error: {result.error}\ncause: {result.cause}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.invoke", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("kind", choices=["function", "workflow"])
    parser.add_argument(
        "name", help="a function's logical id, or a state machine (FileBackup, file-backup, ...)"
    )
    parser.add_argument("event", help="the event or input file, e.g. events/<file>.json")
    parser.add_argument("--empty", action="store_true", help="do not load the demo dataset")
    args = parser.parse_args(argv)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    event = _read_event(args.event)
    logical = function_id(args.name) if args.kind == "function" else state_machine_id(args.name)
    out = sys.stdout
    # As `sam local invoke` does: the functions' logs on stderr, the answer on stdout.
    with contextlib.redirect_stdout(sys.stderr), LocalStack() as stack:
        if not args.empty:
            _seed(stack)
        if args.kind == "function":
            return invoke_function(stack, logical, event, out)
        return start_workflow(stack, logical, event, out)


if __name__ == "__main__":
    sys.exit(main())
