"""The demo dataset: determinism, planted faults and anomalies, and loading."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws

from local import demo_data as dd

# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def org() -> dd.OrgData:
    return dd.generate_org()


@pytest.fixture(scope="module")
def docs(org: dd.OrgData) -> list[dd.DocumentSpec]:
    return dd.generate_documents(accounts=org.accounts)


@pytest.fixture(scope="module")
def voice() -> dd.VoiceData:
    return dd.generate_voice()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


class RecordingOrg:
    """Duck-typed FakeOrg: remembers inserts and reports, hands out fake Ids."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        self.clock: datetime | None = None
        self._serial = itertools.count(1)

    def insert(self, sobject: str, record: dict[str, Any]) -> str:
        record_id = f"{sobject[:3].upper()}{next(self._serial):015d}"
        self.records.setdefault(sobject, {})[record_id] = dict(record)
        return record_id

    def add_report(self, report_id: str, name: str, **kwargs: Any) -> None:
        self.reports[report_id] = {"name": name, **kwargs}


class RecordingElevenLabs:
    def __init__(self) -> None:
        self.conversations: list[dict[str, Any]] = []

    def add_conversation(self, **kwargs: Any) -> str:
        self.conversations.append(kwargs)
        return str(kwargs["conversation_id"])


class RecordingGhl:
    def __init__(self) -> None:
        self.appointments: list[dict[str, Any]] = []
        self.locations: dict[str, str | None] = {}

    def add_location(self, location_id: str, *, timezone: str | None = None) -> None:
        self.locations[location_id] = timezone

    def add_appointment(self, **kwargs: Any) -> str:
        self.appointments.append(kwargs)
        return str(kwargs["appointment_id"])

    def issue_refresh_token(self, location_id: str) -> str:
        return f"refresh-{location_id}"


def _in_week(day: date, sunday: date) -> bool:
    return sunday <= day < sunday + timedelta(days=7)


def _parse_document_url(url: str) -> tuple[str, str] | None:
    """(bucket, key) for the S3 URL styles, as a migration would parse them."""
    if url.startswith("s3://"):
        bucket, _, key = url.removeprefix("s3://").partition("/")
        return bucket, key
    if url.startswith("https://s3.amazonaws.com/"):
        bucket, _, key = url.removeprefix("https://s3.amazonaws.com/").partition("/")
        return bucket, unquote(key)
    if url.startswith("https://") and ".s3." in url.split("/")[2]:
        host, _, key = url.removeprefix("https://").partition("/")
        return host.split(".s3.")[0], unquote(key)
    return None


# ------------------------------------------------------------- determinism


def test_same_seed_gives_identical_output() -> None:
    assert dd.to_json(dd.generate_org()) == dd.to_json(dd.generate_org())
    assert dd.digest(dd.generate_documents()) == dd.digest(dd.generate_documents())
    assert dd.to_json(dd.generate_voice()) == dd.to_json(dd.generate_voice())
    assert dd.generate_voice() == dd.generate_voice()


def test_different_seed_gives_different_output() -> None:
    assert dd.to_json(dd.generate_org(seed=8)) != dd.to_json(dd.generate_org())
    assert dd.digest(dd.generate_documents(seed=8)) != dd.digest(dd.generate_documents())
    assert dd.to_json(dd.generate_voice(seed=8)) != dd.to_json(dd.generate_voice())


# --------------------------------------------------------------- sales org


def test_weeks_run_sunday_to_saturday_before_as_of(org: dd.OrgData) -> None:
    assert len(org.week_starts) == 24
    assert all(d.weekday() == 6 for d in org.week_starts)
    assert org.week_starts[-1] == date(2025, 10, 26)  # "last week" for a 2025-11-04 run
    assert org.current_week_start == date(2025, 11, 2)
    assert all(o.created.date() < org.as_of for o in org.opportunities)
    assert all(o.close_date < org.as_of for o in org.opportunities if o.is_closed)


