"""The Executor as a component: concurrency, ordering, shutdown, and harness faults kept apart."""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import CancelledError

import pytest

import sandbox
from hostile.helpers import run_stdio
from sandbox import ExecutionRequest, Executor, Limits, RunStatus


def stdio(code: str, *inputs: str) -> ExecutionRequest:
    return ExecutionRequest(code, sandbox.TestKind.STDIO, inputs or ("",))


def test_runs_keep_test_order_when_tests_are_spread_over_workers():
    with Executor(Limits(timeout_s=2), workers=2) as ex:
        inputs = tuple(str(i) for i in range(25))
        run = ex.submit(stdio("print(int(input()) * 2)\n", *inputs)).result(timeout=60)
    assert [r.index for r in run.runs] == list(range(25))
    assert [r.output for r in run.runs] == [f"{2 * i}\n" for i in range(25)]


WHERE = "import os, time\ntime.sleep(float(input()))\nprint(os.readlink('/proc/self/ns/pid'), os.getpid())\n"


def test_tests_of_a_program_share_one_process_per_worker():
    with Executor(Limits(timeout_s=2), workers=1) as ex:
        run = ex.submit(stdio(WHERE, *["0"] * 40)).result(timeout=60)
    assert [r.status for r in run.runs] == [RunStatus.OK] * 40
    assert len({r.output for r in run.runs}) == 1  # one namespace, one pid: one process for all 40


def test_slow_tests_of_one_program_are_shared_with_an_idle_worker():
    with Executor(Limits(timeout_s=2), workers=2) as ex:
        if not ex.isolation["pid_namespace"]:
            pytest.skip("workers are told apart by their pid namespaces")
        run = ex.submit(stdio(WHERE, *["0.2"] * 8)).result(timeout=60)
    assert [r.status for r in run.runs] == [RunStatus.OK] * 8
    namespaces = [r.output.split()[0] for r in run.runs]
    assert len(set(namespaces)) == 2


def test_an_idle_worker_takes_the_last_unsent_test_when_it_is_slow():
    # Worker A runs test 0 (fast); B takes the first half of A's unsent tests, 1-2, and runs 1
    # (0.8 s); A runs test 3 (0.2 s). A, idle then, takes the single test 2 that B has not sent
    # yet: it knows the program's tests are slow. Without that, test 2 would wait for B's test 1.
    # (B takes the first half, not the second: the per-program budget counts tests in order.)
    with Executor(Limits(timeout_s=2), workers=2) as ex:
        if not ex.isolation["pid_namespace"]:
            pytest.skip("workers are told apart by their pid namespaces")
        run = ex.submit(stdio(WHERE, "0", "0.8", "0.2", "0.2")).result(timeout=60)
    assert [r.status for r in run.runs] == [RunStatus.OK] * 4
    namespaces = [r.output.split()[0] for r in run.runs]
    assert namespaces[1] != namespaces[2] and namespaces[2] == namespaces[3] == namespaces[0]


def test_submit_is_thread_safe():
    with Executor(Limits(timeout_s=2), workers=2) as ex:
        results = {}

        def client(k: int) -> None:
            futures = [ex.submit(stdio(f"print({k} * 100 + int(input()))\n", str(j))) for j in range(10)]
            results[k] = [f.result(timeout=60).runs[0].output for f in futures]

        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == {k: [f"{k * 100 + j}\n" for j in range(10)] for k in range(6)}


def test_empty_input_list_gives_empty_run():
    with Executor(Limits(timeout_s=2), workers=1) as ex:
        assert ex.submit(ExecutionRequest("print(1)\n", sandbox.TestKind.STDIO, ())).result(timeout=30).runs == ()


def test_dead_worker_is_a_harness_error_and_is_replaced():
    with Executor(Limits(timeout_s=5), workers=1) as ex:
        future = ex.submit(stdio("import time\ntime.sleep(3)\nprint('late')\n"))
        time.sleep(0.5)
        os.killpg(ex._workers[0].proc.pid, signal.SIGKILL)
        run = future.result(timeout=30)
        assert run.runs[0].status == RunStatus.HARNESS_ERROR and "worker" in run.runs[0].detail
        assert run_stdio(ex, "print('fresh worker')\n").runs[0].output == "fresh worker\n"


def test_close_is_idempotent_and_refuses_new_work():
    ex = Executor(Limits(timeout_s=2), workers=1)
    pids = [w.proc.pid for w in ex._workers if w.proc is not None]
    ex.close()
    ex.close()
    with pytest.raises(RuntimeError):
        ex.submit(stdio("print(1)\n"))
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_close_cancels_queued_work_and_resolves_running_work():
    ex = Executor(Limits(timeout_s=5), workers=1)
    running = ex.submit(stdio("import time\ntime.sleep(3)\n"))
    queued = [ex.submit(stdio("print(1)\n")) for _ in range(5)]
    time.sleep(0.3)
    ex.close()
    assert running.result(timeout=10).runs[0].status == RunStatus.HARNESS_ERROR
    cancelled = 0
    for future in queued:  # one may already sit in the worker's pipe: then it is resolved, not cancelled
        try:
            assert future.result(timeout=10).runs[0].status == RunStatus.HARNESS_ERROR
        except CancelledError:
            cancelled += 1
    assert cancelled >= len(queued) - 1


