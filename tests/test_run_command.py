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
    assert summary["run"]["truncated_generations"]["overall"] == sum(g["finish_reason"] == "length" for g in generations)
    from harness.generation.prompting import prompt_hash

    prompts = {row["prompt_hash"]: row for row in read_jsonl(out / "prompts.jsonl")}
    assert len(prompts) == 3 and all("prompt" not in g for g in generations)
    assert all(prompt_hash(prompts[g["prompt_hash"]]["prompt"]) == g["prompt_hash"] for g in generations)
    assert all(prompts[g["prompt_hash"]]["problem_id"] == g["problem_id"] for g in generations)
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


def test_samples_cut_at_the_token_limit_are_counted_per_bucket_and_reported(tmp_path):
    from harness.reporting.report import render_report
    from harness.storage import load_run

    out = tmp_path / "run"
    args = ["run", "--model", str(tiny_models().scripted_dir), "--problems", "sample-001,sample-002,sample-013",
            "--n-samples", "2", "--temperature", "0.7", "--max-new-tokens", "3", "--workers", "1", "--timeout", "2",
            "--device", "cpu", "--out", str(out)]
    assert main(args) == 0
    cut = {(g["problem_id"], g["sample_index"]) for g in read_jsonl(out / "generations.jsonl") if g["finish_reason"] == "length"}
    summary = json.loads((out / "summary.json").read_text())
    results = read_jsonl(out / "results.jsonl")
    by_bucket = {b: sum(r["difficulty"] == b and (r["problem_id"], r["sample_index"]) in cut for r in results)
                 for b in ("introductory", "interview", "competition")}
    assert summary["run"]["truncated_generations"] == {"overall": len(cut), **by_bucket}
    assert len(cut) >= 2 and len([n for n in by_bucket.values() if n]) >= 2  # the scripted answer is longer than 3 tokens
    assert f"generations cut at --max-new-tokens: {len(cut)} of 6 samples" in render_report(load_run(out), "md")
    # the same programs judged again keep the count; reference solutions were not generated: null
    assert main(["evaluate", "--run", str(out), "--out", str(tmp_path / "again"), "--timeout", "2"]) == 0
    again = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert again["run"]["truncated_generations"] == summary["run"]["truncated_generations"]
    assert main(["evaluate", "--solutions", "--problems", "sample-001", "--out", str(tmp_path / "refs")]) == 0
    assert json.loads((tmp_path / "refs" / "summary.json").read_text())["run"]["truncated_generations"] is None
