"""Hostile input through API Gateway's contract: every request an outside client can craft gets
a 4xx with the API's error envelope, never a 5xx.

Each case the issue lists is a test: JSON nested 100,000 levels deep, integers longer than
4,300 digits in any field, tens of thousands of unknown fields (a 413 for the body, capped
error details below it), the `Bearer` scheme in any case, canonical time zones only, control
characters in names, refresh tokens that would not fit in Secrets Manager (refused before any
write) and the year-2100 edge. Property tests (hypothesis) then throw generated bodies of
every shape at every route that takes one.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.demo_agent_metrics import LocalHttpApi
from local.stack import LOCAL_ADMIN_TOKEN, LocalStack
from revops.agentmetrics.periods import canonical_zone
from tests.integration.test_admin_api import open_admin

BODY_ROUTES = [
    ("POST", "/admin/bootstrap/appointments/sync"),
    ("POST", "/admin/bootstrap/bulk-sync"),
    ("POST", "/admin/bootstrap/import-historical"),
    ("PUT", "/admin/clients/client-hostile"),
]
CLIENT = {"name": "Hostile Dental", "timeZone": "America/Toronto"}


class Gateway:
    def __init__(self, stack: LocalStack, api: LocalHttpApi, http: requests.Session) -> None:
        self.stack, self.api, self.http = stack, api, http

    def send(
        self, method: str, path: str, data: str | bytes | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        return self.http.request(
            method, f"{self.api.base_url}{path}", data=data, headers=headers, **kwargs
        )


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with LocalStack() as stack, open_admin(stack) as admin:
        yield Gateway(admin.stack, admin.api, admin.http)


def refused(response: requests.Response, *statuses: int) -> dict[str, Any]:
    """The error envelope of a 4xx answer (and never a 5xx)."""
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    body = response.json()
    assert body["success"] is False and body["error"] and body["requestId"]
    return dict(body)


# --------------------------------------------------------------------------- nesting


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_json_nested_100000_levels_deep_is_a_400(gateway: Gateway, method: str, path: str) -> None:
    for nested in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        if len(nested) > 256 * 1024:  # the object form is over the size cap: a 413 first
            refused(gateway.send(method, path, nested), 413)
            continue
        error = refused(gateway.send(method, path, nested), 400)
        assert error["error"] == "The request body is nested deeper than 32 levels"


def test_nesting_within_the_limit_reaches_the_models(gateway: Gateway) -> None:
    body = {"clientId": "client-maple", "year": 2025, "month": 3, "extra": [[[[[[1]]]]]]}
    error = refused(gateway.send("POST", BODY_ROUTES[0][1], json.dumps(body)), 422)
    assert error["details"][0]["field"] == "extra"


# --------------------------------------------------------------------------- huge numbers


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ('{"clientId":"client-maple","year":' + "9" * 5000 + ',"month":3}', ["year"]),
        ('{"clientId":"client-maple","year":2025,"month":-' + "1" * 4301 + "}", ["month"]),
        ('{"clientId":"client-maple","year":2025,"month":3,"x":' + "9" * 5000 + "}", ["x"]),
        ('{"a":[1,{"b":' + "7" * 10_000 + '}],"c":' + "8" * 4301 + "}", ["a.1.b", "c"]),
    ],
)
def test_an_integer_over_4300_digits_in_any_field_is_a_422_naming_it(
    gateway: Gateway, body: str, fields: list[str]
) -> None:
    for method, path in BODY_ROUTES:
        error = refused(gateway.send(method, path, body), 422)
        assert "more than 4,300 digits" in error["error"]
        assert [d["field"] for d in error["details"]] == fields


def test_an_integer_of_4300_digits_is_only_out_of_range(gateway: Gateway) -> None:
    body = '{"clientId":"client-maple","year":' + "9" * 4300 + ',"month":3}'
    error = refused(gateway.send("POST", BODY_ROUTES[0][1], body), 422)
    assert error["details"][0]["field"] == "year"


def test_a_huge_integer_in_the_query_is_a_422(gateway: Gateway) -> None:
    query = {"clientId": "client-maple", "year": "9" * 5000, "month": "3"}
    response = gateway.http.get(
        f"{gateway.api.base_url}/admin/bootstrap/appointments/counts", params=query
    )
    assert refused(response, 422)["details"][0]["field"] == "year"


# --------------------------------------------------------------------------- size


def test_fifty_thousand_unknown_fields_are_a_413_not_a_megabyte_of_echo(gateway: Gateway) -> None:
    body = {"clientId": "client-maple", "year": 2025, "month": 3}
    body.update({f"f{i}": 1 for i in range(50_000)})
    response = gateway.send("POST", BODY_ROUTES[0][1], json.dumps(body))
    error = refused(response, 413)
    assert error["details"] == {"maxBytes": 262_144}
    assert len(response.content) < 1_000


def test_unknown_fields_under_the_cap_get_twenty_details_and_a_count(gateway: Gateway) -> None:
    body = {"clientId": "client-maple", "year": 2025, "month": 3}
    body.update({f"f{i:05d}": 1 for i in range(15_000)})
    response = gateway.send("POST", BODY_ROUTES[0][1], json.dumps(body))
    error = refused(response, 422)
    assert len(error["details"]) == 21
    assert error["details"][-1] == {
        "field": "*",
        "type": "too_many_errors",
        "message": "14,980 more problems not shown",
    }
    assert error["error"].endswith("and 14,990 more")
    assert len(response.content) < 5_000


def test_a_body_just_under_the_cap_is_read(gateway: Gateway) -> None:
    body = json.dumps({"clientId": "client-maple", "year": 2025, "month": 3, "pad": ""})
    padded = body.replace('"pad": ""', '"pad": "' + "x" * (262_144 - len(body)) + '"')
    assert len(padded) == 262_144
    error = refused(gateway.send("POST", BODY_ROUTES[0][1], padded), 422)
    assert error["details"][0]["field"] == "pad"


def test_bodies_that_are_not_json_are_400_and_other_media_415(gateway: Gateway) -> None:
    path = BODY_ROUTES[0][1]
    for text in (b"\xff\xfe{}", b"NaN", b'{"year": Infinity}', b"{", b"\x00"):
        refused(gateway.send("POST", path, text), 400)
    form = gateway.send("POST", path, "a=1", headers={"Content-Type": "text/plain"})
    refused(form, 415)


# --------------------------------------------------------------------------- bearer


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "beaRER"])
def test_the_bearer_scheme_is_case_insensitive(gateway: Gateway, scheme: str) -> None:
    response = gateway.api.session().get(
        f"{gateway.api.base_url}/admin/clients/client-maple",
        headers={"Authorization": f"{scheme} {LOCAL_ADMIN_TOKEN}"},
    )
    assert response.status_code == 200


# --------------------------------------------------------------------------- clients


@pytest.mark.parametrize(
    "zone", ["Factory", "posixrules", "right/America/Toronto", "EST5EDT", "US/Eastern", "UTC"]
)
def test_non_canonical_time_zones_are_422(gateway: Gateway, zone: str) -> None:
    body = json.dumps({**CLIENT, "timeZone": zone})
    error = refused(gateway.send("PUT", "/admin/clients/client-zone", body), 422)
    assert error["details"][0]["field"] == "timeZone"
    missing = gateway.http.get(f"{gateway.api.base_url}/admin/clients/client-zone")
    assert missing.status_code == 404


@pytest.mark.parametrize("name", ["Maple\x00Dental", "Maple\u202eDental", "Maple\u2067Dental"])
def test_control_characters_in_names_are_422(gateway: Gateway, name: str) -> None:
    client = json.dumps({**CLIENT, "name": name})
    assert refused(gateway.send("PUT", "/admin/clients/client-ctl", client), 422)
    agents = json.dumps({**CLIENT, "agents": [{"agentId": "agent_x", "agentName": name}]})
    error = refused(gateway.send("PUT", "/admin/clients/client-ctl", agents), 422)
    assert error["details"][0]["field"] == "agents.0.agentName"


def test_a_refresh_token_over_the_secrets_manager_limit_is_422_before_any_write(
    gateway: Gateway,
) -> None:
    sm = gateway.stack.client("secretsmanager")
    secret = "revops/local/gohighlevel/locHostile0000000001"
    body = {**CLIENT, "locationId": "locHostile0000000001", "refreshToken": "r" * 70_000}
    error = refused(gateway.send("PUT", "/admin/clients/client-big", json.dumps(body)), 422)
    assert error["details"][0]["field"] == "refreshToken"
    assert "r" * 100 not in json.dumps(error)
    assert gateway.http.get(f"{gateway.api.base_url}/admin/clients/client-big").status_code == 404
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId=secret)
    # The same client with a token that fits is saved, token and all.
    body["refreshToken"] = "ghl_rt_" + "r" * 40_000
    assert gateway.send("PUT", "/admin/clients/client-big", json.dumps(body)).status_code == 200
    assert (
        json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])["refresh_token"]
        == (body["refreshToken"])
    )


# --------------------------------------------------------------------------- years


def test_the_year_2100_is_served_to_its_last_month(gateway: Gateway) -> None:
    base = gateway.api.base_url
    counts = gateway.http.get(
        f"{base}/admin/bootstrap/appointments/counts",
        params={"clientId": "client-maple", "year": 2100, "month": 12},
    )
    assert counts.status_code == 200, counts.text
    assert counts.json()["data"]["dateRange"]["end"] == "2101-01-01T04:59:59.000Z"
    sync = gateway.send(
        "POST",
        "/admin/bootstrap/appointments/sync",
        json.dumps({"clientId": "client-maple", "year": 2100, "month": 12}),
    )
    assert sync.status_code == 200, sync.text
    for path, params in (
        (
            "/admin/bootstrap/appointments/historical",
            {"startDate": "2100-11-01", "endDate": "2100-12-31"},
        ),
        ("/admin/bootstrap/validate", {"startDate": "2100-01-01", "endDate": "2100-12-31"}),
        (
            "/admin/reports/combined-metrics",
            {"startYear": 2100, "startMonth": 1, "endYear": 2100, "endMonth": 12},
        ),
    ):
        answer = gateway.http.get(f"{base}{path}", params={"clientId": "client-maple", **params})
        assert answer.status_code == 200, (path, answer.text)
    accepted = gateway.send(
        "POST",
        "/admin/bootstrap/import-historical",
        json.dumps(
            {"clientId": "client-maple", "startDate": "2100-12-01", "endDate": "2100-12-31"}
        ),
    )
    assert accepted.status_code == 202, accepted.text
    result = gateway.stack.wait(accepted.json()["data"]["executionArn"])
    assert result.succeeded and result.output["errorMonths"] == 0, result.output


@pytest.mark.parametrize("year", [1999, 2101])
def test_years_outside_the_rule_are_422_on_every_route(gateway: Gateway, year: int) -> None:
    base = gateway.api.base_url
    answers = [
        gateway.http.get(
            f"{base}/admin/bootstrap/appointments/counts",
            params={"clientId": "client-maple", "year": year, "month": 1},
        ),
        gateway.send(
            "POST",
            "/admin/bootstrap/appointments/sync",
            json.dumps({"clientId": "client-maple", "year": year, "month": 1}),
        ),
        gateway.http.get(
            f"{base}/admin/bootstrap/validate",
            params={
                "clientId": "client-maple",
                "startDate": f"{year}-01-01",
                "endDate": f"{year}-01-31",
            },
        ),
        gateway.send(
            "POST",
            "/admin/bootstrap/import-historical",
            json.dumps(
                {
                    "clientId": "client-maple",
                    "startDate": f"{year}-01-01",
                    "endDate": f"{year}-01-31",
                }
            ),
        ),
    ]
    for answer in answers:
        refused(answer, 422)


# --------------------------------------------------------------------------- properties

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["client-maple", "2025-01-01", "2100-12-31", "\x00", "\u202e", "UTC"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(["clientId", "year", "month", "startDate", "endDate", "batchSize"])
            | st.text(max_size=12),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)


def _nesting(document: Any) -> int:
    if isinstance(document, dict):
        return 1 + max(map(_nesting, document.values()), default=0)
    if isinstance(document, list):
        return 1 + max(map(_nesting, document), default=0)
    return 0


def _hostile_text(document: Any, depth: int, digits: int) -> str:
    """`document` as JSON, wrapped `depth` levels deep and with a `digits`-long number beside it."""
    text = json.dumps(document)
    if digits:
        text = '{"n":' + "7" * digits + ',"d":' + text + "}"
    return "[" * depth + text + "]" * depth


@PROPERTY
@given(
    route=st.sampled_from(BODY_ROUTES),
    document=JSON,
    depth=st.sampled_from([0, 0, 1, 31, 32, 5000]),
    digits=st.sampled_from([0, 0, 4300, 4301, 20_000]),
)
def test_no_body_of_any_shape_gets_a_5xx(
    gateway: Gateway, route: tuple[str, str], document: Any, depth: int, digits: int
) -> None:
    method, path = route
    response = gateway.send(method, path, _hostile_text(document, depth, digits))
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        refused(response, response.status_code)
    if depth + (1 if digits else 0) + _nesting(document) > 32:
        assert response.status_code == 400
    elif digits > 4300:
        assert response.status_code == 422


@PROPERTY
@given(route=st.sampled_from(BODY_ROUTES), raw=st.binary(max_size=200))
def test_no_bytes_at_all_get_a_5xx(gateway: Gateway, route: tuple[str, str], raw: bytes) -> None:
    method, path = route
    response = gateway.send(method, path, raw)
    assert response.status_code < 500, response.text[:300]


LEGACY = ["Factory", "posixrules", "right/Europe/Paris", "posix/Asia/Tokyo", "EST5EDT", "localtime"]
ZONES = st.sampled_from([*sorted(zoneinfo.available_timezones()), *LEGACY]) | st.text(max_size=30)


@PROPERTY
@given(zone=ZONES)
def test_a_zone_is_accepted_exactly_when_it_is_canonical(gateway: Gateway, zone: str) -> None:
    response = gateway.send(
        "PUT", "/admin/clients/client-zones", json.dumps({**CLIENT, "timeZone": zone})
    )
    try:
        canonical_zone(zone)
    except ValueError:
        refused(response, 422)
    else:
        assert response.status_code == 200, response.text
        assert response.json()["data"]["timeZone"] == zone
