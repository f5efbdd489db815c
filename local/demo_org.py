"""Deterministic demo sales org: the users, accounts, opportunities, meeting events and
the three saved "Boca" reports behind the weekly velocity reports.

Generation is pure: `generate_org` returns frozen dataclasses built from a seeded
`random.Random` and a fixed reference date. `load_org` pushes a dataset into a
`local.salesforce.FakeOrg` (typed here as a protocol). Every deliberate oddity
is planted on purpose and exported (`OrgData`: the empty week, quiet reps...).
`local.demo_data` re-exports everything here.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from local.salesforce.sharing import SYSTEM_ADMINISTRATOR

DEFAULT_SEED = 7
DEFAULT_AS_OF = date(2025, 11, 4)
DEFAULT_WEEKS = 24
ORG_TIME_ZONE = "America/New_York"
"""The demo org's zone (the template's OrgTimeZone default): every time is made on its
wall clock, all day long, so records fall on both sides of UTC midnight."""
ORG_LOCALE = "en_US"
INTEGRATION_USERNAME = "integration@revops.example"
"""The user the local stack's Salesforce secret logs in as (it runs the saved reports)."""

# ---------------------------------------------------------------------------
# Sales org constants
# ---------------------------------------------------------------------------

BOCA_LEAD_SOURCE = "Boca"
MEETING_EVENT_TYPE = "Meeting"
MEETING_ATTENDED_PREFIX = "Meeting Attended"
"""Attended meetings are Events with Type 'Meeting' whose Subject starts with this."""

BOCA_REPORT_IDS: dict[str, str] = {
    "meetings": "00O8c000001BocaMTG",
    "opp_dollars": "00O8c000001BocaOPD",
    "closed_won": "00O8c000001BocaCWN",
}
"""Saved-report Ids of the three Boca reports, keyed by the metric they feed."""

MEETINGS_ATTENDED_FILTER = (
    f"Type = '{MEETING_EVENT_TYPE}' AND Subject LIKE '{MEETING_ATTENDED_PREFIX}%'"
)
BOCA_OPP_FILTER = f"LeadSource = '{BOCA_LEAD_SOURCE}'"
BOCA_CLOSED_WON_FILTER = f"LeadSource = '{BOCA_LEAD_SOURCE}' AND IsWon = true"

DUPLICATE_NAME_USER_KEYS = ("user-03", "user-04")
"""Two different reps who share the Name 'Alex Morgan' (different emails)."""
INACTIVE_USER_KEY = "user-07"
"""Rep with IsActive false: active in the early weeks, silent for the last three."""
LATE_START_USER_KEY = "user-08"
"""Rep who first appears (is created, owns accounts, acts) in the middle of the range."""

OPEN_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
LEAD_SOURCES = ("Web", "Partner Referral", "Outbound", "Trade Show", "Inbound Call")
OPPORTUNITY_TYPES = ("New Business", "Existing Business", "Renewal")

AWKWARD_ACCOUNT_NAMES: dict[str, str] = {
    "slash": "Smith/Jones Partners LLP",
    "unicode": "Société Générale Québec – Müller & Söhne",  # noqa: RUF001 - en dash on purpose
    "cjk": "日本語商事株式会社",
    "emoji": "Rocket 🚀 Labs",
    "long": (
        "The Extremely Long Named International Consolidated Holdings and Subsidiaries "
        "of North America, Europe, the Middle East, Africa and Asia-Pacific "
        "(Including All Affiliated Entities, Joint Ventures and Special Purpose Vehicles) Inc."
    ),
    "apostrophe": "O'Brien's Hardware & Supply",
}
"""Account names that break naive path building or quoting, keyed by tag."""


class OrgLike(Protocol):
    """What `load_org` / `load_documents` need from `local.salesforce.FakeOrg`."""

    def insert(self, sobject: str, record: dict[str, Any]) -> str: ...

    def add_report(
        self,
        report_id: str,
        name: str,
        *,
        sobject: str,
        date_field: str,
        owner_field: str,
        aggregate: str = ...,
        report_filters: Sequence[Mapping[str, Any]] = ...,
    ) -> Any: ...


