"""A small scripted browser for the in-process stand-ins: cookies, redirects and the Salesforce login.

`requests` keeps no cookies for responses built by the stand-ins' transport
adapters, and a sign-in crosses three hosts (the docs API, the Salesforce
login, S3). `WebClient` does what a browser does, no more: it keeps cookies
per host (honouring `Max-Age=0` and `Secure`), follows 302/303 redirects
(303 turns a POST into a GET), and can fill in the fake org's login form.
Chromium itself drives the real thing over sockets (`local.http_front`,
`tests/browser/`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

_HIDDEN = re.compile(r"<input type=hidden name='([^']+)' value='([^']*)'>")
_FORM_ACTION = re.compile(r"<form method=post action='([^']+)'>")


@dataclass
class Hop:
    method: str
    url: str
    status: int
    location: str | None


@dataclass
class Visit:
    """The last response of a navigation and every hop before it."""

    response: requests.Response
    hops: list[Hop] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.hops[-1].url if self.hops else ""

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def text(self) -> str:
        return self.response.text


def set_cookies(response: requests.Response) -> list[str]:
    raw = getattr(response.raw, "headers", None)
    if raw is not None and hasattr(raw, "getlist"):
        return list(raw.getlist("Set-Cookie"))
    value = response.headers.get("Set-Cookie")
    return [value] if value else []


class WebClient:
    def __init__(self, session: requests.Session) -> None:
        self.http = session
        self.cookies: dict[str, dict[str, str]] = {}  # host -> name -> value

    def _remember(self, url: str, response: requests.Response) -> None:
        host = urlsplit(url).netloc
        jar = self.cookies.setdefault(host, {})
        for header in set_cookies(response):
            first, *attributes = [p.strip() for p in header.split(";")]
            name, _, value = first.partition("=")
            expired = any(a.lower() in ("max-age=0", "max-age=-1") for a in attributes)
            if expired or not value:
                jar.pop(name, None)
            else:
                jar[name] = value

    def cookie_header(self, url: str) -> str:
        jar = self.cookies.get(urlsplit(url).netloc, {})
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    def send(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        sent = dict(headers or {})
        cookie = self.cookie_header(url)
        if cookie:
            sent["Cookie"] = cookie
        response = self.http.request(method, url, data=data, headers=sent, allow_redirects=False)
        self._remember(url, response)
        return response

    def go(
        self,
        url: str,
        *,
        method: str = "GET",
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        stop_at: tuple[str, ...] = (),
        max_hops: int = 10,
    ) -> Visit:
        """Navigate like a browser, following redirects (but not into `stop_at` URL prefixes)."""
        hops: list[Hop] = []
        for _ in range(max_hops):
            response = self.send(method, url, data=data, headers=headers)
            location = response.headers.get("Location")
            hops.append(Hop(method, url, response.status_code, location))
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                return Visit(response, hops)
            target = urljoin(url, location)
            if target.startswith(stop_at):
                return Visit(response, hops)
            if response.status_code in (301, 302, 303):
                method, data = "GET", None
            url, headers = target, None
        raise RuntimeError(f"more than {max_hops} redirects from {hops[0].url}")

    def log_in(self, page: Visit, username: str, password: str, **go: object) -> Visit:
        """Fill in the (fake) Salesforce login page and carry on."""
        assert "<form" in page.text, f"not a login page: {page.url}"
        fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
        action = _FORM_ACTION.search(page.text)
        assert action is not None
        fields |= {"username": username, "password": password, "action": "login"}
        return self.go(urljoin(page.url, action.group(1)), method="POST", data=fields, **go)  # type: ignore[arg-type]
