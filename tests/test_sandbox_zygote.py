"""Nothing an earlier program left in its worker's memory reaches a later one: the test processes
are forked by a zygote that never held any program's data (issue 18). Real hostile programs on
one worker, run as root and (tests/test_sandbox_unprivileged.py) as a plain user."""
from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from hostile.helpers import program, run_call, run_stdio
from sandbox import ExecutionRequest, Executor, Limits, RunStatus, TestKind


@pytest.fixture(scope="module")
def ex():
    with Executor(Limits(timeout_s=2, memory_mb=256), workers=1) as executor:
        yield executor


def only(run):
    assert len(run.runs) == 1
    return run.runs[0]


def secret() -> tuple[str, str]:
    """A marker in two halves: the searching program is given them apart, never joined."""
    return f"SECRET-{uuid.uuid4().hex}-", uuid.uuid4().hex


def search(ex, head: str, tail: str, own_head: str, own_tail: str) -> tuple[int, int]:
    """How often find_other_programs finds head+tail, and its own marker (carried in its source,
    to prove the search finds what is there), in its memory."""
    source = program("find_other_programs") + f"# own marker: {own_head}{own_tail}\n"
    found_other = only(run_stdio(ex, source, f"{head}\n{tail}\n"))
    found_own = only(run_stdio(ex, source, f"{own_head}\n{own_tail}\n"))
    assert found_other.status == found_own.status == RunStatus.OK, (found_other.detail[:3000], found_own.detail[:300])
    return int(found_other.output), int(found_own.output)


def test_a_later_program_finds_no_text_of_earlier_programs_on_its_worker(ex):
    head, tail = secret()
    marker = head + tail
    # Sizes of real APPS programs and inputs: small texts (pymalloc's pools) and larger ones (malloc's).
    for size in (0, 600, 5000, 50_000):
        pad = "#" * size + "\n"
        stdio = f"{pad}secret = {marker!r}\nprint(input().strip() == secret)\n"
        runs = run_stdio(ex, stdio, marker + " " * size, "other", marker).runs
        assert [r.output for r in runs] == ["True\n", "False\n", "True\n"]
        call = f"{pad}def solve(x):\n    return x == {marker!r}\n"
        assert only(run_call(ex, call, "solve", f'["{marker}"]')).output == "true"
    other, own = search(ex, head, tail, *secret())
    assert own >= 1, "the search finds nothing at all: it proves nothing"
    assert other == 0, f"an earlier program's text found {other} times"
    assert "never held" in ex.isolation["test_process_origin"], ex.isolation["test_process_origin"]


def test_a_candidate_cannot_kill_the_zygote_and_later_programs_keep_their_verdicts(ex):
    worker = ex._workers[0].proc.pid
    for _ in range(2):
        run = only(run_stdio(ex, program("kill_zygote"), "pids"))
        assert (run.status, run.output) == (RunStatus.OK, "still here\n"), run
        run = only(run_stdio(ex, program("kill_zygote"), "groups"))  # SIGKILL to its own group ends it
        assert (run.status, run.output) == (RunStatus.RUNTIME_ERROR, "still here\n"), run
    assert only(run_stdio(ex, "print(int(input()) * 2)\n", "21")).output == "42\n"
    run = run_call(ex, "def solve(a, b):\n    return a + b\n", "solve", "[1, 2]", "[3, 4]")
    assert [(r.status, r.output) for r in run.runs] == [(RunStatus.OK, "3"), (RunStatus.OK, "7")]
    slow = only(run_stdio(ex, "while True:\n    pass\n"))
    assert slow.status == RunStatus.TIMEOUT, slow
    assert only(run_stdio(ex, "print('after')\n")).output == "after\n"
    assert ex._workers[0].proc.pid == worker, "the worker was replaced: the zygote died"


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def test_a_dead_zygote_fails_its_worker_which_is_replaced():
    """Only a harness bug could end the zygote (candidates cannot): the worker then answers
    harness_error for the program it was given and is replaced; later programs run as usual."""
    with Executor(Limits(timeout_s=5), workers=1) as ex:
        assert only(run_stdio(ex, "print(1)\n")).output == "1\n"
        worker = ex._workers[0].proc.pid
        (server,) = _children(worker)
        (zygote,) = _children(server)
        os.kill(zygote, signal.SIGKILL)  # from outside its namespaces, as only the harness's side can
        deadline = time.monotonic() + 10
        while _alive(zygote) and time.monotonic() < deadline:
            time.sleep(0.01)
        failed = only(run_stdio(ex, "print(2)\n"))
        assert failed.status == RunStatus.HARNESS_ERROR and "zygote" in failed.detail, failed
        later = ex.submit(ExecutionRequest("print(input())\n", TestKind.STDIO, ("3", "4"))).result(timeout=120)
        assert [(r.status, r.output) for r in later.runs] == [(RunStatus.OK, "3\n"), (RunStatus.OK, "4\n")]
        assert ex._workers[0].proc.pid != worker


def test_a_test_process_finds_itself_in_proc_under_the_pid_it_knows(ex):
    code = ("import os\nchild = os.fork()\nif child == 0:\n    os._exit(0)\n"
            "mine = open(f'/proc/{os.getpid()}/stat').read().split()[0]\n"
            "os.waitpid(child, 0)\nprint(mine == os.readlink('/proc/self') == str(os.getpid()))\n")
    if not ex.isolation["test_process_proc"].startswith("a /proc of their own"):
        pytest.skip(ex.isolation["test_process_proc"])
    assert only(run_stdio(ex, code)).output == "True\n"
