"""Deterministic demo dataset for the offline stack.

Three parts, one per job the application replaces:

* the sales org (users, accounts, opportunities, meeting events and the three
  saved "Boca" reports) behind the weekly velocity reports;
* the `DocListEntry__c` records and the files they point at in the external
  ("Trackland") bucket, for the two-phase file migration;
* ElevenLabs conversations and GoHighLevel appointments for two voice-agent
  clients, for the monthly metrics and their validation.

Generation is pure: `generate_org`, `generate_documents` and `generate_voice`
return frozen dataclasses built from a seeded `random.Random` and a fixed
reference date, so the same arguments always give equal values and the same
`to_json` text (file contents come from `document_content`, also seeded).
Loading is separate: `load_org`, `load_documents` and `load_voice` push a
dataset into the in-process stand-ins (typed here as protocols, so this module
imports none of them) and into S3 through any boto3 client (moto in tests).

Every deliberate oddity is planted on purpose and exported, so tests elsewhere
can assert on it: the empty week and quiet reps (`OrgData`), the broken file
records (`DocumentSpec.fault`, `DOCUMENT_FAULTS`), the awkward names
(`DocumentSpec.name_tags`, `AccountSpec.tags`) and the voice anomalies
(`VoiceData.anomalies`, `VOICE_GAP_MONTHS` and friends).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from local.files import FakeFileHost


DEFAULT_SEED = 7
DEFAULT_AS_OF = date(2025, 11, 4)
DEFAULT_WEEKS = 24
DEFAULT_END_MONTH = "2025-10"
DEFAULT_MONTHS = 12

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

# ---------------------------------------------------------------------------
# File migration constants
# ---------------------------------------------------------------------------

EXTERNAL_BUCKET = "trackland-doc-storage"
EXTERNAL_REGION = "us-east-1"
CDN_BASE_URL = "https://files.example-cdn.test/"
"""Plain (non-S3) HTTPS host serving a few documents; see `CdnAdapter`."""

URL_STYLES = ("virtual_hosted", "path_style", "s3_uri", "virtual_hosted_regional", "plain_https")
"""How `Document__c` points at a file. https URLs carry a percent-encoded key;
`s3://bucket/key` URIs carry the raw key (like the AWS CLI)."""

DOCUMENT_FAULTS = ("null_url", "malformed_url", "missing_object", "no_account")
"""`DocumentSpec.fault` values. `missing_object` URLs are well formed but 404."""

FILE_NAME_TAGS = (
    "space",
    "unicode",
    "cjk",
    "emoji",
    "hash",
    "percent",
    "plus",
    "ampersand",
    "apostrophe",
    "slash",
    "long",
    "duplicate",
    "uppercase_ext",
)
"""Awkward-file-name categories present in every generated document set."""

EXTENSIONS = (".pdf", ".docx", ".xlsx", ".png", ".jpg", ".txt", ".csv")
URL_MAX_LENGTH = 255
"""Salesforce URL fields (Document__c) hold at most 255 characters."""
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_TOTAL_DOCUMENT_BYTES = 36 * 1024 * 1024

_CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
_MAGIC = {
    ".pdf": b"%PDF-1.7\n",
    ".docx": b"PK\x03\x04",
    ".xlsx": b"PK\x03\x04",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff\xe0",
}

# ---------------------------------------------------------------------------
# Voice-agent constants
# ---------------------------------------------------------------------------

Direction = Literal["inbound", "outbound"]
"""ElevenLabs call direction; None means a web (non-phone) call."""

BOOKED_STATUSES = ("confirmed", "showed")
"""Appointment statuses that count as successful bookings."""
APPOINTMENT_STATUSES = ("new", "confirmed", "cancelled", "showed", "noshow", "invalid")

VOICE_GAP_MONTHS: dict[str, tuple[str, ...]] = {
    "client-coastal": ("2025-01", "2025-02", "2025-06"),
}
"""Default dataset: months with no calls and no appointments at all."""
VOICE_OVERBOOKED_MONTHS: tuple[tuple[str, str], ...] = (("client-maple", "2025-04"),)
"""Default dataset: (client, month) whose bookings exceed its calls."""
VOICE_BOOKINGS_WITHOUT_CALLS: tuple[tuple[str, str], ...] = (("client-maple", "2025-07"),)
"""Default dataset: (client, month) with appointments but zero calls."""

_GAP_OFFSETS = {"client-coastal": (2, 3, 7)}
_OVERBOOKED_OFFSETS = (("client-maple", 5),)
_NO_CALL_OFFSETS = (("client-maple", 8),)


# ---------------------------------------------------------------------------
# Stand-in interfaces (structural, so this module needs none of them to import)
# ---------------------------------------------------------------------------


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
        filters: str | None = ...,
    ) -> Any: ...


class S3ClientLike(Protocol):
    """The one boto3 S3 client call `load_documents` makes."""

    def put_object(self, **kwargs: Any) -> Any: ...


class ElevenLabsLike(Protocol):
    """What `load_voice` needs from `local.elevenlabs.FakeElevenLabs`."""

    def add_conversation(
        self,
        *,
        agent_id: str,
        agent_name: str,
        start: datetime,
        duration_secs: int,
        direction: Direction | None,
        conversation_id: str | None = ...,
        status: str = ...,
        call_successful: str = ...,
    ) -> str: ...


class GoHighLevelLike(Protocol):
    """What `load_voice` needs from `local.gohighlevel.FakeGoHighLevel`."""

    def add_appointment(
        self,
        *,
        location_id: str,
        calendar_id: str,
        start: datetime,
        status: str,
        assigned_user_id: str,
        title: str = ...,
        appointment_id: str | None = ...,
        contact_id: str | None = ...,
        date_added: datetime | None = ...,
    ) -> str: ...

    def add_location(self, location_id: str, *, timezone: str | None = ...) -> None: ...

    def issue_refresh_token(self, location_id: str) -> str: ...


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
    """A saved report grouped by week (`date_field`) then owner (`owner_field`)."""

    report_id: str
    name: str
    sobject: str
    date_field: str
    owner_field: str
    aggregate: str
    filters: str | None


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


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


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
        created = _at(rng.choice(days), rng.randint(13, 22), rng.randrange(60))
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
    start = _at(day, rng.randint(13, 21), rng.choice((0, 15, 30, 45)))
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
        activity_date=start.date(),
        start=start,
        end=start + timedelta(minutes=rng.choice((15, 30, 30, 60))),
        type=event_type,
        attended=attended,
        created=created,
    )


def _boca_reports() -> tuple[ReportSpec, ...]:
    return (
        ReportSpec(
            report_id=BOCA_REPORT_IDS["meetings"],
            name="Boca - Meetings Attended by Week",
            sobject="Event",
            date_field="ActivityDate",
            owner_field="OwnerId",
            aggregate="RowCount",
            filters=MEETINGS_ATTENDED_FILTER,
        ),
        ReportSpec(
            report_id=BOCA_REPORT_IDS["opp_dollars"],
            name="Boca - Sourced Opportunity $ Created by Week",
            sobject="Opportunity",
            date_field="CreatedDate",
            owner_field="OwnerId",
            aggregate="s!Amount",
            filters=BOCA_OPP_FILTER,
        ),
        ReportSpec(
            report_id=BOCA_REPORT_IDS["closed_won"],
            name="Boca - Sourced Closed Won $ by Week",
            sobject="Opportunity",
            date_field="CloseDate",
            owner_field="OwnerId",
            aggregate="s!Amount",
            filters=BOCA_CLOSED_WON_FILTER,
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


def load_org(org: OrgLike, data: OrgData) -> dict[str, str]:
    """Insert `data` into a FakeOrg; returns synthetic key -> Salesforce Id for every record.

    Also registers the three Boca saved reports and, if the org has a `clock`
    attribute, sets it to 14:00 UTC on `data.as_of`.
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
    for report in data.reports:
        org.add_report(
            report.report_id,
            report.name,
            sobject=report.sobject,
            date_field=report.date_field,
            owner_field=report.owner_field,
            aggregate=report.aggregate,
            filters=report.filters,
        )
    if hasattr(org, "clock"):
        setattr(org, "clock", _at(data.as_of, 14))  # noqa: B010 - not part of OrgLike
    return ids


