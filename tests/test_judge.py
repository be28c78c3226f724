"""judge() and program_verdict() on hand-built ProgramRun records."""
import pytest

from sandbox.judge import GOT_LIMIT, judge, program_verdict
from sandbox.records import Judgement, ProgramRun, RunStatus, Verdict
from sandbox.records import TestCase as Case, TestKind as Kind, TestRun as Run, TestVerdict as Judged

# (aliases: pytest would try to collect classes named Test*)


def stdio_tests(*expected):
    return [Case(i, Kind.STDIO, f"input {i}\n", e) for i, e in enumerate(expected)]


def ok(index, output, wall_s=0.01):
    return Run(index, RunStatus.OK, output=output, wall_s=wall_s)


def verdicts(judgement: Judgement, mode: str = "default"):
    return [v.verdict for v in getattr(judgement, mode)]


def test_passing_run_passes_in_both_modes_and_keeps_no_debug_text():
    tests = stdio_tests("1\n", "2\n")
    result = judge(tests, ProgramRun((ok(0, "1\n"), ok(1, "2"))))
    assert verdicts(result) == verdicts(result, "apps") == [Verdict.PASSED] * 2
    assert all(v.got == "" and v.detail == "" for v in result.default + result.apps)
    assert [v.wall_s for v in result.default] == [0.01, 0.01]


def test_wrong_order_is_wrong_by_default_and_passed_by_apps():
    tests = stdio_tests("YES NO YES\n")
    result = judge(tests, ProgramRun((ok(0, "NO YES YES\n"),)))
    assert verdicts(result) == [Verdict.WRONG_ANSWER]
    assert verdicts(result, "apps") == [Verdict.PASSED]
    failure = result.default[0]
    assert failure.got == "NO YES YES\n"
    assert "line 1" in failure.detail and "YES NO YES" in failure.detail


def test_wrong_answer_keeps_truncated_output():
    result = judge(stdio_tests("1\n"), ProgramRun((ok(0, "x" * 10_000),)))
    failure = result.default[0]
    assert failure.verdict is Verdict.WRONG_ANSWER
    assert len(failure.got) <= GOT_LIMIT and failure.got.startswith("xxx")
    assert len(failure.detail) <= 300


@pytest.mark.parametrize(
    "status, verdict",
    [
        (RunStatus.RUNTIME_ERROR, Verdict.RUNTIME_ERROR),
        (RunStatus.TIMEOUT, Verdict.TIMEOUT),
        (RunStatus.MEMORY_LIMIT, Verdict.MEMORY_LIMIT),
        (RunStatus.OUTPUT_LIMIT, Verdict.OUTPUT_LIMIT),
        (RunStatus.COMPILE_ERROR, Verdict.COMPILE_ERROR),
        (RunStatus.HARNESS_ERROR, Verdict.HARNESS_ERROR),
    ],
)
def test_non_ok_status_maps_to_the_same_named_verdict_without_comparing(status, verdict):
    # The output would compare equal: a failed run must not pass on what it printed first.
    run = ProgramRun((Run(0, status, output="1\n", wall_s=4.0, detail="ZeroDivisionError: x"),))
    result = judge(stdio_tests("1\n"), run)
    for mode in ("default", "apps"):
        (tv,) = getattr(result, mode)
        assert tv.verdict is verdict
        assert tv.detail == "ZeroDivisionError: x" and tv.got == "1\n" and tv.wall_s == 4.0


def test_fewer_results_than_tests_gives_harness_errors_for_the_missing():
    result = judge(stdio_tests("1\n", "2\n", "3\n"), ProgramRun((ok(0, "1\n"),)))
    assert verdicts(result) == [Verdict.PASSED, Verdict.HARNESS_ERROR, Verdict.HARNESS_ERROR]
    assert verdicts(result, "apps") == verdicts(result)
    assert "no result for test 1" in result.default[1].detail


def test_mismatched_and_duplicate_indices_are_harness_errors():
    tests = stdio_tests("1\n", "2\n", "3\n")
    run = ProgramRun((ok(1, "2\n"), ok(1, "2\n"), ok(2, "3\n"), ok(7, "9\n")))
    result = judge(tests, run)
    assert verdicts(result) == [Verdict.HARNESS_ERROR, Verdict.HARNESS_ERROR, Verdict.PASSED]
    assert "2 results" in result.default[1].detail


def test_results_are_matched_by_position_and_carry_the_test_index():
    tests = [Case(10, Kind.STDIO, "", "a\n"), Case(11, Kind.STDIO, "", "b\n")]
    result = judge(tests, ProgramRun((ok(1, "b\n"), ok(0, "a\n"))))
    assert [(v.index, v.verdict) for v in result.default] == [(10, Verdict.PASSED), (11, Verdict.PASSED)]


def test_call_based_results_use_the_value_rules():
    tests = [
        Case(0, Kind.CALL, "[2]", "[true]"),
        Case(1, Kind.CALL, "[3]", "1"),
        Case(2, Kind.CALL, "[4]", "[1, 2]"),
    ]
    run = ProgramRun((ok(0, "true"), ok(1, "true"), ok(2, "[1, 2]")))
    result = judge(tests, run)
    assert verdicts(result) == [Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.PASSED]
    assert verdicts(result, "apps") == [Verdict.PASSED, Verdict.PASSED, Verdict.PASSED]
    assert result.default[1].detail == "expected '1'"


