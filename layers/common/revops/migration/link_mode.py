"""What cutover writes into Salesforce (`LinkMode`), and how a written link leads back to a file.

* `stable` (the default): `https://<docs host>/d/<recordId>`
  (`revops.access.links`). The link names the record, so moving the files
  never needs Salesforce to be rewritten; it opens after Salesforce sign-in,
  for the people Salesforce lets read the record.
* `object`: the object URL the backup recorded (`PublicBaseUrl` + key, or the
  S3 URL), for orgs whose users reach the files some other way.

A record holding either form is "ours": cutover leaves it alone (or repairs its
tracking), rollback restores its original. Switching modes later does not
rewrite records already migrated: roll them back, then cut over again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from revops.access.links import document_link, link_prefix, record_id_of
from revops.errors import ConfigurationError
from revops.store.migration import FileItem

LinkMode = Literal["stable", "object"]


@dataclass(frozen=True)
class OurLinks:
    mode: LinkMode
    docs_base_url: str  # https://<docs host>; needed for stable links
    object_prefix: str  # what every object URL starts with

    def __post_init__(self) -> None:
        if self.mode == "stable" and not self.docs_base_url:
            raise ConfigurationError("LinkMode stable needs the docs host (DOCS_BASE_URL)")

    def written(self, item: FileItem) -> str | None:
        """The URL cutover writes for a backed-up record."""
        if self.mode == "stable":
            return document_link(self.docs_base_url, item.doclist_entry_id)
        return item.your_s3_url

    def forms(self, item: FileItem) -> set[str]:
        """Every URL of ours a record may hold (either mode)."""
        found = {item.your_s3_url} if item.your_s3_url else set()
        if self.docs_base_url:
            found.add(document_link(self.docs_base_url, item.doclist_entry_id))
        return found

    def prefixes(self) -> list[str]:
        """What our URLs start with (rollback finds the records holding them)."""
        found = [link_prefix(self.docs_base_url)] if self.docs_base_url else []
        return [*found, self.object_prefix]

    def key_for(self, url: str, item: FileItem | None) -> str | None:
        """The object a written URL leads to, through the tracking item it names."""
        if item is None or not item.your_s3_key:
            return None
        if self.docs_base_url and record_id_of(url, self.docs_base_url) == item.doclist_entry_id:
            return item.your_s3_key
        return item.your_s3_key if url == item.your_s3_url else None
