"""`run` and `generate` build prompts as batches form, a window of problems at a time (issue 20, item 4).

A counting hook on the generator's prompt building records, at every batch of programs the
generator yields, how many prompts were built so far and how many problems have all their
samples back: the difference is what the harness holds, which must stay within the window plus
one batch however many problems the run has. In float32 on a CPU the programs do not depend on
the batch shape, so a small window must give exactly the programs of the single global plan.
"""
import json
import logging
from collections import Counter

import pytest

from harness.cli import main
from harness.storage import read_record
from tiny_model import tiny_models

pytest.importorskip("transformers")

WINDOW, BATCH = 3, 2


class PromptCounter:
    """Per yielded batch: (prompts built so far, problems with all their samples yielded so far)."""

    def __init__(self) -> None:
        self.built: list[str] = []
        self.marks: list[tuple[int, int]] = []

    def reset(self) -> None:
        self.built.clear()
        self.marks.clear()


@pytest.fixture
def prompts_held(monkeypatch):
    from harness.generation import generator as module

    counter = PromptCounter()
    real_build, real_generate = module.build_prompt, module.Generator.generate

    def counting_build(problem, *args, **kwargs):
        counter.built.append(problem.problem_id)
        return real_build(problem, *args, **kwargs)

    def observed_generate(self, problems, done=frozenset(), shard=(0, 1)):
        samples: Counter = Counter()
        for batch in real_generate(self, problems, done, shard):
            samples.update(c.problem_id for c in batch)
            counter.marks.append((len(counter.built), sum(n == self.cfg.n_samples for n in samples.values())))
            yield batch

    monkeypatch.setattr(module, "build_prompt", counting_build)
    monkeypatch.setattr(module.Generator, "generate", observed_generate)
    return counter


def command(name, out, problems, window, *extra):
    return [name, "--model", str(tiny_models().random_dir), "--limit", str(problems), "--n-samples", "2",
            "--temperature", "1.0", "--seed", "5", "--max-new-tokens", "8", "--batch-size", str(BATCH),
            "--device", "cpu", "--dtype", "float32", "--plan-window", str(window), "--out", str(out), *extra]


def programs(out):
    rows = [json.loads(line) for line in (out / "generations.jsonl").read_text().splitlines() if line.strip()]
    return {(r["problem_id"], r["sample_index"]): (r["completion"], r["finish_reason"]) for r in rows}


def test_run_builds_prompts_a_window_at_a_time_and_gives_the_programs_of_one_global_plan(tmp_path, prompts_held):
    problems = 10
    windowed, whole = tmp_path / "windowed", tmp_path / "whole"
    judging = ("--workers", "2", "--timeout", "2")
    assert main(command("run", windowed, problems, WINDOW, *judging)) == 0
    marks = list(prompts_held.marks)
    assert marks[-1] == (problems, problems)  # every prompt built once, every problem's samples back
    held = max(built - finished for built, finished in marks)
    assert held <= WINDOW + BATCH < problems, marks
    assert marks[0][0] <= WINDOW  # the first programs came before the second window's prompts were built

    prompts_held.reset()
    assert main(command("run", whole, problems, 0, *judging)) == 0
    assert prompts_held.marks[0][0] == problems  # the single global plan builds every prompt before the first batch

    assert programs(windowed) == programs(whole) and len(programs(whole)) == 2 * problems
    assert read_record(windowed / "config.json").generation.plan_window == WINDOW
    assert read_record(whole / "config.json").generation.plan_window is None
    for out in (windowed, whole):
        summary = json.loads((out / "summary.json").read_text())
        assert summary["overall"]["samples"] == 2 * problems


def _interrupt(out, keep):
    """Leave the first `keep` programs of generations.jsonl, as a run stopped there would."""
    path = out / "generations.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:keep]))
    for name in ("finish.json", "summary.json"):
        (out / name).unlink(missing_ok=True)


def test_a_resumed_run_plans_with_its_folders_window(tmp_path, prompts_held, caplog):
    problems = 8
    out = tmp_path / "gen"
    assert main(command("generate", out, problems, WINDOW)) == 0
    complete = programs(out)
    _interrupt(out, 5)
    prompts_held.reset()
    with caplog.at_level(logging.INFO):
        assert main(command("generate", out, problems, 0)) == 0  # another window asked: the folder's is kept
    assert "planning batches with the folder's window (3 problems; all asked)" in caplog.text
    assert prompts_held.marks[0][0] <= 2 * WINDOW  # the windowed plan again, not every prompt at once
    assert programs(out) == complete
    assert read_record(out / "config.json").generation.plan_window == WINDOW


def test_a_folder_written_before_windows_resumes_with_the_whole_selection_planned_at_once(tmp_path, prompts_held):
    problems = 8
    out = tmp_path / "gen"
    assert main(command("generate", out, problems, 0)) == 0
    complete = programs(out)
    config = json.loads((out / "config.json").read_text())
    del config["generation"]["plan_window"]  # as earlier versions wrote it
    (out / "config.json").write_text(json.dumps(config))
    _interrupt(out, 5)
    prompts_held.reset()
    assert main(command("generate", out, problems, WINDOW)) == 0
    assert prompts_held.marks[0][0] == problems  # the plan of the version that started it
    assert programs(out) == complete
    assert read_record(out / "config.json").generation.plan_window is None


def test_plan_window_option_is_checked():
    from harness.config import ConfigError, GenerationConfig

    with pytest.raises(SystemExit) as exited:
        main(["generate", "--plan-window", "-1", "--limit", "1"])
    assert exited.value.code == 2
    with pytest.raises(ConfigError, match="plan_window must be >= 1"):
        GenerationConfig(plan_window=0)


def test_replicas_share_a_windowed_plan_between_them():
    """Data-parallel replicas (Ray) each take every other batch of the same windowed plan: together
    they give every program once, the programs of one process."""
    import random

    from data.problem import Difficulty, Problem
    from harness.config import GenerationConfig
    from harness.generation.generator import Generator
    from harness.generation.model_loading import load_model
    from tiny_model import random_question

    rng = random.Random(2)
    todo = [Problem(f"p{i}", Difficulty.INTERVIEW, random_question(rng, 1, 30), "", None, ()) for i in range(7)]
    gen = GenerationConfig(model=str(tiny_models().random_dir), dtype="float32", device="cpu", n_samples=2,
                           temperature=1.0, seed=4, max_new_tokens=6, batch_size=BATCH, plan_window=WINDOW)
    loaded = load_model(gen)

    def programs_of(shard):
        out = [c for batch in Generator(loaded, gen, progress=False).generate(todo, shard=shard) for c in batch]
        return {(c.problem_id, c.sample_index): c.completion for c in out}, len(out)

    whole, _ = programs_of((0, 1))
    (first, count_first), (second, count_second) = programs_of((0, 2)), programs_of((1, 2))
    assert count_first + count_second == len(whole) == 14 and first and second
    assert {**first, **second} == whole
