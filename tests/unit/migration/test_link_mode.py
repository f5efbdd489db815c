"""LinkMode: what cutover writes, which URLs count as ours, and where a written link leads."""

from __future__ import annotations

import pytest

from revops.errors import ConfigurationError
from revops.migration.link_mode import OurLinks
from revops.store.migration import FileItem

DOCS = "https://docs.example.com"
PREFIX = "https://backup.s3.amazonaws.com/"


def item(record_id: str = "a005g0000000001AAA") -> FileItem:
    return FileItem(
        f"FILE#{record_id}",
        "FILE",
        doclist_entry_id=record_id,
        your_s3_key="uploads/001/Acme/a.pdf",
        your_s3_url=PREFIX + "uploads/001/Acme/a.pdf",
    )


def test_stable_mode_writes_the_docs_host_link_and_knows_both_forms() -> None:
    links = OurLinks("stable", DOCS, PREFIX)

    assert links.written(item()) == f"{DOCS}/d/a005g0000000001AAA"
    assert links.forms(item()) == {
        f"{DOCS}/d/a005g0000000001AAA",
        PREFIX + "uploads/001/Acme/a.pdf",
    }
    assert links.prefixes() == [f"{DOCS}/d/", PREFIX]


def test_object_mode_writes_the_object_url() -> None:
    assert OurLinks("object", "", PREFIX).written(item()) == PREFIX + "uploads/001/Acme/a.pdf"
    assert OurLinks("object", "", PREFIX).prefixes() == [PREFIX]


def test_a_written_link_leads_to_the_key_of_the_record_it_names() -> None:
    links = OurLinks("stable", DOCS, PREFIX)

    assert links.key_for(f"{DOCS}/d/a005g0000000001AAA", item()) == "uploads/001/Acme/a.pdf"
    assert links.key_for(f"{DOCS}/d/a005g0000000002AAA", item()) is None  # another record
    assert links.key_for(PREFIX + "uploads/001/Acme/a.pdf", item()) == "uploads/001/Acme/a.pdf"
    assert links.key_for(f"{DOCS}/d/a005g0000000001AAA", None) is None


def test_stable_mode_without_a_docs_host_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        OurLinks("stable", "", PREFIX)
