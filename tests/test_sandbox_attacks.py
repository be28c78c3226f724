"""Second round of attacks (issue 12 §3), each a real hostile program (tests/hostile/) through
the real Executor and judge: crashing or stalling the harness through what a program prints,
returns or raises; forged result records; compiling outside the limits; state left for the next
program; the judge's own cost and its treatment of strange numbers."""
from __future__ import annotations

import json
import resource
import time

import pytest

from hostile.helpers import program, run_call, run_stdio
from sandbox import ExecutionRequest, Executor, Limits, RunStatus, Verdict, judge
from sandbox.judge import GOT_LIMIT, TestJudge
from sandbox.records import TestCase as Case, TestKind as Kind

TIMEOUT_S = 2.0
LIMITS = Limits(timeout_s=TIMEOUT_S, memory_mb=256, max_output_bytes=4 << 20)


@pytest.fixture(scope="module")
def ex():
    with Executor(LIMITS, workers=1) as executor:
        yield executor


def only(run):
    assert len(run.runs) == 1
    return run.runs[0]


def verdicts(tests, run):
    judged = judge(tests, run)
    return [v.verdict for v in judged.default], [v.verdict for v in judged.apps]


class Bounded:
    """The harness's own cost of one hostile program: its CPU time (the judge's work on what the
    program printed: load-independent) and a wall bound that only a stall breaks (the program
    itself may use its whole wall limit on a busy machine)."""

    HARNESS_CPU_S = 3.0

    def __enter__(self):
        self.wall, self.cpu = time.monotonic(), time.process_time()
        return self

    def __exit__(self, *exc_info):
        if exc_info[0] is None:
            assert time.process_time() - self.cpu < self.HARNESS_CPU_S
            assert time.monotonic() - self.wall < LIMITS.effective_wall_s + 5


def assert_worker_still_serves(ex):
    assert only(run_stdio(ex, "print(input())\n", "next")).output == "next\n"


def storable(*texts: str) -> None:
    """What the harness writes to results files: UTF-8 JSON, no surrogate left unescaped."""
    json.dumps(list(texts), ensure_ascii=False).encode("utf-8")


# ---- what a program prints, returns or raises ----------------------------------------------

def test_invalid_utf8_output_and_surrogates_in_exception_text_are_recorded_safely(ex):
    run = only(run_stdio(ex, program("odd_text")))
    assert run.status == RunStatus.RUNTIME_ERROR
    assert run.output.startswith("bytes ") and "\ufffd" in run.output
    assert "ValueError: lone \\ud800 and \\udcff surrogates" in run.detail
    storable(run.output, run.detail)
    judged = judge([Case(0, Kind.STDIO, "", "x")], run_stdio(ex, program("odd_text")))
    storable(judged.default[0].detail, judged.default[0].got)
    assert_worker_still_serves(ex)


def test_lone_surrogates_in_a_returned_value_or_raised_text_are_recorded_safely(ex):
    returned, raised = run_call(ex, program("odd_value"), "solve", '["return"]', '["raise"]').runs
    assert returned.status == RunStatus.OK
    assert json.loads(returned.output) == ["\ud800", "ok", "\udfff"]
    assert raised.status == RunStatus.RUNTIME_ERROR and "\\udcff" in raised.detail
    storable(returned.output, raised.detail)
    expected = json.dumps(["\ud800", "ok", "\udfff"])
    tests = [Case(0, Kind.CALL, '["return"]', expected), Case(1, Kind.CALL, '["raise"]', expected)]
    run = run_call(ex, program("odd_value"), "solve", '["return"]', '["raise"]')
    assert verdicts(tests, run) == ([Verdict.PASSED, Verdict.RUNTIME_ERROR],) * 2


@pytest.mark.parametrize("depth", [150, 5000, 100_000])
def test_deeply_nested_return_values_are_judged_or_refused_never_recursed_into(ex, depth):
    run = run_call(ex, program("deep_value"), "solve", f"[{depth}]")
    expected = "[" * (depth + 1) + "]" * (depth + 1)  # the innermost list, wrapped depth times
    default, apps = verdicts([Case(0, Kind.CALL, f"[{depth}]", expected)], run)
    if depth <= 200:
        assert default == apps == [Verdict.PASSED]
    else:
        assert default == apps == [Verdict.RUNTIME_ERROR], run.runs[0]
    assert_worker_still_serves(ex)


