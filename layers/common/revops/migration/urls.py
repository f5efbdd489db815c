"""Where a `DocListEntry__c` file lives, from the URL Salesforce holds.

Recognised S3 forms (each copied server-side when we can read the bucket):
- `s3://bucket/key`: everything after the bucket is the key, as the AWS CLI reads
  it: S3 keys may contain `#`, `?` and `%`, which are not a fragment, a query or
  an escape here
- virtual-hosted: `https://bucket.s3.amazonaws.com/key`, `https://bucket.s3.<region>.amazonaws.com/key`,
  `https://bucket.s3-<region>.amazonaws.com/key`
- path-style: `https://s3.amazonaws.com/bucket/key`, `https://s3.<region>.amazonaws.com/bucket/key`

Any other http(s) URL is an HTTP source (streamed). Anything else is invalid.
Keys in https URLs are percent-decoded, as S3 does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from revops.errors import RevopsError


class InvalidSourceUrlError(RevopsError):
    """A record's URL is empty or not a URL we can fetch."""


@dataclass(frozen=True)
class S3Source:
    bucket: str
    key: str
    region: str | None = None


@dataclass(frozen=True)
class HttpSource:
    url: str


Source = S3Source | HttpSource

_VIRTUAL = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.\-]*)\.s3(?:[.\-](?P<region>[a-z0-9\-]+))?\.amazonaws\.com$"
)
_PATH = re.compile(r"^s3(?:[.\-](?P<region>[a-z0-9\-]+))?\.amazonaws\.com$")


def parse_source_url(url: str | None) -> Source:
    if url is None or not url.strip():
        raise InvalidSourceUrlError("the record has no file URL")
    url = url.strip()
    if url[:5].lower() == "s3://":
        bucket, _, key = url[5:].partition("/")
        key = key.lstrip("/")
        if not bucket or not key:
            raise InvalidSourceUrlError(f"incomplete S3 URL: {url!r}")
        return S3Source(bucket, key)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSourceUrlError(f"not an http(s) or s3 URL: {url!r}")
    host = parts.hostname.lower()
    path = unquote(parts.path)
    if match := _VIRTUAL.match(host):
        region = match["region"] if match["region"] not in (None, "external-1") else None
        key = path.lstrip("/")
        if key:
            return S3Source(match["bucket"], key, region)
    elif match := _PATH.match(host):
        bucket, _, key = path.lstrip("/").partition("/")
        if bucket and key:
            return S3Source(bucket, key, match["region"])
    if host.endswith("amazonaws.com"):
        raise InvalidSourceUrlError(f"S3 URL without a bucket and key: {url!r}")
    return HttpSource(url)
