"""The per-program budget (CPU and wall), the early stop and spare workers, with real programs.

Budgets: once a program's tests, in order, used the budget, the tests after them are timeouts
that do not run (sandbox/program_budget.py). Early stop: tests after a program's first
failure are not run, and the run reports no test-pass rate. Spare workers: programs that
sleep do not hold the CPUs (sandbox/executor.py).
"""
from __future__ import annotations

import json
import time

import pytest

from harness.cli import main
from harness.storage import CONFIG_FILE, RESULTS_FILE, SUMMARY_FILE, read_record, read_results
from sandbox import ExecutionRequest, Executor, Limits, RunStatus, TestCase, TestKind, Verdict
from sandbox.judge import TestJudge, program_verdict

LOOP = "while True:\n    pass\n"
SLEEP = "import time\ntime.sleep(1000)\n"
# Charged time a timeout may run past its limit: the kill's latency and the accounting's granularity.
KILL_SLACK_S = 0.15
# Passes every test, each using about 0.3 s of CPU time.
SLOW_ECHO = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\nprint(input())\n"


def echo_tests(n: int) -> list[TestCase]:
    return [TestCase(i, TestKind.STDIO, f"{i}\n", f"{i}\n") for i in range(n)]


def execute(ex: Executor, program: str, tests: list[TestCase], stop: bool = False):
    test_judge = TestJudge(tests, stop_at_first_failure=stop)
    request = ExecutionRequest(program, TestKind.STDIO, tuple(t.input for t in tests), stop_at_first_failure=stop)
    run = ex.submit(request, on_run=test_judge).result(timeout=300)
    return run, test_judge.judgement(run)


def test_budgets_default_to_multiples_of_the_per_test_limits_and_0_means_none():
    limits = Limits()
    assert (limits.program_cpu_budget_s, limits.program_wall_budget_s) == (12.0, 40.0)
    assert Limits(timeout_s=2, wall_timeout_s=3).program_wall_budget_s == 6.0
    assert Limits(program_cpu_s=0, program_wall_s=0).program_cpu_budget_s is None
    assert Limits(program_cpu_s=0, program_wall_s=0).program_wall_budget_s is None
    with pytest.raises(ValueError):
        Limits(program_cpu_s=-1)


@pytest.mark.parametrize("workers", [1, 3])
def test_a_looping_program_costs_about_the_cpu_budget_not_tests_x_limit(workers):
    # A wall limit far above the CPU limit: each test ends by the CPU limit, however busy the machine.
    with Executor(Limits(timeout_s=0.5, wall_timeout_s=60, program_cpu_s=1.0, program_wall_s=0), workers=workers) as ex:
        run, judgement = execute(ex, LOOP, echo_tests(12))
    assert [v.verdict for v in judgement.default] == [Verdict.TIMEOUT] * 12
    ran = [r for r in run.runs if r.cpu_s > 0]
    # Tests 0 and 1 use the budget; at most one more per worker ran meanwhile.
    assert 2 <= len(ran) <= 2 + workers
    assert run.cpu_s < 0.5 * (2 + workers) + 0.5
    skipped = [r for r in run.runs if r.cpu_s == 0]
    assert skipped and all("per-program budget is 1 s" in r.detail and "CPU" in r.detail for r in skipped)
    assert all(r.index >= 2 for r in skipped)


def test_a_sleeping_program_costs_about_the_wall_budget():
    limits = Limits(timeout_s=0.5, wall_timeout_s=1.0, program_wall_s=2.0)
    with Executor(limits, workers=1, spare_workers=0) as ex:
        run, judgement = execute(ex, SLEEP, echo_tests(10))
    assert [v.verdict for v in judgement.default] == [Verdict.TIMEOUT] * 10
    assert 2.0 <= run.wall_s < 3.5  # two tests of 1 s, maybe a third one started before the second ended
    assert sum(r.wall_s > 0 for r in run.runs) <= 3
    assert "wall-clock" in run.runs[-1].detail


