"""Benchmark: judging throughput when programs do not end, or sleep, before and after the
per-program budget and the spare workers.

    .venv/bin/python bench/judge_throughput.py [--workers N] [--sets references,model,mix]
                                               [--mix-size 40] [--no-before] [--no-early-stop] [--timeout 4]

Judges, through the harness's own Evaluation (both comparisons, APPS reruns included) on a
sandbox Executor, the programs of ../shared/apps-real:
  references  every reference solution of its 100 problems;
  model       its 63 real model programs (CodeRL samples);
  mix         the model programs and the first reference solution of each problem with more
              than one test, every 10th replaced by `while True: pass` and every 20th (from the
              5th) by a program that sleeps forever: 10% non-terminating, 5% sleeping.
Each set is judged "before" (no per-program budget, no spare workers: what the executor did
until now) and "after" (the defaults: budgets of 3 x --timeout CPU and 2 x the wall limit,
spare workers), and the mix also "after" with --stop-at-first-failure. Per run it prints
programs/s, the CPU-seconds the programs were charged (their tests' process trees, the same
figure as results.jsonl's cpu_s) per program, the wall time against charged CPU / cores (1.0:
no core idled), and the worst looping and sleeping program. Targets (issue 20): a looping
program <= 16 CPU-s, a sleeping one <= 45 s of wall, on the mix wall <= 1.3 x CPU / cores,
with the early stop a looping program costs one test's limit. Not a test: figures are noisy
on a shared machine; compare before/after of the same invocation.

Where the cores idle: a second line per run gives the core-seconds no worker used a CPU
(sampled every 0.1 s from the executor: workers holding a program that cpu_watch does not
see asleep), while programs waited in the queue and after the queue ran dry (the tail); and
the run's lower bound, max(charged CPU / cores, its longest test): no schedule ends before
its longest test (a sleeper's wall limit), so the wall ratio is also given against it, with
the longest program's elapsed time (from its first test to its result). The idle share is the
executor's own doing; on a loaded machine the rest of the gap is workers waiting for a CPU.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data import load_dataset  # noqa: E402
from harness.evaluation import Evaluation  # noqa: E402
from harness.records import Candidate, SampleResult  # noqa: E402
from sandbox import Executor, Limits  # noqa: E402
from sandbox.cpu_watch import tree_cpu_seconds  # noqa: E402

SHARED = REPO.parent / "shared" / "apps-real"
LOOP = "while True:\n    pass\n"
SLEEP = "import time\nwhile True:\n    time.sleep(1000)\n"


@dataclass
class Figures:
    name: str
    programs: int
    wall_s: float
    charged_cpu_s: float
    worker_cpu_s: float
    loop_cpu_s: list
    sleep_wall_s: list
    cores: int
    timeline: "Timeline"
    harness_cpu_s: float

    def line(self) -> str:
        per = self.charged_cpu_s / max(1, self.programs)
        ideal = self.charged_cpu_s / self.cores
        cells = [f"{self.name:<26}", f"{self.programs:5d} programs", f"{self.wall_s:8.1f} s wall",
                 f"{self.programs / self.wall_s:7.2f} programs/s", f"{per:6.3f} CPU-s/program charged",
                 f"(workers' trees {self.worker_cpu_s:7.1f} CPU-s)",
                 f"wall / (charged CPU / {self.cores} cores) = {self.wall_s / max(ideal, 1e-9):5.2f}"]
        if self.loop_cpu_s:
            cells.append(f"looping programs {' '.join(f'{x:.1f}' for x in sorted(self.loop_cpu_s))} CPU-s")
        if self.sleep_wall_s:
            cells.append(f"sleeping programs {' '.join(f'{x:.1f}' for x in sorted(self.sleep_wall_s))} s wall")
        t = self.timeline
        bound = max(ideal, t.longest_test_s)
        idle = (t.idle_queued + t.idle_tail) / max(self.cores * self.wall_s, 1e-9)
        cells.append(f"\n{'':<26}  cores idle {t.idle_queued:6.1f} core-s while programs were queued,"
                     f" {t.idle_tail:6.1f} core-s after the queue ran dry (from {t.tail_from:5.1f} s):"
                     f" {100 * idle:4.1f}% of cores x wall; the harness process itself {self.harness_cpu_s:5.1f} CPU-s"
                     f"  longest test {t.longest_test_s:5.1f} s, longest program {t.longest_program_s:5.1f} s"
                     f" from its first test to its result  wall / max(charged CPU / {self.cores} cores,"
                     f" longest test) = {self.wall_s / max(bound, 1e-9):5.2f}")
        return "  ".join(cells)


class Timeline:
    """Samples an executor every 0.1 s: how many of its workers use a CPU, whether programs
    wait in its queue, and when each program's first test began (its future running)."""

    PERIOD_S = 0.1

    def __init__(self, ex: Executor, cores: int) -> None:
        self.ex, self.cores = ex, cores
        self.futures: list = []
        self.began: dict = {}  # future -> when it was first seen running
        self.ended: dict = {}
        self.idle_queued = self.idle_tail = 0.0
        self.tail_from = 0.0
        self.longest_test_s = self.longest_program_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def submitted(self, future) -> None:
        self.futures.append(future)
        future.add_done_callback(lambda f: self.ended.setdefault(f, time.perf_counter()))

    def start(self) -> None:
        self.started = time.perf_counter()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for future in self.futures:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.longest_test_s = max([self.longest_test_s] + [r.wall_s for r in future.result().runs])
                if future in self.began:
                    self.longest_program_s = max(self.longest_program_s, self.ended[future] - self.began[future])

    def _run(self) -> None:
        ex, last = self.ex, time.perf_counter()
        while not self._stop.wait(self.PERIOD_S):
            now = time.perf_counter()
            with ex._lock:
                awake, queued = ex._awake(), bool(ex._pending)
            idle = max(0, self.cores - awake) * (now - last)
            if queued:
                self.idle_queued += idle
                self.tail_from = now - self.started
            else:
                self.idle_tail += idle
            for future in self.futures:
                if future not in self.began and (future.running() or future.done()):
                    self.began[future] = now
            last = now