def test_users_cover_the_awkward_cases(org: dd.OrgData) -> None:
    users = {u.key: u for u in org.users}
    assert len(users) == 8
    first, second = (users[k] for k in dd.DUPLICATE_NAME_USER_KEYS)
    assert first.name == second.name and first.email != second.email
    assert [u.key for u in org.users if not u.is_active] == [dd.INACTIVE_USER_KEY]
    late = users[dd.LATE_START_USER_KEY]
    assert 0 < late.first_week < len(org.week_starts) - 4
    late_start = org.week_starts[late.first_week]
    assert late.created.date() >= late_start - timedelta(days=7)
    late_opps = [o for o in org.opportunities if o.owner_key == late.key]
    assert late_opps and min(o.created.date() for o in late_opps) >= late_start
    inactive_last = org.week_starts[users[dd.INACTIVE_USER_KEY].last_week or 0] + timedelta(7)
    assert all(
        o.created.date() < inactive_last
        for o in org.opportunities
        if o.owner_key == dd.INACTIVE_USER_KEY
    )


def test_accounts_have_owners_and_awkward_names(org: dd.OrgData) -> None:
    user_keys = {u.key for u in org.users}
    assert 55 <= len(org.accounts) <= 65
    assert all(a.owner_key in user_keys for a in org.accounts)
    tags = {t for a in org.accounts for t in a.tags}
    assert tags == set(dd.AWKWARD_ACCOUNT_NAMES)
    assert any(len(a.name) > 200 for a in org.accounts)
    assert len({a.name for a in org.accounts}) == len(org.accounts)


def test_activity_covers_twenty_weeks_with_one_empty_week(org: dd.OrgData) -> None:
    def active(sunday: date) -> bool:
        return any(_in_week(o.created.date(), sunday) for o in org.opportunities) or any(
            _in_week(e.activity_date, sunday) for e in org.events
        )

    active_weeks = [w for w in org.week_starts if active(w)]
    assert len(active_weeks) >= 20
    assert [w for w in org.week_starts if not active(w)] == [org.empty_week]
    assert org.empty_week not in org.week_starts[-2:]
    assert not any(_in_week(o.close_date, org.empty_week) for o in org.opportunities)


def test_planted_quiet_weeks_and_gaps_per_rep(org: dd.OrgData) -> None:
    for user_key, weeks in org.quiet_weeks.items():
        for sunday in weeks:
            assert not any(
                o.owner_key == user_key and _in_week(o.created.date(), sunday)
                for o in org.opportunities
            )
            assert not any(
                e.owner_key == user_key and _in_week(e.activity_date, sunday) for e in org.events
            )
    # Beyond the planted ones, some active reps skip some weeks.
    skipped = 0
    for user, sunday in itertools.product(org.users, org.week_starts):
        idle = not any(
            o.owner_key == user.key and _in_week(o.created.date(), sunday)
            for o in org.opportunities
        )
        skipped += idle and sunday != org.empty_week
    assert skipped > 10


def test_opportunities_are_varied_and_partly_boca(org: dd.OrgData) -> None:
    opps = org.opportunities
    assert len(opps) >= 200
    boca = [o for o in opps if o.lead_source == dd.BOCA_LEAD_SOURCE]
    assert 0.15 < len(boca) / len(opps) < 0.5
    assert any(o.amount is None for o in opps)
    assert any(o.lead_source is None for o in opps)
    assert {o.type for o in opps} == set(dd.OPPORTUNITY_TYPES)
    assert {"Closed Won", "Closed Lost"} <= {o.stage for o in opps}
    assert set(dd.OPEN_STAGES) & {o.stage for o in opps}
    for o in opps:
        assert o.is_closed == o.stage.startswith("Closed")
        assert o.is_won == (o.stage == "Closed Won")
        assert o.close_date >= o.created.date()


def test_boca_closed_won_in_last_and_prior_week(org: dd.OrgData) -> None:
    def won(user_key: str, sunday: date) -> float:
        return sum(
            o.amount or 0
            for o in org.opportunities
            if o.owner_key == user_key
            and o.is_won
            and o.lead_source == dd.BOCA_LEAD_SOURCE
            and _in_week(o.close_date, sunday)
        )

    last, prior = org.week_starts[-1], org.week_starts[-2]
    assert won("user-01", last) > 0 and won("user-01", prior) > 0
    assert won("user-02", last) > 0