@pytest.mark.parametrize("workers", [1, 3])
def test_the_budget_counts_tests_in_order_however_they_are_spread(workers):
    # 0.3 s per test, budget 1.05 s: tests 0-3 count (0.9 s before test 3), test 4 and later
    # are timeouts, also those that another worker ran meanwhile.
    with Executor(Limits(timeout_s=2, program_cpu_s=1.05, program_wall_s=0), workers=workers) as ex:
        run, judgement = execute(ex, SLOW_ECHO, echo_tests(10))
    assert [v.verdict for v in judgement.default] == [Verdict.PASSED] * 4 + [Verdict.TIMEOUT] * 6
    assert [v.verdict for v in judgement.apps] == [Verdict.PASSED] * 4 + [Verdict.TIMEOUT] * 6


def test_without_a_budget_every_test_runs():
    with Executor(Limits(timeout_s=0.3, wall_timeout_s=30, program_cpu_s=0, program_wall_s=0), workers=1) as ex:
        run, _ = execute(ex, LOOP, echo_tests(5))
    assert all(r.status is RunStatus.TIMEOUT and r.cpu_s >= 0.3 for r in run.runs)


def test_the_early_stop_runs_a_looping_program_on_one_test_only():
    with Executor(Limits(timeout_s=0.5), workers=2) as ex:
        run, judgement = execute(ex, LOOP, echo_tests(8), stop=True)
    assert [v.verdict for v in judgement.default] == [Verdict.TIMEOUT] + [Verdict.NOT_RUN] * 7
    assert program_verdict(judgement.default) is Verdict.TIMEOUT
    # Test 0 only: the idle worker does not take test 1 before test 0 came back (it would run for nothing).
    assert [r.index for r in run.runs if r.cpu_s > 0] == [0] and run.cpu_s < 0.5 + KILL_SLACK_S


def test_the_early_stop_keeps_the_verdicts_up_to_the_first_failure():
    wrong_from_3 = "x = int(input())\nprint(x if x < 3 else -1)\n"
    with Executor(Limits(timeout_s=2), workers=2) as ex:
        full_run, full = execute(ex, wrong_from_3, echo_tests(12))
        run, stopped = execute(ex, wrong_from_3, echo_tests(12), stop=True)
    assert [v.verdict for v in stopped.default] == [Verdict.PASSED] * 3 + [Verdict.WRONG_ANSWER] + [Verdict.NOT_RUN] * 8
    assert [(v.verdict, v.detail) for v in stopped.default[:4]] == [(v.verdict, v.detail) for v in full.default[:4]]
    assert [v.verdict for v in stopped.apps[:4]] == [v.verdict for v in full.apps[:4]]
    assert program_verdict(stopped.default) is program_verdict(full.default)


def test_sleeping_programs_do_not_hold_the_cpus():
    # One worker: a second sleeper starts while the first sleeps (a spare worker, started for
    # it meanwhile, takes it), as
    # does a CPU-bound program; its CPU time limit still binds.
    stamp = "import time\nprint(time.time())\ntime.sleep(4)\nprint(time.time())\n"
    burn = "import time\nprint(time.time(), flush=True)\nwhile True:\n    pass\n"
    with Executor(Limits(timeout_s=1, wall_timeout_s=60, program_cpu_s=0, program_wall_s=0), workers=1) as ex:
        assert not ex.isolation["spare_workers"].startswith("0")
        for other in (stamp, burn):
            first, second = [f.result(timeout=120).runs[0] for f in
                             [ex.submit(ExecutionRequest(p, TestKind.STDIO, ("",))) for p in (stamp, other)]]
            assert first.status is RunStatus.OK
            start, end = map(float, first.output.split())
            assert float(second.output.split()[0]) < end  # began while the first slept
    assert second.status is RunStatus.TIMEOUT and second.cpu_s >= 1.0 and "CPU" in second.detail


