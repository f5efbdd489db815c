"""Patches 5 and 15: S3's conditional requests on copies and completed uploads; listings
from an index."""

from __future__ import annotations

import datetime
import email.utils
from typing import Any


def _etag_matches(condition: str, etag: str) -> bool:
    """An `If-Match`-style header against an ETag: `*`, or any listed ETag, quotes optional."""
    wanted = {part.strip().strip('"') for part in condition.split(",")}
    return "*" in wanted or etag.strip('"') in wanted


def _http_date(value: str) -> datetime.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def _copy_source_key(response: Any) -> Any:
    from urllib.parse import parse_qs, unquote, urlparse

    copy_source = response.headers.get("x-amz-copy-source")
    if isinstance(copy_source, bytes):
        copy_source = copy_source.decode("utf-8")
    if not copy_source:
        return None
    parsed = urlparse(copy_source)
    bucket, _, key = unquote(parsed.path).lstrip("/").partition("/")
    version = parse_qs(parsed.query).get("versionId", [None])[0]
    try:
        return response.backend.get_object(bucket, key, version_id=version)
    except Exception:  # a missing bucket: moto's own handler answers it
        return None


def _check_copy_source(response: Any) -> None:
    """The `x-amz-copy-source-if-*` headers, with the precedence S3 documents.

    `if-match` true with `if-unmodified-since` false copies; `if-none-match` false
    with `if-modified-since` true refuses (412 PreconditionFailed).
    """
    from moto.s3.exceptions import PreconditionFailed

    headers = response.headers
    source = _copy_source_key(response)
    if source is None:
        return
    etag = str(source.etag)
    modified = source.last_modified
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=datetime.UTC)
    modified = modified.replace(microsecond=0)
    if_match = headers.get("x-amz-copy-source-if-match")
    if_none_match = headers.get("x-amz-copy-source-if-none-match")
    unmodified_since = _http_date(headers.get("x-amz-copy-source-if-unmodified-since") or "")
    modified_since = _http_date(headers.get("x-amz-copy-source-if-modified-since") or "")
    if if_match is not None:
        if not _etag_matches(if_match, etag):
            raise PreconditionFailed("x-amz-copy-source-If-Match")
    elif unmodified_since is not None and modified > unmodified_since:
        raise PreconditionFailed("x-amz-copy-source-If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag):
            raise PreconditionFailed("x-amz-copy-source-If-None-Match")
    elif modified_since is not None and modified <= modified_since:
        raise PreconditionFailed("x-amz-copy-source-If-Modified-Since")


def _check_destination(response: Any) -> None:
    """`If-None-Match: *` and `If-Match: <etag>` on the object being written.

    S3 answers 412 PreconditionFailed when the condition fails, and 404 NoSuchKey
    for `If-Match` on a key that does not exist.
    """
    from moto.s3.exceptions import MissingKey, PreconditionFailed

    if_none_match = response.headers.get("If-None-Match")
    if_match = response.headers.get("If-Match")
    if not if_none_match and not if_match:
        return
    existing = response.backend.get_object(response.bucket_name, response.parse_key_name())
    if if_none_match == "*" and existing is not None:
        raise PreconditionFailed("If-None-Match")
    if if_match:
        if existing is None:
            raise MissingKey(key=response.parse_key_name())
        if not _etag_matches(if_match, str(existing.etag)):
            raise PreconditionFailed("If-Match")


def s3_conditions() -> None:
    """What S3 checks before a copy or a completed upload, and moto does not:

    - CopyObject: `If-None-Match: *` and `If-Match` on the destination; every
      `x-amz-copy-source-if-*` header (moto checks only `if-none-match`).
    - UploadPartCopy: every `x-amz-copy-source-if-*` header (moto checks none).
    - CompleteMultipartUpload: `If-Match` on the destination (moto checks only
      `If-None-Match`), except for a retry of the upload that already completed,
      which S3 and moto answer with the object.
    """
    from moto.s3.responses import S3Response

    original_copy = S3Response.copy_object
    if getattr(original_copy, "_revops_patched", False):
        return
    original_part_copy = S3Response.upload_part_copy
    original_post = S3Response._key_response_post

    def copy_object(self: Any) -> Any:
        _check_destination(self)
        _check_copy_source(self)
        return original_copy(self)

    def upload_part_copy(self: Any) -> Any:
        _check_copy_source(self)
        return original_part_copy(self)

    def _key_response_post(
        self: Any, request: Any, body: bytes, bucket_name: str, query: Any, key_name: str
    ) -> Any:
        upload_id = (query.get("uploadId") or [None])[0]
        if upload_id and self.headers.get("If-Match"):
            existing = self.backend.get_object(bucket_name, key_name)
            retried = (
                existing is not None
                and existing.multipart is not None
                and existing.multipart.id == upload_id
            )
            if not retried:
                _check_destination(self)
        return original_post(self, request, body, bucket_name, query, key_name)

    copy_object._revops_patched = True  # type: ignore[attr-defined]
    S3Response.copy_object = copy_object  # type: ignore[method-assign]
    S3Response.upload_part_copy = upload_part_copy  # type: ignore[method-assign]
    S3Response._key_response_post = _key_response_post  # type: ignore[method-assign]


# ------------------------------------------------------------ 15. listings

_MEMBERSHIP_CHANGES = ("__setitem__", "__delitem__", "setlist", "pop", "popitem", "clear", "update")


def indexed_listings() -> None:
    """`ListObjectsV2` without a delimiter answers from a sorted index of the bucket's
    key names, as S3 answers from its own index. moto copies the whole key store,
    walks it and sorts every match on each listing, so a page of 250 keys out of
    a 100,000-key bucket costs what the bucket costs. The index is rebuilt after
    any change to which keys the bucket holds, so a bucket being written keeps
    moto's cost and a bucket being read lists at the cost of its page."""
    import bisect

    from moto.s3.models import FakeDeleteMarker, FakeTableStorageBucket, S3Backend
    from moto.s3.utils import _VersionedKeyStore

    original_list = S3Backend.list_objects_v2
    if getattr(original_list, "_revops_patched", False):
        return

    def changing(method: Any) -> Any:
        def change(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            finally:  # after the change: a listing that raced it rebuilds next time
                self.__dict__["_revops_generation"] = self.__dict__.get("_revops_generation", 0) + 1

        return change

    for name in _MEMBERSHIP_CHANGES:
        setattr(_VersionedKeyStore, name, changing(getattr(_VersionedKeyStore, name)))

    def sorted_names(keys: Any) -> list[str]:
        generation = keys.__dict__.get("_revops_generation", 0)
        cached = keys.__dict__.get("_revops_names")
        if cached is None or cached[0] != generation:
            cached = (generation, sorted(dict.keys(keys)))
            keys.__dict__["_revops_names"] = cached
        return cached[1]

    def list_objects_v2(
        self: Any,
        bucket: Any,
        prefix: str | None,
        delimiter: str | None,
        continuation_token: str | None,
        start_after: str | None,
        max_keys: int,
    ) -> Any:
        if delimiter or isinstance(bucket, FakeTableStorageBucket):
            return original_list(
                self, bucket, prefix, delimiter, continuation_token, start_after, max_keys
            )
        prefix = prefix or ""
        after = (
            self._pagination_tokens.get(continuation_token) if continuation_token else start_after
        )
        names = sorted_names(bucket.keys)
        index = bisect.bisect_left(names, prefix)
        if after:
            index = max(index, bisect.bisect_right(names, after))
        found: list[Any] = []
        while index < len(names) and len(found) <= max_keys:
            name = names[index]
            index += 1
            if not name.startswith(prefix):
                break
            key = bucket.keys.get(name)
            if key is not None and not isinstance(key, FakeDeleteMarker):
                found.append(key)
        return self._truncate_result(found, max_keys)

    list_objects_v2._revops_patched = True  # type: ignore[attr-defined]
    S3Backend.list_objects_v2 = list_objects_v2  # type: ignore[method-assign]
