"""The REST API resources: versions, describe, query, records, collections, limits.

Shapes follow the REST API Developer Guide:

* `GET /services/data/` lists versions; `GET /services/data/vXX.X/` the resources.
* `GET /sobjects/` (describeGlobal), `GET /sobjects/{Object}` (basic info),
  `GET /sobjects/{Object}/describe`.
* `GET /query?q=` and `/queryAll?q=`: `{totalSize, done, records, nextRecordsUrl?}`
  pages of `query_page_size` (2,000, or the `Sforce-Query-Options: batchSize=N`
  header); `GET /query/<locator>-<offset>` continues.
* `POST /sobjects/{Object}` (201 `{id, success, errors}`),
  `GET|PATCH|DELETE /sobjects/{Object}/{Id}` (PATCH and DELETE answer 204).
* sObject Collections: `POST|PATCH|DELETE /composite/sobjects` (at most 200
  records, `allOrNone`), `GET|POST /composite/sobjects/{Object}` to retrieve.
* `GET /limits`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from local.fakes_common import FakeRequest, FakeResponse, json_response
from local.salesforce import record_access
from local.salesforce.errors import RecordError, SalesforceApiError, not_found
from local.salesforce.schema import ObjectDef, describe_global_entry, describe_object, normalize_id
from local.salesforce.schema import to_json as json_value
from local.salesforce.soql import compile_query, record_attributes, run_compiled

if TYPE_CHECKING:
    from local.salesforce.org import FakeOrg

V = r"(?i)/services/data/v(?P<version>\d+\.\d+)"
MAX_COLLECTION_RECORDS = 200
MAX_CURSORS = 100
_ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)

Handler = Callable[..., FakeResponse]
RouteSpec = tuple[str, str, str, Handler]


def parse_json_body(request: FakeRequest) -> Any:
    try:
        return request.json()
    except ValueError as exc:
        raise SalesforceApiError(
            400, "JSON_PARSER_ERROR", f"Unexpected character in request body: {exc}"
        ) from exc


def release_label(version: str) -> str:
    """`62.0` -> `Winter '25` (three releases a year; v59.0 was Winter '24)."""
    steps = int(float(version)) - 59
    season = ("Winter", "Spring", "Summer")[steps % 3]
    return f"{season} '{24 + steps // 3:02d}"


class RestApi:
    """Handlers for the core REST resources of one org."""

    def __init__(self, org: FakeOrg) -> None:
        self.org = org
        self.cursors: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", r"(?i)/services/data/?", "versions", self.versions),
            ("GET", V + r"/?", "resources", self.resources),
            ("GET", V + r"/limits/?", "limits", self.limits),
            ("GET", V + r"/sobjects/?", "describe_global", self.describe_global),
            ("GET", V + r"/sobjects/(?P<sobject>\w+)/describe/?", "describe", self.describe),
            ("GET", V + r"/sobjects/(?P<sobject>\w+)/?", "sobject", self.sobject_info),
            ("POST", V + r"/sobjects/(?P<sobject>\w+)/?", "create", self.create),
            (
                "GET",
                V + r"/sobjects/(?P<sobject>\w+)/(?P<record_id>[^/]+)/?",
                "record",
                self.get_record,
            ),
            (
                "PATCH",
                V + r"/sobjects/(?P<sobject>\w+)/(?P<record_id>[^/]+)/?",
                "record",
                self.update_record,
            ),
            (
                "DELETE",
                V + r"/sobjects/(?P<sobject>\w+)/(?P<record_id>[^/]+)/?",
                "record",
                self.delete_record,
            ),
            ("GET", V + r"/(?P<endpoint>query|queryAll)/?", "query", self.query),
            (
                "GET",
                V + r"/(?P<endpoint>query|queryAll)/(?P<locator>[^/]+)/?",
                "query_more",
                self.query_more,
            ),
            ("POST", V + r"/composite/sobjects/?", "collections", self.collection_create),
            ("PATCH", V + r"/composite/sobjects/?", "collections", self.collection_update),
            ("DELETE", V + r"/composite/sobjects/?", "collections", self.collection_delete),
            (
                "GET",
                V + r"/composite/sobjects/(?P<sobject>\w+)/?",
                "collections_retrieve",
                self.collection_retrieve,
            ),
            (
                "POST",
                V + r"/composite/sobjects/(?P<sobject>\w+)/?",
                "collections_retrieve",
                self.collection_retrieve,
            ),
        ]

    # ------------------------------------------------------------- helpers

    def object_or_404(self, name: str) -> ObjectDef:
        obj = self.org.store.find_object(name)
        if obj is None:
            raise not_found()
        return obj

    def record_json(
        self, obj: ObjectDef, record: dict[str, Any], version: str, fields: list[str] | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": record_attributes(obj, record["Id"], version)}
        chosen = fields or [f.name for f in obj.fields.values()]
        for name in chosen:
            field_def = obj.field(name)
            if field_def is None:
                raise SalesforceApiError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}"
                )
            out[field_def.name] = json_value(record.get(field_def.name))
        return out

    # ------------------------------------------------------------ metadata

    def versions(self, request: FakeRequest) -> FakeResponse:
        top = int(float(self.org.api_version))
        return json_response(
            200,
            [
                {
                    "label": release_label(f"{n}.0"),
                    "url": f"/services/data/v{n}.0",
                    "version": f"{n}.0",
                }
                for n in range(31, top + 1)
            ],
        )

    def resources(self, request: FakeRequest, version: str) -> FakeResponse:
        base = f"/services/data/v{version}"
        names = ("sobjects", "query", "queryAll", "limits", "composite", "jobs", "analytics")
        return json_response(200, {name: f"{base}/{name}" for name in names})

    def limits(self, request: FakeRequest, version: str) -> FakeResponse:
        limit = self.org.daily_api_limit
        used = self.org.api_usage

        def entry(maximum: int, remaining: int) -> dict[str, int]:
            return {"Max": maximum, "Remaining": max(0, remaining)}

        return json_response(
            200,
            {
                "DailyApiRequests": entry(limit, limit - used),
                "DailyAsyncApexExecutions": entry(250000, 250000),
                "DailyBulkApiBatches": entry(15000, 15000),
                "DailyBulkV2QueryFileStorageMB": entry(976562, 976562),
                "DailyBulkV2QueryJobs": entry(10000, 10000 - self.org.bulk.query_job_count),
                "DataStorageMB": entry(5120, 5100),
                "FileStorageMB": entry(20480, 20400),
            },
        )

    def describe_global(self, request: FakeRequest, version: str) -> FakeResponse:
        objects = sorted(self.org.store.objects.values(), key=lambda o: o.name.lower())
        return json_response(
            200,
            {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [describe_global_entry(o, version) for o in objects],
            },
        )

    def describe(self, request: FakeRequest, version: str, sobject: str) -> FakeResponse:
        obj = self.object_or_404(sobject)
        return json_response(200, describe_object(obj, version, self.org.store.children_of(obj)))

    def sobject_info(self, request: FakeRequest, version: str, sobject: str) -> FakeResponse:
        obj = self.object_or_404(sobject)
        return json_response(
            200, {"objectDescribe": describe_global_entry(obj, version), "recentItems": []}
        )

    # -------------------------------------------------------------- records

    def _live_record(self, obj: ObjectDef, record_id: str) -> dict[str, Any]:
        normalized = normalize_id(record_id)
        if normalized is None or normalized[:3] != obj.key_prefix:
            raise SalesforceApiError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {record_id}",
            )
        record = self.org.store.raw(obj, normalized)
        if record is None:
            raise not_found()
        if record["IsDeleted"]:
            raise SalesforceApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return record

    def get_record(
        self, request: FakeRequest, version: str, sobject: str, record_id: str
    ) -> FakeResponse:
        obj = self.object_or_404(sobject)
        record = self._live_record(obj, record_id)
        if not self.org.sharing.visible(self.org.running_user(request), obj.name, [record]):
            raise not_found()  # the running user may not read it (sharing.py)
        fields_param = request.param("fields")
        fields = [f.strip() for f in fields_param.split(",") if f.strip()] if fields_param else None
        return json_response(200, self.record_json(obj, record, version, fields))

    def create(self, request: FakeRequest, version: str, sobject: str) -> FakeResponse:
        obj = self.object_or_404(sobject)
        body = parse_json_body(request)
        if not isinstance(body, dict):
            raise SalesforceApiError(
                400, "JSON_PARSER_ERROR", "The request body must be a JSON object"
            )
        store = self.org.store
        try:
            prepared = store.validate_insert(obj, body)
        except RecordError as exc:
            raise exc.as_api_error() from exc
        record_id = store.apply_insert(obj, prepared)
        return json_response(201, {"id": record_id, "success": True, "errors": []})

    def update_record(
        self, request: FakeRequest, version: str, sobject: str, record_id: str
    ) -> FakeResponse:
        obj = self.object_or_404(sobject)
        self._live_record(obj, record_id)
        body = parse_json_body(request)
        if not isinstance(body, dict):
            raise SalesforceApiError(
                400, "JSON_PARSER_ERROR", "The request body must be a JSON object"
            )
        store = self.org.store
        try:
            normalized, prepared = store.validate_update(obj, record_id, body)
        except RecordError as exc:
            raise exc.as_api_error() from exc
        store.apply_update(obj, normalized, prepared)
        return FakeResponse(204)

    def delete_record(
        self, request: FakeRequest, version: str, sobject: str, record_id: str
    ) -> FakeResponse:
        obj = self.object_or_404(sobject)
        self._live_record(obj, record_id)
        store = self.org.store
        try:
            target, normalized = store.validate_delete(obj, record_id)
        except RecordError as exc:
            raise exc.as_api_error() from exc
        store.apply_delete(target, normalized)
        return FakeResponse(204)

    # ---------------------------------------------------------------- query

    def _page_size(self, request: FakeRequest) -> int:
        options = request.header("Sforce-Query-Options") or ""
        match = re.search(r"batchSize\s*=\s*(\d+)", options)
        if match is None:
            return self.org.query_page_size
        return max(200, min(int(match.group(1)), 2000))

    def query(self, request: FakeRequest, version: str, endpoint: str) -> FakeResponse:
        soql = request.param("q")
        if not soql:
            raise SalesforceApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        store = self.org.store
        include_deleted = endpoint.lower() == "queryall"
        compiled = compile_query(store, soql, self.org.request_clock(request))
        user = self.org.running_user(request)
        if compiled.obj.name == record_access.OBJECT:
            result = record_access.query_user_record_access(self.org, soql, compiled, user)
        else:  # a user's own session sees only the records sharing lets it read
            rows = store.rows(compiled.obj, include_deleted=include_deleted)
            visible = self.org.sharing.visible(user, compiled.obj.name, rows)
            result = run_compiled(store, compiled, include_deleted=include_deleted, rows=visible)
        records = result.rest_records(store, version)
        return self._page(version, records, result.total_size, 0, self._page_size(request), None)

    def query_more(
        self, request: FakeRequest, version: str, endpoint: str, locator: str
    ) -> FakeResponse:
        cursor_id, _, offset_text = locator.rpartition("-")
        records = self.cursors.get(cursor_id)
        if records is None or not offset_text.isdigit():
            raise SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        self.cursors.move_to_end(cursor_id)
        offset = int(offset_text)
        return self._page(
            version, records, len(records), offset, self._page_size(request), cursor_id
        )

    def _page(
        self,
        version: str,
        records: list[dict[str, Any]],
        total: int,
        offset: int,
        size: int,
        cursor_id: str | None,
    ) -> FakeResponse:
        end = offset + size
        body: dict[str, Any] = {"totalSize": total, "done": end >= len(records)}
        if end < len(records):
            if cursor_id is None:
                cursor_id = self.org.new_locator()
                self.cursors[cursor_id] = records
                while len(self.cursors) > MAX_CURSORS:
                    self.cursors.popitem(last=False)
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor_id}-{end}"
        body["records"] = records[offset:end]
        return json_response(200, body)

    # ---------------------------------------------------------- collections

    def _collection_body(self, request: FakeRequest) -> tuple[bool, list[dict[str, Any]]]:
        body = parse_json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise SalesforceApiError(
                400, "JSON_PARSER_ERROR", "The request body must have a records array"
            )
        records = body["records"]
        if len(records) > MAX_COLLECTION_RECORDS:
            raise SalesforceApiError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_COLLECTION_RECORDS} records into this call",
            )
        return bool(body.get("allOrNone", False)), records

    def _record_type(self, record: Any) -> ObjectDef:
        attributes = record.get("attributes") if isinstance(record, dict) else None
        type_name = attributes.get("type") if isinstance(attributes, dict) else None
        if not type_name:
            raise SalesforceApiError(400, "INVALID_TYPE", "Must send a concrete entity type.")
        obj = self.org.store.find_object(str(type_name))
        if obj is None:
            raise SalesforceApiError(
                400, "INVALID_TYPE", f"sObject type '{type_name}' is not supported."
            )
        return obj

    def collection_create(self, request: FakeRequest, version: str) -> FakeResponse:
        all_or_none, records = self._collection_body(request)
        store = self.org.store
        types = [self._record_type(r) for r in records]
        outcomes: list[Any] = []
        for obj, record in zip(types, records, strict=True):
            try:
                outcomes.append(store.validate_insert(obj, record))
            except RecordError as exc:
                outcomes.append(exc)
        failed = any(isinstance(o, RecordError) for o in outcomes)
        results: list[dict[str, Any]] = []
        for obj, outcome in zip(types, outcomes, strict=True):
            if isinstance(outcome, RecordError):
                results.append({"success": False, "errors": [outcome.as_collection_error()]})
            elif all_or_none and failed:
                results.append({"success": False, "errors": [_ROLLED_BACK.as_collection_error()]})
            else:
                results.append(
                    {"id": store.apply_insert(obj, outcome), "success": True, "errors": []}
                )
        return json_response(200, results)

    def collection_update(self, request: FakeRequest, version: str) -> FakeResponse:
        all_or_none, records = self._collection_body(request)
        store = self.org.store
        types = [self._record_type(r) for r in records]
        outcomes: list[tuple[Any, Any]] = []
        for obj, record in zip(types, records, strict=True):
            given = record.get("id", record.get("Id"))
            try:
                outcomes.append(store.validate_update(obj, given, record))
            except RecordError as exc:
                outcomes.append((given, exc))
        failed = any(isinstance(o[1], RecordError) for o in outcomes)
        results: list[dict[str, Any]] = []
        for obj, (record_id, outcome) in zip(types, outcomes, strict=True):
            shown = normalize_id(record_id) if isinstance(record_id, str) else None
            if isinstance(outcome, RecordError):
                results.append(_failure(shown, outcome))
            elif all_or_none and failed:
                results.append(_failure(shown, _ROLLED_BACK))
            else:
                store.apply_update(obj, record_id, outcome)
                results.append({"id": record_id, "success": True, "errors": []})
        return json_response(200, results)

    def collection_delete(self, request: FakeRequest, version: str) -> FakeResponse:
        ids = [i.strip() for i in (request.param("ids") or "").split(",") if i.strip()]
        if not ids:
            raise SalesforceApiError(400, "MISSING_ARGUMENT", "ids parameter is required")
        if len(ids) > MAX_COLLECTION_RECORDS:
            raise SalesforceApiError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_COLLECTION_RECORDS} records into this call",
            )
        all_or_none = (request.param("allOrNone") or "false").lower() == "true"
        store = self.org.store
        outcomes: list[Any] = []
        for given in ids:
            try:
                outcomes.append(store.validate_delete(None, given))
            except RecordError as exc:
                outcomes.append(exc)
        failed = any(isinstance(o, RecordError) for o in outcomes)
        results: list[dict[str, Any]] = []
        for given, outcome in zip(ids, outcomes, strict=True):
            if isinstance(outcome, RecordError):
                results.append(_failure(normalize_id(given), outcome))
            elif all_or_none and failed:
                results.append(_failure(outcome[1], _ROLLED_BACK))
            else:
                store.apply_delete(*outcome)
                results.append({"id": outcome[1], "success": True, "errors": []})
        return json_response(200, results)

    def collection_retrieve(self, request: FakeRequest, version: str, sobject: str) -> FakeResponse:
        obj = self.object_or_404(sobject)
        if request.method == "POST":
            body = parse_json_body(request) or {}
            ids = [str(i) for i in body.get("ids", [])]
            fields = [str(f) for f in body.get("fields", [])]
        else:
            ids = [i for i in (request.param("ids") or "").split(",") if i]
            fields = [f for f in (request.param("fields") or "").split(",") if f]
        if not ids or not fields:
            raise SalesforceApiError(400, "MISSING_ARGUMENT", "ids and fields are required")
        if len(ids) > 2000:
            raise SalesforceApiError(
                400, "EXCEEDED_ID_LIMIT", "cannot retrieve more than 2000 records"
            )
        out: list[dict[str, Any] | None] = []
        for given in ids:
            normalized = normalize_id(given.strip())
            found = self.org.store.lookup(normalized) if normalized else None
            if found is None or found[0] is not obj:
                out.append(None)
            else:
                out.append(self.record_json(obj, found[1], version, fields))
        return json_response(200, out)


def _failure(record_id: str | None, error: RecordError) -> dict[str, Any]:
    result: dict[str, Any] = {"success": False, "errors": [error.as_collection_error()]}
    if record_id:
        result = {"id": record_id, **result}
    return result
