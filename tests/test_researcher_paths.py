"""The everyday paths: partial generations files, re-judging, validity masks, many-run tables.

Everything goes through the CLI with real files, the real sandbox and, where programs are
generated, the tiny model; reports and comparisons read what the pipeline wrote.
"""
import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from data import load_dataset
from harness.cli import main
from harness.records import RunSummary
from harness.storage import CONFIG_FILE, SUMMARY_FILE, read_json, read_record
from pipeline_runs import generated_run

PROBLEMS = "sample-001,sample-002,sample-003"


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, str(REPO_ROOT / "run_eval.py"), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def summary_of(folder) -> RunSummary:
    return RunSummary.from_json(read_json(folder / SUMMARY_FILE))


@pytest.fixture(scope="module")
def one_solution_file(tmp_path_factory):
    """A generations file with one correct program, for the first of three selected problems."""
    problem = load_dataset(None, problem_ids=("sample-001",)).problems[0]
    path = tmp_path_factory.mktemp("gen") / "one.jsonl"
    path.write_text(json.dumps({"problem_id": "sample-001", "code": problem.solutions[0]}) + "\n")
    return path


# ---- 2.1 partial generations files --------------------------------------------------------------


def test_problems_without_a_program_count_as_unsolved_and_are_listed(tmp_path, one_solution_file):
    out = tmp_path / "partial"
    proc = cli("evaluate", "--generations", str(one_solution_file), "--problems", PROBLEMS, "--workers", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = summary_of(out)
    overall = summary.buckets["overall"]
    assert overall.problems == 3 and overall.samples == 1
    assert overall.strict_accuracy == pytest.approx(1 / 3) and overall.pass_at_k["1"] == pytest.approx(1 / 3)
    assert overall.test_pass_rate == pytest.approx(1 / 3)
    assert sorted(summary.missing_problems) == ["sample-002", "sample-003"] and not summary.only_given_problems
    assert "2 selected problems have no program" in proc.stderr
    report = cli("report", str(out), "--format", "json")
    data = json.loads(report.stdout)
    assert data["buckets"]["overall"]["strict_accuracy"] == pytest.approx(1 / 3) and data["warnings"] == []
    assert data["settings"]["missing_problems"] == ["sample-002", "sample-003"]
    assert "problems without a program (counted unsolved): 2 (sample-002, sample-003)" in cli("report", str(out)).stdout


def test_only_given_problems_keeps_the_old_behaviour_and_records_it(tmp_path, one_solution_file):
    out = tmp_path / "given"
    assert main(["evaluate", "--generations", str(one_solution_file), "--problems", PROBLEMS, "--workers", "1",
                 "--only-given-problems", "--out", str(out)]) == 0
    summary = summary_of(out)
    assert summary.buckets["overall"].problems == 1 and summary.buckets["overall"].strict_accuracy == 1.0
    assert summary.missing_problems == {} and summary.only_given_problems
    assert read_record(out / CONFIG_FILE).programs.only_given_problems
    # the choice is part of the run: resuming without it is refused
    proc = cli("evaluate", "--generations", str(one_solution_file), "--problems", PROBLEMS, "--workers", "1", "--out", str(out))
    assert proc.returncode == 1 and "programs.only_given_problems: true in the folder, false now" in proc.stderr


# ---- 2.3 re-judging ------------------------------------------------------------------------------


@pytest.fixture
def model_run(tmp_path):
    """A copy of the shared generated run (its results get rewritten here)."""
    folder = tmp_path / "model-run"
    shutil.copytree(generated_run(), folder)
    return folder


def test_evaluate_run_into_a_new_folder_keeps_dataset_and_model_record(tmp_path, model_run):
    new = tmp_path / "tight"
    proc = cli("evaluate", "--run", str(model_run), "--out", str(new), "--timeout", "1", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    old, rec = read_record(model_run / CONFIG_FILE), read_record(new / CONFIG_FILE)
    assert rec.dataset == old.dataset and rec.generation == old.generation and rec.model == old.model
    assert rec.programs.from_run == str(model_run) and rec.execution.limits.timeout_s == 1.0
    assert summary_of(new).buckets["overall"].samples == summary_of(model_run).buckets["overall"].samples
    compared = json.loads(cli("compare", str(model_run), str(new), "--format", "json").stdout)
    assert len(compared["warnings"]) == 1 and "tight vs model-run: limits differ (timeout_s: 1.0 in tight vs 2.0 in model-run;" in compared["warnings"][0]


def test_evaluate_run_refuses_another_dataset(tmp_path, model_run):
    proc = cli("evaluate", "--run", str(model_run), "--out", str(tmp_path / "x"), "--limit", "2")
    assert proc.returncode == 1 and "its programs were generated for another problem set" in proc.stderr


def test_rejudge_in_place_keeps_the_previous_results(model_run):
    before = (model_run / "results.jsonl").read_text()
    refused = cli("evaluate", "--run", str(model_run), "--timeout", "1")
    assert refused.returncode == 1 and "use --rejudge" in refused.stderr
    assert "execution.limits.timeout_s: 2.0 in the folder, 1.0 now" in refused.stderr
    proc = cli("evaluate", "--run", str(model_run), "--rejudge", "--timeout", "1", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert (model_run / "results.previous-1.jsonl").read_text() == before
    assert len((model_run / "results.jsonl").read_text().splitlines()) == len(before.splitlines())
    record = read_record(model_run / CONFIG_FILE)
    assert record.execution.limits.timeout_s == 1.0 and record.command.value == "run"
    assert cli("report", str(model_run)).returncode == 0


# ---- 2.7 validity masks carry the dataset fingerprint -------------------------------------------------


def test_valid_only_with_a_mask_of_other_problems_is_an_error(tmp_path, one_solution_file):
    refs, run = tmp_path / "refs", tmp_path / "run"
    assert main(["evaluate", "--solutions", "--problems", "sample-001,sample-002", "--workers", "1", "--out", str(refs)]) == 0
    mask = json.loads((refs / "validity.json").read_text())
    assert mask["dataset_fingerprint"] == read_record(refs / CONFIG_FILE).dataset.fingerprint
    assert main(["evaluate", "--generations", str(one_solution_file), "--problems", PROBLEMS, "--workers", "1", "--out", str(run)]) == 0
    proc = cli("report", str(run), "--valid-only", str(refs))
    assert proc.returncode == 1
    assert "the validity mask was made on other problems" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    same = tmp_path / "same"
    assert main(["evaluate", "--generations", str(one_solution_file), "--problems", "sample-001,sample-002", "--workers", "1",
                 "--out", str(same)]) == 0
    assert cli("report", str(same), "--valid-only", str(refs)).returncode == 0


# ---- 2.9 many runs at once --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory, one_solution_file):
    root = tmp_path_factory.mktemp("three")
    refs, partial, given = root / "refs", root / "partial", root / "given"
    assert main(["evaluate", "--solutions", "--problems", PROBLEMS, "--max-solutions", "1", "--workers", "2", "--out", str(refs)]) == 0
    base = ["evaluate", "--generations", str(one_solution_file), "--problems", PROBLEMS, "--workers", "1"]
    assert main(base + ["--out", str(partial)]) == 0
    assert main(base + ["--only-given-problems", "--out", str(given)]) == 0
    return refs, partial, given


@pytest.mark.parametrize("fmt", ["md", "tex", "csv", "json"])
def test_compare_many_runs_with_labels_one_row_per_run(three_runs, fmt):
    refs, partial, given = three_runs
    proc = cli("compare", str(refs), "--label", "References=" + str(refs), "--label", "Partial *file*=" + str(partial),
               "--label", "Given only=" + str(given), "--table", "runs", "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["run"] for r in rows] == ["References", "Partial *file*", "Given only"]
        assert [float(r["strict_accuracy_frac"]) for r in rows] == pytest.approx([1.0, 1 / 3, 1.0])
        assert rows[1]["missing_problems"] == "2" and rows[0]["source"] == "solutions"
    elif fmt == "json":
        data = json.loads(text)
        assert [r["run"] for r in data["runs"]] == ["References", "Partial *file*", "Given only"]
        assert data["runs"][1]["delta_strict_accuracy_frac"] == pytest.approx(-2 / 3)
    elif fmt == "md":
        rows = [line for line in text.splitlines() if line.startswith("| ")]
        assert len(rows) == 4  # header + one row per run
        assert rows[2].startswith("| Partial \\*file\\* | programs from a file | 3 | 1 | 33.33 [")
    else:
        assert text.count(r"\\" + "\n") >= 4 and "Partial *file*" in text and text.isascii()


def test_full_compare_of_three_runs_has_the_main_table_first(three_runs):
    proc = cli("compare", *map(str, three_runs))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    first_table = lines.index(next(line for line in lines if line.startswith("| Run |")))
    assert lines[first_table + 2].startswith("| refs | reference solutions |")
    assert "### By difficulty" in proc.stdout and "### Paired tests" in proc.stdout


@pytest.mark.parametrize("labels, message", [
    (["nolabel"], "expected NAME=DIR"),
    (["a=DIR0", "b=DIR0"], "already has the label 'a'"),
])
def test_bad_labels_are_one_line_errors(three_runs, labels, message):
    args = [arg.replace("DIR0", str(three_runs[0])) for arg in labels]
    proc = cli("compare", *map(str, three_runs), *[x for a in args for x in ("--label", a)])
    assert proc.returncode == 1 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_results_record_each_programs_cpu_time_children_included(tmp_path):
    problem = load_dataset(None, problem_ids=("sample-001",)).problems[0]
    burner = ("import os, time\npid = os.fork()\nif pid == 0:\n    start = time.process_time()\n"
              "    while time.process_time() - start < 0.2:\n        pass\n    os._exit(0)\nos.waitpid(pid, 0)\n"
              + problem.solutions[0])
    path = tmp_path / "programs.jsonl"
    path.write_text("".join(json.dumps({"problem_id": "sample-001", "sample_index": i, "code": code}) + "\n"
                            for i, code in enumerate((problem.solutions[0], burner))))
    out = tmp_path / "cpu"
    assert main(["evaluate", "--generations", str(path), "--problems", "sample-001", "--workers", "1",
                 "--out", str(out)]) == 0
    rows = {row["sample_index"]: row for row in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    tests = len(problem.tests)
    assert rows[0]["verdict"] == rows[1]["verdict"] == "passed"
    assert rows[1]["cpu_s"] >= 0.18 * tests > rows[0]["cpu_s"], (rows[0]["cpu_s"], rows[1]["cpu_s"], tests)