# ---------------------------------------------------------------------------
# Sales org
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UserSpec:
    """A Salesforce User (a sales rep). `first_week`/`last_week` index `OrgData.week_starts`."""

    key: str
    name: str
    email: str
    is_active: bool
    first_week: int
    last_week: int | None
    created: datetime


@dataclass(frozen=True)
class AccountSpec:
    """A Salesforce Account. `tags` names what is awkward about `name` (see AWKWARD_ACCOUNT_NAMES)."""

    key: str
    name: str
    owner_key: str
    type: str
    industry: str | None
    created: datetime
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpportunitySpec:
    """A Salesforce Opportunity; `lead_source == BOCA_LEAD_SOURCE` means Boca-sourced."""

    key: str
    name: str
    account_key: str
    owner_key: str
    amount: float | None
    stage: str
    close_date: date
    is_closed: bool
    is_won: bool
    lead_source: str | None
    type: str
    created: datetime
    modified: datetime


@dataclass(frozen=True)
class EventSpec:
    """A Salesforce Event. Attended meetings: Type 'Meeting', Subject 'Meeting Attended - ...'."""

    key: str
    subject: str
    owner_key: str
    what_key: str
    activity_date: date
    start: datetime
    end: datetime
    type: str
    attended: bool
    created: datetime


@dataclass(frozen=True)
class ReportSpec:
    """A saved report grouped by week (`date_field`) then owner (`owner_field`), with its
    saved filters as the Analytics API shows them (`report_filters`, ANDed)."""

    report_id: str
    name: str
    sobject: str
    date_field: str
    owner_field: str
    aggregate: str
    report_filters: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class OrgData:
    """The whole sales org.

    `week_starts` are the Sundays of the `weeks` complete Sunday-to-Saturday weeks
    before `as_of` (the last one is "last week"). Activity also exists in the
    current, partial week (`current_week_start` .. `as_of` - 1) and a few
    meetings are scheduled after `as_of`. `empty_week` has no activity at all;
    `quiet_weeks` lists planted rep-specific weeks without activity (reps also
    skip random weeks); "activity" means new opportunities and events, older
    opportunities may still close in such a week.
    """

    as_of: date
    week_starts: tuple[date, ...]
    current_week_start: date
    empty_week: date
    quiet_weeks: dict[str, tuple[date, ...]]
    users: tuple[UserSpec, ...]
    accounts: tuple[AccountSpec, ...]
    opportunities: tuple[OpportunitySpec, ...]
    events: tuple[EventSpec, ...]
    reports: tuple[ReportSpec, ...]


_REPS: tuple[tuple[str, str, str], ...] = (
    ("user-01", "Jordan Reyes", "jordan.reyes@revops-demo.test"),
    ("user-02", "Priya Natarajan", "priya.natarajan@revops-demo.test"),
    ("user-03", "Alex Morgan", "alex.morgan@revops-demo.test"),
    ("user-04", "Alex Morgan", "alexandra.morgan@revops-demo.test"),
    ("user-05", "Sam O'Connor", "sam.oconnor@revops-demo.test"),
    ("user-06", "Chloé Dubois", "chloe.dubois@revops-demo.test"),
    ("user-07", "Marcus Webb", "marcus.webb@revops-demo.test"),
    ("user-08", "Dana Kim", "dana.kim@revops-demo.test"),
)
_NAME_HEADS = (
    "Acme", "Beta", "Gamma", "Delta", "Northwind", "Bluewater", "Cedar", "Summit", "Harbor",
    "Ironwood", "Lakeside", "Granite", "Maple", "Orchid", "Pioneer", "Redstone", "Silverline",
    "Trident", "Vantage", "Willow", "Zenith", "Atlas", "Beacon", "Crescent",
)  # fmt: skip
_NAME_TAILS = (
    "Corporation", "Solutions Inc", "Logistics", "Health", "Manufacturing", "Partners",
    "Analytics", "Foods", "Energy", "Dental Group", "Construction", "Media",
)  # fmt: skip
_ACCOUNT_TYPES = ("Customer - Direct", "Customer - Channel", "Prospect", "Partner", "Other")
_INDUSTRIES = ("Technology", "Healthcare", "Manufacturing", "Finance", "Retail", "Education")
_PRODUCTS = ("Platform", "Onboarding", "Expansion", "Support Plan", "Pilot", "Renewal", "Add-on")


