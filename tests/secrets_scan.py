"""Secrets must never appear in logs, execution input/output or history.

Every test that builds the offline stack ends with this scan: the captured
output of the run (Powertools logs at DEBUG) and the full history of every
execution of every state machine are searched for every secret the stack
knows: the Salesforce key and consumer key, Salesforce session tokens, the
ElevenLabs key and webhook secret, the GoHighLevel client credentials and
tokens, the admin token and its hash, the sign-in connected app's secret, the
session cookie key, every authorization code the fake org issued; and for
anything that looks like a presigned link (`X-Amz-Signature=`) or a session
cookie value.
"""

from __future__ import annotations

import json
from typing import Any

from local.stack import LOCAL_ADMIN_TOKEN, LocalStack, local_secret_values

# What a presigned link or a session cookie looks like, whatever its value.
SHAPES = ("X-Amz-Signature=", "__Host-revops_session=", "__Host-revops_login=")


def secret_values(stack: LocalStack) -> dict[str, str]:
    values = local_secret_values()
    pem = values["SalesforceSecret"]["private_key"]
    body = "".join(line for line in pem.splitlines() if "-----" not in line)
    found = {
        "salesforce private key": body[40:100],
        "salesforce consumer key": values["SalesforceSecret"]["consumer_key"],
        "elevenlabs api key": values["ElevenLabsSecret"]["api_key"],
        "gohighlevel client secret": values["GoHighLevelSecret"]["client_secret"],
        "admin token": LOCAL_ADMIN_TOKEN,
        "admin token hash": values["AdminApiSecret"]["token_sha256"],
        "sign-in client secret": values["SignInSecret"]["client_secret"],
        "session cookie key": values["SessionKeySecret"]["key"],
        "elevenlabs webhook secret": values["WebhookSecret"]["elevenlabs_secret"],
    }
    if stack.org is not None:
        for i, token in enumerate(sorted(stack.org.auth._tokens)):
            found[f"salesforce session {i}"] = token
        for i, code in enumerate(sorted(stack.org.web._codes)):
            found[f"salesforce authorization code {i}"] = code
    ghl = stack.ghl
    if ghl is not None:
        for i, token in enumerate(sorted(getattr(ghl, "_refresh_tokens", {}))):
            found[f"gohighlevel refresh token {i}"] = token
        for i, token in enumerate(sorted(getattr(ghl, "_access_tokens", {}))):
            found[f"gohighlevel access token {i}"] = token
    return {name: value for name, value in found.items() if value and len(value) >= 8}


def execution_texts(stack: LocalStack) -> list[tuple[str, str]]:
    """(execution arn, JSON of its history) for every execution on the stack."""
    sfn = stack.client("stepfunctions")
    texts = []
    for machine in sfn.list_state_machines()["stateMachines"]:
        paginator = sfn.get_paginator("list_executions")
        for page in paginator.paginate(stateMachineArn=machine["stateMachineArn"]):
            for execution in page["executions"]:
                arn = execution["executionArn"]
                described = sfn.describe_execution(executionArn=arn)
                history = stack.history(arn)
                payload: Any = {"execution": described, "history": history}
                texts.append((arn, json.dumps(payload, default=str)))
    return texts


def leaks(stack: LocalStack, captured: str) -> list[str]:
    secrets = secret_values(stack)
    problems = []
    for name, value in secrets.items():
        if value in captured:
            problems.append(f"{name} appears in the captured logs")
    for marker in SHAPES:
        if marker in captured:
            problems.append(f"{marker!r} appears in the captured logs")
    for arn, text in execution_texts(stack):
        for name, value in secrets.items():
            if value in text:
                problems.append(f"{name} appears in the history of {arn}")
    return problems
