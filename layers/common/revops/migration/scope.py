"""Scope analysis and account discovery (the seed's `migration_analysis.py` and
`list_accounts.py`): what a backup would copy, before anything is copied.

Per account: file count, total bytes, a breakdown by extension and the largest
files; plus org-wide totals and URL kinds. Records stream from Salesforce (REST
pages or a Bulk API 2.0 job for large orgs); only per-account aggregates and a
bounded heap of the largest files stay in memory.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import naming
from revops.migration.models import ApiModel, DocMapping
from revops.migration.plan import Candidate, build_soql, check_mapping
from revops.migration.urls import HttpSource, InvalidSourceUrlError, parse_source_url


class ScopeRequest(ApiModel):
    account_id: str | None = Field(None, alias="accountId")
    top: int = Field(10, ge=1, le=1000)
    largest: int = Field(5, ge=0, le=100)


@dataclass
class _Account:
    account_id: str | None
    name: str | None
    files: int = 0
    bytes: int = 0
    unknown_size: int = 0
    extensions: Counter[str] = field(default_factory=Counter)
    extension_bytes: Counter[str] = field(default_factory=Counter)
    largest: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, candidate: Candidate, keep: int) -> None:
        ext = naming.extension(candidate.file_name) or "(none)"
        self.files += 1
        self.extensions[ext] += 1
        if candidate.size is None:
            self.unknown_size += 1
            return
        self.bytes += candidate.size
        self.extension_bytes[ext] += candidate.size
        if keep:
            entry = (candidate.size, candidate.record_id, candidate.file_name)
            if len(self.largest) < keep:
                heapq.heappush(self.largest, entry)
            else:
                heapq.heappushpop(self.largest, entry)

    def report(self) -> dict[str, Any]:
        return {
            "accountId": self.account_id,
            "accountName": self.name,
            "files": self.files,
            "bytes": self.bytes,
            "filesWithUnknownSize": self.unknown_size,
            "byExtension": {
                ext: {"files": n, "bytes": self.extension_bytes[ext]}
                for ext, n in self.extensions.most_common()
            },
            "largestFiles": [
                {"recordId": rid, "fileName": name, "bytes": size}
                for size, rid, name in sorted(self.largest, reverse=True)
            ],
        }


def analyze_scope(
    request: ScopeRequest,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    mapping: DocMapping,
    *,
    bulk_threshold: int = 50_000,
) -> dict[str, Any]:
    mapping = mapping.resolved()
    check_mapping(gateway, mapping)
    soql = build_soql(mapping, request.account_id)
    where = f" WHERE {mapping.account_field} = '{request.account_id}'" if request.account_id else ""
    total = gateway.count(f"SELECT COUNT() FROM {mapping.sobject}{where}")
    rows = (
        gateway.bulk_query(mapping.sobject, soql) if total > bulk_threshold else gateway.query(soql)
    )
    accounts: dict[str | None, _Account] = {}
    url_kinds: Counter[str] = Counter()
    extensions: Counter[str] = Counter()
    totals: defaultdict[str, int] = defaultdict(int)
    for record in rows:
        candidate = Candidate.from_record(record, mapping)
        account = accounts.setdefault(
            candidate.account_id, _Account(candidate.account_id, candidate.account_name)
        )
        account.add(candidate, request.largest)
        extensions[naming.extension(candidate.file_name) or "(none)"] += 1
        totals["files"] += 1
        totals["bytes"] += candidate.size or 0
        try:
            source = parse_source_url(candidate.url)
            url_kinds["http" if isinstance(source, HttpSource) else "s3"] += 1
        except InvalidSourceUrlError:
            url_kinds["invalid"] += 1
        if not candidate.account_id:
            totals["noAccount"] += 1
    ranked = sorted(accounts.values(), key=lambda a: (-a.files, -a.bytes, a.account_id or ""))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    account_reports = [a.report() for a in ranked]
    report: dict[str, Any] = {
        "generatedAt": stamp,
        "accountFilter": request.account_id,
        "totals": {
            "accounts": len(accounts),
            "files": totals["files"],
            "bytes": totals["bytes"],
            "filesWithoutAccount": totals["noAccount"],
            "urlKinds": dict(url_kinds),
            "byExtension": dict(extensions.most_common()),
        },
        "accounts": account_reports,
    }
    key = documents.put_json(f"analysis/{stamp}/scope.json", report)
    usage = gateway.api_usage
    return {
        "reportKey": key,
        "bucket": documents.bucket,
        "totals": report["totals"],
        "topAccounts": account_reports[: request.top],
        "apiCalls": usage.used if usage else None,
    }
