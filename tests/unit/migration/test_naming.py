"""Destination keys: the seed's layout, the cleaning rules, and keys that always fit."""

from __future__ import annotations

import pytest

from revops.migration import naming
from revops.migration.urls import HttpSource, InvalidSourceUrlError, S3Source, parse_source_url


@pytest.mark.parametrize(
    "name, cleaned",
    [
        ("Acme Corporation", "Acme_Corporation"),
        ("Beta Solutions Inc", "Beta_Solutions_Inc"),
        ("R&D / Labs 🚀", "R_D_Labs"),
        ("Société Générale", "Société_Générale"),
        ("日本語 株式会社", "日本語_株式会社"),
        ("  ../..  ", "Unnamed_Account"),
        (None, "Unnamed_Account"),
    ],
)
def test_account_names_are_cleaned_like_the_seed_layout(name: str | None, cleaned: str) -> None:
    assert naming.clean_account_name(name) == cleaned


def test_long_account_names_are_cut_to_80_characters() -> None:
    assert len(naming.clean_account_name("A" * 300)) == 80


def test_file_names_keep_their_characters_but_not_path_separators() -> None:
    assert (
        naming.clean_file_name("Q1 report (final) #2 + 50%.pdf") == "Q1 report (final) #2 + 50%.pdf"
    )
    assert naming.clean_file_name("a/b\\c\x00d.txt") == "a_b_c_d.txt"
    assert naming.clean_file_name("..") == "file"
    long = naming.clean_file_name("x" * 400 + ".docx")
    assert len(long) == 150 and long.endswith(".docx")


def test_the_key_layout_is_uploads_account_id_clean_name_file() -> None:
    key = naming.plain_key("0013D00000AbcDef", "Acme Corporation", "invoice_2024.pdf")
    assert key == "uploads/0013D00000AbcDef/Acme_Corporation/invoice_2024.pdf"
    assert naming.plain_key(None, None, "x.pdf") == "uploads/_no_account/Unassigned/x.pdf"


def test_duplicate_names_are_disambiguated_by_record_id() -> None:
    key = naming.disambiguated_key("uploads/001/Acme/contract.pdf", "a00XYZ")
    assert key == "uploads/001/Acme/contract__a00XYZ.pdf"


def test_keys_are_shortened_until_our_url_fits_the_salesforce_field() -> None:
    key = naming.plain_key("0013D00000AbcDefAAA", "Very Long Account " * 5, "Report " * 20 + ".pdf")

    def url(k: str) -> str:
        return naming.object_url("revops-prod-backupbucket-1a2b3c4d", k, "eu-west-1")

    assert len(url(key)) > 255
    fitted = naming.fit_key(key, "a005g00000000FkAAI", lambda k: len(url(k)) <= 255)
    assert len(url(fitted)) <= 255
    assert fitted.startswith("uploads/0013D00000AbcDefAAA/")
    assert fitted.endswith("__a005g00000000FkAAI.pdf")
    assert naming.fit_key(fitted, "a005g00000000FkAAI", lambda k: len(url(k)) <= 255) == fitted


@pytest.mark.parametrize(
    "url, expected",
    [
        ("s3://bucket/a/b c.pdf", S3Source("bucket", "a/b c.pdf")),
        ("https://bucket.s3.amazonaws.com/a/b%20c.pdf", S3Source("bucket", "a/b c.pdf")),
        (
            "https://bucket.s3.eu-west-1.amazonaws.com/k.pdf",
            S3Source("bucket", "k.pdf", "eu-west-1"),
        ),
        ("https://s3.amazonaws.com/bucket/k.pdf", S3Source("bucket", "k.pdf")),
        ("https://files.example.com/k.pdf", HttpSource("https://files.example.com/k.pdf")),
    ],
)
def test_source_urls_are_recognised(url: str, expected: object) -> None:
    assert parse_source_url(url) == expected


@pytest.mark.parametrize(
    "url", [None, "", "   ", "https//bucket.s3.amazonaws.com/x", "ftp://x/y", "s3://bucket"]
)
def test_bad_source_urls_are_a_typed_error(url: str | None) -> None:
    with pytest.raises(InvalidSourceUrlError):
        parse_source_url(url)
