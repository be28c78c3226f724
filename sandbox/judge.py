"""Turns one execution (a ProgramRun) into verdicts under both comparison rules. Pure."""
from __future__ import annotations

from typing import Callable, Sequence

from .compare import (ReturnValueError, apps_stdout_equal, apps_value_equal, first_difference, stdout_equal,
                      value_equal)
from .records import Judgement, ProgramRun, RunStatus, TestCase, TestKind, TestRun, TestVerdict, Verdict

__all__ = ["judge", "program_verdict", "GOT_LIMIT"]

GOT_LIMIT = 500  # characters of a failing test's output kept in TestVerdict.got
_DETAIL_LIMIT = 300

_STATUS_VERDICT = {
    RunStatus.RUNTIME_ERROR: Verdict.RUNTIME_ERROR,
    RunStatus.TIMEOUT: Verdict.TIMEOUT,
    RunStatus.MEMORY_LIMIT: Verdict.MEMORY_LIMIT,
    RunStatus.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT,
    RunStatus.COMPILE_ERROR: Verdict.COMPILE_ERROR,
    RunStatus.HARNESS_ERROR: Verdict.HARNESS_ERROR,
}

Comparator = Callable[[str, str], bool]
_DEFAULT: dict[TestKind, Comparator] = {TestKind.STDIO: stdout_equal, TestKind.CALL: value_equal}
_APPS: dict[TestKind, Comparator] = {TestKind.STDIO: apps_stdout_equal, TestKind.CALL: apps_value_equal}


def judge(tests: Sequence[TestCase], run: ProgramRun) -> Judgement:
    """Judge every test under the default and the APPS-compatible rule, from the same run.

    `run.runs[k].index` is the position of the input in the ExecutionRequest, which is built
    from `tests` in order; a verdict carries the TestCase's own `index`. A test without
    exactly one TestRun at its position gets HARNESS_ERROR in both modes: a missing result
    is never a silent pass or fail.
    """
    by_position: dict[int, list[TestRun]] = {}
    for test_run in run.runs:
        by_position.setdefault(test_run.index, []).append(test_run)
    default: list[TestVerdict] = []
    apps: list[TestVerdict] = []
    for position, test in enumerate(tests):
        found = by_position.get(position, [])
        if len(found) != 1:
            problem = "no result" if not found else f"{len(found)} results"
            missing = TestVerdict(test.index, Verdict.HARNESS_ERROR, detail=f"{problem} for test {position}")
            default.append(missing)
            apps.append(missing)
            continue
        default.append(_judge_one(test, found[0], _DEFAULT[test.kind], stdio_diff=True))
        apps.append(_judge_one(test, found[0], _APPS[test.kind], stdio_diff=False))
    return Judgement(default=tuple(default), apps=tuple(apps), wrapped=run.wrapped)


def program_verdict(verdicts: Sequence[TestVerdict]) -> Verdict:
    """PASSED iff there is at least one test and all passed; else the first failing verdict.

    No tests at all is the harness's fault (nothing was judged), hence HARNESS_ERROR.
    """
    for verdict in verdicts:
        if verdict.verdict != Verdict.PASSED:
            return verdict.verdict
    return Verdict.PASSED if verdicts else Verdict.HARNESS_ERROR


def _judge_one(test: TestCase, test_run: TestRun, equal: Comparator, *, stdio_diff: bool) -> TestVerdict:
    if test_run.status != RunStatus.OK:
        verdict = _STATUS_VERDICT.get(test_run.status, Verdict.HARNESS_ERROR)
        return _failure(test, test_run, verdict, test_run.detail)
    try:
        same = equal(test_run.output, test.expected)
    except ReturnValueError as exc:  # what the program's process reported is not a value: its fault
        return _failure(test, test_run, Verdict.RUNTIME_ERROR, str(exc))
    except ValueError as exc:  # undecodable expected JSON: the data is at fault
        return _failure(test, test_run, Verdict.HARNESS_ERROR, str(exc))
    if same:
        return TestVerdict(test.index, Verdict.PASSED, wall_s=test_run.wall_s)
    if stdio_diff and test.kind == TestKind.STDIO:
        detail = first_difference(test_run.output, test.expected)
    else:
        detail = f"expected {_clip(test.expected, _DETAIL_LIMIT - 9)!r}"
    return _failure(test, test_run, Verdict.WRONG_ANSWER, detail)


def _failure(test: TestCase, test_run: TestRun, verdict: Verdict, detail: str) -> TestVerdict:
    return TestVerdict(
        test.index,
        verdict,
        wall_s=test_run.wall_s,
        detail=_clip(detail, _DETAIL_LIMIT),
        got=_clip(test_run.output, GOT_LIMIT),
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
