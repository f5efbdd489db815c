"""Deterministic demo dataset for the offline stack.

Three parts, one per job the application replaces:

* the sales org (users, accounts, opportunities, meeting events and the three
  saved "Boca" reports) behind the weekly velocity reports, in `local.demo_org`
  (re-exported here);
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

from local.demo_org import (
    AWKWARD_ACCOUNT_NAMES as AWKWARD_ACCOUNT_NAMES,
)
from local.demo_org import (
    BOCA_CLOSED_WON_FILTER as BOCA_CLOSED_WON_FILTER,
)
from local.demo_org import (
    BOCA_LEAD_SOURCE as BOCA_LEAD_SOURCE,
)
from local.demo_org import (
    BOCA_OPP_FILTER as BOCA_OPP_FILTER,
)
from local.demo_org import (
    BOCA_REPORT_IDS as BOCA_REPORT_IDS,
)
from local.demo_org import (
    BOUNDARY_USER_KEYS as BOUNDARY_USER_KEYS,
)
from local.demo_org import (
    DEFAULT_AS_OF as DEFAULT_AS_OF,
)
from local.demo_org import (
    DEFAULT_SEED as DEFAULT_SEED,
)
from local.demo_org import (
    DEFAULT_WEEKS as DEFAULT_WEEKS,
)
from local.demo_org import (
    DUPLICATE_NAME_USER_KEYS as DUPLICATE_NAME_USER_KEYS,
)
from local.demo_org import (
    INACTIVE_USER_KEY as INACTIVE_USER_KEY,
)
from local.demo_org import (
    INTEGRATION_USERNAME as INTEGRATION_USERNAME,
)
from local.demo_org import (
    LATE_START_USER_KEY as LATE_START_USER_KEY,
)
from local.demo_org import (
    LEAD_SOURCES as LEAD_SOURCES,
)
from local.demo_org import (
    MEETING_ATTENDED_PREFIX as MEETING_ATTENDED_PREFIX,
)
from local.demo_org import (
    MEETING_EVENT_TYPE as MEETING_EVENT_TYPE,
)
from local.demo_org import (
    MEETINGS_ATTENDED_FILTER as MEETINGS_ATTENDED_FILTER,
)
from local.demo_org import (
    OPEN_STAGES as OPEN_STAGES,
)
from local.demo_org import (
    OPPORTUNITY_TYPES as OPPORTUNITY_TYPES,
)
from local.demo_org import (
    ORG_LOCALE as ORG_LOCALE,
)
from local.demo_org import (
    ORG_TIME_ZONE as ORG_TIME_ZONE,
)

# The sales org (velocity) lives in local.demo_org; its names are re-exported here.
from local.demo_org import (
    AccountSpec as AccountSpec,
)
from local.demo_org import (
    EventSpec as EventSpec,
)
from local.demo_org import (
    OpportunitySpec as OpportunitySpec,
)
from local.demo_org import (
    OrgData as OrgData,
)
from local.demo_org import (
    OrgLike as OrgLike,
)
from local.demo_org import (
    ReportSpec as ReportSpec,
)
from local.demo_org import (
    UserSpec as UserSpec,
)
from local.demo_org import (
    generate_org as generate_org,
)
from local.demo_org import (
    integration_user_record as integration_user_record,
)
from local.demo_org import (
    load_org as load_org,
)
from local.demo_org import (
    load_reports as load_reports,
)
from local.demo_org import (
    sf_datetime as sf_datetime,
)
from local.demo_org import (
    stamps as stamps,
)
from local.demo_org import (
    week_start as week_start,
)

if TYPE_CHECKING:
    from local.files import FakeFileHost


DEFAULT_END_MONTH = "2025-10"
DEFAULT_MONTHS = 12

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


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


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
    } | stamps(doc.created, doc.modified)


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
