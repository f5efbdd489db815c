"""Inputs and outputs of the file-migration workflows' tasks."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


def check_salesforce_id(value: str | None) -> str | None:
    if value is not None and not SALESFORCE_ID.match(value):
        raise ValueError("must be a 15- or 18-character Salesforce Id")
    return value


class ApiModel(BaseModel):
    """camelCase on the wire (workflow JSON), snake_case in Python."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class DocMapping(BaseModel):
    """Where `DocListEntry__c` keeps each thing we need. Every name is configuration."""

    sobject: str = "DocListEntry__c"
    url_field: str = "Document__c"
    account_field: str = "Account__c"
    account_name_path: str = "Account__r.Name"
    file_name_field: str | None = "File_Name__c"
    file_size_field: str | None = "File_Size__c"
    namespace: str = ""

    def _ns(self, name: str) -> str:
        if not self.namespace or name in ("Id", "Name") or "__" not in name:
            return name
        return f"{self.namespace}__{name}"

    def resolved(self) -> DocMapping:
        """The mapping with the namespace prefix applied to custom names."""
        if not self.namespace:
            return self
        rel, _, field = self.account_name_path.partition(".")
        return DocMapping(
            sobject=self._ns(self.sobject),
            url_field=self._ns(self.url_field),
            account_field=self._ns(self.account_field),
            account_name_path=f"{self._ns(rel)}.{field}",
            file_name_field=self._ns(self.file_name_field) if self.file_name_field else None,
            file_size_field=self._ns(self.file_size_field) if self.file_size_field else None,
        )

    def select_fields(self) -> list[str]:
        fields = [
            "Id",
            "Name",
            self.url_field,
            self.account_field,
            self.account_name_path,
            "LastModifiedDate",
            "CreatedDate",
            "SystemModstamp",
        ]
        fields += [f for f in (self.file_name_field, self.file_size_field) if f]
        return fields


