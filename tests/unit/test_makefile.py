"""The Makefile finds Python 3.13 where Homebrew puts it, and assumes no Debian or root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local.template import REPO_ROOT

SHOW = "show-py: ; @echo $(PY313)"


def _py313(path: str) -> str:
    make = shutil.which("make")
    assert make is not None
    done = subprocess.run(
        [make, "--no-print-directory", "--eval", SHOW, "show-py"],
        cwd=REPO_ROOT,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_python_313_is_found_in_homebrews_keg_when_it_is_not_on_path(tmp_path: Path) -> None:
    keg = tmp_path / "Cellar" / "python@3.13" / "bin"
    keg.mkdir(parents=True)
    (keg / "python3.13").symlink_to(sys.executable)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    brew = bin_dir / "brew"
    brew.write_text(
        f'#!/bin/sh\n[ "$1 $2" = "--prefix python@3.13" ] && echo {keg.parent} && exit 0\nexit 1\n'
    )
    brew.chmod(0o755)
    basics = os.pathsep.join(str(Path(shutil.which(t) or "/bin/sh").parent) for t in ("make", "sh"))

    assert _py313(f"{bin_dir}{os.pathsep}{basics}") == str(keg / "python3.13")


@pytest.mark.parametrize("word", ["apt-get", "apt ", "sudo", "dpkg", "/usr/lib"])
def test_only_the_browser_helper_may_install_system_packages(word: str) -> None:
    recipes = [
        line
        for line in (REPO_ROOT / "Makefile").read_text().splitlines()
        if not line.startswith("#")
    ]
    assert not [line for line in recipes if word in line]
