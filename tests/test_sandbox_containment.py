"""Hostile programs (tests/hostile/) through the real Executor: each protection, proven by an attack."""
from __future__ import annotations

import json
import os
import resource
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from hostile.helpers import (candidate_uids, processes_with_marker, processes_with_uid, program, run_call,
                             run_stdio)
import sandbox
from sandbox import ExecutionRequest, Executor, Limits, RunStatus

AS_ROOT = os.geteuid() == 0


WALL_S = 8.0  # far above the CPU limit: a loaded machine must not turn CPU timeouts into wall ones


@pytest.fixture(scope="module")
def ex():
    with Executor(Limits(timeout_s=1, memory_mb=256, max_output_bytes=1 << 20, max_file_bytes=1 << 20,
                         wall_timeout_s=WALL_S), workers=2) as executor:
        yield executor


@pytest.fixture(scope="module")
def patient_ex():
    """For crashes that take a while to happen (a C stack of 8 MB to fill): not a timeout test."""
    with Executor(Limits(timeout_s=10, memory_mb=256), workers=1) as executor:
        yield executor


def only(run):
    assert len(run.runs) == 1
    return run.runs[0]


def assert_no_survivors(ex, marker: str) -> None:
    """Right after the verdict, nothing the candidate started may still run."""
    assert processes_with_marker(marker) == []
    if AS_ROOT and ex.isolation["uid_drop"]:
        assert processes_with_uid(candidate_uids(ex)) == []


# ---- no fake passes ------------------------------------------------------------------------

def test_object_equal_to_everything_is_not_a_value(ex):
    code = ("class Liar:\n    def __eq__(self, other):\n        return True\n"
            "    __hash__ = object.__hash__\ndef solve(*args):\n    return Liar()\n")
    run = only(run_call(ex, code, "solve", "[1]"))
    assert run.status == RunStatus.RUNTIME_ERROR and "not serializable" in run.detail


def test_list_subclass_equal_to_everything_is_returned_as_its_data(ex):
    code = ("class Liar(list):\n    def __eq__(self, other):\n        return True\n"
            "def solve(*args):\n    return Liar()\n")
    run = only(run_call(ex, code, "solve", "[1]"))
    assert (run.status, run.output) == (RunStatus.OK, "[]")


def test_expected_outputs_are_nowhere_in_the_candidate_process(ex):
    expected = f"EXPECTED-{uuid.uuid4().hex}"  # what a judge would compare with; never sent
    decoy = f"EXPECTED-{uuid.uuid4().hex}"  # in the candidate's own input: must be found
    run = only(run_stdio(ex, program("search_memory"), decoy))
    assert run.status == RunStatus.OK
    assert run.output == f"True {[decoy]!r}\n"
    assert expected not in run.output


def test_patched_print_and_stdout_cannot_change_captured_output(ex):
    run = only(run_stdio(ex, program("patch_stdout")))
    assert (run.status, run.output) == (RunStatus.OK, "only this reaches fd 1\n")


# ---- time --------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    program("ignore_signals"),
    "print(sum(range(10 ** 12)))\n",
    "x = 7 ** (10 ** 9)\n",
    program("burn_in_children"),
    program("burn_in_threads"),
    program("burn_in_daemon"),
], ids=["ignores-signals", "long-c-sum", "huge-pow", "children", "threads", "setsid-daemon"])
def test_cpu_time_of_the_whole_process_tree_is_the_time_limit(ex, code):
    """The program's own process sleeps in the last three: only its tree's CPU time can end them."""
    run = only(run_stdio(ex, code))
    assert (run.status, run.detail) == (RunStatus.TIMEOUT, "CPU time above 1 s"), run
    assert run.wall_s < WALL_S


@pytest.mark.parametrize("code", [
    "import time\ntime.sleep(10 ** 6)\n",
    "import threading\nthreading.Event().wait()\n",
    program("stop_itself"),
], ids=["sleeps", "blocks-forever", "sigstop-itself"])
def test_sleeping_or_blocked_program_times_out_at_the_wall_clock_limit(ex, code):
    start = time.monotonic()
    run = only(run_stdio(ex, code))
    assert (run.status, run.detail) == (RunStatus.TIMEOUT, f"wall clock above {WALL_S:g} s")
    assert WALL_S <= run.wall_s < WALL_S + 1 and time.monotonic() - start < WALL_S + 5


