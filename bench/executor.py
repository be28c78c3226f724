"""Benchmark: the isolated executor against the pure cost of running the same programs.

    .venv/bin/python bench/executor.py [--workers 2] [--problems PATH] [--max-solutions 10]
    .venv/bin/python bench/executor.py --executor ray   # the Ray backend against the local executor
    .venv/bin/python bench/executor.py --overhead       # where the executor's own cost goes

Runs the first N reference solutions of every problem in ../shared/apps-real/problems.jsonl
through sandbox.Executor, then measures the "pure execution limit": the same programs run
once per test inside ONE warm interpreter with no isolation at all (stdin swapped, stdout
captured, compile once per program), total time divided by the number of workers; and the
fastest honest pure run: the same with the APPS import header, but a call-based program
executed once and its function called per test (as the original APPS code runs it). The ratio
wall / limit is the executor's overhead factor. The executor also runs every program once more in
the APPS environment (ExecutionRequest.apps_environment), where a call-based program's module is
loaded once per test process and its function called per test: the fastest run's semantics, so
that ratio compares like with like (the default run gives each test a fresh module). The programs
whose two pure runs differ most are printed: what the semantics, not the sandbox, cost. Dividing by the number of workers assumes the
machine runs that many programs at once as fast as one; it also prints the same pure run
spread over that many interpreters on a CPU each (tests shared out one at a time), whose wall
time shows what running them at once costs without any sandbox. Not a test: figures are noisy
on a shared box.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PROBLEMS = REPO.parent / "shared" / "apps-real" / "problems.jsonl"


def load_programs(path: Path, max_solutions: int) -> list[tuple[str, int, str, str, list[str], str | None]]:
    """(problem_id, solution_index, program, kind, inputs, fn_name) for every reference program."""
    programs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            io_spec = json.loads(row["input_output"]) if row.get("input_output") else {}
            solutions = json.loads(row["solutions"]) if row.get("solutions") else []
            fn_name = io_spec.get("fn_name")
            if fn_name:
                inputs = [json.dumps(args) for args in io_spec.get("inputs", [])]
            else:
                inputs = ["\n".join(x) if isinstance(x, list) else x for x in io_spec.get("inputs", [])]
            if not inputs:
                continue
            for i, program in enumerate(solutions[:max_solutions]):
                programs.append((row["problem_id"], i, program, "call" if fn_name else "stdio", inputs, fn_name))
    return programs


def run_executor(programs, workers: int, timeout_s: float, apps_environment: bool = False) -> dict:
    sys.path.insert(0, str(REPO))
    from sandbox import ExecutionRequest, Executor, Limits, TestKind

    t0 = time.perf_counter()
    with Executor(Limits(timeout_s=timeout_s), workers=workers) as ex:
        started, host0 = time.perf_counter(), time.process_time()
        cpu0 = _worker_cpu(ex)
        futures = [ex.submit(ExecutionRequest(p, TestKind(kind), tuple(inputs), fn, apps_environment=apps_environment))
                   for _, _, p, kind, inputs, fn in programs]
        runs = [f.result() for f in futures]
        done, host_cpu = time.perf_counter(), time.process_time() - host0
        cpu = _worker_cpu(ex) - cpu0
    statuses = collections.Counter(r.status.value for run in runs for r in run.runs)
    return {"startup": started - t0, "wall": done - started, "cpu": cpu, "host_cpu": host_cpu, "statuses": dict(statuses),
            "wrapped": sum(run.wrapped for run in runs)}


def run_ray(programs, workers: int, timeout_s: float) -> dict:
    """The same programs through the Ray backend: a local Ray instance on 127.0.0.1 with `workers`
    CPUs, one sandbox actor with `workers` workers. Cluster and actor start are not counted."""
    sys.path.insert(0, str(REPO))
    from harness.execution.ray_backend import PER_WORKER_DEPTH, RayExecutor
    from sandbox import ExecutionRequest, Limits, TestKind

    t0 = time.perf_counter()
    with RayExecutor(Limits(timeout_s=timeout_s), workers=workers) as ex:
        before = ex.actor_stats()
        started, cpu0 = time.perf_counter(), time.process_time()
        requests = [ExecutionRequest(p, TestKind(kind), tuple(inputs), fn) for _, _, p, kind, inputs, fn in programs]
        futures = [ex.submit(r) for r in requests]
        runs = [f.result() for f in futures]
        done, driver_cpu = time.perf_counter(), time.process_time() - cpu0
        after = ex.actor_stats()
    statuses = collections.Counter(r.status.value for run in runs for r in run.runs)
    pickling_s, pickled = _pickling(requests, runs)
    return {"startup": started - t0, "wall": done - started, "driver_cpu": driver_cpu, "statuses": dict(statuses),
            "actor_cpu": sum(a.cpu_s for a in after) - sum(b.cpu_s for b in before),
            "actor_executor_s": sum(a.executor_s for a in after) - sum(b.executor_s for b in before),
            "pickling_s": pickling_s, "pickled_bytes": pickled, "depth": PER_WORKER_DEPTH}


def _pickling(requests, runs) -> tuple[float, int]:
    """Seconds and bytes to pickle and unpickle every request and run once (what crossing to an actor costs,
    once each way, at the least; Ray pickles arguments and results with cloudpickle's protocol 5)."""
    import pickle

    started, size = time.perf_counter(), 0
    for value in (*requests, *runs):
        data = pickle.dumps(value, protocol=5)
        pickle.loads(data)
        size += len(data)
    return time.perf_counter() - started, size


def compare_ray(programs, args) -> int:
    locals_, rays = [], []
    for _ in range(args.rounds):
        locals_.append(run_executor(programs, args.workers, args.timeout))
        rays.append(run_ray(programs, args.workers, args.timeout))
    local, ray = min(locals_, key=lambda r: r["wall"]), min(rays, key=lambda r: r["wall"])
    n = len(programs)
    local_rounds = ", ".join(f"{r['wall']:.2f}" for r in locals_)
    ray_rounds = ", ".join(f"{r['wall']:.2f}" for r in rays)
    print(f"{n} programs, {args.workers} workers (local: one executor; ray: one actor on a local instance)")
    print(f"local executor wall    {local['wall']:8.3f} s   (rounds: {local_rounds})")
    print(f"ray backend wall       {ray['wall']:8.3f} s   (rounds: {ray_rounds};"
          f" cluster + actor start {ray['startup']:.1f} s, not counted)")
    print(f"ratio ray / local      {ray['wall'] / local['wall']:8.2f}   (target <= 1.3)")
    print(f"overhead per program   {1000 * (ray['wall'] - local['wall']) / n * args.workers:8.2f} ms of a worker slot")
    print(f"driver CPU per program {1000 * ray['driver_cpu'] / n:8.2f} ms   (submit, Ray task dispatch, pickling, result fetch)")
    print(f"  local host side      {1000 * local['host_cpu'] / n:8.2f} ms   (CPU of the local executor's own threads, for comparison)")
    print(f"actor CPU per program  {1000 * ray['actor_cpu'] / n:8.2f} ms   (Ray core worker, asyncio, and the sandbox executor's host side)")
    print(f"  of it Ray's share    {1000 * (ray['actor_cpu'] - local['host_cpu']) / n:8.2f} ms   (actor CPU less the local host side)")
    print(f"pickling per program   {1000 * ray['pickling_s'] / n:8.2f} ms   (request + run, dumps + loads once;"
          f" {ray['pickled_bytes'] / n / 1024:.1f} KiB per program)")
    slots = ray["wall"] * args.workers * ray["depth"]  # program-seconds of in-flight room at the actor
    print(f"in the actor's executor {100 * ray['actor_executor_s'] / slots:6.1f} % of the in-flight room"
          f" ({ray['depth']} programs per worker; the rest: Ray transport, the driver's polling, refilling)")
    same = local["statuses"] == ray["statuses"]
    print(f"statuses equal: {same}; local {local['statuses']}; ray {ray['statuses']}")
    return 0


def _worker_cpu(ex) -> float:
    """CPU seconds used so far by the workers' process trees: every live process of each (the
    worker, its namespace init, the zygote that forks the test processes, a live test process),
    each with the CPU time of the children it reaped."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for worker in ex._workers:
        if worker.proc is None:  # a spare worker never started
            continue
        tree = [str(worker.proc.pid)]
        try:
            for pid in tree:
                tree += _children(pid)
                total += sum(int(x) for x in _stat(pid)[11:15]) / tick
        except OSError:
            return float("nan")
    return total


def _children(pid) -> list[str]:
    return open(f"/proc/{pid}/task/{pid}/children").read().split()


def _stat(pid) -> list[str]:
    """The fields of /proc/PID/stat after the command name (utime is [11], minflt [7])."""
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()


def overhead(rounds: int, timeout_s: float) -> int:
    """The executor's own cost, on a program that costs next to nothing itself (`print(input())`):
    per program of one test and per further test (from programs of 30 tests), through one
    worker. CPU time of the worker's server process, of its zygote (which forks the test
    processes, where there is one), of its test processes (their reaped children) and of the
    harness process; page faults of the server, of the zygote and of the rest of the machine
    (the test processes, on an otherwise idle machine). Median of the rounds."""
    sys.path.insert(0, str(REPO))
    from sandbox import ExecutionRequest, Executor, Limits, TestKind

    per = {}
    with Executor(Limits(timeout_s=timeout_s), workers=1) as ex:
        server = _server_pid(ex)
        zygote = (_children(server) or [None])[0]
        for tests, count in ((1, 300), (30, 60)):
            samples = []
            for r in range(rounds):
                before = _costs(server, zygote)
                futures = [ex.submit(ExecutionRequest(f"print(input())\n# {tests} {r} {k}\n", TestKind.STDIO,
                                                      ("5",) * tests)) for k in range(count)]
                statuses = {run.status.value for f in futures for run in f.result().runs}
                if statuses != {"ok"}:
                    raise SystemExit(f"unexpected statuses {statuses}")
                samples.append([(b - a) / count for a, b in zip(before, _costs(server, zygote))])
            per[tests] = [statistics.median(column) for column in zip(*samples)]
    further = [(many - one) / 29 for one, many in zip(per[1], per[30])]
    print(f"executor overhead: programs `print(input())` through 1 worker, median of {rounds} round(s)")
    print(f"{'':26s}{'server CPU':>12s}{'zygote CPU':>12s}{'test procs CPU':>16s}{'harness CPU':>13s}"
          f"{'server faults':>15s}{'zygote faults':>15s}{'other faults':>14s}")
    for name, row in (("per program (1 test)", per[1]), ("per further test", further)):
        server_cpu, zygote_cpu, tests_cpu, harness_cpu, server_faults, zygote_faults, machine, own = row
        print(f"{name:26s}{1000 * server_cpu:9.2f} ms{1000 * zygote_cpu:9.2f} ms{1000 * tests_cpu:13.2f} ms"
              f"{1000 * harness_cpu:10.2f} ms{server_faults:15.0f}{zygote_faults:15.0f}"
              f"{machine - server_faults - zygote_faults - own:14.0f}")
    return 0


def _server_pid(ex) -> int:
    """The worker's serving process: its namespace init (the worker's child), else the worker itself."""
    pid = ex._workers[0].proc.pid
    children = _children(pid)
    return int(children[0]) if children else pid


def _costs(server: int, zygote: "int | None") -> tuple:
    """(server CPU s, zygote CPU s, their reaped children's CPU s, this process's CPU s, server
    faults, zygote faults, faults of the whole machine, this process's faults)."""
    tick = os.sysconf("SC_CLK_TCK")
    fields, own = _stat(server), _stat("self")
    zfields = _stat(zygote) if zygote is not None else ["0"] * 15
    machine = next(int(line.split()[1]) for line in open("/proc/vmstat") if line.startswith("pgfault "))
    return ((int(fields[11]) + int(fields[12])) / tick, (int(zfields[11]) + int(zfields[12])) / tick,
            sum(int(f[13]) + int(f[14]) for f in (fields, zfields)) / tick,
            time.process_time(), int(fields[7]), int(zfields[7]), machine, int(own[7]))


class _Alarm(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Alarm()


_candidate = None


def pure_limit(programs, timeout_s: float) -> tuple[float, dict, dict]:
    """Seconds to run everything in this interpreter, no isolation (used in a clean child); the
    outcomes; seconds per program ("problem_id#index")."""
    total = 0.0
    outcomes = collections.Counter()
    each = {}
    with _quiet_stdio():
        for problem_id, index, program, kind, inputs, fn_name in programs:
            before = total
            t = time.perf_counter()
            prepared = _candidate.prepare(program, kind == "stdio")
            total += time.perf_counter() - t
            if prepared.code is not None:
                for text in inputs:
                    t = time.perf_counter()
                    outcomes[_pure_test(prepared, kind, fn_name, text, timeout_s)] += 1
                    total += time.perf_counter() - t
            each[f"{problem_id}#{index}"] = total - before
    return total, dict(outcomes), each


def pure_fastest(programs, timeout_s: float) -> tuple[float, dict]:
    """Seconds for the fastest honest pure run, in one warm interpreter: the APPS import header
    and a stdin program executed per test, a call-based program executed once and its function
    called per test (as the original APPS code does), no isolation, no state reset; seconds per
    program ("problem_id#index")."""
    total = 0.0
    each = {}
    with _quiet_stdio():
        import typing

        for problem_id, index, program, kind, inputs, fn_name in programs:
            before = total
            t = time.perf_counter()
            prepared = _candidate.prepare(program, kind == "stdio", apps_environment=True)
            fn = None
            if prepared.code is not None and kind != "stdio":
                namespace = {"__name__": "solution", **{n: getattr(typing, n) for n in _candidate.TYPING_NAMES}}
                signal.setitimer(signal.ITIMER_REAL, timeout_s)
                try:
                    exec(prepared.header, namespace)
                    exec(prepared.code, namespace)
                    fn = _candidate._find_function(namespace, fn_name)
                except BaseException:  # noqa: BLE001 - a benchmark of arbitrary programs
                    pass
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            total += time.perf_counter() - t
            if prepared.code is not None and (kind == "stdio" or fn is not None):
                for text in inputs:
                    t = time.perf_counter()
                    _fastest_test(prepared, kind, fn, text, timeout_s)
                    total += time.perf_counter() - t
            each[f"{problem_id}#{index}"] = total - before
    return total, each


def _fastest_test(prepared, kind: str, fn, text: str, timeout_s: float) -> None:
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        if kind == "stdio":
            sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8", "surrogatepass")), encoding="utf-8")
            sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
            namespace = {"__name__": "__main__"}
            exec(prepared.header, namespace)
            exec(prepared.code, namespace)
            sys.stdout.flush()
        else:
            args = json.loads(text)
            json.dumps(fn(*args) if isinstance(args, list) else fn(args), default=_candidate._jsonable)
    except BaseException:  # noqa: BLE001 - a benchmark of arbitrary programs (SystemExit, _Alarm included)
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def pure_parallel(programs, workers: int, timeout_s: float) -> float:
    """Wall seconds for `workers` forks of this (clean) interpreter, each on a CPU of its own,
    that share the tests out one at a time (the next test in order to whoever is free), with no
    isolation: the pure limit including what running `workers` at once costs the machine itself
    (caches, memory bandwidth, a VM's vCPUs sharing a core)."""
    import multiprocessing  # a counter in shared memory, with its lock

    tests = [(p, t) for p, program in enumerate(programs) for t in range(len(program[4]))]
    counter = multiprocessing.Value("q", 0)
    cpus = sorted(os.sched_getaffinity(0))
    started, pids = time.perf_counter(), []
    for k in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                if workers <= len(cpus):
                    os.sched_setaffinity(0, {cpus[k]})
                _pure_share(programs, tests, counter, timeout_s)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return time.perf_counter() - started


def _pure_share(programs, tests, counter, timeout_s: float) -> None:
    compiled = {}
    with _quiet_stdio():
        while True:
            with counter.get_lock():
                i = counter.value
                counter.value = i + 1
            if i >= len(tests):
                return
            p, t = tests[i]
            _, _, program, kind, inputs, fn_name = programs[p]
            if p not in compiled:  # once per program and process, as a test process compiles it
                compiled[p] = _candidate.prepare(program, kind == "stdio")
            if compiled[p].code is not None:
                _pure_test(compiled[p], kind, fn_name, inputs[t], timeout_s)


@contextlib.contextmanager
def _quiet_stdio():
    """stdout and stderr to /dev/null (fds and sys streams) while the pure runs print."""
    global _candidate
    sys.path.insert(0, str(REPO / "sandbox" / "inside"))  # as the worker imports it: top-level modules
    import candidate as _candidate

    signal.signal(signal.SIGALRM, _on_alarm)
    streams, saved = (sys.stdin, sys.stdout), (os.dup(0), os.dup(1), os.dup(2))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stdin, sys.stdout = streams
        for fd, copy in enumerate(saved):
            os.dup2(copy, fd)
            os.close(copy)


def _pure_test(prepared, kind: str, fn_name: str | None, text: str, timeout_s: float) -> str:
    """Run one test with stdin swapped and stdout captured; how it ended."""
    data = text.encode("utf-8", "surrogatepass")
    memfd = os.memfd_create("in")
    os.write(memfd, data)
    os.lseek(memfd, 0, 0)
    os.dup2(memfd, 0)
    os.close(memfd)
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        _run_pure(prepared, kind, fn_name, text)
        return "ok"
    except _Alarm:
        return "timeout"
    except BaseException as exc:  # noqa: BLE001 - a benchmark of arbitrary programs
        return type(exc).__name__
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _run_pure(prepared, kind: str, fn_name: str | None, text: str) -> None:
    if kind == "stdio":
        namespace = {"__name__": "__main__"}
        try:
            if prepared.header is not None:
                exec(prepared.header, namespace)
            exec(prepared.code, namespace)
        except SystemExit:
            pass
        sys.stdout.flush()
        return
    import typing

    namespace = {"__name__": "solution", **{name: getattr(typing, name) for name in _candidate.TYPING_NAMES}}
    exec(prepared.code, namespace)
    fn = _candidate._find_function(namespace, fn_name)
    json.dumps(fn(*json.loads(text)), default=_candidate._jsonable)


def _per_round(ratios: list) -> str:
    """The median of paired per-round ratios, and each of them."""
    return f"per round median {statistics.median(ratios):.2f}: " + ", ".join(f"{x:.2f}" for x in ratios)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--problems", type=Path, default=DEFAULT_PROBLEMS)
    parser.add_argument("--max-solutions", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=1, help="repeat and keep the best figures (noisy machines)")
    parser.add_argument("--executor", choices=["local", "ray"], default="local",
                        help="ray: compare the Ray backend (a local instance) with the local executor")
    parser.add_argument("--overhead", action="store_true",
                        help="where the executor's own cost goes: CPU and page faults per program and per test")
    parser.add_argument("--pure-only", choices=["serial", "parallel", "fastest"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.overhead:
        return overhead(args.rounds, args.timeout)
    programs = load_programs(args.problems, args.max_solutions)
    if args.executor == "ray":
        return compare_ray(programs, args)
    if args.pure_only == "serial":
        cpu0 = time.process_time()
        pure, outcomes, each = pure_limit(programs, args.timeout)
        print(json.dumps({"pure_s": pure, "pure_cpu_s": time.process_time() - cpu0, "outcomes": outcomes,
                          "pure_each": each}))
        return 0
    if args.pure_only == "parallel":
        print(json.dumps({"parallel_s": pure_parallel(programs, args.workers, args.timeout)}))
        return 0
    if args.pure_only == "fastest":
        cpu0 = time.process_time()
        fastest, each = pure_fastest(programs, args.timeout)
        print(json.dumps({"fastest_s": fastest, "fastest_cpu_s": time.process_time() - cpu0, "fastest_each": each}))
        return 0
    n_tests = sum(len(p[4]) for p in programs)
    print(f"{len(programs)} programs, {n_tests} test runs, {args.workers} workers, timeout {args.timeout:g} s,"
          f" {args.rounds} round(s): best of each figure")
    execs, apps_execs, pures = [], [], []
    for _ in range(args.rounds):
        execs.append(run_executor(programs, args.workers, args.timeout))
        apps_execs.append(run_executor(programs, args.workers, args.timeout, apps_environment=True))
        pure = {}
        for mode in ("serial", "fastest", "parallel"):  # each in a fresh interpreter: nothing imported or warmed up
            out = subprocess.run([sys.executable, __file__, "--pure-only", mode, "--problems", str(args.problems),
                                  "--max-solutions", str(args.max_solutions), "--timeout", str(args.timeout),
                                  "--workers", str(args.workers)], capture_output=True, text=True, check=True)
            pure.update(json.loads(out.stdout.strip().splitlines()[-1]))
        pures.append(pure)
    best = min(execs, key=lambda r: r["wall"])
    wall, cpu = best["wall"], min(r["cpu"] for r in execs)
    pure = min(p["pure_s"] for p in pures)
    parallel = min(p["parallel_s"] for p in pures)
    limit = pure / args.workers
    print(f"executor start-up      {best['startup']:8.3f} s (not counted)")
    exec_rounds = ", ".join(f"{r['wall']:.2f}" for r in execs)
    pure_rounds = ", ".join(f"{p['pure_s']:.2f}" for p in pures)
    print(f"executor wall time     {wall:8.3f} s   (rounds: {exec_rounds})")
    print(f"programs/s             {len(programs) / wall:8.1f}")
    print(f"test runs/s            {n_tests / wall:8.1f}")
    print(f"pure execution total   {pure:8.3f} s   (one warm interpreter, no isolation; rounds: {pure_rounds})")
    print(f"pure limit (/workers)  {limit:8.3f} s")
    print(f"ratio wall / limit     {wall / limit:8.2f}   (best executor round against best pure round)")
    paired = [r["wall"] / (p["pure_s"] / args.workers) for r, p in zip(execs, pures)]
    print(f"  per round            {statistics.median(paired):8.2f}   median of each round's executor run against the"
          f" pure run right after it: {', '.join(f'{x:.2f}' for x in paired)}")
    parallel_rounds = ", ".join(f"{p['parallel_s']:.2f}" for p in pures)
    print(f"pure, {args.workers} in parallel    {parallel:8.3f} s   ({args.workers} warm interpreters, one CPU each, no"
          f" isolation, taking tests one at a time; rounds: {parallel_rounds})")
    print(f"  machine's efficiency {pure / (args.workers * parallel):8.2f}   (pure total / (workers x parallel wall):"
          f" what running {args.workers} at once costs without any sandbox)")
    print(f"ratio wall / parallel  {wall / parallel:8.2f}   (best against best; "
          + _per_round([r["wall"] / p["parallel_s"] for r, p in zip(execs, pures)]) + ")")
    fastest = min(p["fastest_s"] for p in pures)
    fastest_rounds = ", ".join(f"{p['fastest_s']:.2f}" for p in pures)
    print(f"fastest honest pure    {fastest:8.3f} s   (one warm interpreter, APPS header, call-based programs executed"
          f" once and called per test; rounds: {fastest_rounds})")
    print(f"ratio wall / fastest   {wall / (fastest / args.workers):8.2f}   (against fastest / workers; "
          + _per_round([r["wall"] / (p["fastest_s"] / args.workers) for r, p in zip(execs, pures)]) + ")")
    apps_best = min(apps_execs, key=lambda r: r["wall"])
    apps_rounds = ", ".join(f"{r['wall']:.2f}" for r in apps_execs)
    print(f"executor, APPS env.    {apps_best['wall']:8.3f} s   (every program with apps_environment: call-based"
          f" modules loaded once per test process, as in the fastest run; rounds: {apps_rounds})")
    print(f"ratio APPS / fastest   {apps_best['wall'] / (fastest / args.workers):8.2f}   (like with like; "
          + _per_round([r["wall"] / (p["fastest_s"] / args.workers) for r, p in zip(apps_execs, pures)]) + ")")
    gaps = sorted(((pures[0]["pure_each"][k] - pures[0]["fastest_each"].get(k, 0.0), k) for k in pures[0]["pure_each"]),
                  reverse=True)
    print(f"pure runs' difference  {pure - fastest:8.3f} s   (serial pure less fastest honest pure; the programs that"
          f" make it, first round: " + ", ".join(f"{k} {d:.2f} s" for d, k in gaps[:3]) + ")")
    print(f"worker CPU time        {cpu:8.3f} s   (all isolation and process overhead included)")
    pure_cpu, fastest_cpu = min(p["pure_cpu_s"] for p in pures), min(p["fastest_cpu_s"] for p in pures)
    print(f"pure runs' CPU time    {pure_cpu:8.3f} s   (serial pure; fastest honest pure {fastest_cpu:.3f} s: what the"
          f" ratios below divide by, robust to a busy machine, where the pure runs' wall time is not)")
    print(f"ratio CPU / pure       {cpu / pure_cpu:8.2f}   (the wall ratio on {args.workers} otherwise idle cores)")
    print(f"ratio CPU / fastest    {cpu / fastest_cpu:8.2f}   (the same against the fastest honest pure run)")
    apps_cpu = min(r["cpu"] for r in apps_execs)
    print(f"worker CPU, APPS env.  {apps_cpu:8.3f} s   (ratio to the fastest run's CPU {apps_cpu / fastest_cpu:.2f}:"
          f" like with like)")
    print(f"executor statuses: {best['statuses']}; wrapped programs: {best['wrapped']}")
    print(f"APPS-environment statuses: {apps_best['statuses']}")
    print(f"pure-run outcomes: {pures[0]['outcomes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
