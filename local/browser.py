"""A Chromium-family browser for the dashboard screenshots and browser tests.

Looked for, in order:

1. `$REVOPS_BROWSER` (a path to a Chrome or Chromium binary);
2. `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on PATH;
3. Chrome or Chromium in the usual macOS places (`/Applications`, `~/Applications`);
4. Playwright's own Chromium, where `playwright install chromium` put it.

`python -m local.browser --install` (what `make browser` runs) prints the browser
it found; with none it tries `playwright install chromium`, then Debian's
package when apt-get can be run (as root or with passwordless sudo), and
otherwise says in one line how to get one. It never fails: without a browser
the demo skips its screenshots and the browser tests are skipped, with a reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MAC_APPS = (
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Chromium.app/Contents/MacOS/Chromium",
)
HOW_TO_GET_ONE = (
    "install Google Chrome or Chromium, or run `.venv/bin/python -m playwright install chromium`"
)


def _mac_apps() -> list[Path]:
    roots = [Path("/Applications"), Path.home() / "Applications"]
    return [root / app for root in roots for app in MAC_APPS]


def _playwright_browsers() -> list[Path]:
    """Where `playwright install chromium` puts its Chromium (Linux, macOS)."""
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    roots = (
        [Path(root)]
        if root and root != "0"
        else [
            Path.home() / ".cache" / "ms-playwright",
            Path.home() / "Library" / "Caches" / "ms-playwright",
        ]
    )
    patterns = (
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chromium-*/chrome-mac*/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
    )
    found = []
    for base in roots:
        for pattern in patterns:
            found += [Path(p) for p in sorted(glob.glob(str(base / pattern)), reverse=True)]
    return found


def find_browser() -> str | None:
    """The first Chrome or Chromium found (see the module's docstring), or None."""
    chosen = os.environ.get("REVOPS_BROWSER")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    for candidate in [*_mac_apps(), *_playwright_browsers()]:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def missing_reason() -> str:
    return f"no Chrome or Chromium found: {HOW_TO_GET_ONE}"


def _try(command: list[str]) -> bool:
    try:
        return subprocess.run(command, check=False, stdout=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


def install() -> str | None:
    """Find a browser, else try Playwright's, then Debian's package. Never raises."""
    found = find_browser()
    if found:
        return found
    if _try([sys.executable, "-m", "playwright", "install", "chromium"]):
        found = find_browser()
        if found:
            return found
    if shutil.which("apt-get"):
        if os.geteuid() == 0:
            sudo: list[str] = []
        elif shutil.which("sudo") and _try(["sudo", "-n", "true"]):
            sudo = ["sudo", "-n"]
        else:
            return None
        if _try([*sudo, "apt-get", "update", "-qq"]) and _try(
            [*sudo, "apt-get", "install", "-y", "-qq", "chromium"]
        ):
            return find_browser()
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    found = install() if "--install" in args else find_browser()
    if found:
        print(f"browser: {found}")
    else:
        print(f"browser: none; screenshots and browser tests will be skipped ({missing_reason()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
