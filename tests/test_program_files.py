"""`evaluate --generations` with the programs files of other tools, detected from their content.

Real files, the real CLI entry point, the real sandbox. The bundled sample's own reference
solutions are the programs: a program mapped to the wrong problem fails its tests.
"""
import json

import pytest

from conftest import REPO_ROOT
from harness.cli import main
from harness.storage import read_record

SAMPLE = REPO_ROOT / "data" / "sample" / "apps_sample.jsonl"
ROWS = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
IDS = [r["problem_id"] for r in ROWS]
SOLUTIONS = [json.loads(r["solutions"])[0] for r in ROWS]


def fenced(code):
    return f"Here is my program:\n```python\n{code}```\nIt reads stdin."


def evaluate(tmp_path, programs, *extra):
    out = tmp_path / "run"
    status = main(["evaluate", "--generations", str(programs), "--workers", "2", "--out", str(out), *extra])
    return status, out


def results(out):
    """(problem, sample, passed?) per program; a wrong problem's program may fail in any way."""
    return sorted((r["problem_id"], r["sample_index"], r["verdict"] == "passed")
                  for r in map(json.loads, (out / "results.jsonl").read_text().splitlines()))


def recorded_format(out):
    return read_record(out / "config.json").programs.format


def test_apps_repository_index_file_maps_positions_to_problems(tmp_path):
    path = tmp_path / "all_codes.json"
    path.write_text(json.dumps({"5": [SOLUTIONS[5], fenced(SOLUTIONS[5])], "30": SOLUTIONS[30], "2": []}))
    status, out = evaluate(tmp_path, path)
    assert status == 0
    assert results(out) == [(IDS[5], 0, True), (IDS[5], 1, True), (IDS[30], 0, True)]
    assert recorded_format(out) == "apps-repo-index"


def test_bigcode_list_of_lists_is_in_dataset_order(tmp_path):
    path = tmp_path / "generations.json"
    path.write_text(json.dumps([[SOLUTIONS[0], SOLUTIONS[1]], [fenced(SOLUTIONS[1])], [SOLUTIONS[0]]]))
    status, out = evaluate(tmp_path, path)
    assert status == 0
    # The first problem's second program is another problem's solution, the third list's program too.
    assert results(out) == [(IDS[0], 0, True), (IDS[0], 1, False), (IDS[1], 0, True),
                            (IDS[2], 0, False)]
    assert recorded_format(out) == "bigcode-list-of-lists"


def test_positions_count_in_the_whole_split_even_when_filtered(tmp_path):
    path = tmp_path / "generations.json"
    path.write_text(json.dumps([[s] for s in SOLUTIONS[:12]]))
    status, out = evaluate(tmp_path, path, "--problems", f"{IDS[3]},{IDS[11]}")
    assert status == 0
    assert results(out) == [(IDS[3], 0, True), (IDS[11], 0, True)]


def test_evalplus_jsonl_with_crlf_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "samples.jsonl"
    lines = [{"task_id": IDS[0], "solution": SOLUTIONS[0]}, {"task_id": IDS[0], "solution": fenced(SOLUTIONS[0])},
             {"task_id": IDS[7], "completion": SOLUTIONS[7]}]
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(json.dumps(line).encode() + b"\r\n" for line in lines))
    status, out = evaluate(tmp_path, path)
    assert status == 0
    assert results(out) == [(IDS[0], 0, True), (IDS[0], 1, True), (IDS[7], 0, True)]
    assert recorded_format(out) == "evalplus-jsonl"


def test_json_array_of_our_rows_and_our_jsonl(tmp_path):
    rows = [{"problem_id": IDS[4], "code": fenced(SOLUTIONS[4])}, {"problem_id": IDS[4], "sample_index": 3, "code": "print("}]
    array = tmp_path / "rows.json"
    array.write_text(json.dumps(rows, indent=2))
    status, out = evaluate(tmp_path, array)
    assert status == 0
    assert results(out) == [(IDS[4], 0, True), (IDS[4], 3, False)]
    assert recorded_format(out) == "apps-eval-json-array"
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    status, out = evaluate(tmp_path / "second", jsonl)
    assert status == 0 and results(out) == [(IDS[4], 0, True), (IDS[4], 3, False)]
    assert recorded_format(out) == "apps-eval-jsonl"


