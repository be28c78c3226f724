"""Benchmark: how many programs change with the batch size, per dtype, and each dtype's speed.

    .venv/bin/python bench/batch_invariance.py [--model PATH_OR_ID] [--dtypes float32 bfloat16]
        [--problems 8] [--new-tokens 128] [--batch-sizes 1 8] [--threads N]

Greedy decoding of the first --problems problems of the bundled sample with the embedded
default model (SmolLM2-135M-Instruct, its chat template), once per dtype and batch size, through
the project's Generator (continuous batching). For each dtype it prints the useful tokens/s of
every batch size, whether each program parses (`ast.parse`), and how many programs differ from
the first batch size's. Not a test: timings are noisy on a shared machine.
"""
from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.config import GenerationConfig  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder or hub id (default: the embedded SmolLM2-135M)")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--problems", type=int, default=8)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--save", default=None, help="write the programs as JSON {dtype: {batch size: {problem: text}}}")
    args = parser.parse_args(argv)

    import torch

    from data import load_dataset
    from harness.generation.generator import Generator
    from harness.generation.model_loading import dtype_choice, load_model

    if args.threads:
        torch.set_num_threads(args.threads)
    problems = list(load_dataset(None).problems)[: args.problems]
    print(f"CPU native bfloat16 flags: {dtype_choice('auto', 'cpu')['native_bfloat16_flags'] or 'none'}; "
          f"torch threads {torch.get_num_threads()}; {len(problems)} problems, greedy, {args.new_tokens} new tokens")
    saved: dict[str, dict[int, dict[str, str]]] = {}
    for dtype in args.dtypes:
        loaded = load_model(GenerationConfig(model=args.model, dtype=dtype, device="cpu"))
        programs: dict[int, dict[str, str]] = {}
        for batch_size in args.batch_sizes:
            cfg = GenerationConfig(model=args.model, dtype=dtype, device="cpu", batch_size=batch_size,
                                   max_new_tokens=args.new_tokens)
            generator = Generator(loaded, cfg, progress=False)
            start = time.perf_counter()
            out = {c.problem_id: c for batch in generator.generate(problems) for c in batch}
            seconds = time.perf_counter() - start
            programs[batch_size] = {pid: c.completion for pid, c in out.items()}
            saved[dtype] = programs
            if args.save:
                Path(args.save).write_text(json.dumps(saved, indent=1))
            parses = sum(_parses(c.code) for c in out.values())
            tokens = sum(c.new_tokens for c in out.values())
            print(f"{dtype:9} batch {batch_size:3}: {tokens} tokens in {seconds:6.1f} s = {tokens / seconds:6.1f} tok/s; "
                  f"{parses}/{len(out)} programs parse")
        first = args.batch_sizes[0]
        for batch_size in args.batch_sizes[1:]:
            differ = sum(programs[first][p] != programs[batch_size].get(p) for p in programs[first])
            print(f"{dtype:9}: {differ} of {len(programs[first])} programs differ between batch {first} and batch {batch_size}")


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


if __name__ == "__main__":
    main()