class BackupInput(ApiModel):
    """The FileBackup workflow's input. Every field is optional."""

    mode: Literal["full", "incremental"] = "full"
    dry_run: bool = Field(False, alias="dryRun")
    account_id: str | None = Field(None, alias="accountId")
    max_files: int | None = Field(None, alias="maxFiles", ge=1)
    max_file_size_mb: float | None = Field(None, alias="maxFileSizeMb", gt=0)
    allowed_extensions: list[str] | None = Field(None, alias="allowedExtensions")
    max_concurrency: int | None = Field(None, alias="maxConcurrency", ge=1, le=1000)

    # Set by Step Functions when another workflow starts this one (FileCutover's catch-up).
    started_by: str | None = Field(None, alias="AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID")

    @field_validator("account_id")
    @classmethod
    def _salesforce_id(cls, value: str | None) -> str | None:
        return check_salesforce_id(value)

    @field_validator("allowed_extensions")
    @classmethod
    def _extensions(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = []
        for ext in value:
            ext = ext.strip().lower()
            if not ext or len(ext) > 16 or "/" in ext:
                raise ValueError(f"{ext!r} is not a file extension")
            cleaned.append(ext if ext.startswith(".") else f".{ext}")
        if not cleaned:
            raise ValueError("give at least one extension, or null for all")
        return cleaned


class BackupConfig(ApiModel):
    """A run's effective configuration: the input over the template's defaults."""

    run_id: str = Field(alias="runId")
    mode: Literal["full", "incremental"]
    dry_run: bool = Field(alias="dryRun")
    account_id: str | None = Field(alias="accountId")
    max_files: int | None = Field(alias="maxFiles")
    max_file_size_mb: float = Field(alias="maxFileSizeMb")
    allowed_extensions: list[str] | None = Field(alias="allowedExtensions")
    max_concurrency: int = Field(alias="maxConcurrency")
    tolerated_failure_percentage: float = Field(alias="toleratedFailurePercentage")
    chunk_size: int = Field(alias="chunkSize")
    bucket: str
    source_bucket: str = Field(alias="sourceBucket")
    dest_bucket: str = Field(alias="destBucket")


class StartBackupRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    execution_arn: str | None = Field(None, alias="executionArn")
    input: BackupInput = Field(default_factory=BackupInput)


class ChunkRow(ApiModel):
    """One file to copy, as the plan writes it into a chunk file."""

    id: str
    url: str | None
    account_id: str | None = Field(alias="accountId")
    account_name: str | None = Field(alias="accountName")
    file_name: str = Field(alias="fileName")
    dest_key: str = Field(alias="destKey")
    size: int | None = None
    last_modified: str | None = Field(None, alias="lastModified")
    system_modstamp: str | None = Field(None, alias="systemModstamp")
    reason: Literal["new", "changed", "retry", "refresh"]
    # What the tracking table held for the record when planned (its file item's
    # `counted`): "" for no item, "?" when unknown. The worker's write is
    # conditional on it, so a stale value costs a read, never a wrong count.
    counted: str = "?"


class ChunkRef(ApiModel):
    index: int
    key: str
    files: int


class PlanCounts(ApiModel):
    scanned: int = 0
    selected: int = 0
    new: int = 0
    changed: int = 0
    retry: int = 0
    unchanged: int = 0
    filtered: int = 0
    too_large: int = Field(0, alias="tooLarge")
    estimated_bytes: int = Field(0, alias="estimatedBytes")


class BackupPlan(ApiModel):
    run_id: str = Field(alias="runId")
    bucket: str
    manifest_key: str = Field(alias="manifestKey")
    plan_key: str = Field(alias="planKey")
    chunks: int
    counts: PlanCounts
    sample: list[ChunkRow]
    query_mode: Literal["rest", "bulk"] = Field(alias="queryMode")
    api_calls: int | None = Field(None, alias="apiCalls")


class CopyChunkRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    bucket: str
    dest_bucket: str = Field(alias="destBucket")
    max_file_size_mb: float = Field(alias="maxFileSizeMb")
    chunk: ChunkRef


class ChunkCounts(ApiModel):
    processed: int = 0
    successful: int = 0
    failed: int = 0
    new: int = 0
    updated: int = 0
    skipped: int = 0
    bytes: int = 0


class FinalizeRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    bucket: str
    error: dict[str, str] | None = None


class RunSummary(ApiModel):
    run_id: str = Field(alias="runId")
    run_type: str = Field(alias="runType")
    status: str
    start_time: str = Field(alias="startTime")
    end_time: str | None = Field(alias="endTime")
    dry_run: bool = Field(alias="dryRun")
    totals: ChunkCounts
    failed_chunks: int = Field(alias="failedChunks")
    errors_by_type: dict[str, int] = Field(alias="errorsByType")
    plan: PlanCounts | None = None
    summary_key: str = Field(alias="summaryKey")
    error_message: str | None = Field(None, alias="errorMessage")
    # files of failed chunks this run did not track (the next run selects them again)
    unaccounted_files: int = Field(0, alias="unaccountedFiles")
    unaccounted_by_reason: dict[str, int] = Field(default_factory=dict, alias="unaccountedByReason")
    # files of failed chunks that keep an earlier backup, not re-checked this time
    unverified_files: int = Field(0, alias="unverifiedFiles")
    unaccounted_key: str | None = Field(None, alias="unaccountedKey")


# ---------------------------------------------------------------------- phase 2


class CutoverInput(ApiModel):
    """FileCutover's input. `dryRun` defaults to true: only an explicit false writes.

    `maxUnresolvedRatio` (0 to 1; default: the template's `MaxUnresolvedRatio`) is
    the share of tracked files that may be without a backup when the cutover
    starts; those records keep their original URLs.
    """

    dry_run: bool = Field(True, alias="dryRun")
    account_id: str | None = Field(None, alias="accountId")
    batch_size: int | None = Field(None, alias="batchSize", ge=1, le=200)
    max_unresolved_ratio: float | None = Field(None, alias="maxUnresolvedRatio", ge=0, le=1)

    @field_validator("account_id")
    @classmethod
    def _salesforce_id(cls, value: str | None) -> str | None:
        return check_salesforce_id(value)


class RollbackInput(ApiModel):
    """FileRollback's input: restore original URLs, from tracking or a cutover's export."""

    dry_run: bool = Field(True, alias="dryRun")
    account_id: str | None = Field(None, alias="accountId")
    run_id: str | None = Field(None, alias="runId", min_length=1)
    record_ids: list[str] | None = Field(None, alias="recordIds", min_length=1, max_length=10_000)

    @field_validator("account_id")
    @classmethod
    def _salesforce_id(cls, value: str | None) -> str | None:
        return check_salesforce_id(value)

    @field_validator("record_ids")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        for record_id in value or []:
            if not SALESFORCE_ID.match(record_id):
                raise ValueError(f"{record_id!r} is not a Salesforce Id")
        return value


class PhaseTwoConfig(ApiModel):
    """A cutover or rollback run's effective configuration."""

    run_id: str = Field(alias="runId")
    direction: Literal["cutover", "rollback"]
    dry_run: bool = Field(alias="dryRun")
    account_id: str | None = Field(None, alias="accountId")
    batch_size: int = Field(alias="batchSize")
    bulk_threshold: int = Field(alias="bulkThreshold")
    bucket: str
    source_run_id: str | None = Field(None, alias="sourceRunId")
    record_ids: list[str] | None = Field(None, alias="recordIds")
    # cutover: the readiness threshold the run used (input or template default)
    max_unresolved_ratio: float | None = Field(None, alias="maxUnresolvedRatio")
    # a dry run's readiness refusals, which the live run would stop on at its start
    would_refuse: list[str] = Field(default_factory=list, alias="wouldRefuse")
    # the nested catch-up FileBackup (set by the workflow after it ran)
    catch_up_run_id: str | None = Field(None, alias="catchUpRunId")
    catch_up_status: str | None = Field(None, alias="catchUpStatus")


class StartPhaseTwoRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    execution_arn: str | None = Field(None, alias="executionArn")
    direction: Literal["cutover", "rollback"]
    input: dict[str, Any] = Field(default_factory=dict)


class UrlChange(ApiModel):
    """One planned write: the record, the URL it must still hold, the URL it gets."""

    id: str
    expected: str | None
    to: str
    key: str | None = None


class BatchRef(ApiModel):
    index: int
    key: str
    records: int
    # Set when the plan read every record of the object (or of one account) in Id
    # order: the batch's records are then read back by their Id range, 2,000 a call.
    first_id: str | None = Field(None, alias="firstId")
    last_id: str | None = Field(None, alias="lastId")
    account_id: str | None = Field(None, alias="accountId")


class PhaseTwoCounts(ApiModel):
    scanned: int = 0
    planned: int = 0
    already_done: int = Field(0, alias="alreadyDone")
    repaired: int = 0
    conflicts: int = 0
    not_backed_up: int = Field(0, alias="notBackedUp")
    backup_failed: int = Field(0, alias="backupFailed")
    excluded: int = 0  # left out by the backup policy: keep their original URLs
    # dry run: not tracked yet, but the live run's catch-up backup would copy them first
    backed_up_first: int = Field(0, alias="backedUpFirst")
    deleted_in_salesforce: int = Field(0, alias="deletedInSalesforce")


class PhaseTwoPlan(ApiModel):
    run_id: str = Field(alias="runId")
    direction: Literal["cutover", "rollback"]
    dry_run: bool = Field(alias="dryRun")
    bucket: str
    mode: Literal["collections", "bulk"]
    batches: list[BatchRef]
    counts: PhaseTwoCounts
    changes_key: str = Field(alias="changesKey")
    rollback_key: str | None = Field(None, alias="rollbackKey")
    conflicts_key: str | None = Field(None, alias="conflictsKey")
    # why the live run refuses (a dry run reports it and goes on; a live run stops)
    refusal: list[str] = Field(default_factory=list)


class UpdateBatchRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    direction: Literal["cutover", "rollback"]
    bucket: str
    mode: Literal["collections", "bulk"]
    batch: BatchRef


class UpdateCounts(ApiModel):
    attempted: int = 0
    updated: int = 0
    failed: int = 0
    lock_retries: int = Field(0, alias="lockRetries")
    missing_objects: int = Field(0, alias="missingObjects")
    # changed in Salesforce since the plan (re-read right before the write): not written
    conflicts: int = 0
    # already holding the new URL when re-read (a rerun): only the tracking is repaired
    already_done: int = Field(0, alias="alreadyDone")
    # the longest time from a batch's re-read to its write's answer: how long a user's
    # edit could still be overwritten (Salesforce offers no conditional batch write)
    recheck_window_ms: int = Field(0, alias="recheckWindowMs")


class FinishPhaseTwoRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    bucket: str
    error: dict[str, str] | None = None
