"""The offline stack's IAM: SAM's expansion, IAM's evaluation, IAM's view of a request."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from local.iam.evaluate import Request, Statement, UnsupportedCondition, decide, statements_of
from local.iam.policies import roles
from local.iam.requests import Incoming, Unmapped, requests_for, s3_requests
from local.stack import ACCOUNT_ID, REGION
from local.template import Resolver, load_template

BUCKET = "arn:aws:s3:::work"


def _allow(**fields: object) -> list[Statement]:
    return statements_of({"Statement": [{"Effect": "Allow", **fields}]}, "test")


@pytest.mark.parametrize(
    "pattern, action, allowed",
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("S3:getobject", "s3:GetObject", True),  # actions match case-insensitively
        ("s3:Get*", "s3:GetObjectVersion", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get*", "s3:PutObject", False),
        ("*", "dynamodb:Query", True),
    ],
)
def test_actions_match_with_wildcards_and_without_case(
    pattern: str, action: str, allowed: bool
) -> None:
    assert decide(_allow(Action=pattern, Resource="*"), Request(action, BUCKET)).allowed is allowed


@pytest.mark.parametrize(
    "pattern, arn, allowed",
    [
        ("arn:aws:s3:::work/*", "arn:aws:s3:::work/a/b/c.pdf", True),  # * spans "/"
        ("arn:aws:s3:::work/*", "arn:aws:s3:::work", False),  # the bucket is not an object
        ("arn:aws:s3:::Work/*", "arn:aws:s3:::work/a", False),  # ARNs are case-sensitive
        (
            "arn:aws:lambda:us-east-1:1:function:f*",
            "arn:aws:lambda:us-east-1:1:function:f:live",
            True,
        ),
        ("arn:aws:states:*:1:execution:m/*", "arn:aws:states:us-east-1:1:execution:m/Map:id", True),
        (
            "arn:aws:states:*:1:execution:m/*",
            "arn:aws:states:us-east-1:2:execution:m/Map:id",
            False,
        ),
        (
            "arn:aws:secretsmanager:r:1:secret:app/[x]*",
            "arn:aws:secretsmanager:r:1:secret:app/[x]-AbC",
            True,
        ),
    ],
)
def test_resources_match_arn_part_by_part(pattern: str, arn: str, allowed: bool) -> None:
    assert (
        decide(_allow(Action="*", Resource=pattern), Request("s3:GetObject", arn)).allowed
        is allowed
    )


def test_an_explicit_deny_wins_and_not_action_excludes() -> None:
    statements = statements_of(
        {
            "Statement": [
                {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::work/locked/*",
                },
            ]
        },
        "p",
    )
    assert decide(statements, Request("s3:GetObject", "arn:aws:s3:::work/a")).allowed
    assert not decide(statements, Request("s3:DeleteObject", "arn:aws:s3:::work/a")).allowed
    denied = decide(statements, Request("s3:PutObject", "arn:aws:s3:::work/locked/a"))
    assert not denied.allowed and denied.denied_by == ("p[1]",)


def test_conditions_are_evaluated_and_an_unknown_operator_is_refused_loudly() -> None:
    statements = _allow(
        Action="s3:GetObject",
        Resource="*",
        Condition={
            "StringLike": {"s3:prefix": ["reports/*"]},
            "Bool": {"aws:SecureTransport": "true"},
        },
    )
    ok = Request(
        "s3:GetObject", BUCKET, {"s3:prefix": ["reports/2025"], "aws:SecureTransport": ["true"]}
    )
    assert decide(statements, ok).allowed
    assert not decide(statements, Request("s3:GetObject", BUCKET, {"s3:prefix": ["x"]})).allowed
    odd = _allow(
        Action="*", Resource="*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020"}}
    )
    with pytest.raises(UnsupportedCondition):
        decide(odd, Request("s3:GetObject", BUCKET, {"aws:CurrentTime": ["2025"]}))


def test_s3_requests_are_authorised_as_iam_names_them() -> None:
    copy_in = s3_requests(
        "PUT",
        "backup",
        "uploads/a.pdf",
        {},
        {"x-amz-copy-source": "/source/docs/a%20b.pdf?versionId=3"},
        b"",
    )
    assert copy_in == [
        Request("s3:PutObject", "arn:aws:s3:::backup/uploads/a.pdf"),
        Request("s3:GetObjectVersion", "arn:aws:s3:::source/docs/a b.pdf"),
    ]
    assert s3_requests("HEAD", "work", None, {}, {}, b"") == [Request("s3:ListBucket", BUCKET)]
    assert (
        s3_requests("GET", "work", None, {"versions": [""]}, {}, b"")[0].action
        == "s3:ListBucketVersions"
    )
    delete = s3_requests(
        "POST", "work", None, {"delete": [""]}, {}, b"<Key>a&amp;b</Key><Key>c</Key>"
    )
    assert delete == [
        Request("s3:DeleteObject", f"{BUCKET}/a&b"),
        Request("s3:DeleteObject", f"{BUCKET}/c"),
    ]


def test_json_requests_name_their_table_index_secret_and_function() -> None:
    def of(
        service: str, operation: str, params: dict[str, object], path: str = ""
    ) -> list[Request]:
        incoming = Incoming(service, operation, REGION, ACCOUNT_ID, params, path=path)
        return requests_for(
            incoming, lambda name: f"arn:aws:secretsmanager:r:1:secret:{name}-AbCdEf"
        )

    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/t"
    assert of("dynamodb", "Query", {"TableName": "t", "IndexName": "gsi1"}) == [
        Request("dynamodb:Query", f"{table}/index/gsi1")
    ]
    transact = {
        "TransactItems": [{"Put": {"TableName": "t"}}, {"ConditionCheck": {"TableName": "t"}}]
    }
    assert [r.action for r in of("dynamodb", "TransactWriteItems", transact)] == [
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
    ]
    assert of("secretsmanager", "GetSecretValue", {"SecretId": "app"})[0].resource.endswith(
        ":app-AbCdEf"
    )
    invoke = of("lambda", "Invoke", {}, path="/2015-03-31/functions/fn/invocations")
    assert invoke == [
        Request("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:fn")
    ]
    assert of("sts", "GetCallerIdentity", {}) == []
    with pytest.raises(Unmapped):
        of("kinesis", "PutRecord", {})


def _resolver(template: dict[str, object]) -> Resolver:
    from local.stack import LocalStack

    stack = LocalStack(template=template)  # names only; nothing is deployed
    stack._name_resources()
    return stack.resolver


def test_every_function_and_state_machine_gets_the_role_sam_would_create() -> None:
    template = load_template()
    found = roles(template, _resolver(template), REGION)
    owners = {
        name
        for name, resource in template["Resources"].items()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
    }
    assert owners <= set(found)
    copy_files = found["CopyFilesFunction"]
    assert copy_files.service == "lambda"
    actions = {a for s in copy_files.statements for a in s.actions}
    assert {"s3:PutObject", "dynamodb:UpdateItem", "xray:PutTraceSegments"} <= actions


def test_removing_a_policy_from_a_template_copy_removes_exactly_its_statements() -> None:
    """What the audit does to a role equals translating a template with the policy removed."""
    template = load_template()
    reduced = copy.deepcopy(template)
    del reduced["Resources"]["CopyFilesFunction"]["Properties"]["Policies"][3]  # DynamoDBCrudPolicy

    before = roles(template, _resolver(template), REGION)["CopyFilesFunction"]
    after = roles(reduced, _resolver(reduced), REGION)["CopyFilesFunction"]

    def bodies(statements: list[Statement]) -> list[tuple[object, ...]]:
        return sorted((s.effect, s.actions, s.resources) for s in statements)

    expected = [s for s in before.statements if ":DynamoDBCrudPolicy[" not in s.sid]
    assert bodies(after.statements) == bodies(expected)


def test_schedules_may_start_what_they_schedule() -> None:
    template = load_template()
    resolver = _resolver(template)
    found = roles(template, resolver, REGION)
    checked = 0
    for owner, resource in template["Resources"].items():
        for event, spec in (resource.get("Properties", {}).get("Events") or {}).items():
            if spec["Type"] not in ("Schedule", "ScheduleV2"):
                continue
            role = found[f"{owner}{event}"]
            if resource["Type"] == "AWS::Serverless::StateMachine":
                request = Request("states:StartExecution", resolver.refs[owner])
            else:
                request = Request("lambda:InvokeFunction", resolver.attributes[(owner, "Arn")])
            assert decide(role.statements, request).allowed, (owner, event)
            for statement in role.statements:  # and each of its statements is needed
                rest = [s for s in role.statements if s is not statement]
                assert not decide(rest, request).allowed or not statement.actions
            checked += 1
    assert checked >= 3


def test_the_translator_expands_policy_templates_as_the_sam_cli_does() -> None:
    """The project pins a translator whose policy templates equal the SAM CLI's."""
    import json

    import samtranslator

    from local.template import REPO_ROOT

    tools = sorted((REPO_ROOT / ".venv-tools").glob("lib/python3*/site-packages/samtranslator"))
    if not tools:
        pytest.skip("the SAM CLI's environment (.venv-tools) is not installed")
    name = "policy_templates_data/policy_templates.json"
    ours = json.loads((Path(samtranslator.__file__).parent / name).read_text())
    theirs = json.loads((tools[0] / name).read_text())
    assert ours == theirs
