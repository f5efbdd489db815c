"""The offline stack: template.yaml deployed into moto, with the stand-ins wired in.

    with LocalStack() as stack:
        stack.org.insert(...)                       # the fake Salesforce org
        result = stack.run("StackCheckStateMachine", {"chunkSize": 50})

Everything is created from template.yaml: tables with the template's key
schemas, buckets with its versioning, secrets by their names, queues with their
redrive policies, one Lambda function per `AWS::Serverless::Function`
(dispatched in-process to `functions/<dir>/app.py`) with an event source mapping
per `SQS` event (run by `moto_patches` pollers, as Lambda's are), and one state
machine per `AWS::Serverless::StateMachine`, from the very ASL file that is
deployed, with `${...}` substituted from `DefinitionSubstitutions`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto import mock_aws

from local import moto_patches
from local.iam.enforce import Guard
from local.iam.policies import roles
from local.template import (
    REPO_ROOT,
    Resolver,
    function_environment,
    function_setting,
    load_template,
    parameter_defaults,
    resources_of_type,
)
from local.webhooks import LOCAL_ELEVENLABS_WEBHOOK_SECRET, ghl_public_key_pem

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

# Where the stand-ins answer; the local secrets point the real clients there.
SALESFORCE_LOGIN_DOMAIN = "fake-login"
SALESFORCE_USERNAME = "integration@revops.example"
SALESFORCE_CONSUMER_KEY = "local-connected-app"
LOCAL_ADMIN_TOKEN = "local-admin-token"
# The connected app people sign in through, and the in-process docs host's address.
SIGN_IN_CLIENT_ID = "local-sign-in-app"
SIGN_IN_CLIENT_SECRET = "local-sign-in-secret"
LOCAL_DOCS_BASE_URL = "https://docs.revops.local"
# Template parameters that point the stack at the stand-ins.
LOCAL_PARAMETERS = {"SalesforceLoginUrl": f"https://{SALESFORCE_LOGIN_DOMAIN}.salesforce.com"}


@functools.cache
def _private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def local_secret_values() -> dict[str, dict[str, Any]]:
    """What an operator would put in each secret, pointing at the stand-ins."""
    return {
        "SalesforceSecret": {
            "username": SALESFORCE_USERNAME,
            "consumer_key": SALESFORCE_CONSUMER_KEY,
            "private_key": _private_key_pem(),
            "domain": SALESFORCE_LOGIN_DOMAIN,
            "api_version": "62.0",
        },
        "ElevenLabsSecret": {"api_key": "local-elevenlabs-key"},
        "GoHighLevelSecret": {"client_id": "local-ghl-client", "client_secret": "local-ghl-secret"},
        "AdminApiSecret": {"token_sha256": hashlib.sha256(LOCAL_ADMIN_TOKEN.encode()).hexdigest()},
        "SignInSecret": {"client_id": SIGN_IN_CLIENT_ID, "client_secret": SIGN_IN_CLIENT_SECRET},
        "SessionKeySecret": {"key": "local-session-key-" + "k" * 46},
        # The stand-ins sign webhooks with this secret and their own Ed25519 key pair.
        "WebhookSecret": {
            "elevenlabs_secret": LOCAL_ELEVENLABS_WEBHOOK_SECRET,
            "gohighlevel_public_key": ghl_public_key_pem(),
        },
    }


# Applied on top of template values so local runs are quiet and offline.
LOCAL_FUNCTION_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "BULK_POLL_SECONDS": "0",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass
class ExecutionResult:
    arn: str
    status: str
    output: Any
    error: str | None
    cause: str | None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# dispatched in-process by local/moto_patches\n")
    return buffer.getvalue()


class LocalStack:
    """template.yaml in moto, plus the fake Salesforce org and the API stand-ins."""

    def __init__(
        self,
        *,
        stage: str = "local",
        parameters: dict[str, str] | None = None,
        time_scale: float = 0.0,
        with_standins: bool = True,
        template: dict[str, Any] | None = None,
    ) -> None:
        self.stage = stage
        self.time_scale = time_scale
        # A test may deploy a modified copy (e.g. with a permission removed).
        self.template = template if template is not None else load_template()
        params = parameter_defaults(self.template)
        params["Stage"] = stage
        params.update(LOCAL_PARAMETERS)
        params.update(parameters or {})
        self.parameters = params
        self.resolver = Resolver(
            self.template,
            params,
            pseudo={
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT_ID,
                "AWS::Partition": "aws",
                "AWS::StackName": f"revops-{stage}",
                "AWS::NoValue": "AWS::NoValue",
            },
        )
        self.with_standins = with_standins
        self._exit = ExitStack()
        self.org: Any = None
        self.elevenlabs: Any = None
        self.ghl: Any = None
        self.names: dict[str, str] = {}
        self.iam: Guard | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalStack:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }.items():
            os.environ[key] = value
        moto_patches.apply(self.time_scale)
        self._exit.enter_context(mock_aws(config=moto_patches.MOTO_CONFIG))  # type: ignore[call-overload]
        self._exit.callback(moto_patches.stop_event_sources)  # before the emulator goes
        try:
            self._name_resources()
            self.deploy()
            if self.with_standins:
                self._install_standins()
        except BaseException:
            # A stack that fails to come up must not leave its emulator running:
            # the next stack in this process would find its tables and buckets.
            self._exit.close()
            if self.iam is not None:
                self.iam.close()
            raise
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        problems = self.iam.problems() if self.iam is not None else []
        try:
            self._exit.close()
        finally:
            if self.iam is not None:
                self.iam.close()
        if problems and exc_type is None:
            raise PermissionError("IAM, as template.yaml grants it:\n" + "\n".join(problems))

    def client(self, service: str) -> Any:
        """A client of the stack's AWS, with the harness's credentials.

        One per service for the whole process (creating a boto3 client costs more
        than most calls; clients are thread-safe, and moto serves whichever stack
        is open): a test that registers an event hook on one unregisters it.
        """
        return _harness_client(service)

    # ------------------------------------------------------------------ naming

    def physical_name(self, logical_id: str) -> str:
        return self.names[logical_id]

    def _name_resources(self) -> None:
        """Give every resource its physical name and ARN before creating any."""
        r = self.resolver
        prefix = f"revops-{self.stage}"
        for logical, resource in self.template["Resources"].items():
            kind = resource["Type"]
            props = resource.get("Properties", {})
            if kind == "AWS::S3::Bucket":
                name = r.resolve(props.get("BucketName", "AWS::NoValue"))
                if name in (None, "", "AWS::NoValue"):
                    name = f"{prefix}-{logical.lower()}"
                r.refs[logical] = name
                r.attributes[(logical, "Arn")] = f"arn:aws:s3:::{name}"
                r.attributes[(logical, "DomainName")] = f"{name}.s3.amazonaws.com"
                r.attributes[(logical, "RegionalDomainName")] = f"{name}.s3.{REGION}.amazonaws.com"
            elif kind == "AWS::DynamoDB::Table":
                name = f"{prefix}-{logical}"
                r.refs[logical] = name
                r.attributes[(logical, "Arn")] = (
                    f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
                )
            elif kind == "AWS::SQS::Queue":
                name = r.resolve(props.get("QueueName")) or f"{prefix}-{logical}"
                r.refs[logical] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
                r.attributes[(logical, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
                r.attributes[(logical, "QueueName")] = name
                r.attributes[(logical, "QueueUrl")] = r.refs[logical]
            elif kind == "AWS::SecretsManager::Secret":
                name = r.resolve(props.get("Name")) or f"{prefix}/{logical}"
                # Real secret ARNs end in a random suffix; the name works everywhere an ARN does.
                r.refs[logical] = name
            elif kind == "AWS::Serverless::Function":
                name = f"{prefix}-{logical}"
                r.refs[logical] = name
                r.attributes[(logical, "Arn")] = (
                    f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
                )
            elif kind == "AWS::Serverless::StateMachine":
                name = r.resolve(props.get("Name")) or f"{prefix}-{logical}"
                arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
                r.refs[logical] = arn
                r.attributes[(logical, "Arn")] = arn
                r.attributes[(logical, "Name")] = name
            elif kind == "AWS::Serverless::LayerVersion":
                name = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{logical}:1"
                r.refs[logical] = name
            else:
                name = f"{prefix}-{logical}"
                r.refs[logical] = name
                r.attributes[(logical, "Arn")] = f"arn:aws:local:::{name}"
            self.names[logical] = name

    # ------------------------------------------------------------------ deploy

    def deploy(self) -> None:
        self._create_buckets()
        self._create_tables()
        self._create_secrets()
        self._create_queues()
        self.iam = Guard(
            roles=roles(self.template, self.resolver, REGION),
            account=ACCOUNT_ID,
            region=REGION,
            stage=self.stage,
            client=self.client,
        )
        self._create_functions()
        self._create_event_sources()
        self._create_state_machines()

    def _create_buckets(self) -> None:
        s3 = self.client("s3")
        for logical, resource in resources_of_type(self.template, "AWS::S3::Bucket").items():
            name = self.names[logical]
            s3.create_bucket(Bucket=name)
            versioning = resource.get("Properties", {}).get("VersioningConfiguration")
            if versioning:
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=versioning)
        # The external bucket that DocListEntry__c URLs point at (not ours).
        s3.create_bucket(Bucket=self.parameters["SourceBucketName"])

    def _create_tables(self) -> None:
        ddb = self.client("dynamodb")
        for logical, resource in resources_of_type(self.template, "AWS::DynamoDB::Table").items():
            create_table(ddb, self.names[logical], resource["Properties"])

    def _create_secrets(self) -> None:
        sm = self.client("secretsmanager")
        values = local_secret_values()
        for logical in resources_of_type(self.template, "AWS::SecretsManager::Secret"):
            created = sm.create_secret(
                Name=self.names[logical], SecretString=json.dumps(values.get(logical, {}))
            )
            # As in CloudFormation, `!Ref` of a secret is its ARN (random suffix and all).
            self.resolver.refs[logical] = created["ARN"]

    def _create_queues(self) -> None:
        """Every queue with its attributes; a dead-letter queue before the queue naming it."""
        sqs = self.client("sqs")
        queues = resources_of_type(self.template, "AWS::SQS::Queue")
        ordered = sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {}))
        for logical in ordered:
            props = self.resolver.resolve(queues[logical].get("Properties", {}))
            attributes = {
                key: _queue_attribute(value)
                for key, value in props.items()
                if key in QUEUE_ATTRIBUTES
            }
            sqs.create_queue(
                QueueName=self.resolver.attributes[(logical, "QueueName")], Attributes=attributes
            )

    def _create_event_sources(self) -> None:
        """An event source mapping per function `SQS` event, as SAM creates them."""
        lam = self.client("lambda")
        functions = resources_of_type(self.template, "AWS::Serverless::Function")
        for logical, resource in functions.items():
            for event in (resource["Properties"].get("Events") or {}).values():
                if event.get("Type") != "SQS":
                    continue
                props = self.resolver.resolve(event["Properties"])
                kwargs: dict[str, Any] = {
                    "EventSourceArn": props["Queue"],
                    "FunctionName": self.names[logical],
                    "BatchSize": int(props.get("BatchSize", 10)),
                    "Enabled": bool(props.get("Enabled", True)),
                }
                if "MaximumBatchingWindowInSeconds" in props:
                    kwargs["MaximumBatchingWindowInSeconds"] = int(
                        props["MaximumBatchingWindowInSeconds"]
                    )
                if props.get("FunctionResponseTypes"):
                    kwargs["FunctionResponseTypes"] = props["FunctionResponseTypes"]
                if props.get("ScalingConfig"):
                    kwargs["ScalingConfig"] = props["ScalingConfig"]
                lam.create_event_source_mapping(**kwargs)

    def _create_functions(self) -> None:
        lam = self.client("lambda")
        assert self.iam is not None
        code = _placeholder_zip()
        functions = resources_of_type(self.template, "AWS::Serverless::Function")
        for logical, resource in functions.items():
            env = function_environment(self.template, resource, self.resolver)
            env.update(LOCAL_FUNCTION_ENV)
            env["POWERTOOLS_LOG_LEVEL"] = os.environ.get("REVOPS_LOCAL_LOG_LEVEL", "WARNING")
            code_uri = resource["Properties"]["CodeUri"].rstrip("/")
            arn = self.resolver.attributes[(logical, "Arn")]
            lam.create_function(
                FunctionName=self.names[logical],
                Runtime=function_setting(self.template, resource, "Runtime"),
                Role=self.iam.register_function(logical, arn),
                Handler=resource["Properties"]["Handler"],
                Code={"ZipFile": code},
                Timeout=int(function_setting(self.template, resource, "Timeout") or 3),
                MemorySize=int(function_setting(self.template, resource, "MemorySize") or 128),
                Environment={"Variables": env},
                Tags={moto_patches.CODE_URI_TAG: code_uri},
            )

    def _create_state_machines(self) -> None:
        sfn = self.client("stepfunctions")
        assert self.iam is not None
        machines = resources_of_type(self.template, "AWS::Serverless::StateMachine")
        for logical, resource in machines.items():
            props = resource["Properties"]
            definition = render_definition(
                props["DefinitionUri"],
                {
                    key: str(self.resolver.resolve(value))
                    for key, value in props.get("DefinitionSubstitutions", {}).items()
                },
            )
            sfn.create_state_machine(
                name=self.names[logical],
                definition=definition,
                roleArn=self.iam.register_state_machine(logical),
                type=props.get("Type", "STANDARD"),
            )

    def _install_standins(self) -> None:
        from local.elevenlabs import FakeElevenLabs
        from local.gohighlevel import FakeGoHighLevel
        from local.salesforce import FakeOrg

        secrets = local_secret_values()
        self.org = FakeOrg.with_standard_objects()
        self.org.web.register_app(
            SIGN_IN_CLIENT_ID, SIGN_IN_CLIENT_SECRET, [f"{LOCAL_DOCS_BASE_URL}/auth/callback"]
        )
        self.org.install()
        self._exit.callback(self.org.uninstall)
        self.elevenlabs = FakeElevenLabs(api_key=secrets["ElevenLabsSecret"]["api_key"])
        self.elevenlabs.install()
        self._exit.callback(self.elevenlabs.uninstall)
        self.ghl = FakeGoHighLevel(
            client_id=secrets["GoHighLevelSecret"]["client_id"],
            client_secret=secrets["GoHighLevelSecret"]["client_secret"],
        )
        self.ghl.install()
        self._exit.callback(self.ghl.uninstall)

    # ------------------------------------------------------------------ running

    def state_machine_arn(self, logical_id: str) -> str:
        return self.resolver.refs[logical_id]

    def start(self, logical_id: str, payload: Any = None, name: str | None = None) -> str:
        kwargs: dict[str, Any] = {
            "stateMachineArn": self.state_machine_arn(logical_id),
            "input": json.dumps(payload if payload is not None else {}),
        }
        if name:
            kwargs["name"] = name
        return str(self.client("stepfunctions").start_execution(**kwargs)["executionArn"])

    def wait(self, execution_arn: str, timeout: float = 120.0) -> ExecutionResult:
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still running after {timeout}s")
            time.sleep(0.02)
        output = described.get("output")
        return ExecutionResult(
            arn=execution_arn,
            status=described["status"],
            output=json.loads(output) if output else None,
            error=described.get("error"),
            cause=described.get("cause"),
        )

    def run(
        self,
        logical_id: str,
        payload: Any = None,
        *,
        name: str | None = None,
        timeout: float = 120.0,
    ) -> ExecutionResult:
        return self.wait(self.start(logical_id, payload, name), timeout)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def invoke(self, logical_id: str, event: Any) -> tuple[Any, str | None]:
        """Invoke a function by its logical id, as `aws lambda invoke` would."""
        response = self.client("lambda").invoke(
            FunctionName=self.names[logical_id], Payload=json.dumps(event).encode()
        )
        return json.loads(response["Payload"].read() or b"null"), response.get("FunctionError")


QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


def _queue_attribute(value: Any) -> str:
    """A CloudFormation queue property as SQS's CreateQueue takes it (strings; JSON policies)."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@functools.cache
def _harness_client(service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
    )


def render_definition(definition_uri: str, substitutions: dict[str, str]) -> str:
    """The ASL file with `${Name}` replaced, exactly as SAM does on deploy."""
    text = (REPO_ROOT / definition_uri).read_text()
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", value)
    return text


def create_table(ddb: Any, name: str, props: dict[str, Any]) -> None:
    """Create a table from an AWS::DynamoDB::Table's Properties, as CloudFormation would."""
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    ddb.create_table(**kwargs)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


@contextmanager
def local_stack(**kwargs: Any) -> Iterator[LocalStack]:
    with LocalStack(**kwargs) as stack:
        yield stack
