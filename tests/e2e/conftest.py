"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import pytest

from local.stack import LocalStack
from tests.e2e.migration_org import Org, make_org


@pytest.fixture
def org(stack: LocalStack) -> Org:
    """30 DocListEntry__c records over 3 accounts, their files in the source bucket."""
    return make_org(stack)
