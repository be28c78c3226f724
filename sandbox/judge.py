"""Turns one execution (a ProgramRun) into verdicts under both comparison rules. Pure."""
from __future__ import annotations

import dataclasses
import re
import threading
from typing import Callable, Sequence

from .compare import (ReturnValueError, apps_stdout_equal, apps_value_equal, first_difference, stdout_equal,
                      value_equal)
from .records import (ExecutionRequest, Judgement, ProgramRun, RunStatus, TestCase, TestKind, TestRun, TestVerdict,
                      Verdict)

__all__ = ["judge", "program_verdict", "apps_rerun", "TestJudge", "GOT_LIMIT", "APPS_PROGRAM_LIMIT_S"]

GOT_LIMIT = 500  # characters of a failing test's output kept in TestVerdict.got
_DETAIL_LIMIT = 300

_STATUS_VERDICT = {
    RunStatus.RUNTIME_ERROR: Verdict.RUNTIME_ERROR,
    RunStatus.TIMEOUT: Verdict.TIMEOUT,
    RunStatus.MEMORY_LIMIT: Verdict.MEMORY_LIMIT,
    RunStatus.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT,
    RunStatus.COMPILE_ERROR: Verdict.COMPILE_ERROR,
    RunStatus.HARNESS_ERROR: Verdict.HARNESS_ERROR,
    RunStatus.NOT_RUN: Verdict.NOT_RUN,
}

Comparator = Callable[[str, str], bool]
_DEFAULT: dict[TestKind, Comparator] = {TestKind.STDIO: stdout_equal, TestKind.CALL: value_equal}
_APPS: dict[TestKind, Comparator] = {TestKind.STDIO: apps_stdout_equal, TestKind.CALL: apps_value_equal}
_RULES = {"default": (_DEFAULT, True), "apps": (_APPS, False)}  # name: (comparators, describe stdout diffs)


# The original gives a program 4 s per test and 11 s in all (the wall time of the process
# that runs its tests); past that it drops every result and records 21 x -1. Here the
# program's CPU time over its tests stands for that time: what the run takes on a quiet
# machine, whatever the load of this one.
APPS_PROGRAM_LIMIT_S = 11.0

_USES_OPEN = re.compile(r"\bopen\s*\(")
_NAMES_MODULE = re.compile(r"\b__name__\b")  # e.g. `if __name__ == "__main__":`, false in the original
_RERUN_ERRORS = ("NameError", "ImportError", "ModuleNotFoundError")


def apps_rerun(request: ExecutionRequest, run: ProgramRun) -> "ExecutionRequest | None":
    """The request to run again in the original APPS environment, or None when its run there
    cannot differ from `run`.

    The original prepends an import header (math, collections, typing's List...) to every
    program, replaces `open` with a mock returning the test input, and loads the program as
    a module first (its header, the import lines of a stdin program, all of a call-based
    one), counting an error there as a compile error (-2); a stdin program runs as that
    module (`tmp_sol`), not as `__main__`. That changes the outcome only of a program that
    calls `open`, failed on an undefined name or an import, reads `__name__` (stdin), or
    (call-based) failed every test the same way; only those run a second time, with
    `apps_environment` (their APPS verdict comes from that run).

    The original also loads a call-based program once and calls its function for every test
    (so does the APPS environment, per test process): a program whose results depend on state
    an earlier test left in its module or its Solution() can fare differently there. That is
    not a reason for a rerun (it cannot be told cheaply from the program or its run); such a
    program's APPS verdict comes from the default run, with a fresh module per test.
    """
    if request.apps_environment:
        return None
    errors = [r.detail for r in run.runs if r.status is RunStatus.RUNTIME_ERROR]
    load_error = request.kind is TestKind.CALL and errors and len(errors) == len(run.runs) and len(set(errors)) == 1
    guarded = request.kind is TestKind.STDIO and _NAMES_MODULE.search(request.program)
    if not (load_error or guarded or any(e.startswith(_RERUN_ERRORS) for e in errors)
            or _USES_OPEN.search(request.program)):
        return None
    return dataclasses.replace(request, apps_environment=True)


def judge(tests: Sequence[TestCase], run: ProgramRun, apps_run: "ProgramRun | None" = None, *,
          stop_at_first_failure: bool = False) -> Judgement:
    """Judge every test under the default and the APPS-compatible rule, from the same run.

    With `apps_run` (the same program run again in the APPS environment, see apps_rerun),
    the APPS-compatible verdicts come from that run instead. With `stop_at_first_failure`,
    each rule's verdicts after its first failing test are NOT_RUN, whether or not they ran
    (the executor may have run some of them meanwhile): the same outcome however the
    program's tests were spread over workers.

    `run.runs[k].index` is the position of the input in the ExecutionRequest, which is built
    from `tests` in order; a verdict carries the TestCase's own `index`. A test without
    exactly one TestRun at its position gets HARNESS_ERROR in both modes: a missing result
    is never a silent pass or fail.
    """
    default = _judge_all(tests, run, _DEFAULT, stdio_diff=True)
    apps_run = run if apps_run is None else apps_run
    apps = _judge_all(tests, apps_run, _APPS, stdio_diff=False)
    return _finished(default, apps, run, apps_run, stop_at_first_failure)


def _finished(default: tuple, apps: tuple, run: ProgramRun, apps_run: ProgramRun, stop: bool) -> Judgement:
    """Both rules' verdicts with the original's per-program limit applied to the APPS ones and,
    with the early stop, everything after each rule's first failure NOT_RUN."""
    if not stop:
        return Judgement(default=default, apps=_within_apps_program_limit(apps, apps_run), wrapped=run.wrapped)
    counted = _first_failure(apps)
    apps = _within_apps_program_limit(apps, apps_run, upto=len(apps) if counted is None else counted)
    return Judgement(default=_until_first_failure(default), apps=_until_first_failure(apps), wrapped=run.wrapped)


