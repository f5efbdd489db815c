"""The seed's envelopes: `{success, message, data}` and `{success: false, error, details?, requestId}`."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Envelope[T](BaseModel):
    """The seed's success envelope."""

    success: Literal[True] = True
    message: str
    data: T


class ErrorEnvelope(BaseModel):
    """The seed's error envelope."""

    success: Literal[False] = False
    error: str
    details: Any | None = None
    request_id: str = Field(alias="requestId")