def one_error(capsys):
    lines = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_bytes_that_are_not_utf8_are_named_by_file_and_line(tmp_path, capsys):
    path = tmp_path / "programs.jsonl"
    path.write_bytes(json.dumps({"problem_id": IDS[0], "code": "print(1)"}).encode() + b"\n"
                     + b'{"problem_id": "' + IDS[1].encode() + b'", "code": "print(\xe9)"}\n')
    status, _ = evaluate(tmp_path, path)
    assert status == 1
    line = one_error(capsys)
    assert f"{path}:2: not UTF-8" in line and "0xe9" in line


@pytest.mark.parametrize("content", ['{"foo": 1}', "[1, 2, 3]", "problem,code\nsample-001,print(1)\n",
                                     json.dumps({"id": "sample-001", "program": "print(1)"}) + "\n"])
def test_an_unknown_shape_names_the_accepted_ones(tmp_path, capsys, content):
    path = tmp_path / "programs.txt"
    path.write_text(content)
    status, _ = evaluate(tmp_path, path)
    assert status == 1
    line = one_error(capsys)
    assert str(path) in line
    for accepted in ("problem_id", "<index>", "bigcode-evaluation-harness", "EvalPlus", "task_id"):
        assert accepted in line


def test_a_position_past_the_dataset_is_an_error(tmp_path, capsys):
    path = tmp_path / "generations.json"
    path.write_text(json.dumps([[SOLUTIONS[0]]] * (len(IDS) + 1)))
    status, _ = evaluate(tmp_path, path)
    assert status == 1
    line = one_error(capsys)
    assert f"list {len(IDS)}" in line and f"the dataset has {len(IDS)} problems" in line


def test_broken_json_and_mixed_rows_are_named_by_line(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "0": ["print(1)"],\n  "1": ["print(2)"\n}\n')
    assert evaluate(tmp_path, broken)[0] == 1
    assert f"{broken}:4: not valid JSON" in one_error(capsys)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(json.dumps({"problem_id": IDS[0], "code": "x"}) + "\n" + json.dumps({"task_id": IDS[1], "solution": "y"}) + "\n")
    assert evaluate(tmp_path, mixed)[0] == 1
    assert f"{mixed}:2: a evalplus-jsonl row in a apps-eval-jsonl file" in one_error(capsys)


def test_an_unknown_problem_id_shows_what_ids_look_like(tmp_path, capsys):
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps({"task_id": "APPS/42", "solution": "print(1)"}) + "\n")
    assert evaluate(tmp_path, path)[0] == 1
    line = one_error(capsys)
    assert "'APPS/42'" in line and f"look like {IDS[0]!r}" in line


DEEP = "[" * 100000 + "]" * 100000


@pytest.mark.parametrize("content, where, reason", [
    (DEEP, "", "nested too deeply"),
    ('{"a": ' * 100000, "", "nested too deeply"),
    ('{"0": ' + DEEP + "}", "", "nested too deeply"),
    (json.dumps({"problem_id": IDS[0], "code": "x"}) + "\n" + DEEP + "\n", ":2", "nested too deeply"),
    (json.dumps({"problem_id": IDS[0], "code": "x"}) + "\n" + '{"problem_id": "a", "code": "b", "sample_index": '
     + "7" * 5000 + "}\n", ":2", "an integer of more than"),
])
def test_json_nested_past_the_parsers_limit_or_absurd_numbers_are_a_one_line_error(tmp_path, capsys, content, where, reason):
    path = tmp_path / "programs.json"
    path.write_text(content)
    status, _ = evaluate(tmp_path, path)
    assert status == 1
    line = one_error(capsys)
    assert f"{path}{where}: " in line and reason in line and len(line) < 300


def test_a_dataset_row_or_its_tests_nested_past_the_parsers_limit_is_named(tmp_path, capsys):
    programs = tmp_path / "programs.jsonl"
    programs.write_text(json.dumps({"problem_id": IDS[0], "code": SOLUTIONS[0]}) + "\n")
    deep_tests = dict(ROWS[1], input_output='{"inputs": ' + DEEP + ', "outputs": []}')
    for name, second in (("deep_row", DEEP), ("deep_tests", json.dumps(deep_tests))):
        dataset = tmp_path / f"{name}.jsonl"
        dataset.write_text(json.dumps(ROWS[0]) + "\n" + second + "\n")
        status, _ = evaluate(tmp_path / name, programs, "--dataset", str(dataset))
        assert status == 1
        line = one_error(capsys)
        assert f"{dataset}:2" in line and "nested too deeply" in line
        status, out = evaluate(tmp_path / f"{name}-skipped", programs, "--dataset", str(dataset), "--skip-bad-rows")
        assert status == 0 and results(out) == [(IDS[0], 0, True)]
