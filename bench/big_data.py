"""The harness's peak memory and wall time judging synthetic APPS-shaped datasets of growing size.

Each dataset is a codeparrot-style JSONL file of stdin/stdout problems whose test data sizes
are heavy-tailed (Pareto, clipped at --max-mb; the first problem always holds the largest),
with one program per problem that reads all of its input and prints how many tokens it holds
(so every test's data crosses the sandbox and every program passes). Each size is judged by
`run_eval.py evaluate --generations` in a fresh process whose own peak RSS (VmHWM of that
process alone, not of its sandbox workers) and wall time are printed, with wall time per GB of
test data, so that flat memory and linear time can be read off the table.

    .venv/bin/python bench/big_data.py                      # 250, 1,000 and 4,000 problems
    .venv/bin/python bench/big_data.py --sizes 250 --repo ../main   # another checkout (before/after)
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROGRAM = "import sys\nprint(len(sys.stdin.buffer.read().split()))\n"
LINE_TOKENS = 4
# Runs the CLI in this process and prints its own peak RSS (kB, VmHWM since its exec) last: the
# harness alone, not its workers (ru_maxrss would also count the pages of the process it forked from).
MEASURED = (
    "import runpy, sys\n"
    "sys.argv = ['run_eval.py', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_path('run_eval.py', run_name='__main__')\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "else:\n"
    "    code = 0\n"
    "hwm = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')][0]\n"
    "print('PEAK_RSS_KB', hwm, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def problem_sizes(count: int, mean_kb: float, max_mb: float, seed: int) -> list[int]:
    """Bytes of test data per problem: Pareto (alpha 1.2) scaled to about `mean_kb`, clipped at max_mb."""
    rng = random.Random(seed)
    alpha, cap = 1.2, int(max_mb * (1 << 20))
    scale = mean_kb * 1024 * (alpha - 1) / alpha / 0.62  # the clip at 8 MB keeps about 62% of the unclipped mean
    sizes = [min(cap, int(scale * rng.paretovariate(alpha))) for _ in range(count)]
    sizes[0] = cap
    return sizes


def write_dataset(folder: Path, count: int, mean_kb: float, max_mb: float, seed: int) -> tuple[Path, Path, int]:
    """(dataset file, programs file, bytes of test data)."""
    rng = random.Random(seed + 1)
    pool = [" ".join(str(rng.randrange(10**8, 10**9)) for _ in range(LINE_TOKENS)) + "\n" for _ in range(4096)]
    block, line_bytes = "".join(pool), len(pool[0])  # every line has the same length
    data, programs = folder / f"big-{count}.jsonl", folder / f"programs-{count}.jsonl"
    total = 0
    with data.open("w", encoding="utf-8") as out, programs.open("w", encoding="utf-8") as progs:
        for pid, size in enumerate(problem_sizes(count, mean_kb, max_mb, seed)):
            tests = 1 + pid % 8
            inputs, outputs = [], []
            for t in range(tests):
                lines = max(1, size // tests // line_bytes)
                start = (pid * 7 + t) % len(pool)
                body = block[start * line_bytes:] + block * (lines // len(pool)) + block[:start * line_bytes]
                text = f"{pid} {t}\n" + body[:lines * line_bytes]
                inputs.append(text)
                outputs.append(f"{2 + LINE_TOKENS * lines}\n")
                total += len(text)
            row = {"problem_id": pid, "question": f"Count the tokens of the input ({pid}).", "solutions": "[]",
                   "input_output": json.dumps({"inputs": inputs, "outputs": outputs}), "difficulty": "interview",
                   "url": "", "starter_code": ""}
            out.write(json.dumps(row) + "\n")
            progs.write(json.dumps({"problem_id": pid, "sample_index": 0, "code": PROGRAM}) + "\n")
    return data, programs, total


def judge(repo: Path, data: Path, programs: Path, out: Path, workers: int) -> tuple[float, float, str]:
    """(peak RSS in MB of the harness process, wall seconds, the last lines of its stderr)."""
    command = [sys.executable, "-c", MEASURED, "evaluate", "--generations", str(programs), "--dataset", str(data),
               "--out", str(out), "--workers", str(workers)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True, env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"})
    wall = time.perf_counter() - start
    peak = next((int(line.split()[1]) / 1024 for line in done.stderr.splitlines() if line.startswith("PEAK_RSS_KB")), float("nan"))
    if done.returncode != 0:
        raise SystemExit(f"evaluate failed ({done.returncode}): {done.stderr[-2000:]}")
    return peak, wall, done.stderr[-600:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="250,1000,4000", help="problems per dataset, comma-separated")
    parser.add_argument("--mean-kb", type=float, default=268.0, help="mean test data per problem (issue 20: 268 MB per 1,000)")
    parser.add_argument("--max-mb", type=float, default=8.0, help="largest problem's test data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose run_eval.py judges (compare before/after)")
    parser.add_argument("--tmp", type=Path, default=None, help="where the datasets go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the datasets and run folders")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="big-data-", dir=args.tmp))
    print(f"repo {args.repo.resolve()}, {args.workers} workers, data in {folder}")
    print(f"{'problems':>9} {'data MB':>8} {'peak RSS MB':>12} {'wall s':>8} {'s per GB':>9} {'problems/s':>11}")
    try:
        for count in (int(x) for x in args.sizes.split(",")):
            data, programs, total = write_dataset(folder, count, args.mean_kb, args.max_mb, args.seed)
            peak, wall, _ = judge(args.repo.resolve(), data, programs, folder / f"run-{count}", args.workers)
            gb = total / 1e9
            print(f"{count:>9} {total / 1e6:>8.0f} {peak:>12.0f} {wall:>8.1f} {wall / gb:>9.1f} {count / wall:>11.1f}", flush=True)
            if not args.keep:
                data.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