def test_without_spare_workers_a_sleeper_holds_its_worker():
    stamp = "import time\nprint(time.time())\ntime.sleep(1)\nprint(time.time())\n"
    with Executor(Limits(timeout_s=2), workers=1, spare_workers=0) as ex:
        runs = [f.result(timeout=60) for f in [ex.submit(ExecutionRequest(stamp, TestKind.STDIO, ("",)))
                                               for _ in range(2)]]
    (_, end1), (start2, _) = [map(float, r.runs[0].output.split()) for r in runs]
    assert start2 >= end1


def _programs_file(tmp_path, code: str):
    path = tmp_path / "programs.jsonl"
    path.write_text(json.dumps({"problem_id": "sample-001", "sample_index": 0, "code": code}) + "\n")
    return path


# sample-001's tests have n = 3, 0, 1, 4, 5, 1000: this fails from test 2 on.
WRONG_FROM_2 = "n = int(input())\nvalues = list(map(int, input().split())) if n > 0 else []\nprint(0 if n == 1 else sum(values))\n"


def test_the_early_stop_is_recorded_refuses_another_resume_and_reports_no_test_pass_rate(tmp_path, capsys):
    programs, out = _programs_file(tmp_path, WRONG_FROM_2), tmp_path / "run"
    common = ["evaluate", "--generations", str(programs), "--problems", "sample-001", "--workers", "1", "--out", str(out)]
    assert main(common + ["--stop-at-first-failure"]) == 0
    record = read_record(out / CONFIG_FILE)
    assert record.execution.stop_at_first_failure is True
    (result,) = read_results(out / RESULTS_FILE)
    assert result.early_stop and result.verdict is Verdict.WRONG_ANSWER and result.tests_passed == 2
    assert result.tests == (Verdict.PASSED, Verdict.PASSED, Verdict.WRONG_ANSWER) + (Verdict.NOT_RUN,) * 3
    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["overall"]["test_pass_rate"] is None and summary["overall"]["apps_test_pass_rate"] is None
    assert summary["overall"]["strict_accuracy"] == 0.0
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    assert "stop at the first failure" in capsys.readouterr().out
    assert main(common) == 1  # the same folder without the early stop: refused, nothing judged again
    assert len(read_results(out / RESULTS_FILE)) == 1


def test_the_budgets_are_recorded_and_part_of_the_run_identity(tmp_path, capsys):
    programs, out = _programs_file(tmp_path, LOOP), tmp_path / "run"
    common = ["evaluate", "--generations", str(programs), "--problems", "sample-001", "--workers", "1",
              "--timeout", "0.5", "--out", str(out)]
    started = time.monotonic()
    assert main(common + ["--program-cpu-budget", "1"]) == 0
    assert time.monotonic() - started < 60
    limits = read_record(out / CONFIG_FILE).execution.limits
    assert (limits.program_cpu_budget_s, limits.program_wall_budget_s) == (1.0, 5.0)
    (result,) = read_results(out / RESULTS_FILE)
    assert result.tests == (Verdict.TIMEOUT,) * 6 and result.cpu_s < 2.1 and not result.early_stop
    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["overall"]["test_pass_rate"] == 0.0
    capsys.readouterr()
    assert main(["report", str(out), "--format", "json"]) == 0
    assert '"program_cpu_budget_s": 1.0' in capsys.readouterr().out
    assert main(common + ["--program-cpu-budget", "2"]) == 1
    assert main(common + ["--program-cpu-budget", "1"]) == 0  # same settings: resumes (finished)
    default = read_record(out / CONFIG_FILE)
    assert default.execution.limits.program_cpu_budget_s == 1.0


def test_old_records_without_budgets_read_as_no_budget():
    from harness.record_codec import decode
    from harness.run_record import LimitsRecord

    old = {"timeout_s": 4.0, "memory_mb": 2048, "max_output_bytes": 4194304, "cpu_s": 5,
           "max_file_bytes": 16777216, "max_processes": 64, "wall_timeout_s": 20.0}
    record = decode(LimitsRecord, old)
    assert record.program_cpu_budget_s is None and record.program_wall_budget_s is None



