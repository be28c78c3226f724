"""Benchmark: generation strategies on one model and workload, useful tokens per second.

    .venv/bin/python bench/generation.py [--model PATH_OR_ID | --gpt-neo-1.3b-random] [--dtype bfloat16]
        [--workload realistic|forced] [--batch-size 16] [--problems 16] [--samples 4] [--new-tokens 256]
        [--template apps] [--baseline-prompts K] [--skip-transformers-cb] [--quick] [--threads N]

Default model: the embedded SmolLM2-135M-Instruct. Workloads:
- realistic: sampling (temperature, top-p) with the template's real stop strings and end of
  text, so rows end at different steps (what a run does);
- forced: end of text forbidden and no stop strings (min_new_tokens = max_new_tokens), every
  row exactly --new-tokens long: raw decoding throughput.
Strategies (same prompts, same decoding settings):
- one at a time: one prompt, one sequence per generate call (the original APPS generator);
  with --baseline-prompts K only K sequences run and their rate is taken for all;
- static batches: Generator(continuous=False), the batching of the generator before continuous
  batching (5ef547a): batches of --batch-size rows run until their longest row ends;
- continuous: Generator's default: finished rows leave the batch and its cache, waiting rows join;
- transformers CB: transformers' own continuous batching (model.generate_batch, paged attention),
  where it runs for the model; it gets --cb-timeout seconds.
Useful tokens are the tokens of the programs (a row's tokens up to its end). --quick: a reduced
workload for development (4 problems x 2 samples x 64 tokens). Not a test: timings are noisy on
a shared machine.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
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
    parser.add_argument("--batch-size", type=int, default=16, help="sequences per forward pass")
    parser.add_argument("--workload", default="realistic", choices=["realistic", "forced"])
    parser.add_argument("--template", default="apps", help="--template of the run (default apps: real APPS stop strings)")
    parser.add_argument("--problems", type=int, default=16)
    parser.add_argument("--samples", type=int, default=4, help="samples per problem")
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--quick", action="store_true", help="4 problems x 2 samples x 64 tokens (development)")
    parser.add_argument("--skip-static", action="store_true")
    parser.add_argument("--skip-transformers-cb", action="store_true")
    parser.add_argument("--cb-timeout", type=float, default=300.0, help="seconds given to transformers' continuous batching")
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


def baseline(loaded, prompts: list[str], cfg: GenerationConfig, forced: bool, stops: tuple[str, ...]) -> tuple[int, float]:
    """(useful tokens, seconds): one prompt and one sequence per generate call, as the APPS generator."""
    import torch
    from transformers import StoppingCriteriaList

    from harness.generation.decoding import StopOnStrings

    model, tokenizer = loaded.model, loaded.tokenizer
    options = dict(do_sample=True, temperature=cfg.temperature, top_p=cfg.top_p, top_k=0,
                   max_new_tokens=cfg.max_new_tokens, min_new_tokens=cfg.max_new_tokens if forced else None,
                   eos_token_id=list(loaded.eos_token_ids), pad_token_id=tokenizer.pad_token_id)
    tokens, started = 0, time.perf_counter()
    for i, prompt in enumerate(prompts):
        torch.manual_seed(cfg.seed + i)
        encoded = tokenizer(prompt, return_tensors="pt").to(model.device)
        criteria = StoppingCriteriaList([StopOnStrings(tokenizer, stops, encoded.input_ids.shape[1])]) if stops else None
        with torch.inference_mode():
            output = model.generate(**encoded, **options, stopping_criteria=criteria)
        tokens += output.shape[1] - encoded.input_ids.shape[1]
        print(f"  one at a time {i + 1}/{len(prompts)}: {tokens / (time.perf_counter() - started):.1f} tok/s", file=sys.stderr)
    return tokens, time.perf_counter() - started


def generator_run(loaded, problems: list, cfg: GenerationConfig, forced: bool, continuous: bool):
    """(useful tokens, seconds, row steps, candidates) of the project's Generator."""
    from harness.generation.generator import Generator

    generator = Generator(loaded, cfg, min_new_tokens=cfg.max_new_tokens if forced else 0, progress=True,
                          continuous=continuous)
    started = time.perf_counter()
    candidates = [c for batch in generator.generate(problems) for c in batch]
    seconds = time.perf_counter() - started
    return sum(c.new_tokens or 0 for c in candidates), seconds, generator.stats.row_steps, candidates


def transformers_cb(loaded, prompts: list[str], cfg: GenerationConfig, forced: bool, timeout: float):
    """(useful tokens, seconds) of model.generate_batch, or (None, reason) when it does not run or finish in time."""
    import torch
    from transformers import GenerationConfig as HFGenerationConfig

    model, tokenizer = loaded.model, loaded.tokenizer
    if not hasattr(model, "generate_batch"):
        return None, "this transformers has no generate_batch"
    inputs = [tokenizer(p)["input_ids"] for p in prompts]
    config = HFGenerationConfig(
        max_new_tokens=cfg.max_new_tokens, min_new_tokens=cfg.max_new_tokens if forced else None, do_sample=True,
        temperature=cfg.temperature, top_p=cfg.top_p, top_k=0, eos_token_id=list(loaded.eos_token_ids),
        pad_token_id=tokenizer.pad_token_id, max_batch_tokens=cfg.batch_size * 64,
    )
    box: dict = {}

    def work() -> None:
        try:
            with torch.inference_mode():
                box["out"] = model.generate_batch(inputs=inputs, generation_config=config, progress_bar=False)
        except Exception as error:  # report, do not crash the benchmark
            box["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"

    started = time.perf_counter()
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout)
    seconds = time.perf_counter() - started
    if thread.is_alive():
        return None, f"did not finish in {timeout:.0f} s"
    if "error" in box:
        return None, box["error"]
    outputs = box["out"].values() if isinstance(box["out"], dict) else box["out"]
    return sum(len(getattr(o, "generated_tokens", []) or []) for o in outputs), seconds