def _stamps(created: datetime, modified: datetime | None = None) -> dict[str, str]:
    modified = modified or created
    return {
        "CreatedDate": sf_datetime(created),
        "LastModifiedDate": sf_datetime(modified),
        "SystemModstamp": sf_datetime(modified),
    }


def _user_record(user: UserSpec) -> dict[str, Any]:
    return {"Name": user.name, "Email": user.email, "IsActive": user.is_active} | _stamps(
        user.created
    )


def _account_record(account: AccountSpec, ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "Name": account.name,
        "OwnerId": ids[account.owner_key],
        "Type": account.type,
        "Industry": account.industry,
    } | _stamps(account.created)


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
    } | _stamps(opp.created, opp.modified)


def _event_record(event: EventSpec, ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "Subject": event.subject,
        "OwnerId": ids[event.owner_key],
        "WhatId": ids[event.what_key],
        "ActivityDate": event.activity_date.isoformat(),
        "StartDateTime": sf_datetime(event.start),
        "EndDateTime": sf_datetime(event.end),
        "Type": event.type,
    } | _stamps(event.created)


# ---------------------------------------------------------------------------
# File migration documents
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSpec:
    """One `DocListEntry__c` record and the file its `Document__c` URL points at.

    `source_bucket`/`source_key` say where the object lives (None when the URL is
    null, malformed or plain HTTPS); for `missing_object` they name the key that
    was never uploaded. The key ends with `file_name`, shortened when the URL
    would exceed URL_MAX_LENGTH (the long-name documents). `url_style` is one of URL_STYLES, or None for the
    null/malformed faults. File bytes come from `document_content(doc)`.
    """

    key: str
    name: str
    account_key: str | None
    file_name: str
    size: int
    url: str | None
    url_style: str | None
    source_bucket: str | None
    source_key: str | None
    content_type: str
    content_seed: int
    created: datetime
    modified: datetime
    fault: str | None = None
    name_tags: tuple[str, ...] = ()

    @property
    def extension(self) -> str:
        """The file name's extension as written (case kept), e.g. '.PDF'."""
        dot = self.file_name.rfind(".")
        return self.file_name[dot:] if dot > 0 else ""