def test_meetings_attended_are_marked(org: dd.OrgData) -> None:
    meetings = [e for e in org.events if e.type == dd.MEETING_EVENT_TYPE]
    attended = [e for e in meetings if e.attended]
    assert attended and len(attended) < len(meetings)
    assert all(e.subject.startswith(dd.MEETING_ATTENDED_PREFIX) for e in attended)
    assert not any(
        e.subject.startswith(dd.MEETING_ATTENDED_PREFIX) for e in meetings if not e.attended
    )
    assert any(e.type != dd.MEETING_EVENT_TYPE for e in org.events)
    assert any(e.activity_date > org.as_of for e in meetings)  # scheduled, not attended yet
    weeks_with_meetings = {
        w for w in org.week_starts for e in attended if _in_week(e.activity_date, w)
    }
    assert len(weeks_with_meetings) >= 20


def test_boca_reports(org: dd.OrgData) -> None:
    reports = {r.report_id: r for r in org.reports}
    assert set(reports) == set(dd.BOCA_REPORT_IDS.values())
    assert all(r.startswith("00O") and len(r) == 18 for r in reports)
    meetings = reports[dd.BOCA_REPORT_IDS["meetings"]]
    assert (meetings.sobject, meetings.aggregate) == ("Event", "RowCount")
    for metric in ("opp_dollars", "closed_won"):
        report = reports[dd.BOCA_REPORT_IDS[metric]]
        assert (report.sobject, report.aggregate) == ("Opportunity", "s!Amount")
        shown = {(f["column"], f["operator"], f["value"]) for f in report.report_filters}
        assert ("Opportunity.LeadSource", "equals", dd.BOCA_LEAD_SOURCE) in shown
    assert reports[dd.BOCA_REPORT_IDS["closed_won"]].date_field == "CloseDate"


# --------------------------------------------------------------- documents


def test_document_faults_are_all_planted(docs: list[dd.DocumentSpec]) -> None:
    by_fault = dd.faults(docs)
    assert set(by_fault) == set(dd.DOCUMENT_FAULTS)
    assert all(by_fault[f] for f in dd.DOCUMENT_FAULTS)
    assert all(d.url is None for d in by_fault["null_url"])
    for doc in by_fault["malformed_url"]:
        assert doc.url and _parse_document_url(doc.url) is None
        assert not doc.url.startswith(dd.CDN_BASE_URL)
    stored_keys = {d.source_key for d in dd.stored_documents(docs)}
    for doc in by_fault["missing_object"]:
        assert doc.url and doc.source_key not in stored_keys
    assert {d.url_style for d in by_fault["missing_object"]} >= {"virtual_hosted", "plain_https"}
    assert all(d.account_key is None and d.url for d in by_fault["no_account"])
    assert all(d.account_key is not None for d in docs if d.fault != "no_account")


def test_url_styles_all_present_and_consistent(docs: list[dd.DocumentSpec]) -> None:
    assert {d.url_style for d in docs} - {None} == set(dd.URL_STYLES)
    for doc in docs:
        assert doc.url is None or len(doc.url) <= dd.URL_MAX_LENGTH
        if doc.source_bucket is not None:
            assert doc.url is not None
            assert _parse_document_url(doc.url) == (dd.EXTERNAL_BUCKET, doc.source_key)
        elif doc.url_style == "plain_https":
            assert doc.url and doc.url.startswith(dd.CDN_BASE_URL)
    regional = next(d for d in docs if d.url_style == "virtual_hosted_regional")
    assert f".s3.{dd.EXTERNAL_REGION}.amazonaws.com/" in (regional.url or "")


def test_awkward_file_names_all_present(docs: list[dd.DocumentSpec], org: dd.OrgData) -> None:
    assert {t for d in docs for t in d.name_tags} == set(dd.FILE_NAME_TAGS)
    names = [d.file_name for d in docs]
    assert any(len(n) > 200 for n in names)
    for needle in (" ", "é", "ü", "日本語", "🎉", "#", "%", "+"):
        assert any(needle in n for n in names), needle
    per_account = Counter((d.account_key, d.file_name) for d in docs if d.account_key)
    duplicates = [pair for pair, n in per_account.items() if n > 1]
    assert duplicates
    for account_key, name in duplicates:
        same = [d for d in docs if (d.account_key, d.file_name) == (account_key, name)]
        assert len({d.source_key or d.url for d in same}) == len(same)
    extensions = {d.extension for d in docs}
    assert set(dd.EXTENSIONS) | {".PDF"} <= extensions
    account_tags = {
        t for a in org.accounts for t in a.tags if a.key in {d.account_key for d in docs}
    }
    assert {"slash", "unicode", "emoji", "long"} <= account_tags


