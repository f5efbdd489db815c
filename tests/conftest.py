"""Shared fixtures: the offline stack built from template.yaml."""

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
}.items():
    os.environ.setdefault(_key, _value)


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    """A fresh stack per test: moto, every template resource, the stand-ins."""
    with LocalStack() as local:
        yield local


def load_event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())
