"""--sandbox full|weak through the real command line: refused with one line where the full sandbox
cannot be built, recorded in config.json and shown in the report either way."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from harness.storage import read_record
from sandbox.records import SandboxMode

RUN_EVAL = str(REPO_ROOT / "run_eval.py")


def cli(*args, prefix=(), timeout=300):
    return subprocess.run([*prefix, sys.executable, RUN_EVAL, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO_ROOT)


# As root: a user namespace that allows exactly one more, for a harness that is not root in it.
# Its workers' own user namespaces are then refused, as on a distribution that forbids them.
NO_USER_NAMESPACES = ("unshare", "--user", "--map-root-user", "sh", "-c",
                      'echo 1 > /proc/sys/user/max_user_namespaces && '
                      'exec unshare --user --map-user=1000 --map-group=1000 "$@"', "sh")


def _no_user_namespaces_possible() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run([*NO_USER_NAMESPACES, "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


def test_full_sandbox_is_the_default_and_in_the_report(tmp_path):
    out = tmp_path / "full"
    done = cli("evaluate", "--solutions", "--problems", "sample-001", "--out", out)
    assert done.returncode == 0, done.stderr
    record = read_record(out / "config.json")
    assert record.execution.sandbox is SandboxMode.FULL
    assert record.sandbox.mode is SandboxMode.FULL and record.sandbox.complete is True
    assert record.execution.limits.wall_timeout_s == 5 * record.execution.limits.timeout_s
    report = cli("report", out)
    assert report.returncode == 0 and "Sandbox: full (" in report.stdout


@pytest.mark.skipif(not _no_user_namespaces_possible(), reason="needs root and unshare(1) to forbid user namespaces")
def test_without_user_namespaces_full_is_refused_in_one_line_and_weak_is_recorded(tmp_path):
    refused = cli("evaluate", "--solutions", "--problems", "sample-001", "--out", tmp_path / "refused",
                  prefix=NO_USER_NAMESPACES)
    assert refused.returncode == 1
    errors = [line for line in refused.stderr.splitlines() if "sandbox" in line]  # progress lines aside
    assert len(errors) == 1 and "Traceback" not in refused.stderr
    assert errors[0].startswith("apps-eval: the full sandbox is unavailable: user namespace refused")
    assert "--sandbox weak" in errors[0]
    out = tmp_path / "weak"
    weak = cli("evaluate", "--solutions", "--problems", "sample-001", "--sandbox", "weak", "--out", out,
               prefix=NO_USER_NAMESPACES)
    assert weak.returncode == 0, weak.stderr
    record = read_record(out / "config.json")
    assert record.execution.sandbox is SandboxMode.WEAK
    assert record.sandbox.complete is False and record.sandbox.missing
    report = cli("report", out)
    assert report.returncode == 0 and "Sandbox: WEAK (--sandbox weak); missing: user namespace refused" in report.stdout
