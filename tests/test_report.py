"""render_report in every format, on a run whose numbers are worked out by hand below.

The run (n = 2 judged samples per problem; one extra harness-error sample on comp-1):
  intro-1  passed 4/4, wrong_answer 2/4 (APPS: passed 4/4)   strict 1/2  test pass (1 + .5)/2 = .75
  intro-2  wrong_answer 1/4, runtime_error 0/4                strict 0    test pass .125
  inter-1  passed 2/2, passed 2/2                             strict 1    test pass 1
  inter-2  timeout 0/2, compile_error 0/2                     strict 0    test pass 0
  comp-1   memory_limit 1/2, output_limit 0/2, harness_error  strict 0    test pass .25
Overall: strict .3, test pass .425, pass@2 .4, APPS strict .4, APPS test pass .475.
CIs (percentile bootstrap): each bucket's extreme resamples have probability >= 1/16, so the
2.5/97.5 percentiles are the smallest/largest possible resample means, e.g. overall strict
[0, (2 * .5 + 2 * 1) / 5] = [0, .6] (stratified: 2 intro, 2 interview, 1 competition).
"""
import csv
import io
import json
from pathlib import Path

import pytest

from harness.reporting.metrics import summarize
from harness.records import FailureDetail, SampleResult
from harness.reporting.report import build_report, render_report
from harness.storage import CONFIG_FILE, RESULTS_FILE, SUMMARY_FILE, load_run, write_json_atomic
from harness.reporting.validity import Invalid, ValidityMask
from sandbox.records import Verdict

V = Verdict

CONFIG = {
    "command": "run",
    "dataset": {"spec": "sample", "split": "test", "difficulties": [], "limit": None, "problem_ids": [],
                "fingerprint": "0123456789abcdef0123", "problems": 5, "skipped": []},
    "generation": {"model": "org/my_model", "revision": None, "dtype": "auto", "template": "apps", "template_text": "Q: {question}",
                   "n_samples": 2, "temperature": 0.8, "top_p": 0.95, "num_beams": 1, "seed": 0, "max_new_tokens": 512,
                   "stop": ["\nQUESTION"]},
    "source": "generated",
    "execution": {"limits": {"timeout_s": 4.0, "memory_mb": 2048, "max_output_bytes": 4194304, "cpu_s": 5}, "workers": 4, "isolation": "namespace"},
    "comparator": {"default": "tokens", "apps": "apps chain"},
    "versions": {"python": "3.12"},
}


def sample(pid, index, difficulty, verdict, passed, total, *, apps=None, apps_passed=None, failure=None):
    apps = apps or verdict
    apps_passed = passed if apps_passed is None else apps_passed
    fill = lambda v, k: tuple([V.PASSED] * k + [V.WRONG_ANSWER if v is V.PASSED else v] * (total - k))
    return SampleResult(pid, index, difficulty, verdict, apps, passed, total, apps_passed, fill(verdict, passed),
                        fill(apps, apps_passed), 0.1, first_failure=failure)


def write_run(folder: Path, results, config=None, summary=None):
    folder.mkdir(parents=True)
    write_json_atomic(folder / CONFIG_FILE, config or CONFIG)
    (folder / RESULTS_FILE).write_text("".join(json.dumps(r.to_json()) + "\n" for r in results))
    write_json_atomic(folder / SUMMARY_FILE, summary or summarize(results).to_json())
    return load_run(folder)


FAIL = FailureDetail(1, V.WRONG_ANSWER, "1 2\n", "3\n", "4\n", "")
KNOWN = [
    sample("intro-1", 0, "introductory", V.PASSED, 4, 4),
    sample("intro-1", 1, "introductory", V.WRONG_ANSWER, 2, 4, apps=V.PASSED, apps_passed=4),
    sample("intro-2", 0, "introductory", V.WRONG_ANSWER, 1, 4, failure=FAIL),
    sample("intro-2", 1, "introductory", V.RUNTIME_ERROR, 0, 4),
    sample("inter-1", 0, "interview", V.PASSED, 2, 2),
    sample("inter-1", 1, "interview", V.PASSED, 2, 2),
    sample("inter-2", 0, "interview", V.TIMEOUT, 0, 2),
    sample("inter-2", 1, "interview", V.COMPILE_ERROR, 0, 2),
    sample("comp-1", 0, "competition", V.MEMORY_LIMIT, 1, 2, failure=FailureDetail(1, V.MEMORY_LIMIT, "x" * 500, "y", "", "MemoryError")),
    sample("comp-1", 1, "competition", V.OUTPUT_LIMIT, 0, 2),
    sample("comp-1", 2, "competition", V.HARNESS_ERROR, 0, 2),
]

