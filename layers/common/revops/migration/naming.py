"""Destination keys: `uploads/{AccountId}/{Clean_Account_Name}/{file_name}`, the seed's layout.

Cleaning rules (documented in the README):
- **Account name** → Unicode NFC; every run of characters that are not letters,
  digits (any script), `.`, `-` or `_` becomes one `_` (so spaces, slashes,
  emoji and punctuation all become `_`); leading/trailing `._-` trimmed; cut to
  80 characters; empty → `Unnamed_Account`. "Acme Corporation" →
  "Acme_Corporation"; "R&D / Labs 🚀" → "R_D_Labs".
- **File name** → Unicode NFC; `/`, `\\` and control characters become `_`;
  the other characters are kept (S3 keys are UTF-8, and URLs are
  percent-encoded when we build them); runs of whitespace collapse to one
  space; trimmed; a name over 150 characters is cut before its extension; empty
  → `file`.
- **No account** → the account folder is `_no_account/Unassigned`.
- **Same file name twice in one account** (two different records): the record
  that already holds the plain key keeps it; the others get
  `{stem}__{RecordId}{ext}`. A record that was backed up keeps its key forever,
  so reruns never move or overwrite another record's object.
- **URLs that would not fit** the Salesforce URL field (255 characters by
  default, read from describe): the file stem is cut and `__{RecordId}` added,
  then the account name is cut, until our percent-encoded URL fits, so the
  cutover can always write it.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote, unquote, urlsplit

KEY_PREFIX = "uploads"
NO_ACCOUNT_FOLDER = "_no_account/Unassigned"
_ACCOUNT_UNSAFE = re.compile(r"[^\w.\-]+")
_FILE_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")
MAX_ACCOUNT_CHARS = 80
MAX_FILE_CHARS = 150


def clean_account_name(name: str | None) -> str:
    text = unicodedata.normalize("NFC", name or "")
    text = _ACCOUNT_UNSAFE.sub("_", text).strip("._-")
    text = re.sub(r"_+", "_", text)[:MAX_ACCOUNT_CHARS].strip("._-")
    return text or "Unnamed_Account"


def clean_file_name(name: str | None) -> str:
    text = unicodedata.normalize("NFC", name or "")
    text = _FILE_UNSAFE.sub("_", text)
    text = _SPACES.sub(" ", text).strip()
    if text in ("", ".", ".."):
        return "file"
    if len(text) > MAX_FILE_CHARS:
        stem, ext = posixpath.splitext(text)
        ext = ext if len(ext) <= 16 else ""
        text = stem[: MAX_FILE_CHARS - len(ext)].rstrip() + ext
    return text


def file_name_from_url(url: str | None) -> str:
    """The last path segment: of an `s3://` key as it is (`#` and `?` included),
    of an http(s) URL without its query or fragment, percent-decoded."""
    if not url:
        return ""
    url = url.strip()
    if url[:5].lower() == "s3://":
        return posixpath.basename(url[5:].partition("/")[2])
    return unquote(posixpath.basename(urlsplit(url).path))


def extension(file_name: str) -> str:
    return posixpath.splitext(file_name)[1].lower()


def account_folder(account_id: str | None, account_name: str | None) -> str:
    if not account_id:
        return NO_ACCOUNT_FOLDER
    return f"{account_id}/{clean_account_name(account_name)}"


def plain_key(account_id: str | None, account_name: str | None, file_name: str) -> str:
    return f"{KEY_PREFIX}/{account_folder(account_id, account_name)}/{clean_file_name(file_name)}"


def disambiguated_key(key: str, record_id: str) -> str:
    folder, name = posixpath.split(key)
    stem, ext = posixpath.splitext(name)
    return f"{folder}/{stem}__{record_id}{ext}"


def fit_key(key: str, record_id: str, fits: Callable[[str], bool]) -> str:
    """Shorten `key` deterministically until `fits(key)`; unique through the record id."""
    if fits(key):
        return key
    prefix, account_id, account_name, name = _split(key)
    stem, ext = posixpath.splitext(name)
    stem = stem.removesuffix(f"__{record_id}")
    for keep in range(len(stem), -1, -8):
        candidate = f"{prefix}{account_id}{account_name}/{stem[:keep].rstrip()}__{record_id}{ext}"
        if fits(candidate):
            return candidate
    short_name = f"{record_id}{ext}"
    for keep in range(len(account_name), -1, -8):
        candidate = f"{prefix}{account_id}{account_name[:keep]}/{short_name}"
        if fits(candidate):
            return candidate
    return f"{prefix}{account_id.rstrip('/')}/{short_name}"


def _split(key: str) -> tuple[str, str, str, str]:
    """`uploads/` + `<account id>/` + `<account name>` + `/<file>` (folders may be nested)."""
    folder, name = posixpath.split(key)
    head, _, account_name = folder.rpartition("/")
    top, _, account_id = head.rpartition("/")
    return f"{top}/", f"{account_id}/", account_name, name


def object_url(bucket: str, key: str, region: str, base_url: str | None = None) -> str:
    """Our object URL for a key: `PublicBaseUrl` + key when configured, else virtual-hosted S3.

    Cutover writes it only with `LinkMode` object; by default it writes the stable
    link of `revops.access.links`, and this URL stays in tracking.
    """
    path = quote(key, safe="/")
    if base_url:
        return f"{base_url.rstrip('/')}/{path}"
    host = (
        f"{bucket}.s3.amazonaws.com"
        if region == "us-east-1"
        else f"{bucket}.s3.{region}.amazonaws.com"
    )
    return f"https://{host}/{path}"
