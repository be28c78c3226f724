"""A problem has one id however its data is named, laid out or loaded (issue 21, item 2).

codeparrot-style rows (integer ids, as in `codeparrot/apps`) made from the bundled sample's
problems, written as `test.jsonl`, `mini.jsonl`, parquet, the original archive's folders and
a folder holding both splits; judged by the real CLI and sandbox.
"""
import json
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from data import DataError, load_dataset
from harness.cli import main

SAMPLE = REPO_ROOT / "data" / "sample" / "apps_sample.jsonl"
SAMPLE_ROWS = [json.loads(line) for line in SAMPLE.read_text().splitlines()]


def codeparrot_rows(count: int, first: int = 0) -> list[dict]:
    """`count` sample problems with the integer ids first, first + 1, ... and no split column."""
    return [{**row, "problem_id": first + i} for i, row in enumerate(SAMPLE_ROWS[:count])]


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_archive(split_dir: Path, rows) -> None:
    """The original APPS layout: <split>/NNNN/{question.txt, input_output.json, ...}."""
    for row in rows:
        folder = split_dir / f"{row['problem_id']:04d}"
        folder.mkdir(parents=True)
        (folder / "question.txt").write_text(row["question"], encoding="utf-8")
        (folder / "solutions.json").write_text(row["solutions"], encoding="utf-8")
        (folder / "input_output.json").write_text(row["input_output"], encoding="utf-8")
        (folder / "metadata.json").write_text(json.dumps({"difficulty": row["difficulty"], "url": row["url"]}))
        if row["starter_code"]:
            (folder / "starter_code.py").write_text(row["starter_code"], encoding="utf-8")


@pytest.fixture
def layouts(tmp_path):
    """The same three test problems in every layout, and a folder that also holds train problems."""
    rows = codeparrot_rows(3)
    write_jsonl(tmp_path / "test.jsonl", rows)
    write_jsonl(tmp_path / "mini.jsonl", rows)
    import pandas as pd

    pd.DataFrame(rows).to_parquet(tmp_path / "test-00000-of-00001.parquet", index=False)
    write_archive(tmp_path / "APPS" / "test", rows)
    write_jsonl(tmp_path / "both" / "test.jsonl", rows)
    write_jsonl(tmp_path / "both" / "train.jsonl", [{**r, "problem_id": i} for i, r in enumerate(SAMPLE_ROWS[10:12])])
    return tmp_path


def evaluate(out: Path, *args: str) -> int:
    return main(["evaluate", "--workers", "2", "--timeout", "2", "--out", str(out), *args])


def result_ids(out: Path) -> list[str]:
    return sorted(json.loads(line)["problem_id"] for line in (out / "results.jsonl").read_text().splitlines())


def one_error(capsys) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_ids_and_fingerprint_do_not_depend_on_file_name_layout_or_split(layouts):
    loads = {
        "test.jsonl": load_dataset(str(layouts / "test.jsonl")),
        "mini.jsonl": load_dataset(str(layouts / "mini.jsonl")),
        "mini.jsonl --split test": load_dataset(str(layouts / "mini.jsonl"), split="test"),
        "parquet named after its split": load_dataset(str(layouts / "test-00000-of-00001.parquet")),
        "APPS/test/NNNN folders": load_dataset(str(layouts / "APPS")),
        "APPS/test": load_dataset(str(layouts / "APPS" / "test"), split="test"),
        "train and test files, --split test": load_dataset(str(layouts / "both"), split="test"),
    }
    ids = {name: [p.problem_id for p in ds.problems] for name, ds in loads.items()}
    assert set(map(tuple, ids.values())) == {("0", "1", "2")}, ids
    prints = {name: ds.fingerprint for name, ds in loads.items()}
    assert len(set(prints.values())) == 1, prints