MD_ROWS = {
    "introductory": "| introductory | 2 | 4 | 25.00 [0.00, 50.00] | 43.75 [12.50, 75.00] | 25.00 [0.00, 50.00] | 50.00 | 50.00 | 56.25 | 2 | 1 | 0 | 0 | 0 | 0 | 0 |",
    "interview": "| interview | 2 | 4 | 50.00 [0.00, 100.00] | 50.00 [0.00, 100.00] | 50.00 [0.00, 100.00] | 50.00 | 50.00 | 50.00 | 0 | 0 | 1 | 0 | 0 | 1 | 0 |",
    "competition": "| competition | 1 | 2 | 0.00 [0.00, 0.00] | 25.00 [25.00, 25.00] | 0.00 [0.00, 0.00] | 0.00 | 0.00 | 25.00 | 0 | 0 | 0 | 1 | 1 | 0 | 1 |",
    "overall": "| overall | 5 | 10 | 30.00 [0.00, 60.00] | 42.50 [10.00, 75.00] | 30.00 [0.00, 60.00] | 40.00 | 40.00 | 47.50 | 2 | 1 | 1 | 1 | 1 | 1 | 1 |",
}


@pytest.fixture
def run(tmp_path):
    return write_run(tmp_path / "run_a", KNOWN)


def test_md_table_has_the_hand_computed_cells(run):
    text = render_report(run, "md")
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| Difficulty"))
    assert header == ("| Difficulty | Problems | Samples | Strict acc. % [95% CI] | Test pass % [95% CI] | pass@1 % [95% CI] | "
                      "pass@2 % | APPS strict % | APPS test pass % | WA | RE | TLE | MLE | OLE | CE | HE |")
    for row in MD_ROWS.values():
        assert row in lines
    assert lines[lines.index(header) + 1] == "|:---|" + "---:|" * 15


def test_md_lists_the_settings_under_the_table(run):
    text = render_report(run, "md")
    assert "- Model: org/my_model; source: generated; template: apps." in text
    assert "- Decoding: temperature 0.8, top_p 0.95, n_samples 2, num_beams 1, max_new_tokens 512, seed 0, stop [\"\\nQUESTION\"]." in text
    assert "fingerprint 0123456789ab, 5 problems, 0 skipped" in text
    assert "Limits: timeout_s 4.0, memory_mb 2048, max_output_bytes 4194304, cpu_s 5; isolation: namespace." in text
    assert "Comparator: default: tokens; apps: apps chain." in text
    assert "harness-error samples: 1" in text
    assert "percentile bootstrap over problems, B=2000, seed 0" in text
    assert "Warning" not in text  # summary.json agrees with results.jsonl


def test_tex_is_booktabs_with_escaped_text(run):
    text = render_report(run, "tex")
    lines = text.splitlines()
    assert lines.count(r"\toprule") == 1 and lines.count(r"\bottomrule") == 1 and lines.count(r"\midrule") == 2
    assert r"Difficulty & Problems & Samples & Strict acc. \% [95\% CI] & Test pass \% [95\% CI]" in text
    assert r"overall & 5 & 10 & 30.00 [0.00, 60.00] & 42.50 [10.00, 75.00] & 30.00 [0.00, 60.00] & 40.00 & 40.00 & 47.50 & 2 & 1 & 1 & 1 & 1 & 1 & 1 \\" in lines
    assert r"Model: org/my\_model" in text and "my_model" not in text
    assert lines.index(r"\midrule", lines.index(r"\toprule") + 3) == lines.index(r"\bottomrule") - 2  # rule above overall


def test_csv_rows_parse_back_to_fractions(run):
    rows = {r["difficulty"]: r for r in csv.DictReader(io.StringIO(render_report(run, "csv")))}
    assert list(rows) == ["introductory", "interview", "competition", "overall"]
    overall = rows["overall"]
    expected = {"problems": 5, "samples": 10, "strict_accuracy_frac": 0.3, "strict_accuracy_ci_low_frac": 0.0,
                "strict_accuracy_ci_high_frac": 0.6, "test_pass_rate_frac": 0.425, "pass@1_frac": 0.3, "pass@2_frac": 0.4,
                "apps_strict_accuracy_frac": 0.4, "apps_test_pass_rate_frac": 0.475, "wrong_answer": 2, "harness_error": 1, "passed": 3}
    for key, value in expected.items():
        assert float(overall[key]) == pytest.approx(value), key
    assert float(rows["introductory"]["test_pass_rate_frac"]) == 0.4375


