"""A chunk's source sizes and ETags from `ListObjectsV2`, instead of a HEAD per file.

The plan writes chunk rows in account order, and a document store keeps one
account's files under one prefix, so a chunk's S3 keys in one bucket usually lie
close together. One `ListObjectsV2` page over the range from the lowest to the
highest key returns the size and ETag of up to 1,000 of them: one request where a
HEAD per file would be 250. The first page asks for a quarter more keys than
the chunk wants rather than S3's 1,000, so a chunk whose keys lie together is
answered without reading (and parsing) the entries after it; later pages are
full size.

The listing is only ever a shortcut. Whatever it does not answer goes through the
copier's own HEAD, which stays the single place that reports a source as missing
or forbidden:

- keys beyond the pages the budget allows (one page per `keys_per_page` keys, so a
  chunk scattered over a huge bucket never lists more than it saves);
- keys the listing does not contain (the HEAD reports `not_found` precisely);
- objects stored with a SHA-256 checksum: verifying the copy needs the value,
  which only a HEAD returns;
- every key of a bucket we may not list (`s3:ListBucket` is a separate permission
  from `s3:GetObject`), or when listing fails for any other reason.

A source that changes between the listing and its copy cannot be copied torn:
the copy is conditional on the listed ETag (`CopySourceIfMatch`), and the copier
then reads the source again (see `FileCopier`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from revops.migration.urls import S3Source
from revops.observability import logger

KEYS_PER_PAGE = 50  # a listing page must stand in for this many HEADs on average
MIN_KEYS = 2  # for a single key, its HEAD is the cheaper request
PAGE_KEYS = 1_000  # S3's largest page


@dataclass(frozen=True)
class ListedObject:
    """What a listing tells about one source object."""

    size: int
    etag: str


def list_sources(
    s3: Any, sources: Iterable[S3Source], *, keys_per_page: int = KEYS_PER_PAGE
) -> dict[tuple[str, str], ListedObject]:
    """(bucket, key) -> size and ETag, for the sources one bounded listing answers."""
    by_bucket: defaultdict[str, set[str]] = defaultdict(set)
    for source in sources:
        by_bucket[source.bucket].add(source.key)
    found: dict[tuple[str, str], ListedObject] = {}
    for bucket, keys in by_bucket.items():
        if len(keys) < MIN_KEYS:
            continue
        ordered = sorted(keys)
        budget = max(1, math.ceil(len(ordered) / keys_per_page))
        for key, listed in _list_range(s3, bucket, ordered, budget).items():
            found[(bucket, key)] = listed
    return found


def _shared_start(low: str, high: str) -> str:
    """The longest string both start with (for sorted keys: the prefix all of them share)."""
    length = next((i for i, (a, b) in enumerate(zip(low, high, strict=False)) if a != b), None)
    return low[: min(len(low), len(high)) if length is None else length]


def _list_range(s3: Any, bucket: str, keys: list[str], pages: int) -> dict[str, ListedObject]:
    """List `bucket` from just before keys[0] to keys[-1], in at most `pages` pages."""
    wanted = set(keys)
    params: dict[str, Any] = {
        "Bucket": bucket,
        "Prefix": _shared_start(keys[0], keys[-1]),
        "MaxKeys": min(PAGE_KEYS, len(keys) + len(keys) // 4 + 1),
    }
    if before := keys[0][:-1]:  # a key's own prefix sorts just before it
        params["StartAfter"] = before
    found: dict[str, ListedObject] = {}
    for _ in range(pages):
        try:
            page = s3.list_objects_v2(**params)
        except (ClientError, BotoCoreError) as exc:
            logger.info(
                "cannot list the source bucket; reading each file's metadata instead",
                extra={"bucket": bucket, "error": str(exc)},
            )
            break
        contents = page.get("Contents") or []
        for item in contents:
            key = item.get("Key")
            if key not in wanted or "SHA256" in (item.get("ChecksumAlgorithm") or ()):
                continue
            if item.get("ETag") and item.get("Size") is not None:
                found[key] = ListedObject(int(item["Size"]), str(item["ETag"]))
        if not page.get("IsTruncated") or not contents or contents[-1]["Key"] >= keys[-1]:
            break
        params["ContinuationToken"] = page["NextContinuationToken"]
        params["MaxKeys"] = PAGE_KEYS
    return found
