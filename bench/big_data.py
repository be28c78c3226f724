"""The harness's peak memory and wall time on synthetic APPS-shaped datasets of growing size.

Cases (--cases, all by default):
- evaluate: a codeparrot-style JSONL file of stdin/stdout problems whose test data sizes are
  heavy-tailed (Pareto, clipped at --max-mb; the first problem always holds the largest), with
  one program per problem that reads all of its input and prints how many tokens it holds (so
  every test's data crosses the sandbox and every program passes), judged by
  `run_eval.py evaluate --generations`;
- report: `run_eval.py report` (Markdown, with its bootstrap intervals) of that evaluate run;
- run: `run_eval.py run` with the tiny random GPT-Neo of tests/tiny_model.py on problems with
  ~--question-kb questions and one small test each (generation and judging of every problem:
  the prompts and the run's own bookkeeping are what grow here, not test data).
Each is a fresh process whose own peak RSS (VmHWM of that process alone, not of its sandbox
workers) and wall time are printed, with wall time per GB of test data for evaluate, so that
flat memory and linear time can be read off the table.

    .venv/bin/python bench/big_data.py                      # 250, 1,000 and 4,000 problems
    .venv/bin/python bench/big_data.py --sizes 250 --repo ../main   # another checkout (before/after)
    .venv/bin/python bench/big_data.py --cases run --sizes 250,1000
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


def measured(repo: Path, args: list[str]) -> tuple[float, float]:
    """(peak RSS in MB of the harness process, wall seconds) of `run_eval.py ARGS` in `repo`."""
    command = [sys.executable, "-c", MEASURED, *args]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True,
                          env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - start
    peak = next((int(line.split()[1]) / 1024 for line in done.stderr.splitlines() if line.startswith("PEAK_RSS_KB")), float("nan"))
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return peak, wall


def judge(repo: Path, data: Path, programs: Path, out: Path, workers: int) -> tuple[float, float]:
    return measured(repo, ["evaluate", "--generations", str(programs), "--dataset", str(data), "--out", str(out),
                           "--workers", str(workers)])


def report(repo: Path, run: Path) -> tuple[float, float]:
    return measured(repo, ["report", str(run), "--output", str(run / "bench-report.md")])


def write_prompt_dataset(folder: Path, count: int, question_kb: float, seed: int) -> Path:
    """Problems with ~question_kb of question text each and one tiny test: what `run` builds prompts from."""
    rng = random.Random(seed + 2)
    words = "read the array of n integers and print the minimum number of moves for each test case".split()
    path = folder / f"prompts-{count}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for pid in range(count):
            size = int(question_kb * 1024 * rng.uniform(0.5, 1.5))
            question = f"Problem {pid}. " + " ".join(rng.choice(words) for _ in range(size // 5))
            row = {"problem_id": pid, "question": question, "solutions": "[]", "difficulty": "interview", "url": "",
                   "starter_code": "", "input_output": json.dumps({"inputs": [f"{pid}\n"], "outputs": [f"{pid}\n"]})}
            out.write(json.dumps(row) + "\n")
    return path


def generate_and_judge(repo: Path, data: Path, out: Path, workers: int, model: Path) -> tuple[float, float]:
    return measured(repo, ["run", "--dataset", str(data), "--model", str(model), "--device", "cpu", "--dtype", "float32",
                           "--max-new-tokens", "4", "--batch-size", "64", "--workers", str(workers), "--timeout", "1",
                           "--out", str(out)])


def tiny_model() -> Path:
    sys.path.insert(0, str(REPO / "tests"))
    from tiny_model import tiny_models  # built in a temporary folder, removed at exit

    return tiny_models().random_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="250,1000,4000", help="problems per dataset, comma-separated")
    parser.add_argument("--cases", default="evaluate,report,run", help="which of evaluate, report (needs evaluate), run")
    parser.add_argument("--mean-kb", type=float, default=268.0, help="mean test data per problem (issue 20: 268 MB per 1,000)")
    parser.add_argument("--max-mb", type=float, default=8.0, help="largest problem's test data")
    parser.add_argument("--question-kb", type=float, default=2.0, help="mean question size of the run case's problems")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose run_eval.py runs (compare before/after)")
    parser.add_argument("--tmp", type=Path, default=None, help="where the datasets go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the datasets and run folders")
    args = parser.parse_args()
    cases = {c.strip() for c in args.cases.split(",") if c.strip()}
    if not cases <= {"evaluate", "report", "run"} or ("report" in cases and "evaluate" not in cases):
        raise SystemExit(f"--cases {args.cases}: choose among evaluate, report (with evaluate), run")
    repo = args.repo.resolve()
    folder = Path(tempfile.mkdtemp(prefix="big-data-", dir=args.tmp))
    model = tiny_model() if "run" in cases else None
    print(f"repo {repo}, {args.workers} workers, data in {folder}")
    print(f"{'case':>8} {'problems':>9} {'data MB':>8} {'peak RSS MB':>12} {'wall s':>8} {'s per GB':>9} {'problems/s':>11}")
    try:
        for count in (int(x) for x in args.sizes.split(",")):
            if "evaluate" in cases:
                data, programs, total = write_dataset(folder, count, args.mean_kb, args.max_mb, args.seed)
                run = folder / f"run-{count}"
                peak, wall = judge(repo, data, programs, run, args.workers)
                gb = total / 1e9
                print(f"{'evaluate':>8} {count:>9} {total / 1e6:>8.0f} {peak:>12.0f} {wall:>8.1f} {wall / gb:>9.1f} "
                      f"{count / wall:>11.1f}", flush=True)
                if not args.keep:
                    data.unlink()
                if "report" in cases:
                    peak, wall = report(repo, run)
                    print(f"{'report':>8} {count:>9} {'':>8} {peak:>12.0f} {wall:>8.1f} {'':>9} {count / wall:>11.1f}", flush=True)
            if "run" in cases:
                assert model is not None
                data = write_prompt_dataset(folder, count, args.question_kb, args.seed)
                questions = data.stat().st_size
                peak, wall = generate_and_judge(repo, data, folder / f"generated-{count}", args.workers, model)
                print(f"{'run':>8} {count:>9} {questions / 1e6:>8.1f} {peak:>12.0f} {wall:>8.1f} {'':>9} {count / wall:>11.1f}",
                      flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