@dataclass(frozen=True)
class _Planted:
    file_name: str
    tags: tuple[str, ...] = ()
    fault: str | None = None
    style: str | None = None
    size: int | None = None
    account_tag: str | None = None
    group: str | None = None  # planted docs sharing a group share one account


_LONG_FILE_NAME = (
    "Master Services Agreement and Statement of Work including all Amendments, Exhibits, "
    "Schedules, Riders, Change Orders and Countersigned Addenda for the Multi Year "
    "Enterprise Platform Rollout Phase One through Phase Four - FINAL executed copy.pdf"
)
_PLANTED: tuple[_Planted, ...] = (
    _Planted("Signed Contract Final v2.pdf", ("space",)),
    _Planted("Résumé – Zoë Müller.docx", ("unicode", "space")),  # noqa: RUF001
    _Planted("Überweisung_März_2025.xlsx", ("unicode",)),
    _Planted("日本語の契約書.pdf", ("cjk",)),
    _Planted("Q3 wins 🎉.xlsx", ("emoji", "space")),
    _Planted("🚀launch-plan.png", ("emoji",)),
    _Planted("Invoice #1042.pdf", ("hash", "space")),
    _Planted("Discount 15% off.pdf", ("percent", "space")),
    _Planted("already%20encoded%2B.txt", ("percent",)),
    _Planted("Smith+Jones NDA.docx", ("plus", "space")),
    _Planted("C++ notes + ideas.txt", ("plus", "space")),
    _Planted("Terms & Conditions.pdf", ("ampersand", "space")),
    _Planted("O'Neil's quote.pdf", ("apostrophe", "space")),
    _Planted("Q1/Q2 summary.csv", ("slash", "space")),
    _Planted(_LONG_FILE_NAME, ("long", "space")),
    _Planted("Contract.pdf", ("duplicate",), group="dup-a"),
    _Planted("Contract.pdf", ("duplicate",), group="dup-a"),
    _Planted("invoice.PDF", ("duplicate", "uppercase_ext"), group="dup-b"),
    _Planted("invoice.PDF", ("duplicate", "uppercase_ext"), group="dup-b"),
    _Planted("SCAN_0001.PDF", ("uppercase_ext",)),
    # every URL style at least once
    _Planted("style-virtual-hosted.pdf", style="virtual_hosted"),
    _Planted("style-path.pdf", style="path_style"),
    _Planted("style-s3-uri.pdf", style="s3_uri"),
    _Planted("style-regional.pdf", style="virtual_hosted_regional"),
    _Planted("cdn brochure.pdf", ("space",), style="plain_https", size=1536 * 1024),
    _Planted("cdn-price-list.csv", style="plain_https"),
    _Planted("cdn photo é.jpg", ("unicode", "space"), style="plain_https"),
    # sizes at the edges
    _Planted("empty.txt", size=0),
    _Planted("empty scan.pdf", ("space",), size=0, style="path_style"),
    _Planted("tiny.txt", size=3),
    _Planted("biggest.pdf", size=MAX_DOCUMENT_BYTES),
    # awkward account names get files too
    _Planted("slash-account.pdf", account_tag="slash"),
    _Planted("unicode-account.docx", account_tag="unicode"),
    _Planted("cjk-account.pdf", account_tag="cjk"),
    _Planted("emoji-account.png", account_tag="emoji"),
    _Planted("long-account.xlsx", account_tag="long"),
    _Planted("apostrophe-account.pdf", account_tag="apostrophe"),
    # deliberate faults
    _Planted("no url.pdf", ("space",), fault="null_url"),
    _Planted("Board deck (final).pdf", ("space",), fault="malformed_url"),
    _Planted("Deleted upload.pdf", ("space",), fault="missing_object", style="virtual_hosted"),
    _Planted("gone-from-cdn.pdf", fault="missing_object", style="plain_https"),
    _Planted("orphan file.docx", ("space",), fault="no_account", style="s3_uri"),
)
_PLAIN_WORDS = (
    "proposal", "invoice", "contract", "report", "minutes", "statement", "quote", "brochure",
    "site_photo", "roster", "budget", "forecast", "agreement", "checklist", "scan", "receipt",
)  # fmt: skip