@pytest.mark.parametrize("workers", [2, 4])
def test_a_looping_program_with_idle_workers_costs_at_most_the_budget_and_one_limit(workers):
    # The only program: every other worker (spare ones too) is idle and would take its tests.
    limits = Limits(timeout_s=0.5, wall_timeout_s=60, program_cpu_s=1.5, program_wall_s=0)
    with Executor(limits, workers=workers) as ex:
        run, judgement = execute(ex, LOOP, echo_tests(16))
    assert [v.verdict for v in judgement.default] == [Verdict.TIMEOUT] * 16
    ran = [r for r in run.runs if r.cpu_s > 0]
    assert sum(r.cpu_s for r in ran) <= 1.5 + 0.5 + KILL_SLACK_S * len(ran), [(r.index, r.cpu_s) for r in ran]
    assert all(r.index < 4 for r in ran), [(r.index, r.cpu_s) for r in ran]  # idle workers took the next tests, those that count


def test_a_sleeping_program_with_idle_and_spare_workers_costs_at_most_the_wall_budget_and_one_limit():
    limits = Limits(timeout_s=0.2, wall_timeout_s=1.0, program_cpu_s=0, program_wall_s=2.0)
    with Executor(limits, workers=2) as ex:
        assert not ex.isolation["spare_workers"].startswith("0")
        run, judgement = execute(ex, SLEEP, echo_tests(12))
    assert [v.verdict for v in judgement.default] == [Verdict.TIMEOUT] * 12
    ran = [r for r in run.runs if r.wall_s > 0]
    assert sum(r.wall_s for r in ran) <= 2.0 + 1.0 + KILL_SLACK_S * len(ran), [(r.index, r.wall_s) for r in ran]


def test_a_big_piece_stops_at_its_first_timeout(monkeypatch):
    # Fast on tests 0-6, then it loops: with pieces of 1, 2, 4, 8... tests, tests 7-14 go to the
    # worker as one piece. It stops at test 7; the budget (1 s) lets test 8 run, not 9-14.
    import sandbox.executor

    monkeypatch.setattr(sandbox.executor, "PIECE_TARGET_S", 5.0)  # pieces double whatever the machine's speed
    program = "n = int(input())\nwhile n >= 7:\n    pass\nprint(n)\n"
    with Executor(Limits(timeout_s=0.5, wall_timeout_s=60, program_cpu_s=1.0, program_wall_s=0), workers=1) as ex:
        run, judgement = execute(ex, program, echo_tests(16))
    assert [v.verdict for v in judgement.default] == [Verdict.PASSED] * 7 + [Verdict.TIMEOUT] * 9
    assert [r.index for r in run.runs if r.status is RunStatus.TIMEOUT and r.cpu_s > 0] == [7, 8]
    assert all("per-program budget" in r.detail for r in run.runs[9:])


def test_a_sleeping_programs_next_test_sleeps_beside_its_first_while_other_programs_run():
    # One worker. While the sleeper's first test sleeps, a spare worker takes its next test
    # before the programs queued behind it (its wall budget allows two at once): it ends after
    # about one wall limit, not two. The CPU-bound programs run meanwhile on other spares.
    limits = Limits(timeout_s=0.5, wall_timeout_s=3.0, program_cpu_s=0, program_wall_s=6.0)
    stamp = "import time\nprint(time.time(), flush=True)\ntime.sleep(1000)\n"
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\nprint(input())\n"
    with Executor(limits, workers=1) as ex:
        assert not ex.isolation["spare_workers"].startswith("0")
        sleeper = ex.submit(ExecutionRequest(stamp, TestKind.STDIO, ("0\n",) * 6))
        others = [ex.submit(ExecutionRequest(burn, TestKind.STDIO, (f"{i}\n",))) for i in range(16)]  # 4.8 CPU-s
        run = sleeper.result(timeout=120)
        assert all(f.result(timeout=120).runs[0].status is RunStatus.OK for f in others)
    assert [r.status for r in run.runs] == [RunStatus.TIMEOUT] * 6
    first, second = (float(r.output) for r in run.runs[:2])
    assert sum(r.wall_s > 0 for r in run.runs) == 2
    assert second < first + 3.0  # began while the first slept (after it: 3 s later)
