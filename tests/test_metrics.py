"""Metrics against hand-computed values and brute-force enumeration."""
from itertools import combinations

import pytest

from harness.reporting.metrics import pass_at_k, problem_scores, summarize
from harness.records import SampleResult
from sandbox.records import Verdict

P, W, R, C, H = Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.RUNTIME_ERROR, Verdict.COMPILE_ERROR, Verdict.HARNESS_ERROR


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    samples = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 8))
def test_pass_at_k_matches_enumeration_of_all_subsets(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_force_pass_at_k(n, c, k), abs=1e-12)


@pytest.mark.parametrize("n, c, k", [(3, 4, 1), (3, 1, 4), (3, 1, 0), (0, 0, 1)])
def test_pass_at_k_rejects_impossible_arguments(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def result(pid, idx, diff, tests, apps_tests=None):
    apps_tests = apps_tests or tests
    first_bad = lambda vs: next((v for v in vs if v is not P), P)
    return SampleResult(
        problem_id=pid, sample_index=idx, difficulty=diff,
        verdict=first_bad(tests), apps_verdict=first_bad(apps_tests),
        tests_passed=sum(v is P for v in tests), tests_total=len(tests),
        apps_tests_passed=sum(v is P for v in apps_tests),
        tests=tuple(tests), apps_tests=tuple(apps_tests), wall_s=0.0,
    )


def test_summary_matches_hand_computed_values():
    results = [
        # a: introductory, 2 samples: one passes all 4 tests, one passes 1 of 4
        result("a", 0, "introductory", [P, P, P, P]),
        result("a", 1, "introductory", [P, W, W, W]),
        # b: interview, 2 samples: compile error (0), and 2 of 2 under APPS only
        result("b", 0, "interview", [C, C]),
        result("b", 1, "interview", [P, W], apps_tests=[P, P]),
        # c: competition, 2 samples, one of them a harness error (left out)
        result("c", 0, "competition", [R, P, P]),
        result("c", 1, "competition", [H, H, H]),
    ]
    s = summarize(results).buckets
    assert s["introductory"].strict_accuracy == 0.5
    assert s["introductory"].test_pass_rate == pytest.approx((1 + 0.25) / 2)
    assert s["introductory"].pass_at_k == {"1": 0.5, "2": 1.0}
    assert s["interview"].strict_accuracy == 0.0
    assert s["interview"].apps_strict_accuracy == 0.5
    assert s["interview"].test_pass_rate == pytest.approx((0 + 0.5) / 2)
    assert s["interview"].apps_test_pass_rate == pytest.approx((0 + 1) / 2)
    assert s["competition"].samples == 1 and s["competition"].harness_errors == 1
    assert s["competition"].test_pass_rate == pytest.approx(2 / 3)
    assert s["competition"].pass_at_k == {"1": 0.0}
    overall = s["overall"]
    assert overall.problems == 3 and overall.samples == 5
    assert overall.strict_accuracy == pytest.approx((0.5 + 0 + 0) / 3)
    assert overall.test_pass_rate == pytest.approx((0.625 + 0.25 + 2 / 3) / 3)
    assert overall.pass_at_k == {"1": pytest.approx((0.5 + 0 + 0) / 3)}  # k <= smallest n (c has 1)
    assert overall.verdicts == {"compile_error": 1, "harness_error": 1, "passed": 1, "runtime_error": 1, "wrong_answer": 2}


def test_problem_with_only_harness_errors_is_excluded_and_named():
    summary = summarize([result("x", 0, "interview", [H]), result("y", 0, "interview", [P])])
    assert summary.buckets["overall"].problems == 1
    assert summary.buckets["overall"].strict_accuracy == 1.0
    assert "x" in summary.excluded_problems


def test_empty_bucket_has_no_rates_rather_than_zero():
    s = summarize([result("a", 0, "introductory", [P])]).buckets
    assert s["competition"].problems == 0
    assert s["competition"].strict_accuracy is None and s["competition"].pass_at_k == {}


def test_problem_scores_are_sorted_and_grouped():
    scores = problem_scores([result("b", 0, "interview", [P]), result("a", 1, "interview", [W]), result("a", 0, "interview", [P])])
    assert [(s.problem_id, s.samples, s.correct) for s in scores] == [("a", 2, 1), ("b", 1, 1)]
