"""Per-sample memorization in records written by the real pipeline, and in report, --valid-only and compare."""
from __future__ import annotations

import json

from harness.reporting.comparison import render_comparison
from harness.reporting.report import render_report
from harness.reporting.validity import load_mask
from harness.storage import RESULTS_FILE, SUMMARY_FILE, load_run
from pipeline_runs import memorization_runs, solutions_run


def _rows(run) -> dict[str, dict]:
    return {row["problem_id"]: row for row in map(json.loads, (run / RESULTS_FILE).read_text().splitlines())}


def test_each_result_row_names_its_nearest_reference_and_only_the_long_copy_is_a_copy():
    train, data, _ = memorization_runs()
    rows = _rows(data)
    copy = rows["sample-004"]["reference_similarity"]
    assert copy["score"] >= 0.9 and copy["reference_index"] == 0 and copy["tokens"] >= 40
    short = rows["sample-002"]["reference_similarity"]  # `print(t + 1)`: wrong, short
    assert short["tokens"] < 40 and rows["sample-002"]["verdict"] == "wrong_answer"
    assert all(set(r["reference_similarity"]) == {"score", "reference_index", "tokens"} for r in rows.values())
    summary = json.loads((data / SUMMARY_FILE).read_text())["overall"]["reference_similarity"]
    # 4 judged samples, one copy (004); strict 3/4, excluding the copy 2/4
    assert (summary["samples"], summary["copy_rate"], summary["strict_accuracy_excluding_copies"]) == (4, 0.25, 0.5)
    assert summary["threshold"] == 0.9 and summary["min_tokens"] == 40
    assert json.loads((train / SUMMARY_FILE).read_text())["overall"]["reference_similarity"]["copy_rate"] == 0.0


def test_reference_solutions_judged_as_programs_have_no_similarity():
    rows = _rows(solutions_run())
    assert rows and all(r["reference_similarity"] is None for r in rows.values())


def test_report_details_show_each_problems_similarity_and_copies():
    _, data, _ = memorization_runs()
    run = load_run(data)
    text = render_report(run, "md", details=True)
    assert "Ref. similarity (reference)" in text and "Strict excl. copies %" in text
    line = next(l for l in text.splitlines() if l.startswith("| sample-004"))
    assert "(#0)" in line and line.rstrip(" |").endswith("1")  # one copy
    details = json.loads(render_report(run, "json", details=True))["problems"]
    assert details[3]["reference_similarity"]["reference_index"] == 0 and details[3]["copies"] == 1
    csv_rows = render_report(run, "csv", details=True).splitlines()
    assert csv_rows[0].endswith("reference_similarity,reference_index,copies") and csv_rows[4].endswith(",0,1")


def test_valid_only_recomputes_the_memorization_figures():
    _, data, refs = memorization_runs()
    report = json.loads(render_report(load_run(data), "json", valid_mask=load_mask(str(refs))))
    overall = report["buckets"]["overall"]["reference_similarity"]
    assert overall is not None and overall["copy_rate"] == 0.25 and overall["strict_accuracy_excluding_copies"] == 0.5
    assert "Ref. copies %" in render_report(load_run(data), "md", valid_mask=load_mask(str(refs)))


def test_compare_shows_copy_rate_in_the_runs_table_and_names_copied_solutions():
    train, data, _ = memorization_runs()
    runs = [load_run(train), load_run(data)]
    table = render_comparison(runs, "md", table="runs")
    header = table.splitlines()[0]
    assert "Ref. copies %" in header and "Strict excl. copies %" in header
    row = next(l for l in table.splitlines() if l.startswith("| all-data"))
    assert "| 25.00 | 50.00 |" in row
    csv = render_comparison(runs, "csv", table="runs").splitlines()
    assert "reference_copy_rate_frac" in csv[0] and "strict_accuracy_excluding_copies_frac" in csv[0]
    details = render_comparison(runs, "md", details=True)
    assert "sample-004 (ref. similarity 1.00, copy)" in details
    row = next(l for l in details.splitlines() if l.startswith("| sample-004"))
    assert row.rstrip(" |").endswith("| 1.000 (1)")  # all-data's best sample: the copy
    per_problem = json.loads(render_comparison(runs, "json", details=True))["problems"]
    assert per_problem[3]["runs"]["all-data"]["copies"] == 1 and per_problem[3]["runs"]["train-only"]["copies"] == 0
