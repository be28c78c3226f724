"""Scale run of the Ray backend: many small synthetic programs on a local multi-node cluster.

    .venv/bin/python bench/ray_scale.py [--problems 1000] [--samples 100] [--tests 3] [--nodes 2] [--keep DIR]

Builds a dataset of `problems` tiny stdio problems (`tests` tests each) and `problems x samples`
programs, starts a local Ray cluster (`nodes` nodes on 127.0.0.1, 1 CPU each; not counted), and
judges everything with `run_eval.py evaluate --executor ray` as a child process. Prints the
throughput (programs/s) in each tenth of the run (flat, not decaying, is the goal), the driver's
peak RSS (VmHWM of the driver process), and the time to resume the finished run (nothing left:
no cluster work starts). `--keep DIR` writes the inputs and the run folder there and keeps them.
Not a test: figures are noisy on a shared machine.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROGRAM = "print(int(input()) * 2)\n"


def write_inputs(folder: Path, problems: int, samples: int, tests: int) -> tuple[Path, Path]:
    dataset, programs = folder / "problems.jsonl", folder / "programs.jsonl"
    with open(dataset, "w") as d, open(programs, "w") as p:
        for i in range(problems):
            pid = f"syn{i:05d}"
            io = {"inputs": [f"{i + t}\n" for t in range(tests)], "outputs": [f"{2 * (i + t)}\n" for t in range(tests)]}
            d.write(json.dumps({"problem_id": pid, "question": "double it", "difficulty": "introductory",
                                "input_output": json.dumps(io), "solutions": json.dumps([PROGRAM])}) + "\n")
            for s in range(samples):
                p.write(json.dumps({"problem_id": pid, "sample_index": s, "code": PROGRAM}) + "\n")
    return dataset, programs


def lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set so far (VmHWM), MB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--tests", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--sample-every", type=float, default=2.0, help="seconds between progress samples")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR", help="write inputs and run folder here and keep them")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from harness.execution.ray_backend import import_ray

    ray = import_ray()
    from ray.cluster_utils import Cluster

    total = args.problems * args.samples
    with tempfile.TemporaryDirectory(prefix="ray-scale-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        dataset, programs = write_inputs(folder, args.problems, args.samples, args.tests)
        local = {"node_ip_address": "127.0.0.1", "num_cpus": 1}
        t = time.perf_counter()
        cluster = Cluster(initialize_head=True, head_node_args={**local, "include_dashboard": False})
        for _ in range(args.nodes - 1):
            cluster.add_node(**local)
        cluster.wait_for_nodes()
        print(f"{total} programs ({args.problems} problems x {args.samples} samples, {args.tests} tests each),"
              f" {args.nodes} nodes x 1 CPU; cluster start {time.perf_counter() - t:.1f} s (not counted)")
        out = folder / "run"
        command = [sys.executable, str(REPO / "run_eval.py"), "evaluate", "--dataset", str(dataset), "--generations",
                   str(programs), "--executor", "ray", "--ray-address", cluster.address, "--ray-workers", "1",
                   "--out", str(out)]
        try:
            started = time.perf_counter()
            child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples = [(0.0, 0)]
            peak_mb = 0.0
            while child.poll() is None:
                time.sleep(args.sample_every)
                samples.append((time.perf_counter() - started, lines(out / "results.jsonl")))
                peak_mb = max(peak_mb, peak_rss_mb(child.pid) or 0.0)
            wall = time.perf_counter() - started
            peak_mb = max(peak_mb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
            done = lines(out / "results.jsonl")
            print(f"exit {child.returncode}; {done} results in {wall:.1f} s: {done / wall:.1f} programs/s overall"
                  " (driver start, dataset load and actor start included)")
            first = next((i for i, (_, n) in enumerate(samples) if n > 0), len(samples) - 1)
            last = next(i for i, (_, n) in enumerate(samples) if n == samples[-1][1])  # the first sample with every result
            active = samples[first:last + 1]  # from the first result to the last: judging only
            tenth = max(1, len(active) // 10)
            rates = []
            for i in range(0, len(active) - tenth, tenth):
                (t0, n0), (t1, n1) = active[i], active[i + tenth]
                rates.append((n1 - n0) / (t1 - t0))
            print("programs/s per tenth of the run: " + ", ".join(f"{r:.0f}" for r in rates))
            print(f"driver peak RSS {peak_mb:.0f} MB (target < 300)")
            t = time.perf_counter()
            again = subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"resume of the finished run: {time.perf_counter() - t:.2f} s, exit {again.returncode} (target < 5 s)")
        finally:
            ray.shutdown()
            cluster.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
