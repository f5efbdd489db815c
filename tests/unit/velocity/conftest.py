"""Fixtures for the velocity unit tests: moto tables built from template.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from local.stack import create_table
from local.template import load_template
from revops.integrations.objects import DocumentStore
from revops.store.velocity import VelocityHistoryStore

TABLE = "velocity-history"
SITE = "dashboards"


@dataclass
class Aws:
    store: VelocityHistoryStore
    site: DocumentStore

    def site_keys(self) -> list[str]:
        listed = self.site.s3.list_objects_v2(Bucket=self.site.bucket)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def site_text(self, key: str) -> str:
        return str(
            self.site.s3.get_object(Bucket=self.site.bucket, Key=key)["Body"].read().decode()
        )


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        props = load_template()["Resources"]["VelocityHistoryTable"]["Properties"]
        create_table(ddb, TABLE, props)
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=SITE)
        yield Aws(VelocityHistoryStore(TABLE, "us-east-1"), DocumentStore(SITE, s3=s3))