def test_document_sizes_and_contents(docs: list[dd.DocumentSpec]) -> None:
    sizes = [d.size for d in docs]
    assert len(docs) == 300
    assert 0 in sizes
    assert any(0 < s < 100 for s in sizes)
    assert any(1024 <= s < 1024 * 1024 for s in sizes)
    assert any(s > 1024 * 1024 for s in sizes)
    assert max(sizes) <= dd.MAX_DOCUMENT_BYTES
    assert sum(sizes) < 40 * 1024 * 1024
    for doc in docs:
        content = dd.document_content(doc)
        assert len(content) == doc.size
    pdf = next(d for d in docs if d.extension == ".pdf" and d.size > 100)
    assert dd.document_content(pdf).startswith(b"%PDF-")
    assert len({d.name for d in docs}) == len({d.key for d in docs}) == len(docs)


def test_generate_documents_without_accounts_uses_the_default_org() -> None:
    default_accounts = {a.key for a in dd.generate_org().accounts}
    assert {d.account_key for d in dd.generate_documents(count=60)} - {None} <= default_accounts


# ------------------------------------------------------------------- voice


def _monthly(
    voice: dd.VoiceData,
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    zones = {c.client_id: ZoneInfo(c.time_zone) for c in voice.clients}
    calls: Counter[tuple[str, str]] = Counter()
    booked: Counter[tuple[str, str]] = Counter()
    appts: Counter[tuple[str, str]] = Counter()
    for conv in voice.conversations:
        calls[conv.client_id, f"{conv.start.astimezone(zones[conv.client_id]):%Y-%m}"] += 1
    for appt in voice.appointments:
        key = (appt.client_id, f"{appt.start.astimezone(zones[appt.client_id]):%Y-%m}")
        appts[key] += 1
        booked[key] += appt.status in dd.BOOKED_STATUSES
    return calls, booked, appts


def test_voice_clients(voice: dd.VoiceData) -> None:
    assert len(voice.clients) == 2
    assert {c.attribution for c in voice.clients} == {"assigned_user", "calendar"}
    for client in voice.clients:
        ZoneInfo(client.time_zone)
        assert 1 <= len(client.agents) <= 2
        assert client.location_id and client.cal_id in client.calendar_ids
        assert set(client.agent_for.values()) <= {a.agent_id for a in client.agents}
    assert voice.months == dd.month_range("2025-10", 12)
    assert voice.months[0] == "2024-11"


def test_voice_mix_of_statuses_and_directions(voice: dd.VoiceData) -> None:
    assert {a.status for a in voice.appointments} == set(dd.APPOINTMENT_STATUSES)
    assert {c.direction for c in voice.conversations} == {"inbound", "outbound", None}
    assert {c.call_successful for c in voice.conversations} == {"success", "failure", "unknown"}
    assert all(c.start.tzinfo is not None for c in voice.conversations)
    assert len({c.conversation_id for c in voice.conversations}) == len(voice.conversations)
    assert len({a.appointment_id for a in voice.appointments}) == len(voice.appointments)
    for client in voice.clients:
        keys = {
            a.assigned_user_id if client.attribution == "assigned_user" else a.calendar_id
            for a in voice.appointments
            if a.client_id == client.client_id
        }
        assert set(client.agent_for) <= keys
        assert keys & set(client.unmapped_keys)


def test_voice_anomalies_are_planted(voice: dd.VoiceData) -> None:
    anomalies = voice.anomalies
    assert anomalies.gap_months == dd.VOICE_GAP_MONTHS
    assert anomalies.overbooked == dd.VOICE_OVERBOOKED_MONTHS
    assert anomalies.bookings_without_calls == dd.VOICE_BOOKINGS_WITHOUT_CALLS
    calls, booked, appts = _monthly(voice)
    gaps = {(c, m) for c, months in anomalies.gap_months.items() for m in months}
    for client in voice.clients:
        for month in voice.months:
            key = (client.client_id, month)
            if key in gaps:
                assert calls[key] == 0 and appts[key] == 0, key
            elif key in anomalies.overbooked:
                assert booked[key] > calls[key] > 0, key
            elif key in anomalies.bookings_without_calls:
                assert calls[key] == 0 and booked[key] > 0, key
            else:
                assert calls[key] > 20 and booked[key] > 0, key
                assert booked[key] / calls[key] < 0.6, key


def test_voice_has_calls_across_local_month_boundaries(voice: dd.VoiceData) -> None:
    zones = {c.client_id: ZoneInfo(c.time_zone) for c in voice.clients}
    boundary = [
        c for c in voice.conversations if c.conversation_id in voice.boundary_conversation_ids
    ]
    assert len(boundary) >= 10
    assert {c.client_id for c in boundary} == {c.client_id for c in voice.clients}
    for conv in boundary:
        local = conv.start.astimezone(zones[conv.client_id])
        assert (local.hour, local.minute) == (23, 30)
        assert f"{local:%Y-%m}" != f"{conv.start:%Y-%m}"  # UTC is already next month


# ----------------------------------------------------------------- loading


def test_load_org_into_a_recorder(org: dd.OrgData) -> None:
    recorder = RecordingOrg()
    ids = dd.load_org(recorder, org)
    expected = len(org.users) + len(org.accounts) + len(org.opportunities) + len(org.events)
    assert len(ids) == expected + 1  # and the integration user
    integration = recorder.records["User"][ids["integration"]]
    assert (integration["TimeZoneSidKey"], integration["LocaleSidKey"]) == (
        dd.ORG_TIME_ZONE,
        "en_US",
    )
    assert set(recorder.reports) == set(dd.BOCA_REPORT_IDS.values())
    assert recorder.clock is not None and recorder.clock.date() == org.as_of
    accounts = recorder.records["Account"]
    assert all(r["OwnerId"] in recorder.records["User"] for r in accounts.values())
    opp = recorder.records["Opportunity"][ids[org.opportunities[0].key]]
    assert opp["CreatedDate"].endswith(".000+0000")
    assert opp["AccountId"] in accounts


def test_load_documents_into_moto_s3(
    aws_env: None, org: dd.OrgData, docs: list[dd.DocumentSpec]
) -> None:
    recorder = RecordingOrg()
    account_ids = dd.load_org(recorder, org)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=dd.EXTERNAL_BUCKET)
    doc_ids = dd.load_documents(recorder, s3, dd.EXTERNAL_BUCKET, docs, account_ids)
    assert len(doc_ids) == len(docs)

    listed: dict[str, int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=dd.EXTERNAL_BUCKET):
        listed.update({o["Key"]: o["Size"] for o in page.get("Contents", [])})
    stored = dd.stored_documents(docs)
    assert listed == {d.source_key: d.size for d in stored}
    missing = dd.faults(docs)["missing_object"]
    assert all(d.source_key not in listed for d in missing)

    awkward = next(d for d in stored if "cjk" in d.name_tags or "emoji" in d.name_tags)
    body = s3.get_object(Bucket=dd.EXTERNAL_BUCKET, Key=awkward.source_key)["Body"].read()
    assert body == dd.document_content(awkward)

    records = recorder.records["DocListEntry__c"]
    by_name = {r["Name"]: r for r in records.values()}
    orphan = dd.faults(docs)["no_account"][0]
    assert by_name[orphan.name]["Account__c"] is None
    null = dd.faults(docs)["null_url"][0]
    assert by_name[null.name]["Document__c"] is None
    sample = next(d for d in docs if d.fault is None)
    assert by_name[sample.name]["File_Name__c"] == sample.file_name
    assert by_name[sample.name]["File_Size__c"] == sample.size
    assert by_name[sample.name]["Account__c"] == account_ids[sample.account_key or ""]