def warm_up(loaded) -> None:
    """One short generate call, so that no side pays first-call setup costs."""
    import torch

    encoded = loaded.tokenizer(["warm up", "warm up the model"], return_tensors="pt", padding=True).to(loaded.model.device)
    with torch.inference_mode():
        loaded.model.generate(**encoded, max_new_tokens=4, do_sample=False, pad_token_id=loaded.tokenizer.pad_token_id)


def spread(items: list, k: int) -> list:
    """k items evenly spread over the list (all of them when k >= len)."""
    if k >= len(items):
        return list(items)
    return [items[(i * len(items)) // k] for i in range(k)]


def line(name: str, tokens: int, seconds: float, extra: str = "") -> float:
    rate = tokens / seconds
    print(f"{name:<16}: {rate:8.1f} useful tok/s  {tokens} tokens in {seconds:.1f} s{extra}", flush=True)
    return rate


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.quick:
        args.problems, args.samples, args.new_tokens = 4, 2, 64
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    forced = args.workload == "forced"
    cfg = GenerationConfig(
        model=args.model, dtype=args.dtype, device=args.device, n_samples=args.samples, batch_size=args.batch_size,
        max_new_tokens=args.new_tokens, temperature=args.temperature, top_p=args.top_p, template=args.template,
        stop=() if forced else None,
    )
    problems = load_problems(args.dataset, args.problems)
    loaded = load(args, cfg)
    from harness.generation.generator import Generator

    probe = Generator(loaded, cfg, progress=False)
    plan = [u for batch in probe.plan(problems) for u in batch]
    prompt_tokens = {u.problem_id: u.prompt_tokens for u in plan}
    prompt_of = {u.problem_id: u.prompt for u in plan}
    pairs = [(p.problem_id, s) for p in problems for s in range(args.samples)]
    print(f"model {loaded.resolved['model']} ({loaded.resolved.get('parameters', 0) / 1e6:.0f}M parameters), "
          f"{loaded.resolved['dtype']} on {loaded.resolved['device']}, torch threads {torch.get_num_threads()}")
    print(f"workload {args.workload}: {len(problems)} problems x {args.samples} samples, up to {args.new_tokens} new tokens, "
          f"temperature {args.temperature}, top-p {args.top_p}, template {probe.template.name}, "
          f"stop strings {list(probe.stops) if not forced else 'off'}, end of text {'forbidden' if forced else 'on'}, "
          f"batch size {args.batch_size}; prompt tokens min/mean/max {min(prompt_tokens.values())}/"
          f"{sum(prompt_tokens.values()) / len(prompt_tokens):.0f}/{max(prompt_tokens.values())}", flush=True)
    warm_up(loaded)
    rates = {}
    if not args.skip_baseline:
        chosen = spread(pairs, args.baseline_prompts or len(pairs))
        tokens, seconds = baseline(loaded, [prompt_of[pid] for pid, _ in chosen], cfg, forced, () if forced else probe.stops)
        note = "" if len(chosen) == len(pairs) else f" ({len(chosen)} of {len(pairs)} sequences, rate extrapolated)"
        rates["one"] = line("one at a time", tokens, seconds, note)
    if not args.skip_static:
        tokens, seconds, steps, _ = generator_run(loaded, problems, cfg, forced, continuous=False)
        rates["static"] = line("static batches", tokens, seconds, f", {steps} row-steps computed ({1 - tokens / max(steps, 1):.0%} on finished rows)")
    tokens, seconds, steps, candidates = generator_run(loaded, problems, cfg, forced, continuous=True)
    rates["continuous"] = line("continuous", tokens, seconds, f", {steps} row-steps computed")
    if not args.skip_transformers_cb:
        prompts = [prompt_of[pid] for pid, _ in pairs]
        tokens, seconds = transformers_cb(loaded, prompts, cfg, forced, args.cb_timeout)
        if tokens is None:
            print(f"{'transformers CB':<16}: did not run: {seconds}")
        else:
            rates["cb"] = line("transformers CB", tokens, seconds)
    import ast

    def parses(code: str) -> bool:
        try:
            ast.parse(code)
            return True
        except (SyntaxError, ValueError):
            return False

    print(f"programs that parse (continuous): {sum(parses(c.code) for c in candidates)}/{len(candidates)}")
    for name, label in (("static", "static batches"), ("cb", "transformers CB"), ("one", "one at a time")):
        if name in rates:
            print(f"continuous vs {label}: {rates['continuous'] / rates[name]:.2f}x")


if __name__ == "__main__":
    main()
