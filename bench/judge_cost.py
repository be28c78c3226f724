"""Benchmark: the judge's own CPU time for outputs at the cap shaped to make comparing costly.

    .venv/bin/python bench/judge_cost.py [--cap-kb 4096] [--repeat 3] [--code DIR]

Runs tests/hostile/costly_output.py through the real Executor once per shape (the output just
under the cap), then times judging each output against a small expected answer (and, for
"float_ones", against an expected answer as large as the output) under the default and the
APPS rule: the median CPU seconds of --repeat judgements each. --code DIR judges with the
comparator of another checkout (e.g. main before a change) for before/after figures; the
programs still run through this checkout's executor. Not a test: figures depend on the machine.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sandbox import ExecutionRequest, Executor, Limits, RunStatus, TestKind  # noqa: E402

# shape -> expected answers it is judged against ("BIG" stands for "1 " as many times as the output has tokens)
SHAPES = {
    "distinct_int_lines": ["1\n2\n3\n"],
    "distinct_int_tokens": ["0 1 2\n"],
    "huge_float_lines": ["1e300\n"],
    "huge_float_tokens": ["1.5e300\n"],
    "tiny_floats_lines": ["0.0\n"],
    "tiny_floats_tokens": ["0.0\n"],
    "tiny_float_pairs": ["0 1\n"],
    "shuffled_lines": ["1 2\n", "1 2\n2\n"],
    "float_ones": ["1\n", "BIG"],
    "long_number_tokens": ["0.3333\n"],
    "spaces_and_cr": ["7\n"],
}


def comparators(code: Path | None):
    """(stdout_equal, apps_stdout_equal) of this checkout, or of the checkout at `code`."""
    if code is None:
        from sandbox import compare
    else:  # imported under another package name, beside this checkout's sandbox
        spec = importlib.util.spec_from_file_location("other_sandbox", code / "sandbox" / "__init__.py",
                                                      submodule_search_locations=[str(code / "sandbox")])
        package = importlib.util.module_from_spec(spec)
        sys.modules["other_sandbox"] = package
        spec.loader.exec_module(package)
        compare = importlib.import_module("other_sandbox.compare")
    return compare.stdout_equal, compare.apps_stdout_equal


def cpu_median(fn, got: str, expected: str, repeat: int) -> tuple[float, bool]:
    times, verdict = [], None
    for _ in range(repeat):
        started = time.process_time()
        verdict = fn(got, expected)
        times.append(time.process_time() - started)
    return statistics.median(times), verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap-kb", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--code", type=Path, help="judge with the comparator of this checkout")
    args = parser.parse_args()
    cap = args.cap_kb * 1024
    stdout_equal, apps_stdout_equal = comparators(args.code)
    program = (REPO / "tests" / "hostile" / "costly_output.py").read_text()
    with Executor(Limits(timeout_s=20, memory_mb=512, max_output_bytes=cap), workers=1) as ex:
        runs = {shape: ex.submit(ExecutionRequest(program, TestKind.STDIO, (f"{shape} {cap}",))).result()
                for shape in SHAPES}
    print(f"comparator: {args.code or REPO}; output cap {cap} bytes; median CPU s of {args.repeat}")
    print(f"{'shape':22s} {'expected':12s} {'default s':>9s} {'APPS s':>8s}  verdicts")
    worst = {"default": 0.0, "APPS": 0.0}
    for shape, expecteds in SHAPES.items():
        run = runs[shape].runs[0]
        assert run.status == RunStatus.OK, (shape, run.status, run.detail)
        for expected in expecteds:
            if expected == "BIG":
                expected = "1 " * len(run.output.split())
            default_s, default_ok = cpu_median(stdout_equal, run.output, expected, args.repeat)
            apps_s, apps_ok = cpu_median(apps_stdout_equal, run.output, expected, args.repeat)
            worst["default"], worst["APPS"] = max(worst["default"], default_s), max(worst["APPS"], apps_s)
            label = expected.strip()[:10] if len(expected) < 100 else f"{len(expected) >> 10} KB"
            print(f"{shape:22s} {label!r:12s} {default_s:9.3f} {apps_s:8.3f}  "
                  f"{'pass' if default_ok else 'fail'}/{'pass' if apps_ok else 'fail'}", flush=True)
    print(f"worst: default {worst['default']:.3f} s, APPS {worst['APPS']:.3f} s")


if __name__ == "__main__":
    main()
