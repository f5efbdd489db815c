"""Bulk API 2.0: ingest jobs and query jobs, CSV in and out.

Ingest (`/jobs/ingest`): create a job (`object`, `operation` insert / update /
upsert / delete / hardDelete, `externalIdFieldName`, `columnDelimiter`,
`lineEnding`), `PUT .../batches` the CSV once (201), `PATCH {"state":
"UploadComplete"}`, poll `GET` until `JobComplete`, then read
`successfulResults/` (`sf__Id,sf__Created,<columns>`), `failedResults/`
(`sf__Id,sf__Error,<columns>`) and `unprocessedrecords/`. Rows are applied one
by one with the same validation as the REST API, so locked rows fail with
`UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--`. As in
Bulk API, an empty cell leaves a field unchanged and `#N/A` sets it to null.

Query (`/jobs/query`): create with `{operation: "query"|"queryAll", query}`;
the query is validated at once (errors as in REST), then `GET .../results
?maxRecords=N&locator=L` pages the CSV with the `Sforce-Locator` (the string
`null` on the last page) and `Sforce-NumberOfRecords` headers. Relationship
columns are named by path (`Account__r.Name`). Aggregate queries are refused,
as Bulk API 2.0 refuses them.

Jobs finish when the upload completes (or, with `polls_before_complete = n`,
after n polls answering `InProgress`, which exercises pollers).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from local.fakes_common import FakeRequest, FakeResponse, json_response
from local.salesforce.dates import format_datetime
from local.salesforce.errors import RecordError, SalesforceApiError, not_found
from local.salesforce.rest import RouteSpec, V, parse_json_body
from local.salesforce.schema import ObjectDef, coerce, normalize_id
from local.salesforce.soql import QueryResult, compile_query, run_compiled

if TYPE_CHECKING:
    from local.salesforce.org import FakeOrg

DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
FINAL_STATES = ("JobComplete", "Failed", "Aborted")
NULL_MARKER = "#N/A"


@dataclass
class _Job:
    id: str
    operation: str
    object: str
    created: datetime
    created_by: str
    column_delimiter: str
    line_ending: str
    state: str
    polls_left: int = 0
    error_message: str | None = None

    @property
    def delimiter(self) -> str:
        return DELIMITERS[self.column_delimiter]

    @property
    def newline(self) -> str:
        return LINE_ENDINGS[self.line_ending]

    def write_csv(
        self, header: list[str] | None, rows: list[list[str]], *, quote_header: bool
    ) -> str:
        buffer = io.StringIO()
        writer = csv.writer(
            buffer, delimiter=self.delimiter, lineterminator=self.newline, quoting=csv.QUOTE_ALL
        )
        if header is not None:
            if quote_header:
                writer.writerow(header)
            else:
                buffer.write(self.delimiter.join(header) + self.newline)
        writer.writerows(rows)
        return buffer.getvalue()


@dataclass
class IngestJob(_Job):
    external_id_field: str | None = None
    data: str | None = None
    header: list[str] = field(default_factory=list)
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)


@dataclass
class QueryJob(_Job):
    query: str = ""
    result: QueryResult | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _parse_enum(body: dict[str, Any], key: str, allowed: dict[str, str], default: str) -> str:
    value = str(body.get(key) or default).upper()
    if value not in allowed:
        raise SalesforceApiError(400, "INVALIDJOB", f"Invalid {key}: {body.get(key)}")
    return value


def encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4)).decode()
        return int(text)
    except (ValueError, binascii.Error) as exc:
        raise SalesforceApiError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}") from exc


class BulkApi:
    """Bulk API 2.0 jobs of one org."""

    def __init__(self, org: FakeOrg) -> None:
        self.org = org
        self.ingest_jobs: dict[str, IngestJob] = {}
        self.query_jobs: dict[str, QueryJob] = {}
        self.polls_before_complete = 0

    @property
    def query_job_count(self) -> int:
        return len(self.query_jobs)

    def routes(self) -> list[RouteSpec]:
        ingest = V + r"/jobs/ingest"
        query = V + r"/jobs/query"
        job = r"/(?P<job_id>\w+)"
        return [
            ("POST", ingest + r"/?", "ingest_create", self.create_ingest),
            ("GET", ingest + r"/?", "ingest_list", self.list_ingest),
            ("GET", ingest + job + r"/?", "ingest_job", self.get_ingest),
            ("PATCH", ingest + job + r"/?", "ingest_job", self.patch_ingest),
            ("DELETE", ingest + job + r"/?", "ingest_job", self.delete_ingest),
            ("PUT", ingest + job + r"/batches/?", "ingest_upload", self.upload),
            (
                "GET",
                ingest + job + r"/(?P<kind>successfulResults|failedResults|unprocessedrecords)/?",
                "ingest_results",
                self.ingest_results,
            ),
            ("POST", query + r"/?", "query_create", self.create_query),
            ("GET", query + r"/?", "query_list", self.list_query),
            ("GET", query + job + r"/?", "query_job", self.get_query),
            ("PATCH", query + job + r"/?", "query_job", self.patch_query),
            ("DELETE", query + job + r"/?", "query_job", self.delete_query),
            ("GET", query + job + r"/results/?", "query_results", self.query_results),
        ]

    # ---------------------------------------------------------------- ingest

    def ingest_info(self, job: IngestJob, version: str, state: str | None = None) -> dict[str, Any]:
        info = self._common_info(job, version, state)
        info.update(
            {
                "externalIdFieldName": job.external_id_field,
                "contentUrl": f"services/data/v{version}/jobs/ingest/{job.id}/batches",
                "jobType": "V2Ingest",
                "numberRecordsProcessed": len(job.successes) + len(job.failures),
                "numberRecordsFailed": len(job.failures),
                "apexProcessingTime": 0,
                "apiActiveProcessingTime": 0,
            }
        )
        return info

    def _common_info(self, job: _Job, version: str, state: str | None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "id": job.id,
            "operation": job.operation,
            "object": job.object,
            "createdById": job.created_by,
            "createdDate": format_datetime(job.created),
            "systemModstamp": format_datetime(job.created),
            "state": state or job.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "lineEnding": job.line_ending,
            "columnDelimiter": job.column_delimiter,
            "retries": 0,
            "totalProcessingTime": 0,
        }
        if job.error_message:
            info["errorMessage"] = job.error_message
        return info

    def create_ingest(self, request: FakeRequest, version: str) -> FakeResponse:
        body = parse_json_body(request)
        if not isinstance(body, dict):
            raise SalesforceApiError(400, "INVALIDJOB", "The request body must be a JSON object")
        operation = str(body.get("operation") or "")
        if operation not in INGEST_OPERATIONS:
            raise SalesforceApiError(400, "INVALIDJOB", f"Invalid operation: {operation or None}")
        obj = self.org.store.find_object(str(body.get("object") or ""))
        if obj is None:
            raise SalesforceApiError(
                400,
                "INVALIDENTITY",
                f"Entity '{body.get('object')}' is not supported by the Bulk API.",
            )
        external = body.get("externalIdFieldName")
        if operation == "upsert":
            external_field = obj.field(str(external or ""))
            if external_field is None:
                raise SalesforceApiError(
                    400,
                    "INVALIDJOB",
                    f"External ID was blank or invalid for {obj.name}: {external}",
                )
            external = external_field.name
        job = IngestJob(
            id=self.org.new_job_id(),
            operation=operation,
            object=obj.name,
            created=self.org.now,
            created_by=self.org.integration_user_id,
            column_delimiter=_parse_enum(body, "columnDelimiter", DELIMITERS, "COMMA"),
            line_ending=_parse_enum(body, "lineEnding", LINE_ENDINGS, "LF"),
            state="Open",
            external_id_field=external if operation == "upsert" else None,
        )
        self.ingest_jobs[job.id] = job
        return json_response(200, self.ingest_info(job, version))

    def list_ingest(self, request: FakeRequest, version: str) -> FakeResponse:
        records = [self.ingest_info(j, version) for j in self.ingest_jobs.values()]
        return json_response(200, {"done": True, "records": records, "nextRecordsUrl": None})

    def _ingest_job(self, job_id: str) -> IngestJob:
        job = self.ingest_jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def get_ingest(self, request: FakeRequest, version: str, job_id: str) -> FakeResponse:
        job = self._ingest_job(job_id)
        self._advance(job, self._process_ingest)
        return json_response(200, self.ingest_info(job, version))

    def upload(self, request: FakeRequest, version: str, job_id: str) -> FakeResponse:
        job = self._ingest_job(job_id)
        if job.state != "Open":
            raise SalesforceApiError(
                400, "INVALIDJOBSTATE", f"Job {job.id} is not Open (state {job.state})"
            )
        if job.data is not None:
            raise SalesforceApiError(
                400,
                "BULK_API_ERROR",
                f"Found multiple contents for job: <{job.id}>, please 'Close' / 'Abort' / 'Delete' the "
                "current Job then create a new Job and make sure you only do 'PUT' once on a given Job.",
            )
        text = request.body.decode("utf-8-sig")
        if not text.strip():
            raise SalesforceApiError(400, "BULK_API_ERROR", "No content to upload")
        job.data = text
        return FakeResponse(201)

    def patch_ingest(self, request: FakeRequest, version: str, job_id: str) -> FakeResponse:
        job = self._ingest_job(job_id)
        target = self._target_state(request, job)
        if target == "UploadComplete":
            if job.state != "Open":
                raise _bad_transition(job, target)
            self._start(job, self._process_ingest)
            return json_response(200, self.ingest_info(job, version, state="UploadComplete"))
        if job.state in FINAL_STATES:
            raise _bad_transition(job, target)
        job.state = "Aborted"
        if job.data is not None:
            job.header, rows = self._read_csv(job)
            job.unprocessed = rows
        return json_response(200, self.ingest_info(job, version))

    def delete_ingest(self, request: FakeRequest, version: str, job_id: str) -> FakeResponse:
        job = self._ingest_job(job_id)
        if job.state not in (*FINAL_STATES, "UploadComplete"):
            raise _bad_transition(job, "Deleted")
        del self.ingest_jobs[job.id]
        return FakeResponse(204)

    def ingest_results(
        self, request: FakeRequest, version: str, job_id: str, kind: str
    ) -> FakeResponse:
        job = self._ingest_job(job_id)
        if job.state not in FINAL_STATES:
            raise SalesforceApiError(
                400, "INVALIDJOBSTATE", f"Job {job.id} is not complete (state {job.state})"
            )
        if kind == "successfulResults":
            text = job.write_csv(
                ['"sf__Id"', '"sf__Created"', *job.header], job.successes, quote_header=False
            )
        elif kind == "failedResults":
            text = job.write_csv(
                ['"sf__Id"', '"sf__Error"', *job.header], job.failures, quote_header=False
            )
        else:
            text = (
                job.write_csv(job.header, job.unprocessed, quote_header=False) if job.header else ""
            )
        return FakeResponse(200, text, content_type="text/csv")

    # ------------------------------------------------------------ processing

    def _target_state(self, request: FakeRequest, job: _Job) -> str:
        body = parse_json_body(request)
        target = body.get("state") if isinstance(body, dict) else None
        if target not in ("UploadComplete", "Aborted"):
            raise SalesforceApiError(400, "INVALIDJOBSTATE", f"Invalid state: {target}")
        return str(target)

    def _start(self, job: _Job, process: Callable[[Any], None]) -> None:
        job.state = "UploadComplete"
        job.polls_left = self.polls_before_complete
        if job.polls_left == 0:
            process(job)

    def _advance(self, job: _Job, process: Callable[[Any], None]) -> None:
        """On a poll: an unfinished job moves on one step (InProgress -> complete)."""
        if job.state not in ("UploadComplete", "InProgress"):
            return
        if job.polls_left > 0:
            job.polls_left -= 1
            job.state = "InProgress"
            return
        process(job)

    def _read_csv(self, job: IngestJob) -> tuple[list[str], list[list[str]]]:
        reader = csv.reader(io.StringIO(job.data or "", newline=""), delimiter=job.delimiter)
        rows = [row for row in reader if any(cell != "" for cell in row)]
        if not rows:
            return [], []
        return rows[0], rows[1:]

    def _process_ingest(self, job: IngestJob) -> None:
        if job.data is None:
            job.state, job.error_message = "Failed", "InvalidBatch : No data uploaded for this job"
            return
        obj = self.org.store.object(job.object)
        job.header, rows = self._read_csv(job)
        unknown = [c for c in job.header if obj.field(c) is None]
        needs_id = job.operation in ("update", "delete", "hardDelete")
        if unknown or (needs_id and obj.field("Id") not in [obj.field(c) for c in job.header]):
            missing = unknown[0] if unknown else "Id"
            job.state = "Failed"
            job.error_message = f"InvalidBatch : Field name not found : {missing}"
            job.unprocessed = rows
            return
        for row in rows:
            self._ingest_row(job, obj, row)
        job.state = "JobComplete"

    def _ingest_row(self, job: IngestJob, obj: ObjectDef, row: list[str]) -> None:
        values: dict[str, Any] = {}
        for column, cell in zip(job.header, row, strict=False):
            canonical = obj.fields[column.lower()].name
            if cell == "":
                continue
            values[canonical] = None if cell == NULL_MARKER else cell
        given_id = str(values.pop("Id", "") or "")
        try:
            record_id, created = self._apply_row(job, obj, given_id, values)
        except RecordError as exc:
            shown = (normalize_id(given_id) or given_id) if given_id else ""
            job.failures.append([shown, exc.as_bulk_error(), *row])
            return
        job.successes.append([record_id, "true" if created else "false", *row])

    def _apply_row(
        self, job: IngestJob, obj: ObjectDef, given_id: str, values: dict[str, Any]
    ) -> tuple[str, bool]:
        store = self.org.store
        if job.operation == "insert":
            return store.apply_insert(obj, store.validate_insert(obj, values)), True
        if job.operation in ("delete", "hardDelete"):
            target, record_id = store.validate_delete(obj, given_id)
            store.apply_delete(target, record_id)
            return record_id, False
        if job.operation == "upsert":
            match = self._upsert_match(job, obj, given_id, values)
            if match is None:
                return store.apply_insert(obj, store.validate_insert(obj, values)), True
            given_id = match
        record_id, prepared = store.validate_update(obj, given_id, values)
        store.apply_update(obj, record_id, prepared)
        return record_id, False

    def _upsert_match(
        self, job: IngestJob, obj: ObjectDef, given_id: str, values: dict[str, Any]
    ) -> str | None:
        external = job.external_id_field or "Id"
        if external == "Id":
            return given_id or None
        key = values.get(external)
        if key is None:
            raise RecordError("MISSING_ARGUMENT", f"{external} not specified", [external])
        field_def = obj.fields[external.lower()]
        wanted = coerce(field_def, key)
        matches = [r["Id"] for r in self.org.store.rows(obj) if r.get(field_def.name) == wanted]
        if len(matches) > 1:
            raise RecordError(
                "DUPLICATE_EXTERNAL_ID",
                f"{external}: more than one record found for external id field: {matches}",
                [external],
            )
        return matches[0] if matches else None

    # ----------------------------------------------------------------- query

    def query_info(self, job: QueryJob, version: str) -> dict[str, Any]:
        info = self._common_info(job, version, None)
        info["jobType"] = "V2Query"
        info["numberRecordsProcessed"] = len(job.rows) if job.state == "JobComplete" else 0
        return info

    def create_query(self, request: FakeRequest, version: str) -> FakeResponse:
        body = parse_json_body(request)
        if not isinstance(body, dict):
            raise SalesforceApiError(400, "INVALIDJOB", "The request body must be a JSON object")
        operation = str(body.get("operation") or "")
        if operation not in ("query", "queryAll"):
            raise SalesforceApiError(400, "INVALIDJOB", f"Invalid operation: {operation or None}")
        soql = str(body.get("query") or "")
        if not soql:
            raise SalesforceApiError(400, "INVALIDJOB", "The query is required")
        compiled = compile_query(self.org.store, soql, self.org.request_clock(request))
        if compiled.aggregate or compiled.count_only or compiled.offset:
            raise SalesforceApiError(
                400,
                "API_ERROR",
                "Aggregate functions, GROUP BY, COUNT() and OFFSET are not supported by Bulk API 2.0 query",
            )
        job = QueryJob(
            id=self.org.new_job_id(),
            operation=operation,
            object=compiled.obj.name,
            created=self.org.now,
            created_by=self.org.integration_user_id,
            column_delimiter=_parse_enum(body, "columnDelimiter", DELIMITERS, "COMMA"),
            line_ending=_parse_enum(body, "lineEnding", LINE_ENDINGS, "LF"),
            state="UploadComplete",
            query=soql,
        )
        job.result = run_compiled(self.org.store, compiled, include_deleted=operation == "queryAll")
        self.query_jobs[job.id] = job
        response = self.query_info(job, version)
        self._start(job, self._process_query)
        response["state"] = "UploadComplete"
        return json_response(200, response)

    def _process_query(self, job: QueryJob) -> None:
        assert job.result is not None
        job.header = job.result.csv_header()
        job.rows = job.result.csv_rows(self.org.store)
        job.state = "JobComplete"

    def list_query(self, request: FakeRequest, version: str) -> FakeResponse:
        records = [self.query_info(j, version) for j in self.query_jobs.values()]
        return json_response(200, {"done": True, "records": records, "nextRecordsUrl": None})

    def _query_job(self, job_id: str) -> QueryJob:
        job = self.query_jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def get_query(self, request: FakeRequest, version: str, job_id: str) -> FakeResponse:
        job = self._query_job(job_id)
        self._advance(job, self._process_query)
        return json_response(200, self.query_info(job, version))

    def patch_query(self, request: FakeRequest, version: str, job_id: str) -> FakeResponse:
        job = self._query_job(job_id)
        target = self._target_state(request, job)
        if target != "Aborted" or job.state in FINAL_STATES:
            raise _bad_transition(job, target)
        job.state = "Aborted"
        return json_response(200, self.query_info(job, version))

    def delete_query(self, request: FakeRequest, version: str, job_id: str) -> FakeResponse:
        job = self._query_job(job_id)
        if job.state not in FINAL_STATES:
            raise _bad_transition(job, "Deleted")
        del self.query_jobs[job.id]
        return FakeResponse(204)

    def query_results(self, request: FakeRequest, version: str, job_id: str) -> FakeResponse:
        job = self._query_job(job_id)
        if job.state != "JobComplete":
            raise SalesforceApiError(
                400, "INVALIDJOBSTATE", f"Job {job.id} is not complete (state {job.state})"
            )
        offset = decode_locator(request.param("locator") or "") if request.param("locator") else 0
        size_text = request.param("maxRecords")
        size = int(size_text) if size_text and size_text.isdigit() else self.org.bulk_page_size
        if size <= 0:
            raise SalesforceApiError(400, "INVALIDPARAM", f"Invalid maxRecords: {size_text}")
        page = job.rows[offset : offset + size]
        end = offset + len(page)
        locator = encode_locator(end) if end < len(job.rows) else "null"
        text = job.write_csv(job.header, page, quote_header=True)
        headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(page))}
        return FakeResponse(200, text, headers=headers, content_type="text/csv")


def _bad_transition(job: _Job, target: str) -> SalesforceApiError:
    return SalesforceApiError(
        400,
        "INVALIDJOBSTATE",
        f"Cannot change the state of job {job.id} from {job.state} to {target}",
    )
