"""Inputs and outputs of the StackCheck workflow's tasks."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PlanRequest(BaseModel):
    run_id: str = Field(alias="runId", min_length=1)
    chunk_size: int = Field(default=200, alias="chunkSize", ge=1, le=5000)
    max_records: int | None = Field(default=None, alias="maxRecords", ge=1)


class ChunkRef(BaseModel):
    index: int
    key: str
    records: int


class Plan(BaseModel):
    run_id: str = Field(serialization_alias="runId")
    bucket: str
    manifest_key: str = Field(serialization_alias="manifestKey")
    chunks: int
    records: int
    api_usage: dict[str, int] | None = Field(None, serialization_alias="apiUsage")


class ProbeRequest(BaseModel):
    run_id: str = Field(alias="runId", min_length=1)
    bucket: str
    chunk: ChunkRef


class ChunkReport(BaseModel):
    run_id: str = Field(serialization_alias="runId")
    index: int
    records: int = 0
    s3_sources: int = Field(0, serialization_alias="s3Sources")
    http_sources: int = Field(0, serialization_alias="httpSources")
    reachable: int = 0
    missing: int = 0
    invalid_url: int = Field(0, serialization_alias="invalidUrl")
    no_account: int = Field(0, serialization_alias="noAccount")
    bytes: int = 0


class SummaryRequest(BaseModel):
    run_id: str = Field(alias="runId", min_length=1)
    bucket: str
    api_usage: dict[str, int] | None = Field(None, alias="apiUsage")
    velocity: dict[str, Any] | None = None  # the velocity settings check (CheckVelocity)


class Summary(BaseModel):
    run_id: str = Field(serialization_alias="runId")
    chunks: int
    failed_chunks: int = Field(serialization_alias="failedChunks")
    failures: list[dict[str, str]]
    records: int
    s3_sources: int = Field(serialization_alias="s3Sources")
    http_sources: int = Field(serialization_alias="httpSources")
    reachable: int
    missing: int
    invalid_url: int = Field(serialization_alias="invalidUrl")
    no_account: int = Field(serialization_alias="noAccount")
    bytes: int
    api_usage: dict[str, int] | None = Field(None, serialization_alias="apiUsage")
    summary_key: str = Field(serialization_alias="summaryKey")
    velocity: dict[str, Any] | None = None
    healthy: bool
