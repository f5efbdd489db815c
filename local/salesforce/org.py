"""`FakeOrg`: an in-process Salesforce org that simple-salesforce talks to unchanged.

It is a `FakeService` (see `local/fakes_common.py`) answering two base URLs:
the instance URL (`https://revops-demo.my.salesforce.com`) for the data APIs
and the login URL (`https://fake-login.salesforce.com`, i.e. simple-salesforce
`domain="fake-login"`) for `/services/oauth2/token`.

    org = FakeOrg.with_standard_objects()
    account_id = org.insert("Account", {"Name": "Acme"})
    sf = org.client()                      # JWT login through the token endpoint
    sf.query("SELECT Id, Name FROM Account")

    org.install()                          # or: with org: ...
    session = transport.new_session()      # production code now reaches the org

Every data call counts toward `api_usage` (answered in `Sforce-Limit-Info:
api-usage=N/M` on every response, errors included) and goes through, in order:
an injected failure (`fail_nth_call`), the daily limit (403
REQUEST_LIMIT_EXCEEDED), the bearer token (401 INVALID_SESSION_ID), then the
handler. Handler errors are answered in Salesforce's `[{message, errorCode}]`
shape. The token endpoint is never counted nor failed.

Every data call runs as the user its token was issued to, in that user's time
zone and locale (`TimeZoneSidKey`, `LocaleSidKey`; users created without them
get the org's defaults, `time_zone` and `locale`): SOQL date literals and
reports use that user's days and weeks (see `dates.py`).

The Python methods (`insert`, `update`, `delete`, `get`, `records`) seed and
inspect data: they bypass API validation, faults and counting. All state is
guarded by one re-entrant lock, so Lambda thread pools can call concurrently.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

import requests

from local.fakes_common import FakeRequest, FakeResponse, FakeService, json_response
from local.salesforce.analytics import ReportDef, ReportsApi, parse_aggregate
from local.salesforce.auth import Auth
from local.salesforce.bulk import BulkApi
from local.salesforce.composite import CompositeApi
from local.salesforce.dates import UserClock, to_utc
from local.salesforce.errors import SalesforceApiError
from local.salesforce.rest import Handler, RestApi
from local.salesforce.schema import make_id, normalize_id
from local.salesforce.sharing import Sharing
from local.salesforce.soql import compile_query, execute
from local.salesforce.standard import STANDARD_OBJECTS
from local.salesforce.store import Store
from local.salesforce.web_auth import WebAuth

if TYPE_CHECKING:
    from simple_salesforce import Salesforce

logger = logging.getLogger(__name__)

DEFAULT_INSTANCE_URL = "https://revops-demo.my.salesforce.com"
DEFAULT_LOGIN_URL = "https://fake-login.salesforce.com"
DEFAULT_USERNAME = "integration@revops.example"
DEFAULT_CONSUMER_KEY = "local-connected-app"
_TOKEN_PATH = re.compile(r"(?i)/services/oauth2/token/?")
_OAUTH_PATH = re.compile(r"(?i)/services/oauth2/.*")  # identity endpoints: not API calls
_LOGIN_HOST = re.compile(r"^https://([A-Za-z0-9-]+)\.salesforce\.com$")
_SYNTHETIC_SERIAL = 62**9  # far above anything the record counter reaches
_UNEXPECTED = (
    "An unexpected error occurred. Please include this ErrorId if you contact support: "
    "1234567890-12345 (-1234567890)"
)


@functools.cache
def _private_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def private_key_pem() -> str:
    """An RSA key (PEM) for signing JWT assertions in tests, generated once per process."""
    from cryptography.hazmat.primitives import serialization

    return str(
        _private_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def sf_error(status: int, error_code: str, message: str) -> FakeResponse:
    return json_response(status, [{"message": message, "errorCode": error_code}])


class FakeOrg(FakeService):
    """A Salesforce org in memory: schema, records, APIs and fault injection."""

    default_base_url: ClassVar[str] = DEFAULT_INSTANCE_URL

    def __init__(
        self,
        *,
        instance_url: str = DEFAULT_INSTANCE_URL,
        login_url: str = DEFAULT_LOGIN_URL,
        api_version: str = "62.0",
        daily_api_limit: int = 100_000,
        query_page_size: int = 2000,
        bulk_page_size: int = 10_000,
        time_zone: str = "GMT",
        locale: str = "en_US",
    ) -> None:
        super().__init__(instance_url)
        self.instance_url = self.base_url
        self.login_url = login_url.rstrip("/")
        self.api_version = api_version
        self.daily_api_limit = daily_api_limit
        self.query_page_size = query_page_size
        self.bulk_page_size = bulk_page_size
        UserClock.for_user(datetime.now(UTC), time_zone, locale)  # ValueError if unknown
        self.time_zone = time_zone  # the org's default time zone and locale, which
        self.locale = locale  # a user created without its own gets
        self._fixed_clock: datetime | None = None
        self._api_usage = 0
        self._failures: dict[int, tuple[int, str, str]] = {}
        self._current = threading.local()
        self._serial = itertools.count(1)
        self._synthetic_users: dict[str, str] = {}
        self.org_id = make_id("00D", 1)
        self.store = Store(lambda: self.now)
        self.auth = Auth(
            org_id=self.org_id,
            instance_url=self.instance_url,
            login_url=self.login_url,
            user_id_for=self._user_id_for,
        )
        self.rest = RestApi(self)
        self.bulk = BulkApi(self)
        self.analytics = ReportsApi(self)
        self.sharing = Sharing(self)
        self.web = WebAuth(self)
        self.add_route("POST", _TOKEN_PATH.pattern, "token", self.auth.token_endpoint)
        for method, pattern, name, handler in self.web.routes():
            self.add_route(method, pattern, name, handler)
        for method, pattern, name, handler in (
            *self.rest.routes(),
            *self.bulk.routes(),
            *self.analytics.routes(),
            *CompositeApi(self).routes(),
        ):
            self.add_route(method, pattern, name, self._wrap(handler))

    @classmethod
    def with_standard_objects(cls, **kwargs: Any) -> Self:
        """An org with User, Account, Contact, Lead, Opportunity, Event, Task and DocListEntry__c."""
        org = cls(**kwargs)
        for spec in STANDARD_OBJECTS:
            org.declare_object(
                spec.name,
                dict(spec.fields),
                label=spec.label,
                key_prefix=spec.key_prefix,
                required=spec.required,
                read_only=spec.read_only,
                picklists=spec.picklists,
            )
        org.sharing.install()
        return org

    # ------------------------------------------------------------------ clock

    @property
    def now(self) -> datetime:
        """The org's current time (UTC, millisecond precision)."""
        fixed = self._fixed_clock
        return fixed if fixed is not None else to_utc(datetime.now(UTC))

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def clock(self) -> datetime:
        """Settable: `org.clock = datetime(...)` freezes time (naive = UTC); None resumes real time."""
        return self.now

    @clock.setter
    def clock(self, value: datetime | None) -> None:
        with self._lock:
            self._fixed_clock = to_utc(value) if value is not None else None

    def user_clock(self, username: str | None = None) -> UserClock:
        """The clock of the user named `username` (its TimeZoneSidKey and LocaleSidKey),
        or the org's defaults for a user without a User record."""
        with self._lock:
            zone, locale = self.time_zone, self.locale
            user = self.store.find_object("User")
            if username and user is not None and user.field("Username") is not None:
                for record in self.store.rows(user):
                    if record.get("Username") == username:
                        zone = record.get("TimeZoneSidKey") or zone
                        locale = record.get("LocaleSidKey") or locale
                        break
            return UserClock.for_user(self.now, zone, locale)

    def request_clock(self, request: FakeRequest) -> UserClock:
        """The clock of the user a call runs as."""
        return self.user_clock(self.auth.username_for(request))

    def advance_clock(self, delta: timedelta) -> datetime:
        """Move a frozen clock forward (freezing it at now first if it is live)."""
        with self._lock:
            self._fixed_clock = to_utc(self.now + delta)
            return self._fixed_clock

    # ----------------------------------------------------------------- schema

    def declare_object(
        self,
        name: str,
        fields: Mapping[str, str],
        *,
        label: str | None = None,
        key_prefix: str | None = None,
        required: Iterable[str] = (),
        read_only: Iterable[str] = (),
        picklists: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Declare (or redeclare) an object; see `schema.parse_field_type` for field types.

        Id, Name (unless declared), CreatedDate, LastModifiedDate, SystemModstamp
        and IsDeleted are added. `required` fields must be set by API inserts;
        `read_only` fields refuse API writes (INVALID_FIELD_FOR_INSERT_UPDATE).
        """
        with self._lock:
            self.store.declare_object(
                name,
                fields,
                label=label,
                key_prefix=key_prefix,
                required=required,
                read_only=read_only,
                picklists=picklists,
            )

    # ------------------------------------------------------------ seeding API

    def insert(self, sobject: str, record: Mapping[str, Any]) -> str:
        """Store a record (values coerced to field types); returns its 18-character Id.

        A User gets the org's default time zone and locale unless it names its own."""
        with self._lock:
            if sobject.lower() == "user":
                record = self._with_user_defaults(record)
            return self.store.insert(sobject, record)

    def _with_user_defaults(self, record: Mapping[str, Any]) -> dict[str, Any]:
        obj = self.store.find_object("User")
        filled = dict(record)
        for name, default in (("TimeZoneSidKey", self.time_zone), ("LocaleSidKey", self.locale)):
            if obj is not None and obj.field(name) is not None and not filled.get(name):
                filled[name] = default
        UserClock.for_user(
            self.now, filled.get("TimeZoneSidKey") or "GMT", filled.get("LocaleSidKey") or "en_US"
        )
        return filled

    def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """Change fields and bump LastModifiedDate/SystemModstamp (unless given)."""
        with self._lock:
            self.store.update(sobject, record_id, fields)

    def delete(self, sobject: str, record_id: str) -> None:
        """Move a record to the recycle bin (IsDeleted = true; only queryAll sees it)."""
        with self._lock:
            self.store.delete(sobject, record_id)

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        """A copy of a record, deleted or not (KeyError if there is none)."""
        with self._lock:
            obj = self.store.object(sobject)
            normalized = normalize_id(record_id)
            record = self.store.raw(obj, normalized) if normalized else None
            if record is None:
                raise KeyError(f"no {obj.name} with Id {record_id}")
            return self.store.snapshot(record)

    def records(self, sobject: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Copies of an object's records, in insertion order."""
        with self._lock:
            obj = self.store.object(sobject)
            return [
                self.store.snapshot(r)
                for r in self.store.rows(obj, include_deleted=include_deleted)
            ]

    def query(
        self, soql: str, *, include_deleted: bool = False, as_user: str | None = None
    ) -> dict[str, Any]:
        """Run SOQL without HTTP, counting or faults: `{totalSize, done, records}` as REST shapes it,
        as the user named `as_user` (default: the org's time zone and locale).

        Raises `SalesforceApiError` for a query the API would reject.
        """
        with self._lock:
            clock = self.user_clock(as_user)
            result = execute(self.store, soql, clock=clock, include_deleted=include_deleted)
            records = result.rest_records(self.store, self.api_version)
            return {"totalSize": result.total_size, "done": True, "records": records}

    def add_user(
        self,
        name: str,
        email: str | None = None,
        *,
        username: str | None = None,
        active: bool = True,
        time_zone: str | None = None,
        locale: str | None = None,
    ) -> str:
        """Insert a User (needs the User object, e.g. from `with_standard_objects`), in
        `time_zone` and `locale` (default: the org's)."""
        record: dict[str, Any] = {"Name": name, "Email": email, "IsActive": active}
        if username is not None:
            record["Username"] = username
        record["TimeZoneSidKey"] = time_zone or self.time_zone
        record["LocaleSidKey"] = locale or self.locale
        return self.insert("User", record)

    # ---------------------------------------------------------------- reports

    def add_report(
        self,
        report_id: str,
        name: str,
        *,
        sobject: str,
        date_field: str,
        owner_field: str,
        aggregate: str | Sequence[str] = "RowCount",
        filters: str | None = None,
        date_column: str | None = None,
        owner_column: str | None = None,
        detail_columns: Sequence[str] | None = None,
        report_filters: Sequence[Mapping[str, Any]] = (),
        date_granularity: str = "Week",
    ) -> None:
        """A saved summary report: rows grouped by week of `date_field`, then by `owner_field`.

        `aggregate` is "RowCount" or "<s|a|m|mx|u>!<Field>" (e.g. "s!Amount"), or a
        list of them. `report_filters` are its saved filters as the Analytics API
        shows them (`{"column": "Opportunity.LeadSource", "operator": "equals",
        "value": "Boca"}`, ANDed); `filters` is a SOQL WHERE fragment applied too,
        which the API does not show (an org's hidden logic). `date_granularity`
        is "Week" or "Day".
        Columns are named `<Object>.<Field>` unless `date_column`/`owner_column`
        say otherwise (e.g. "CLOSE_DATE", "FULL_NAME").
        """
        with self._lock:
            obj = self.store.object(sobject)
            date_def = obj.field(date_field)
            owner_def = obj.field(owner_field)
            if date_def is None or date_def.type not in ("date", "datetime"):
                raise ValueError(f"{obj.name}.{date_field} is not a date or dateTime field")
            if owner_def is None or owner_def.type not in ("reference", "id"):
                raise ValueError(f"{obj.name}.{owner_field} is not a reference field")
            if filters:
                try:
                    compile_query(
                        self.store, f"SELECT Id FROM {obj.name} WHERE {filters}", self.user_clock()
                    )
                except SalesforceApiError as exc:
                    raise ValueError(f"invalid report filters {filters!r}: {exc.message}") from exc
            specs = [aggregate] if isinstance(aggregate, str) else list(aggregate)
            aggregates = [parse_aggregate(obj, spec) for spec in specs]
            date_col = date_column or f"{obj.name}.{date_def.name}"
            owner_col = owner_column or f"{obj.name}.{owner_def.name}"
            details = (
                list(detail_columns)
                if detail_columns
                else self._default_details(obj, date_col, owner_col, aggregates)
            )
            report = ReportDef(
                report_id, name, obj, date_def, owner_def, aggregates, filters, date_col, owner_col
            )
            if date_granularity not in ("Week", "Day"):
                raise ValueError(f"date_granularity {date_granularity!r} is not Week or Day")
            report.date_granularity = date_granularity
            report.report_filters = [
                {"column": str(f["column"]), "isRunPageEditable": True,
                 "operator": str(f["operator"]), "value": str(f.get("value", ""))}
                for f in report_filters
            ]  # fmt: skip
            for column in [*details, *(f["column"] for f in report.report_filters)]:
                report.column_field(column)
            report.detail_columns = details
            self.analytics.add(report)

    @staticmethod
    def _default_details(
        obj: Any, date_col: str, owner_col: str, aggregates: Sequence[Any]
    ) -> list[str]:
        details = [f"{obj.name}.Name"] if obj.field("Name") else []
        details += [date_col, owner_col]
        details += [a.name.split("!", 1)[1] for a in aggregates if a.field is not None]
        return list(dict.fromkeys(details))

    # -------------------------------------------------------- fault injection

    def expire_session(self) -> None:
        """Invalidate every token issued so far: calls get 401 INVALID_SESSION_ID until a new login."""
        with self._lock:
            self.auth.revoke_all()

    def exhaust_daily_limit(self) -> None:
        """Use up the daily API limit: every call gets 403 REQUEST_LIMIT_EXCEEDED."""
        with self._lock:
            self._api_usage = max(self._api_usage, self.daily_api_limit)

    def lock_records(self, ids: Iterable[str], times: int | None = None) -> None:
        """API writes to these records fail with UNABLE_TO_LOCK_ROW (the next `times` attempts, or until unlocked)."""
        with self._lock:
            for record_id in ids:
                normalized = normalize_id(record_id)
                if normalized is None:
                    raise ValueError(f"not a record Id: {record_id!r}")
                self.store.locks[normalized] = times

    def unlock_records(self, ids: Iterable[str] | None = None) -> None:
        with self._lock:
            if ids is None:
                self.store.locks.clear()
            for record_id in ids or ():
                self.store.locks.pop(normalize_id(record_id) or record_id, None)

    def fail_nth_call(
        self,
        n: int,
        status: int = 500,
        error_code: str = "UNKNOWN_EXCEPTION",
        message: str | None = None,
    ) -> None:
        """Make the n-th data call from now (1 = the next one) answer `status` with `error_code`."""
        if n < 1:
            raise ValueError("n counts from 1 (the next call)")
        with self._lock:
            text = message or (_UNEXPECTED if status >= 500 else f"Injected failure: {error_code}")
            self._failures[self._api_usage + n] = (status, error_code, text)

    @property
    def api_usage(self) -> int:
        """Data calls answered so far (what `Sforce-Limit-Info` reports)."""
        return self._api_usage

    @api_usage.setter
    def api_usage(self, value: int) -> None:
        with self._lock:
            self._api_usage = value

    @property
    def bulk_polls_before_complete(self) -> int:
        """How many job polls answer InProgress before a Bulk API job completes (default 0)."""
        return self.bulk.polls_before_complete

    @bulk_polls_before_complete.setter
    def bulk_polls_before_complete(self, value: int) -> None:
        with self._lock:
            self.bulk.polls_before_complete = value

    # ------------------------------------------------------------------ auth

    @property
    def consumer_key(self) -> str | None:
        """The connected app's consumer key JWTs must carry as `iss` (None: any)."""
        return self.auth.consumer_key

    @consumer_key.setter
    def consumer_key(self, value: str | None) -> None:
        self.auth.consumer_key = value

    @property
    def allowed_usernames(self) -> set[str] | None:
        """Usernames that may log in (None: any non-empty username)."""
        return self.auth.allowed_usernames

    @allowed_usernames.setter
    def allowed_usernames(self, value: Iterable[str] | None) -> None:
        self.auth.allowed_usernames = set(value) if value is not None else None

    def issue_token(self) -> str:
        """A valid access token without a login call (for `Salesforce(session_id=...)`)."""
        with self._lock:
            return self.auth.issue()

    @property
    def integration_user_id(self) -> str:
        return self._user_id_for(DEFAULT_USERNAME)

    def _user_id_for(self, username: str) -> str:
        user = self.store.find_object("User")
        if user is not None and user.field("Username") is not None:
            for record in self.store.rows(user):
                if record.get("Username") == username:
                    return str(record["Id"])
        if username not in self._synthetic_users:
            serial = _SYNTHETIC_SERIAL + len(self._synthetic_users)
            self._synthetic_users[username] = make_id("005", serial)
        return self._synthetic_users[username]

    # ------------------------------------------------------------- identifiers

    def new_locator(self) -> str:
        return make_id("01g", next(self._serial))

    def new_job_id(self) -> str:
        return make_id("750", next(self._serial))

    # ------------------------------------------------------------- transport

    def session(self) -> requests.Session:
        """A plain session with this org mounted on both its instance and login URLs."""
        session = requests.Session()
        session.mount(self.instance_url, self._adapter)
        session.mount(self.login_url, self._adapter)
        return session

    def install(self) -> Self:
        """Register both URLs with `revops.integrations.transport`."""
        from revops.integrations import transport

        transport.register_adapter(self.instance_url, self._adapter)
        transport.register_adapter(self.login_url, self._adapter)
        self._installed = True
        return self

    def uninstall(self) -> None:
        from revops.integrations import transport

        if self._installed:
            transport.unregister_adapter(self.instance_url)
            transport.unregister_adapter(self.login_url)
            self._installed = False

    def client(self, username: str = DEFAULT_USERNAME) -> Salesforce:
        """A simple-salesforce client logged in by JWT bearer flow through `session()`.

        It re-logs in by itself after `expire_session()`. If the login URL is not
        `https://<domain>.salesforce.com`, the client gets a token directly instead.
        """
        from simple_salesforce import Salesforce

        match = _LOGIN_HOST.match(self.login_url)
        if match is None:
            return Salesforce(
                instance_url=self.instance_url,
                session_id=self.issue_token(),
                session=self.session(),
                version=self.api_version,
            )
        # PyJWT signs with a key object as readily as with PEM text, and skips the
        # ~30 ms PEM parse that every login would otherwise cost.
        return Salesforce(
            username=username,
            consumer_key=self.consumer_key or DEFAULT_CONSUMER_KEY,
            privatekey=cast(str, _private_key()),
            domain=match.group(1),
            session=self.session(),
            version=self.api_version,
        )

    # ------------------------------------------------------------- dispatch

    def handle(self, request: FakeRequest, read_timeout: float | None = None) -> FakeResponse:
        """Count the call and stamp `Sforce-Limit-Info` (the OAuth endpoints are exempt)."""
        if _OAUTH_PATH.fullmatch(request.path):
            return super().handle(request, read_timeout)
        with self._lock:
            self._api_usage += 1
            number = self._api_usage
        self._current.number = number
        try:
            response = super().handle(request, read_timeout)
        finally:
            self._current.number = None
        response.headers["Sforce-Limit-Info"] = f"api-usage={number}/{self.daily_api_limit}"
        return response

    def _admit(self, request: FakeRequest, route_name: str) -> FakeResponse | None:
        if route_name == "token" or route_name.startswith("oauth"):
            return None
        number = getattr(self._current, "number", None) or self._api_usage
        failure = self._failures.pop(number, None)
        if failure is not None:
            return sf_error(*failure)
        if number > self.daily_api_limit:
            return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        if route_name != "versions" and not self._session_valid(request):
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return None

    def _session_valid(self, request: FakeRequest) -> bool:
        """A known token of a user who is still active and not frozen."""
        grant = self.auth.grant_for(request)
        if grant is None:
            return False
        user = self.sharing.user(self.running_user(request) or "")
        return user is None or (
            bool(user.get("IsActive")) and not self.sharing.is_frozen(user["Id"])
        )

    def running_user(self, request: FakeRequest) -> str | None:
        """The user id a request acts for (None: the integration session of `issue_token`)."""
        grant = self.auth.grant_for(request)
        if grant is None or grant.username is None:
            return None
        return self._user_id_for(grant.username)

    def dispatch_internal(self, request: FakeRequest) -> FakeResponse:
        """Answer a subrequest (Composite) without counting it or checking limits again."""
        route, groups, path_known = self._match(request)
        if route is None or route.name == "token" or route.name.startswith("oauth"):
            return self._method_not_allowed(request) if path_known else self._not_found(request)
        if route.name != "versions" and not self._session_valid(request):
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return route.handler(request, **groups)

    def _wrap(self, handler: Handler) -> Handler:
        """Check the API version and turn exceptions into Salesforce error responses."""

        def run(request: FakeRequest, **groups: str) -> FakeResponse:
            version = groups.get("version")
            try:
                if version is not None and not self._supports(version):
                    return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
                return handler(request, **groups)
            except SalesforceApiError as exc:
                return json_response(exc.status, exc.body())
            except Exception:  # a bug in the fake: answer as Salesforce's own 500 would
                logger.exception("FakeOrg failed on %s %s", request.method, request.path)
                return sf_error(500, "UNKNOWN_EXCEPTION", _UNEXPECTED)

        return run

    def _supports(self, version: str) -> bool:
        try:
            return 20.0 <= float(version) <= float(self.api_version)
        except ValueError:
            return False

    def _not_found(self, request: FakeRequest) -> FakeResponse:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")

    def _method_not_allowed(self, request: FakeRequest) -> FakeResponse:
        return sf_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")
