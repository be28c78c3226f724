"""Run-folder files: torn lines after a crash, duplicates, one-line errors naming file and line."""
import json

import pytest

from harness.storage import JsonlAppender, RunFolderError, read_candidates, read_results


def write_lines(path, lines):
    path.write_text("".join(lines), encoding="utf-8")


def test_appender_drops_a_line_torn_by_a_crash_before_appending(tmp_path):
    path = tmp_path / "g.jsonl"
    write_lines(path, ['{"problem_id": "a", "code": "x"}\n', '{"problem_id": "b", "co'])
    with JsonlAppender(path) as out:
        out.append({"problem_id": "c", "code": "y"})
    assert [c.problem_id for c in read_candidates(path)] == ["a", "c"]


def test_reading_with_repair_ignores_a_torn_last_line(tmp_path):
    path = tmp_path / "g.jsonl"
    write_lines(path, ['{"problem_id": "a", "code": "x"}\n', '{"problem_id": "b"'])
    assert [c.problem_id for c in read_candidates(path, repair=True)] == ["a"]


def test_sample_index_defaults_to_order_within_problem(tmp_path):
    path = tmp_path / "g.jsonl"
    rows = [{"problem_id": "a", "code": "1"}, {"problem_id": "b", "code": "2"}, {"problem_id": "a", "code": "3"}]
    write_lines(path, [json.dumps(r) + "\n" for r in rows])
    assert [(c.problem_id, c.sample_index, c.code) for c in read_candidates(path)] == [("a", 0, "1"), ("b", 0, "2"), ("a", 1, "3")]


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json}\n", "g.jsonl:2: malformed JSON"),
        ('{"problem_id": "a"}\n', "g.jsonl:2: missing field code"),
        ('{"problem_id": "z", "code": "x", "sample_index": -1}\n', "g.jsonl:2: 'sample_index' must be"),
        ('{"problem_id": "a", "code": "x", "sample_index": 0}\n', "g.jsonl:2: duplicate program a sample 0"),
        ('[1, 2]\n', "g.jsonl:2: expected a JSON object"),
        ('{"problem_id": "a", "code": 5}\n', "g.jsonl:2: 'code' must be a string"),
    ],
)
def test_bad_generations_line_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "g.jsonl"
    write_lines(path, ['{"problem_id": "a", "code": "x"}\n', line])
    with pytest.raises(RunFolderError) as err:
        read_candidates(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unreadable_file_is_a_one_line_error(tmp_path):
    with pytest.raises(RunFolderError, match="cannot read"):
        read_candidates(tmp_path / "missing.jsonl")


def test_results_keep_first_row_of_a_duplicate_key(tmp_path):
    row = {
        "problem_id": "a", "sample_index": 0, "difficulty": "interview", "verdict": "passed",
        "apps_verdict": "passed", "tests_passed": 1, "tests_total": 1, "apps_tests_passed": 1,
        "tests": ["passed"], "apps_tests": ["passed"], "wall_s": 0.1,
    }
    path = tmp_path / "results.jsonl"
    write_lines(path, [json.dumps(row) + "\n", json.dumps({**row, "verdict": "wrong_answer"}) + "\n"])
    [only] = read_results(path)
    assert only.verdict.value == "passed"


def test_json_nested_past_the_parsers_limit_is_a_one_line_error_naming_file_and_line(tmp_path):
    from harness.storage import read_json
    deep = "[" * 100000 + "]" * 100000
    whole = tmp_path / "validity.json"
    whole.write_text(deep)
    with pytest.raises(RunFolderError, match=f"^{whole}: JSON nested too deeply"):
        read_json(whole)
    lines = tmp_path / "results.jsonl"
    write_lines(lines, [deep + "\n"])
    with pytest.raises(RunFolderError, match=f"^{lines}:1: JSON nested too deeply"):
        read_results(lines)
