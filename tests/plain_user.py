"""Running sandbox tests again as an unprivileged user, from a test that runs as root.

CI runs as root, where the executor isolates candidates with a uid per worker. Researchers
run as ordinary users, where it uses a user namespace per worker instead. To test both
on one machine, a root test copies what the sandbox tests need into a folder that user
can read (the checkout itself may not be), and runs pytest there as a spare uid.
"""
from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

# Copied into the user's folder: the package under test and the tests that drive it.
TREE = ("sandbox", "tests/hostile", "tests/conftest.py", "setup.cfg")


@dataclass(frozen=True)
class PytestResult:
    returncode: int
    passed: tuple[str, ...]
    failed: tuple[str, ...]
    skipped: tuple[str, ...]
    output: str


def spare_uid(start: int = 43_000) -> int:
    """A uid without a passwd entry and without processes: nobody else's files or jobs."""
    used = {entry.pw_uid for entry in pwd.getpwall()}
    running = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            running.add(os.stat(f"/proc/{pid}").st_uid)
        except OSError:
            pass
    uid = start
    while uid in used or uid in running:
        uid += 1
    return uid


def _copy_readable(source: Path, target: Path) -> None:
    """Copy a file or tree with modes every user can read (never following symlinks)."""
    if source.is_symlink():
        return
    if source.is_dir():
        target.mkdir(mode=0o755)
        os.chmod(target, 0o755)
        for child in sorted(source.iterdir()):
            if child.name != "__pycache__":
                _copy_readable(child, target / child.name)
        return
    shutil.copyfile(source, target, follow_symlinks=False)
    os.chmod(target, 0o644 | (0o111 if source.stat().st_mode & stat.S_IXUSR else 0))


def _runs_as(uid: int, python: str, env: dict) -> bool:
    # The workers exec sys.executable again: it must resolve for the user too, not only start.
    code = "import pytest, subprocess, sys; subprocess.run([sys.executable, '-c', ''], check=True)"
    probe = subprocess.run(_as_user(uid, [python, "-c", code]), env=env, cwd="/", capture_output=True, timeout=60)
    return probe.returncode == 0


def _as_user(uid: int, argv: list[str]) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--", *argv]


def _interpreter(uid: int, env: dict) -> str | None:
    """This interpreter if the user can run it and import pytest, else the system's same version."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for python in (sys.executable, shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")):
        if python and _runs_as(uid, python, env):
            return python
    return None


def run_pytest_as(uid: int, repo: Path, test_files: list[str], timeout: float = 900) -> PytestResult | None:
    """Run the given test files as `uid` on a readable copy of the repo; None if the user cannot
    run an interpreter with pytest here (the caller skips, saying so)."""
    import pytest

    base = Path(tempfile.mkdtemp(prefix="apps-eval-plain-user-"))
    try:
        os.chmod(base, 0o755)
        copy = base / "repo"
        copy.mkdir(mode=0o755)
        (copy / "tests").mkdir(mode=0o755)
        for name in TREE + tuple(test_files):
            _copy_readable(repo / name, copy / name)
        home = base / "home"
        home.mkdir(mode=0o700)
        os.chown(home, uid, uid)
        # pytest itself (and its dependencies) from where this interpreter has them.
        site = str(Path(pytest.__file__).resolve().parents[1])
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               "PYTHONPATH": site, "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": str(home)}
        python = _interpreter(uid, env)
        if python is None:
            return None
        report = home / "report.xml"
        argv = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(home / "pytest"),
                f"--junitxml={report}", *test_files]
        done = subprocess.run(_as_user(uid, argv), cwd=copy, env=env, capture_output=True, text=True,
                              timeout=timeout)
        passed, failed, skipped = _outcomes(report)
        return PytestResult(done.returncode, passed, failed, skipped, (done.stdout + done.stderr)[-6000:])
    finally:
        shutil.rmtree(base, ignore_errors=True)  # rmtree does not follow symlinks


def _outcomes(report: Path) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    if not report.is_file():
        return (), (), ()
    passed, failed, skipped = [], [], []
    for case in ElementTree.parse(report).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None:
            skipped.append(name)
        else:
            passed.append(name)
    return tuple(passed), tuple(failed), tuple(skipped)
