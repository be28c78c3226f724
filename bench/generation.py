"""Benchmark: generation strategies on one model and workload, useful tokens per second.

    .venv/bin/python bench/generation.py [--model PATH_OR_ID | --gpt-neo-1.3b-random] [--dtype bfloat16]
        [--workload realistic|forced] [--batch-size 16] [--problems 16] [--samples 4] [--new-tokens 256]
        [--template apps] [--baseline-prompts K] [--cb-prompts K] [--skip-transformers-cb] [--quick] [--threads N]
    .venv/bin/python bench/generation.py --matrix [--quick]

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
  where it runs for the model; it gets --cb-timeout seconds (with --cb-prompts K, K sequences).
Useful tokens are the tokens of the programs (a row's tokens up to its end). transformers CB
applies no stop strings, so its sequences run on past them: only their tokens up to the first
stop string or end of text are counted. --matrix: both workloads, float32 and bfloat16, batch
16 and 64 (one at a time once per workload and dtype), then one table of useful tokens/s and the
ratios of continuous batching against the three targets (static batch 16, transformers CB, one
at a time); its defaults (16 problems x 4 samples x 128 tokens, 4 baseline and 16 CB sequences)
are not small: it prints its own estimate first (about 2 hours on the 2-core development VM). --quick: a reduced
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
    parser.add_argument("--new-tokens", type=int, default=None, help="default 256; 128 with --matrix")
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
    parser.add_argument("--cb-prompts", type=int, default=None,
                        help="give transformers CB only this many sequences and extrapolate its tokens/s (default: all)")
    parser.add_argument("--matrix", action="store_true",
                        help="realistic and forced, float32 and bfloat16, batch 16 and 64, in one table (sizes from the other options)")
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


def transformers_cb(loaded, prompts: list[str], cfg: GenerationConfig, forced: bool, timeout: float,
                    stops: tuple[str, ...] = ()):
    """(useful tokens, seconds) of model.generate_batch, or (None, reason) when it does not run or finish in time.

    Useful tokens: each sequence up to its first end of text or stop string (useful_length)."""
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
    generated = [list(getattr(o, "generated_tokens", []) or []) for o in outputs]
    return sum(useful_length(tokenizer, ids, loaded.eos_token_ids, stops) for ids in generated), seconds


def useful_length(tokenizer, ids: list[int], eos: tuple[int, ...], stops: tuple[str, ...]) -> int:
    """Tokens of `ids` up to and including the first end of text, or up to the token that completes the
    first stop string: what a program keeps. transformers' continuous batching applies neither stop
    strings nor our per-row rules, so what it generates beyond that point is waste and is not counted."""
    end = next((i + 1 for i, token in enumerate(ids) if token in eos), len(ids))
    if not stops or not any(stop in tokenizer.decode(ids[:end], skip_special_tokens=True) for stop in stops):
        return end
    low, high = 1, end  # the shortest prefix holding a stop string (holding one is monotone in the prefix)
    while low < high:
        middle = (low + high) // 2
        if any(stop in tokenizer.decode(ids[:middle], skip_special_tokens=True) for stop in stops):
            high = middle
        else:
            low = middle + 1
    return low


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


def measure(args: argparse.Namespace, loaded=None) -> tuple[dict[str, float], object]:
    """One workload (args.workload, args.dtype, args.batch_size): useful tokens/s of each strategy; prints its lines.

    Returns (rates by strategy, the loaded model, for the next workload of the same dtype)."""
    import torch

    forced = args.workload == "forced"
    cfg = GenerationConfig(
        model=args.model, dtype=args.dtype, device=args.device, n_samples=args.samples, batch_size=args.batch_size,
        max_new_tokens=args.new_tokens, temperature=args.temperature, top_p=args.top_p, template=args.template,
        stop=() if forced else None,
    )
    problems = load_problems(args.dataset, args.problems)
    if loaded is None:
        loaded = load(args, cfg)
        warm_up(loaded)
    from harness.generation.generator import Generator

    probe = Generator(loaded, cfg, progress=False)
    plan = [u for batch in probe.plan(problems) for u in batch]
    prompt_tokens = {u.problem_id: u.prompt_tokens for u in plan}
    prompt_of = {u.problem_id: u.prompt for u in plan}
    pairs = [(p.problem_id, s) for p in problems for s in range(args.samples)]
    stops = () if forced else probe.stops
    print(f"model {loaded.resolved['model']} ({loaded.resolved.get('parameters', 0) / 1e6:.0f}M parameters), "
          f"{loaded.resolved['dtype']} on {loaded.resolved['device']}, torch threads {torch.get_num_threads()}")
    print(f"workload {args.workload}: {len(problems)} problems x {args.samples} samples, up to {args.new_tokens} new tokens, "
          f"temperature {args.temperature}, top-p {args.top_p}, template {probe.template.name}, "
          f"stop strings {list(stops) if not forced else 'off'}, end of text {'forbidden' if forced else 'on'}, "
          f"batch size {args.batch_size}; prompt tokens min/mean/max {min(prompt_tokens.values())}/"
          f"{sum(prompt_tokens.values()) / len(prompt_tokens):.0f}/{max(prompt_tokens.values())}", flush=True)
    rates: dict[str, float] = {}
    if not args.skip_baseline:
        chosen = spread(pairs, args.baseline_prompts or len(pairs))
        tokens, seconds = baseline(loaded, [prompt_of[pid] for pid, _ in chosen], cfg, forced, stops)
        note = "" if len(chosen) == len(pairs) else f" ({len(chosen)} of {len(pairs)} sequences, rate extrapolated)"
        rates["one"] = line("one at a time", tokens, seconds, note)
    if not args.skip_static:
        tokens, seconds, steps, _ = generator_run(loaded, problems, cfg, forced, continuous=False)
        stepped = tokens - len(pairs)  # each sequence's first token comes from its prompt's prefill, not a step
        rates["static"] = line("static batches", tokens, seconds,
                               f", {steps} row-steps computed ({1 - stepped / max(steps, 1):.0%} on finished rows)")
    tokens, seconds, steps, candidates = generator_run(loaded, problems, cfg, forced, continuous=True)
    rates["continuous"] = line("continuous", tokens, seconds, f", {steps} row-steps computed")
    if not args.skip_transformers_cb:
        chosen = spread(pairs, args.cb_prompts or len(pairs))
        tokens, seconds = transformers_cb(loaded, [prompt_of[pid] for pid, _ in chosen], cfg, forced, args.cb_timeout, stops)
        if tokens is None:
            print(f"{'transformers CB':<16}: did not run: {seconds}")
        else:
            note = "" if len(chosen) == len(pairs) else f" ({len(chosen)} of {len(pairs)} sequences, rate extrapolated)"
            rates["cb"] = line("transformers CB", tokens, seconds,
                               note + "; useful tokens only: it applies no stop strings, what follows one is not counted")
    print(f"programs that parse (continuous): {sum(_parses(c.code) for c in candidates)}/{len(candidates)}")
    for name, label in (("static", "static batches"), ("cb", "transformers CB"), ("one", "one at a time")):
        if name in rates:
            print(f"continuous vs {label}: {rates['continuous'] / rates[name]:.2f}x")
    return rates, loaded


def _parses(code: str) -> bool:
    import ast

    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError):
        return False


# --matrix: workloads x dtypes x batch sizes; the targets are on the realistic workload.
MATRIX_WORKLOADS = ("realistic", "forced")
MATRIX_DTYPES = ("float32", "bfloat16")
MATRIX_BATCHES = (16, 64)
TARGETS = (("static", 1.3, "static batch 16 (today's generator)"), ("cb", 1.0, "transformers CB"), ("one", 12.0, "one at a time"))


def estimate_matrix_seconds(args: argparse.Namespace, loaded) -> float:
    """A rough duration of the whole matrix: one timed 16-row forced piece, scaled by each strategy's tokens."""
    import copy
    import contextlib
    import io

    piece = copy.copy(args)
    piece.workload, piece.dtype, piece.batch_size, piece.problems, piece.samples, piece.new_tokens = "forced", "float32", 16, 4, 4, 16
    piece.skip_baseline = piece.skip_transformers_cb = True
    piece.skip_static = True
    with contextlib.redirect_stdout(io.StringIO()):
        measure(piece, loaded)  # once untimed: first-call costs
        started = time.perf_counter()
        measure(piece, loaded)
    per_row_token = (time.perf_counter() - started) / (16 * 16)
    rows = args.problems * args.samples
    # per (workload, dtype): one at a time (about 4x the batched cost per token), then static, continuous and
    # transformers CB (about 5x: measured 12 against 66 useful tok/s) for each batch size; bfloat16 counted as 2x.
    per_cell = (args.baseline_prompts or rows) * args.new_tokens * 4 + len(MATRIX_BATCHES) * rows * args.new_tokens * (
        1 + 1 + 5 * (args.cb_prompts or rows) / rows)
    return per_row_token * per_cell * len(MATRIX_WORKLOADS) * (1 + 2)


