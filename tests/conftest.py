"""Shared fixtures: the offline stack built from template.yaml.

Rules for test authors (also in the README's offline-stack section):

- `stack` is a fresh, empty stack per test. Tests run in parallel processes
  (pytest-xdist): write files under `tmp_path`, use no fixed port, file or
  process-wide state that another test could see.
- IAM is enforced: every call a handler or state machine makes runs under its
  own role from template.yaml. A test fails if any call was refused or is not
  yet mapped in `local/iam/requests.py`; a test that removes permissions on
  purpose calls `stack.iam.expect_denials()`.
- Calls the test makes itself (seeding) use the harness's credentials and are
  not checked: reach handlers through `stack.invoke` or a state machine.
- `stack.client(service)` is shared by every stack of the process: unregister
  any event hook you register on it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack

EVENTS = Path(__file__).resolve().parent.parent / "events"

# The shared Powertools objects are built when `revops.observability` is first
# imported, which in a test run may be a test module rather than a handler under
# its function's environment. Give them the settings template.yaml's Globals give.
for _key, _value in {
    "POWERTOOLS_SERVICE_NAME": "revops",
    "POWERTOOLS_METRICS_NAMESPACE": "Revops",
    "POWERTOOLS_TRACE_DISABLED": "true",
    # Everything our code logs is captured and scanned for secrets (tests/secrets_scan.py).
    "POWERTOOLS_LOG_LEVEL": "DEBUG",
    "REVOPS_LOCAL_LOG_LEVEL": "DEBUG",
}.items():
    os.environ.setdefault(_key, _value)


@pytest.fixture
def stack(capfd: pytest.CaptureFixture[str]) -> Iterator[LocalStack]:
    """A fresh stack per test: moto, every template resource, the stand-ins.

    After the test, its logs and every execution's history are scanned for secrets.
    """
    from tests.secrets_scan import leaks

    with LocalStack() as local:
        yield local
        out, err = capfd.readouterr()
        problems = leaks(local, out + err)
        assert not problems, "secrets leaked:\n" + "\n".join(problems)


def load_event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())
