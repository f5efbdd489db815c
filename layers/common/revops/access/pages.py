"""The HTML pages a person can land on, one template each (`templates/`), same look as the dashboards."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"

PAGES = (
    "home",
    "refused",
    "not_found",
    "unavailable",
    "sign_in_failed",
    "signed_out",
    "too_many",
    "forbidden",
    "error",
)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(page: str, **context: Any) -> str:
    """One page; `identity`, `contact` and `request_id` are always defined (maybe None)."""
    if page not in PAGES:
        raise ValueError(f"no page {page!r}")
    defaults: dict[str, Any] = {
        "identity": None,
        "contact": "your Salesforce administrator",
        "request_id": None,
        "record_id": None,
        "reason": None,
        "retry": None,
        "salesforce_url": None,
        "permission": "the dashboard permission",
        "next": "/",
        "code": None,
    }
    return _environment().get_template(f"{page}.html.j2").render(**(defaults | context))
