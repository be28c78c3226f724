"""What a finished test process left behind, turned into a protocol.TestRun.

Runs in the worker, after the child is gone: reads the child's memfds (capped) and its
wait status. The test record is the candidate's to write too: it is decoded strictly and
within bounds (protocol.decode), and what it says only ever concerns this one test.
"""
from __future__ import annotations

import os
import signal

import candidate
import protocol
from protocol import Limits, RecordKind, RunStatus, TestRecord, TestRun

SETUP_FAILED = 71  # exit status of a child whose isolation setup failed (a harness fault)
STDERR_TAIL = 4096
_MEMORY_WORDS = ("MemoryError", "Cannot allocate memory", "bad_alloc", "out of memory")
_TOO_BIG = TestRecord(RecordKind.TOO_BIG)


def classify(limits: Limits, index: int, stdio: bool, fds: list, outcome) -> tuple[TestRun, bool]:
    """The TestRun of one test (outcome: a test_process.Outcome), and whether the program ran
    inside the original's function wrapper."""
    record = read_record(fds[3], limits.max_output_bytes)
    status, output, detail = _classify(limits, stdio, fds, outcome, record)
    run = TestRun(index, status, protocol.clean_text(output), round(outcome.wall, 6), protocol.clean_text(detail),
                  round(max(0.0, outcome.cpu), 6))
    return run, bool(record and record.wrapped)


def read_record(fd: int, max_output: int) -> "TestRecord | None":
    """The test's record; None when there is none or it is not a valid one."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    if size > 2 * max_output + protocol.RECORD_SLACK:  # the value's JSON text, itself JSON-escaped
        return _TOO_BIG
    try:
        return protocol.decode_record(os.pread(fd, size, 0))
    except protocol.ProtocolError:
        return None


def _classify(limits: Limits, stdio: bool, fds: list, outcome, record) -> tuple[RunStatus, str, str]:
    max_output = limits.max_output_bytes
    out_size = os.fstat(fds[1]).st_size
    if stdio and out_size > max_output:
        return RunStatus.OUTPUT_LIMIT, "", f"more than {max_output} bytes of output"
    kind = record.kind if record else None
    if kind is RecordKind.TOO_BIG:
        return RunStatus.OUTPUT_LIMIT, "", f"return value longer than {max_output} bytes"
    stdout = _read_text(fds[1], out_size) if stdio else ""
    if outcome.timed_out:
        if outcome.in_setup:
            return RunStatus.HARNESS_ERROR, "", "the test process did not get ready in time (importing heavy modules)"
        if outcome.timed_out == "cpu":
            return RunStatus.TIMEOUT, stdout, f"CPU time above {limits.timeout_s:g} s"
        return RunStatus.TIMEOUT, stdout, f"wall clock above {limits.effective_wall_s:g} s"
    stderr_tail = _tail(fds[2]) if os.fstat(fds[2]).st_size else ""
    if outcome.finished:
        if record is None:
            return RunStatus.RUNTIME_ERROR, stdout, "the test ended without its exit record"
        status = (record.exit_code & 0xFF) << 8
    else:
        status = outcome.status
    if outcome.setup_failed:
        return RunStatus.HARNESS_ERROR, "", candidate.truncate(stderr_tail) or f"test process setup failed ({status})"
    cpu_s = limits.effective_cpu_s
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if outcome.oom_killed:
            return RunStatus.MEMORY_LIMIT, stdout, "killed by the kernel at the memory cgroup's limit"
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and outcome.cpu >= cpu_s - 0.05):
            return RunStatus.TIMEOUT, stdout, f"CPU time above {cpu_s} s"
        name = _signal_name(sig)
        if _looks_like_memory(stderr_tail, outcome.maxrss, limits.memory_bytes):
            return RunStatus.MEMORY_LIMIT, stdout, f"killed by {name} near the memory limit"
        return RunStatus.RUNTIME_ERROR, stdout, f"killed by {name}"
    code = os.WEXITSTATUS(status)
    if kind in (RecordKind.MISSING, RecordKind.COMPILE_ERROR):
        return RunStatus.COMPILE_ERROR, "", candidate.truncate(record.detail)
    if kind is RecordKind.MEMORY:
        return RunStatus.MEMORY_LIMIT, stdout, "MemoryError"
    if code != 0:
        if kind in (RecordKind.EXCEPTION, RecordKind.UNSERIALIZABLE):
            return RunStatus.RUNTIME_ERROR, stdout, candidate.truncate(record.detail)
        if _looks_like_memory(stderr_tail, outcome.maxrss, limits.memory_bytes):
            return RunStatus.MEMORY_LIMIT, stdout, "out of memory"
        return RunStatus.RUNTIME_ERROR, stdout, _last_line(stderr_tail) or f"exit status {code}"
    if stdio:
        return RunStatus.OK, stdout, ""
    if kind is not RecordKind.OK or record.value is None:
        return RunStatus.RUNTIME_ERROR, "", "no return value (the process ended without one)"
    if protocol.json_depth(record.value) > candidate.MAX_VALUE_DEPTH:
        return RunStatus.RUNTIME_ERROR, "", f"return value nested deeper than {candidate.MAX_VALUE_DEPTH} levels"
    return RunStatus.OK, record.value, ""


def oom_kills(fd: int) -> int:
    """The OOM-kill counter of the worker's memory cgroup (memory.oom_control in v1, memory.events
    in v2), read through a descriptor the harness opened for us."""
    try:
        text = os.pread(fd, 4096, 0).decode()
    except OSError:
        return 0
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill" and value.strip().isdigit():
            return int(value)
    return 0


def _read_text(fd: int, size: int) -> str:
    return os.pread(fd, size, 0).decode("utf-8", errors="replace") if size else ""


def _tail(fd: int) -> str:
    size = os.fstat(fd).st_size
    start = max(0, size - STDERR_TAIL)
    return os.pread(fd, size - start, start).decode("utf-8", errors="replace")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return candidate.truncate(lines[-1]) if lines else ""


def _looks_like_memory(stderr_tail: str, maxrss: int, limit: int) -> bool:
    return any(word in stderr_tail for word in _MEMORY_WORDS) or maxrss >= 0.8 * limit


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"