def test_where_two_splits_share_an_id_the_split_qualifies_it(layouts):
    both = load_dataset(str(layouts / "both"))
    assert sorted(p.problem_id for p in both.problems) == ["2", "test/0", "test/1", "train/0", "train/1"]
    # the dataset's own id where it names one problem; the split-qualified and the earlier "test-0000" forms
    chosen = load_dataset(str(layouts / "both"), problem_ids=["2", "test/0", "train-0001"])
    assert sorted(p.problem_id for p in chosen.problems) == ["2", "test/0", "train/1"]
    with pytest.raises(DataError) as ambiguous:
        load_dataset(str(layouts / "both"), problem_ids=["1"])
    assert "'test/1' or 'train/1'" in str(ambiguous.value) and "\n" not in str(ambiguous.value)
    with pytest.raises(DataError) as unknown:
        load_dataset(str(layouts / "both"), problem_ids=["7"])
    assert "'7'" in str(unknown.value) and "its ids look like 'test/0'" in str(unknown.value)


def test_problems_option_takes_the_dataset_ids(layouts):
    out = layouts / "run"
    assert evaluate(out, "--solutions", "--max-solutions", "1", "--dataset", str(layouts / "test.jsonl"),
                    "--problems", "0,2") == 0
    assert result_ids(out) == ["0", "2"]


def test_an_unknown_problems_id_says_which_form_is_expected(layouts, capsys):
    assert evaluate(layouts / "run", "--solutions", "--dataset", str(layouts / "test.jsonl"), "--problems", "APPS/5") != 0
    line = one_error(capsys)
    assert "'APPS/5'" in line and "look like '0'" in line


def test_evalplus_file_keyed_by_the_dataset_ids_is_judged(layouts):
    programs = layouts / "samples.jsonl"
    rows = codeparrot_rows(3)
    write_jsonl(programs, [{"task_id": row["problem_id"], "solution": json.loads(row["solutions"])[0]} for row in rows])
    for name, extra in (("test.jsonl", ()), ("both", ("--split", "test"))):
        out = layouts / f"run-{name}"
        assert evaluate(out, "--generations", str(programs), "--dataset", str(layouts / name), *extra) == 0
        verdicts = {json.loads(line)["problem_id"]: json.loads(line)["verdict"] for line in (out / "results.jsonl").read_text().splitlines()}
        assert verdicts == {"0": "passed", "1": "passed", "2": "passed"}


def test_a_programs_file_for_other_problems_is_refused_with_the_reason(layouts, capsys):
    programs = write_jsonl(layouts / "samples.jsonl", [{"task_id": "sample-001", "solution": "print(1)"}])
    assert evaluate(layouts / "run", "--generations", str(programs), "--dataset", str(layouts / "test.jsonl"),
                    "--problems", "0") != 0
    line = one_error(capsys)
    assert "'sample-001'" in line and "look like '0'" in line


def test_compare_of_the_same_data_loaded_two_ways_shares_every_problem(layouts, capsys):
    runs = []
    for name in ("test.jsonl", "APPS"):
        out = layouts / f"refs-{name}"
        assert evaluate(out, "--solutions", "--max-solutions", "1", "--dataset", str(layouts / name)) == 0
        runs.append(str(out))
    capsys.readouterr()
    assert main(["compare", *runs, "--format", "json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert "problem sets differ" not in captured.out + captured.err
    shared = [bucket["shared_problems"] for bucket in data["paired"].values() for bucket in [bucket["overall"]]]
    assert shared == [3]


def test_the_earlier_ids_and_fingerprint_are_recognised():
    from data import open_dataset
    from data.legacy import legacy_fingerprint

    # The bundled sample's fingerprint as the releases before issue 21 recorded it in config.json.
    assert legacy_fingerprint(open_dataset()) == "5a4a54d6df336928674a21f2776737b599d1b7273f815ab1ee788205fe49b6f4"


def test_earlier_split_ids_map_to_the_dataset_ids(layouts):
    from data import open_dataset
    from data.legacy import legacy_ids

    assert legacy_ids(open_dataset(str(layouts / "test.jsonl"))) == {"test-0000": "0", "test-0001": "1", "test-0002": "2"}
    assert legacy_ids(open_dataset(str(layouts / "mini.jsonl"))) == {"0": "0", "1": "1", "2": "2"}
    assert legacy_ids(open_dataset(str(layouts / "both")))["train-0001"] == "train/1"
