"""Benchmark: batched generation against one-prompt-at-a-time generation, same model, same run.

    .venv/bin/python bench/generation.py [--model PATH_OR_ID | --gpt-neo-1.3b-random] [--dtype bfloat16]
        [--batch-size 64] [--problems 16] [--samples 4] [--new-tokens 128] [--baseline-prompts K]
        [--dataset SPEC] [--temperature 0.8] [--threads N]

Default model: the embedded SmolLM2-135M-Instruct. Both sides sample (temperature, top-p) with
stop strings disabled and end-of-text forbidden (min_new_tokens = max_new_tokens), so every
sequence has exactly --new-tokens new tokens and tokens/s compare like for like.

- baseline: what the original APPS generator does: one prompt, one sequence per generate call;
  with --baseline-prompts K only K of the (problem, sample) sequences run (evenly spread over
  the problems) and its tokens/s is taken as the rate for all;
- batched: harness.generation.Generator over all problems x samples.
Not a test: timings are noisy on a shared machine.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REAL_PROBLEMS = REPO.parent / "shared" / "apps-real" / "problems.jsonl"

from harness.config import GenerationConfig  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", default=None, help="model folder or hub id (default: the embedded SmolLM2-135M)")
    which.add_argument("--gpt-neo-1.3b-random", dest="neo_random", action="store_true",
                       help="a 1.3B-parameter GPT-Neo with random weights (for a GPU machine)")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=64, help="sequences per forward pass")
    parser.add_argument("--problems", type=int, default=16)
    parser.add_argument("--samples", type=int, default=4, help="samples per problem")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--baseline-prompts", type=int, default=None,
                        help="run only this many baseline sequences and extrapolate its tokens/s (default: all)")
    parser.add_argument("--dataset", default=None, help="data.load_dataset spec (default: the bundled sample)")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads for both sides (default: torch's)")
    parser.add_argument("--skip-baseline", action="store_true")
    return parser.parse_args(argv)


def load_problems(spec: str | None, n: int) -> list:
    """The first n problems of the dataset (the bundled sample by default)."""
    try:
        from data import load_dataset

        problems = list(load_dataset(spec).problems)
    except ImportError:  # the loader is not there: read the real APPS rows directly
        problems = _read_real_problems(REAL_PROBLEMS)
    if len(problems) < n:
        raise SystemExit(f"only {len(problems)} problems available, --problems {n} asked")
    return problems[:n]


def _read_real_problems(path: Path) -> list:
    from data.problem import Difficulty, Problem

    problems = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        spec = json.loads(row["input_output"]) if row.get("input_output") else {}
        problems.append(Problem(str(row["problem_id"]), Difficulty(row["difficulty"]), row["question"],
                                row.get("starter_code") or "", spec.get("fn_name"), ()))
    return problems


def load(args: argparse.Namespace, cfg: GenerationConfig):
    from harness.generation.model_loading import load_model

    if not args.neo_random:
        return load_model(cfg)
    return random_gpt_neo_1_3b(cfg)


def random_gpt_neo_1_3b(cfg: GenerationConfig):
    """GPT-Neo 1.3B shapes with random weights, and the embedded model's tokenizer (no hub needed)."""
    import torch
    from transformers import GPTNeoConfig, GPTNeoForCausalLM

    from transformers import AutoTokenizer

    from harness.generation.default_model import prepare_default_model
    from harness.generation.model_loading import LoadedModel, resolve_device, resolve_dtype

    tokenizer = AutoTokenizer.from_pretrained(prepare_default_model(announce=False).path)
    tokenizer.padding_side, tokenizer.pad_token = "left", tokenizer.eos_token
    device = resolve_device(cfg.device)
    dtype = resolve_dtype(cfg.dtype, device)
    config = GPTNeoConfig(
        vocab_size=len(tokenizer), max_position_embeddings=2048, hidden_size=2048, num_layers=24, num_heads=16,
        attention_types=[[["global", "local"], 12]], window_size=256, intermediate_size=8192,
        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = GPTNeoForCausalLM(config).to(getattr(torch, dtype)).eval()
    eos = [tokenizer.eos_token_id]
    model.generation_config.eos_token_id, model.generation_config.pad_token_id = eos, tokenizer.pad_token_id
    resolved = {"model": "gpt-neo-1.3b-random", "dtype": dtype, "device": device, "max_context": 2048,
                "eos_token_ids": eos, "parameters": sum(p.numel() for p in model.parameters())}
    return LoadedModel(model=model, tokenizer=tokenizer, resolved=resolved)


def baseline(loaded, prompts: list[str], cfg: GenerationConfig) -> tuple[int, float]:
    """(new tokens, seconds): one prompt and one sequence per generate call, as the APPS generator."""
    import torch

    model, tokenizer = loaded.model, loaded.tokenizer
    options = dict(do_sample=True, temperature=cfg.temperature, top_p=cfg.top_p, top_k=0,
                   max_new_tokens=cfg.max_new_tokens, min_new_tokens=cfg.max_new_tokens,
                   eos_token_id=list(loaded.eos_token_ids), pad_token_id=tokenizer.pad_token_id)
    tokens, started = 0, time.perf_counter()
    for i, prompt in enumerate(prompts):
        torch.manual_seed(cfg.seed + i)
        encoded = tokenizer(prompt, return_tensors="pt").to(model.device)
        with torch.inference_mode():
            output = model.generate(**encoded, **options)
        tokens += output.shape[1] - encoded.input_ids.shape[1]
        print(f"  baseline {i + 1}/{len(prompts)}: {tokens / (time.perf_counter() - started):.1f} tok/s", file=sys.stderr)
    return tokens, time.perf_counter() - started


def batched(loaded, problems: list, cfg: GenerationConfig) -> tuple[int, float]:
    from harness.generation.generator import Generator

    generator = Generator(loaded, cfg, min_new_tokens=cfg.max_new_tokens, progress=True)
    tokens, started = 0, time.perf_counter()
    for candidates in generator.generate(problems):
        tokens += sum(c.new_tokens or 0 for c in candidates)
    return tokens, time.perf_counter() - started


def warm_up(loaded) -> None:
    """One short generate call, so that neither side pays first-call setup costs."""
    import torch

    encoded = loaded.tokenizer(["warm up", "warm up the model"], return_tensors="pt", padding=True).to(loaded.model.device)
    with torch.inference_mode():
        loaded.model.generate(**encoded, max_new_tokens=4, do_sample=False, pad_token_id=loaded.tokenizer.pad_token_id)


def spread(items: list, k: int) -> list:
    """k items evenly spread over the list (all of them when k >= len)."""
    if k >= len(items):
        return list(items)
    return [items[(i * len(items)) // k] for i in range(k)]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = GenerationConfig(
        model=args.model, dtype=args.dtype, device=args.device, n_samples=args.samples, batch_size=args.batch_size,
        max_new_tokens=args.new_tokens, temperature=args.temperature, top_p=args.top_p, stop=(),
    )
    problems = load_problems(args.dataset, args.problems)
    loaded = load(args, cfg)
    from harness.generation.generator import Generator

    plan = [u for batch in Generator(loaded, cfg).plan(problems) for u in batch]
    prompt_tokens = {u.problem_id: u.prompt_tokens for u in plan}
    pairs = [(p.problem_id, s) for p in problems for s in range(args.samples)]
    chosen = spread(pairs, args.baseline_prompts or len(pairs))
    prompt_of = {u.problem_id: u.prompt for u in plan}
    print(f"model {loaded.resolved['model']} ({loaded.resolved.get('parameters', 0) / 1e6:.0f}M parameters), "
          f"{loaded.resolved['dtype']} on {loaded.resolved['device']}, torch threads {torch.get_num_threads()}")
    print(f"{len(problems)} problems x {args.samples} samples x {args.new_tokens} new tokens, temperature "
          f"{args.temperature}, top-p {args.top_p}, stop strings off; prompt tokens min/mean/max "
          f"{min(prompt_tokens.values())}/{sum(prompt_tokens.values()) / len(prompt_tokens):.0f}/{max(prompt_tokens.values())}")
    warm_up(loaded)
    base_rate = None
    if not args.skip_baseline:
        tokens, seconds = baseline(loaded, [prompt_of[pid] for pid, _ in chosen], cfg)
        base_rate = tokens / seconds
        note = "" if len(chosen) == len(pairs) else f" (measured on {len(chosen)} of {len(pairs)} sequences, extrapolated)"
        print(f"one at a time : {base_rate:8.1f} tok/s  {tokens} tokens in {seconds:.1f} s{note}")
    tokens, seconds = batched(loaded, problems, cfg)
    rate = tokens / seconds
    print(f"batched       : {rate:8.1f} tok/s  {tokens} tokens in {seconds:.1f} s (batch size {args.batch_size})")
    if base_rate:
        print(f"speed-up      : {rate / base_rate:8.1f} x")


if __name__ == "__main__":
    main()
