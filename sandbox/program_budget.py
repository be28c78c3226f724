"""The per-program budget: CPU and wall-clock time a program's tests may use in all.

The rule is a function of the runs in test order, so that it does not depend on how the
executor spread the tests over workers: test k runs (counts) only while tests 0..k-1 used
less than the budget; from the first k where they used it all, every test is a timeout.
The executor skips the tests it can already tell are past that point (their predecessors
that came back used the budget) and, once all runs are in, applies the rule to the runs
that did run past it meanwhile (on other workers), keeping their measured time.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from .records import Limits, RunStatus, TestRun

__all__ = ["exhausted", "apply_budget", "skipped_run"]


def _detail(what: str, used: float, budget: float) -> str:
    return (f"not counted: the program's earlier tests used {used:.1f} s of {what} time, "
            f"its per-program budget is {budget:g} s")


def exhausted(limits: Limits, cpu: Sequence[float], wall: Sequence[float]) -> "str | None":
    """Why tests after those measured (`cpu`, `wall`: times of tests known to come before)
    need not run, or None. The sums are lower bounds of the real prefix, so this never
    skips a test that the rule would let run."""
    for what, budget, times in (("CPU", limits.program_cpu_budget_s, cpu),
                                ("wall-clock", limits.program_wall_budget_s, wall)):
        used = sum(times)
        if budget is not None and used >= budget:
            return _detail(what, used, budget)
    return None


def skipped_run(index: int, detail: str) -> TestRun:
    """A test the budget left unrun: a timeout, as the original APPS per-program limit records it."""
    return TestRun(index, RunStatus.TIMEOUT, detail=detail)


def apply_budget(limits: Limits, runs: Sequence[TestRun]) -> "tuple[int, str] | None":
    """(k, why) where k is the first test past the budget (runs in index order), or None."""
    budgets = (("CPU", limits.program_cpu_budget_s, "cpu_s"), ("wall-clock", limits.program_wall_budget_s, "wall_s"))
    budgets = tuple(b for b in budgets if b[1] is not None)
    if not budgets:
        return None
    used = dict.fromkeys((name for name, _, _ in budgets), 0.0)
    for k, run in enumerate(runs):
        for what, budget, field in budgets:
            if used[what] >= budget:
                return k, _detail(what, used[what], budget)
        for what, _, field in budgets:
            used[what] += getattr(run, field)
    return None


def over_budget(run: TestRun, detail: str) -> TestRun:
    """A run past the budget that ran anyway (elsewhere, meanwhile): a timeout, its time kept."""
    if run.status is RunStatus.TIMEOUT and run.detail == detail:
        return run
    return dataclasses.replace(run, status=RunStatus.TIMEOUT, output="", detail=detail)