# ---- memory and output -------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "blocks = []\nwhile True:\n    blocks.append(' ' * 10 ** 7)\n",
    "x = bytearray(10 ** 10)\n",
    "x = [0] * (10 ** 9)\n",
], ids=["growing-list", "huge-bytearray", "huge-list"])
def test_memory_bomb_is_memory_limit(ex, code):
    run = only(run_stdio(ex, code))
    assert run.status == RunStatus.MEMORY_LIMIT


def test_output_flood_is_output_limit_and_harness_memory_stays_bounded(ex):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = only(run_stdio(ex, "while True:\n    print('x' * 10000)\n"))
    assert run.status == RunStatus.OUTPUT_LIMIT and run.output == ""
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024  # KiB


def test_huge_return_value_is_output_limit(ex):
    run = only(run_call(ex, "def f():\n    return 'x' * (3 << 20)\n", "f", "[]"))
    assert run.status == RunStatus.OUTPUT_LIMIT


# ---- crashes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "import ctypes\nctypes.string_at(0)\n",
    "def f(n):\n    return f(n + 1)\nf(0)\n",
    "import sys\nsys.setrecursionlimit(10 ** 8)\nx = []\nfor _ in range(10 ** 6):\n    x = [x]\nprint(repr(x))\n",
    "import os\nos.close(1)\nprint('lost')\n",
    "import sys\nsys.stdout.close()\nprint('lost')\n",
], ids=["segfault", "recursion-error", "c-stack-overflow", "closed-fd-1", "closed-sys-stdout"])
def test_crash_is_runtime_error_and_the_harness_carries_on(patient_ex, code):
    assert only(run_stdio(patient_ex, code)).status == RunStatus.RUNTIME_ERROR
    assert only(run_stdio(patient_ex, "print('next')\n")).output == "next\n"


def test_candidate_cannot_kill_its_worker(ex):
    run = only(run_stdio(ex, program("kill_everyone")))
    assert (run.status, run.output) == (RunStatus.OK, "still here\n")
    assert only(run_stdio(ex, "print('next')\n")).status == RunStatus.OK


def test_forged_handshake_neither_passes_nor_stalls_the_worker(ex):
    started = time.monotonic()
    run = run_stdio(ex, program("forge_handshake"), "a", "b", "c")
    assert time.monotonic() - started < 3 * (1 + 2)  # each test ends within its limit plus grace
    forged = 'd{"c": 0, "s": "ok", "v": "\\"forged\\""}'  # also written to its stdout's copy
    for result in run.runs:  # whatever the verdict, the output is only what the program wrote
        assert result.output.replace(forged, "") in ("", "input was a\n", "input was b\n", "input was c\n")
    assert only(run_stdio(ex, "print('next')\n")).output == "next\n"
    assert_no_survivors(ex, "forge_handshake-has-no-marker")


def test_closed_handshake_descriptors_cost_the_program_nothing_else(ex):
    run = run_stdio(ex, program("close_descriptors"), "1", "2", "3")
    assert [(r.status, r.output) for r in run.runs] == [(RunStatus.OK, f"{i}\n") for i in "123"]
    run = run_call(ex, "import os\ndef f(x):\n    os.closerange(3, 4096)\n    return x\n", "f", "[1]", "[2]")
    assert [r.status for r in run.runs] == [RunStatus.RUNTIME_ERROR] * 2  # its value had nowhere to go


# ---- processes -----------------------------------------------------------------------------

def test_fork_bomb_leaves_no_process(ex):
    marker = f"mark-{uuid.uuid4().hex}"
    run = only(run_stdio(ex, program("fork_bomb"), marker))
    assert run.status in (RunStatus.OK, RunStatus.RUNTIME_ERROR)
    assert_no_survivors(ex, marker)


