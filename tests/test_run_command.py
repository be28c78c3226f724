"""`run` end to end: a tiny model the tests build, the real loading path, the real sandbox."""
import json

from harness.cli import main
from harness.storage import read_record
from tiny_model import tiny_models


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_run_generates_judges_summarizes_and_resumes(tmp_path):
    out = tmp_path / "run"
    args = ["run", "--model", str(tiny_models().scripted_dir), "--limit", "3", "--max-new-tokens", "16",
            "--workers", "2", "--timeout", "2", "--out", str(out)]
    assert main(args) == 0
    generations = read_jsonl(out / "generations.jsonl")
    assert len(generations) == 3
    assert all("\n---" not in g["code"] and "\nQUESTION" not in g["code"] for g in generations)
    results = read_jsonl(out / "results.jsonl")
    assert sorted((r["problem_id"], r["sample_index"]) for r in results) == sorted((g["problem_id"], g["sample_index"]) for g in generations)
    assert all(r["verdict"] in ("wrong_answer", "passed", "compile_error", "runtime_error") for r in results)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["samples"] == 3
    assert summary["run"]["truncated_prompts"] == sum(bool(g.get("prompt_truncated")) for g in generations)
    record = read_record(out / "config.json")
    assert record.generation.template.name == "apps" and record.generation.template.text.endswith("ANSWER:\n")
    assert record.model.name and record.model.dtype == "float32" and record.model.device == "cpu"
    before = ((out / "generations.jsonl").read_text(), (out / "results.jsonl").read_text())
    assert main(args) == 0
    assert ((out / "generations.jsonl").read_text(), (out / "results.jsonl").read_text()) == before


def test_resuming_with_other_decoding_settings_is_refused(tmp_path):
    out = tmp_path / "run"
    base = ["run", "--model", str(tiny_models().scripted_dir), "--limit", "1", "--max-new-tokens", "8", "--out", str(out)]
    assert main(base) == 0
    assert main(base[:-2] + ["--temperature", "0.5", "--out", str(out)]) == 1
