"""render_comparison, the paired tests and the comparability warnings, on runs with known answers."""
import csv
from dataclasses import replace
import io
import json

import pytest

from harness.reporting.comparison import comparability_warnings, render_comparison
from harness.reporting.metrics import ProblemScore
from harness.reporting.significance import bootstrap_p_value, compare_scores, mcnemar_exact, paired_bootstrap
from sandbox.records import Verdict as V
from harness.run_record import Comparators, TemplateRecord
from pipeline_runs import generated_record, write_run
from test_report import KNOWN, sample

# 10 interview problems, one sample each: the baseline solves p0 only, the other run p0..p6.
IDS = [f"p{i}" for i in range(10)]


def one_sample_run(solved):
    return [sample(pid, 0, "interview", V.PASSED if pid in solved else V.WRONG_ANSWER, 2 if pid in solved else 1, 2) for pid in IDS]


@pytest.fixture
def pair(tmp_path):
    base = write_run(tmp_path / "base", one_sample_run({"p0"}))
    better = write_run(tmp_path / "better", one_sample_run({f"p{i}" for i in range(7)}))
    return base, better


@pytest.mark.parametrize("b, c, p", [(0, 6, 2 * 0.5**6), (6, 0, 0.03125), (0, 0, 1.0), (1, 1, 1.0), (3, 3, 1.0), (2, 8, 2 * 56 / 1024), (0, 15, 2 * 0.5**15)])
def test_mcnemar_exact_values_by_hand(b, c, p):
    # (2, 8): P[X <= 2] for X ~ Bin(10, 1/2) = (1 + 10 + 45) / 1024.
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-12)


def test_bootstrap_p_value_counts_shifted_replicates():
    # observed 0.2; |r - 0.2| >= 0.2 only for r = 0.5 -> (1 + 1) / (4 + 1)
    assert bootstrap_p_value([0.1, 0.3, 0.5, 0.2], 0.2) == pytest.approx(0.4)


def test_identical_runs_differ_by_zero_with_p_one():
    diffs = [(0.0, 0.0)] * 12
    strict, test_pass = paired_bootstrap(diffs)
    assert (strict.difference, strict.low, strict.high, strict.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert test_pass.p_value == 1.0


def scores(correct, samples=1):
    return [ProblemScore(f"q{i}", "interview" if i % 2 else "introductory", samples, c, c, c / samples, c / samples, 0) for i, c in enumerate(correct)]


def test_a_run_that_solves_strictly_more_is_significantly_better():
    base = scores([1] * 5 + [0] * 25)
    other = scores([1] * 20 + [0] * 10)
    result = compare_scores(base, other)
    assert result.problems == 30
    assert result.strict.difference == pytest.approx(0.5)
    assert 0 < result.strict.low <= result.strict.high < 1
    assert result.strict.p_value < 0.01
    assert (result.mcnemar.b, result.mcnemar.c) == (0, 15)
    assert result.mcnemar.p_value == pytest.approx(2 * 0.5**15)


def test_mcnemar_needs_one_sample_per_problem():
    assert compare_scores(scores([1, 0, 2], samples=2), scores([2, 2, 2], samples=2)).mcnemar is None


def test_paired_tests_use_only_shared_problems():
    base, other = scores([1, 0, 0, 1]), scores([1, 1])  # other lacks q2, q3
    result = compare_scores(base, other)
    assert result.problems == 2 and result.strict.difference == pytest.approx(0.5)
    assert compare_scores(base, []).strict is None


def test_md_shows_deltas_and_the_paired_tests(pair):
    text = render_comparison(pair, "md")
    lines = text.splitlines()
    assert any(line.startswith("| better | overall | 10 | 10 | 70.00 [") and "| +60.00 | +30.00 | +60.00 | +30.00 |" in line for line in lines)
    assert any(line.startswith("| base | overall | 10 | 10 | 10.00 [") and "| – | – | – | – |" in line for line in lines)
    row = next(line for line in lines if line.startswith("| better vs base | overall |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "10" and cells[3].startswith("+60.00 [") and cells[7:] == ["0", "6", "0.03125"]
    assert float(cells[4]) == 0.03125  # 6 problems differ, all one way: exact sign-flip p = 2/2^6, as McNemar's
    assert "Warning" not in text  # same settings, same problems


def test_csv_and_json_carry_the_same_numbers(pair):
    rows = list(csv.DictReader(io.StringIO(render_comparison(pair, "csv"))))
    assert [(r["run"], r["difficulty"]) for r in rows][:2] == [("base", "introductory"), ("better", "introductory")]
    better = next(r for r in rows if r["run"] == "better" and r["difficulty"] == "overall")
    assert float(better["delta_strict_accuracy_frac"]) == pytest.approx(0.6)
    assert float(better["paired_strict_diff_frac"]) == pytest.approx(0.6)
    assert (better["mcnemar_b"], better["mcnemar_c"], float(better["mcnemar_p"])) == ("0", "6", 0.03125)
    data = json.loads(render_comparison(pair, "json"))
    assert data["baseline"] == "base" and data["deltas"]["better"]["overall"]["strict_accuracy"] == pytest.approx(0.6)
    assert data["paired"]["better"]["overall"]["mcnemar_p"] == 0.03125
    assert data["paired"]["better"]["introductory"]["shared_problems"] == 0
    assert data["runs"][1]["buckets"]["overall"]["strict_accuracy"] == pytest.approx(0.7)


def test_tex_has_three_booktabs_tables(pair):
    # one row per run, then by difficulty, then the paired tests
    lines = render_comparison(pair, "tex").splitlines()
    assert lines.count(r"\toprule") == 3 and lines.count(r"\bottomrule") == 3
    paired = r"better & overall & 10 & \begin{tabular}[t]{@{}r@{}}+60.00\\{\scriptsize [+30.0, +90.0]}\end{tabular} & "
    assert any(line.startswith(paired) and line.endswith(r"& 0 & 6 & 0.03125 \\") for line in lines)


def test_details_list_problems_only_one_run_solves(pair):
    text = render_comparison(pair, "md", details=True)
    assert "- Solved by base only (0): none." in text
    assert "- Solved by better only (6): p1, p2, p3, p4, p5, p6." in text
    assert json.loads(render_comparison(pair, "json", details=True))["details"]["better"]["run_only"] == ["p1", "p2", "p3", "p4", "p5", "p6"]


def test_comparing_a_run_with_itself_shows_no_difference(tmp_path):
    run = write_run(tmp_path / "a", KNOWN)
    data = json.loads(render_comparison([run, run], "json"))
    assert data["paired"][data["runs"][1]["run"]]["overall"]["paired_strict_diff_frac"] == 0.0
    assert data["paired"][data["runs"][1]["run"]]["overall"]["paired_strict_p"] == 1.0
    assert data["warnings"] == []


def variant(**changes):
    """The real record with some settings changed: changes are sub-record name -> {field: value}."""
    record = generated_record()
    for part, fields in changes.items():
        if part == "limits":
            record = replace(record, execution=replace(record.execution, limits=replace(record.execution.limits, **fields)))
        elif part == "decoding":
            record = replace(record, generation=replace(record.generation, decoding=replace(record.generation.decoding, **fields)))
        elif part == "generation":
            record = replace(record, generation=replace(record.generation, **fields))
        else:
            record = replace(record, **{part: replace(getattr(record, part), **fields)})
    return record


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"generation": {"template": TemplateRecord("apps", "Q: {question}")}}, 'prompt templates differ (name: "apps" in b vs "custom" in a; text: '),
        ({"dataset": {"fingerprint": "ffff"}}, 'dataset fingerprints differ ("ffff" in b vs "'),
        ({"limits": {"timeout_s": 10.0}}, "limits differ (timeout_s: 10.0 in b vs 2.0 in a)"),
        ({"comparators": {"default": "exact"}}, f'comparators differ (default: "exact" in b vs "{Comparators().default}" in a)'),
        ({"decoding": {"temperature": 0.2, "stop": ()}}, 'decoding settings differ (temperature: 0.2 in b vs 0.8 in a; stop: [] in b vs ["\\nQUESTION", "\\nANSWER", "\\n---"] in a)'),
        ({"decoding": {"n_samples": 5}}, "decoding settings differ (n_samples: 5 in b vs 2 in a)"),
    ],
)
def test_mismatched_settings_are_warned_about(tmp_path, changes, expected):
    runs = [write_run(tmp_path / "a", KNOWN), write_run(tmp_path / "b", KNOWN, record=variant(**changes))]
    warnings = comparability_warnings(runs)
    assert len(warnings) == 1 and warnings[0].startswith(f"b vs a: {expected}") and warnings[0].endswith("; the numbers are not comparable")
    assert "- Warning: b vs a: " in render_comparison(runs, "md")


