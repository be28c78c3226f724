"""Paired significance tests between two runs over the problems both of them scored.

* Paired bootstrap: the per-problem difference d_i = other_i - baseline_i (strict
  accuracy, test-pass rate); resample problems with replacement (stratified by
  difficulty when several are present) B times and take the mean difference of
  each resample. The interval is the percentile interval of those means. The
  two-sided p-value tests "mean difference = 0" by shifting the bootstrap
  distribution to the null: p = (1 + #{b : |d*_b - d| >= |d|}) / (B + 1),
  where d is the observed mean difference (Efron & Tibshirani 1993, sec. 16.4;
  the +1 keeps p > 0 and makes identical runs give p = 1).
* McNemar's exact test on per-problem strict pass when both runs have one sample
  per problem: b = problems only the baseline solves, c = problems only the
  other run solves, p = min(1, 2 * sum_{i <= min(b, c)} C(b+c, i) / 2^(b+c)).
  It is computed exactly (math.comb, integer arithmetic) at every count, so no
  chi-square approximation is needed.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from math import comb
from typing import Hashable, Sequence

from harness.reporting.metrics import ProblemScore
from harness.reporting.uncertainty import DEFAULT_BOOT, DEFAULT_LEVEL, DEFAULT_SEED, bootstrap_means, percentile_interval


@dataclass(frozen=True, slots=True)
class PairedBootstrap:
    """Mean of other - baseline over shared problems (fractions), its interval and p-value."""

    difference: float
    low: float
    high: float
    p_value: float
    problems: int


@dataclass(frozen=True, slots=True)
class McNemar:
    """b: solved by the baseline only; c: solved by the other run only."""

    b: int
    c: int
    p_value: float


@dataclass(frozen=True, slots=True)
class PairedComparison:
    """Both tests for one bucket of problems shared by two runs."""

    problems: int
    strict: PairedBootstrap | None
    test_pass: PairedBootstrap | None
    mcnemar: McNemar | None  # None unless both runs have exactly one sample per problem


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: the binomial(b + c, 1/2) tail, doubled, capped at 1."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got b={b} c={c}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


def bootstrap_p_value(replicates: Sequence[float], observed: float) -> float:
    """Two-sided p-value of "mean = 0" from bootstrap means shifted to the null (see module doc)."""
    extreme = sum(abs(r - observed) >= abs(observed) - 1e-12 for r in replicates)
    return (1 + extreme) / (len(replicates) + 1)


def paired_bootstrap(
    differences: Sequence[Sequence[float]],
    strata: Sequence[Hashable] | None = None,
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int | Sequence[int] = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> list[PairedBootstrap]:
    """One PairedBootstrap per column of differences (problems x metrics), all from the same resamples."""
    if not differences:
        return []
    means = bootstrap_means(differences, strata, n_boot=n_boot, seed=seed)
    bounds = percentile_interval(means, level)
    out = []
    for j in range(means.shape[1]):
        observed = sum(row[j] for row in differences) / len(differences)
        out.append(
            PairedBootstrap(
                difference=observed,
                low=float(bounds[0, j]),
                high=float(bounds[1, j]),
                p_value=bootstrap_p_value(means[:, j].tolist(), observed),
                problems=len(differences),
            )
        )
    return out


def compare_scores(
    baseline: Sequence[ProblemScore],
    other: Sequence[ProblemScore],
    *,
    bucket: str = "overall",
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> PairedComparison:
    """Paired tests over the problems present in both score lists (difficulty taken from the baseline)."""
    theirs = {s.problem_id: s for s in other}
    pairs = [(s, theirs[s.problem_id]) for s in baseline if s.problem_id in theirs]
    if not pairs:
        return PairedComparison(0, None, None, None)
    diffs = [(o.strict - a.strict, o.test_pass - a.test_pass) for a, o in pairs]
    strata = [a.difficulty for a, _ in pairs]
    strict, test_pass = paired_bootstrap(diffs, strata, n_boot=n_boot, seed=(seed, zlib.crc32(bucket.encode())), level=level)
    if not all(a.test_pass_known and o.test_pass_known for a, o in pairs):
        test_pass = None  # a run stopped programs at their first failure: no test-pass rate to compare
    mcnemar = None
    if all(a.samples <= 1 and o.samples <= 1 for a, o in pairs):  # 0: a missing problem, unsolved
        b = sum(a.correct == 1 and o.correct == 0 for a, o in pairs)
        c = sum(a.correct == 0 and o.correct == 1 for a, o in pairs)
        mcnemar = McNemar(b, c, mcnemar_exact(b, c))
    return PairedComparison(len(pairs), strict, test_pass, mcnemar)
