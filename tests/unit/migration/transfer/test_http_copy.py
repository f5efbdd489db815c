"""Streaming http(s) sources into the bucket with bounded memory."""

from __future__ import annotations

import base64
import gc
import hashlib
import threading
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from local.files import FakeFileHost
from revops.errors import UpstreamThrottledError
from revops.integrations import transport
from revops.migration.transfer import (
    META_SHA256,
    META_SOURCE_ETAG,
    CopyOutcome,
    CopyRequest,
    DownloadError,
    FileCopier,
    FileTooLargeError,
    SourceAccessDeniedError,
    SourceNotFoundError,
    ThrottledError,
    TransferError,
)
from revops.migration.urls import HttpSource, S3Source
from tests.unit.migration.transfer.support import (
    DEST,
    PART,
    SRC,
    Calls,
    MiB,
    Sleeps,
    Unreachable,
    composite,
    data,
    dest_bytes,
    dest_exists,
    http_request,
    open_uploads,
    sha,
)


def test_small_http_file_is_streamed_in_one_put(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier
) -> None:
    body = data(123_456)
    url = host.add_file("docs/Acme Corp/quote.pdf", body, content_type="application/pdf")

    outcome = copier.copy(http_request(url))

    assert outcome.status == "copied"
    assert (outcome.size, outcome.sha256, outcome.checksum_type) == (
        len(body),
        sha(body),
        "FULL_OBJECT",
    )
    assert dest_bytes(s3, "backup/http.bin") == body
    head = s3.head_object(Bucket=DEST, Key="backup/http.bin", ChecksumMode="ENABLED")
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"][META_SHA256] == sha(body)
    assert head["Metadata"][META_SOURCE_ETAG] == hashlib.md5(body).hexdigest()
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert (calls["PutObject"], calls["CreateMultipartUpload"]) == (1, 0)
    assert host.calls["get"] == 1


def test_zero_byte_http_file_is_copied(s3: Any, host: FakeFileHost, copier: FileCopier) -> None:
    outcome = copier.copy(http_request(host.add_file("empty.txt", b"")))

    assert (outcome.size, outcome.sha256) == (0, sha(b""))
    assert dest_bytes(s3, "backup/http.bin") == b""