_STYLE_WEIGHTS = (40, 25, 15, 15, 5)


def document_url(style: str, bucket: str, key: str) -> str:
    """The `Document__c` URL for `key` in the given style (see URL_STYLES)."""
    encoded = quote(key, safe="/")
    if style == "virtual_hosted":
        return f"https://{bucket}.s3.amazonaws.com/{encoded}"
    if style == "path_style":
        return f"https://s3.amazonaws.com/{bucket}/{encoded}"
    if style == "s3_uri":
        return f"s3://{bucket}/{key}"
    if style == "virtual_hosted_regional":
        return f"https://{bucket}.s3.{EXTERNAL_REGION}.amazonaws.com/{encoded}"
    if style == "plain_https":
        return f"{CDN_BASE_URL}{encoded}"
    raise ValueError(f"unknown URL style {style!r}")


def _random_size(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.02:
        return 0
    if roll < 0.10:
        return rng.randint(1, 64)
    if roll < 0.97:
        return int(math.exp(rng.uniform(math.log(1024), math.log(120 * 1024))))
    return rng.randint(512 * 1024, MAX_DOCUMENT_BYTES)


def _plain_file_name(rng: random.Random) -> str:
    ext = rng.choice(EXTENSIONS)
    return f"{rng.choice(_PLAIN_WORDS)}_{rng.randint(2019, 2025)}_{rng.randrange(1000):03d}{ext}"


def _pick_accounts(
    rng: random.Random, accounts: Sequence[AccountSpec], n: int
) -> list[AccountSpec]:
    """Skewed choice: a few accounts hold many files, many hold few or none."""
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(accounts))]
    order = list(accounts)
    rng.shuffle(order)
    return rng.choices(order, weights=weights, k=n)


def generate_documents(
    seed: int = DEFAULT_SEED,
    accounts: Sequence[AccountSpec] | None = None,
    count: int = 300,
    *,
    bucket: str = EXTERNAL_BUCKET,
    as_of: date = DEFAULT_AS_OF,
) -> list[DocumentSpec]:
    """`count` DocListEntry__c records (planted awkward/faulty ones included) over `accounts`.

    `accounts` defaults to `generate_org(seed).accounts`; pass the org's accounts
    so `account_key` resolves through `load_org`'s id map.
    """
    if count < len(_PLANTED):
        raise ValueError(f"count must be at least {len(_PLANTED)}")
    if accounts is None:
        accounts = generate_org(seed, as_of).accounts
    rng = random.Random(f"revops-docs:{seed}")
    by_tag = {tag: a for a in accounts for tag in a.tags}
    group_accounts: dict[str, AccountSpec] = {}
    plans: list[tuple[_Planted, AccountSpec | None]] = []
    for planted in _PLANTED:
        plans.append((planted, _planted_account(rng, planted, accounts, by_tag, group_accounts)))
    for account in _pick_accounts(rng, accounts, count - len(_PLANTED)):
        plans.append((_Planted(_plain_file_name(rng)), account))
    rng.shuffle(plans)
    docs = [
        _document(rng, i, planted, account, bucket, as_of)
        for i, (planted, account) in enumerate(plans, 1)
    ]
    return _cap_total_size(rng, docs)


def _planted_account(
    rng: random.Random,
    planted: _Planted,
    accounts: Sequence[AccountSpec],
    by_tag: Mapping[str, AccountSpec],
    group_accounts: dict[str, AccountSpec],
) -> AccountSpec | None:
    if planted.fault == "no_account":
        return None
    if planted.account_tag is not None and planted.account_tag in by_tag:
        return by_tag[planted.account_tag]
    if planted.group is not None:
        return group_accounts.setdefault(planted.group, rng.choice(accounts))
    return rng.choice(accounts)


def _document(
    rng: random.Random,
    index: int,
    planted: _Planted,
    account: AccountSpec | None,
    bucket: str,
    as_of: date,
) -> DocumentSpec:
    style = planted.style or rng.choices(URL_STYLES, weights=_STYLE_WEIGHTS)[0]
    folder = account.key if account else "unfiled"
    key, url = _location(rng, style, folder, planted.file_name, bucket)
    source_bucket = None if style == "plain_https" else bucket
    url_style: str | None = style
    if planted.fault in ("null_url", "malformed_url"):
        url_style = source_bucket = None
        url = (
            None
            if planted.fault == "null_url"
            else f"https//{bucket}.s3.amazonaws.com/{quote(key)}"
        )
    size = planted.size if planted.size is not None else _random_size(rng)
    created = _at(
        as_of - timedelta(days=rng.randint(1, 720)), rng.randint(12, 23), rng.randrange(60)
    )
    modified = created + timedelta(days=rng.randint(0, max(0, (as_of - created.date()).days - 1)))
    ext = planted.file_name[planted.file_name.rfind(".") :].lower()
    return DocumentSpec(
        key=f"doc-{index:04d}",
        name=f"DLE-{index:06d}",
        account_key=account.key if account else None,
        file_name=planted.file_name,
        size=size,
        url=url,
        url_style=url_style,
        source_bucket=source_bucket,
        source_key=key if source_bucket is not None else None,
        content_type=_CONTENT_TYPES.get(ext, "application/octet-stream"),
        content_seed=rng.getrandbits(32),
        created=created,
        modified=modified,
        fault=planted.fault,
        name_tags=planted.tags,
    )


