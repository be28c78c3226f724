"""The bundled sample, its wrong programs, and the real APPS rows in ../shared/apps-real."""
from __future__ import annotations

import ast
import collections
import json
import sys
from pathlib import Path

import pytest

from data import DEFAULT_SAMPLE, Difficulty, load_dataset
from sandbox import records

SAMPLE_DIR = DEFAULT_SAMPLE.parent
VERDICTS = {"wrong_answer", "runtime_error", "timeout", "compile_error"}


def raw_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def flat_ints(value):
    if isinstance(value, list):
        for item in value:
            yield from flat_ints(item)
    elif isinstance(value, int) and not isinstance(value, bool):
        yield value


def style(problem) -> str:
    if problem.fn_name is None:
        return "stdio"
    return "leetcode" if "class Solution" in problem.starter_code else "codewars"


@pytest.fixture(scope="module")
def sample():
    return load_dataset()


def test_sample_has_at_least_12_problems_per_difficulty_with_5_tests_each(sample):
    counts = collections.Counter(p.difficulty for p in sample.problems)
    assert all(counts[d] >= 12 for d in Difficulty), counts
    assert sample.skipped == ()
    assert all(len(p.tests) >= 5 for p in sample.problems)
    assert all(p.solutions and p.question.strip() for p in sample.problems)


def test_sample_ids_follow_the_sample_pattern(sample):
    ids = [p.problem_id for p in sample.problems]
    assert ids == [f"sample-{i:03d}" for i in range(1, len(ids) + 1)]


def test_sample_covers_stdio_codewars_and_leetcode_at_every_difficulty(sample):
    kinds = {(p.difficulty, style(p)) for p in sample.problems}
    assert kinds == {(d, s) for d in Difficulty for s in ("stdio", "codewars", "leetcode")}


def test_sample_leetcode_problems_have_method_starter_code(sample):
    for problem in sample.problems:
        if style(problem) == "leetcode":
            assert problem.starter_code.startswith("class Solution:\n    def " + problem.fn_name + "(self")


def test_sample_has_quoted_leetcode_string_arguments(sample):
    quoted = [
        p.problem_id for p in sample.problems
        if style(p) == "leetcode" and any(
            isinstance(a, str) and len(a) >= 2 and a[0] == a[-1] == '"' for t in p.tests for a in json.loads(t.input)
        )
    ]
    assert len(quoted) >= 1


def test_sample_codewars_outputs_are_wrapped_in_one_element_lists(sample):
    wrapped = [
        p for p in sample.problems
        if style(p) == "codewars" and all(
            isinstance(v, list) and len(v) == 1 for v in (json.loads(t.expected) for t in p.tests)
        )
    ]
    assert len(wrapped) >= 3


def test_sample_raw_rows_carry_the_apps_quirks():
    rows = raw_rows(DEFAULT_SAMPLE)
    assert all(set(r) == {"problem_id", "question", "solutions", "input_output", "difficulty", "url", "starter_code"}
               for r in rows)
    assert all(isinstance(r["solutions"], str) and isinstance(r["input_output"], str) for r in rows)
    ios = [json.loads(r["input_output"]) for r in rows]
    stdio = [io for io in ios if "fn_name" not in io]
    assert any(isinstance(i, list) for io in stdio for i in io["inputs"]), "stdin given as a list of lines"
    assert any(isinstance(o, list) for io in stdio for o in io["outputs"]), "stdout given as a list of lines"
    texts = [o for io in stdio for o in io["outputs"] if isinstance(o, str)]
    assert any(o and not o.endswith("\n") for o in texts), "an output without final newline"
    assert any(line.endswith(" ") for o in texts for line in o.split("\n")), "an output line ending in a space"
    assert any("." in o and o.strip().replace(".", "").isdigit() for o in texts), "a float output"
    assert any(len(o.strip().split("\n")) > 5 for o in texts), "a multi-line output"
    call_values = [o for io in ios if "fn_name" in io for o in io["outputs"]]
    assert any(v >= 10**40 for v in flat_ints(call_values)), "big integers"


