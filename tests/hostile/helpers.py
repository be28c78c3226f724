"""Shared helpers of the sandbox tests: running one program, finding surviving processes."""
from __future__ import annotations

import os
import time
from pathlib import Path

from sandbox import ExecutionRequest, Executor, ProgramRun, TestKind
from sandbox.executor import UID_BASE

HERE = Path(__file__).resolve().parent


def program(name: str) -> str:
    """The text of tests/hostile/<name>.py."""
    return (HERE / f"{name}.py").read_text()


def run_stdio(ex: Executor, code: str, *inputs: str) -> ProgramRun:
    return ex.submit(ExecutionRequest(code, TestKind.STDIO, inputs or ("",))).result(timeout=120)


def run_call(ex: Executor, code: str, fn_name: str, *inputs: str) -> ProgramRun:
    return ex.submit(ExecutionRequest(code, TestKind.CALL, inputs, fn_name)).result(timeout=120)


def candidate_uids(ex: Executor) -> set[int]:
    """Real uids of this executor's candidates (only meaningful when running as root)."""
    return {UID_BASE + w.proc.pid for w in ex._workers if w.proc is not None}


def processes_with_uid(uids: set[int]) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) in uids:
                found.append(int(entry))
    return found


def processes_with_marker(marker: str) -> list[int]:
    """Processes whose command line contains marker (candidates that exec'd a tool)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


def wait_until_gone(find, timeout: float = 3.0) -> list[int]:
    deadline = time.monotonic() + timeout
    left = find()
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = find()
    return left
