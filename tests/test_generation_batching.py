"""Chat prompting on a model with a chat template, continuous batching against static batches."""
from __future__ import annotations

import os
import random

import pytest

from data.problem import Difficulty, Problem
from harness.config import GenerationConfig
from tiny_model import random_question, tiny_models

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("transformers")

# These tests assert exact programs across batch shapes: that holds for float32 on a CPU (batch-invariant
# decoding), whatever --dtype auto picks on this machine (tests/test_dtype_rule.py tests the rule).
EXACT = {"dtype": "float32", "device": "cpu"}


def problems(n: int, seed: int = 11) -> list[Problem]:
    rng = random.Random(seed)
    return [Problem(f"p{i}", Difficulty.INTERVIEW, random_question(rng, 1, 40), "", None, ()) for i in range(n)]


def generate(loaded, todo, continuous, **options):
    from harness.generation.generator import Generator

    cfg = GenerationConfig(model="tiny", **{"max_new_tokens": 24, **options})
    generator = Generator(loaded, cfg, progress=False, continuous=continuous)
    out = {(c.problem_id, c.sample_index): c for batch in generator.generate(todo) for c in batch}
    return out, generator


@pytest.fixture(scope="module")
def neo():
    from harness.generation.model_loading import load_model

    return load_model(GenerationConfig(model=str(tiny_models().random_dir), **EXACT))


@pytest.fixture(scope="module")
def llama():
    from harness.generation.model_loading import load_model

    return load_model(GenerationConfig(model=str(tiny_models().llama_chat_dir), **EXACT))


def _stop_that_ends_rows_at_different_steps(loaded, todo) -> str:
    """A short text that the model's free-running outputs contain at varied positions."""
    free, _ = generate(loaded, todo, continuous=False, stop=(), temperature=1.0, n_samples=2, seed=3)
    texts = [c.completion for c in free.values()]
    candidates = sorted({t[i:i + 2] for t in texts for i in range(len(t) - 1)}, key=lambda s: -sum(s in t for t in texts))
    for stop in candidates:
        positions = {t.find(stop) for t in texts if stop in t}
        if len(positions) >= 4 and sum(stop in t for t in texts) >= len(texts) // 2:
            return stop
    raise AssertionError("no stop text that ends rows at different steps")


@pytest.mark.parametrize("model", ["neo", "llama"])
def test_dropping_finished_rows_gives_the_same_programs_for_a_fixed_seed(model, request):
    loaded = request.getfixturevalue(model)
    todo = problems(6)
    stop = _stop_that_ends_rows_at_different_steps(loaded, todo)
    options = dict(stop=(stop,), temperature=1.0, top_p=0.95, n_samples=2, seed=3, batch_size=4)
    static, static_gen = generate(loaded, todo, continuous=False, **options)
    rolling, rolling_gen = generate(loaded, todo, continuous=True, **options)
    assert rolling_gen.continuous and not static_gen.continuous
    assert {k: c.completion for k, c in rolling.items()} == {k: c.completion for k, c in static.items()}
    assert {k: c.finish_reason for k, c in rolling.items()} == {k: c.finish_reason for k, c in static.items()}
    lengths = {c.new_tokens for c in rolling.values()}
    assert len(lengths) > 2  # rows really ended at different steps
    assert rolling_gen.stats.row_steps < static_gen.stats.row_steps  # finished rows were not computed
    assert rolling_gen.stats.new_tokens == static_gen.stats.new_tokens == sum(c.new_tokens for c in rolling.values())


def test_greedy_programs_are_the_same_with_and_without_row_dropping(llama):
    todo = problems(5, seed=4)
    static, _ = generate(llama, todo, continuous=False, batch_size=2)
    rolling, _ = generate(llama, todo, continuous=True, batch_size=2)
    assert {k: c.completion for k, c in rolling.items()} == {k: c.completion for k, c in static.items()}


