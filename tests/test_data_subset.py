"""--sample N --seed S (a seeded subset stratified by difficulty) against --limit N (the first N), through the real pipeline."""
import json
from collections import Counter

import pytest

from data import load_dataset
from data.sampling import shares, stratified_sample
from harness.cli import main
from harness.reporting.report import render_report
from harness.storage import CONFIG_FILE, load_run, read_record


def _judged(out):
    return [json.loads(line)["problem_id"] for line in (out / "results.jsonl").read_text().splitlines()]


def _difficulties(ids):
    by_id = {p.problem_id: p.difficulty.value for p in load_dataset(None).problems}
    return Counter(by_id[i] for i in ids)


def test_sample_is_seeded_stratified_and_recorded(tmp_path):
    out = tmp_path / "s1"
    assert main(["evaluate", "--solutions", "--max-solutions", "1", "--sample", "6", "--seed", "1", "--workers", "2", "--out", str(out)]) == 0
    ids = _judged(out)
    assert len(ids) == 6 and _difficulties(ids) == {"introductory": 2, "interview": 2, "competition": 2}
    record = read_record(out / CONFIG_FILE)
    assert (record.dataset.sample, record.dataset.sample_seed, record.dataset.problems) == (6, 1, 6)
    assert "sample 6 stratified by difficulty, seed 1" in render_report(load_run(out), "md")
    again = tmp_path / "s1-again"
    assert main(["evaluate", "--solutions", "--max-solutions", "1", "--sample", "6", "--seed", "1", "--workers", "2", "--out", str(again)]) == 0
    assert sorted(_judged(again)) == sorted(ids)
    assert read_record(again / CONFIG_FILE).dataset.fingerprint == record.dataset.fingerprint
    seeds = {tuple(p.problem_id for p in stratified_sample(load_dataset(None).problems, 6, s)) for s in range(5)}
    assert len(seeds) > 1  # another seed, another subset


def test_limit_takes_the_first_n_in_source_order(tmp_path):
    out = tmp_path / "first"
    assert main(["evaluate", "--solutions", "--max-solutions", "1", "--limit", "6", "--workers", "2", "--out", str(out)]) == 0
    first = [p.problem_id for p in load_dataset(None).problems[:6]]
    assert sorted(_judged(out)) == sorted(first) and _difficulties(first) == {"introductory": 6}


def test_sample_and_limit_together_is_a_one_line_error(tmp_path, capsys):
    assert main(["evaluate", "--solutions", "--sample", "3", "--limit", "3", "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--sample and --limit" in err[0]


def test_shares_are_proportional_with_largest_remainders():
    assert shares({"introductory": 12, "interview": 12, "competition": 12}, 7) == {"introductory": 3, "interview": 2, "competition": 2}
    assert shares({"introductory": 10, "interview": 30}, 4) == {"introductory": 1, "interview": 3}
    assert shares({"introductory": 1, "interview": 98, "competition": 1}, 3) == {"introductory": 0, "interview": 3, "competition": 0}
    problems = load_dataset(None).problems
    assert len(stratified_sample(problems, 7, 0)) == 7 and stratified_sample(problems, 100, 0) == list(problems)
    picked = [p.problem_id for p in stratified_sample(problems, 9, 3)]
    assert picked == [p.problem_id for p in problems if p.problem_id in picked]  # source order kept