def test_exception_inside_the_with_block_still_kills_workers():
    with pytest.raises(KeyboardInterrupt):
        with Executor(Limits(timeout_s=2), workers=2) as ex:
            pids = [w.proc.pid for w in ex._workers if w.proc is not None]
            raise KeyboardInterrupt
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_importing_sandbox_starts_nothing():
    import subprocess
    import sys
    code = "import sandbox, threading, os; print(threading.active_count(), len(os.listdir('/proc/self/task')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(sandbox.__file__)))
    assert out.stdout.split() == ["1", "1"]


def test_scratch_folders_of_a_killed_harness_are_removed_by_the_next_one():
    import subprocess
    import tempfile

    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = os.path.join(tempfile.gettempdir(), f"apps-eval-scratch-{dead.pid}-left")
    os.makedirs(os.path.join(orphan, "work"))
    mine = os.path.join(tempfile.gettempdir(), f"apps-eval-scratch-{os.getpid()}-in-use")
    os.makedirs(mine)
    try:
        with Executor(Limits(timeout_s=2), workers=1):
            pass
        assert not os.path.exists(orphan)
        assert os.path.exists(mine)  # its owner is alive
    finally:
        os.rmdir(mine)



BURN = """import os, time
def burn(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
how = input()
if how == "self":
    burn(0.3)
elif how == "child":
    pid = os.fork()
    if pid == 0:
        burn(0.3)
        os._exit(0)
    os.waitpid(pid, 0)
else:
    time.sleep(0.3)
print(how)
"""


def test_each_test_reports_the_cpu_time_of_its_process_tree():
    # One test process runs all four in turn: fresh, then reused after a fork, then reused again.
    with Executor(Limits(timeout_s=4), workers=1) as ex:
        run = ex.submit(stdio(BURN, "self", "child", "self", "sleep")).result(timeout=60)
    assert [r.status for r in run.runs] == [RunStatus.OK] * 4
    cpu = [r.cpu_s for r in run.runs]
    assert all(0.25 <= c < 1.5 for c in cpu[:3]), cpu  # the child's burn counts for its test
    assert cpu[3] < 0.15 and run.runs[3].wall_s >= 0.3, (cpu, run.runs[3].wall_s)


def test_a_stopped_reply_is_taken_only_as_a_prefix_that_ends_at_a_timeout():
    # What a worker says stopped its piece is checked like every reply: a forged or broken
    # "stopped" is a harness error for the whole piece, never runs taken for tests they are not.
    from sandbox.executor import _Chunk, _Job, _parse_reply
    from sandbox.inside import protocol
    from concurrent.futures import Future

    limits = Limits(timeout_s=1)
    job = _Job(stdio("print(1)\n", *"abcdef"), Future(), limits)
    piece = _Chunk(job, 2, ("c", "d", "e"))
    timeout, ok = RunStatus.TIMEOUT, RunStatus.OK

    def reply(statuses, stopped, first=2):
        runs = tuple(sandbox.TestRun(first + i, status) for i, status in enumerate(statuses))
        return _parse_reply(piece, protocol.Results(runs, False, stopped=stopped))

    runs, _, stopped = reply([ok, timeout], True)
    assert stopped and [(r.index, r.status) for r in runs] == [(2, ok), (3, timeout)]
    runs, _, stopped = reply([ok, ok, ok], False)
    assert not stopped and len(runs) == 3
    for statuses, stopped_, first in (([ok, ok], True, 2), ([], True, 2), ([ok, ok, timeout], True, 2),
                                      ([timeout], True, 3), ([ok, timeout], False, 2)):
        runs, _, stopped = reply(statuses, stopped_, first)
        assert not stopped and [r.status for r in runs] == [RunStatus.HARNESS_ERROR] * 3, (statuses, stopped_, first)


COUNTING = "import time\ncalls = []\n\ndef solve(x):\n    time.sleep(x)\n    calls.append(x)\n    return len(calls)\n"


def test_a_call_based_program_in_the_apps_environment_keeps_its_tests_in_one_process():
    # There its module is loaded once per test process and its state carries from test to test,
    # as in the original: tests shared out to an idle worker would see a fresh module there, so
    # the results would depend on the machine's load. Slow tests and an idle worker: no split.
    inputs = ("[0.2]",) * 8
    with Executor(Limits(timeout_s=2), workers=2) as ex:
        kept = ex.submit(ExecutionRequest(COUNTING, sandbox.TestKind.CALL, inputs, fn_name="solve",
                                          apps_environment=True)).result(timeout=60)
        fresh = ex.submit(ExecutionRequest(COUNTING, sandbox.TestKind.CALL, inputs,
                                           fn_name="solve")).result(timeout=60)
    assert [r.status for r in kept.runs] == [RunStatus.OK] * 8
    assert [r.output.strip() for r in kept.runs] == [str(i) for i in range(1, 9)]
    assert [r.output.strip() for r in fresh.runs] == ["1"] * 8  # a fresh module per test by default
