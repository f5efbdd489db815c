"""The copier's shared client, its limits and the file host it is tested against."""

from __future__ import annotations

from typing import Any

import pytest

from local.files import FakeFileHost
from revops.integrations import transport
from revops.migration.transfer import (
    FileCopier,
    s3_client,
)
from tests.unit.migration.transfer.support import MiB, sha


def test_s3_client_is_created_once_with_pooled_standard_retries(s3: Any) -> None:
    s3_client.cache_clear()
    client = s3_client()

    assert s3_client() is client
    assert client.meta.config.retries["mode"] == "standard"
    assert client.meta.config.retries["total_max_attempts"] == 4  # botocore: 1 + 3 retries
    assert client.meta.config.max_pool_connections == 64
    s3_client.cache_clear()


def test_copier_refuses_parts_s3_would_reject(s3: Any) -> None:
    with pytest.raises(ValueError, match="at least"):
        FileCopier(dest_s3=s3, part_size=MiB)


def test_file_host_serves_head_and_deterministic_content(host: FakeFileHost) -> None:
    url = host.add_file("a b/c.bin", size=200_000, content_type="video/mp4")
    http = transport.new_session()

    head = http.head(url)
    body = http.get(url).content

    assert head.status_code == 200
    assert head.headers["Content-Length"] == "200000"
    assert head.headers["Content-Type"] == "video/mp4"
    assert body == host.content("a b/c.bin") and sha(body) == host.expected_sha256("a b/c.bin")
    twin = FakeFileHost()
    twin.add_file("a b/c.bin", size=200_000)
    assert twin.content("a b/c.bin") == body
    assert host.request_log == [("HEAD", "/a%20b/c.bin", {}), ("GET", "/a%20b/c.bin", {})]
