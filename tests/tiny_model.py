"""Tiny GPT-Neo models for generation tests, built offline in a few seconds (once per session).

- a byte-level BPE tokenizer trained on the fly (about 400 tokens, <|endoftext|> special,
  no pad token: load_model must supply one);
- "random": a randomly initialised 2-layer GPT-Neo with spread-out logits (no near-ties), whose
  output depends on the whole prompt: for batching and seed tests;
- "scripted": the same architecture trained for a few hundred steps to answer any APPS prompt
  with SCRIPTED_ANSWER then <|endoftext|>: for stop-string, end-of-text and length tests;
- "llama-chat": a randomly initialised 2-layer Llama whose tokenizer has a chat template: for
  chat prompting and continuous batching on a second architecture.

Both are saved with save_pretrained into a temporary folder and loaded back through
harness.model_loading.load_model, the path users take.
"""
from __future__ import annotations

import atexit
import copy
import functools
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

EOT = "<|endoftext|>"
SCRIPTED_ANSWER = "print(1)\n---\nprint(2)\n"
WORDS = (
    "read two integers and print their sum the array of n numbers find the minimum number of moves "
    "each test case contains a string s output yes or no given a grid with rows and columns count "
    "the pairs def solve return class Solution self input split map int list range len for while if else"
).split()
CONTEXT = 256


# A chat template in the style of instruct models (role headers, the reply opened by add_generation_prompt).
CHAT_TEMPLATE = (
    "{% for message in messages %}<|endoftext|>{{ message['role'] }}\n{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|endoftext|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class TinyModels:
    random_dir: Path
    scripted_dir: Path
    llama_chat_dir: Path  # a random 2-layer Llama whose tokenizer has CHAT_TEMPLATE


def apps_like_prompt(question: str, call_based: bool = False) -> str:
    format_line = "Use Call-Based format" if call_based else "Use Standard Input format"
    return f"\nQUESTION:\n{question}\n{format_line}\nANSWER:\n"


def random_question(rng: random.Random, low: int = 3, high: int = 30) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


@functools.lru_cache(maxsize=None)
def tiny_models() -> TinyModels:
    import torch

    root = Path(tempfile.mkdtemp(prefix="apps-eval-tiny-"))
    atexit.register(shutil.rmtree, root, True)
    tokenizer = tiny_tokenizer()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is fastest and does not fight parallel test runs
    try:
        torch.manual_seed(0)
        random_model = _gpt_neo(len(tokenizer), tokenizer.eos_token_id, initializer_range=0.5)
        scripted_model = _train_scripted(_gpt_neo(len(tokenizer), tokenizer.eos_token_id, initializer_range=0.02), tokenizer)
        llama_model = _llama(len(tokenizer), tokenizer.eos_token_id)
    finally:
        torch.set_num_threads(threads)
    for name, model in (("random", random_model), ("scripted", scripted_model)):
        model.save_pretrained(root / name)
        tokenizer.save_pretrained(root / name)
    llama_model.save_pretrained(root / "llama-chat")
    chat_tokenizer = copy.deepcopy(tokenizer)
    chat_tokenizer.chat_template = CHAT_TEMPLATE
    chat_tokenizer.save_pretrained(root / "llama-chat")
    return TinyModels(random_dir=root / "random", scripted_dir=root / "scripted", llama_chat_dir=root / "llama-chat")


@functools.lru_cache(maxsize=None)
def tiny_tokenizer():
    """The byte-level BPE tokenizer of the tiny models (trained once per session)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    rng = random.Random(0)
    corpus = [apps_like_prompt(random_question(rng)) + SCRIPTED_ANSWER for _ in range(200)]
    corpus += ["```python\ndef solve(a, b):\n    return a + b\n```\n", "QUESTION ANSWER --- Call-Based Standard Input"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=[EOT], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    bpe.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOT, bos_token=EOT, unk_token=EOT, model_max_length=CONTEXT)


def _gpt_neo(vocab_size: int, eos_id: int, initializer_range: float):
    from transformers import GPTNeoConfig, GPTNeoForCausalLM

    config = GPTNeoConfig(
        vocab_size=vocab_size, max_position_embeddings=CONTEXT, hidden_size=32, num_layers=2, num_heads=2,
        attention_types=[[["global", "local"], 1]], window_size=CONTEXT, intermediate_size=64,
        bos_token_id=eos_id, eos_token_id=eos_id, initializer_range=initializer_range,
    )
    return GPTNeoForCausalLM(config).eval()


def _llama(vocab_size: int, eos_id: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, max_position_embeddings=CONTEXT, bos_token_id=eos_id, eos_token_id=eos_id,
        initializer_range=0.5,
    )
    return LlamaForCausalLM(config).eval()


def _train_scripted(model, tokenizer, steps: int = 250):
    """Teach the model to answer every APPS-like prompt with SCRIPTED_ANSWER and end-of-text.

    Rows are left-padded as at generation time (so the answer sits at the end of every row).
    """
    import torch

    rng = random.Random(1)
    eos = tokenizer.eos_token_id
    answer = tokenizer(SCRIPTED_ANSWER)["input_ids"] + [eos]
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    model.train()
    for _ in range(steps):
        prompts = [tokenizer(apps_like_prompt(random_question(rng, 1, 50), rng.random() < 0.3))["input_ids"] for _ in range(16)]
        width = max(len(p) for p in prompts) + len(answer)
        ids = torch.tensor([[eos] * (width - len(p) - len(answer)) + p + answer for p in prompts])
        mask = torch.tensor([[0] * (width - len(p) - len(answer)) + [1] * (len(p) + len(answer)) for p in prompts])
        labels = torch.tensor([[-100] * (width - len(answer)) + answer for _ in prompts])
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        loss = model(input_ids=ids, attention_mask=mask, position_ids=positions, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()
