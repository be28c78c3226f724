"""Paired tests between two runs over the problems both of them scored.

* Sign-flip permutation test (the p-value of the paired strict and test-pass differences):
  per-problem differences d_i = other_i - baseline_i; under the null hypothesis the two
  runs are exchangeable on every problem, so each d_i is as likely to be -d_i. The
  statistic is |mean d|; p = P(|mean(s_i d_i)| >= |mean d|) over independent signs s_i.
  Problems with d_i = 0 do not move it, so only the m problems that differ count:
  - exact when all m nonzero differences have one size (then it is a binomial tail, as with
    one sample per problem) or when m <= EXACT_MAX_DIFFERING (all 2^m sign vectors);
  - otherwise Monte Carlo over B random sign vectors, p = (1 + #{|T*| >= |T|}) / (B + 1),
    which is a valid p-value at any B (never below what it estimates, on average).
  Signs are flipped problem by problem, so every problem stays in its difficulty: the test
  is stratified wherever the bootstrap is. 4 problems that differ, all one way: p = 2/16.
* Paired bootstrap interval of the mean difference (effect size): problems resampled with
  replacement (stratified by difficulty when several are present), B times; percentile
  interval. When the differences are constant within every stratum, every resample has
  the same mean and the interval has zero width: that is reported (`collapsed`), since it
  shows that resampling cannot measure the uncertainty, not that there is none.
* McNemar's exact test on per-problem strict pass when both runs have one sample per
  problem: b = problems only the baseline solves, c = problems only the other run solves,
  p = min(1, 2 * sum_{i <= min(b, c)} C(b+c, i) / 2^(b+c)), in integer arithmetic.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from fractions import Fraction
from math import comb
from typing import Hashable, Sequence

from harness.reporting.metrics import ProblemScore
from harness.reporting.uncertainty import DEFAULT_BOOT, DEFAULT_LEVEL, DEFAULT_SEED, bootstrap_means, percentile_interval


EXACT_MAX_DIFFERING = 20  # up to 2^20 sign vectors enumerated
FEW_DIFFERING = 10  # below this many differing problems, a note says how little the tests can show


@dataclass(frozen=True, slots=True)
class PairedBootstrap:
    """Mean of other - baseline over shared problems (fractions): its bootstrap interval and
    its sign-flip p-value (see the module doc)."""

    difference: float
    low: float
    high: float
    p_value: float
    problems: int
    differing: int  # problems whose difference is not 0
    exact: bool  # p_value by exact enumeration (else Monte Carlo)

    @property
    def collapsed(self) -> bool:
        """The interval has zero width: the differences are constant within every stratum."""
        return self.low == self.high


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
    """Two-sided p-value of "mean = 0" from bootstrap means shifted to the null (kept for
    reference: it is anti-conservative with few problems, see sign_flip_p_value)."""
    extreme = sum(abs(r - observed) >= abs(observed) - 1e-12 for r in replicates)
    return (1 + extreme) / (len(replicates) + 1)


_TIE = 1e-9  # sums of sign-flipped differences closer than this to the observed one count as ties


def sign_flip_p_value(differences: Sequence[float], *, n_draws: int = DEFAULT_BOOT, seed=DEFAULT_SEED) -> tuple[float, bool]:
    """Two-sided paired sign-flip p-value of "mean difference = 0" and whether it is exact."""
    nonzero = [d for d in differences if d != 0]
    m = len(nonzero)
    if m == 0:
        return 1.0, True
    observed = abs(sum(nonzero))
    sizes = {abs(d) for d in nonzero}
    if max(sizes) - min(sizes) <= _TIE * max(sizes):
        # One size: |sum| = size * |2X - m| with X ~ Bin(m, 1/2) positive signs; exact integers.
        positive = sum(d > 0 for d in nonzero)
        extreme = sum(comb(m, x) for x in range(m + 1) if abs(2 * x - m) >= abs(2 * positive - m))
        return float(Fraction(extreme, 2**m)), True
    import numpy as np

    values = np.asarray(nonzero, dtype=np.float64)
    threshold = observed - _TIE
    if m <= EXACT_MAX_DIFFERING:
        sums = np.zeros(1)
        for d in values:  # every sum of +-d_i, doubling per problem: 2^m in the end
            sums = np.concatenate([sums + d, sums - d])
        return float(np.count_nonzero(np.abs(sums) >= threshold)) / len(sums), True
    rng = np.random.default_rng(seed)
    extreme, done = 0, 0
    block = max(1, min(n_draws, 4_000_000 // m))
    while done < n_draws:
        rows = min(block, n_draws - done)
        signs = rng.integers(0, 2, size=(rows, m), dtype=np.int8) * 2 - 1
        extreme += int(np.count_nonzero(np.abs(signs @ values) >= threshold))
        done += rows
    return (1 + extreme) / (n_draws + 1), False


def paired_bootstrap(
    differences: Sequence[Sequence[float]],
    strata: Sequence[Hashable] | None = None,
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int | Sequence[int] = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> list[PairedBootstrap]:
    """One PairedBootstrap per column of differences (problems x metrics): intervals all from
    the same resamples, p-values from sign flips."""
    if not differences:
        return []
    means = bootstrap_means(differences, strata, n_boot=n_boot, seed=seed)
    bounds = percentile_interval(means, level)
    out = []
    for j in range(means.shape[1]):
        column = [row[j] for row in differences]
        p_value, exact = sign_flip_p_value(column, n_draws=n_boot, seed=seed)
        out.append(
            PairedBootstrap(
                difference=sum(column) / len(column),
                low=float(bounds[0, j]),
                high=float(bounds[1, j]),
                p_value=p_value,
                problems=len(column),
                differing=sum(d != 0 for d in column),
                exact=exact,
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
