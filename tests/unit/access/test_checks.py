"""Access decisions come from Salesforce: one Composite call each, positive ones cached briefly."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from local.fakes_common import ManualClock
from local.salesforce import FakeOrg
from revops.access.checks import AccessChecker
from revops.access.settings import DashboardPermission
from revops.integrations.salesforce import SalesforceGateway


@dataclass
class World:
    org: FakeOrg
    checker: AccessChecker
    clock: ManualClock
    owner: str
    other: str
    doc: str


@pytest.fixture
def world() -> World:
    org = FakeOrg.with_standard_objects()
    owner = org.add_user("Olga Owner", username="olga@example.com")
    other = org.add_user("Otto Other", username="otto@example.com")
    org.sharing.set_model("DocListEntry__c", "Private")
    doc = org.insert("DocListEntry__c", {"Name": "Doc", "OwnerId": owner})
    dashboards = org.sharing.add_permission_set("Revops_Dashboards")
    org.sharing.assign_permission_set(owner, dashboards)
    group = org.sharing.add_group("Sales_Ops")
    org.sharing.add_member(group, other)
    clock = ManualClock()
    checker = AccessChecker(
        SalesforceGateway(org.client()),
        DashboardPermission.parse("permissionset:Revops_Dashboards"),
        60,
        clock,
    )
    return World(org, checker, clock, owner, other, doc)


def test_a_decision_is_one_api_call_and_a_repeat_within_a_minute_is_none(world: World) -> None:
    before = world.org.api_usage

    first = world.checker.document("session-1", world.owner, world.doc)
    again = world.checker.document("session-1", world.owner, world.doc)
    world.clock.advance(61)
    later = world.checker.document("session-1", world.owner, world.doc)

    assert first.can_read and first.record_exists and first.user.allowed
    assert again == first and later == first
    assert world.org.api_usage - before == 2  # the first and the one after the cache expired


def test_refusals_are_never_cached_so_a_new_share_works_at_once(world: World) -> None:
    assert not world.checker.document("s", world.other, world.doc).can_read

    world.org.sharing.share(world.doc, world.other)

    assert world.checker.document("s", world.other, world.doc).can_read


def test_the_cache_is_per_session(world: World) -> None:
    world.checker.document("session-1", world.owner, world.doc)
    before = world.org.api_usage

    world.checker.document("session-2", world.owner, world.doc)

    assert world.org.api_usage == before + 1


def test_inactive_frozen_missing_users_and_deleted_records(world: World) -> None:
    world.org.sharing.freeze(world.other)
    frozen = world.checker.document("s", world.other, world.doc).user
    world.org.update("User", world.owner, {"IsActive": False})
    inactive = world.checker.document("s2", world.owner, world.doc).user
    world.org.update("User", world.owner, {"IsActive": True})
    world.org.delete("DocListEntry__c", world.doc)
    deleted = world.checker.document("s3", world.owner, world.doc)
    nobody = world.checker.document("s4", "005000000000000AAA", world.doc).user

    assert frozen.frozen and not frozen.allowed
    assert not inactive.active and not inactive.allowed
    assert not deleted.record_exists and not deleted.can_read
    assert not nobody.exists


def test_the_dashboard_permission_is_a_permission_set_or_a_group(world: World) -> None:
    by_group = AccessChecker(
        world.checker.gateway, DashboardPermission.parse("group:Sales_Ops"), 60, world.clock
    )

    assert world.checker.dashboards("a", world.owner).permitted
    assert not world.checker.dashboards("b", world.other).permitted
    assert by_group.dashboards("c", world.other).permitted
    assert not by_group.dashboards("d", world.owner).permitted


def test_forgetting_a_session_drops_its_cached_answers(world: World) -> None:
    world.checker.document("s", world.owner, world.doc)
    world.checker.forget("s")
    before = world.org.api_usage

    world.checker.document("s", world.owner, world.doc)

    assert world.org.api_usage == before + 1


@pytest.mark.parametrize("bad", ["005' OR Id != '", "x" * 18 + "'", "short"])
def test_ids_that_could_change_the_query_are_refused(world: World, bad: str) -> None:
    with pytest.raises(ValueError):
        world.checker.document("s", bad, world.doc)
    with pytest.raises(ValueError):
        world.checker.document("s", world.owner, bad)


def test_the_org_id_is_read_once(world: World) -> None:
    assert world.checker.org_id() == world.org.org_id
    before = world.org.api_usage
    assert world.checker.org_id() == world.org.org_id
    assert world.org.api_usage == before


def test_a_deactivated_user_loses_even_a_cached_document_within_the_cache_time(
    world: World,
) -> None:
    assert world.checker.document("s", world.owner, world.doc).user.allowed
    world.org.update("User", world.owner, {"IsActive": False})

    world.clock.advance(59)  # the session's cached "yes" may still answer...
    within = world.checker.document("s", world.owner, world.doc)
    world.clock.advance(2)  # ...but never after AccessCacheSeconds (60)
    after = world.checker.document("s", world.owner, world.doc)
    other = world.checker.document(
        "s", world.owner, world.org.insert("DocListEntry__c", {"Name": "New"})
    )

    assert within.user.allowed
    assert not after.user.allowed and not other.user.allowed


def test_the_cache_never_outlives_sixty_seconds_whatever_it_is_told(world: World) -> None:
    checker = AccessChecker(
        world.checker.gateway, world.checker.permission, cache_seconds=3600, clock=world.clock
    )
    checker.document("s", world.owner, world.doc)
    before = world.org.api_usage
    world.clock.advance(61)

    checker.document("s", world.owner, world.doc)

    assert world.org.api_usage == before + 1