def test_undecodable_call_result_is_the_programs_fault_not_the_harness():
    """Only a forged record gets a non-JSON value this far: never taken for a harness fault."""
    result = judge([Case(0, Kind.CALL, "[]", "1")], ProgramRun((ok(0, "<object at 0x1>"),)))
    assert verdicts(result) == verdicts(result, "apps") == [Verdict.RUNTIME_ERROR]
    assert "not a JSON value" in result.default[0].detail


def test_call_result_nested_too_deep_is_refused_without_recursing():
    deep = "[" * 100_000 + "]" * 100_000
    result = judge([Case(0, Kind.CALL, "[]", "1")], ProgramRun((ok(0, deep),)))
    assert verdicts(result) == verdicts(result, "apps") == [Verdict.RUNTIME_ERROR]
    assert "nested deeper" in result.default[0].detail


def test_undecodable_expected_value_is_a_harness_error():
    result = judge([Case(0, Kind.CALL, "[]", "{not json")], ProgramRun((ok(0, "1"),)))
    assert verdicts(result) == verdicts(result, "apps") == [Verdict.HARNESS_ERROR]


def test_wrapped_flag_is_carried():
    assert judge(stdio_tests("1"), ProgramRun((ok(0, "1"),), wrapped=True)).wrapped is True


def test_no_tests_gives_no_verdicts():
    result = judge([], ProgramRun(()))
    assert result.default == result.apps == ()
    assert program_verdict(result.default) is Verdict.HARNESS_ERROR


def tv(verdict):
    return Judged(0, verdict)


@pytest.mark.parametrize(
    "sequence, expected",
    [
        ([Verdict.PASSED], Verdict.PASSED),
        ([Verdict.PASSED] * 3, Verdict.PASSED),
        ([Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.TIMEOUT], Verdict.WRONG_ANSWER),
        ([Verdict.TIMEOUT, Verdict.WRONG_ANSWER], Verdict.TIMEOUT),
        ([Verdict.COMPILE_ERROR] * 2, Verdict.COMPILE_ERROR),
        ([Verdict.PASSED, Verdict.HARNESS_ERROR], Verdict.HARNESS_ERROR),
        ([], Verdict.HARNESS_ERROR),
    ],
)
def test_program_verdict_is_passed_only_when_all_pass_else_first_failure(sequence, expected):
    assert program_verdict([tv(v) for v in sequence]) is expected


def test_judging_as_runs_arrive_gives_the_same_verdicts_and_keeps_no_outputs():
    from sandbox.judge import GOT_LIMIT, TestJudge

    tests = [Case(0, Kind.STDIO, "", "1 2\n"), Case(1, Kind.STDIO, "", "x" * 5000), Case(2, Kind.STDIO, "", "3")]
    runs = (ok(0, "2 1\n"), ok(1, "x" * 5000), Run(2, RunStatus.TIMEOUT, "3"))
    test_judge = TestJudge(tests)
    kept = ProgramRun(tuple(test_judge(r) for r in runs))
    assert test_judge.judgement(kept) == judge(tests, ProgramRun(runs))
    assert all(len(r.output) <= GOT_LIMIT for r in kept.runs)
    apps_only = TestJudge(tests, default=False)
    rerun = ProgramRun(tuple(apps_only(r) for r in (ok(0, "1 2"), ok(1, "y"), ok(2, "3"))))
    mixed = test_judge.judgement(kept, apps=apps_only, apps_run=rerun)
    assert verdicts(mixed) == [Verdict.WRONG_ANSWER, Verdict.PASSED, Verdict.TIMEOUT]
    assert verdicts(mixed, "apps") == [Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.PASSED]


def test_apps_verdicts_all_fail_past_the_originals_per_program_limit():
    # The original stops a program after 11 s in all and records every test as -1.
    tests = stdio_tests("1\n", "2\n", "3\n")
    slow = ProgramRun(tuple(Run(i, RunStatus.OK, output=f"{i + 1}\n", wall_s=4.0, cpu_s=3.9) for i in range(3)))
    result = judge(tests, slow)
    assert verdicts(result) == [Verdict.PASSED] * 3  # the default verdict knows no such limit
    assert verdicts(result, "apps") == [Verdict.TIMEOUT] * 3
    assert "11.7 s of CPU time" in result.apps[0].detail
    within = ProgramRun(tuple(Run(i, RunStatus.OK, output=f"{i + 1}\n", wall_s=9.0, cpu_s=3.6) for i in range(3)))
    assert verdicts(judge(tests, within), "apps") == [Verdict.PASSED] * 3  # CPU time counts, not a loaded wall clock


def test_the_per_program_limit_leaves_harness_errors_alone_and_applies_to_judging_as_runs_arrive():
    from sandbox.judge import TestJudge

    tests = stdio_tests("1\n", "2\n")
    run = ProgramRun((Run(0, RunStatus.TIMEOUT, wall_s=4.2, cpu_s=8.0), Run(1, RunStatus.HARNESS_ERROR, cpu_s=4.0)))
    test_judge = TestJudge(tests)
    for test_run in run.runs:
        test_judge(test_run)
    assert test_judge.judgement(run) == judge(tests, run)
    assert verdicts(judge(tests, run), "apps") == [Verdict.TIMEOUT, Verdict.HARNESS_ERROR]