def run_matrix(args: argparse.Namespace) -> None:
    import copy

    first = copy.copy(args)
    first.dtype = MATRIX_DTYPES[0]
    loaded = load(first, GenerationConfig(model=args.model, dtype=first.dtype, device=args.device))
    warm_up(loaded)
    estimate = estimate_matrix_seconds(args, loaded)
    print(f"matrix: {len(MATRIX_WORKLOADS)} workloads x {len(MATRIX_DTYPES)} dtypes x batch sizes {list(MATRIX_BATCHES)}; "
          f"estimated {estimate / 60:.0f} min on this machine now", flush=True)
    table = []
    for dtype in MATRIX_DTYPES:
        if dtype != MATRIX_DTYPES[0]:
            loaded = None
        for workload in MATRIX_WORKLOADS:
            baseline_rate = None
            for batch in MATRIX_BATCHES:
                cell = copy.copy(args)
                cell.workload, cell.dtype, cell.batch_size = workload, dtype, batch
                cell.skip_baseline = baseline_rate is not None  # one at a time does not depend on the batch size
                print(f"\n== {workload}, {dtype}, batch {batch}", flush=True)
                rates, loaded = measure(cell, loaded)
                baseline_rate = rates.get("one", baseline_rate)
                if baseline_rate is not None:
                    rates["one"] = baseline_rate
                table.append((workload, dtype, batch, rates))
    static16 = {(w, d): r["static"] for w, d, b, r in table if b == 16 and "static" in r}
    print("\nuseful tokens/s (transformers CB: tokens up to the first stop string or end of text only)")
    print(f"{'workload':<10} {'dtype':<9} {'batch':>5} {'one':>7} {'static':>7} {'contin.':>7} {'tf CB':>7}   "
          "contin. vs static-16 / tf CB / one")
    for workload, dtype, batch, rates in table:
        cells = [f"{rates[k]:7.1f}" if k in rates else f"{'-':>7}" for k in ("one", "static", "continuous", "cb")]
        base = {"static": static16.get((workload, dtype)), "cb": rates.get("cb"), "one": rates.get("one")}
        ratios = []
        for key, target, _ in TARGETS:
            ratio = rates["continuous"] / base[key] if base[key] else None
            mark = "" if ratio is None or workload != "realistic" else (" ok" if ratio >= target else " MISS")
            ratios.append("-" if ratio is None else f"{ratio:.2f}x{mark}")
        print(f"{workload:<10} {dtype:<9} {batch:>5} {' '.join(cells)}   {' / '.join(ratios)}")
    print("targets on the realistic workload: " + ", ".join(f">= {t}x {label}" for _, t, label in TARGETS))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.quick:
        args.problems, args.samples, args.new_tokens = 4, 2, 64
    elif args.matrix:  # the estimate of the whole matrix is printed first
        args.new_tokens = args.new_tokens or 128
        args.baseline_prompts = args.baseline_prompts or 4
        args.cb_prompts = args.cb_prompts or 16
        args.cb_timeout = min(args.cb_timeout, 240.0)
    args.new_tokens = args.new_tokens or 256
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.matrix:
        run_matrix(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
