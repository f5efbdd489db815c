"""The bearer-token check: 401 for missing or malformed headers, 403 for wrong tokens."""

from __future__ import annotations

import hashlib

import pytest

from revops.agentmetrics import auth

TOKEN = "s3cr3t-admin-token"
DIGEST = hashlib.sha256(TOKEN.encode()).hexdigest()


def event(header: str | None) -> dict[str, object]:
    headers = {} if header is None else {"authorization": header}
    return {"version": "2.0", "type": "REQUEST", "headers": headers}


def test_the_right_token_is_authorized() -> None:
    assert auth.authorize(event(f"Bearer {TOKEN}"), DIGEST)["isAuthorized"] is True


def test_header_names_are_case_insensitive() -> None:
    assert auth.bearer_token({"AUTHORIZATION": f"Bearer {TOKEN}"}) == TOKEN


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_matched_case_insensitively(scheme: str) -> None:
    assert auth.authorize(event(f"{scheme} {TOKEN}"), DIGEST)["isAuthorized"] is True
    assert auth.authorize(event(f"{scheme}   {TOKEN}"), DIGEST)["isAuthorized"] is True


def test_a_token_longer_than_4096_characters_is_malformed() -> None:
    with pytest.raises(auth.Unauthorized):
        auth.authorize(event("Bearer " + "a" * 4097), DIGEST)


@pytest.mark.parametrize("header", ["Bearer wrong", f"Bearer {TOKEN}x", f"Bearer {DIGEST}"])
def test_a_wrong_token_is_refused_not_unauthorized(header: str) -> None:
    assert auth.authorize(event(header), DIGEST) == {"isAuthorized": False}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Basic {TOKEN}",
        f"bearer{TOKEN}",
        f"Bearer {TOKEN} extra",
        "Token x",
    ],
)
def test_missing_or_malformed_headers_raise_unauthorized(header: str | None) -> None:
    with pytest.raises(auth.Unauthorized) as caught:
        auth.authorize(event(header), DIGEST)
    assert str(caught.value) == "Unauthorized"  # the exact message API Gateway maps to 401


def test_digests_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []

    def compare(a: str, b: str) -> bool:
        seen.append((a, b))
        return a == b

    monkeypatch.setattr(auth.hmac, "compare_digest", compare)
    assert auth.token_matches(TOKEN, DIGEST.upper())
    assert seen == [(DIGEST, DIGEST)]


def test_no_configured_digest_authorizes_nobody() -> None:
    assert auth.authorize(event(f"Bearer {TOKEN}"), "") == {"isAuthorized": False}
