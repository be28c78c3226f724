"""The dataset validity mask: its rules, its file, and --valid-only filtering."""
import json

import pytest

from harness.reporting.report import render_report
from harness.storage import VALIDITY_FILE, RunFolderError
from harness.reporting.validity import (
    Invalid, ValidityMask, apply_mask, exclusion_note, load_mask, read_validity, validity_from_results, write_validity,
)
from sandbox.records import Verdict as V
from conftest import REPO_ROOT
from pipeline_runs import write_run
from test_report import KNOWN, sample


def ref(pid, index, verdict, apps=None):
    return sample(pid, index, "interview", verdict, 2 if verdict is V.PASSED else 0, 2, apps=apps)


REFERENCE_RUN = [
    ref("good", 0, V.PASSED), ref("good", 1, V.WRONG_ANSWER),  # one passing reference is enough
    ref("broken", 0, V.WRONG_ANSWER), ref("broken", 1, V.RUNTIME_ERROR),
    ref("quirky", 0, V.PASSED), ref("quirky", 1, V.WRONG_ANSWER, apps=V.PASSED),
    ref("unknown", 0, V.HARNESS_ERROR),
    ref("flaky-harness", 0, V.PASSED), ref("flaky-harness", 1, V.HARNESS_ERROR, apps=V.PASSED),
]
SKIPPED = {"empty": "no tests"}


@pytest.fixture
def mask():
    return validity_from_results(REFERENCE_RUN, SKIPPED, "f" * 64)


def test_each_rule_marks_its_problem_with_a_reason(mask):
    assert mask.valid == {"good", "flaky-harness"}
    assert {pid: i.reason for pid, i in mask.invalid.items()} == {
        "broken": "all_references_fail",
        "empty": "skipped",
        "quirky": "verdicts_disagree",
        "unknown": "harness_error",
    }
    assert mask.invalid["broken"].detail == "0 of 2 reference solutions pass (runtime_error 1, wrong_answer 1)"
    assert mask.invalid["quirky"].detail == "solution 1: default wrong_answer, apps passed"
    assert mask.invalid["empty"].detail == "no tests"


def test_a_skipped_problem_stays_invalid_even_with_results():
    mask = validity_from_results([ref("empty", 0, V.PASSED)], {"empty": "no tests"}, "f" * 64)
    assert mask.valid == frozenset() and mask.invalid["empty"].reason == "skipped"


def test_json_round_trip_and_counts(mask, tmp_path):
    data = mask.to_json()
    assert data["counts"] == {"valid": 2, "invalid": 4, "all_references_fail": 1, "harness_error": 1, "skipped": 1, "verdicts_disagree": 1}
    assert ValidityMask.from_json(json.loads(json.dumps(data))) == mask
    write_validity(tmp_path / VALIDITY_FILE, mask)
    assert read_validity(tmp_path / VALIDITY_FILE) == mask
    assert load_mask(tmp_path) == mask  # a run folder holding validity.json
    assert load_mask(str(tmp_path / VALIDITY_FILE)) == mask


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"valid": []}', "not a validity mask"),
        ('{"format": "apps-eval-validity/2", "dataset_fingerprint": "ab", "valid": "x", "invalid": {}}', "must be a list"),
        ('{"format": "apps-eval-validity/2", "dataset_fingerprint": "ab", "valid": [], "invalid": {"p": {"reason": "odd"}}}', "problem p"),
        ('{"format": "apps-eval-validity/2", "dataset_fingerprint": "ab", "valid": ["p"], "invalid": {"p": {"reason": "skipped"}}}', "both valid and invalid"),
    ],
)
def test_a_bad_mask_file_is_a_one_line_error_naming_it(tmp_path, content, message):
    path = tmp_path / "mask.json"
    path.write_text(content)
    with pytest.raises(RunFolderError, match=message) as info:
        read_validity(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_mask_is_an_error(tmp_path):
    with pytest.raises(RunFolderError, match="no validity.json"):
        load_mask(tmp_path)
    with pytest.raises(RunFolderError, match="cannot read"):
        load_mask(tmp_path / "nope.json")


def test_apply_mask_keeps_valid_problems_and_explains_the_rest(mask):
    results = REFERENCE_RUN + [ref("new", 0, V.PASSED)]
    kept, missing, excluded = apply_mask(results, mask, {"broken-2": "interview", "good-2": "interview"})
    assert missing == {}  # neither is a valid problem of the mask
    assert {r.problem_id for r in kept} == {"good", "flaky-harness"}
    assert {pid: i.reason for pid, i in excluded.items()} == {
        "broken": "all_references_fail", "new": "not_in_mask", "quirky": "verdicts_disagree", "unknown": "harness_error",
        "broken-2": "not_in_mask", "good-2": "not_in_mask"}
    assert exclusion_note(excluded) == (
        "6 problems excluded by the validity mask (harness_error 1, all_references_fail 1, verdicts_disagree 1, not_in_mask 3)")
    assert apply_mask(results, None) == (results, {}, {})


def test_report_valid_only_from_a_run_folder(tmp_path):
    run = write_run(tmp_path / "run", KNOWN)
    masked = ValidityMask(frozenset({"inter-1", "inter-2"}), {"intro-1": Invalid("verdicts_disagree", "")}, run.record.dataset.fingerprint)
    (tmp_path / "refs").mkdir()
    write_validity(tmp_path / "refs" / VALIDITY_FILE, masked)
    data = json.loads(render_report(run, "json", valid_mask=load_mask(tmp_path / "refs")))
    assert data["buckets"]["overall"]["problems"] == 2 and data["buckets"]["overall"]["strict_accuracy"] == 0.5
    assert data["valid_only"]["reasons"] == {"verdicts_disagree": 1, "not_in_mask": 2}


def test_a_problem_with_tests_but_no_reference_solution_is_listed_in_the_mask(tmp_path):
    """evaluate --solutions on a real dataset file where one problem has tests and no solutions."""
    from harness.cli import main
    from harness.storage import read_results

    rows = [json.loads(line) for line in (REPO_ROOT / "data" / "sample" / "apps_sample.jsonl").read_text().splitlines()[:2]]
    rows[1]["solutions"] = "[]"
    dataset = tmp_path / "two.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "refs"
    assert main(["evaluate", "--solutions", "--dataset", str(dataset), "--workers", "1", "--out", str(out)]) == 0
    assert {r.problem_id for r in read_results(out / "results.jsonl")} == {rows[0]["problem_id"]}
    mask = json.loads((out / VALIDITY_FILE).read_text())
    assert mask["valid"] == [rows[0]["problem_id"]]
    assert mask["invalid"] == {rows[1]["problem_id"]: {"reason": "no_references", "detail": "the problem has tests but no reference solution"}}
    assert mask["counts"]["no_references"] == 1
