"""Each role's calls made with its own credentials, recorded and checked.

How a call finds its role, as in AWS:

- Lambda: the dispatcher (local/moto_patches.py) runs a handler `acting_as`
  its function's role; every boto3/botocore request signed while it runs is
  signed with that role's temporary credentials (from STS AssumeRole in moto),
  whatever client object the code cached. Threads the handler starts inherit it.
- Step Functions: an execution runs as its state machine's role, so the
  executor's Lambda invokes, SDK tasks, ItemReader reads and `.sync` polls are
  signed with it. Calls Step Functions makes that moto does not make itself are
  checked as implied calls: for `startExecution.sync`, the EventBridge managed
  rule (`events:PutTargets/PutRule/DescribeRule`) and `states:StopExecution` on
  the child; for a Distributed Map run, `states:StartExecution` of its child
  executions and `states:DescribeExecution/StopExecution` on them.
- Anything else (the tests and the demo seeding data) uses the harness's own
  credentials and is not checked.

moto receives every request. For one signed by a role it asks `requests` what
IAM authorises, evaluates it against the role's policies (`evaluate`), records
it, and refuses it with AccessDenied when IAM would. moto's own IAM enforcement
also runs on S3 requests, where moto checks real resource ARNs; for other
services moto only checks `*`, so there the evaluator alone decides.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from local.iam.evaluate import Request, decide
from local.iam.policies import Role
from local.iam.requests import Incoming, Unmapped, json_params, requests_for, s3_requests

RECORD_DIR_ENV = "REVOPS_IAM_RECORD"

_acting: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "revops_iam_principal", default=None
)
_by_access_key: dict[str, Principal] = {}
_by_role_arn: dict[str, tuple[Guard, str]] = {}
_by_function_arn: dict[str, tuple[Guard, str]] = {}
_registry_lock = threading.Lock()


@dataclass
class Principal:
    owner: str
    role: Role
    role_arn: str
    credentials: Any  # botocore Credentials
    guard: Guard

    @property
    def session_arn(self) -> str:
        name = self.role_arn.rsplit("/", 1)[-1]
        account = self.role_arn.split(":")[4]
        return f"arn:aws:sts::{account}:assumed-role/{name}/{self.owner}"


@dataclass(frozen=True)
class Call:
    owner: str
    action: str
    resource: str
    allowed: bool
    implied: str = ""  # why Step Functions makes it, for implied calls


@dataclass
class Guard:
    """One stack's roles: their credentials, and every call they made."""

    roles: dict[str, Role]
    account: str
    region: str
    stage: str
    client: Any  # a factory: service name -> harness boto3 client
    calls: set[Call] = field(default_factory=set)
    unmapped: set[str] = field(default_factory=set)
    moto_refusals: set[str] = field(default_factory=set)
    expected_denials: int = 0
    _principals: dict[str, Principal] = field(default_factory=dict)
    _started: set[str] = field(default_factory=set)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -------------------------------------------------------------- registry

    def role_arn(self, owner: str) -> str:
        return f"arn:aws:iam::{self.account}:role/revops-{self.stage}-{owner}"

    def register_function(self, owner: str, function_arn: str) -> str:
        with _registry_lock:
            _by_function_arn[function_arn] = (self, owner)
        return self.register_state_machine(owner)

    def register_state_machine(self, owner: str) -> str:
        """The owner's role, created empty (its policies and session come on first use)."""
        role = self.roles[owner]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": f"{role.service}.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        name = self.role_arn(owner).rsplit("/", 1)[-1]
        arn = self.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        with _registry_lock:
            _by_role_arn[arn] = (self, owner)
        return str(arn)

    def close(self) -> None:
        with _registry_lock:
            for table in (_by_function_arn, _by_role_arn):
                for key, (guard, _) in list(table.items()):
                    if guard is self:
                        del table[key]
            for key, principal in list(_by_access_key.items()):
                if principal.guard is self:
                    del _by_access_key[key]
        self._save()

    def principal(self, owner: str) -> Principal:
        """The owner's role in moto's IAM, assumed once (on first use)."""
        with self._lock:
            found = self._principals.get(owner)
            if found is not None:
                return found
            token = _acting.set(None)  # created by the harness, not by a role
            try:
                found = self._create(owner)
            finally:
                _acting.reset(token)
            self._principals[owner] = found
            with _registry_lock:
                _by_access_key[found.credentials.access_key] = found
            return found

    def _create(self, owner: str) -> Principal:
        from botocore.credentials import Credentials

        role = self.roles[owner]
        arn = self.role_arn(owner)
        name = arn.rsplit("/", 1)[-1]
        iam = self.client("iam")
        for index, document in enumerate(role.inline_documents().values()):
            iam.put_role_policy(
                RoleName=name, PolicyName=f"policy{index}", PolicyDocument=json.dumps(document)
            )
        assumed = self.client("sts").assume_role(RoleArn=arn, RoleSessionName=owner)
        creds = assumed["Credentials"]
        return Principal(
            owner=owner,
            role=role,
            role_arn=arn,
            credentials=Credentials(
                creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
            ),
            guard=self,
        )

    def cold_start(self, owner: str) -> bool:
        """True the first time `owner` runs on this stack (its container starts cold)."""
        with self._lock:
            if owner in self._started:
                return False
            self._started.add(owner)
            return True

    # -------------------------------------------------------------- checking

    def secret_arn(self, secret_id: str) -> str:
        if secret_id.startswith("arn:"):
            return secret_id
        from moto.secretsmanager.models import secretsmanager_backends

        backend = secretsmanager_backends[self.account][self.region]
        secret = backend.secrets.get(secret_id)
        if secret is not None:
            return str(secret.arn)
        return f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{secret_id}-??????"

    def check(
        self, principal: Principal, requests: list[Request], implied: str = ""
    ) -> list[Request]:
        """Record each request; return the ones IAM refuses."""
        denied = []
        statements = principal.role.statements
        for request in requests:
            allowed = decide(statements, request).allowed
            with self._lock:
                self.calls.add(
                    Call(principal.owner, request.action, request.resource, allowed, implied)
                )
            if not allowed:
                denied.append(request)
        return denied

    def denials(self) -> list[Call]:
        return sorted((c for c in self.calls if not c.allowed), key=lambda c: (c.owner, c.action))

    def expect_denials(self) -> None:
        """The test itself takes permissions away: refusals are what it checks."""
        self.expected_denials += 1

    def problems(self) -> list[str]:
        """What a test run must not leave: refused calls, unmapped calls, moto disagreeing."""
        found = []
        if not self.expected_denials:
            found += [
                f"{c.owner} was refused {c.action} on {c.resource}"
                + (f" ({c.implied})" if c.implied else "")
                + ": its role in template.yaml does not allow it"
                for c in self.denials()
            ]
        found += [
            f"unmapped call (teach local/iam/requests.py its resource): {u}"
            for u in sorted(self.unmapped)
        ]
        found += [
            f"moto's IAM refused what the evaluator allowed: {m}"
            for m in sorted(self.moto_refusals)
        ]
        return found

    def _save(self) -> None:
        """Append this stack's roles and calls for the audit (`make test` sets the folder)."""
        folder = os.environ.get(RECORD_DIR_ENV)
        if not folder or not self.calls:
            return
        os.makedirs(folder, exist_ok=True)
        from local.iam.audit import statement_to_json

        record = {
            "stage": self.stage,
            "roles": {
                owner: [statement_to_json(s) for s in role.statements]
                for owner, role in sorted(self.roles.items())
                # Schedules' roles are proven without running: tests/unit/local/test_iam.py
                if role.service != "scheduler"
            },
            "expected_denials": bool(self.expected_denials),
            "calls": sorted(
                [c.owner, c.action, c.resource, c.allowed, c.implied] for c in self.calls
            ),
        }
        with open(os.path.join(folder, f"calls-{os.getpid()}.jsonl"), "a") as fh:
            fh.write(json.dumps(record) + "\n")


