"""Benchmark: do verdicts depend on machine load? Judges the real APPS programs twice.

    .venv/bin/python bench/load_stability.py [--data ../shared/apps-real] [--workers 2] [--hogs 6]

Judges the 835 reference programs and the 63 model programs of ../shared/apps-real on the
machine as it is, then again while --hogs busy-loop processes compete for the CPUs, each in
a session of its own (os.setsid, as other users' jobs are: the kernel's autogroups would
otherwise shield the workers from them). Prints how many programs' verdicts changed (the
goal is 0) and the timings of both rounds. Not a test: the figures depend on the machine.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sandbox import ExecutionRequest, Executor, Limits, TestCase, TestKind, judge, program_verdict  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "apps-real"
HOG = "import os\nos.setsid()\nwhile True:\n    pass\n"


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _joined(value) -> str:
    return "\n".join(value) if isinstance(value, list) else value


def load(data: Path) -> list[tuple[str, str, tuple[TestCase, ...], str | None]]:
    """(label, program, tests, fn_name) for every reference and model program with original verdicts."""
    problems = {}
    for row in _jsonl(data / "problems.jsonl"):
        io = json.loads(row["input_output"])
        fn = io.get("fn_name")
        kind = TestKind.CALL if fn else TestKind.STDIO
        tests = tuple(TestCase(i, kind, json.dumps(x) if fn else _joined(x), json.dumps(y) if fn else _joined(y))
                      for i, (x, y) in enumerate(zip(io["inputs"], io["outputs"])))
        problems[row["problem_id"]] = (tests, fn, json.loads(row["solutions"]) if row["solutions"] else [])
    programs = []
    for row in _jsonl(data / "reference_verdicts.jsonl"):
        tests, fn, solutions = problems[row["problem_id"]]
        programs.append((f"{row['problem_id']} #{row['solution_index']}", solutions[row["solution_index"]], tests, fn))
    samples = {(r["problem_id"], r["sample_index"]): r["code"] for r in _jsonl(data / "generations.jsonl")}
    for row in _jsonl(data / "generation_verdicts.jsonl"):
        tests, fn, _ = problems[row["problem_id"]]
        programs.append((f"{row['problem_id']} sample {row['sample_index']}",
                         samples[row["problem_id"], row["sample_index"]], tests, fn))
    return programs


def judge_all(programs, workers: int, limits: Limits) -> tuple[list[tuple], float, list[float]]:
    """Per program: (program verdict, per-test default verdicts); the wall time; every test's wall time."""
    started = time.perf_counter()
    with Executor(limits, workers=workers) as ex:
        futures = [ex.submit(ExecutionRequest(code, tests[0].kind, tuple(t.input for t in tests), fn))
                   for _, code, tests, fn in programs]
        runs = [f.result() for f in futures]
    wall = time.perf_counter() - started
    verdicts = []
    for (_, _, tests, _), run in zip(programs, runs):
        judged = judge(tests, run)
        verdicts.append((program_verdict(judged.default).value, tuple(v.verdict.value for v in judged.default)))
    return verdicts, wall, [r.wall_s for run in runs for r in run.runs]


def start_hogs(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", HOG], stdin=subprocess.DEVNULL) for _ in range(n)]


def stop_hogs(hogs: list[subprocess.Popen]) -> None:
    for hog in hogs:
        try:
            os.kill(hog.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        hog.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hogs", type=int, default=6, help="busy-loop processes, each in its own session")
    parser.add_argument("--timeout", type=float, default=Limits().timeout_s, help="CPU seconds per test")
    args = parser.parse_args(argv)
    if not (args.data / "problems.jsonl").is_file():
        print(f"load_stability: {args.data}/problems.jsonl not found (pass --data)", file=sys.stderr)
        return 2
    programs = load(args.data)
    limits = Limits(timeout_s=args.timeout)
    print(f"{len(programs)} programs, {sum(len(p[2]) for p in programs)} tests, {args.workers} workers,"
          f" {os.cpu_count()} CPUs; limits: {limits.timeout_s:g} s CPU, {limits.effective_wall_s:g} s wall per test")
    quiet, quiet_wall, quiet_tests = judge_all(programs, args.workers, limits)
    hogs = start_hogs(args.hogs)
    try:
        time.sleep(0.5)
        loaded, loaded_wall, loaded_tests = judge_all(programs, args.workers, limits)
    finally:
        stop_hogs(hogs)
    changed = [(label, a, b) for (label, *_), a, b in zip(programs, quiet, loaded) if a != b]
    for name, verdicts, wall, tests in (("quiet", quiet, quiet_wall, quiet_tests),
                                        (f"{args.hogs} busy loops", loaded, loaded_wall, loaded_tests)):
        counts = collections.Counter(v[0] for v in verdicts)
        print(f"{name:>14}: {wall:7.1f} s wall; slowest test {max(tests):6.2f} s wall; verdicts {dict(counts)}")
    print(f"programs whose verdict changed under load: {len(changed)}")
    for label, a, b in changed:
        print(f"  {label}: {a[0]} -> {b[0]} (tests {a[1]} -> {b[1]})")
    return 0 if not changed else 1


if __name__ == "__main__":
    sys.exit(main())
