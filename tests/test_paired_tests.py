"""compare's paired tests at small n (issue 21 §4): the sign-flip p-value against hand-computed
and brute-force exact values, the Monte Carlo p-value against an exact one, and the notes
compare writes when few problems differ or an interval has zero width (runs under a record
the real pipeline wrote)."""
import itertools
import json
import random
from fractions import Fraction

import pytest

from harness.reporting.comparison import render_comparison
from harness.reporting.report import render_report
from harness.reporting.significance import EXACT_MAX_DIFFERING, sign_flip_p_value
from pipeline_runs import write_run
from sandbox.records import Verdict as V
from test_report import sample


@pytest.mark.parametrize("differences, p", [
    ([1, 1, 1, 1], Fraction(2, 16)),                  # the case: 4 one-way differences
    ([1, 1, 1, 1, 0, 0, 0], Fraction(2, 16)),         # problems that do not differ do not count
    ([-1] * 6, Fraction(2, 64)),
    ([1, 1, 1, -1], Fraction(10, 16)),                # |2X - 4| >= 2: X in {0, 1, 3, 4}: 1 + 4 + 4 + 1
    ([0.5, -1, 1], Fraction(1)),                      # every sign vector's |sum| is at least 0.5
    ([0.5, 1, 1, 1, -0.25], Fraction(4, 32)),          # |sum| >= 3.25: 3.75 and 3.25, and their mirrors
    ([0.6, 0.2, 0.4, 0.8], Fraction(2, 16)),          # 5 samples per problem, all one way
    ([0, 0], Fraction(1)),
    ([1] * 30, Fraction(2, 2**30)),                   # one size: exact at any number of problems
])
def test_sign_flip_p_values_by_hand(differences, p):
    got, exact = sign_flip_p_value(differences)
    assert exact and got == pytest.approx(float(p), rel=1e-12)


def brute_force(differences):
    """P(|sum of +-d| >= |sum d|) over all sign vectors, in exact fractions."""
    ds = [Fraction(d).limit_denominator(1000) for d in differences]
    observed = abs(sum(ds))
    hits = sum(abs(sum(s * d for s, d in zip(signs, ds))) >= observed for signs in itertools.product((1, -1), repeat=len(ds)))
    return Fraction(hits, 2 ** len(ds))


def test_enumeration_equals_brute_force_on_random_differences():
    rng = random.Random(4)
    for _ in range(200):
        samples = rng.choice([1, 3, 5])
        differences = [(rng.randint(0, samples) - rng.randint(0, samples)) / samples for _ in range(rng.randint(1, 11))]
        got, exact = sign_flip_p_value(differences)
        assert exact and got == pytest.approx(float(brute_force(differences)), rel=1e-12), differences


def exact_by_counting(units):
    """The exact p for integer differences: the distribution of sum(+-u) by convolution."""
    counts = {0: 1}
    for u in units:
        nxt = {}
        for total, ways in counts.items():
            for step in (u, -u):
                nxt[total + step] = nxt.get(total + step, 0) + ways
        counts = nxt
    observed = abs(sum(units))
    return Fraction(sum(w for t, w in counts.items() if abs(t) >= observed), 2 ** len(units))


def test_beyond_enumeration_the_monte_carlo_p_value_is_close_to_the_exact_one_and_never_zero():
    units = [1, 2, 3, 1, 2, 4, 1, 1, 2, -1, 3, 1, -2, 1, 2, 1, 1, -3, 2, 1, 1, 2, -1, 1, 1, 2, 1, -1]
    assert len(units) > EXACT_MAX_DIFFERING
    exact = float(exact_by_counting(units))
    got, is_exact = sign_flip_p_value([u / 4 for u in units], n_draws=20000, seed=1)
    assert not is_exact
    assert abs(got - exact) < 4 * (exact * (1 - exact) / 20000) ** 0.5 + 1e-4
    one_way, _ = sign_flip_p_value([0.25 * (1 + i % 3) for i in range(40)], n_draws=500)
    assert one_way == pytest.approx(1 / 501)  # (1 + 0) / (B + 1): small, never 0


# ---- through compare, on run folders under a record the real pipeline wrote ---------------------

def run_of(tmp_path, name, solved, difficulty=lambda pid: "interview", samples=1):
    """Problems p0..p9, `solved[pid]` of `samples` samples passing (0 where absent)."""
    rows = [sample(pid, i, difficulty(pid), V.PASSED if i < solved.get(pid, 0) else V.WRONG_ANSWER,
                   2 if i < solved.get(pid, 0) else 1, 2)
            for pid in (f"p{k}" for k in range(10)) for i in range(samples)]
    return write_run(tmp_path / name, rows)


def test_four_problems_that_differ_one_way_give_p_one_eighth_with_one_or_five_samples(tmp_path):
    for samples, better in ((1, {"p0": 1, "p1": 1, "p2": 1, "p3": 1}), (5, {"p0": 5, "p1": 3, "p2": 4, "p3": 1})):
        base = run_of(tmp_path / str(samples), "base", {}, samples=samples)
        other = run_of(tmp_path / str(samples), "other", better, samples=samples)
        data = json.loads(render_comparison([base, other], "json"))
        overall = data["paired"]["other"]["overall"]
        assert overall["paired_strict_p"] == pytest.approx(0.125)
        assert overall["paired_strict_p_exact"] is True and overall["paired_strict_differing"] == 4
        for table in ("full", "runs"):
            text = render_comparison([base, other], "md", table=table)
            assert "other vs base, strict accuracy: fewer than 10 problems differ (interview 4, overall 4)" in text


def test_a_zero_width_stratified_interval_is_said_not_shown_as_certainty(tmp_path):
    # Introductory problems p0..p4 all gain exactly one solve, interview problems none: every
    # stratum's differences are constant, so every stratified resample has the same mean.
    difficulty = lambda pid: "introductory" if int(pid[1:]) < 5 else "interview"
    base = run_of(tmp_path, "base", {}, difficulty)
    other = run_of(tmp_path, "other", {f"p{k}": 1 for k in range(5)}, difficulty)
    data = json.loads(render_comparison([base, other], "json"))
    overall = data["paired"]["other"]["overall"]
    assert overall["paired_strict_ci_low_frac"] == overall["paired_strict_ci_high_frac"] == pytest.approx(0.5)
    assert overall["paired_strict_ci_zero_width"] is True
    assert overall["paired_strict_p"] == pytest.approx(2 / 32)
    text = render_comparison([base, other], "md")
    row = next(line for line in text.splitlines() if line.startswith("| other vs base | overall |"))
    assert "+50.00 [+50.00, +50.00] (zero width)" in row
    assert "other vs base, strict accuracy: zero-width interval (introductory, overall)" in text
    # Each run's own overall interval collapses too (constant within each difficulty): said in its report.
    assert "Zero-width CIs: introductory (" in render_report(base, "md")
    assert "overall (strict\\_accuracy" in render_report(other, "md")  # Markdown-escaped


def test_enough_differing_problems_get_no_small_sample_note(tmp_path):
    base = run_of(tmp_path, "base", {})
    other = run_of(tmp_path, "other", {f"p{k}": 1 for k in range(10)})
    text = render_comparison([base, other], "md")
    assert "fewer than 10 problems differ" not in text