# ------------------------------------------------------------------ principals


@contextlib.contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    token = _acting.set(principal)
    try:
        yield
    finally:
        _acting.reset(token)


def current() -> Principal | None:
    return _acting.get()


def for_function(function_arn: str) -> Principal | None:
    found = _by_function_arn.get(function_arn)
    return found[0].principal(found[1]) if found else None


def cold_start(function_arn: str) -> bool:
    found = _by_function_arn.get(function_arn)
    return found[0].cold_start(found[1]) if found else False


def for_role(role_arn: str) -> Principal | None:
    found = _by_role_arn.get(role_arn)
    return found[0].principal(found[1]) if found else None


def for_access_key(access_key: str) -> Principal | None:
    """The role whose assumed-role credentials carry `access_key` (a presigned link's signer)."""
    return _by_access_key.get(access_key)


def _principal_of(headers: Any) -> Principal | None:
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    marker = "Credential="
    if marker not in auth:
        return None
    key = auth.split(marker, 1)[1].split("/", 1)[0]
    return _by_access_key.get(key)


def _scope(headers: Any) -> tuple[str, str]:
    """(region, service) from the SigV4 credential scope."""
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    parts = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return parts[2], parts[3]


def _refusal_message(principal: Principal, request: Request) -> str:
    return (
        f"User: {principal.session_arn} is not authorized to perform: {request.action} "
        f"on resource: {request.resource} because no identity-based policy allows the "
        f"{request.action} action"
    )


