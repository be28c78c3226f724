"""The bootstrap CI against exact enumeration of every resample on small inputs."""
import itertools
from fractions import Fraction

import pytest

from harness.reporting.metrics import ProblemScore
from harness.reporting.uncertainty import bootstrap_ci, bootstrap_means, bucket_intervals, score_intervals


def exact_distribution(values, strata=None):
    """{mean: probability} over all equally likely resamples (within each stratum, with replacement)."""
    strata = strata or [0] * len(values)
    groups = [[v for v, s in zip(values, strata) if s == key] for key in dict.fromkeys(strata)]
    dist = {}
    for draws in itertools.product(*(itertools.product(g, repeat=len(g)) for g in groups)):
        mean = sum(Fraction(v) for draw in draws for v in draw) / len(values)
        dist[mean] = dist.get(mean, 0) + 1
    total = sum(dist.values())
    return {m: Fraction(c, total) for m, c in sorted(dist.items())}


def exact_interval(dist, level=0.95):
    """Inverted-CDF percentiles of the exact distribution; also the CDF's distance from each cut."""
    alpha = Fraction(1 - level).limit_denominator(1000) / 2
    cdf, out, margin = Fraction(0), [], 1.0
    cuts = [alpha, 1 - alpha]
    for mean, p in dist.items():
        cdf += p
        margin = min([margin] + [abs(float(cdf - c)) for c in (alpha, 1 - alpha)])
        while cuts and cdf >= cuts[0]:
            out.append(float(mean))
            cuts.pop(0)
    return tuple(out), margin


@pytest.mark.parametrize(
    "values, strata",
    [
        ([0.0, 0.25, 1.0, 0.5], None),  # 4^4 = 256 resamples
        ([0.0, 1.0, 1.0], None),  # strict pass of 3 problems, n = 1
        ([1.0, 0.0, 0.5, 0.0, 0.75], ["intro", "intro", "inter", "inter", "inter"]),  # 2^2 * 3^3 = 108, stratified
    ],
)
def test_bootstrap_interval_matches_exact_enumeration(values, strata):
    (low, high), margin = exact_interval(exact_distribution(values, strata))
    assert margin > 0.002  # no CDF step sits near a cut, so a large B must land on the exact atoms
    got = bootstrap_ci(values, strata, n_boot=200_000, seed=1)
    assert got == pytest.approx((low, high), abs=1e-12)


def test_bootstrap_means_have_the_exact_mean_and_variance():
    values = [0.0, 0.25, 1.0, 0.5]
    dist = exact_distribution(values)
    mean = sum(m * p for m, p in dist.items())
    var = sum((m - mean) ** 2 * p for m, p in dist.items())
    means = bootstrap_means([[v] for v in values], n_boot=200_000, seed=2)[:, 0]
    assert means.mean() == pytest.approx(float(mean), abs=0.002)
    assert means.var() == pytest.approx(float(var), rel=0.02)


def test_stratified_resamples_keep_each_difficultys_size():
    # Stratum a is all 0, stratum b all 1: every stratified resample has mean exactly 2/5.
    low, high = bootstrap_ci([0, 0, 0, 1, 1], ["a", "a", "a", "b", "b"], n_boot=500)
    assert low == high == pytest.approx(0.4)
    low, high = bootstrap_ci([0, 0, 0, 1, 1], None, n_boot=500)  # plain bootstrap does vary
    assert low < 0.4 < high


def test_one_problem_gives_a_point_interval():
    assert bootstrap_ci([0.75]) == (0.75, 0.75)


def test_same_seed_same_interval():
    values = [i / 10 for i in range(10)]
    assert bootstrap_ci(values, seed=7) == bootstrap_ci(values, seed=7)


def test_bootstrap_refuses_an_empty_set():
    with pytest.raises(ValueError, match="empty"):
        bootstrap_means([])


def score(pid, difficulty, correct, samples=1, test_pass=None):
    tp = correct / samples if test_pass is None else test_pass
    return ProblemScore(pid, difficulty, samples, correct, correct, tp, tp, 0)


def test_score_intervals_cover_every_metric_including_pass_at_k():
    scores = [score("a", "interview", 2, 3), score("b", "interview", 0, 3), score("c", "interview", 3, 3)]
    ci = score_intervals(scores, stratify=False, n_boot=4000)
    assert set(ci) == {"strict_accuracy", "test_pass_rate", "apps_strict_accuracy", "apps_test_pass_rate", "pass@1", "pass@2", "pass@3"}
    assert ci["pass@1"] == ci["strict_accuracy"]  # pass@1 is c/n, the same per-problem value
    assert ci["pass@3"] == (0.0, 1.0)  # per problem 1, 0, 1: extremes have probability 1/27 each
    assert score_intervals([], stratify=True) == {}


def test_a_buckets_interval_does_not_depend_on_the_other_buckets():
    inter = [score(f"i{k}", "interview", k % 2) for k in range(9)]
    intro = [score(f"t{k}", "introductory", 1) for k in range(4)]
    alone = bucket_intervals({"interview": inter})
    together = bucket_intervals({"introductory": intro, "interview": inter, "overall": intro + inter})
    assert alone["interview"] == together["interview"]
    assert together["introductory"]["strict_accuracy"] == (1.0, 1.0)


def _counts_drawn_at_once(strata, n_boot, rng, cells_per_block):
    """Resample counts as reports computed them before issue 20: each block's draws of a stratum in one
    call, indexed and counted at once (several full-size copies of the draws in memory)."""
    import numpy as np

    groups = {}
    for position, stratum in enumerate(strata):
        groups.setdefault(stratum, []).append(position)
    n, done, out = len(strata), 0, []
    block = max(1, min(n_boot, cells_per_block // n))
    while done < n_boot:
        rows = min(block, n_boot - done)
        counts = np.zeros((rows, n))
        offsets = (np.arange(rows) * n)[:, None]
        for members in groups.values():
            draws = np.asarray(members)[rng.integers(0, len(members), size=(rows, len(members)))]
            counts += np.bincount((draws + offsets).ravel(), minlength=rows * n).reshape(rows, n)
        done += rows
        out.append(counts)
    return out


@pytest.mark.parametrize("stratified", [False, True])
def test_resampling_in_pieces_gives_the_intervals_of_drawing_each_block_at_once(monkeypatch, stratified):
    """Reports of earlier runs keep their numbers: the draws are taken in pieces of rows now, with
    several blocks and pieces of odd sizes here, and must be the very same resamples."""
    import numpy as np

    from harness.reporting import uncertainty

    monkeypatch.setattr(uncertainty, "_CELLS_PER_BLOCK", 7_001)
    monkeypatch.setattr(uncertainty, "_DRAWS_PER_CHUNK", 997)
    rng = np.random.default_rng(7)
    strata = [("a", "b", "b", "c", "b")[i % 5] for i in range(301)] if stratified else [0] * 301
    values = rng.random((301, 3))
    pieces = list(uncertainty.resample_counts(strata, 150, np.random.default_rng((4, 2))))
    at_once = _counts_drawn_at_once(strata, 150, np.random.default_rng((4, 2)), 7_001)
    assert len(pieces) == len(at_once) > 2
    assert all(np.array_equal(a, b) for a, b in zip(pieces, at_once))
    expected = np.concatenate([counts @ values for counts in at_once]) / len(values)
    assert np.array_equal(uncertainty.bootstrap_means(values, strata, n_boot=150, seed=(4, 2)), expected)