def test_a_correct_6000_digit_answer_passes_in_both_comparisons(ex):
    answer = "1" + "0" * 6000
    stdio = run_stdio(ex, program("huge_integer"), "6000")
    assert verdicts([Case(0, Kind.STDIO, "6000", answer + "\n")], stdio) == ([Verdict.PASSED],) * 2
    call = run_call(ex, program("huge_integer"), "solve", "[6000]")
    assert verdicts([Case(0, Kind.CALL, "[6000]", answer)], call) == ([Verdict.PASSED],) * 2
    wrong = "1" + "0" * 5999 + "1"
    assert verdicts([Case(0, Kind.CALL, "[6000]", wrong)], call) == ([Verdict.WRONG_ANSWER],) * 2


@pytest.mark.parametrize("kind", ["stdio", "call"])
def test_an_absurd_integer_is_bounded_in_time_and_memory(ex, kind):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Bounded():
        if kind == "stdio":
            run = run_stdio(ex, program("huge_integer"), "30000000")
        else:
            run = run_call(ex, program("huge_integer"), "solve", "[30000000]")
        assert only(run).status in (RunStatus.TIMEOUT, RunStatus.OUTPUT_LIMIT, RunStatus.MEMORY_LIMIT)
        tests = [Case(0, Kind.STDIO if kind == "stdio" else Kind.CALL, "", "1")]
        assert verdicts(tests, run)[0][0] is not Verdict.HARNESS_ERROR
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024  # KiB
    assert_worker_still_serves(ex)


def test_numbers_with_absurd_exponents_are_judged_without_raising(ex):
    run = run_stdio(ex, program("absurd_numbers"))
    printed = only(run).output
    assert verdicts([Case(0, Kind.STDIO, "", printed)], run) == ([Verdict.PASSED],) * 2
    for expected in ("1", "1e999999999 1 1 1 1 1 1 1", printed.replace("1e999999999", "1e999999998")):
        default, apps = verdicts([Case(0, Kind.STDIO, "", expected)], run)
        assert default == [Verdict.WRONG_ANSWER] and apps[0] in (Verdict.WRONG_ANSWER, Verdict.PASSED)


# ---- forged result records -----------------------------------------------------------------

SHAPES = ["garbage", "deep", "deep_object", "huge_int", "list", "wrong_types", "unknown_kind", "nan",
          "value_not_json", "value_deep", "value_huge_int", "surrogates"]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_forged_record_of_any_shape_is_the_programs_failure_never_the_harness(ex, shape):
    with Bounded():
        run = run_call(ex, program("forge_record"), "solve", json.dumps([shape]))
        test_run = only(run)
        assert test_run.status is not RunStatus.HARNESS_ERROR, test_run
        storable(test_run.output, test_run.detail)
        default, apps = verdicts([Case(0, Kind.CALL, json.dumps([shape]), "1")], run)
    assert default == apps and default[0] in (Verdict.RUNTIME_ERROR, Verdict.WRONG_ANSWER), (default, test_run)
    assert_worker_still_serves(ex)


# ---- work outside the limits ---------------------------------------------------------------

def test_compiling_runs_under_the_programs_memory_limit(ex):
    # A 6 MB list display: compiling it alone needs far more than 256 MB (the AST of 3 million
    # constants), which the worker used to spend outside every limit.
    source = "x = [" + "1," * 3_000_000 + "]\nprint(len(x))\n"
    run = only(run_stdio(ex, source))
    assert run.status in (RunStatus.MEMORY_LIMIT, RunStatus.TIMEOUT), run
    assert_worker_still_serves(ex)


def test_compile_errors_are_still_compile_errors_for_every_test(ex):
    run = run_stdio(ex, "def broken(:\n", "1", "2")
    assert [r.status for r in run.runs] == [RunStatus.COMPILE_ERROR] * 2


# ---- state left for the next program on the same worker ------------------------------------

def test_the_next_program_on_the_same_worker_starts_clean():
    with Executor(Limits(timeout_s=30, memory_mb=256), workers=1) as ex:
        if not ex.isolation["filesystem"].startswith("private"):
            pytest.skip("no private root: /tmp and /dev/shm are the host's")
        # What the worker's own root has in /tmp (e.g. the mount point of a checkout that lives
        # under the host's /tmp) is there before and after: the baseline.
        baseline = only(run_stdio(ex, program("find_state"))).output
        assert not any(word in baseline.split() for word in ("shm", "sem", "msg", "mqueue")), baseline
        left = only(run_stdio(ex, program("leave_state")))
        assert left.status == RunStatus.OK, left
        made = left.output.split()
        assert {"sem", "mqueue", "files", "deep", "inodes"} <= set(made)
        assert not {"shm", "msg"} & set(made)  # refused: memory no limit of the sandbox's own bounds
        writable = {folder for folder in made if folder.startswith("/")}
        assert writable <= set(ex.isolation["state_wiped_after_each_program"])  # the rest is read-only
        for _ in range(2):  # and again after a program that left nothing
            found = only(run_stdio(ex, program("find_state")))
            assert (found.status, found.output) == (RunStatus.OK, baseline)
        assert "System V IPC objects" in " ".join(ex.isolation["state_wiped_after_each_program"])


