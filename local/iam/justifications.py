"""Why an action is granted although no call in the test suite uses it.

The audit (`local/iam/audit.py`) lists every granted action that no recorded
call exercised. Each must be justified here or dropped from template.yaml.

SAM's policy templates grant fixed action lists; a justification for a template
applies to every role that uses it, so a new function using `S3CrudPolicy`
needs nothing new here. Keep each reason true: when code starts using an action,
its entry here is simply no longer needed.
"""

from __future__ import annotations

_ONE_TABLE = (
    "part of SAM's {template}, which grants its action set as one unit on this one "
    "table and its indexes, a table the function already uses; no code path calls it today"
)
_ONE_BUCKET = (
    "part of SAM's {template}, which grants its action set as one unit on this one "
    "bucket, a bucket the function already uses; no code path calls it today"
)
_TEMPLATES = {
    "DynamoDBCrudPolicy": (
        _ONE_TABLE,
        "dynamodb:GetItem dynamodb:DeleteItem dynamodb:PutItem dynamodb:Scan dynamodb:Query "
        "dynamodb:UpdateItem dynamodb:BatchWriteItem dynamodb:BatchGetItem "
        "dynamodb:DescribeTable dynamodb:ConditionCheckItem",
    ),
    "DynamoDBReadPolicy": (
        _ONE_TABLE,
        "dynamodb:GetItem dynamodb:Scan dynamodb:Query dynamodb:BatchGetItem dynamodb:DescribeTable",
    ),
    "DynamoDBWritePolicy": (
        _ONE_TABLE,
        "dynamodb:PutItem dynamodb:UpdateItem dynamodb:BatchWriteItem",
    ),
    "S3ReadPolicy": (
        _ONE_BUCKET,
        "s3:GetObject s3:ListBucket s3:GetBucketLocation s3:GetObjectVersion "
        "s3:GetLifecycleConfiguration",
    ),
    "S3WritePolicy": (
        _ONE_BUCKET,
        "s3:PutObject s3:PutLifecycleConfiguration",
    ),
    "S3CrudPolicy": (
        _ONE_BUCKET,
        "s3:GetObject s3:ListBucket s3:GetBucketLocation s3:GetObjectVersion s3:PutObject "
        "s3:DeleteObject s3:GetLifecycleConfiguration s3:PutLifecycleConfiguration",
    ),
}

# (SAM policy template, action) -> reason
BY_TEMPLATE: dict[tuple[str, str], str] = {
    (template, action): reason.format(template=template)
    for template, (reason, actions) in _TEMPLATES.items()
    for action in actions.split()
}
for _template in ("S3CrudPolicy", "S3WritePolicy"):
    BY_TEMPLATE[(_template, "s3:PutObjectAcl")] = (
        f"part of SAM's {_template}; without effect here: every bucket is BucketOwnerEnforced, "
        "so S3 refuses ACL writes whatever IAM allows"
    )
for _action in (
    "ssm:DescribeParameters",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
):
    BY_TEMPLATE[("SSMParameterReadPolicy", _action)] = (
        "part of SAM's SSMParameterReadPolicy, scoped to the revops/<stage>/velocity/ "
        "parameters: read only when VelocityReportOverrides names an SSM parameter"
    )

# (owner logical id, action) -> reason, for the template's own `Statement`s
BY_OWNER: dict[tuple[str, str], str] = {
    ("ServeDashboardFunction", "secretsmanager:GetSecretValue"): (
        "the integration user's secret, read when a container has no cached dashboard "
        "decision and asks Salesforce for the permission (revops.access.checks); on the "
        "local stack every function shares one process, so the session OpenDocumentFunction "
        "or SignInFunction opened first is reused and this read is not recorded"
    ),
    ("ImportAppointmentsFunction", "secretsmanager:CreateSecret"): (
        "a rotated refresh token is stored with PutSecretValue; when the location's "
        "secret is gone the same write creates it (revops.integrations.gohighlevel.TokenVault)"
    ),
}

# action -> reason, whoever holds it
ANYWHERE: dict[str, str] = {
    action: (
        "Step Functions' CloudWatch Logs delivery for the state machine's Logging "
        "configuration: used by the service when logging is set up, never by an execution; "
        "these APIs take no resource ARN"
    )
    for action in (
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    )
}


def justification(owner: str, source: str, action: str) -> str | None:
    return (
        BY_OWNER.get((owner, action)) or BY_TEMPLATE.get((source, action)) or ANYWHERE.get(action)
    )
