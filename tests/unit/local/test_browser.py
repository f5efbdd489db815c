"""Finding a browser on any machine, and saying clearly when there is none."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from local import browser


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine with no browser anywhere: empty PATH, HOME and Playwright cache."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "playwright"))
    monkeypatch.delenv("REVOPS_BROWSER", raising=False)
    monkeypatch.setattr(
        browser, "_mac_apps", lambda: [tmp_path / "Applications" / a for a in browser.MAC_APPS]
    )
    return tmp_path


def test_no_browser_anywhere_is_none_with_a_reason_that_says_how_to_get_one(bare: Path) -> None:
    assert browser.find_browser() is None
    assert "playwright install chromium" in browser.missing_reason()


@pytest.mark.parametrize("name", browser.NAMES)
def test_a_browser_on_path_is_found_by_any_of_its_names(bare: Path, name: str) -> None:
    found = _executable(bare / "bin" / name)
    assert browser.find_browser() == str(found)


def test_chrome_in_the_macos_applications_folder_is_found(bare: Path) -> None:
    found = _executable(bare / "Applications" / browser.MAC_APPS[0])
    assert browser.find_browser() == str(found)


def test_playwrights_own_chromium_is_found(bare: Path) -> None:
    found = _executable(bare / "playwright" / "chromium-1187" / "chrome-linux" / "chrome")
    assert browser.find_browser() == str(found)


def test_an_explicit_browser_wins_and_a_missing_one_is_none(
    bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = _executable(bare / "elsewhere" / "my-chrome")
    _executable(bare / "bin" / "chromium")
    monkeypatch.setenv("REVOPS_BROWSER", str(chosen))
    assert browser.find_browser() == str(chosen)
    monkeypatch.setenv("REVOPS_BROWSER", str(bare / "nothing-here"))
    assert browser.find_browser() is None


def test_make_browser_never_fails_without_a_browser(
    bare: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(browser, "_try", lambda command: False)  # no download, no apt-get
    assert browser.main(["--install"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("browser: none") and "skipped" in out[0]
