"""Keep template.yaml's cross-cutting hardening complete as resources are added.

    python -m local.harden_template          # rewrite template.yaml in place
    python -m local.harden_template --check  # exit 1 when something is missing (make lint)

For every `AWS::Serverless::StateMachine` it ensures Step Functions logging at
level ERROR with execution data off (no secrets in logs), X-Ray tracing, the
log-delivery permissions, and a failed-execution alarm. For every
`AWS::Serverless::Function` it ensures the checkov suppressions that apply to
every function here, each with its reason inline. Text edits only: comments and
layout of the rest of the file are kept.
"""

from __future__ import annotations

import argparse
import re
import sys

from local.template import TEMPLATE_PATH

FUNCTION_SKIPS = [
    (
        "CKV_AWS_115",
        "concurrency is bounded by each workflow's MaxConcurrency; reserving it per function would starve the account's unreserved pool",
    ),
    (
        "CKV_AWS_116",
        "invoked synchronously by Step Functions or API Gateway, which retry and record failures; a DLQ only applies to asynchronous invokes",
    ),
    (
        "CKV_AWS_117",
        "calls public SaaS APIs (Salesforce, ElevenLabs, GoHighLevel) and AWS endpoints; a VPC would only add NAT cost and a failure point",
    ),
    (
        "CKV_AWS_173",
        "environment variables hold names and settings only; secrets are read from Secrets Manager at run time",
    ),
]

# Checks that do not apply to a resource type here, each with the reason.
TYPE_SKIPS: dict[str, list[tuple[str, str]]] = {
    "AWS::Serverless::Function": FUNCTION_SKIPS,
    "AWS::SecretsManager::Secret": [
        (
            "CKV_AWS_149",
            "encrypted with the AWS-managed key aws/secretsmanager; a customer key would add key administration without narrowing who can read the secret, which IAM already scopes",
        ),
    ],
    "AWS::S3::Bucket": [
        (
            "CKV_AWS_18",
            "CloudTrail data events are the audit trail for object access; server access logs would need yet another bucket with its own lifecycle",
        ),
    ],
    "AWS::DynamoDB::Table": [
        (
            "CKV_AWS_119",
            "encrypted at rest with the AWS-owned key (SSE enabled); a customer key adds per-request KMS cost at 1M+ items with no access-control gain over IAM",
        ),
    ],
}

LOGGING_TEMPLATE = """      Logging:
        Level: ERROR
        IncludeExecutionData: false
        Destinations:
          - CloudWatchLogsLogGroup:
              LogGroupArn: !GetAtt WorkflowLogGroup.Arn
"""

LOG_DELIVERY_POLICY = """        - Statement:
            # iam-justification: CloudWatch Logs delivery APIs take no resource ARN (Resource "*" is required)
            - Effect: Allow
              Action: [logs:CreateLogDelivery, logs:GetLogDelivery, logs:UpdateLogDelivery, logs:DeleteLogDelivery, logs:ListLogDeliveries, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups]
              Resource: "*"
"""


def _blocks(text: str) -> list[tuple[str, int, int]]:
    """(logical id, start, end) of each top-level resource block."""
    start = text.index("\nResources:\n")
    end = text.index("\nOutputs:\n")
    matches = list(re.finditer(r"^  ([A-Za-z0-9]+):\n", text[start:end], re.MULTILINE))
    blocks = []
    for i, match in enumerate(matches):
        block_start = start + match.start()
        block_end = start + matches[i + 1].start() if i + 1 < len(matches) else end
        blocks.append((match.group(1), block_start, block_end))
    return blocks


def _harden_state_machine(block: str) -> str:
    if "\n      Logging:\n" not in block:
        block = block.replace("\n      Tracing:\n", "\n" + LOGGING_TEMPLATE + "      Tracing:\n", 1)
    if "\n      Tracing:\n" not in block:
        block = block.replace(
            "\n      Policies:\n", "\n      Tracing:\n        Enabled: true\n      Policies:\n", 1
        )
        if "\n      Logging:\n" not in block:
            block = block.replace(
                "\n      Tracing:\n", "\n" + LOGGING_TEMPLATE + "      Tracing:\n", 1
            )
    if "logs:CreateLogDelivery" not in block:
        block = block.replace("\n      Policies:\n", "\n      Policies:\n" + LOG_DELIVERY_POLICY, 1)
    return block


def _with_skips(block: str, skips: list[tuple[str, str]]) -> str:
    if "checkov:" in block:
        return block
    lines = ["      checkov:", "        skip:"]
    for check, reason in skips:
        lines += [f"          - id: {check}", f'            comment: "{reason}"']
    if "\n    Metadata:\n" in block:  # e.g. a layer's BuildMethod: add beside it
        return block.replace("\n    Metadata:\n", "\n    Metadata:\n" + "\n".join(lines) + "\n", 1)
    return block.rstrip("\n") + "\n" + "\n".join(["    Metadata:", *lines]) + "\n\n"


def _alarm(logical: str) -> str:
    return f"""  {logical}FailedAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: !Sub "An execution of ${{{logical}.Name}} failed. See the README runbook."
      Namespace: AWS/States
      MetricName: ExecutionsFailed
      Dimensions:
        - Name: StateMachineArn
          Value: !Ref {logical}
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]

"""


def harden(text: str) -> str:
    out: list[str] = []
    cursor = 0
    machines: list[str] = []
    for logical, start, end in _blocks(text):
        block = text[start:end]
        kind = re.search(r"\n    Type: (\S+)", block)
        if kind and kind.group(1) == "AWS::Serverless::StateMachine":
            block = _harden_state_machine(block)
            machines.append(logical)
        if kind and kind.group(1) in TYPE_SKIPS:
            block = _with_skips(block, TYPE_SKIPS[kind.group(1)])
        out.append(text[cursor:start])
        out.append(block)
        cursor = end
    out.append(text[cursor:])
    text = "".join(out)
    missing_alarms = [m for m in machines if f"  {m}FailedAlarm:\n" not in text]
    if missing_alarms:
        anchor = "\nOutputs:\n"
        text = text.replace(
            anchor, "\n" + "".join(_alarm(m) for m in missing_alarms) + anchor.lstrip("\n"), 1
        )
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = TEMPLATE_PATH.read_text()
    hardened = harden(text)
    if args.check:
        if hardened != text:
            print(
                "template.yaml lacks logging, alarms or suppressions: run python -m local.harden_template"
            )
            return 1
        return 0
    TEMPLATE_PATH.write_text(hardened)
    return 0


if __name__ == "__main__":
    sys.exit(main())
