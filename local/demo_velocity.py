"""`make demo`, velocity step: the weekly run and a 12-week backfill on the demo org,
then the dashboards, their screenshots and the JSON history under `out/velocity/`.

Expects the demo org already loaded (`local.demo.load_demo_data`). Screenshots
are taken with a local Chrome or Chromium through Playwright (local/browser.py);
when there is none the step says so in one line and still writes everything else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.demo import DemoContext, StepResult

AS_OF = "2025-11-04"
BACKFILL = {"startDate": "2025-11-03", "weeks": 12}
PREFIX = "velocity/"
PAGES = ("index.html", "boca_velocity_latest.html", "pipeline_velocity_latest.html")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """A Chrome or Chromium (see local/browser.py), or None."""
    from local.browser import find_browser

    return find_browser()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless chromium browser driven by Playwright."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        from local.browser import missing_reason

        raise FileNotFoundError(missing_reason())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(browser: Any, page_path: Path, png: Path) -> list[str]:
    """A full-page PNG of a local page, as wide as its widest table; the console errors."""
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_path.resolve().as_uri())
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    widest = int(
        page.evaluate(
            "Math.max(0, ...Array.from(document.querySelectorAll('.table-wrap'),"
            " w => w.scrollWidth - w.clientWidth))"
        )
    )
    page.set_viewport_size({"width": max(1400, width + widest), "height": 900})
    page.screenshot(path=str(png), full_page=True)
    context.close()
    return errors


def _download(ctx: DemoContext, out: Path) -> list[str]:
    s3 = ctx.stack.client("s3")
    bucket = ctx.stack.physical_name("DashboardsBucket")
    written = []
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX)
    for item in listed.get("Contents", []):
        target = out / item["Key"].removeprefix(PREFIX)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
        written.append(target.name)
    return sorted(written)


def _summary_lines(label: str, summary: dict[str, Any]) -> list[str]:
    calls = summary["salesforce"]
    weeks = summary["weeks"]
    return [
        f"[{label}] {summary['status']}: weeks {weeks[-1]}..{weeks[0]} ({len(weeks)}), "
        f"failed weeks: {', '.join(summary['failedWeeks']) or 'none'}",
        f"[{label}] Salesforce API calls: {calls['totalCalls']} "
        f"(boca {calls['calls'].get('boca', 0)}, pipeline {calls['calls'].get('pipeline', 0)}; "
        f"org counter +{calls['orgCounterDelta']}) vs {calls['oldScriptsReportRuns']} report runs "
        "by the old scripts",
    ]


def run_velocity(ctx: DemoContext) -> StepResult:
    from local.demo import StepResult, write_json

    started = time.monotonic()
    stack = ctx.stack
    out = ctx.out / "velocity"
    runs = {
        "weekly": stack.run(
            "VelocityStateMachine", {"asOf": AS_OF}, name="demo-velocity-weekly", timeout=600
        ),
        "backfill": stack.run(
            "VelocityStateMachine",
            {"asOf": AS_OF, "backfill": BACKFILL},
            name="demo-velocity-backfill",
            timeout=600,
        ),
    }
    lines: list[str] = []
    for label, result in runs.items():
        write_json(
            out / f"summary-{label}.json",
            result.output or {"error": result.error, "cause": result.cause},
        )
        if result.output:
            lines += _summary_lines(label, result.output)
        else:
            lines.append(f"[{label}] {result.status}: {result.error}: {result.cause}")
    files = _download(ctx, out)
    lines.append(f"-> out/velocity/: {', '.join(files)}")
    ok = all(r.succeeded for r in runs.values())
    if chromium_path() is None:
        from local.browser import missing_reason

        lines.append(f"screenshots skipped: {missing_reason()}")
    else:
        with chromium() as browser:
            for name in PAGES:
                errors = screenshot(browser, out / name, out / f"{Path(name).stem}.png")
                if errors:
                    ok = False
                    lines.append(f"{name}: console errors: {errors}")
        lines.append("-> out/velocity/*.png (headless chromium, no console errors)" if ok else "")
    return StepResult(
        "Velocity",
        "SUCCEEDED" if ok else "FAILED",
        time.monotonic() - started,
        [line for line in lines if line],
        {label: r.output for label, r in runs.items()},
    )