def test_load_documents_rejects_another_bucket(docs: list[dd.DocumentSpec]) -> None:
    with pytest.raises(ValueError, match="generated for bucket"):
        dd.load_documents(RecordingOrg(), object(), "some-other-bucket", docs, {})  # type: ignore[arg-type]


def test_cdn_host_serves_plain_https_documents(docs: list[dd.DocumentSpec]) -> None:
    from revops.integrations import transport

    host = dd.serve_cdn(docs)
    try:
        session = transport.new_session()
        served = [d for d in docs if d.url_style == "plain_https" and d.fault is None]
        assert served
        big = max(served, key=lambda d: d.size)
        with session.get(big.url or "", stream=True) as response:
            assert response.status_code == 200
            assert int(response.headers["Content-Length"]) == big.size
            body = b"".join(response.iter_content(64 * 1024))
        assert body == dd.document_content(big)
        for doc in served:
            assert session.get(doc.url or "").content == dd.document_content(doc), doc.url
        gone = next(d for d in dd.faults(docs)["missing_object"] if d.url_style == "plain_https")
        assert session.get(gone.url or "").status_code == 404
    finally:
        host.uninstall()


def test_load_voice_into_recorders(voice: dd.VoiceData) -> None:
    eleven, ghl = RecordingElevenLabs(), RecordingGhl()
    tokens = dd.load_voice(eleven, ghl, voice)
    assert len(eleven.conversations) == len(voice.conversations)
    assert len(ghl.appointments) == len(voice.appointments)
    assert ghl.locations == {c.location_id: c.time_zone for c in voice.clients}
    assert set(tokens) == {c.client_id for c in voice.clients}