# ------------------------------------------------------------------ patches


def _sign_with_the_acting_role() -> None:
    from botocore.signers import RequestSigner

    original = RequestSigner.get_auth_instance
    if getattr(original, "_revops_patched", False):
        return

    def get_auth_instance(self: Any, *args: Any, **kwargs: Any) -> Any:
        principal = _acting.get()
        if principal is not None and not kwargs.get("request_credentials"):
            kwargs["request_credentials"] = principal.credentials
        return original(self, *args, **kwargs)

    get_auth_instance._revops_patched = True  # type: ignore[attr-defined]
    RequestSigner.get_auth_instance = get_auth_instance
    RequestSigner.get_auth = get_auth_instance


def _threads_inherit_the_role() -> None:
    """A thread (or pool task) runs as the role of the code that started it."""
    original_start = threading.Thread.start
    if getattr(original_start, "_revops_patched", False):
        return

    def start(self: threading.Thread) -> None:
        context = contextvars.copy_context()
        run = self.run
        self.run = lambda: context.run(run)  # type: ignore[method-assign]
        original_start(self)

    original_submit = ThreadPoolExecutor.submit

    def submit(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    start._revops_patched = True  # type: ignore[attr-defined]
    threading.Thread.start = start  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign, assignment]


def _executions_run_as_their_role() -> None:
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._execution_logic
    if getattr(original, "_revops_patched", False):
        return

    def _execution_logic(self: Any) -> Any:
        role_arn = self._evaluation_details.aws_execution_details.role_arn
        token = _acting.set(None)
        try:
            principal = for_role(role_arn)
        finally:
            _acting.reset(token)
        with acting_as(principal):
            return original(self)

    _execution_logic._revops_patched = True  # type: ignore[attr-defined]
    ExecutionWorker._execution_logic = _execution_logic  # type: ignore[method-assign]