def _location(
    rng: random.Random, style: str, folder: str, file_name: str, bucket: str
) -> tuple[str, str | None]:
    """(object key or CDN path, URL). The last key segment is the file name, shortened
    (extension kept) when the URL would not fit Salesforce's 255-character URL field."""
    prefix = f"{folder}/{rng.getrandbits(64):016x}/"
    if style != "plain_https":
        prefix = "documents/" + prefix
    dot = file_name.rfind(".")
    stem, ext = (file_name[:dot], file_name[dot:]) if dot > 0 else (file_name, "")
    while True:
        key = f"{prefix}{stem}{ext}"
        url = document_url(style, bucket, key)
        if len(url) <= URL_MAX_LENGTH or not stem:
            return key, url
        stem = stem[:-8].rstrip()


def _cap_total_size(rng: random.Random, docs: list[DocumentSpec]) -> list[DocumentSpec]:
    """Shrink random large, unplanted files until the set fits MAX_TOTAL_DOCUMENT_BYTES."""
    total = sum(d.size for d in docs)
    out = list(docs)
    for i, doc in enumerate(docs):
        if total <= MAX_TOTAL_DOCUMENT_BYTES:
            break
        if doc.size > 256 * 1024 and doc.file_name != "biggest.pdf" and not doc.name_tags:
            smaller = rng.randint(1024, 64 * 1024)
            total -= doc.size - smaller
            out[i] = dataclasses.replace(doc, size=smaller)
    return out


