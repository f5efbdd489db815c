"""What IAM authorises for one request: its actions and resource ARNs.

The mapping follows the Service Authorization Reference, not moto's own idea
of it (moto checks `s3:HeadBucket`, which is no IAM action, and checks other
services against `*` only). An operation of a service that is not mapped here is
reported as unmapped, so a new kind of call is taught here before it passes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from local.iam.evaluate import Request


@dataclass(frozen=True)
class Incoming:
    """The parts of a request to moto that IAM looks at."""

    service: str  # the signing name: s3, dynamodb, states, lambda, ...
    operation: str  # the API operation (for S3, moto's name, see s3_requests)
    region: str
    account: str
    params: Mapping[str, Any]  # the JSON body of a JSON-protocol request
    path: str = ""
    query: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None


class Unmapped(Exception):
    """A request whose IAM action or resource this module does not know yet."""


# ----------------------------------------------------------------------------- S3


def _s3_arn(bucket: str, key: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}" if key is None else f"arn:aws:s3:::{bucket}/{key}"


_BUCKET_GET = {
    "versions": "s3:ListBucketVersions",
    "uploads": "s3:ListBucketMultipartUploads",
    "location": "s3:GetBucketLocation",
    "lifecycle": "s3:GetLifecycleConfiguration",
    "versioning": "s3:GetBucketVersioning",
    "policy": "s3:GetBucketPolicy",
    "acl": "s3:GetBucketAcl",
    "tagging": "s3:GetBucketTagging",
    "cors": "s3:GetBucketCORS",
    "notification": "s3:GetBucketNotification",
    "publicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "encryption": "s3:GetEncryptionConfiguration",
    "ownershipControls": "s3:GetBucketOwnershipControls",
}


def s3_requests(
    method: str,
    bucket: str | None,
    key: str | None,
    query: Mapping[str, Any],
    headers: Mapping[str, str],
    body: bytes,
) -> list[Request]:
    """IAM actions for one S3 REST request (method, bucket, key, query, headers)."""
    lower = {k.lower(): v for k, v in headers.items()}
    if bucket is None:
        if method == "GET":
            return [Request("s3:ListAllMyBuckets", "*")]
        raise Unmapped(f"s3 {method} /")
    if key is None:
        arn = _s3_arn(bucket)
        if method in ("HEAD", "GET"):
            action = next((a for q, a in _BUCKET_GET.items() if q in query), "s3:ListBucket")
            return [Request(action, arn)]
        if method == "POST" and "delete" in query:
            keys = re.findall(rb"<Key>(.*?)</Key>", body or b"", re.S)
            versioned = b"<VersionId>" in (body or b"")
            action = "s3:DeleteObjectVersion" if versioned else "s3:DeleteObject"
            return [Request(action, _s3_arn(bucket, _xml_text(k))) for k in keys] or [
                Request(action, _s3_arn(bucket, "*"))
            ]
        raise Unmapped(f"s3 {method} bucket with {sorted(query)}")
    arn = _s3_arn(bucket, key)
    versioned = "versionId" in query
    if method in ("HEAD", "GET"):
        if "uploadId" in query:
            return [Request("s3:ListMultipartUploadParts", arn)]
        for name, plain in (
            ("attributes", "GetObjectAttributes"),
            ("tagging", "GetObjectTagging"),
            ("acl", "GetObjectAcl"),
        ):
            if name in query:
                action = plain.replace("Object", "ObjectVersion", 1) if versioned else plain
                return [Request(f"s3:{action}", arn)]
        return [Request("s3:GetObjectVersion" if versioned else "s3:GetObject", arn)]
    if method == "PUT":
        if "tagging" in query:
            return [
                Request("s3:PutObjectVersionTagging" if versioned else "s3:PutObjectTagging", arn)
            ]
        if "acl" in query:
            return [Request("s3:PutObjectAcl", arn)]
        found = [Request("s3:PutObject", arn)]
        source = lower.get("x-amz-copy-source")
        if source:  # CopyObject and UploadPartCopy also read their source
            path, _, source_query = unquote(source).lstrip("/").partition("?")
            src_bucket, _, src_key = path.partition("/")
            action = "s3:GetObjectVersion" if "versionId=" in source_query else "s3:GetObject"
            found.append(Request(action, _s3_arn(src_bucket, src_key)))
        if lower.get("x-amz-tagging"):
            found.append(Request("s3:PutObjectTagging", arn))
        return found
    if method == "DELETE":
        if "uploadId" in query:
            return [Request("s3:AbortMultipartUpload", arn)]
        return [Request("s3:DeleteObjectVersion" if versioned else "s3:DeleteObject", arn)]
    if method == "POST":
        if "uploads" in query or "uploadId" in query:
            return [Request("s3:PutObject", arn)]
        if "restore" in query:
            return [Request("s3:RestoreObject", arn)]
        if "select" in query:
            return [Request("s3:GetObject", arn)]
    raise Unmapped(f"s3 {method} object with {sorted(query)}")


def _xml_text(raw: bytes) -> str:
    text = raw.decode()
    for entity, char in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", '"'),
        ("&apos;", "'"),
        ("&amp;", "&"),
    ):
        text = text.replace(entity, char)
    return text


# ------------------------------------------------------------------ JSON services


def _dynamodb(req: Incoming) -> list[Request]:
    base = f"arn:aws:dynamodb:{req.region}:{req.account}:table/"
    op, p = req.operation, req.params
    if op in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [Request(f"dynamodb:{op}", "*")]
    if op in ("BatchGetItem", "BatchWriteItem"):
        return [Request(f"dynamodb:{op}", base + table) for table in p.get("RequestItems", {})]
    if op in ("TransactWriteItems", "TransactGetItems"):
        inner = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
            "Get": "GetItem",
        }
        found = []
        for item in p.get("TransactItems", []):
            ((kind, body),) = item.items()
            found.append(Request(f"dynamodb:{inner[kind]}", base + body["TableName"]))
        return found
    table = p.get("TableName")
    if not table:
        raise Unmapped(f"dynamodb {op} without TableName")
    arn = table if table.startswith("arn:") else base + table
    if p.get("IndexName") and op in ("Query", "Scan"):
        arn = f"{arn}/index/{p['IndexName']}"
    return [Request(f"dynamodb:{op}", arn)]


def _secretsmanager(req: Incoming, secret_arn: Callable[[str], str]) -> list[Request]:
    op, p = req.operation, req.params
    if op in ("ListSecrets", "GetRandomPassword", "BatchGetSecretValue"):
        return [Request(f"secretsmanager:{op}", "*")]
    secret = p.get("SecretId") or p.get("Name")
    if not secret:
        raise Unmapped(f"secretsmanager {op} without SecretId")
    return [Request(f"secretsmanager:{op}", secret_arn(secret))]


_STATES_BY_FIELD = ("stateMachineArn", "executionArn", "mapRunArn", "activityArn", "resourceArn")


def _states(req: Incoming) -> list[Request]:
    op, p = req.operation, req.params
    if op in (
        "ListStateMachines",
        "ListActivities",
        "SendTaskSuccess",
        "SendTaskFailure",
        "SendTaskHeartbeat",
    ):
        return [Request(f"states:{op}", "*")]
    for key in _STATES_BY_FIELD:
        if p.get(key):
            return [Request(f"states:{op}", str(p[key]))]
    raise Unmapped(f"states {op} without an ARN")


def _lambda(req: Incoming) -> list[Request]:
    match = re.search(r"/functions/([^/]+)", req.path)
    if not match:
        if req.operation in ("ListFunctions", "ListLayers"):
            return [Request(f"lambda:{req.operation}", "*")]
        raise Unmapped(f"lambda {req.operation} {req.path}")
    name = unquote(match.group(1))
    arn = (
        name
        if name.startswith("arn:")
        else f"arn:aws:lambda:{req.region}:{req.account}:function:{name}"
    )
    qualifier = (req.query or {}).get("Qualifier")
    if isinstance(qualifier, list):
        qualifier = qualifier[0] if qualifier else None
    if qualifier and arn.count(":") == 6:
        arn = f"{arn}:{qualifier}"
    action = {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeAsync"}.get(
        req.operation, req.operation
    )
    return [Request(f"lambda:{action}", arn)]


def _ssm_arn(req: Incoming, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{req.region}:{req.account}:parameter/{name.lstrip('/')}"


def _ssm(req: Incoming) -> list[Request]:
    op, p = req.operation, req.params
    if op == "DescribeParameters":
        return [Request("ssm:DescribeParameters", "*")]
    if op == "GetParametersByPath":
        return [Request("ssm:GetParametersByPath", _ssm_arn(req, p["Path"]))]
    names = p.get("Names") or ([p["Name"]] if p.get("Name") else [])
    if not names:
        raise Unmapped(f"ssm {op} without a parameter name")
    return [Request(f"ssm:{op}", _ssm_arn(req, n)) for n in names]


def _events(req: Incoming) -> list[Request]:
    op, p = req.operation, req.params
    base = f"arn:aws:events:{req.region}:{req.account}:"
    if op == "PutEvents":
        buses = {e.get("EventBusName") or "default" for e in p.get("Entries", [])}
        return [
            Request("events:PutEvents", b if b.startswith("arn:") else f"{base}event-bus/{b}")
            for b in sorted(buses)
        ]
    name = p.get("Rule") or p.get("Name")
    if not name:
        raise Unmapped(f"events {op} without a rule")
    bus = p.get("EventBusName")
    return [
        Request(f"events:{op}", f"{base}rule/{bus + '/' if bus and bus != 'default' else ''}{name}")
    ]


_SQS_ACTION = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _sqs(req: Incoming) -> list[Request]:
    """SQS authorises against the queue's ARN; batch calls use the single action."""
    op, p = req.operation, req.params
    action = f"sqs:{_SQS_ACTION.get(op, op)}"
    if op == "ListQueues":
        return [Request(action, "*")]
    if op == "GetQueueUrl":
        account = p.get("QueueOwnerAWSAccountId") or req.account
        return [Request(action, f"arn:aws:sqs:{req.region}:{account}:{p['QueueName']}")]
    url = p.get("QueueUrl")
    if not url:
        raise Unmapped(f"sqs {op} without QueueUrl")
    account, name = str(url).rstrip("/").split("/")[-2:]
    return [Request(action, f"arn:aws:sqs:{req.region}:{account}:{name}")]


def _anywhere(prefix: str) -> Callable[[Incoming], list[Request]]:
    """Services whose actions take no resource ARN (Resource "*")."""
    return lambda req: [Request(f"{prefix}:{req.operation}", "*")]


def requests_for(req: Incoming, secret_arn: Callable[[str], str]) -> list[Request]:
    """The IAM requests one incoming JSON/REST request makes; Unmapped if unknown."""
    if req.service == "sts" and req.operation == "GetCallerIdentity":
        return []  # always allowed: needs no permission
    handlers: dict[str, Callable[[Incoming], list[Request]]] = {
        "dynamodb": _dynamodb,
        "states": _states,
        "lambda": _lambda,
        "ssm": _ssm,
        "events": _events,
        "sqs": _sqs,
        "secretsmanager": lambda r: _secretsmanager(r, secret_arn),
        "monitoring": _anywhere("cloudwatch"),
        "xray": _anywhere("xray"),
    }
    handler = handlers.get(req.service)
    if handler is None:
        raise Unmapped(f"{req.service}:{req.operation}")
    return handler(req)


def json_params(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        return body
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
