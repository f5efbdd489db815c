"""The velocity dashboards in a real browser: headless Chrome or Chromium, no network.

Each page comes from a real run on the local stack (weekly run and a 12-week
backfill of the demo org). A page passes when chromium logs no console error
and no page error, asks for nothing but the page itself, and its table sorts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import demo_data
from local.browser import missing_reason
from local.demo_velocity import PAGES, PREFIX, chromium, chromium_path, screenshot
from local.stack import LocalStack
from revops.velocity import wiring

pytestmark = pytest.mark.skipif(chromium_path() is None, reason=missing_reason())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    out = tmp_path_factory.mktemp("velocity")
    with LocalStack() as stack:
        wiring.gateway.cache_clear()
        demo_data.load_org(stack.org, demo_data.generate_org())
        for name, payload in {
            "weekly": {"asOf": "2025-11-04"},
            "backfill": {
                "asOf": "2025-11-04",
                "backfill": {"startDate": "2025-11-03", "weeks": 12},
            },
        }.items():
            result = stack.run("VelocityStateMachine", payload, name=name, timeout=600)
            assert result.succeeded, (result.error, result.cause)
        s3 = stack.client("s3")
        bucket = stack.physical_name("DashboardsBucket")
        for name in PAGES:
            body = s3.get_object(Bucket=bucket, Key=f"{PREFIX}{name}")["Body"].read()
            (out / name).write_bytes(body)
    yield out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_with_no_console_errors_and_no_network(
    site: Path, browser: Any, name: str
) -> None:
    requests: list[str] = []
    errors: list[str] = []
    context = browser.new_context(offline=True)
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on(
        "console",
        lambda m: errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto((site / name).as_uri())
    page.wait_for_load_state("load")

    assert errors == []
    assert requests == [(site / name).as_uri()]  # the page itself, nothing else
    assert page.title()
    context.close()


@pytest.mark.parametrize("name", ["boca_velocity_latest.html", "pipeline_velocity_latest.html"])
def test_the_table_sorts_and_shows_trends_and_totals(site: Path, browser: Any, name: str) -> None:
    page = browser.new_page()
    page.goto((site / name).as_uri())
    reps = page.locator("#velocity tbody tr")
    assert reps.count() >= 6
    assert page.locator("#velocity tfoot td.rep").inner_text() == "Team total"
    assert page.locator("#velocity tbody svg.spark").count() >= reps.count()

    header = page.locator('#velocity th[data-col="1"]')  # the first metric's last week
    header.click()
    values = [
        float(v)
        for v in page.locator("#velocity tbody tr td:nth-child(2)").evaluate_all(
            "cells => cells.map(c => c.getAttribute('data-v'))"
        )
    ]
    assert values == sorted(values, reverse=True)
    assert "sorted-desc" in (header.get_attribute("class") or "")
    header.click()
    again = [
        float(v)
        for v in page.locator("#velocity tbody tr td:nth-child(2)").evaluate_all(
            "cells => cells.map(c => c.getAttribute('data-v'))"
        )
    ]
    assert again == sorted(values)
    page.locator('#velocity th[data-col="0"]').click()
    names = page.locator("#velocity tbody tr td.rep").evaluate_all(
        "cells => cells.map(c => c.getAttribute('data-v').toLowerCase())"
    )
    assert names == sorted(names)
    page.close()


def test_screenshots_of_every_page(site: Path, browser: Any) -> None:
    for name in PAGES:
        png = site / f"{Path(name).stem}.png"

        errors = screenshot(browser, site / name, png)

        assert errors == []
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