def _first_failure(verdicts: Sequence[TestVerdict]) -> "int | None":
    return next((i for i, v in enumerate(verdicts) if v.verdict not in (Verdict.PASSED, Verdict.NOT_RUN)), None)


def _until_first_failure(verdicts: tuple) -> tuple:
    first = _first_failure(verdicts)
    if first is None:
        return verdicts
    detail = f"not run: the program failed test {verdicts[first].index} (stop at the first failure)"
    return verdicts[:first + 1] + tuple(TestVerdict(v.index, Verdict.NOT_RUN, detail=detail)
                                        for v in verdicts[first + 1:])


class TestJudge:
    """Judges each test the moment its run arrives, so that outputs need not be kept.

    Pass it as `Executor.submit(request, on_run=test_judge)`: every TestRun is judged (under
    the default rule, the APPS rule, or both) and stored with its output clipped to GOT_LIMIT;
    the harness's memory then does not grow with tests x output size. `judgement()` gives the
    verdicts of the finished ProgramRun, exactly as `judge` would have from the full outputs.
    """

    __test__ = False  # not a pytest class

    def __init__(self, tests: Sequence[TestCase], *, default: bool = True, apps: bool = True,
                 stop_at_first_failure: bool = False) -> None:
        self._tests = tuple(tests)
        self._rules = tuple(name for name, wanted in (("default", default), ("apps", apps)) if wanted)
        self._verdicts: dict = {}  # (rule, position) -> TestVerdict; distinct keys per thread
        self.stop_at_first_failure = stop_at_first_failure
        self._failed: dict = {}  # rule -> the first failing position seen so far
        self._failed_lock = threading.Lock()

    def stop_index(self) -> "int | None":
        """The position after which no test need run: every rule has seen a failure at or
        before it (their program verdicts are then known). None: not yet."""
        with self._failed_lock:
            if len(self._failed) < len(self._rules):
                return None
            return max(self._failed.values())

    def __call__(self, test_run: TestRun) -> TestRun:
        if 0 <= test_run.index < len(self._tests):
            test = self._tests[test_run.index]
            for name in self._rules:
                rules, stdio_diff = _RULES[name]
                verdict = self._verdicts[name, test_run.index] = _judge_one(test, test_run, rules[test.kind],
                                                                            stdio_diff=stdio_diff)
                if verdict.verdict not in (Verdict.PASSED, Verdict.NOT_RUN):
                    with self._failed_lock:
                        self._failed[name] = min(self._failed.get(name, test_run.index), test_run.index)
        if len(test_run.output) <= GOT_LIMIT:
            return test_run
        return dataclasses.replace(test_run, output=_clip(test_run.output, GOT_LIMIT))

    def judgement(self, run: ProgramRun, apps: "TestJudge | None" = None, apps_run: "ProgramRun | None" = None
                  ) -> Judgement:
        """Default verdicts from `run` as judged here; APPS ones from `apps_run` as `apps` judged
        it, when given (see apps_rerun), else from `run`."""
        apps_judge, apps_run = (apps, apps_run) if apps_run is not None else (self, run)
        default = _judge_all(self._tests, run, _DEFAULT, stdio_diff=True, known=self._known("default"))
        apps_verdicts = _judge_all(self._tests, apps_run, _APPS, stdio_diff=False, known=apps_judge._known("apps"))
        return _finished(default, apps_verdicts, run, apps_run, self.stop_at_first_failure)

    def _known(self, name: str) -> dict:
        return {position: verdict for (rule, position), verdict in self._verdicts.items() if rule == name}


def _judge_all(tests: Sequence[TestCase], run: ProgramRun, rules: dict, *, stdio_diff: bool,
               known: "dict | None" = None) -> tuple:
    by_position: dict[int, list[TestRun]] = {}
    for test_run in run.runs:
        by_position.setdefault(test_run.index, []).append(test_run)
    verdicts: list[TestVerdict] = []
    for position, test in enumerate(tests):
        found = by_position.get(position, [])
        if len(found) != 1:
            problem = "no result" if not found else f"{len(found)} results"
            verdicts.append(TestVerdict(test.index, Verdict.HARNESS_ERROR, detail=f"{problem} for test {position}"))
            continue
        if known is not None and position in known:
            verdicts.append(known[position])
        else:
            verdicts.append(_judge_one(test, found[0], rules[test.kind], stdio_diff=stdio_diff))
    return tuple(verdicts)


def _within_apps_program_limit(verdicts: tuple, run: ProgramRun, upto: "int | None" = None) -> tuple:
    """APPS verdicts as the original's per-program limit leaves them: every test a timeout
    (its -1) when the program's tests used more than APPS_PROGRAM_LIMIT_S of CPU time.
    `upto`: only tests up to this position count (the early stop: those that always run)."""
    used = run.cpu_s if upto is None else sum(r.cpu_s for r in run.runs if r.index <= upto)
    if used <= APPS_PROGRAM_LIMIT_S:
        return verdicts
    detail = (f"the tests used {used:.1f} s of CPU time in all, above the original's {APPS_PROGRAM_LIMIT_S:g} s "
              f"per program (it then records every test as -1)")
    return tuple(v if v.verdict is Verdict.HARNESS_ERROR else
                 TestVerdict(v.index, Verdict.TIMEOUT, wall_s=v.wall_s, detail=detail, got=v.got) for v in verdicts)


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
