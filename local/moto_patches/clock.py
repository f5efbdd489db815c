"""How fast emulated time runs: Wait states, Retry intervals, SQS visibility timeouts."""

from __future__ import annotations

_scale = 0.0


def set_scale(scale: float) -> None:
    """0 makes the waits instant; 1 is real time."""
    global _scale
    _scale = scale


def scale() -> float:
    return _scale