def test_double_forked_setsid_daemon_leaves_no_process(ex):
    marker = f"mark-{uuid.uuid4().hex}"
    run = only(run_stdio(ex, program("setsid_daemon"), marker))
    assert (run.status, run.output) == (RunStatus.OK, "daemonized\n")
    assert_no_survivors(ex, marker)


def test_thread_outliving_main_is_timeout_and_leaves_no_process(ex):
    run = only(run_stdio(ex, program("thread_outlives_main")))
    assert run.status == RunStatus.TIMEOUT
    assert_no_survivors(ex, "thread_outlives_main-has-no-marker")


def test_process_limit_binds(ex):
    """As root through the candidate's own uid; otherwise per the worker's user namespace."""
    code = "import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time\n" \
           "            time.sleep(30)\n        n += 1\nexcept OSError:\n    print(n < 64)\n"
    assert only(run_stdio(ex, code)).output == "True\n"


def test_kill_all_from_one_candidate_cannot_hit_another():
    with Executor(Limits(timeout_s=3), workers=2) as ex2:
        sleeper = "import time\ntime.sleep(1)\nprint('survived')\n"
        slow = ex2.submit(ExecutionRequest(sleeper, sandbox.TestKind.STDIO, ("",)))
        time.sleep(0.3)
        killer = ex2.submit(ExecutionRequest(program("kill_everyone"), sandbox.TestKind.STDIO, ("",)))
        assert killer.result(timeout=30).runs[0].output == "still here\n"
        assert slow.result(timeout=30).runs[0].output == "survived\n"


# ---- files ---------------------------------------------------------------------------------------

def test_files_outside_the_scratch_dir_survive_deletion_attempts(ex):
    token = uuid.uuid4().hex
    sentinels = [Path(tempfile.gettempdir()) / f"sentinel-{token}", Path.home() / f".sentinel-{token}"]
    for path in sentinels:
        path.write_text("keep")
    try:
        run_stdio(ex, program("delete_files"), " ".join(map(str, sentinels)))
        assert [p.read_text() for p in sentinels] == ["keep", "keep"]
    finally:
        for path in sentinels:
            path.unlink()


def test_disk_cannot_be_filled(ex):
    run = only(run_stdio(ex, program("fill_disk")))
    assert run.status == RunStatus.RUNTIME_ERROR and "File too large" in run.detail


def test_dataset_of_the_harness_is_unreadable(ex, tmp_path):
    expected = f"answer-{uuid.uuid4().hex}"
    problems = tmp_path / "problems.jsonl"
    problems.write_text(json.dumps({"input": "1", "expected": expected}) + "\n")
    problems.chmod(0o644)
    tmp_path.chmod(0o755)
    run = only(run_stdio(ex, program("read_dataset"), str(problems)))
    assert run.status == RunStatus.RUNTIME_ERROR
    assert expected not in run.output


# ---- network -------------------------------------------------------------------------------------

def test_no_connection_even_to_localhost(ex):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(_accept(server)))
    thread.start()
    try:
        run = only(run_stdio(ex, program("connect"), "127.0.0.1 %d" % server.getsockname()[1]))
    finally:
        thread.join()
        server.close()
    assert run.status == RunStatus.RUNTIME_ERROR and "connected" not in run.output
    assert accepted == [None]
    assert ex.isolation["network"].startswith("isolated")


def _accept(server):
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            return server.accept()[0].recv(10)
        except socket.timeout:
            continue
    return None


# ---- environment ---------------------------------------------------------------------------------

def test_harness_environment_is_invisible(monkeypatch):
    secret = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv("APPS_EVAL_TEST_SECRET", secret)
    with Executor(Limits(timeout_s=2), workers=1) as ex2:
        run = only(run_stdio(ex2, program("read_environment")))
    assert run.status == RunStatus.OK
    assert secret not in run.output and "APPS_EVAL_TEST_SECRET" not in run.output


def test_isolation_is_described(ex):
    iso = ex.isolation
    for key in ("network", "pid_namespace", "mount_namespace", "uid_drop", "filesystem", "rlimits",
                "cleanup", "environment", "workers"):
        assert key in iso
    json.dumps(iso)  # recorded into the run's config as JSON
