"""The objects every tool copies: deterministic names, sizes and bytes.

Sizes run from 1 KB to 1 MB, log-uniformly distributed (as many 1-10 KB files
as 100 KB-1 MB ones, like a document store), from a fixed seed, so every run
and every tool sees exactly the same objects.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

MIN_SIZE = 1024
MAX_SIZE = 1024 * 1024
SEED = 20_240_601


@dataclass(frozen=True)
class SourceObject:
    record_id: str  # an 18-character Salesforce-style Id
    account_id: str
    account_name: str
    file_name: str
    key: str
    size: int


def objects(count: int, seed: int = SEED) -> list[SourceObject]:
    rng = random.Random(seed)
    low, high = math.log(MIN_SIZE), math.log(MAX_SIZE)
    result = []
    for index in range(count):
        size = round(math.exp(rng.uniform(low, high)))
        record_id = f"a0B5f{index:013d}"
        account = f"001{index % 97:015d}"
        name = f"Contract {index}.pdf"
        key = f"docs/{account}/{record_id}/contract-{index}.pdf"
        result.append(SourceObject(record_id, account, f"Account {index % 97}", name, key, size))
    return result


def body(obj: SourceObject) -> bytes:
    return random.Random(obj.key).randbytes(obj.size)


def seed_bucket(s3: Any, bucket: str, items: Iterable[SourceObject], threads: int = 16) -> None:
    """Create `bucket` and upload every object into it."""
    s3.create_bucket(Bucket=bucket)

    def put(obj: SourceObject) -> None:
        s3.put_object(Bucket=bucket, Key=obj.key, Body=body(obj), ContentType="application/pdf")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, items))


def bucket_totals(s3: Any, bucket: str) -> tuple[int, int]:
    """(object count, total bytes) of a bucket, from its listing."""
    count = total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            count += 1
            total += int(item["Size"])
    return count, total


def empty_bucket(s3: Any, bucket: str) -> None:
    """Delete every object (and the bucket), so the emulator's memory stays flat."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)
