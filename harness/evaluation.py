"""Judge candidates through the sandbox as they arrive, appending each result as it finishes."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Callable, Iterable, Mapping

from data.problem import Problem
from sandbox import ExecutionRequest, ProgramRun, TestRun, RunStatus
from sandbox.judge import TestJudge, apps_rerun, program_verdict
from sandbox.records import Judgement, TestVerdict, Verdict

from harness.execution import ExecutorBackend
from harness.records import Candidate, FailureDetail, SampleResult

log = logging.getLogger(__name__)

DETAIL_CHARS = 300


def _clip(text: str, limit: int = DETAIL_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


def _first_failure(problem: Problem, verdicts: tuple[TestVerdict, ...]) -> FailureDetail | None:
    for tv in verdicts:
        if tv.verdict is not Verdict.PASSED:
            test = problem.tests[tv.index] if tv.index < len(problem.tests) else None
            return FailureDetail(
                index=tv.index,
                verdict=tv.verdict,
                input=_clip(test.input) if test else "",
                expected=_clip(test.expected) if test else "",
                got=_clip(tv.got),
                detail=_clip(tv.detail),
            )
    return None


def sample_result(problem: Problem, candidate: Candidate, judgement: Judgement, wall_s: float,
                  cpu_s: float = 0.0, early_stop: bool = False) -> SampleResult:
    """Both comparisons of one execution, as one results.jsonl row."""
    default, apps = judgement.default, judgement.apps
    return SampleResult(
        problem_id=problem.problem_id,
        sample_index=candidate.sample_index,
        difficulty=problem.difficulty,
        verdict=program_verdict(default),
        apps_verdict=program_verdict(apps),
        tests_passed=sum(v.verdict is Verdict.PASSED for v in default),
        tests_total=len(problem.tests),
        apps_tests_passed=sum(v.verdict is Verdict.PASSED for v in apps),
        tests=tuple(v.verdict for v in default),
        apps_tests=tuple(v.verdict for v in apps),
        wall_s=round(wall_s, 4),
        wrapped=judgement.wrapped,
        first_failure=_first_failure(problem, default),
        cpu_s=round(cpu_s, 4),
        early_stop=early_stop,
    )


def harness_failure_run(problem: Problem, reason: str) -> ProgramRun:
    """What we record when the executor itself failed on a program: never a candidate fault."""
    return ProgramRun(runs=tuple(TestRun(t.index, RunStatus.HARNESS_ERROR, detail=reason) for t in problem.tests))


class Evaluation:
    """Submits candidates to the executor and records each result the moment it finishes.

    Results are judged and appended from the executor's completion callbacks, so the
    caller (e.g. a generation loop) never has to poll; `wait()` blocks until all are in.
    """

    def __init__(
        self,
        executor: ExecutorBackend,
        problems: Mapping[str, Problem],
        on_result: Callable[[SampleResult], None],
        *,
        stop_at_first_failure: bool = False,
    ) -> None:
        self._executor = executor
        self._stop = stop_at_first_failure
        self._problems = problems
        self._on_result = on_result
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._errors: list[BaseException] = []
        self._stopped = False

    def stop(self) -> None:
        """Record nothing more: work cut short by an interrupt is redone on resume, not saved."""
        with self._lock:
            self._stopped = True

    def failed(self) -> bool:
        """A result could not be recorded: wait() will raise it."""
        with self._lock:
            return bool(self._errors)

    def submit(self, candidate: Candidate) -> None:
        problem = self._problems[candidate.problem_id]
        request = ExecutionRequest(
            program=candidate.code,
            kind=problem.kind,
            inputs=tuple(t.input for t in problem.tests),
            fn_name=problem.fn_name,
            stop_at_first_failure=self._stop,
        )
        with self._lock:
            self._pending += 1
        test_judge = TestJudge(problem.tests, stop_at_first_failure=self._stop)  # judged as they arrive: no outputs are kept
        future = self._executor.submit(request, on_run=test_judge)
        future.add_done_callback(lambda fut: self._finish(problem, candidate, request, fut, test_judge))

    def submit_all(self, candidates: Iterable[Candidate]) -> None:
        for candidate in candidates:
            self.submit(candidate)

    def _finish(self, problem: Problem, candidate: Candidate, request: ExecutionRequest,
                future: "Future[ProgramRun]", test_judge: TestJudge,
                default: "tuple[ProgramRun, TestJudge] | None" = None) -> None:
        """Record a judged program; a program whose run in the original APPS environment could
        differ (sandbox.judge.apps_rerun) is run there first, for its APPS verdict."""
        try:
            if self._stopped or future.cancelled():
                return  # interrupted: nothing to record or report, the work is redone on resume
            try:
                run = future.result()
            except Exception as exc:  # the executor failed, not the candidate
                log.warning("harness error on %s sample %d: %s", problem.problem_id, candidate.sample_index, exc)
                run = harness_failure_run(problem, f"executor failure: {exc!r}"[:300])
            if default is None:
                rerun = apps_rerun(request, run)
                if rerun is not None:
                    apps_judge = TestJudge(problem.tests, default=False, stop_at_first_failure=self._stop)
                    with self._lock:
                        self._pending += 1
                    self._executor.submit(rerun, on_run=apps_judge).add_done_callback(
                        lambda fut: self._finish(problem, candidate, rerun, fut, apps_judge, (run, test_judge)))
                    return
                judgement = test_judge.judgement(run)
                default_run = run
            else:
                default_run, default_judge = default
                judgement = default_judge.judgement(default_run, apps=test_judge, apps_run=run)
            result = sample_result(problem, candidate, judgement, default_run.wall_s, default_run.cpu_s,
                                   early_stop=self._stop)
            with self._lock:
                if not self._stopped:
                    self._on_result(result)
        except BaseException as exc:  # keep the first error for wait() to raise
            with self._lock:
                self._errors.append(exc)
        finally:
            with self._lock:
                self._pending -= 1
                self._idle.notify_all()

    def wait(self) -> None:
        with self._lock:
            while self._pending and not self._errors:
                self._idle.wait(timeout=1.0)
            if self._errors:
                raise self._errors[0]
