"""Degraded modes: no namespaces at all, and an unprivileged harness. Each is recorded and still contains."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

import sandbox.executor
from conftest import REPO_ROOT
from hostile.helpers import processes_with_marker, program, run_stdio
from sandbox import Executor, Limits, RunStatus, SandboxMode, SandboxUnavailable


@pytest.fixture(scope="module")
def fallback():
    saved = sandbox.executor.NAMESPACES
    sandbox.executor.NAMESPACES = False
    try:
        with Executor(Limits(timeout_s=1, memory_mb=256), workers=1, sandbox=SandboxMode.WEAK) as ex:
            yield ex
    finally:
        sandbox.executor.NAMESPACES = saved


def test_without_namespaces_the_full_sandbox_refuses_to_start_with_a_one_line_reason(monkeypatch):
    monkeypatch.setattr(sandbox.executor, "NAMESPACES", False)
    with pytest.raises(SandboxUnavailable) as info:
        Executor(Limits(timeout_s=1), workers=1)
    message = str(info.value)
    assert "\n" not in message and "mount namespace refused" in message and "--sandbox weak" in message


def test_fallback_is_recorded_as_such(fallback):
    assert fallback.sandbox.mode == SandboxMode.WEAK and not fallback.sandbox.complete
    # Without a pid namespace there is no zygote: the worker forks the test processes itself.
    assert fallback.isolation["test_process_origin"].startswith("forked by the worker: its freed memory may hold")
    assert "WEAK" in fallback.sandbox.line() and "pid namespace refused" in fallback.sandbox.line()
    iso = fallback.isolation
    assert iso["pid_namespace"] is False and iso["mount_namespace"] is False
    assert iso["network"].startswith("NOT isolated")
    assert iso["filesystem"].startswith("host filesystem visible")


def test_fallback_still_blocks_inet_sockets(fallback):
    run = run_stdio(fallback, program("connect"), "127.0.0.1 9").runs[0]
    assert run.status == RunStatus.RUNTIME_ERROR and "connected" not in run.output
    unix = run_stdio(fallback, "import socket\nsocket.socket(socket.AF_UNIX).close()\nprint('ok')\n").runs[0]
    assert unix.output == "ok\n"


@pytest.mark.parametrize("name", ["setsid_daemon", "fork_bomb"])
def test_fallback_leaves_no_process(fallback, name):
    marker = f"mark-{uuid.uuid4().hex}"
    run = run_stdio(fallback, program(name), marker).runs[0]
    assert run.status in (RunStatus.OK, RunStatus.RUNTIME_ERROR)
    assert processes_with_marker(marker) == []


def test_fallback_still_times_out(fallback):
    assert run_stdio(fallback, program("ignore_signals")).runs[0].status == RunStatus.TIMEOUT


UNPRIVILEGED = """
import json, sys, uuid
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
from hostile.helpers import processes_with_marker, program, run_stdio
from sandbox import Executor, Limits
marker = "mark-" + uuid.uuid4().hex
with Executor(Limits(timeout_s=1), workers=1) as ex:
    iso = ex.isolation
    daemon = run_stdio(ex, program("setsid_daemon"), marker).runs[0].output
    caps = run_stdio(ex, "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])").runs[0].output
    survivors = processes_with_marker(marker)
print(json.dumps({"iso": iso, "daemon": daemon, "caps": caps, "survivors": survivors}))
"""


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare(1), run as root")
def test_unprivileged_harness_uses_a_user_namespace_and_gives_no_capabilities():
    out = subprocess.run(["unshare", "--user", "--map-user=1000", "--map-group=1000", sys.executable, "-c",
                          UNPRIVILEGED, str(REPO_ROOT)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0 and "Operation not permitted" in out.stderr:
        pytest.skip("user namespaces are not available here")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    iso = result["iso"]
    assert iso["user_namespace"] is True and iso["uid_drop"] is False
    assert iso["network"].startswith("isolated") and iso["pid_namespace"] is True
    assert result["daemon"] == "daemonized\n" and result["survivors"] == []
    assert int(result["caps"], 16) == 0