def candidates(dataset, which: str, mix_size: int) -> list[Candidate]:
    if which == "references":
        return [Candidate(p.problem_id, i, code) for p in dataset.problems for i, code in enumerate(p.solutions)]
    model = [Candidate.from_json(row) for row in _jsonl(SHARED / "generations.jsonl")]
    if which == "model":
        return model
    base = model + [Candidate(p.problem_id, 1000, p.solutions[0]) for p in dataset.problems
                    if len(p.tests) > 1 and p.solutions]
    step = max(1, len(base) // mix_size)
    base = base[::step][:mix_size]
    mixed = []
    for n, cand in enumerate(base):
        code = LOOP if n % 10 == 9 else SLEEP if n % 20 == 4 else cand.code
        mixed.append(Candidate(cand.problem_id, cand.sample_index, code))
    return mixed


def _jsonl(path: Path) -> list[dict]:
    import json

    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def judge(name: str, dataset, cands: list[Candidate], limits: Limits, workers: int, spare: int | None,
          stop: bool) -> "tuple[Figures, list[SampleResult]]":
    results: list[SampleResult] = []
    with Executor(limits, workers, spare_workers=spare) as ex:
        timeline = Timeline(ex, workers)
        submit = ex.submit

        def timed_submit(request, on_run=None):
            future = submit(request, on_run)
            timeline.submitted(future)
            return future

        ex.submit = timed_submit
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        timeline.start()
        evaluation = Evaluation(ex, dataset.by_id(), results.append, stop_at_first_failure=stop)
        evaluation.submit_all(cands)
        evaluation.wait()
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        timeline.stop()
        worker_cpu = sum(cpu for cpu, _ in tree_cpu_seconds(
            {i: w.proc.pid for i, w in enumerate(ex._workers) if w.proc is not None}).values())
    code = {(c.problem_id, c.sample_index): c.code for c in cands}
    loops = [r.cpu_s for r in results if code[r.key] == LOOP]
    sleeps = [r.wall_s for r in results if code[r.key] == SLEEP]
    harness_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Figures(name, len(results), wall, sum(r.cpu_s for r in results), worker_cpu, loops, sleeps, workers,
                   timeline, harness_cpu), results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--sets", default="references,model,mix")
    parser.add_argument("--mix-size", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=4.0, help="CPU seconds per test (the default limit)")
    parser.add_argument("--no-before", action="store_true", help="skip the runs without budget and spare workers")
    parser.add_argument("--no-early-stop", action="store_true", help="skip the mix's run with the early stop")
    args = parser.parse_args()
    dataset = load_dataset(str(SHARED / "problems.jsonl"))
    before = Limits(timeout_s=args.timeout, program_cpu_s=0, program_wall_s=0)
    after = Limits(timeout_s=args.timeout)
    print(f"{args.workers} workers, timeout {args.timeout:g} s per test; budgets after: "
          f"{after.program_cpu_budget_s:g} CPU-s, {after.program_wall_budget_s:g} s wall per program; "
          f"load average {os.getloadavg()[0]:.1f} at start", flush=True)
    for which in args.sets.split(","):
        cands = candidates(dataset, which, args.mix_size)
        runs = [] if args.no_before else [(f"{which} before", before, 0, False)]
        runs.append((f"{which} after", after, None, False))
        if which == "mix" and not args.no_early_stop:
            runs.append((f"{which} after, early stop", after, None, True))
        verdicts = {}
        for name, limits, spare, stop in runs:
            figures, results = judge(name, dataset, cands, limits, args.workers, spare, stop)
            print(figures.line(), flush=True)
            if not stop:
                verdicts[name] = {r.key: (r.verdict, r.apps_verdict) for r in results}
        if len(verdicts) == 2 and which != "mix":
            first, second = verdicts.values()
            changed = sorted(k for k in first if first[k] != second.get(k))
            print(f"{which}: program verdicts (default, APPS) that differ before/after: {len(changed)} {changed[:10]}",
                  flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end; median of nothing: one run each, compare within a run",
          flush=True)


if __name__ == "__main__":
    main()
