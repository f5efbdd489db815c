"""The Composite resource: several REST requests in one call, counted as one.

`POST /services/data/vXX.X/composite` with
`{"allOrNone": false, "compositeRequest": [{"method", "url", "referenceId", "body"?, "httpHeaders"?}]}`
answers `{"compositeResponse": [{"body", "httpHeaders", "httpStatusCode", "referenceId"}]}`.
As the REST API Developer Guide documents it:

* "The entire series of requests counts as a single call toward your API
  limits": the fake counts the outer request only;
* "All subrequests are executed in the context of the same user": each runs
  with the outer request's `Authorization` header;
* up to 25 subrequests, of which up to 5 query operations (`query`,
  `queryAll`, their next pages);
* a later subrequest may use an earlier one's output as `@{referenceId.path}`
  in its `url` or `body` (`@{refAccount.id}`, `@{q.records[0].Id}`); a
  reference that cannot be resolved fails that subrequest with
  PROCESSING_HALTED.

With `allOrNone: true`, the subrequests after a failed one are not run and
answer PROCESSING_HALTED; writes made before the failure are not rolled back
(this fake has no transactions; revops sends read-only composites).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

from local.fakes_common import FakeRequest, FakeResponse, json_response
from local.salesforce.errors import SalesforceApiError
from local.salesforce.rest import RouteSpec, V, parse_json_body

if TYPE_CHECKING:
    from local.salesforce.org import FakeOrg

MAX_SUBREQUESTS = 25
MAX_QUERIES = 5
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_QUERY_PATH = re.compile(r"(?i)/services/data/v\d+\.\d+/query(all)?(/|$)")


class _Unresolved(Exception):
    pass


def _halted(message: str) -> dict[str, Any]:
    return {"httpStatusCode": 400, "body": [{"errorCode": "PROCESSING_HALTED", "message": message}]}


class CompositeApi:
    def __init__(self, org: FakeOrg) -> None:
        self.org = org

    def routes(self) -> list[RouteSpec]:
        return [("POST", V + r"/composite/?", "composite", self.composite)]

    def composite(self, request: FakeRequest, version: str) -> FakeResponse:
        body = parse_json_body(request)
        subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
        if not isinstance(subrequests, list) or not subrequests:
            raise SalesforceApiError(400, "JSON_PARSER_ERROR", "compositeRequest is required")
        if len(subrequests) > MAX_SUBREQUESTS:
            raise SalesforceApiError(
                400,
                "LIMIT_EXCEEDED",
                f"A composite request can have up to {MAX_SUBREQUESTS} subrequests",
            )
        queries = sum(1 for s in subrequests if _QUERY_PATH.match(str(s.get("url", ""))))
        if queries > MAX_QUERIES:
            raise SalesforceApiError(
                400,
                "LIMIT_EXCEEDED",
                f"A composite request can have up to {MAX_QUERIES} query operations",
            )
        all_or_none = bool(body.get("allOrNone", False))
        outputs: dict[str, Any] = {}
        answers: list[dict[str, Any]] = []
        failed = False
        for sub in subrequests:
            reference = str(sub.get("referenceId") or "")
            if failed and all_or_none:
                answer = _halted(
                    "The transaction was rolled back since another operation in the same transaction failed."
                )
            else:
                answer = self._run(request, sub, outputs)
                failed = failed or answer["httpStatusCode"] >= 400
            outputs[reference] = answer.get("body")
            answers.append({"httpHeaders": {}, "referenceId": reference, **answer})
        return json_response(200, {"compositeResponse": answers})

    def _run(
        self, outer: FakeRequest, sub: dict[str, Any], outputs: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            url = _substitute(str(sub.get("url") or ""), outputs)
            payload = sub.get("body")
            if payload is not None:
                payload = json.loads(_substitute(json.dumps(payload), outputs))
        except _Unresolved as exc:
            return _halted(f"Invalid reference specified. No value for {exc} found.")
        parts = urlsplit(url)
        headers = CaseInsensitiveDict(dict(sub.get("httpHeaders") or {}))
        headers["Authorization"] = outer.header("Authorization") or ""
        if payload is not None:
            headers["Content-Type"] = "application/json"
        inner = FakeRequest(
            method=str(sub.get("method") or "GET").upper(),
            url=url,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=json.dumps(payload).encode() if payload is not None else b"",
        )
        response = self.org.dispatch_internal(inner)
        content = response.encoded()
        return {
            "httpStatusCode": response.status,
            "body": json.loads(content) if content else None,
        }


def _lookup(value: Any, path: str, reference: str) -> Any:
    for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        key, index = step
        if key and isinstance(value, dict) and key in value:
            value = value[key]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            raise _Unresolved(f"{reference}{path}")
    return value


def _substitute(text: str, outputs: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        reference, path = match.group(1), match.group(2)
        if reference not in outputs:
            raise _Unresolved(f"{reference}{path}")
        return str(_lookup(outputs[reference], path, reference))

    return _REFERENCE.sub(replace, text)
