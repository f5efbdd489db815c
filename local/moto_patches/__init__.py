"""Every change we make to moto, in one place.

moto (pinned in pyproject.toml) runs our real ASL files with its Step Functions
executor. Eleven things stop it from behaving like AWS for this project, and four
make it slow; each is patched here, and each patch has a test in `tests/unit/local/test_moto_patches.py`
that fails if a moto upgrade changes the behaviour underneath it:

1. `dispatch_lambda`: with `use_docker` off, moto's `LambdaSimpleBackend.invoke`
   echoes its input. We route the invocation to the real handler in
   `functions/<dir>/app.py`, with the function's environment variables, a
   Lambda-like context, and AWS's error contract (`x-amz-function-error:
   Unhandled` plus `{errorMessage, errorType, stackTrace}`), so Task states,
   `Retry`/`Catch` on error names and direct `lambda.invoke` calls all behave as
   in AWS. All functions share one process, so what one function read with its
   role and cached (a Salesforce session, a secret) would serve the next: each
   function's first invocation on a stack starts cold (`start_cold`), so it
   reads its own secrets with its own role, as its own container would.
2. `name_unnamed_executions`: moto names an execution started without a name
   "None", so the second unnamed start fails with ExecutionAlreadyExists. AWS
   generates a UUID.
3. `normalise_sfn_parameters`: `arn:aws:states:::states:startExecution` (and
   `.sync`) fail with KeyError 'StateMachineArn' because moto stubs out the
   parameter and response normalisation that maps ASL's PascalCase keys onto the
   boto3 shapes. We restore it from botocore's service model.
4. `scale_time`: Wait states, Retry intervals and `.sync` polling really sleep.
   We multiply every such delay by a factor (0 in tests) so the same ASL runs fast.
5. `s3_conditions`: S3 honours conditional requests that moto ignores. On
   CopyObject: `If-None-Match: *` and `If-Match` on the destination (412 when the
   key exists, or holds another version), and every `x-amz-copy-source-if-*`
   header (moto checks only `if-none-match`); on UploadPartCopy every
   `x-amz-copy-source-if-*` header; on CompleteMultipartUpload `If-Match`. The
   backup relies on them: a rerun or a retried write never stores an object
   twice, and a source that changes mid-copy never leaves a torn copy.
6. `atomic_dynamodb`: DynamoDB applies each request to an item atomically;
   moto's `UpdateItem` first stores a key-only item and then applies the
   expression to it in place, so a query from another thread (a workflow
   running beside an API call) can read an item with no attributes. Requests
   are served one at a time, as one item's requests are in AWS. BatchWriteItem
   also refuses more than 25 requests, as DynamoDB does (moto takes any number).
7. `secret_size_limit`: Secrets Manager refuses a `SecretString` (or
   `SecretBinary`) over 65,536 bytes with `ValidationException`; moto stores any
   size. CreateSecret, PutSecretValue and UpdateSecret enforce the limit.
8. `sqs_event_sources`: moto's SQS -> Lambda event source mapping invokes the
   function inside `SendMessage`, one message per invocation, ignores
   `ReportBatchItemFailures`, always reports `ApproximateReceiveCount` 1, and so
   never reaches the queue's redrive policy. We run each mapping as Lambda's
   poller does instead: background threads long-poll the queue, invoke the
   function with up to `BatchSize` records shaped as AWS sends them, delete the
   records that succeeded (all of them, or all but the `batchItemFailures`), and
   leave the rest to reappear after the visibility timeout (scaled like Wait
   states, `set_time_scale`), so SQS's own redrive moves a record that keeps
   failing to the dead-letter queue after `maxReceiveCount` receives. At most
   `LOCAL_MAX_POLLERS` pollers per mapping (AWS scales up to
   `ScalingConfig.MaximumConcurrency`). `stop_event_sources()` ends them.
9. `item_level_transactions`: moto's `TransactWriteItems` deep-copies every table
   it touches before it starts, to roll back on failure: a transaction costs time
   in proportion to the whole table (90 ms on a table of a few thousand items,
   growing with it). DynamoDB's cost does not depend on the table. We keep a copy
   of the items the transaction names instead and put exactly those back when it
   is cancelled: the same all-or-nothing outcome.

10. `tolerated_failures`: a Distributed Map fails
   (`States.ExceedToleratedFailureThreshold`) when its failed items exceed
   `ToleratedFailureCount(Path)` or `ToleratedFailurePercentage(Path)`, or when
   any item fails and neither is set. moto ignores both, so a Map succeeds
   whatever its items do; its grammar also refuses an integer percentage.
11. IAM (`local/iam/enforce.py`): every request a role makes (a handler, a
   state machine) is signed with that role's credentials, recorded and
   evaluated against its policies from template.yaml; a refused one fails with
   AccessDenied, as in AWS.
12. `validate_definitions_once`: moto parses a definition to validate it on
   every CreateStateMachine; every stack creates the same ones, so a definition
   that parsed once is not parsed again for validation (executions still parse
   their own copy).

13. `dynamodb_queries_at_scale`: the same answers as moto's, at the cost
   DynamoDB's own would have. moto serves every `Query` by sorting the whole
   table and filtering it; a table of 100,000 items makes each query seconds
   long. Queries here start from the items under the asked key (a lookup for
   the table's key, an index rebuilt only after a write for a GSI). Read
   answers (`GetItem`, `BatchGetItem`, `Query`, `Scan`) are written as JSON
   directly, as moto itself did before its generic serializer (which spends
   about 1.5 ms per item read).

14. `plain_projections`: a projection of top-level attributes (a query's
   `ProjectionExpression`, a GSI's `INCLUDE` or `KEYS_ONLY`) picks those
   attributes. moto turns the whole item into plain JSON and back once per
   projected name, 60% of a projected query's cost. Nested paths go through
   moto's own code.
15. `indexed_listings`: `ListObjectsV2` without a delimiter answers from a
   sorted index of the bucket's key names, rebuilt after a key is added or
   removed. moto copies, walks and sorts the whole bucket on every listing, so
   each chunk's listing of its source keys cost the emulator what the bucket
   holds, and the backup slowed as the bucket grew.

`apply()` installs all of them and is idempotent. The patches live by what they
change: `lambdas` (1, 8), `stepfunctions` (2, 3, 4, 10, 12), `s3` (5, 15), `storage`
(6, 7, 9, 13, 14); IAM lives in `local/iam/`; `clock` holds how fast emulated time runs.
"""

