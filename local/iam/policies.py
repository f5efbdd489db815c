"""Each function's and state machine's role, exactly as SAM creates it.

template.yaml goes through `samtranslator` (the library `sam validate` and
`sam deploy` use; the project pins the same policy templates as the SAM CLI):
policy templates such as `S3CrudPolicy` become the statements SAM writes, and
the generated `AWS::IAM::Role` of each resource is read back. Intrinsics are
then resolved with the local stack's names and ARNs.

A role is keyed by the logical id of the resource that owns it: the function or
state machine, or `<Resource><Event>` for a schedule's role.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.iam.evaluate import Statement, statements_of
from local.template import Resolver

# AWS-managed policies SAM attaches (their documents, as AWS publishes them).
# Only the runtime uses them (logs and traces), never our code, but a call to
# them is evaluated as in AWS.
MANAGED_POLICIES: dict[str, dict[str, Any]] = {
    "AWSLambdaBasicExecutionRole": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ]
    },
    # Attached by SAM to a function with an SQS event source (Lambda's poller reads
    # the queue with the function's role).
    "AWSLambdaSQSQueueExecutionRole": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
                "Resource": "*",
            }
        ]
    },
    "AWSXrayWriteOnlyAccess": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": "*",
            }
        ]
    },
}

_LOCAL_URI_KEYS = ("CodeUri", "ContentUri", "DefinitionUri")
_OWNER_TYPES = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")


@dataclass(frozen=True)
class Policy:
    """One policy of a role: its name, where it comes from, its statements."""

    name: str
    source: str  # a SAM policy template name, "Statement", or "managed:<name>"
    statements: tuple[Statement, ...]


@dataclass
class Role:
    owner: str  # logical id of the function, state machine, or schedule
    service: str  # who assumes it: lambda, states, scheduler
    policies: list[Policy] = field(default_factory=list)

    @property
    def statements(self) -> list[Statement]:
        return [s for p in self.policies for s in p.statements]

    def inline_documents(self) -> dict[str, dict[str, Any]]:
        """The role's own policies (not the AWS-managed ones), as IAM documents."""
        documents = {}
        for policy in self.policies:
            if policy.source.startswith("managed:"):
                continue
            documents[policy.name] = {
                "Version": "2012-10-17",
                "Statement": [_document_statement(s) for s in policy.statements],
            }
        return documents


def _document_statement(statement: Statement) -> dict[str, Any]:
    doc: dict[str, Any] = {"Effect": statement.effect}
    for key, values in (
        ("Action", statement.actions),
        ("NotAction", statement.not_actions),
        ("Resource", statement.resources),
        ("NotResource", statement.not_resources),
    ):
        if values:
            doc[key] = list(values)
    if statement.conditions:
        condition: dict[str, dict[str, list[str]]] = {}
        for operator, key, values in statement.conditions:
            condition.setdefault(operator, {})[key] = list(values)
        doc["Condition"] = condition
    return doc


@functools.cache
def _translated(template_json: str, region: str) -> dict[str, Any]:
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    class _NoManagedPoliciesByName(ManagedPolicyLoader):
        def __init__(self) -> None:
            pass

        def load(self) -> dict[str, str]:
            raise ValueError("name managed policies by ARN: there is no IAM to look them up")

    template = json.loads(template_json)
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in _LOCAL_URI_KEYS:
            if isinstance(props.get(key), str):  # as `sam validate` does with local paths
                props[key] = f"s3://local-artifacts/{props[key]}"
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        return transform(template, {}, _NoManagedPoliciesByName())
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


def translate(template: dict[str, Any], region: str) -> dict[str, Any]:
    """The CloudFormation template SAM produces from ours (cached per template)."""
    return copy.deepcopy(_translated(json.dumps(template, sort_keys=True), region))


def _policy_sources(template: dict[str, Any], owner: str) -> list[str]:
    """What each entry of the owner's `Policies` is: a template name or "Statement"."""
    props = template["Resources"][owner].get("Properties", {})
    sources = []
    for entry in props.get("Policies", []) or []:
        if isinstance(entry, dict) and len(entry) == 1:
            (name,) = entry
            sources.append("Statement" if name == "Statement" else name)
        else:
            sources.append("Statement")
    return sources


def roles(
    template: dict[str, Any],
    resolver: Resolver,
    region: str,
    resolve: Callable[[Any], Any] | None = None,
) -> dict[str, Role]:
    """Every role SAM creates for a function, a state machine or a schedule."""
    resolve = resolve or resolver.resolve
    translated = translate(template, region)
    by_role_name: dict[str, str] = {}
    for logical, resource in template["Resources"].items():
        if resource["Type"] not in _OWNER_TYPES:
            continue
        by_role_name[f"{logical}Role"] = logical
        for event in resource.get("Properties", {}).get("Events") or {}:
            by_role_name[f"{logical}{event}Role"] = f"{logical}{event}"
    found: dict[str, Role] = {}
    for name, resource in translated["Resources"].items():
        owner = by_role_name.get(name)
        if resource["Type"] != "AWS::IAM::Role" or owner is None:
            continue
        props = resource["Properties"]
        principal = props["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
        service = (principal[0] if isinstance(principal, list) else principal).split(".")[0]
        role = Role(owner=owner, service=service)
        sources = _policy_sources(template, owner) if owner in template["Resources"] else []
        for index, policy in enumerate(props.get("Policies", [])):
            source = sources[index] if index < len(sources) else "Statement"
            document = resolve(policy["PolicyDocument"])
            label = f"{owner}/{index}:{source}"
            role.policies.append(Policy(label, source, tuple(statements_of(document, label))))
        for arn in props.get("ManagedPolicyArns", []):
            managed = str(resolve(arn)).rsplit("/", 1)[-1]
            label = f"{owner}/managed:{managed}"
            document = MANAGED_POLICIES.get(managed)
            if document is None:
                raise KeyError(f"{owner}: add the document of managed policy {managed}")
            role.policies.append(
                Policy(label, f"managed:{managed}", tuple(statements_of(document, label)))
            )
        found[owner] = role
    return found
