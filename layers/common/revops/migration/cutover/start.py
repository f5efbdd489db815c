"""Starting a phase 2 run: validate the input, check readiness, record the run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from revops.errors import InvalidInputError, RevopsError
from revops.migration.models import (
    CutoverInput,
    PhaseTwoConfig,
    RollbackInput,
    StartPhaseTwoRequest,
)
from revops.store.migration import MigrationStore
from revops.validation import parse


class NotReadyError(RevopsError):
    """Phase 2 cannot start: no backup, too many unresolved errors, or uncovered records."""


class ReadinessLike(Protocol):
    ready: bool
    reasons: list[str]


@dataclass(frozen=True)
class PhaseTwoDefaults:
    batch_size: int
    bulk_threshold: int
    work_bucket: str
    max_unresolved_ratio: float = 0.01


def start_run(
    request: StartPhaseTwoRequest,
    defaults: PhaseTwoDefaults,
    store: MigrationStore,
    readiness: Callable[[float], ReadinessLike],
) -> PhaseTwoConfig:
    """Validate the input, check readiness (cutover), record the run as running.

    A live cutover that is not ready stops here with `NotReadyError`; a dry run
    records the same reasons (`wouldRefuse`) and goes on, so it reports everything
    the live run would refuse.
    """
    if request.direction == "cutover":
        cutover = parse(CutoverInput, request.input)
        ratio = (
            defaults.max_unresolved_ratio
            if cutover.max_unresolved_ratio is None
            else cutover.max_unresolved_ratio
        )
        check = readiness(ratio)
        if not check.ready and not cutover.dry_run:
            raise NotReadyError(refusal_message(check.reasons))
        config = PhaseTwoConfig(
            run_id=request.run_id,
            direction="cutover",
            dry_run=cutover.dry_run,
            account_id=cutover.account_id,
            batch_size=cutover.batch_size or defaults.batch_size,
            bulk_threshold=defaults.bulk_threshold,
            bucket=defaults.work_bucket,
            max_unresolved_ratio=ratio,
            would_refuse=[] if check.ready else list(check.reasons),
        )
    else:
        rollback = parse(RollbackInput, request.input)
        if rollback.run_id is not None and store.run(rollback.run_id) is None:
            raise InvalidInputError(f"runId {rollback.run_id!r} is not a known cutover run")
        config = PhaseTwoConfig(
            run_id=request.run_id,
            direction="rollback",
            dry_run=rollback.dry_run,
            account_id=rollback.account_id,
            batch_size=defaults.batch_size,
            bulk_threshold=defaults.bulk_threshold,
            bucket=defaults.work_bucket,
            source_run_id=rollback.run_id,
            record_ids=rollback.record_ids,
        )
    if store.run(request.run_id) is not None:
        raise InvalidInputError(f"run {request.run_id} already exists: start a new execution")
    run_type = config.direction + ("_dry_run" if config.dry_run else "")
    store.start_run(
        request.run_id, run_type, config.model_dump(by_alias=True), request.execution_arn
    )
    return config


def refusal_message(reasons: Iterable[str]) -> str:
    return "Not ready for cutover. " + " ".join(reasons)