def test_sample_reference_solutions_compile(sample):
    for problem in sample.problems:
        for code in problem.solutions:
            compile(code, problem.problem_id, "exec")


def test_sample_matches_its_generator_definitions():
    """The jsonl holds exactly the generator's problems and test inputs (outputs are computed
    by running the references, which build_sample.py --check does; too slow for this suite)."""
    sys.path.insert(0, str(SAMPLE_DIR))
    try:
        import build_sample
    finally:
        sys.path[:] = [p for p in sys.path if p != str(SAMPLE_DIR)]
    specs = build_sample.all_specs()
    rows = raw_rows(DEFAULT_SAMPLE)
    assert [s.problem_id for s in specs] == [r["problem_id"] for r in rows]
    for spec, row in zip(specs, rows):
        io = json.loads(row["input_output"])
        assert io["inputs"] == [build_sample.stored_input(spec, t) for t in spec.tests], spec.problem_id
        assert json.loads(row["solutions"]) == spec.solutions
        assert row["difficulty"] == spec.difficulty and row["starter_code"] == spec.starter_code
        assert io.get("fn_name") == spec.fn_name


def defines(code: str, fn_name: str) -> bool:
    tree = ast.parse(code)
    names = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    return fn_name in names


def test_wrong_programs_are_well_formed_and_spread(sample):
    by_id = sample.by_id()
    wrong = raw_rows(SAMPLE_DIR / "wrong_programs.jsonl")
    assert len(wrong) >= 12
    for entry in wrong:
        assert {"problem_id", "code", "expect", "apps_expect"} <= set(entry)
        assert entry["problem_id"] in by_id
        assert entry["expect"] in VERDICTS
        assert entry["apps_expect"] in VERDICTS | {"passed"}
    problems = [by_id[e["problem_id"]] for e in wrong]
    assert {p.difficulty for p in problems} == set(Difficulty)
    assert {p.kind for p in problems} == {records.TestKind.STDIO, records.TestKind.CALL}
    assert {e["expect"] for e in wrong} == VERDICTS
    assert any(e["apps_expect"] == "passed" for e in wrong)


def test_wrong_compile_errors_really_do_not_compile_or_lack_the_function(sample):
    by_id = sample.by_id()
    for entry in raw_rows(SAMPLE_DIR / "wrong_programs.jsonl"):
        problem = by_id[entry["problem_id"]]
        try:
            tree_ok = bool(ast.parse(entry["code"]))
            compiles_with_function = defines(entry["code"], problem.fn_name) if problem.fn_name else tree_ok
        except SyntaxError:
            compiles_with_function = False
        assert compiles_with_function == (entry["expect"] != "compile_error"), entry["problem_id"]


def test_real_apps_rows_all_load(apps_real_dir):
    ds = load_dataset(str(apps_real_dir / "problems.jsonl"))
    assert len(ds.problems) == 100 and ds.skipped == ()
    kinds = collections.Counter(p.kind for p in ds.problems)
    assert kinds == {records.TestKind.STDIO: 91, records.TestKind.CALL: 9}
    assert all(p.problem_id.startswith("train-") for p in ds.problems)
    pattern = ds.by_id()["train-2401"]
    assert json.loads(pattern.tests[0].input) == ['"abba"', '"dog cat cat dog"']
    assert [t.expected for t in ds.by_id()["train-4184"].tests[:2]] == ["[false]", "[true]"]


def test_real_apps_rows_filter_by_difficulty(apps_real_dir):
    ds = load_dataset(str(apps_real_dir / "problems.jsonl"), split="train", difficulties=["competition"], limit=5)
    assert len(ds.problems) == 5 and all(p.difficulty is Difficulty.COMPETITION for p in ds.problems)
