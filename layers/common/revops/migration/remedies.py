"""What an operator can do about each kind of record that keeps phase 2 from starting.

Cutover refuses while records have no backup: records never tracked, and records
whose backup failed (by error type). Each refusal names the records and, for each
kind, the remedy below. Records the backup policy excludes (`too_large`,
`filtered`) are decided, not missing: they keep their original URLs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

NO_BACKUP = "no_backup"
SAMPLE = 5  # record ids named per kind in a message

_RETRY = "run an incremental FileBackup to retry them"
REMEDIES: dict[str, str] = {
    NO_BACKUP: 'run an incremental FileBackup ({"mode": "incremental"}): it backs up every '
    "record it has not tracked yet",
    "invalid_url": "put a valid s3:// or https URL in each record's file URL field, then "
    "run an incremental FileBackup",
    "not_found": "restore each file at its source, or correct the record's URL, then run an "
    "incremental FileBackup",
    "access_denied": "give the backup role read access to the sources (s3:GetObject on the "
    "source bucket, or the file host's permission), then run an incremental FileBackup",
    "checksum_mismatch": "the sources' bytes disagree with their stored SHA-256: replace the "
    "source files, then run an incremental FileBackup",
    "source_changed": "the sources changed while they were copied: " + _RETRY,
    "throttled": "S3 or the file host kept throttling: " + _RETRY + " later",
    "download": "reading the sources failed: " + _RETRY,
    "upload": "writing the backup failed: " + _RETRY,
    "too_large": "run an incremental FileBackup: records the size limit leaves out are then "
    "tracked as excluded and keep their original URLs (or raise maxFileSizeMb to copy them)",
    "filtered": "run an incremental FileBackup: records the extension filter leaves out are "
    "then tracked as excluded and keep their original URLs",
}
GENERIC = _RETRY + '; MigrationStatusFunction {"view": "errors"} shows each record\'s error'


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`1 record`, `2 records`, `1,024 records`."""
    word = noun if count == 1 else (plural_noun or f"{noun}s")
    return f"{count:,} {word}"


def remedy(kind: str) -> str:
    return REMEDIES.get(kind, GENERIC)


def describe_kind(kind: str, count: int, sample: Iterable[str]) -> str:
    """One sentence: how many records of a kind, which ones, and what to do."""
    ids = list(sample)[:SAMPLE]
    named = ", ".join(ids) + (", …" if count > len(ids) else "")
    what = "has no backup" if count == 1 else "have no backup"
    what += " yet" if kind == NO_BACKUP else f" ({kind})"
    return f"{plural(count, 'record')} {what}: {named}. To fix: {remedy(kind)}."


def describe_kinds(counts: Mapping[str, int], samples: Mapping[str, Iterable[str]]) -> list[str]:
    """A sentence per kind, the most numerous first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [describe_kind(kind, n, samples.get(kind, ())) for kind, n in ordered if n]