def test_awkward_litter_anywhere_it_can_write_is_removed_and_the_worker_serves_on():
    """Symlinks, a FIFO, a socket, oddly named files, read-only and unreadable folders, in every
    folder of /tmp and /dev/shm it can write to (without root it owns them): the program keeps
    its own verdict, the next program finds nothing, and the worker is never replaced."""
    with Executor(Limits(timeout_s=30, memory_mb=256), workers=1) as ex:
        if not ex.isolation["filesystem"].startswith("private"):
            pytest.skip("no private root: /tmp and /dev/shm are the host's")
        worker = ex._workers[0].proc.pid
        baseline = only(run_stdio(ex, program("find_state"))).output
        litter = only(run_stdio(ex, program("litter_tmp")))
        assert litter.status == RunStatus.OK, litter
        # Only the private tmpfs roots: the folders made for read-only binds are read-only too.
        assert set(litter.output.split()) == {"/tmp", "/dev/shm"}, litter.output
        for _ in range(2):
            found = only(run_stdio(ex, program("find_state")))
            assert (found.status, found.output) == (RunStatus.OK, baseline)
        assert ex._workers[0].proc.pid == worker


def test_a_forged_compile_error_reaches_no_other_program():
    """The worker remembers that a program does not compile only while it serves that program:
    the same text submitted again (another problem, another sample) is run."""
    with Executor(Limits(timeout_s=10), workers=1) as ex:
        forged = only(run_stdio(ex, program("forge_compile_error"), "forge"))
        assert forged.status == RunStatus.COMPILE_ERROR and "forged" in forged.detail, forged
        again = only(run_stdio(ex, program("forge_compile_error"), "honest"))
        assert (again.status, again.output) == (RunStatus.OK, "ran\n"), again


def test_each_test_process_starts_at_a_random_pid_where_the_kernel_allows():
    """As root the worker sets ns_last_pid before each fork: a program learns nothing from its
    pids about what ran before it. Without root that is impossible (recorded, not faked)."""
    with Executor(Limits(timeout_s=10), workers=1) as ex:
        if not ex.isolation["pid_sequence"].startswith("a random start"):
            pytest.skip(f"pid sequence: {ex.isolation['pid_sequence']}")
        pids = [int(only(run_stdio(ex, program("report_pid"))).output.split()[0]) for _ in range(6)]
    steps = [b - a for a, b in zip(pids, pids[1:])]
    assert not all(0 < step < 100 for step in steps), pids  # not one counter running on


# ---- the harness's own cost ----------------------------------------------------------------

def test_an_output_at_the_cap_is_judged_in_a_fraction_of_a_second(ex):
    code = "import sys\nsys.stdout.write('7\\n' * (2 << 20))\n"
    run = run_stdio(ex, code)
    assert only(run).status == RunStatus.OK and len(run.runs[0].output) == 4 << 20
    for expected in ("7\n" * (2 << 20), "7\n" * ((2 << 20) - 1) + "8\n"):
        started = time.process_time()
        judge([Case(0, Kind.STDIO, "", expected)], run)
        # Generous for a loaded CI machine: before, the same took 9 s (default) and 22 s (APPS).
        assert time.process_time() - started < 5


def test_harness_memory_does_not_grow_with_tests_times_output_size(ex):
    """Tests of 4 MB output each, judged as they arrive (TestJudge): only clipped outputs are
    kept, so what the harness holds per program is bounded whatever the number of tests."""
    code = "import sys\nn = int(input())\nsys.stdout.write(f'{n}\\n' * (1 << 21))\n"
    tests = [Case(i, Kind.STDIO, str(i), f"{i}\n" * (1 << 21) if i % 2 else "x") for i in range(8)]
    test_judge = TestJudge(tests)
    run = ex.submit(ExecutionRequest(code, Kind.STDIO, tuple(t.input for t in tests)), on_run=test_judge).result()
    judged = test_judge.judgement(run)
    assert [v.verdict for v in judged.default] == [Verdict.WRONG_ANSWER, Verdict.PASSED] * 4
    assert [v.verdict for v in judged.apps] == [Verdict.WRONG_ANSWER, Verdict.PASSED] * 4
    assert [r.status for r in run.runs] == [RunStatus.OK] * 8
    assert sum(len(r.output) for r in run.runs) <= 8 * GOT_LIMIT  # 32 MB if the outputs were kept