def test_large_http_file_is_streamed_in_parts(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("scans/archive.tar", size=2 * PART + 4_321)
    body = host.content("scans/archive.tar")

    outcome = copier.copy(http_request(url))

    assert outcome.status == "copied"
    assert outcome.size == len(body)
    assert outcome.sha256 == host.expected_sha256("scans/archive.tar") == sha(body)
    assert outcome.checksum_type == "FULL_OBJECT"
    assert dest_bytes(s3, "backup/http.bin") == body
    assert (calls["UploadPart"], calls["CompleteMultipartUpload"], calls["PutObject"]) == (3, 1, 0)
    assert open_uploads(s3) == []

    # A rerun finds the copy by its ETag and does not read the body. S3 holds a
    # composite checksum for multipart objects, and that is what a rerun reports.
    again = copier.copy(http_request(url))
    assert again.status == "unchanged"
    assert (again.sha256, again.checksum_type) == (composite(body, PART), "COMPOSITE")
    assert calls["UploadPart"] == 3


def test_http_file_with_only_last_modified_is_skipped_on_rerun(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("report.csv", b"a,b\n1,2\n", etag=None)
    first = copier.copy(http_request(url))

    again = copier.copy(http_request(url))

    assert first.source_etag is not None and first.source_etag.startswith("last-modified:")
    assert (again.status, again.sha256, again.source_etag) == (
        "unchanged",
        first.sha256,
        first.source_etag,
    )
    assert calls["PutObject"] == 1


@pytest.mark.parametrize("size", [1_000, 2 * PART + 17], ids=["single-put", "multipart"])
def test_http_file_without_validators_is_reread_but_not_rewritten(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier, size: int
) -> None:
    s3.put_bucket_versioning(Bucket=DEST, VersioningConfiguration={"Status": "Enabled"})
    url = host.add_file("plain.bin", size=size, etag=None, last_modified=None)
    first = copier.copy(http_request(url))
    writes = calls["PutObject"] + calls["CompleteMultipartUpload"]

    again = copier.copy(http_request(url))

    assert (first.status, again.status) == ("copied", "unchanged")
    assert again.sha256 == first.sha256 == host.expected_sha256("plain.bin")
    assert host.calls["get"] == 2
    assert calls["PutObject"] + calls["CompleteMultipartUpload"] == writes
    assert len(s3.list_object_versions(Bucket=DEST)["Versions"]) == 1
    assert open_uploads(s3) == []

    host.add_file("plain.bin", size=size, etag=None, last_modified=None, seed=1)
    changed = copier.copy(http_request(url))
    assert changed.status == "copied"
    assert changed.sha256 == host.expected_sha256("plain.bin") != first.sha256


def test_http_file_over_max_bytes_is_refused_from_content_length(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("big.mp4", size=3 * MiB)

    with pytest.raises(FileTooLargeError, match=f"{3 * MiB} bytes, over the {MiB}-byte limit"):
        copier.copy(http_request(url, max_bytes=MiB))

    assert calls["PutObject"] + calls["CreateMultipartUpload"] == 0


def test_http_file_without_content_length_is_cut_off_at_max_bytes(
    s3: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("stream.mp4", size=3 * PART, chunked=True)

    with pytest.raises(FileTooLargeError, match="larger than the"):
        copier.copy(http_request(url, max_bytes=PART + MiB))

    assert not dest_exists(s3, "backup/http.bin")
    assert open_uploads(s3) == []


def test_http_file_without_content_length_is_streamed(
    s3: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("stream.mp4", size=PART + 99, chunked=True)

    outcome = copier.copy(http_request(url))

    assert outcome.sha256 == host.expected_sha256("stream.mp4")
    assert dest_bytes(s3, "backup/http.bin") == host.content("stream.mp4")


@pytest.mark.parametrize("deliver", [MiB, PART + MiB], ids=["first-part", "after-a-part"])
def test_truncated_http_body_fails_and_leaves_nothing_behind(
    s3: Any, host: FakeFileHost, copier: FileCopier, deliver: int
) -> None:
    size = 2 * PART + 1
    url = host.add_file("cut.bin", size=size)
    host.truncate("cut.bin", deliver)

    with pytest.raises(DownloadError, match=f"after {deliver} of {size} bytes"):
        copier.copy(http_request(url))

    assert not dest_exists(s3, "backup/http.bin")
    assert open_uploads(s3) == []


def test_http_body_longer_than_content_length_fails(
    s3: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("growing.log", size=PART + 10)
    host.change_during_read("growing.log", 2 * PART)

    with pytest.raises(DownloadError, match=f"more than the {PART + 10} announced"):
        copier.copy(http_request(url))

    assert not dest_exists(s3, "backup/http.bin")
    assert open_uploads(s3) == []


def test_http_429_storm_is_retried_then_copied(
    s3: Any, host: FakeFileHost, copier: FileCopier, sleeps: Sleeps
) -> None:
    url = host.add_file("busy.pdf", b"finally")
    host.fail_next("busy.pdf", 429, count=3)

    outcome = copier.copy(http_request(url))

    assert (outcome.status, outcome.attempts) == ("copied", 4)
    assert host.calls["get"] == 4
    assert len(sleeps.delays) == 3
    assert dest_bytes(s3, "backup/http.bin") == b"finally"


def test_http_retry_after_is_honoured_and_capped(
    s3: Any, host: FakeFileHost, copier: FileCopier, sleeps: Sleeps
) -> None:
    url = host.add_file("busy.pdf", b"ok")
    host.fail_next("busy.pdf", 503, retry_after=3)
    host.fail_next("busy.pdf", 429, retry_after=3600)

    copier.copy(http_request(url))

    assert sleeps.delays == [3.0, 20.0]


def test_http_429_forever_is_throttled(
    s3: Any, host: FakeFileHost, make_copier: Callable[..., FileCopier], sleeps: Sleeps
) -> None:
    url = host.add_file("busy.pdf", b"never")
    host.fail_next("busy.pdf", 429, count=100)

    with pytest.raises(ThrottledError, match="HTTP 429") as caught:
        make_copier(max_attempts=5).copy(http_request(url))

    assert isinstance(caught.value, UpstreamThrottledError)
    assert host.calls["get"] == 5
    assert len(sleeps.delays) == 4
    assert not dest_exists(s3, "backup/http.bin")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, SourceNotFoundError),
        (401, SourceAccessDeniedError),
        (403, SourceAccessDeniedError),
        (500, DownloadError),
    ],
)
def test_http_errors_are_typed_and_not_retried(
    s3: Any, host: FakeFileHost, copier: FileCopier, status: int, error: type[TransferError]
) -> None:
    url = host.add_file("doc.pdf", b"x")
    host.fail_next("doc.pdf", status)

    with pytest.raises(error, match=f"HTTP {status}"):
        copier.copy(http_request(url))

    assert host.calls["get"] == 1


def test_removed_http_file_is_not_found(host: FakeFileHost, s3: Any, copier: FileCopier) -> None:
    url = host.add_file("doc.pdf", b"x")
    host.remove("doc.pdf")

    with pytest.raises(SourceNotFoundError):
        copier.copy(http_request(url))


def test_presigned_query_strings_never_reach_error_messages(
    s3: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("doc.pdf", b"x") + "?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=c0ffee"
    host.fail_next("doc.pdf", 403)

    with pytest.raises(SourceAccessDeniedError) as caught:
        copier.copy(http_request(url))

    assert "doc.pdf" in str(caught.value)
    assert "c0ffee" not in str(caught.value) and "AKIAEXAMPLE" not in str(caught.value)


def test_connection_errors_are_retried_then_fail_without_leaking_the_url(
    s3: Any, make_copier: Callable[..., FileCopier], sleeps: Sleeps
) -> None:
    def session() -> requests.Session:
        http = requests.Session()
        http.mount("https://", Unreachable())
        return http

    copier = make_copier(session_factory=session, max_attempts=3)
    url = "https://files.example-cdn.test/doc.pdf?token=s3cr3t"

    with pytest.raises(DownloadError, match="connection failed") as caught:
        copier.copy(http_request(url))

    assert "s3cr3t" not in str(caught.value)
    assert caught.value.__cause__ is None  # the library error quotes the full URL
    assert len(sleeps.delays) == 2


def test_copier_is_shared_by_a_thread_pool(
    s3: Any, host: FakeFileHost, make_copier: Callable[..., FileCopier]
) -> None:
    sessions: list[int] = []
    lock = threading.Lock()

    def session() -> requests.Session:
        with lock:
            sessions.append(threading.get_ident())
        return transport.new_session()

    copier = make_copier(session_factory=session)
    for index in range(24):
        if index % 2:
            s3.put_object(Bucket=SRC, Key=f"f{index}", Body=data(1_000 + index, index))
        else:
            host.add_file(f"f{index}", size=1_000 + index)

    def copy(index: int) -> CopyOutcome:
        source = S3Source(SRC, f"f{index}") if index % 2 else HttpSource(host.url(f"f{index}"))
        return copier.copy(CopyRequest(f"rec{index}", source, DEST, f"out/f{index}"))

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(copy, range(24)))

    for index, outcome in enumerate(outcomes):
        assert outcome.status == "copied"
        assert dest_bytes(s3, f"out/f{index}") == (
            data(1_000 + index, index) if index % 2 else host.content(f"f{index}")
        )
    assert len(sessions) == len(set(sessions)) <= 6


def test_streaming_memory_stays_near_one_part(
    s3: Any, host: FakeFileHost, make_copier: Callable[..., FileCopier]
) -> None:
    size, part = 64 * MiB, 8 * MiB
    url = host.add_file("video.mp4", size=size)
    copier = make_copier(part_size=part)
    own: list[int] = []  # the copier's peak between S3 calls (reading, hashing)
    held: list[int] = []  # what the copier holds while S3 (moto) handles a call
    overall: list[int] = []  # everything, moto's handling of the part in flight included
    measuring = True

    def before(event_name: str, **_: Any) -> None:
        nonlocal measuring
        if not measuring:
            return
        # moto's request objects sit in reference cycles that keep a copy of each
        # part until the cyclic collector runs: collect them, to measure the copier.
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        own.append(peak)
        held.append(current)
        # moto assembles the whole object in memory to complete an upload: stop here.
        measuring = not event_name.endswith("CompleteMultipartUpload")

    def after(**_: Any) -> None:
        if measuring:
            overall.append(tracemalloc.get_traced_memory()[1])
            gc.collect()
            tracemalloc.reset_peak()

    s3.meta.events.register("before-call.s3", before)
    s3.meta.events.register("after-call.s3", after)
    tracemalloc.start()
    try:
        outcome = copier.copy(http_request(url))
    finally:
        tracemalloc.stop()

    assert outcome.size == size
    assert outcome.sha256 == host.expected_sha256("video.mp4")
    assert len(held) == 1 + 1 + 8 + 1  # HEAD, create, 8 parts, complete
    assert max(own) < 2 * part, f"copier peak {max(own) / MiB:.1f} MiB"
    assert max(held) < 2 * part, f"copier held {max(held) / MiB:.1f} MiB"
    # moto makes about five transient copies of the part it is handling.
    assert max(overall) < size, f"overall peak {max(overall) / MiB:.1f} MiB"