def test_json_holds_numbers_cis_and_settings(run):
    data = json.loads(render_report(run, "json"))
    overall = data["buckets"]["overall"]
    assert overall["strict_accuracy"] == pytest.approx(0.3) and overall["pass_at_k"] == pytest.approx({"1": 0.3, "2": 0.4})
    assert overall["ci"]["strict_accuracy"] == pytest.approx([0.0, 0.6])
    assert overall["ci"]["test_pass_rate"] == pytest.approx([0.1, 0.75])
    assert data["buckets"]["interview"]["ci"]["pass@1"] == pytest.approx([0.0, 1.0])
    assert data["settings"]["model"] == "org/my_model" and data["settings"]["dataset"]["fingerprint"] == "0123456789abcdef0123"
    assert data["bootstrap"] == {"method": "percentile", "level": 0.95, "n_boot": 2000, "seed": 0, "overall": "stratified by difficulty"}
    assert data["unit"] == "fraction" and data["valid_only"] is None and data["warnings"] == []


def test_metrics_from_results_agree_with_summary_json(run):
    report = build_report(run)
    for name, bucket in report.buckets.items():
        stored = run.summary[name]
        assert bucket.strict_accuracy == pytest.approx(stored["strict_accuracy"])
        assert bucket.pass_at_k == pytest.approx(stored["pass_at_k"])
    assert report.warnings == []


def test_a_stale_summary_json_is_reported(tmp_path):
    summary = summarize(KNOWN).to_json()
    summary["overall"]["strict_accuracy"] = 0.9
    run = write_run(tmp_path / "stale", KNOWN, summary=summary)
    assert "Warning: summary.json disagrees with results.jsonl in overall: strict_accuracy" in render_report(run, "md")


def test_valid_only_scores_valid_problems_and_says_why(run):
    mask = ValidityMask(frozenset({"intro-1", "intro-2", "inter-1"}), {"inter-2": Invalid("all_references_fail", "0 of 1 pass")})
    text = render_report(run, "md", valid_mask=mask)
    assert any(line.startswith("| overall | 3 | 6 | 50.00 [") for line in text.splitlines())
    assert "- Valid-only: 2 problems excluded by the validity mask (all_references_fail 1, not_in_mask 1)." in text
    data = json.loads(render_report(run, "json", valid_mask=mask))
    assert data["valid_only"]["excluded"] == 2 and data["valid_only"]["reasons"] == {"all_references_fail": 1, "not_in_mask": 1}
    assert data["buckets"]["overall"]["strict_accuracy"] == pytest.approx(0.5)


def test_details_show_each_problems_best_sample_and_first_failure(run):
    text = render_report(run, "md", details=True)
    assert "| intro-2 | introductory | 0/2 | wrong_answer | 1/4 | #1 wrong_answer | `1 2\\n` | `3\\n` | `4\\n` |  |" in text
    assert "| inter-1 | interview | 2/2 | passed | 2/2 | – | – | – | – | – |" in text
    comp = next(line for line in text.splitlines() if line.startswith("| comp-1"))
    assert "x" * 199 + "…" in comp and "x" * 200 not in comp and "MemoryError" in comp
    data = json.loads(render_report(run, "json", details=True))
    assert [p["problem_id"] for p in data["problems"]] == ["comp-1", "inter-1", "inter-2", "intro-1", "intro-2"]
    assert data["problems"][4]["failure"]["expected"] == "3\\n"
    rows = list(csv.DictReader(io.StringIO(render_report(run, "csv", details=True))))
    assert rows[4]["failure_got"] == "4\\n" and rows[1]["failure_index"] == ""


def test_png_is_a_decodable_image(run, tmp_path):
    import matplotlib.image

    data = render_report(run, "png")
    assert isinstance(data, bytes) and data[:8] == b"\x89PNG\r\n\x1a\n"
    path = tmp_path / "report.png"
    path.write_bytes(data)
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 600


def test_unknown_format_is_refused(run):
    with pytest.raises(ValueError, match="unknown report format 'html'"):
        render_report(run, "html")


def test_a_run_of_reference_solutions_says_so_instead_of_a_model(tmp_path):
    config = {**CONFIG, "generation": None, "source": "solutions"}
    run = write_run(tmp_path / "refs", KNOWN, config=config)
    text = render_report(run, "md")
    assert "- Programs: the dataset's reference solutions (source: solutions); no generation settings." in text
    assert "Decoding" not in text
    assert json.loads(render_report(run, "json"))["settings"]["model"] is None