def _check_requests_in_moto() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import JsonRESTError

    original_normal = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action
    if getattr(original_normal, "_revops_patched", False):
        return
    original_s3 = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action

    class AccessDeniedException(JsonRESTError):
        def __init__(self, message: str, status: int) -> None:
            super().__init__("AccessDeniedException", message)
            self.code = status

    def normal(self: Any, resource: str = "*") -> None:
        principal = _principal_of(self.headers)
        if principal is None:
            return original_normal(self, resource)
        guard = principal.guard
        region, service = _scope(self.headers)
        incoming = Incoming(
            service=service,
            operation=self._get_action(),
            region=region,
            account=guard.account,
            params=json_params(self.body),
            path=getattr(self, "path", ""),
            query=getattr(self, "querystring", None),
            headers=self.headers,
        )
        try:
            requests = requests_for(incoming, guard.secret_arn)
        except Unmapped as unknown:
            guard.unmapped.add(f"{principal.owner}: {unknown}")
            return None
        denied = guard.check(principal, requests)
        if denied:
            status = 403 if service == "lambda" else 400
            raise AccessDeniedException(_refusal_message(principal, denied[0]), status)
        return None

    def s3(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
        principal = _principal_of(self.headers)
        if principal is None:
            return original_s3(self, bucket_name, key_name)
        guard = principal.guard
        try:
            requests = s3_requests(
                self.method, bucket_name, key_name, self.querystring, self.headers, self.body
            )
        except Unmapped as unknown:
            guard.unmapped.add(f"{principal.owner}: {unknown}")
            return None
        denied = guard.check(principal, requests)
        _moto_s3_check(self, principal, requests, bucket_name, key_name, denied)
        if denied:
            from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError

            if bucket_name:
                raise BucketAccessDeniedError(bucket=bucket_name)
            raise S3AccessDeniedError()
        return None

    normal._revops_patched = True  # type: ignore[attr-defined]
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = normal  # type: ignore[method-assign]
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = s3  # type: ignore[method-assign]


def _moto_s3_check(
    response: Any,
    principal: Principal,
    requests: list[Request],
    bucket: str | None,
    key: str | None,
    denied: list[Request],
) -> None:
    """moto's own IAM enforcement, where its action and ARN are IAM's (it agrees, or we say so)."""
    from urllib.parse import urlparse

    from moto.iam.access_control import S3IAMRequest

    action = "s3:" + str(response.data.get("Action", ""))
    resource = f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket or '*'}"
    if not any(r.action == action and r.resource == resource for r in requests):
        return  # moto would check another action or ARN than IAM does
    path = response.raw_path
    query = urlparse(response.uri).query
    if query:
        path += "?" + query
    iam_request = S3IAMRequest(
        account_id=response.current_account,
        method=response.method,
        path=path,
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=response.data["Action"],
    )
    iam_request.check_signature()
    moto_denied = False
    try:
        iam_request.check_action_permitted(resource)
    except Exception:
        moto_denied = True
    ours_denied = any(r.action == action and r.resource == resource for r in denied)
    if moto_denied and not ours_denied:
        principal.guard.moto_refusals.add(f"{principal.owner} {action} {resource}")
    elif ours_denied and not moto_denied:
        principal.guard.moto_refusals.add(
            f"(moto allowed what IAM refuses) {principal.owner} {action} {resource}"
        )


# ------------------------------------------------------------ Step Functions' own


def _implied(requests: list[Request], why: str) -> None:
    """Step Functions' own calls that moto's executor does not make: check them."""
    principal = _acting.get()
    if principal is None:
        return
    denied = principal.guard.check(principal, requests, implied=why)
    if denied:
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {
                    "Code": "AccessDeniedException",
                    "Message": _refusal_message(principal, denied[0]),
                },
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            denied[0].action.split(":", 1)[1],
        )


def _step_functions_implied_calls() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as distributed,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn as sfn,
    )

    cls = sfn.StateTaskServiceSfn
    if getattr(cls._build_sync_resolver, "_revops_patched", False):
        return

    def sync_needs(env: Any, resource_runtime_part: Any) -> None:
        region = resource_runtime_part.region
        account = resource_runtime_part.account
        child = env.stack[-1].get("ExecutionArn", "") if env.stack else ""
        _implied(
            [
                Request(
                    action,
                    f"arn:aws:events:{region}:{account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",
                )
                for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule")
            ]
            + [Request("states:StopExecution", child)],
            "startExecution.sync: EventBridge managed rule, child stopped with its parent",
        )

    for name in ("_build_sync_resolver", "_build_sync2_resolver"):
        original = getattr(cls, name)

        def build(
            self: Any,
            env: Any,
            resource_runtime_part: Any,
            *args: Any,
            _original: Any = original,
            **kwargs: Any,
        ) -> Any:
            sync_needs(env, resource_runtime_part)
            return _original(self, env, resource_runtime_part, *args, **kwargs)

        build._revops_patched = True  # type: ignore[attr-defined]
        setattr(cls, name, build)

    component = distributed.DistributedIterationComponent
    original_body = component._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        eval_input = env.stack[-1]
        map_run_arn = str(eval_input.map_run_record.map_run_arn)
        prefix, _, rest = map_run_arn.partition(":mapRun:")
        machine = rest.split("/", 1)[0]
        child = f"{prefix}:execution:{rest}"
        _implied(
            [
                Request("states:StartExecution", f"{prefix}:stateMachine:{machine}"),
                Request("states:DescribeExecution", child),
                Request("states:StopExecution", child),
            ],
            "Distributed Map: child workflow executions",
        )
        original_body(self, env)

    component._eval_body = _eval_body  # type: ignore[method-assign]


def apply() -> None:
    """Install the patches once (idempotent)."""
    _sign_with_the_acting_role()
    _threads_inherit_the_role()
    _executions_run_as_their_role()
    _check_requests_in_moto()
    _step_functions_implied_calls()
