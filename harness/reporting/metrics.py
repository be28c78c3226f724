"""Pure metric functions: pass@k, strict accuracy, test-pass rate, per difficulty.

Samples whose verdict is `harness_error` are the harness's fault: they are left out
of every rate and counted separately, so they never count against the model silently.
A selected problem that was given no program at all (a partial generations file) is
*missing*: it scores 0 in every rate, like a problem whose every sample fails.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from math import comb
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from data.problem import Difficulty
from sandbox.records import Verdict

from harness.records import BucketSummary, RunSummary, SampleResult
from harness.reporting.memorization import ReferenceSimilarity, bucket_similarity
from harness.reporting.ordering import natural_key, natural_sorted

if TYPE_CHECKING:
    from harness.timings import RunTimings

DIFFICULTIES = ("introductory", "interview", "competition")
BUCKETS = ("overall",) + DIFFICULTIES


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimator of Chen et al. 2021: 1 - C(n-c, k) / C(n, k)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


@dataclass(frozen=True, slots=True)
class ProblemScore:
    """One problem's samples reduced to the numbers every metric is built from."""

    problem_id: str
    difficulty: Difficulty
    samples: int  # judged samples, harness errors excluded; 0 for a missing problem
    correct: int  # samples passing every test (default comparison)
    apps_correct: int
    test_pass: float  # mean over samples of the fraction of tests passed
    apps_test_pass: float
    harness_errors: int
    # False when some sample stopped at its first failure (--stop-at-first-failure): its
    # test-pass fractions are lower bounds, so no test-pass rate is computed from them.
    test_pass_known: bool = True
    copied_correct: int = 0  # samples passing every test that are copies of a reference solution (memorization)

    @property
    def strict(self) -> float:
        return self.correct / self.samples if self.samples else 0.0

    @property
    def apps_strict(self) -> float:
        return self.apps_correct / self.samples if self.samples else 0.0

    @property
    def strict_excluding_copies(self) -> float:
        return (self.correct - self.copied_correct) / self.samples if self.samples else 0.0

    def pass_at(self, k: int) -> float:
        return pass_at_k(self.samples, self.correct, k) if self.samples else 0.0


def missing_score(problem_id: str, difficulty: str) -> ProblemScore:
    """A selected problem without any program: unsolved, no test passed."""
    return ProblemScore(problem_id, Difficulty(difficulty), 0, 0, 0, 0.0, 0.0, 0)


def _fraction(passed: int, total: int) -> float:
    return passed / total if total else 0.0


def problem_scores(results: Iterable[SampleResult], missing: Mapping[str, str] | None = None) -> list[ProblemScore]:
    """Group results by problem (ids in natural order); problems with only harness errors are dropped.

    `missing` (problem_id -> difficulty): problems given no program, scored 0 (see missing_score).
    """
    grouped: dict[str, list[SampleResult]] = defaultdict(list)
    for result in results:
        grouped[result.problem_id].append(result)
    scores = []
    for problem_id in natural_sorted(grouped):
        rows = grouped[problem_id]
        judged = [r for r in rows if r.verdict is not Verdict.HARNESS_ERROR]
        if not judged:
            continue
        n = len(judged)
        scores.append(
            ProblemScore(
                problem_id=problem_id,
                difficulty=rows[0].difficulty,
                samples=n,
                correct=sum(r.verdict is Verdict.PASSED for r in judged),
                apps_correct=sum(r.apps_verdict is Verdict.PASSED for r in judged),
                test_pass=sum(_fraction(r.tests_passed, r.tests_total) for r in judged) / n,
                apps_test_pass=sum(_fraction(r.apps_tests_passed, r.tests_total) for r in judged) / n,
                harness_errors=len(rows) - n,
                test_pass_known=not any(r.early_stop for r in judged),
                copied_correct=sum(r.verdict is Verdict.PASSED and r.reference_similarity is not None and r.reference_similarity.copy
                                   for r in judged),
            )
        )
    scores += [missing_score(pid, d) for pid, d in (missing or {}).items() if pid not in grouped]
    return sorted(scores, key=lambda s: natural_key(s.problem_id))


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def bucket_summary(scores: Sequence[ProblemScore], results: Sequence[SampleResult]) -> BucketSummary:
    """Metrics over one set of problems; pass@k for every k up to the smallest n."""
    max_k = min((s.samples for s in scores if s.samples), default=0)
    known = all(s.test_pass_known for s in scores)
    return BucketSummary(
        problems=len(scores),
        samples=sum(s.samples for s in scores),
        strict_accuracy=_mean([s.strict for s in scores]),
        test_pass_rate=_mean([s.test_pass for s in scores]) if known else None,
        pass_at_k={str(k): sum(s.pass_at(k) for s in scores) / len(scores) for k in range(1, max_k + 1)},
        apps_strict_accuracy=_mean([s.apps_strict for s in scores]),
        apps_test_pass_rate=_mean([s.apps_test_pass for s in scores]) if known else None,
        verdicts=dict(sorted(Counter(r.verdict.value for r in results).items())),
        apps_verdicts=dict(sorted(Counter(r.apps_verdict.value for r in results).items())),
        harness_errors=sum(r.verdict is Verdict.HARNESS_ERROR for r in results),
    )


