"""Where a record's file lives, from the URL Salesforce holds."""

from __future__ import annotations

import pytest

from revops.migration.naming import file_name_from_url
from revops.migration.urls import HttpSource, InvalidSourceUrlError, S3Source, parse_source_url


@pytest.mark.parametrize(
    "key",
    ["scans/invoice #12.pdf", "scans/what?.pdf", "scans/a#b?c=d.pdf", "scans/100%.pdf", "k/#"],
)
def test_an_s3_url_keeps_every_character_of_its_key(key: str) -> None:
    assert parse_source_url(f"s3://docs-bucket/{key}") == S3Source("docs-bucket", key)
    assert file_name_from_url(f"s3://docs-bucket/{key}") == key.rpartition("/")[2]


def test_an_https_url_drops_its_query_and_fragment_and_decodes_the_key() -> None:
    url = "https://docs-bucket.s3.us-east-1.amazonaws.com/scans/invoice%20%2312.pdf?X-Amz-Signature=s#p"
    assert parse_source_url(url) == S3Source("docs-bucket", "scans/invoice #12.pdf", "us-east-1")
    assert file_name_from_url(url) == "invoice #12.pdf"


def test_other_https_urls_are_streamed_as_they_are() -> None:
    url = "https://files.example.com/get?id=12#top"
    assert parse_source_url(url) == HttpSource(url)


@pytest.mark.parametrize("url", ["", "   ", None, "s3://bucket-only", "s3:///key", "ftp://x/y"])
def test_incomplete_or_foreign_urls_are_invalid(url: str | None) -> None:
    with pytest.raises(InvalidSourceUrlError):
        parse_source_url(url)