def test_auto_template_uses_the_chat_template_and_records_it(llama, neo):
    from harness.generation.generator import Generator
    from harness.generation.prompting import SYSTEM_PROMPT, prompt_hash
    from tiny_model import CHAT_TEMPLATE

    chat = Generator(llama, GenerationConfig(model="tiny", max_new_tokens=16))
    assert (chat.template.choice, chat.template.name, chat.template.kind.value) == ("auto", "chat", "chat")
    assert chat.template.system_prompt == SYSTEM_PROMPT and chat.stops == ()
    units = [u for batch in chat.plan(problems(2)) for u in batch]
    question = problems(2)[0].question
    prompt = next(u.prompt for u in units if u.problem_id == "p0")
    assert prompt.startswith("<|endoftext|>system\n" + SYSTEM_PROMPT) and prompt.endswith("<|endoftext|>assistant\n")
    assert "standard input" in prompt and question[:30] in prompt  # (truncated to fit the tiny context)
    assert all(u.prompt_hash == prompt_hash(u.prompt) for u in units)
    import hashlib

    assert chat.template.chat_template_sha256 == hashlib.sha256(CHAT_TEMPLATE.encode()).hexdigest()
    plain = Generator(neo, GenerationConfig(model="tiny"))
    assert (plain.template.name, plain.template.kind.value, plain.template.system_prompt) == ("apps", "completion", None)
    assert plain.stops == ("\nQUESTION", "\nANSWER", "\n---")
    explicit = Generator(llama, GenerationConfig(model="tiny", template="apps"))
    assert explicit.template.name == "apps"


def test_chat_samples_carry_their_prompt_hash_and_prompts_are_not_given_a_second_bos(llama):
    from harness.generation.generator import Generator

    generator = Generator(llama, GenerationConfig(model="tiny", max_new_tokens=4))
    unit = next(generator.plan(problems(1)))[0]
    ids = llama.tokenizer(unit.prompt, add_special_tokens=generator.add_special_tokens)["input_ids"]
    assert unit.prompt_tokens == len(ids) and ids[0] == llama.tokenizer.eos_token_id and ids[1] != ids[0]
    out, _ = generate(llama, problems(2), continuous=True, max_new_tokens=4)
    assert all(c.prompt_hash for c in out.values())


def test_static_batches_are_used_for_beam_search(neo):
    out, generator = generate(neo, problems(2), continuous=None, num_beams=2, n_samples=2, max_new_tokens=6)
    assert not generator.continuous and len(out) == 4


def test_float32_programs_on_a_cpu_do_not_depend_on_the_batch_size(neo, llama):
    """What config.json's model.batch_invariant promises for float32 on a CPU."""
    for loaded, options in ((neo, {"temperature": 1.0, "n_samples": 2, "seed": 7}), (llama, {})):
        assert loaded.resolved["batch_invariant"] is True
        todo = problems(6, seed=9)
        by_size = [generate(loaded, todo, continuous=True, batch_size=size, **options)[0] for size in (1, 3, 12)]
        assert [{k: c.completion for k, c in out.items()} for out in by_size[1:]] == [
            {k: c.completion for k, c in by_size[0].items()}] * 2


def test_a_finished_row_kept_in_the_batch_never_goes_past_the_context(neo):
    """A row whose prompt fills the context up to --max-new-tokens ends at the token limit while 15
    later rows go on: a finished slot stays until an eighth of the batch is finished, fed tokens it
    never reads, so the batch grows a column per step; it must be removed before the batch is wider
    than the context (GPT-Neo's learned positions: position 256 of a 256-token context was an index
    error, found by bench/big_data.py's run case at 1,000 problems)."""
    from harness.generation.continuous import ContinuousDecoder, DecodeSettings, Row
    from tiny_model import CONTEXT

    tokenizer, new_tokens = neo.tokenizer, 4
    ids = tokenizer(" ".join(random_question(random.Random(3), 400, 400)))["input_ids"][:CONTEXT - new_tokens]
    full = tokenizer.decode(ids)
    assert len(tokenizer(full)["input_ids"]) == CONTEXT - new_tokens
    first_wave = [Row(("short", i), f"print the sum {i}", None) for i in range(15)] + [Row("full", full, None)]
    later = [Row(("later", i), f"count the pairs {i}", None) for i in range(15)]
    ended_early = []

    def stop_rule(tokens):  # the 15 short rows of the first wave end at their third token
        if len(tokens) == 3 and len(ended_early) < 15:
            ended_early.append(tokens)
            return True
        return False

    settings = DecodeSettings(batch_size=16, max_new_tokens=new_tokens, eos_token_ids=(), max_context=neo.max_context)
    rows = {}
    for finished in ContinuousDecoder(neo.model, tokenizer, settings, stop_rule).run(first_wave + later):
        rows.update((row.key, row) for row in finished)
    assert len(rows) == 31 and rows["full"].finish == "length"
    assert all(rows[("later", i)].finish == "length" for i in range(15))  # they went on after "full" ended
    alone = next(iter(ContinuousDecoder(neo.model, tokenizer, settings).run([Row("full", full, None)])))
    assert alone[0].tokens == rows["full"].tokens
