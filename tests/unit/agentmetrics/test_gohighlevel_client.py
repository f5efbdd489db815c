"""The GoHighLevel client against the stand-in: refresh-token rotation under a lock,
failed refreshes that keep the token, rate limits and 429 storms, windows that split."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.fakes_common import ManualClock
from local.gohighlevel import FakeGoHighLevel
from revops.integrations.gohighlevel import (
    GoHighLevelClient,
    GoHighLevelReauthorizationError,
    GoHighLevelRefreshTokenMissingError,
    GoHighLevelThrottledError,
    GoHighLevelUnavailableError,
    OAuthClient,
    RateLimiter,
    SecretsManagerTokenVault,
    StoredToken,
    TokenManager,
)
from revops.store.agentmetrics import AgentMetricsStore
from tests.unit.agentmetrics.conftest import CALENDAR, GHL_ID, GHL_SECRET, LOCATION

T0 = datetime(2026, 1, 5, 15, tzinfo=UTC)


def tokens(
    ghl: FakeGoHighLevel, vault: Any, lock: Any, clock: ManualClock | None = None
) -> TokenManager:
    oauth = OAuthClient(GHL_ID, GHL_SECRET, session=ghl.session())
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs = {"clock": clock, "sleep": clock.advance}
    return TokenManager(LOCATION, vault=vault, lock=lock, oauth=oauth, **kwargs)


def client(
    ghl: FakeGoHighLevel, manager: TokenManager, clock: ManualClock, **kwargs: Any
) -> GoHighLevelClient:
    limiter = RateLimiter(clock=clock, sleep=clock.advance)
    return GoHighLevelClient(
        LOCATION,
        manager,
        session=ghl.session(),
        limiter=limiter,
        sleep=clock.advance,
        retry_base_seconds=0.5,
        **kwargs,
    )


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


class RecordingVault:
    """Wraps the real vault and notes when the new token is stored."""

    def __init__(self, inner: SecretsManagerTokenVault, log: list[str]) -> None:
        self.inner, self.log = inner, log

    def read(self, location_id: str) -> StoredToken | None:
        return self.inner.read(location_id)

    def write(self, location_id: str, token: StoredToken) -> None:
        self.log.append("stored")
        self.inner.write(location_id, token)


def test_refresh_stores_the_new_token_before_using_the_access_token(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    log: list[str] = []
    ghl.add_appointment(
        location_id=LOCATION,
        calendar_id=CALENDAR,
        start=T0,
        status="confirmed",
        assigned_user_id="u",
    )
    manager = tokens(ghl, RecordingVault(vault, log), store)
    original = ghl.handle

    def handle(request: Any, read_timeout: Any = None) -> Any:
        log.append(request.path)
        return original(request, read_timeout)

    ghl.handle = handle  # type: ignore[method-assign]
    events = client(ghl, manager, clock).events(CALENDAR, ms(T0) - 1000, ms(T0) + 1000)
    assert len(events) == 1
    assert log == ["/oauth/token", "stored", "/calendars/events"]
    stored = vault.read(LOCATION)
    assert stored is not None and stored.refresh_token == ghl.current_refresh_token(LOCATION)
    assert stored.refresh_token != seeded_token


def test_a_valid_stored_access_token_is_reused_without_refreshing(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    first = tokens(ghl, vault, store)
    token = first.access_token()
    second = tokens(ghl, vault, store)  # another worker, later
    assert second.access_token() == token
    assert ghl.calls["token"] == 1


def test_concurrent_refreshes_never_lose_the_token(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
) -> None:
    """Eight workers force a refresh at once: each refresh rotates the token, and the
    stored one is always the one GoHighLevel will accept next."""
    workers = [tokens(ghl, vault, store) for _ in range(8)]
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def refresh(manager: TokenManager) -> None:
        try:
            barrier.wait(timeout=5)
            manager.refresh(stale_access_token="whatever")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    stored = vault.read(LOCATION)
    assert stored is not None and stored.refresh_token == ghl.current_refresh_token(LOCATION)
    # Every worker got an access token GoHighLevel accepts, and nobody presented a dead token.
    assert sum(w.refreshes for w in workers) == ghl.calls["token"]
    assert all(status == 200 for status in _token_statuses(ghl))


def _token_statuses(ghl: FakeGoHighLevel) -> list[int]:
    session = ghl.session()
    stored_ok = session.post(
        f"{ghl.base_url}/oauth/token",
        data={
            "client_id": GHL_ID,
            "client_secret": GHL_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": ghl.current_refresh_token(LOCATION),
        },
    )
    return [stored_ok.status_code]


def test_without_the_lock_concurrent_refreshes_would_kill_the_token(
    ghl: FakeGoHighLevel, vault: SecretsManagerTokenVault, seeded_token: str
) -> None:
    """The control experiment: the same race with a lock that always says yes fails."""

    class NoLock:
        def acquire_lock(self, name: str, owner: str, lease_seconds: float) -> bool:
            return True

        def release_lock(self, name: str, owner: str) -> None:
            pass

    workers = [tokens(ghl, vault, NoLock()) for _ in range(4)]
    ghl.latency_secs = 0.05
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def refresh(manager: TokenManager) -> None:
        barrier.wait(timeout=5)
        try:
            manager.refresh(stale_access_token="x")
            outcomes.append("ok")
        except GoHighLevelReauthorizationError:
            outcomes.append("refused")

    threads = [threading.Thread(target=refresh, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert "refused" in outcomes


def test_a_failed_refresh_keeps_the_old_token(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
) -> None:
    ghl.fail_next_refresh(500)
    with pytest.raises(GoHighLevelUnavailableError):
        tokens(ghl, vault, store).access_token()
    stored = vault.read(LOCATION)
    assert stored is not None and stored.refresh_token == seeded_token
    assert ghl.current_refresh_token(LOCATION) == seeded_token  # still good
    assert tokens(ghl, vault, store).access_token()  # and the next try works


def test_invalid_grant_after_another_worker_rotated_uses_the_new_token(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
) -> None:
    manager = tokens(ghl, vault, store)
    rotated = ghl.issue_refresh_token(LOCATION)  # e.g. reconnected meanwhile

    class Racing:
        """The first read sees the old token; then the vault holds the rotated one."""

        def __init__(self) -> None:
            self.reads = 0

        def read(self, location_id: str) -> StoredToken | None:
            self.reads += 1
            return StoredToken(seeded_token if self.reads <= 2 else rotated)

        def write(self, location_id: str, token: StoredToken) -> None:
            vault.write(location_id, token)

    manager.vault = Racing()
    assert manager.access_token()
    stored = vault.read(LOCATION)
    assert stored is not None and stored.refresh_token == ghl.current_refresh_token(LOCATION)


def test_a_revoked_token_asks_for_reconnection_and_keeps_what_is_stored(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
) -> None:
    ghl.revoke(LOCATION)
    with pytest.raises(GoHighLevelReauthorizationError, match="reconnect"):
        tokens(ghl, vault, store).access_token()
    stored = vault.read(LOCATION)
    assert stored is not None and stored.refresh_token == seeded_token


def test_no_stored_token_is_a_typed_error(
    ghl: FakeGoHighLevel, vault: SecretsManagerTokenVault, store: AgentMetricsStore
) -> None:
    with pytest.raises(GoHighLevelRefreshTokenMissingError):
        tokens(ghl, vault, store).access_token()


def test_an_expired_access_token_is_refreshed_once_and_the_call_repeated(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    manager = tokens(ghl, vault, store)
    manager.access_token()
    ghl.expire_access_tokens(LOCATION)
    assert client(ghl, manager, clock).events(CALENDAR, 0, 1000) == []
    assert ghl.calls["token"] == 2


def test_pacing_keeps_a_burst_under_the_limit(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    ghl.clock = clock
    made = client(ghl, tokens(ghl, vault, store, clock), clock)
    for i in range(250):
        made.events(CALENDAR, i, i + 1)
    assert made.throttled == 0
    assert made.requests_sent == 250
    assert made.limiter.waited_seconds >= 20  # two full windows waited out


def test_a_429_storm_backs_off_then_succeeds_or_gives_up_typed(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    made = client(ghl, tokens(ghl, vault, store, clock), clock, max_attempts=6)
    ghl.fail_next(5, 429)
    assert made.events(CALENDAR, 0, 1000) == []
    assert made.throttled == 5
    ghl.fail_next(20, 429)
    with pytest.raises(GoHighLevelThrottledError):
        made.events(CALENDAR, 0, 1000)


def test_the_client_learns_the_limit_from_the_headers(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    ghl.clock = clock
    ghl.burst_limit = 5  # stricter than the published 100
    made = client(ghl, tokens(ghl, vault, store, clock), clock)
    for i in range(12):
        made.events(CALENDAR, i, i + 1)
    assert made.throttled == 0 and made.limiter.max_requests == 5
    assert made.limiter.waited_seconds >= 10


def test_a_budget_spent_by_another_worker_waits_out_the_interval(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    ghl.clock = clock
    manager = tokens(ghl, vault, store, clock)
    made = client(ghl, manager, clock)
    made.events(CALENDAR, 0, 1)
    other = ghl.session()  # another worker, same location, same window
    for _ in range(99):
        other.get(
            f"{ghl.base_url}/calendars/events",
            params={"locationId": LOCATION, "calendarId": CALENDAR, "startTime": 0, "endTime": 1},
            headers={"Authorization": f"Bearer {manager.access_token()}", "Version": "2021-04-15"},
        )
    started = clock()
    assert made.events(CALENDAR, 0, 1) == []
    assert made.throttled == 1
    assert clock() - started >= 10


def test_a_full_window_is_split_until_nothing_is_truncated(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    ghl.max_events_per_response = 10
    for i in range(57):
        ghl.add_appointment(
            location_id=LOCATION,
            calendar_id=CALENDAR,
            start=T0 + timedelta(hours=7 * i),
            status="confirmed",
            assigned_user_id="u",
        )
    made = client(ghl, tokens(ghl, vault, store, clock), clock, max_events_per_window=10)
    found = made.events(CALENDAR, ms(T0), ms(T0 + timedelta(days=30)) - 1)
    assert len(found) == 57 == len({e["id"] for e in found})
    assert ghl.calls["events"] > 6


def test_tokens_too_large_for_secrets_manager_are_refused_before_the_write(
    vault: SecretsManagerTokenVault, seeded_token: str
) -> None:
    from revops.integrations.gohighlevel import (
        SECRET_STRING_MAX_BYTES,
        GoHighLevelTokenTooLargeError,
    )

    huge = StoredToken("r" * SECRET_STRING_MAX_BYTES, access_token="a")
    with pytest.raises(GoHighLevelTokenTooLargeError, match="65,536"):
        vault.write(LOCATION, huge)
    stored = vault.read(LOCATION)
    assert stored is not None and stored.refresh_token == seeded_token
