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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from revops.access.links import document_link, link_prefix, record_id_of
from revops.errors import ConfigurationError
from revops.migration.models import UrlChange
from revops.store.migration import FileItem, MigrationStore

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


def _object_size(s3: Any, bucket: str, key: str) -> int | None:
    try:
        return int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def check_links(
    changes: list[UrlChange], store: MigrationStore, s3: Any, bucket: str, links: OurLinks
) -> tuple[list[str], dict[str, Any]]:
    """Every written link resolves to an existing object with the tracked size."""
    tracked = {i.doclist_entry_id: i for i in store.files([c.id for c in changes])}
    keys = {c.id: links.key_for(c.to, tracked.get(c.id)) for c in changes}
    resolvable = [(c, key) for c in changes if (key := keys[c.id])]
    with ThreadPoolExecutor(max_workers=16) as pool:
        sizes = list(pool.map(lambda pair: _object_size(s3, bucket, pair[1]), resolvable))
    missing, wrong_size = [], []
    for (change, key), size in zip(resolvable, sizes, strict=True):
        expected = tracked[change.id].file_size_bytes
        if size is None:
            missing.append(key)
        elif expected is not None and size != int(expected):
            wrong_size.append({"id": change.id, "expected": int(expected), "actual": size})
    unresolved = [c.id for c in changes if not keys[c.id]]
    return missing, {
        "linksResolved": len(resolvable) - len(missing) - len(wrong_size),
        "unresolvedLinks": len(unresolved),
        "unresolvedLinkSample": unresolved[:50],
        "sizeMismatches": len(wrong_size),
        "sizeMismatchSample": wrong_size[:50],
    }