def document_content(doc: DocumentSpec) -> bytes:
    """The file's bytes: a type-appropriate magic prefix, then seeded filler; exactly `doc.size` long."""
    if doc.size == 0:
        return b""
    rng = random.Random(doc.content_seed)
    ext = doc.extension.lower()
    if ext in (".txt", ".csv"):
        header = f"revops demo file {doc.key}: {doc.file_name}\n".encode()
        line = ",".join(str(rng.randrange(10**6)) for _ in range(8)).encode() + b"\n"
        body = line * (doc.size // len(line) + 1)
        return (header + body)[: doc.size]
    head = _MAGIC.get(ext, b"") + f"revops demo file {doc.key}\n".encode()
    return (head + rng.randbytes(max(0, doc.size - len(head))))[: doc.size]


def stored_documents(docs: Iterable[DocumentSpec]) -> list[DocumentSpec]:
    """Documents whose bytes exist in the external bucket after `load_documents`."""
    return [d for d in docs if d.source_bucket is not None and d.fault != "missing_object"]


def cdn_payloads(docs: Iterable[DocumentSpec]) -> dict[str, bytes]:
    """URL -> bytes for the plain-HTTPS documents that exist (missing ones are left out)."""
    return {
        d.url: document_content(d)
        for d in docs
        if d.url_style == "plain_https" and d.url is not None and d.fault != "missing_object"
    }


def faults(docs: Iterable[DocumentSpec]) -> dict[str, list[DocumentSpec]]:
    """The planted broken records, by fault (every DOCUMENT_FAULTS entry is a key)."""
    out: dict[str, list[DocumentSpec]] = {name: [] for name in DOCUMENT_FAULTS}
    for doc in docs:
        if doc.fault is not None:
            out[doc.fault].append(doc)
    return out


def load_documents(
    org: OrgLike,
    s3_client: S3ClientLike,
    bucket: str,
    docs: Sequence[DocumentSpec],
    account_ids: Mapping[str, str],
) -> dict[str, str]:
    """Upload the files to `bucket` and insert the DocListEntry__c records.

    `account_ids` maps account keys to Salesforce Ids (the result of
    `load_org`). The bucket must already exist. Returns document key ->
    DocListEntry__c Id. Plain-HTTPS files are not uploaded; serve them with
    `serve_cdn(docs)`.
    """
    foreign = {d.source_bucket for d in docs if d.source_bucket not in (None, bucket)}
    if foreign:
        raise ValueError(
            f"documents were generated for bucket(s) {sorted(foreign)}, not {bucket!r}"
        )
    for doc in stored_documents(docs):
        s3_client.put_object(
            Bucket=bucket,
            Key=doc.source_key,
            Body=document_content(doc),
            ContentType=doc.content_type,
        )
    ids: dict[str, str] = {}
    for doc in docs:
        ids[doc.key] = org.insert("DocListEntry__c", _document_record(doc, account_ids))
    return ids


def _document_record(doc: DocumentSpec, account_ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "Name": doc.name,
        "Document__c": doc.url,
        "Account__c": account_ids[doc.account_key] if doc.account_key else None,
        "File_Name__c": doc.file_name,
        "File_Size__c": doc.size,
    } | _stamps(doc.created, doc.modified)


def serve_cdn(docs: Iterable[DocumentSpec]) -> FakeFileHost:
    """Serve the plain-HTTPS documents from a `FakeFileHost` at CDN_BASE_URL; installed.

    Undo with `.uninstall()`.
    """
    from local.files import FakeFileHost

    host = FakeFileHost(base_url=CDN_BASE_URL.rstrip("/"))
    for url, data in cdn_payloads(docs).items():
        host.add_file(unquote(url.removeprefix(CDN_BASE_URL)), data)
    return host.install()


# ---------------------------------------------------------------------------
# Voice agents
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentSpec:
    """An ElevenLabs conversational agent."""

    agent_id: str
    name: str


@dataclass(frozen=True)
class ClientSpec:
    """A voice-agent client. `attribution` says how appointments map to agents:
    "assigned_user" (key = GHL assignedUserId) or "calendar" (key = calendar id),
    through `agent_for`. Appointments whose key is not in `agent_for` count for no agent.
    `cal_id` is the client's configured calendar; `calendar_ids` lists every calendar used.
    """

    client_id: str
    name: str
    time_zone: str
    agents: tuple[AgentSpec, ...]
    location_id: str
    cal_id: str
    calendar_ids: tuple[str, ...]
    attribution: str
    agent_for: dict[str, str]
    unmapped_keys: tuple[str, ...]


@dataclass(frozen=True)
class ConversationSpec:
    """An ElevenLabs conversation; `start` is timezone-aware UTC."""

    conversation_id: str
    client_id: str
    agent_id: str
    agent_name: str
    start: datetime
    duration_secs: int
    direction: Direction | None
    status: str
    call_successful: str


@dataclass(frozen=True)
class AppointmentSpec:
    """A GoHighLevel appointment; `start` and `date_added` (when it was booked) are aware UTC."""

    appointment_id: str
    client_id: str
    location_id: str
    calendar_id: str
    start: datetime
    status: str
    assigned_user_id: str
    title: str
    contact_id: str
    date_added: datetime


@dataclass(frozen=True)
class VoiceAnomalies:
    """Planted problems for validation to find; months are 'YYYY-MM' in the client's zone."""

    gap_months: dict[str, tuple[str, ...]]
    overbooked: tuple[tuple[str, str], ...]
    bookings_without_calls: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class VoiceData:
    """Clients, conversations and appointments for `months` ('YYYY-MM', oldest first).

    `boundary_conversation_ids` are calls at 23:30 local time on a month's last
    day: already the next month in UTC, but counted in the local month (so a
    UTC-bucketed count puts one in a planted gap month, e.g. client-coastal's
    2024-12-31 23:30 Vancouver call lands on 2025-01-01 UTC).
    """

    months: tuple[str, ...]
    clients: tuple[ClientSpec, ...]
    conversations: tuple[ConversationSpec, ...]
    appointments: tuple[AppointmentSpec, ...]
    anomalies: VoiceAnomalies
    boundary_conversation_ids: tuple[str, ...] = field(default=())


def _clients() -> tuple[ClientSpec, ...]:
    maple_agents = (
        AgentSpec("agent_01jmaplereception7x2k9q4w", "Maple Reception"),
        AgentSpec("agent_01jmaplerecall3v8n5t1zb", "Maple Recall"),
    )
    coastal_agents = (
        AgentSpec("agent_01jcoastalintake6p4r2m8h", "Coastal Intake"),
        AgentSpec("agent_01jcoastalfollowup9d3s7", "Coastal Follow-up"),
    )
    maple = ClientSpec(
        client_id="client-maple",
        name="Maple Grove Dental",
        time_zone="America/Toronto",
        agents=maple_agents,
        location_id="mApLeGr0v3L0cat10n7x",
        cal_id="mapleCal0mainBk9q2Wz",
        calendar_ids=("mapleCal0mainBk9q2Wz",),
        attribution="assigned_user",
        agent_for={
            "mapleUsrAvaAgent01xq": maple_agents[0].agent_id,
            "mapleUsrMaxAgent02kd": maple_agents[1].agent_id,
        },
        unmapped_keys=("mapleUsrFrontDesk3mp",),
    )
    coastal = ClientSpec(
        client_id="client-coastal",
        name="Coastal Motion Physiotherapy",
        time_zone="America/Vancouver",
        agents=coastal_agents,
        location_id="c0asTalM0t10nL0c8hVb",
        cal_id="coastCalNewPt01aZ7rQ",
        calendar_ids=("coastCalNewPt01aZ7rQ", "coastCalFollow02Lm4e", "coastCalStaff03Yt6p"),
        attribution="calendar",
        agent_for={
            "coastCalNewPt01aZ7rQ": coastal_agents[0].agent_id,
            "coastCalFollow02Lm4e": coastal_agents[1].agent_id,
        },
        unmapped_keys=("coastCalStaff03Yt6p",),
    )
    return (maple, coastal)


def month_range(end_month: str, months: int) -> tuple[str, ...]:
    """`months` consecutive 'YYYY-MM' strings ending with `end_month`, oldest first."""
    year, month = (int(p) for p in end_month.split("-"))
    index = year * 12 + month - 1
    return tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1))


