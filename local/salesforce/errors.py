"""The two error shapes Salesforce answers with.

* `SalesforceApiError`: a whole request fails. The REST API answers the HTTP
  status with a JSON array `[{"message", "errorCode", "fields"?}]`, which is
  what simple-salesforce's `exception_handler` maps onto its typed exceptions.
* `RecordError`: one record of a multi-record write fails (sObject Collections,
  Bulk API 2.0 ingest). Collections report it as
  `{"statusCode", "message", "fields"}`; Bulk API results as the `sf__Error`
  column `STATUS_CODE:message:fields --`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class SalesforceApiError(Exception):
    """A request-level failure answered as `status` + `[{message, errorCode}]`."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: Sequence[str] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = list(fields) if fields is not None else None

    def body(self) -> list[dict[str, Any]]:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]


class RecordError(Exception):
    """A per-record failure inside a multi-record write."""

    def __init__(self, status_code: str, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.fields = list(fields)

    def as_collection_error(self) -> dict[str, Any]:
        """The `errors[]` entry of an sObject Collections result."""
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}

    def as_bulk_error(self) -> str:
        """The `sf__Error` cell of a Bulk API 2.0 failed-results row."""
        if self.fields:
            return f"{self.status_code}:{self.message}:{','.join(self.fields)} --"
        return f"{self.status_code}:{self.message}:--"

    def as_api_error(self, status: int = 400) -> SalesforceApiError:
        """The same failure on a single-record REST call."""
        return SalesforceApiError(status, self.status_code, self.message, self.fields)


def not_found() -> SalesforceApiError:
    """404 NOT_FOUND, as for unknown records, reports and routes."""
    return SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