def summarize(
    results: Sequence[SampleResult],
    excluded_problems: dict[str, str] | None = None,
    truncated_prompts: int = 0,
    *,
    missing: Mapping[str, str] | None = None,
    only_given_problems: bool = False,
    timings: "RunTimings | None" = None,
    cut_at_token_limit: "set[tuple[str, int]] | None" = None,
) -> RunSummary:
    """summary.json: overall and per-difficulty buckets; `missing` problems score 0 (problem_id -> difficulty);
    the memorization figures per bucket come from the rows' reference_similarity; with `cut_at_token_limit` (the
    keys of the samples whose generation ended at --max-new-tokens; None: not generated), their count per bucket."""
    missing = {pid: (missing or {})[pid] for pid in natural_sorted(missing or {})}
    scores = problem_scores(results, missing)
    excluded = dict(excluded_problems or {})
    judged_ids = {s.problem_id for s in scores}
    for result in results:
        if result.problem_id not in judged_ids:
            excluded.setdefault(result.problem_id, "every sample ended in a harness error")
    buckets = {"overall": bucket_summary(scores, results)}
    for difficulty in DIFFICULTIES:
        buckets[difficulty] = bucket_summary(
            [s for s in scores if s.difficulty == difficulty],
            [r for r in results if r.difficulty == difficulty],
        )
    return RunSummary(buckets=buckets, excluded_problems={pid: excluded[pid] for pid in natural_sorted(excluded)}, truncated_prompts=truncated_prompts,
                      missing_problems=missing, only_given_problems=only_given_problems,
                      reference_similarity=memorization(scores, results), timings=timings,
                      truncated_generations=None if cut_at_token_limit is None else {
                          bucket: sum(r.key in cut_at_token_limit for r in results if bucket in ("overall", r.difficulty))
                          for bucket in ("overall", *DIFFICULTIES)})


def memorization(scores: Sequence[ProblemScore], results: Sequence[SampleResult]) -> dict[str, ReferenceSimilarity | None]:
    """Per bucket: similarity to the reference solutions over judged samples, copy rate and strict accuracy
    excluding copies (copies count as failures); every bucket None when no sample has a match."""
    judged = [r for r in results if r.verdict is not Verdict.HARNESS_ERROR]
    if not any(r.reference_similarity is not None for r in judged):
        return {}
    out = {}
    for bucket in BUCKETS:
        mine = scores if bucket == "overall" else [s for s in scores if s.difficulty == bucket]
        rows = judged if bucket == "overall" else [r for r in judged if r.difficulty == bucket]
        out[bucket] = bucket_similarity(rows, _mean([s.strict_excluding_copies for s in mine]))
    return out
