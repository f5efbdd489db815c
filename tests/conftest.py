"""Shared fixtures: the offline stack built from template.yaml."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack

EVENTS = Path(__file__).resolve().parent.parent / "events"


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    """A fresh stack per test: moto, every template resource, the stand-ins."""
    with LocalStack() as local:
        yield local


def load_event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())
