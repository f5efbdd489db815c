"""The Salesforce gateway: the only place simple-salesforce is used.

Authentication is the OAuth 2.0 JWT bearer flow with a connected app's key,
read from a Secrets Manager secret shaped like:

    {"username": "...", "consumer_key": "...", "private_key": "-----BEGIN...",
     "domain": "login", "api_version": "62.0"}

`domain` is `login` for production orgs and `test` for sandboxes. Every call
goes through `_call`, which logs in again once when the session has expired
(simple-salesforce never does), and wraps library errors into our own typed
errors so Step Functions can `Retry`/`Catch` them by name.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote_plus

import requests
from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import Operation, ResultsType
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceBulkV2ExtractError,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceOperationError,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from revops.errors import ConfigurationError, UpstreamError
from revops.integrations import transport
from revops.integrations.secrets import get_json_secret

T = TypeVar("T")

DEFAULT_API_VERSION = "62.0"


class SalesforceUnavailableError(UpstreamError):
    """Salesforce answered 5xx or could not be reached. Retry."""


class SalesforceLimitExceededError(UpstreamError):
    """The org's daily API request limit is used up (REQUEST_LIMIT_EXCEEDED).

    Retrying within minutes does not help: stop cleanly and resume later.
    """


class SalesforceAuthError(ConfigurationError):
    """Login failed: wrong username, consumer key, key or domain."""


class SalesforceQueryError(ConfigurationError):
    """Salesforce rejected a query or a field: the mapping does not match the org."""


class SalesforceNotFoundError(UpstreamError):
    """A record or resource does not exist."""


@dataclass(frozen=True)
class RecordResult:
    """One record's outcome in a collection or bulk write."""

    record_id: str
    success: bool
    error_code: str | None = None
    message: str | None = None


# A collection request carries at most this many records.
COLLECTION_LIMIT = 200
# A composite request carries at most this many query subrequests.
COMPOSITE_QUERY_LIMIT = 5


@dataclass(frozen=True)
class ApiUsage:
    used: int
    limit: int


