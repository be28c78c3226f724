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
            "--workers", "2", "--timeout", "2", "--device", "cpu", "--out", str(out)]
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
    assert record.generation.template.name == "auto" and record.generation.template.text is None  # as asked
    assert record.model.name and record.model.dtype == "float32" and record.model.device == "cpu"  # --dtype auto's rule
    assert record.model.batch_invariant is True and record.model.details["dtype_choice"]["asked"] == "auto"
    prompt = record.prompt  # as used: the tiny tokenizer has no chat template, so auto means the APPS template
    assert (prompt.choice, prompt.name, prompt.kind, prompt.system_prompt) == ("auto", "apps", "completion", None)
    assert prompt.text.endswith("ANSWER:\n") and prompt.stop == ("\nQUESTION", "\nANSWER", "\n---")
    assert all(len(g["prompt_hash"]) == 16 for g in generations)
    timings = summary["timings"]
    assert timings["model_load_s"] > 0 and timings["wall_s"] >= timings["model_load_s"]
    assert timings["generation"]["samples"] == 3 and timings["generation"]["continuous_batching"] is True
    assert timings["generation"]["new_tokens"] == sum(g["new_tokens"] for g in generations)
    assert timings["judging"]["programs"] == 3 and timings["judging"]["test_runs"] == sum(r["tests_total"] for r in results)
    assert timings["judging"]["programs_per_s"] > 0
    similarity = summary["overall"]["reference_similarity"]  # the bundled sample has reference solutions
    assert similarity["samples"] == 3 and 0 <= similarity["mean"] <= 1 and similarity["threshold"] == 0.9
    from harness.reporting.comparison import render_comparison
    from harness.reporting.report import render_report
    from harness.storage import load_run

    report = render_report(load_run(out), "md")
    assert "Ref. similarity" in report and f"{similarity['mean']:.3f}" in report
    (deltas,) = json.loads(render_comparison([load_run(out), load_run(out)], "json"))["deltas"].values()
    assert deltas["overall"]["reference_similarity_mean"] == 0 and deltas["overall"]["reference_copy_rate"] == 0
    before = ((out / "generations.jsonl").read_text(), (out / "results.jsonl").read_text())
    assert main(args) == 0
    assert ((out / "generations.jsonl").read_text(), (out / "results.jsonl").read_text()) == before
    resumed = json.loads((out / "summary.json").read_text())["timings"]
    assert resumed["generation"] is None and resumed["judging"] is None  # this invocation had nothing left to do


def test_resuming_with_other_decoding_settings_is_refused(tmp_path):
    out = tmp_path / "run"
    base = ["run", "--model", str(tiny_models().scripted_dir), "--limit", "1", "--max-new-tokens", "8", "--out", str(out)]
    assert main(base) == 0
    assert main(base[:-2] + ["--temperature", "0.5", "--out", str(out)]) == 1
