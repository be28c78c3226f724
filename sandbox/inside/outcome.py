"""What a finished test process left behind, turned into [status, output, detail].

Runs in the worker, after the child is gone: reads the child's memfds (capped) and its
wait status. Status names are RunStatus values.
"""
from __future__ import annotations

import json
import os
import signal

import candidate

OK, RUNTIME_ERROR, TIMEOUT = "ok", "runtime_error", "timeout"
MEMORY_LIMIT, OUTPUT_LIMIT = "memory_limit", "output_limit"
COMPILE_ERROR, HARNESS_ERROR = "compile_error", "harness_error"
SETUP_FAILED = 71  # exit status of a child whose isolation setup failed (a harness fault)
STDERR_TAIL = 4096
_MEMORY_WORDS = ("MemoryError", "Cannot allocate memory", "bad_alloc", "out of memory")


class Limits:
    """The limits a worker enforces, in the units the kernel wants."""

    def __init__(self, limits: dict) -> None:
        self.timeout_s = float(limits["timeout_s"])
        self.cpu_s = int(limits["cpu_s"])
        self.memory_bytes = int(limits["memory_mb"]) << 20
        self.max_output = int(limits["max_output_bytes"])
        self.fsize = max(int(limits["max_file_bytes"]), self.max_output + 1)
        self.nproc = int(limits["max_processes"])


def classify(limits: Limits, stdio: bool, fds: list, outcome) -> list:
    """[status, output, detail] of one test (outcome: a test_process.Outcome)."""
    out_size = os.fstat(fds[1]).st_size
    if stdio and out_size > limits.max_output:
        return [OUTPUT_LIMIT, "", f"more than {limits.max_output} bytes of output"]
    record = _read_record(fds[3], limits.max_output)
    if record is not None and record.get("s") == "big":
        return [OUTPUT_LIMIT, "", f"return value longer than {limits.max_output} bytes"]
    stdout = _read_text(fds[1], out_size) if stdio else ""
    if outcome.timed_out:
        if outcome.in_setup:
            return [HARNESS_ERROR, "", "the test process did not get ready in time (importing heavy modules)"]
        return [TIMEOUT, stdout, f"wall clock above {limits.timeout_s:g} s"]
    stderr_tail = _tail(fds[2]) if os.fstat(fds[2]).st_size else ""
    if outcome.finished:
        code = record.get("c") if record else None
        if not isinstance(code, int):
            return [RUNTIME_ERROR, stdout, "the test ended without its exit record"]
        status = (code & 0xFF) << 8
    else:
        status = outcome.status
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and outcome.cpu >= limits.cpu_s - 0.05):
            return [TIMEOUT, stdout, f"CPU time above {limits.cpu_s} s"]
        name = _signal_name(sig)
        if _looks_like_memory(stderr_tail, outcome.maxrss, limits.memory_bytes):
            return [MEMORY_LIMIT, stdout, f"killed by {name} near the memory limit"]
        return [RUNTIME_ERROR, stdout, f"killed by {name}"]
    code = os.WEXITSTATUS(status)
    if code == SETUP_FAILED and stderr_tail.startswith("sandbox setup failed"):
        return [HARNESS_ERROR, "", candidate.truncate(stderr_tail)]
    kind = record.get("s") if record else None
    if kind == "missing":
        return [COMPILE_ERROR, "", record.get("d", "")]
    if kind == "memory":
        return [MEMORY_LIMIT, stdout, "MemoryError"]
    if code != 0:
        if kind in ("exc", "unser"):
            return [RUNTIME_ERROR, stdout, str(record.get("d", ""))]
        if _looks_like_memory(stderr_tail, outcome.maxrss, limits.memory_bytes):
            return [MEMORY_LIMIT, stdout, "out of memory"]
        return [RUNTIME_ERROR, stdout, _last_line(stderr_tail) or f"exit status {code}"]
    if stdio:
        return [OK, stdout, ""]
    if kind != "ok" or not isinstance(record.get("v"), str):
        return [RUNTIME_ERROR, "", "no return value (the process ended without one)"]
    return [OK, record["v"], ""]


def _read_text(fd: int, size: int) -> str:
    return os.pread(fd, size, 0).decode("utf-8", errors="replace") if size else ""


def _tail(fd: int) -> str:
    size = os.fstat(fd).st_size
    start = max(0, size - STDERR_TAIL)
    return os.pread(fd, size - start, start).decode("utf-8", errors="replace")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return candidate.truncate(lines[-1]) if lines else ""


def _read_record(fd: int, max_output: int):
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    if size > max_output + 4096:
        return {"s": "big"}
    try:
        record = json.loads(os.pread(fd, size, 0))
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _looks_like_memory(stderr_tail: str, maxrss: int, limit: int) -> bool:
    return any(word in stderr_tail for word in _MEMORY_WORDS) or maxrss >= 0.8 * limit


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"
