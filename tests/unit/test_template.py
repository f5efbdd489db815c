"""template.yaml and the ASL files agree, and the template says what we promise."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local.template import REPO_ROOT, load_template, resources_of_type

TEMPLATE = load_template()
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
MACHINES = resources_of_type(TEMPLATE, "AWS::Serverless::StateMachine")
BUCKETS = resources_of_type(TEMPLATE, "AWS::S3::Bucket")


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_every_asl_placeholder_has_a_definition_substitution(logical_id: str) -> None:
    props = MACHINES[logical_id]["Properties"]
    text = (REPO_ROOT / props["DefinitionUri"]).read_text()
    placeholders = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text))
    substitutions = set(props.get("DefinitionSubstitutions", {}))
    assert placeholders - substitutions == set(), "placeholders without a substitution"
    assert substitutions - placeholders == set(), "substitutions the ASL never uses"
    json.loads(text)  # valid JSON as written


def test_every_asl_file_belongs_to_a_state_machine() -> None:
    used = {Path(m["Properties"]["DefinitionUri"]).name for m in MACHINES.values()}
    on_disk = {p.name for p in (REPO_ROOT / "statemachines").glob("*.asl.json")}
    assert on_disk == used


def test_functions_run_python_313_on_arm64() -> None:
    globals_fn = TEMPLATE["Globals"]["Function"]
    assert globals_fn["Runtime"] == "python3.13"
    assert globals_fn["Architectures"] == ["arm64"]
    for resource in FUNCTIONS.values():
        assert resource["Properties"].get("Runtime", "python3.13") == "python3.13"
        assert resource["Properties"].get("Architectures", ["arm64"]) == ["arm64"]


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_its_handler_folder(logical_id: str) -> None:
    props = FUNCTIONS[logical_id]["Properties"]
    folder = REPO_ROOT / props["CodeUri"]
    assert re.fullmatch(r"functions/[a-z]+_[a-z_]+/", props["CodeUri"]), "functions/<verb>_<noun>/"
    module, _, attr = props["Handler"].rpartition(".")
    source = (folder / f"{module}.py").read_text()
    assert f"def {attr}(" in source


def test_shared_code_ships_as_one_python_313_layer() -> None:
    layers = resources_of_type(TEMPLATE, "AWS::Serverless::LayerVersion")
    assert list(layers) == ["CommonLayer"]
    layer = layers["CommonLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert (REPO_ROOT / layer["Properties"]["ContentUri"] / "revops" / "__init__.py").is_file()


@pytest.mark.parametrize("logical_id", sorted(BUCKETS))
def test_buckets_are_private_encrypted_versioned_and_tls_only(logical_id: str) -> None:
    props = BUCKETS[logical_id]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    policies = [
        r
        for r in resources_of_type(TEMPLATE, "AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    assert policies, f"{logical_id} has no bucket policy"
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


def test_secrets_exist_for_every_external_system() -> None:
    secrets = resources_of_type(TEMPLATE, "AWS::SecretsManager::Secret")
    assert {"SalesforceSecret", "ElevenLabsSecret", "GoHighLevelSecret", "AdminApiSecret"} <= set(
        secrets
    )
    for secret in secrets.values():
        assert "SecretString" not in secret["Properties"], "no secret value in the template"