def sf_datetime(value: datetime) -> str:
    """Salesforce's datetime wire format, e.g. '2025-10-27T15:04:05.000+0000' (UTC)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def week_start(day: date) -> date:
    """The Sunday on or before `day` (weeks run Sunday to Saturday)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A wall-clock time in the org's zone (DST included)."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=ZoneInfo(ORG_TIME_ZONE))


def _make_users(week_starts: Sequence[date]) -> tuple[UserSpec, ...]:
    weeks = len(week_starts)
    late_first = max(1, weeks // 2 - 2)
    inactive_last = max(0, weeks - 4)
    users = []
    for i, (key, name, email) in enumerate(_REPS):
        first = late_first if key == LATE_START_USER_KEY else 0
        last = inactive_last if key == INACTIVE_USER_KEY else None
        created = _at(week_starts[first] - timedelta(days=120 if first == 0 else 3), 9, i)
        users.append(UserSpec(key, name, email, key != INACTIVE_USER_KEY, first, last, created))
    return tuple(users)


def _account_names(rng: random.Random, count: int) -> list[str]:
    combos = [f"{head} {tail}" for head in _NAME_HEADS for tail in _NAME_TAILS]
    return rng.sample(combos, count)


def _make_accounts(
    rng: random.Random, users: Sequence[UserSpec], week_starts: Sequence[date], count: int = 60
) -> tuple[AccountSpec, ...]:
    awkward = list(AWKWARD_ACCOUNT_NAMES.items())
    plain = _account_names(rng, count - len(awkward))
    named: list[tuple[str, tuple[str, ...]]] = [(n, (tag,)) for tag, n in awkward]
    named += [(n, ()) for n in plain]
    rng.shuffle(named)
    accounts = []
    for i, (name, tags) in enumerate(named, start=1):
        owner = users[rng.randrange(len(users))]
        if owner.first_week > 0:
            created = _at(week_starts[owner.first_week] + timedelta(days=rng.randrange(1, 6)), 15)
        else:
            created = _at(week_starts[0] - timedelta(days=rng.randrange(30, 700)), 14)
        industry = rng.choice((*_INDUSTRIES, None))
        acct_type = rng.choice(_ACCOUNT_TYPES)
        accounts.append(
            AccountSpec(f"acct-{i:03d}", name, owner.key, acct_type, industry, created, tags)
        )
    return tuple(accounts)


class _WeekPlan:
    """Which days may carry activity: not the empty week, not on/after `as_of`."""

    def __init__(self, empty_week: date, as_of: date) -> None:
        self.empty_week = empty_week
        self.as_of = as_of

    def blocked(self, day: date) -> bool:
        return self.empty_week <= day < self.empty_week + timedelta(days=7)

    def past_day(self, day: date, not_before: date) -> date:
        """`day` moved to an allowed past day (before `as_of`), never before `not_before`."""
        day = min(day, self.as_of - timedelta(days=1))
        if self.blocked(day):
            day -= timedelta(days=7)
        return max(day, not_before)


def _amount(rng: random.Random) -> float | None:
    if rng.random() < 0.07:
        return None
    return float(max(500, round(rng.lognormvariate(math.log(24000), 0.8) / 500) * 500))


def _lead_source(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.32:
        return BOCA_LEAD_SOURCE
    if roll < 0.38:
        return None
    return rng.choice(LEAD_SOURCES)


def _make_opportunity(
    rng: random.Random,
    key: str,
    owner: UserSpec,
    account: AccountSpec,
    created: datetime,
    plan: _WeekPlan,
) -> OpportunitySpec:
    as_of = plan.as_of
    age = (as_of - created.date()).days
    lead = _lead_source(rng)
    close = created.date() + timedelta(days=rng.randint(2, 75))
    closed = close < as_of and rng.random() < 0.85
    if closed:
        close = plan.past_day(close, created.date())
        won = rng.random() < (0.45 if lead == BOCA_LEAD_SOURCE else 0.35)
        stage = "Closed Won" if won else "Closed Lost"
        modified = _at(close, 17, rng.randrange(60))
    else:
        won = False
        stage = OPEN_STAGES[min(len(OPEN_STAGES) - 1, rng.randrange(1 + age // 15))]
        if plan.blocked(close):  # a past-due open opportunity; keep the empty week empty
            close += timedelta(days=14)
        modified = created + timedelta(days=rng.randint(0, max(0, age - 1)))
    name = f"{account.name} - {rng.choice(_PRODUCTS)}"[:120]
    opp_type = rng.choices(OPPORTUNITY_TYPES, weights=(60, 25, 15))[0]
    return OpportunitySpec(
        key=key,
        name=name,
        account_key=account.key,
        owner_key=owner.key,
        amount=_amount(rng),
        stage=stage,
        close_date=close,
        is_closed=closed,
        is_won=won,
        lead_source=lead,
        type=opp_type,
        created=created,
        modified=modified,
    )


def _meeting_subject(rng: random.Random, account: AccountSpec, attended: bool) -> str:
    if attended:
        return f"{MEETING_ATTENDED_PREFIX} - {account.name}"[:255]
    return f"{rng.choice(('Meeting No-Show', 'Meeting Cancelled'))} - {account.name}"[:255]


def _week_activity(
    rng: random.Random,
    owner: UserSpec,
    days: Sequence[date],
    accounts: Sequence[AccountSpec],
    plan: _WeekPlan,
    counters: dict[str, int],
) -> tuple[list[OpportunitySpec], list[EventSpec]]:
    """One rep's opportunities and events on the given (allowed) days."""
    own = [a for a in accounts if a.owner_key == owner.key] or list(accounts)
    opps: list[OpportunitySpec] = []
    events: list[EventSpec] = []
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
        counters["opp"] += 1
        account = rng.choice(own) if rng.random() < 0.8 else rng.choice(accounts)
        created = _at(rng.choice(days), rng.randint(0, 23), rng.randrange(60))
        opps.append(
            _make_opportunity(rng, f"opp-{counters['opp']:04d}", owner, account, created, plan)
        )
    for _ in range(rng.choice((0, 1, 2, 2, 3, 3, 4, 5))):
        account = rng.choice(own)
        events.append(_event(rng, counters, owner, account, rng.choice(days), meeting=True))
    for _ in range(rng.choice((0, 0, 1, 2))):
        account = rng.choice(own)
        events.append(_event(rng, counters, owner, account, rng.choice(days), meeting=False))
    return opps, events


def _event(
    rng: random.Random,
    counters: dict[str, int],
    owner: UserSpec,
    account: AccountSpec,
    day: date,
    *,
    meeting: bool,
    attended: bool | None = None,
) -> EventSpec:
    """A meeting (attended or not, by chance unless given) or a call about `account`."""
    counters["evt"] += 1
    start = _at(day, rng.randint(7, 23), rng.choice((0, 15, 30, 45)))
    if meeting:
        attended = rng.random() < 0.75 if attended is None else attended
        subject = _meeting_subject(rng, account, attended)
        event_type = MEETING_EVENT_TYPE
    else:
        attended = False
        subject = f"Call - {account.name}"[:255]
        event_type = "Call"
    created = start - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 5))
    return EventSpec(
        key=f"evt-{counters['evt']:04d}",
        subject=subject,
        owner_key=owner.key,
        what_key=account.key,
        activity_date=start.date(),  # the org's local day of the meeting
        start=start,
        end=start + timedelta(minutes=rng.choice((15, 30, 30, 60))),
        type=event_type,
        attended=attended,
        created=created,
    )


def _filter(column: str, operator: str, value: str) -> dict[str, str]:
    return {"column": column, "operator": operator, "value": value}


def _boca_reports() -> tuple[ReportSpec, ...]:
    return (
        ReportSpec(
            report_id=BOCA_REPORT_IDS["meetings"],
            name="Boca - Meetings Attended by Week",
            sobject="Event",
            date_field="ActivityDate",
            owner_field="OwnerId",
            aggregate="RowCount",
            report_filters=(
                _filter("Event.Type", "equals", MEETING_EVENT_TYPE),
                _filter("Event.Subject", "startsWith", MEETING_ATTENDED_PREFIX),
            ),
        ),
        ReportSpec(
            report_id=BOCA_REPORT_IDS["opp_dollars"],
            name="Boca - Sourced Opportunity $ Created by Week",
            sobject="Opportunity",
            date_field="CreatedDate",
            owner_field="OwnerId",
            aggregate="s!Amount",
            report_filters=(_filter("Opportunity.LeadSource", "equals", BOCA_LEAD_SOURCE),),
        ),
        ReportSpec(
            report_id=BOCA_REPORT_IDS["closed_won"],
            name="Boca - Sourced Closed Won $ by Week",
            sobject="Opportunity",
            date_field="CloseDate",
            owner_field="OwnerId",
            aggregate="s!Amount",
            report_filters=(
                _filter("Opportunity.LeadSource", "equals", BOCA_LEAD_SOURCE),
                _filter("Opportunity.IsWon", "equals", "true"),
            ),
        ),
    )


def _active(user: UserSpec, week_index: int) -> bool:
    if week_index < user.first_week:
        return False
    return user.last_week is None or week_index <= user.last_week


def generate_org(
    seed: int = DEFAULT_SEED, as_of: date = DEFAULT_AS_OF, weeks: int = DEFAULT_WEEKS
) -> OrgData:
    """Users, accounts, opportunities, events and Boca reports for `weeks` weeks before `as_of`."""
    if weeks < 8:
        raise ValueError("weeks must be at least 8")
    rng = random.Random(f"revops-org:{seed}")
    current = week_start(as_of)
    starts = tuple(current - timedelta(weeks=weeks - i) for i in range(weeks))
    empty_index = weeks - 5
    plan = _WeekPlan(starts[empty_index], as_of)
    quiet: dict[str, tuple[date, ...]] = {"user-05": (starts[-2],), "user-06": (starts[-1],)}
    users = _make_users(starts)
    accounts = _make_accounts(rng, users, starts)
    counters = {"opp": 0, "evt": 0}
    opps: list[OpportunitySpec] = []
    events: list[EventSpec] = []
    for index, start in enumerate((*starts, current)):
        days = [start + timedelta(days=d) for d in range(7) if start + timedelta(days=d) < as_of]
        if index == empty_index:
            continue
        for user in users:
            if not _active(user, index) or start in quiet.get(user.key, ()):
                continue
            if rng.random() < 0.1:  # a random quiet week
                continue
            new_opps, new_events = _week_activity(rng, user, days, accounts, plan, counters)
            opps += new_opps
            events += new_events
    opps += _anchor_wins(rng, users, accounts, starts, plan, counters)
    edge_opps, edge_events = _midnight_records(users, accounts, starts, counters)
    opps += edge_opps
    events += edge_events
    events += _scheduled_meetings(rng, users, accounts, as_of, counters)
    return OrgData(
        as_of=as_of,
        week_starts=starts,
        current_week_start=current,
        empty_week=starts[empty_index],
        quiet_weeks=quiet,
        users=users,
        accounts=accounts,
        opportunities=tuple(opps),
        events=tuple(events),
        reports=_boca_reports(),
    )


def _anchor_wins(
    rng: random.Random,
    users: Sequence[UserSpec],
    accounts: Sequence[AccountSpec],
    starts: Sequence[date],
    plan: _WeekPlan,
    counters: dict[str, int],
) -> list[OpportunitySpec]:
    """Boca closed-won deals that always exist, whatever the seed: user-01 closes one
    in both the prior and the last week, user-02 only in the last week (prior = 0)."""
    out = []
    by_key = {u.key: u for u in users}
    for user_key, week in (
        ("user-01", starts[-2]),
        ("user-01", starts[-1]),
        ("user-02", starts[-1]),
    ):
        owner = by_key[user_key]
        own = [a for a in accounts if a.owner_key == user_key] or list(accounts)
        close = week + timedelta(days=rng.randint(1, 5))
        created_day = close - timedelta(days=rng.randint(20, 45))
        if plan.blocked(created_day):
            created_day -= timedelta(days=7)
        counters["opp"] += 1
        account = rng.choice(own)
        created = _at(created_day, rng.randint(13, 22), rng.randrange(60))
        out.append(
            OpportunitySpec(
                key=f"opp-{counters['opp']:04d}",
                name=f"{account.name} - Expansion"[:120],
                account_key=account.key,
                owner_key=owner.key,
                amount=float(rng.randrange(10, 60) * 1000),
                stage="Closed Won",
                close_date=close,
                is_closed=True,
                is_won=True,
                lead_source=BOCA_LEAD_SOURCE,
                type="New Business",
                created=created,
                modified=_at(close, 18),
            )
        )
    return out


BOUNDARY_USER_KEYS = ("user-01", "user-03")
"""Reps who own the records planted one second either side of local midnight."""


def _midnight_records(
    users: Sequence[UserSpec],
    accounts: Sequence[AccountSpec],
    starts: Sequence[date],
    counters: dict[str, int],
) -> tuple[list[OpportunitySpec], list[EventSpec]]:
    """Boca deals and attended meetings one second either side of local midnight at both
    ends of last week: Saturday 23:59:59 before it, its Sunday 00:00:00, its Saturday
    23:59:59 and the next Sunday 00:00:00 (the night the demo zone leaves DST, 2025-11-02),
    which UTC puts on other days. Closed-won deals close on the boundary days."""
    last = starts[-1]
    before, first = _at(last - timedelta(days=1), 23, 59, 59), _at(last, 0)
    end, after = _at(last + timedelta(days=6), 23, 59, 59), _at(last + timedelta(days=7), 0)
    by_key = {u.key: u for u in users}
    opps: list[OpportunitySpec] = []
    events: list[EventSpec] = []
    for n, user_key in enumerate(BOUNDARY_USER_KEYS):
        owner = by_key[user_key]
        account = next(a for a in accounts if a.owner_key == user_key)
        for i, moment in enumerate((before, first, end, after)):
            amount = 5000 * (n + 1) + 10**i  # which ones a sum holds shows in its digits
            opps.append(
                _boca_deal(counters, account, f"Midnight {i + 1}", amount, moment, None, won=False)
            )
        for close in (last - timedelta(days=1), last, last + timedelta(days=6)):
            created = _at(close - timedelta(days=14), 23, 59, 59)
            name = f"Boundary win {close}"
            opps.append(_boca_deal(counters, account, name, 7000 + 100 * n, created, close))
        for start in (_at(last - timedelta(days=1), 23, 30), _at(last + timedelta(days=6), 23, 45)):
            counters["evt"] += 1
            events.append(
                EventSpec(
                    key=f"evt-{counters['evt']:04d}",
                    subject=f"{MEETING_ATTENDED_PREFIX} - {account.name}"[:255],
                    owner_key=owner.key,
                    what_key=account.key,
                    activity_date=start.date(),  # local: UTC says the next day
                    start=start,
                    end=start + timedelta(minutes=30),
                    type=MEETING_EVENT_TYPE,
                    attended=True,
                    created=start - timedelta(days=3),
                )
            )
    return opps, events


def _boca_deal(
    counters: dict[str, int],
    account: AccountSpec,
    name: str,
    amount: float,
    created: datetime,
    close: date | None,
    *,
    won: bool = True,
) -> OpportunitySpec:
    """A Boca-sourced deal of the account's owner: won on `close`, or open (`close` None)."""
    counters["opp"] += 1
    return OpportunitySpec(
        key=f"opp-{counters['opp']:04d}",
        name=f"{account.name} - {name}"[:120],
        account_key=account.key,
        owner_key=account.owner_key,
        amount=float(amount),
        stage="Closed Won" if won else "Qualification",
        close_date=close or created.date() + timedelta(days=60),
        is_closed=won,
        is_won=won,
        lead_source=BOCA_LEAD_SOURCE,
        type="New Business",
        created=created,
        modified=_at(close, 23, 59, 59) if close else created,
    )


def _scheduled_meetings(
    rng: random.Random,
    users: Sequence[UserSpec],
    accounts: Sequence[AccountSpec],
    as_of: date,
    counters: dict[str, int],
) -> list[EventSpec]:
    """A few future meetings (not attended yet) for each active rep."""
    events = []
    for user in users:
        if not user.is_active:
            continue
        own = [a for a in accounts if a.owner_key == user.key] or list(accounts)
        for _ in range(rng.randint(1, 2)):
            account = rng.choice(own)
            day = as_of + timedelta(days=rng.randint(1, 10))
            event = _event(rng, counters, user, account, day, meeting=True, attended=False)
            events.append(
                dataclasses.replace(event, subject=f"Meeting Scheduled - {account.name}"[:255])
            )
    return events


def load_org(org: OrgLike, data: OrgData, *, integration_user: bool = True) -> dict[str, str]:
    """Insert `data` into a FakeOrg; returns synthetic key -> Salesforce Id for every record.

    Also registers the three Boca saved reports, the integration user (in the org's
    time zone and locale; its Id under "integration") and, if the org has a `clock`
    attribute, sets it to 14:00 in the org's zone on `data.as_of`.
    """
    ids: dict[str, str] = {}
    for user in data.users:
        ids[user.key] = org.insert("User", _user_record(user))
    for account in data.accounts:
        ids[account.key] = org.insert("Account", _account_record(account, ids))
    for opp in data.opportunities:
        ids[opp.key] = org.insert("Opportunity", _opportunity_record(opp, ids))
    for event in data.events:
        ids[event.key] = org.insert("Event", _event_record(event, ids))
    load_reports(org, data.reports)
    if integration_user:
        # The migration reads and rewrites every DocListEntry__c, private ones
        # included: its user is an administrator, as the runbook asks.
        integration = integration_user_record()
        profiles = getattr(getattr(org, "sharing", None), "profiles", {})
        if SYSTEM_ADMINISTRATOR in profiles:
            integration["ProfileId"] = profiles[SYSTEM_ADMINISTRATOR]
        ids["integration"] = org.insert("User", integration)
    if hasattr(org, "clock"):
        setattr(org, "clock", _at(data.as_of, 14))  # noqa: B010 - not part of OrgLike
    return ids


def integration_user_record(
    time_zone: str = ORG_TIME_ZONE, locale: str = ORG_LOCALE
) -> dict[str, Any]:
    """The integration user, set up as the velocity reports need (StackCheck checks it)."""
    return {
        "Name": "Integration User",
        "Username": INTEGRATION_USERNAME,
        "Email": "integration@revops-demo.test",
        "IsActive": True,
        "TimeZoneSidKey": time_zone,
        "LocaleSidKey": locale,
    }


def load_reports(org: OrgLike, reports: Sequence[ReportSpec] | None = None) -> None:
    """The three Boca saved reports (alone, they are what a StackCheck needs)."""
    for report in _boca_reports() if reports is None else reports:
        org.add_report(
            report.report_id,
            report.name,
            sobject=report.sobject,
            date_field=report.date_field,
            owner_field=report.owner_field,
            aggregate=report.aggregate,
            report_filters=report.report_filters,
        )


def stamps(created: datetime, modified: datetime | None = None) -> dict[str, str]:
    modified = modified or created
    return {
        "CreatedDate": sf_datetime(created),
        "LastModifiedDate": sf_datetime(modified),
        "SystemModstamp": sf_datetime(modified),
    }


def _user_record(user: UserSpec) -> dict[str, Any]:
    return {
        "Name": user.name,
        "Email": user.email,
        "Username": user.email,
        "IsActive": user.is_active,
        "TimeZoneSidKey": ORG_TIME_ZONE,
        "LocaleSidKey": ORG_LOCALE,
    } | stamps(user.created)


def _account_record(account: AccountSpec, ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "Name": account.name,
        "OwnerId": ids[account.owner_key],
        "Type": account.type,
        "Industry": account.industry,
    } | stamps(account.created)


def _opportunity_record(opp: OpportunitySpec, ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "Name": opp.name,
        "AccountId": ids[opp.account_key],
        "OwnerId": ids[opp.owner_key],
        "Amount": opp.amount,
        "StageName": opp.stage,
        "CloseDate": opp.close_date.isoformat(),
        "IsClosed": opp.is_closed,
        "IsWon": opp.is_won,
        "LeadSource": opp.lead_source,
        "Type": opp.type,
    } | stamps(opp.created, opp.modified)


def _event_record(event: EventSpec, ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "Subject": event.subject,
        "OwnerId": ids[event.owner_key],
        "WhatId": ids[event.what_key],
        "ActivityDate": event.activity_date.isoformat(),
        "StartDateTime": sf_datetime(event.start),
        "EndDateTime": sf_datetime(event.end),
        "Type": event.type,
    } | stamps(event.created)