def _month_days(month: str) -> list[date]:
    year, mon = (int(p) for p in month.split("-"))
    first = date(year, mon, 1)
    nxt = date(year + mon // 12, mon % 12 + 1, 1)
    return [first + timedelta(days=d) for d in range((nxt - first).days)]


def _local(day: date, hour: int, minute: int, tz: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _rid(rng: random.Random, prefix: str, length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


def _anomalies(months: Sequence[str]) -> VoiceAnomalies:
    def at(offset: int) -> str | None:
        return months[offset] if offset < len(months) else None

    gaps = {c: tuple(m for o in offs if (m := at(o))) for c, offs in _GAP_OFFSETS.items()}
    over = tuple((c, m) for c, o in _OVERBOOKED_OFFSETS if (m := at(o)))
    no_calls = tuple((c, m) for c, o in _NO_CALL_OFFSETS if (m := at(o)))
    return VoiceAnomalies(gaps, over, no_calls)


def _conversation(
    rng: random.Random, client: ClientSpec, agent: AgentSpec, start: datetime, outbound_bias: float
) -> ConversationSpec:
    roll = rng.random()
    direction: Direction | None = None  # a web call
    if roll >= 0.03:
        direction = "outbound" if roll < 0.03 + outbound_bias else "inbound"
    status = "failed" if rng.random() < 0.04 else "done"
    if status == "failed":
        duration, success = rng.randint(0, 15), "failure"
    else:
        duration = int(rng.lognormvariate(math.log(150), 0.7)) + 5
        success = rng.choices(("success", "failure", "unknown"), weights=(70, 20, 10))[0]
    return ConversationSpec(
        conversation_id=_rid(rng, "conv_", 26),
        client_id=client.client_id,
        agent_id=agent.agent_id,
        agent_name=agent.name,
        start=start,
        duration_secs=duration,
        direction=direction,
        status=status,
        call_successful=success,
    )


def _month_conversations(
    rng: random.Random, client: ClientSpec, month: str, overbooked: bool
) -> list[ConversationSpec]:
    days = _month_days(month)
    out = []
    for a_index, agent in enumerate(client.agents):
        n = rng.randint(6, 10) if overbooked else rng.randint(35, 90) // (a_index + 1)
        bias = 0.15 if a_index == 0 else 0.8
        for _ in range(n):
            start = _local(
                rng.choice(days), rng.randint(8, 19), rng.randrange(60), client.time_zone
            )
            out.append(_conversation(rng, client, agent, start, bias))
    return out


def _booking_key(client: ClientSpec, agent_index: int) -> str:
    return list(client.agent_for)[agent_index]


def _appointment(
    rng: random.Random, client: ClientSpec, start: datetime, status: str, key: str
) -> AppointmentSpec:
    if client.attribution == "calendar":
        calendar_id, user = key, "coastUsrReception9zz"
    else:
        calendar_id, user = client.cal_id, key
    title = rng.choice(("New patient consult", "Follow-up visit", "Cleaning", "Assessment"))
    patient = rng.choice(("J. Smith", "A. Tremblay", "R. Singh", "M. Nguyen", "L. Côté"))
    return AppointmentSpec(
        appointment_id=_rid(rng, "", 20),
        client_id=client.client_id,
        location_id=client.location_id,
        calendar_id=calendar_id,
        start=start,
        status=status,
        assigned_user_id=user,
        title=f"{title} - {patient}",
        contact_id=_rid(rng, "", 20),
        date_added=start - timedelta(days=rng.randint(1, 21), minutes=rng.randrange(600)),
    )


def _month_appointments(
    rng: random.Random,
    client: ClientSpec,
    month: str,
    calls_per_agent: Mapping[str, int],
    overbooked: bool,
) -> list[AppointmentSpec]:
    """Bookings per agent kept to ~10-35% of its calls (more than its calls if overbooked),
    plus unbooked statuses and a few appointments no agent is credited with."""
    days = _month_days(month)
    out = []
    for a_index, agent in enumerate(client.agents):
        calls = calls_per_agent.get(agent.agent_id, 0)
        booked = calls + rng.randint(3, 6) if overbooked else int(calls * rng.uniform(0.1, 0.35))
        if calls == 0:
            booked = rng.randint(4, 9)
        unbooked = rng.randint(1, 5)
        statuses = [rng.choice(BOOKED_STATUSES) for _ in range(booked)]
        statuses += [rng.choice(("new", "cancelled", "noshow", "invalid")) for _ in range(unbooked)]
        for status in statuses:
            start = _local(
                rng.choice(days), rng.randint(9, 17), rng.choice((0, 30)), client.time_zone
            )
            out.append(_appointment(rng, client, start, status, _booking_key(client, a_index)))
    for _ in range(rng.randint(0, 3)):
        start = _local(rng.choice(days), rng.randint(9, 17), 0, client.time_zone)
        status = rng.choice(APPOINTMENT_STATUSES)
        out.append(_appointment(rng, client, start, status, rng.choice(client.unmapped_keys)))
    return out


def _boundary_conversation(rng: random.Random, client: ClientSpec, month: str) -> ConversationSpec:
    """A call at 23:30 local on the month's last day (the next month in UTC)."""
    start = _local(_month_days(month)[-1], 23, 30, client.time_zone)
    conv = _conversation(rng, client, client.agents[0], start, 0.0)
    return dataclasses.replace(conv, direction="inbound", status="done", call_successful="success")


def generate_voice(
    seed: int = DEFAULT_SEED, end_month: str = DEFAULT_END_MONTH, months: int = DEFAULT_MONTHS
) -> VoiceData:
    """Two clients' conversations and appointments for the `months` months ending `end_month`."""
    rng = random.Random(f"revops-voice:{seed}")
    month_list = month_range(end_month, months)
    anomalies = _anomalies(month_list)
    clients = _clients()
    convs: list[ConversationSpec] = []
    appts: list[AppointmentSpec] = []
    boundary: list[str] = []
    for client in clients:
        gaps = anomalies.gap_months.get(client.client_id, ())
        for month in month_list:
            if month in gaps:
                continue
            overbooked = (client.client_id, month) in anomalies.overbooked
            no_calls = (client.client_id, month) in anomalies.bookings_without_calls
            month_convs = [] if no_calls else _month_conversations(rng, client, month, overbooked)
            if not no_calls and not overbooked:
                month_convs.append(_boundary_conversation(rng, client, month))
                boundary.append(month_convs[-1].conversation_id)
            calls: dict[str, int] = {}
            for conv in month_convs:
                calls[conv.agent_id] = calls.get(conv.agent_id, 0) + 1
            convs += month_convs
            appts += _month_appointments(rng, client, month, calls, overbooked)
    return VoiceData(month_list, clients, tuple(convs), tuple(appts), anomalies, tuple(boundary))


def load_voice(elevenlabs: ElevenLabsLike, ghl: GoHighLevelLike, data: VoiceData) -> dict[str, str]:
    """Add every conversation and appointment to the stand-ins.

    Declares each client's GHL location with its time zone first. Returns
    client id -> a GHL refresh token issued for the client's location.
    """
    for client in data.clients:
        ghl.add_location(client.location_id, timezone=client.time_zone)
    for conv in data.conversations:
        elevenlabs.add_conversation(
            agent_id=conv.agent_id,
            agent_name=conv.agent_name,
            conversation_id=conv.conversation_id,
            start=conv.start,
            duration_secs=conv.duration_secs,
            direction=conv.direction,
            status=conv.status,
            call_successful=conv.call_successful,
        )
    for appt in data.appointments:
        ghl.add_appointment(
            location_id=appt.location_id,
            calendar_id=appt.calendar_id,
            start=appt.start,
            status=appt.status,
            assigned_user_id=appt.assigned_user_id,
            title=appt.title,
            appointment_id=appt.appointment_id,
            contact_id=appt.contact_id,
            date_added=appt.date_added,
        )
    return {c.client_id: ghl.issue_refresh_token(c.location_id) for c in data.clients}


# ---------------------------------------------------------------------------
# Serialisation (for determinism checks and fixtures)
# ---------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Canonical JSON text of any generated value (sorted keys, ISO dates)."""
    return json.dumps(_jsonable(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(value: Any, *, contents: bool = True) -> str:
    """SHA-256 of `to_json(value)`, plus every document's bytes when `value` holds DocumentSpecs."""
    h = hashlib.sha256(to_json(value).encode())
    if contents and isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, DocumentSpec):
                h.update(document_content(item))
    return h.hexdigest()