def soql_string(value: str) -> str:
    """`value` escaped for a quoted SOQL string literal (backslashes and quotes)."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _error_code(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def _detail(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, bytes):
        return content.decode(errors="replace")[:500]
    return str(content)[:500]


def _translate(exc: SalesforceError) -> Exception:
    code = _error_code(exc)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return SalesforceLimitExceededError(f"Salesforce daily API limit exceeded: {_detail(exc)}")
    if isinstance(exc, SalesforceMalformedRequest):
        return SalesforceQueryError(f"Salesforce rejected the request ({code}): {_detail(exc)}")
    if isinstance(exc, SalesforceResourceNotFound):
        return SalesforceNotFoundError(f"not found: {exc.url}")
    if isinstance(exc, SalesforceAuthenticationFailed):
        return SalesforceAuthError(f"Salesforce login failed: {exc.message}")
    if isinstance(exc, SalesforceRefusedRequest):
        return SalesforceAuthError(f"Salesforce refused the request ({code}): {_detail(exc)}")
    if isinstance(exc, SalesforceGeneralError) and exc.status >= 500:
        return SalesforceUnavailableError(f"Salesforce {exc.status}: {_detail(exc)}")
    return UpstreamError(f"Salesforce error {exc.status} ({code}): {_detail(exc)}")


def _subrequest_error(status: int, body: Any) -> Exception:
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    code, message = str(first.get("errorCode", "")), str(first.get("message", ""))[:500]
    if code == "REQUEST_LIMIT_EXCEEDED":
        return SalesforceLimitExceededError(f"Salesforce daily API limit exceeded: {message}")
    if status >= 500 or status == 0:
        return SalesforceUnavailableError(f"Salesforce subrequest failed ({status} {code})")
    return SalesforceQueryError(f"Salesforce rejected a subrequest ({status} {code}): {message}")


def _query_more(url: str) -> Callable[[Salesforce], dict[str, Any]]:
    def call(sf: Salesforce) -> dict[str, Any]:
        return dict(sf.query_more(url, identifier_is_url=True))

    return call


class SalesforceGateway:
    """Typed, retry-aware access to one org.

    Pass `sf` to use an existing client (tests); otherwise `connect` is called
    to log in, and again whenever the session expires.
    """

    def __init__(
        self,
        sf: Salesforce | None = None,
        *,
        connect: Callable[[], Salesforce] | None = None,
        bulk_poll_seconds: float = 2.0,
        username: str | None = None,
    ) -> None:
        if sf is None and connect is None:
            raise ValueError("SalesforceGateway needs a client or a way to connect")
        self._sf = sf
        self._connect = connect
        self._lock = threading.Lock()
        self.bulk_poll_seconds = bulk_poll_seconds
        self._describes: dict[str, dict[str, Any]] = {}
        self._username = username

    @classmethod
    def from_secret(cls, secret_name: str, *, bulk_poll_seconds: float = 2.0) -> SalesforceGateway:
        gateway: SalesforceGateway

        def connect() -> Salesforce:
            secret = get_json_secret(secret_name)
            missing = [k for k in ("username", "consumer_key", "private_key") if not secret.get(k)]
            if missing:
                raise ConfigurationError(f"secret {secret_name!r} lacks {', '.join(missing)}")
            gateway._username = str(secret["username"])
            try:
                return Salesforce(
                    username=secret["username"],
                    consumer_key=secret["consumer_key"],
                    privatekey=secret["private_key"],
                    domain=secret.get("domain", "login"),
                    version=secret.get("api_version", DEFAULT_API_VERSION),
                    session=transport.new_session(),
                )
            except SalesforceAuthenticationFailed as exc:
                raise SalesforceAuthError(f"Salesforce login failed: {exc.message}") from exc

        gateway = cls(connect=connect, bulk_poll_seconds=bulk_poll_seconds)
        return gateway

    # ------------------------------------------------------------------ plumbing

    @property
    def client(self) -> Salesforce:
        with self._lock:
            if self._sf is None:
                assert self._connect is not None
                self._sf = self._connect()
            return self._sf

    @property
    def username(self) -> str | None:
        """The user every call runs as (logs in first when it is not known yet)."""
        if self._username is None and self._connect is not None and self._sf is None:
            _ = self.client
        return self._username

    def _relogin(self, stale: Salesforce) -> None:
        with self._lock:
            if self._connect is None:
                raise SalesforceAuthError("Salesforce session expired and no way to log in again")
            if self._sf is stale:
                self._sf = self._connect()

    def _call(self, fn: Callable[[Salesforce], T]) -> T:
        sf = self.client
        try:
            try:
                return fn(sf)
            except SalesforceExpiredSession:
                self._relogin(sf)
                return fn(self.client)
        except SalesforceExpiredSession as exc:
            raise SalesforceAuthError("Salesforce session expired again right after login") from exc
        except SalesforceError as exc:
            raise _translate(exc) from exc
        except SalesforceBulkV2ExtractError as exc:
            raise SalesforceQueryError(f"Bulk API 2.0 query job failed: {exc}") from exc
        except SalesforceOperationError as exc:
            raise UpstreamError(f"Bulk API 2.0 job failed: {exc}") from exc
        except requests.RequestException as exc:
            raise SalesforceUnavailableError(f"Salesforce unreachable: {exc}") from exc

    @property
    def api_usage(self) -> ApiUsage | None:
        """Usage from the last response's `Sforce-Limit-Info` header."""
        if self._sf is None:
            return None
        usage = self._sf.api_usage.get("api-usage")
        if usage is None:
            return None
        return ApiUsage(used=int(usage.used), limit=int(usage.total))

    # ------------------------------------------------------------------ reads

    def describe(self, sobject: str) -> dict[str, Any]:
        """An object's describe, fetched once per gateway (schemas do not change mid-run)."""
        key = sobject.lower()
        if key not in self._describes:
            self._describes[key] = self._call(lambda sf: getattr(sf, sobject).describe())
        return self._describes[key]

    def field_names(self, sobject: str) -> set[str]:
        """Field names of an object, lower-cased (Salesforce names are case-insensitive)."""
        return {f["name"].lower() for f in self.describe(sobject)["fields"]}

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        """Yield every record, one REST page (up to 2,000) in memory at a time."""
        for page in self.query_pages(soql):
            yield from page

    def count(self, soql: str) -> int:
        """`totalSize` of a `SELECT COUNT() ...` query."""
        return int(self._call(lambda sf: sf.query(soql))["totalSize"])

    def bulk_query(
        self, sobject: str, soql: str, page_size: int = 50_000
    ) -> Iterator[dict[str, str | None]]:
        """Yield every row of a Bulk API 2.0 query job, one results page in memory at a time.

        Relationship columns keep their dotted names (`Account__r.Name`); empty
        cells are None. Each page is fetched through `_call`, so an expired
        session is renewed between pages and the job continues from its locator
        (simple-salesforce itself never logs in again during a bulk job).
        """

        def client(sf: Salesforce) -> Any:
            return getattr(sf.bulk2, sobject)._client

        job = self._call(lambda sf: client(sf).create_job(Operation.query, soql))
        job_id = job["id"]
        self._call(lambda sf: client(sf).wait_for_job(job_id, True, self.bulk_poll_seconds))
        locator = ""
        while True:
            page = self._call(
                lambda sf, loc=locator: client(sf).get_query_results(job_id, loc, page_size)  # type: ignore[misc]
            )
            for row in csv.DictReader(io.StringIO(page["records"])):
                yield {key: (value if value != "" else None) for key, value in row.items()}
            locator = page["locator"]
            if not locator:
                return

    def query_pages(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """Yield a query's records one REST page at a time: each page is one API call.

        Like `query`, but lets a caller count the calls it makes. An aggregate
        (GROUP BY) query answers in a single page of at most 2,000 rows.
        """
        page = self._call(lambda sf: sf.query(soql))
        while True:
            records = [dict(r) for r in page.get("records", [])]
            for record in records:
                record.pop("attributes", None)
            yield records
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self._call(_query_more(next_url))

    def composite_queries(self, queries: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
        """Up to 5 SOQL queries in one Composite request: one API call, however many queries.

        ("The entire series of requests counts as a single call toward your API
        limits"; a composite holds at most 5 query subrequests.) Each query's
        first page of records comes back under its key. A refused subrequest
        raises the typed error its status and code name.
        """
        if not 0 < len(queries) <= COMPOSITE_QUERY_LIMIT:
            raise ValueError(f"1 to {COMPOSITE_QUERY_LIMIT} queries per composite request")

        def call(sf: Salesforce) -> Any:
            base = f"/services/data/v{sf.sf_version}/query/?q="
            body = {
                "allOrNone": False,
                "compositeRequest": [
                    {"method": "GET", "url": base + quote_plus(soql), "referenceId": key}
                    for key, soql in queries.items()
                ],
            }
            return sf.restful("composite", method="POST", json=body)

        result = self._call(call)
        answers: dict[str, list[dict[str, Any]]] = {}
        for answer in (result or {}).get("compositeResponse", []):
            status, body = int(answer.get("httpStatusCode") or 0), answer.get("body")
            if status != 200 or not isinstance(body, dict):
                raise _subrequest_error(status, body)
            records = [dict(r) for r in body.get("records", [])]
            for record in records:
                record.pop("attributes", None)
            answers[str(answer.get("referenceId"))] = records
        return answers

    def run_report(
        self, report_id: str, report_metadata: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run a saved report synchronously through the Analytics REST API (one API call).

        With `report_metadata` the report is POSTed with those overrides (e.g. a
        `standardDateFilter` or `reportFilters`), as the Reports API allows; the
        saved report itself is not changed. A missing report raises
        SalesforceNotFoundError.
        """
        path = f"analytics/reports/{report_id}"
        if report_metadata is None:
            result = self._call(lambda sf: sf.restful(path))
        else:
            body = {"reportMetadata": report_metadata}
            result = self._call(lambda sf: sf.restful(path, method="POST", json=body))
        if not isinstance(result, dict):
            raise SalesforceQueryError(f"report {report_id} answered {type(result).__name__}")
        return result

    def describe_report(self, report_id: str) -> dict[str, Any]:
        """A saved report's metadata without running it (one API call)."""
        result = self._call(lambda sf: sf.restful(f"analytics/reports/{report_id}/describe"))
        if not isinstance(result, dict):
            raise SalesforceQueryError(f"report {report_id} answered {type(result).__name__}")
        return result

    # ------------------------------------------------------------------ writes

    def update_collection(self, sobject: str, records: list[dict[str, Any]]) -> list[RecordResult]:
        """PATCH up to 200 records in one sObject Collections call, `allOrNone=false`.

        Each record carries its `Id`; the result lists every record's outcome in order.
        """
        if len(records) > COLLECTION_LIMIT:
            raise ValueError(f"at most {COLLECTION_LIMIT} records per collection call")
        if not records:
            return []
        payload = {
            "allOrNone": False,
            "records": [{"attributes": {"type": sobject}, **record} for record in records],
        }
        results = self._call(
            lambda sf: sf.restful("composite/sobjects", method="PATCH", json=payload)
        )
        outcomes = []
        for record, result in zip(records, results or [], strict=False):
            errors = result.get("errors") or []
            first = errors[0] if errors else {}
            outcomes.append(
                RecordResult(
                    record_id=str(result.get("id") or record["Id"]),
                    success=bool(result.get("success")),
                    error_code=first.get("statusCode"),
                    message=first.get("message"),
                )
            )
        return outcomes

    def bulk_update(self, sobject: str, records: list[dict[str, Any]]) -> list[RecordResult]:
        """Update many records with one Bulk API 2.0 ingest job; every record's outcome.

        Every step goes through `_call`, so an expired session is renewed and
        the same job continues (simple-salesforce would not log in again).
        """
        if not records:
            return []
        columns = list(records[0])
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)

        def client(sf: Salesforce) -> Any:
            return getattr(sf.bulk2, sobject)._client

        job_id = self._call(lambda sf: client(sf).create_job(Operation.update))["id"]
        self._call(lambda sf: client(sf).upload_job_data(job_id, buffer.getvalue()))
        self._call(lambda sf: client(sf).close_job(job_id))
        self._call(lambda sf: client(sf).wait_for_job(job_id, False, self.bulk_poll_seconds))
        outcomes: dict[str, RecordResult] = {}
        ok = self._call(lambda sf: client(sf).get_ingest_results(job_id, ResultsType.successful))
        for row in csv.DictReader(io.StringIO(ok)):
            outcomes[row["sf__Id"]] = RecordResult(row["sf__Id"], True)
        failed = self._call(lambda sf: client(sf).get_ingest_results(job_id, ResultsType.failed))
        for row in csv.DictReader(io.StringIO(failed)):
            record_id = row.get("Id") or row.get("sf__Id") or ""
            code, _, message = (row.get("sf__Error") or "").partition(":")
            outcomes[record_id] = RecordResult(record_id, False, code or None, message or None)
        missing = [r["Id"] for r in records if r["Id"] not in outcomes]
        for record_id in missing:  # unprocessed: report, so the caller can retry them
            outcomes[record_id] = RecordResult(
                record_id, False, "UNPROCESSED", "not processed by the job"
            )
        return [outcomes[r["Id"]] for r in records]

    def records_by_id(
        self, sobject: str, ids: list[str], fields: list[str]
    ) -> Iterator[dict[str, Any]]:
        """Read records by Id, a few hundred Ids per query (stays under the SOQL length limit)."""
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            quoted = ",".join(f"'{i}'" for i in batch)
            yield from self.query(
                f"SELECT {', '.join(fields)} FROM {sobject} WHERE Id IN ({quoted})"
            )
