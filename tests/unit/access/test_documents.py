"""How a document is delivered: file names (RFC 6266 / 5987), content types, links, the audit view."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import unquote

import pytest

from revops.access.audit import AccessEvent, AuditLog, access_report, previous_month
from revops.access.documents import content_disposition, content_type
from revops.access.links import document_link, id18, link_prefix, record_id_of
from revops.access.settings import DashboardPermission
from revops.errors import ConfigurationError
from revops.store.access import AuditStore


@pytest.mark.parametrize(
    ("name", "fallback", "encoded"),
    [
        ("Contract 2025.pdf", "Contract 2025.pdf", "Contract%202025.pdf"),
        ("Résumé.pdf", "Resume.pdf", "R%C3%A9sum%C3%A9.pdf"),
        ("東京.pdf", "document.pdf", "%E6%9D%B1%E4%BA%AC.pdf"),
        ('say "hi"\r\n.txt', "say _hi_.txt", "say%20%22hi%22.txt"),
        ("100% sure.txt", "100_ sure.txt", "100%25%20sure.txt"),
        ("a/b\\c.pdf", "a_b_c.pdf", "a_b_c.pdf"),
        ("", "document", "document"),
    ],
)
def test_the_file_name_travels_as_rfc_6266_with_an_rfc_5987_utf8_form(
    name: str, fallback: str, encoded: str
) -> None:
    header = content_disposition(name)

    assert header == f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    assert header.isascii() and "\r" not in header and "\n" not in header


def test_the_content_type_comes_from_the_file_name_then_the_object() -> None:
    assert content_type("a.pdf", "binary/octet-stream") == "application/pdf"
    assert content_type("notes", "text/plain") == "text/plain"
    assert content_type("blob", None) == "application/octet-stream"


def test_stable_links_name_the_record_on_our_host() -> None:
    link = document_link("https://docs.example.com/", "a005g0000000001AAA")

    assert link == "https://docs.example.com/d/a005g0000000001AAA"
    assert record_id_of(link, "https://docs.example.com") == "a005g0000000001AAA"
    assert (
        record_id_of("https://elsewhere.example/d/a005g0000000001AAA", "https://docs.example.com")
        is None
    )
    assert link_prefix("http://127.0.0.1:8080") == "http://127.0.0.1:8080/d/"
    with pytest.raises(ConfigurationError):
        document_link("http://docs.example.com", "a005g0000000001AAA")
    with pytest.raises(ValueError):
        document_link("https://docs.example.com", "../etc/passwd")


@pytest.mark.parametrize(
    "id15", ["0015g0000000001", "001Dn00000Ab3Cd", "a0XZZ00000ZZzZz", "00Q000000000000"]
)
def test_15_character_ids_become_18_as_salesforce_computes_them(id15: str) -> None:
    from local.salesforce.schema import normalize_id  # the fake org's own implementation

    assert id18(id15) == normalize_id(id15)
    assert id18(id18(id15)) == id18(id15)


def test_the_dashboard_permission_setting_is_checked() -> None:
    assert DashboardPermission.parse("group:Sales_Ops") == DashboardPermission("group", "Sales_Ops")
    with pytest.raises(ConfigurationError):
        DashboardPermission.parse("profile:System Administrator")


def test_previous_month() -> None:
    assert previous_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2026, 1, 1))


def test_the_audit_answers_who_opened_an_accounts_documents_last_month(
    audit_store: AuditStore,
) -> None:
    log = AuditLog(audit_store, retention_days=30)
    account = "0015g0000000001AAA"
    for day, user, outcome, record in [
        (datetime(2025, 10, 3, 9, tzinfo=UTC), "ann", "allowed", "a01"),
        (datetime(2025, 10, 3, 10, tzinfo=UTC), "ann", "allowed", "a02"),
        (datetime(2025, 10, 20, 8, tzinfo=UTC), "bob", "refused", "a01"),
        (datetime(2025, 11, 1, 0, tzinfo=UTC), "ann", "allowed", "a03"),  # this month
        (datetime(2025, 9, 30, 23, 59, tzinfo=UTC), "cy", "allowed", "a01"),  # before
    ]:
        log.record(
            AccessEvent(
                "open",
                outcome,
                user_id=f"005{user}",
                username=f"{user}@example.com",
                record_id=record,
                account_id=account,
                at=day,
            )
        )

    report = access_report(audit_store, account, today=lambda: date(2025, 11, 12))

    assert (report["since"], report["until"]) == ("2025-10-01", "2025-11-01")
    assert (report["opens"], report["refusals"]) == (2, 1)
    assert [
        (p["username"], p["opens"], p["refusals"], p["documents"]) for p in report["people"]
    ] == [
        ("ann@example.com", 2, 0, 2),
        ("bob@example.com", 0, 1, 0),
    ]
    assert report["events"][0]["username"] == "bob@example.com"  # newest first
    assert unquote("%41") == "A"