def test_a_different_seed_or_model_is_what_a_comparison_is_for(tmp_path):
    other = variant(decoding={"seed": 1}, model={"name": "org/other"})
    assert comparability_warnings([write_run(tmp_path / "a", KNOWN), write_run(tmp_path / "b", KNOWN, record=other)]) == []


def test_problem_sets_that_differ_are_counted(tmp_path):
    fewer = [r for r in KNOWN if r.problem_id != "comp-1"] + [sample("new-1", 0, "interview", V.PASSED, 1, 1)]
    warnings = comparability_warnings([write_run(tmp_path / "a", KNOWN), write_run(tmp_path / "b", fewer)])
    assert warnings == ["b vs a: problem sets differ: 4 shared, 1 only in a, 1 only in b (2 not shared)"]


def test_png_has_bars_for_every_run(pair, tmp_path):
    import matplotlib.image

    data = render_comparison(pair, "png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "c.png").write_bytes(data)
    height, width = matplotlib.image.imread(tmp_path / "c.png").shape[:2]
    assert height > 500 and width > 600


def test_details_have_one_row_per_problem_with_each_run(pair):
    text = render_comparison(pair, "md", details=True)
    assert "| Problem | Difficulty | base: solved | better: solved | base: best verdict | better: best verdict |" in text
    assert "| p1 | interview | 0/1 | 1/1 | wrong_answer (1/2 tests) | passed (2/2 tests) |" in text
    assert "| p9 | interview | 0/1 | 0/1 | wrong_answer (1/2 tests) | wrong_answer (1/2 tests) |" in text
    problems = json.loads(render_comparison(pair, "json", details=True))["problems"]
    assert [p["problem_id"] for p in problems] == IDS
    assert problems[1]["runs"]["better"] == {"passed": 1, "samples": 1, "verdict": "passed", "tests_passed": 2, "tests_total": 2,
                                           "reference_similarity": None, "copies": 0}
    assert render_comparison(pair, "tex", details=True).count(r"\toprule") == 4
    assert "Per-problem detail" not in render_comparison(pair, "md")