from __future__ import annotations

import os
from typing import Any

from local.moto_patches import clock
from local.moto_patches.lambdas import (
    CODE_URI_TAG,
    LAYER_DIR,
    LOCAL_MAX_POLLERS,
    REPO_ROOT,
    LambdaContext,
    dispatch_lambda,
    function_environment,
    load_handler,
    sqs_event_sources,
    stop_event_sources,
)
from local.moto_patches.s3 import indexed_listings, s3_conditions
from local.moto_patches.stepfunctions import (
    name_unnamed_executions,
    normalise_sfn_parameters,
    scale_time,
    tolerated_failures,
    validate_definitions_once,
)
from local.moto_patches.storage import (
    SECRET_MAX_BYTES,
    atomic_dynamodb,
    dynamodb_queries_at_scale,
    item_level_transactions,
    plain_projections,
    secret_size_limit,
)

__all__ = [
    "CODE_URI_TAG",
    "LAYER_DIR",
    "LOCAL_MAX_POLLERS",
    "MOTO_CONFIG",
    "REPO_ROOT",
    "SECRET_MAX_BYTES",
    "LambdaContext",
    "apply",
    "function_environment",
    "load_handler",
    "set_time_scale",
    "stop_event_sources",
    "storage_patches",
]

MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

_applied = False


def set_time_scale(scale: float) -> None:
    """0 makes Wait states, Retry intervals and SQS visibility timeouts instant; 1 is real time."""
    clock.set_scale(scale)


def storage_patches() -> None:
    """The patches of S3 and DynamoDB themselves: what `apply()` installs in the local
    stack's process, and what the benchmarks' emulator process runs, so both answer
    alike."""
    s3_conditions()
    indexed_listings()
    atomic_dynamodb()
    item_level_transactions()
    dynamodb_queries_at_scale()
    plain_projections()


def apply(time_scale: float | None = None) -> None:
    """Install every patch once. `time_scale` defaults to $REVOPS_TIME_SCALE or 0."""
    global _applied
    if time_scale is None:
        time_scale = float(os.environ.get("REVOPS_TIME_SCALE", "0"))
    set_time_scale(time_scale)
    if _applied:
        return
    dispatch_lambda()
    name_unnamed_executions()
    normalise_sfn_parameters()
    scale_time()
    storage_patches()
    secret_size_limit()
    sqs_event_sources()
    tolerated_failures()
    validate_definitions_once()
    from local.iam import enforce

    enforce.apply()
    _applied = True