# ------------------------------------------------- the real stand-ins, if present


def test_load_voice_into_the_stand_ins(voice: dd.VoiceData) -> None:
    elevenlabs = pytest.importorskip("local.elevenlabs")
    gohighlevel = pytest.importorskip("local.gohighlevel")
    eleven, ghl = elevenlabs.FakeElevenLabs(), gohighlevel.FakeGoHighLevel()
    tokens = dd.load_voice(eleven, ghl, voice)
    assert len(eleven.conversations()) == len(voice.conversations)
    assert len(ghl.appointments()) == len(voice.appointments)
    for client in voice.clients:
        assert ghl.current_refresh_token(client.location_id) == tokens[client.client_id]
        rendered = ghl.appointments(client.location_id)
        offset = datetime.fromisoformat(rendered[0]["startTime"]).utcoffset()
        first = min(
            (a for a in voice.appointments if a.client_id == client.client_id),
            key=lambda a: (a.start, a.appointment_id),
        )
        assert offset == first.start.astimezone(ZoneInfo(client.time_zone)).utcoffset()


def test_load_org_and_documents_into_the_fake_org(
    aws_env: None, org: dd.OrgData, docs: list[dd.DocumentSpec]
) -> None:
    try:
        from local.salesforce import FakeOrg  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        pytest.skip("local.salesforce.FakeOrg is not available yet")
    fake = FakeOrg.with_standard_objects()
    ids = dd.load_org(fake, org)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=dd.EXTERNAL_BUCKET)
    doc_ids = dd.load_documents(fake, s3, dd.EXTERNAL_BUCKET, docs, ids)
    assert len(set(doc_ids.values())) == len(docs)
    assert len(set(ids.values())) == len(ids)
    assert fake.today == org.as_of

    sf = fake.client()
    null_urls = sf.query("SELECT COUNT() FROM DocListEntry__c WHERE Document__c = null")
    assert null_urls["totalSize"] == len(dd.faults(docs)["null_url"])
    orphans = sf.query("SELECT Id, Name FROM DocListEntry__c WHERE Account__c = null")
    assert [r["Name"] for r in orphans["records"]] == [
        d.name for d in dd.faults(docs)["no_account"]
    ]
    long_name = next(d for d in docs if "long" in d.name_tags)
    row = sf.query(
        "SELECT File_Name__c, Document__c, Account__r.Name FROM DocListEntry__c "
        f"WHERE Name = '{long_name.name}'"
    )["records"][0]
    assert (row["File_Name__c"], row["Document__c"]) == (long_name.file_name, long_name.url)

    last_week = org.week_starts[-1]
    attended = sf.query(
        f"SELECT COUNT() FROM Event WHERE {dd.MEETINGS_ATTENDED_FILTER} AND ActivityDate = LAST_WEEK"
    )
    expected = sum(1 for e in org.events if e.attended and _in_week(e.activity_date, last_week))
    assert attended["totalSize"] == expected > 0

    report = sf.restful(f"analytics/reports/{dd.BOCA_REPORT_IDS['closed_won']}")
    assert report is not None
    total = report["factMap"]["T!T"]["aggregates"][0]["value"]
    assert total == sum(
        o.amount or 0
        for o in org.opportunities
        if o.is_won and o.lead_source == dd.BOCA_LEAD_SOURCE
    )
