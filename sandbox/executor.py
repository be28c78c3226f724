"""The process-isolated executor: warm workers, one harness thread per worker waiting on its pipe.

A program's tests go to a worker in pieces that its one test process runs in turn (the
worker keeps the process open between pieces of the same program). Pieces grow from one
test, doubling, up to about PIECE_TARGET_S of work at the slowest test time seen. A worker
that finds no program waiting takes the first half of the unsent tests of a busy
worker's program (in a test process of its own), or its one unsent test when that
program's tests are slow: one slow program does not leave workers idle at the end of a
run, while a busy executor forks no extra processes. A worker never waits for the harness
between programs: the first piece of the next program is sent while the last one runs. A
worker that dies, hangs or speaks garbage turns its piece into HARNESS_ERROR runs (never
a candidate failure) and is restarted for the next one.

The per-program budget (program_budget) bounds what a program that never ends costs: a
piece stops at its first timeout and its unrun tests are decided again; pieces of one
program run on several workers at once only while its budgets cover a limit for each
(_may_start), so idle and spare workers do not each run one of its tests to the limit.
"""
from __future__ import annotations

import collections
import dataclasses
import logging
import os
import threading
import time
import weakref
from concurrent.futures import Future

from .cpu_watch import tree_cpu_seconds
from .worker_pool import CANDIDATE_ENV, WorkerFailure, WorkerProcess, interpreter_paths, kill_all
from . import program_budget
from .inside import protocol
from .records import ExecutionRequest, Limits, ProgramRun, RunStatus, SandboxMode, SandboxSummary, TestKind, TestRun

# Per test the worker needs the timeout plus a little to kill and reap; the rest is slack.
PER_TEST_SLACK_S = 2.0
PER_CHUNK_SLACK_S = 30.0
PIPELINE_DEPTH = 2
PIECE_TARGET_S = 0.05  # work per piece: the granularity at which idle workers can take over
WATCH_INTERVAL_S = 0.1  # how often cpu_watch samples the workers with a long test
WATCH_AFTER_S = 0.1  # a reply pending this long is watched: its worker's CPU time is sampled
SLEEP_AFTER_S = 0.3  # ... and from this long on, judged by the CPU time it used since
SLEEPING_CPU_SHARE = 0.2  # a worker's tree using less than this share of a CPU is asleep
PIPE_SAFE_BYTES = 48 << 10  # a pipelined request must fit the pipe buffer: never block on it
UID_BASE = 2_000_000  # candidate uid = UID_BASE + the worker's pid: distinct for concurrent workers
NAMESPACES = True  # False forces the no-namespace fallback (used by its tests)
_STOP = object()
log = logging.getLogger(__name__)


class _Job:
    """One submitted request; its tests finish in pieces, in any order."""

    def __init__(self, request: ExecutionRequest, future: Future, limits: Limits, on_run=None) -> None:
        self.request, self.future, self.on_run, self.limits = request, future, on_run, limits
        # With the early stop, the first test index after which nothing need run (the caller's
        # judge knows wrong answers; without one, only what failed in the sandbox counts).
        self.stop_index = getattr(on_run, "stop_index", None) if request.stop_at_first_failure else None
        self.runs: list = [None] * len(request.inputs)
        self.left, self.wrapped = len(request.inputs), False
        self.slowest_s = 0.0  # the longest test so far: sizes pieces
        # Once a test timed out, no idle worker takes its tests: a program that does would only
        # spend its budget faster, on more cores.
        self.timed_out = False
        # In the APPS environment a call-based program's module is loaded once per test process
        # and its state carries from test to test: its tests are never shared out to another
        # worker (a fresh module there would make results depend on the machine's load).
        self.one_process = request.apps_environment and TestKind(request.kind) is TestKind.CALL
        # What its finished tests used in all (any order), whether one has finished, and whether
        # one ran into the wall-clock limit: what may still be spent in parallel (Executor._may_start).
        self.cpu_used = self.wall_used = 0.0
        self.known = self.sleepy = False
        # Under the executor's lock: worker -> its pieces of this job sent, reply pending; the
        # job's chunks parked or queued again (not sent, held by no worker).
        self.in_flight: dict = {}
        self.waiting: set = set()
        self.lock = threading.Lock()
        self.started = self.cancelled = False

    def start(self) -> bool:
        """False when the caller cancelled the future before any test ran."""
        with self.lock:
            if not self.started:
                self.started = True
                self.cancelled = not self.future.set_running_or_notify_cancel()
            return not self.cancelled

    def cancel_or_fail(self, chunk: "_Chunk", detail: str) -> None:
        with self.lock:
            if not self.started:
                self.started = self.cancelled = True
                self.future.cancel()
            if self.cancelled:
                return
        self.finish(chunk, _harness_error(chunk, detail), False)

    def piece_size(self, last: int) -> int:
        """Tests to send next: twice the last piece, at most about PIECE_TARGET_S of work."""
        with self.lock:
            return max(1, min(2 * last, int(PIECE_TARGET_S / max(self.slowest_s, 1e-6))))

    def finish(self, chunk: "_Chunk", runs: list, wrapped: bool) -> None:
        if self.on_run is not None:
            runs = [self._reduce(run) for run in runs]
        with self.lock:
            self.runs[chunk.start:chunk.start + len(runs)] = runs
            self.wrapped |= wrapped
            self.left -= len(chunk.inputs)
            self.slowest_s = max([self.slowest_s] + [run.wall_s for run in runs])
            self.timed_out |= any(run.status is RunStatus.TIMEOUT for run in runs)
            self.cpu_used += sum(run.cpu_s for run in runs)
            self.wall_used += sum(run.wall_s for run in runs)
            self.known |= any(run.wall_s > 0 for run in runs)
            self.sleepy |= any(run.status is RunStatus.TIMEOUT and run.wall_s >= self.limits.effective_wall_s
                               for run in runs)
            done = self.left <= 0
        if done:
            self.future.set_result(ProgramRun(runs=self._within_budget(), wrapped=self.wrapped))

    def skip_reason(self, start: int) -> "tuple[RunStatus, str] | None":
        """Why the tests from `start` on need not run: the budget, used up by tests before
        them, or the early stop at a failing test before them. None: run them."""
        with self.lock:
            before = [run for run in self.runs[:start] if run is not None]
        why = program_budget.exhausted(self.limits, [r.cpu_s for r in before], [r.wall_s for r in before])
        if why is not None:
            return RunStatus.TIMEOUT, why
        if self.request.stop_at_first_failure:
            stop = self.stop_index() if self.stop_index is not None else next(
                (r.index for r in before if r.status is not RunStatus.OK), None)
            if stop is not None and stop < start:
                return RunStatus.NOT_RUN, f"not run: the program failed test {stop} (stop at the first failure)"
        return None

    def spent(self) -> tuple[float, float, bool, bool, bool]:
        """CPU and wall seconds its finished tests used, whether one finished, whether one slept
        out its wall limit, whether one timed out."""
        with self.lock:
            return self.cpu_used, self.wall_used, self.known, self.sleepy, self.timed_out

    def skip(self, chunk: "_Chunk", status: RunStatus, detail: str) -> None:
        self.finish(chunk, [TestRun(chunk.start + i, status, detail=detail) for i in range(len(chunk.inputs))], False)

    def _within_budget(self) -> tuple:
        """The runs as the per-program budget leaves them (program_budget: test order decides)."""
        runs = self.runs
        cut = program_budget.apply_budget(self.limits, runs)
        if cut is None:
            return tuple(runs)
        k, detail = cut
        late = [program_budget.over_budget(run, detail) for run in runs[k:]]
        if self.on_run is not None:
            late = [self._reduce(run) for run in late]
        return tuple(runs[:k]) + tuple(late)

    def _reduce(self, run: TestRun) -> TestRun:
        try:
            return self.on_run(run)
        except Exception as exc:  # noqa: BLE001 - the caller's hook failed, not the candidate
            return TestRun(run.index, RunStatus.HARNESS_ERROR, wall_s=run.wall_s, detail=f"on_run failed: {exc!r}"[:300])


class _Chunk:
    """Consecutive tests of one job, from index `start`."""

    __slots__ = ("job", "start", "inputs")

    def __init__(self, job: _Job, start: int, inputs: tuple) -> None:
        self.job, self.start, self.inputs = job, start, inputs

    def split(self, n: int) -> tuple["_Chunk", "_Chunk | None"]:
        """The first n tests, and the rest (None when nothing is left)."""
        if n >= len(self.inputs):
            return self, None
        return (_Chunk(self.job, self.start, self.inputs[:n]),
                _Chunk(self.job, self.start + n, self.inputs[n:]))

    def encode(self, resume: bool, more: int) -> bytes:
        """The worker's request: continue the open test process or not; `more` tests may follow."""
        request = self.job.request
        return protocol.encode(protocol.Piece(
            program=request.program, kind=TestKind(request.kind), inputs=tuple(self.inputs),
            fn_name=request.fn_name, resume=resume, more=more, apps_environment=request.apps_environment,
            first_index=self.start))


class Executor:
    """Runs programs in isolated, warm worker processes. Use as a context manager."""

    def __init__(self, limits: Limits, workers: int = 2, sandbox: SandboxMode = SandboxMode.FULL,
                 spare_workers: "int | None" = None) -> None:
        """`workers`: programs using a CPU at once. `spare_workers` (default: spare_count) more
        take programs while that many are sleeping or blocked; each starts when first needed.

        Raises SandboxUnavailable where the full sandbox cannot be built and `sandbox` is FULL."""
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.limits = limits
        self.sandbox_mode = SandboxMode(sandbox)
        self._n_workers = workers
        spare = spare_count(limits, workers) if spare_workers is None else spare_workers
        slots = workers + spare
        self._lock = threading.Condition()  # guards all below; notified when there is work
        self._pending: collections.deque = collections.deque()  # chunks no worker has taken
        self._parked: list = []  # chunks waiting for a piece of their program to come back (_next_piece)
        self._rests: list = [None] * slots  # per worker: unsent tests of its program (stealable)
        self._idle = 0  # worker threads waiting for work
        self._waiting: set = set()  # ... which ones
        self._starting: set = set()  # spare workers being started
        self._busy = [False] * slots  # holds a program (sent, unsent or queued to retry)
        self._asleep = [False] * slots  # busy, but its program has not used a CPU lately (cpu_watch)
        self._head_since: list = [None] * slots  # when the reply it waits for began to be due
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._workers = [WorkerProcess(cfg) for cfg in _worker_configs(limits, workers, self.sandbox_mode, spare)]
        self._finalizer = weakref.finalize(self, kill_all, self._workers)
        try:
            for w in self._workers[:workers]:  # the spare ones start when first needed
                w.start()
            for w in self._workers[:workers]:
                w.wait_ready()
        except BaseException:
            self.close()
            raise
        self.isolation: dict[str, object] = {
            **self._workers[0].isolation,
            "workers": workers,
            "spare_workers": f"{spare}, started when needed: they take programs while as many others sleep or block"
                             " (not using a CPU), so that no CPU idles while programs wait",
            "worker_start": "exec of a fresh interpreter (python -s -S) with a minimal environment",
            "hash_seed": CANDIDATE_ENV["PYTHONHASHSEED"],
            "int_max_str_digits": 0,
        }
        iso = self.isolation
        self.sandbox = SandboxSummary(self.sandbox_mode, bool(iso.get("complete")), tuple(iso.get("missing", ())),
                                      str(iso.get("mode", "")), str(iso.get("memory_bound", "")))
        self._threads = [threading.Thread(target=self._serve, args=(i,), name=f"sandbox-worker-{i}", daemon=True)
                         for i in range(slots)]
        if spare:
            self._threads.append(threading.Thread(target=self._watch, name="sandbox-cpu-watch", daemon=True))
        for t in self._threads:
            t.start()

    # ---- public API ----------------------------------------------------------------------
    def submit(self, request: ExecutionRequest, on_run=None) -> "Future[ProgramRun]":
        """Queue a program; thread-safe. The future's result is a ProgramRun.

        `on_run(TestRun) -> TestRun`, when given, sees each test's run as soon as its piece is
        back, and what it returns is kept instead (sandbox.judge.TestJudge judges it and drops
        the output: memory then stays bounded however many tests produce big outputs). With
        `request.stop_at_first_failure`, an `on_run` that has a `stop_index()` method (TestJudge)
        tells which failing test the program stops at; tests after it are not run (NOT_RUN).

        Every program is held to the per-program budget of `limits` (sandbox.program_budget)."""
        future: Future = Future()
        job = _Job(request, future, self.limits, on_run)
        with self._lock:
            if self._closed:
                raise RuntimeError("Executor is closed")
            self._pending.append(_Chunk(job, 0, tuple(request.inputs)))
            self._lock.notify()
        return future

    def close(self) -> None:
        """Idempotent: cancel what has not started, kill every worker and all it started."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            left, self._pending = list(self._pending) + self._parked, collections.deque([_STOP] * len(self._rests))
            self._parked = []
            self._lock.notify_all()
        for chunk in left:
            chunk.job.cancel_or_fail(chunk, "executor closed")
        kill_all(self._workers)
        for t in self._threads:
            t.join(timeout=30)
        self._finalizer.detach()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ---- worker threads ------------------------------------------------------------------
    def _serve(self, me: int) -> None:
        worker = self._workers[me]
        inflight: collections.deque = collections.deque()  # pieces sent, replies pending, in order
        backlog: collections.deque = collections.deque()  # chunks taken, not sent (retries, big ones)
        resume, size = False, 0  # continuing the open test process; size of the last piece
        stopping, head_started = False, 0.0
        while True:
            while not stopping and len(inflight) < PIPELINE_DEPTH:
                if self._rests[me] is None:
                    if backlog:
                        chunk = backlog.popleft()
                        self._set_rest(me, chunk)
                    else:
                        chunk = self._take(me, block=not inflight)  # now this worker's rest
                    if chunk is None:
                        break
                    if chunk is _STOP:
                        stopping = True
                        break
                    if not chunk.job.start():
                        self._set_rest(me, None)
                        continue
                    resume, size = False, 0
                elif inflight:
                    break  # the next piece is sized once this reply is in
                next_piece = self._next_piece(me, size)
                if next_piece is None:
                    continue  # parked until a piece of its program comes back
                piece, more = next_piece
                skip = piece.job.skip_reason(piece.start)
                if skip is not None:
                    for chunk in self._give_back(me, piece):
                        chunk.job.skip(chunk, *skip)
                    self._landed(me, piece)
                    continue
                size = len(piece.inputs)
                body = piece.encode(resume, more)
                if inflight and len(body) > PIPE_SAFE_BYTES:
                    backlog.extendleft(reversed(self._give_back(me, piece)))
                    self._landed(me, piece)
                    break  # too big to queue in the pipe: send when idle
                if not self._send(worker, piece, body):
                    self._landed(me, piece)
                    backlog.extend(self._give_back(me, None))
                    continue
                if not inflight:
                    head_started = self._head_since[me] = time.monotonic()
                inflight.append(piece)
                resume = True
            if not inflight:
                if stopping:
                    for chunk in list(backlog) + self._give_back(me, None):
                        chunk.job.cancel_or_fail(chunk, "executor closed")
                    return
                continue
            piece = inflight.popleft()
            try:
                reply = worker.recv(head_started + self._budget(piece), protocol.Results, protocol.WorkerFailed,
                                    max_bytes=self._reply_bytes(piece))
            except (WorkerFailure, OSError) as exc:
                self._fail(worker, piece, exc)
                for queued in [piece, *inflight]:
                    self._landed(me, queued)
                backlog.extendleft(reversed(inflight))  # not started yet: retry on a new worker
                inflight.clear()
                self._head_since[me], self._asleep[me] = None, False
                backlog.extend(self._give_back(me, None))
                continue
            head_started = time.monotonic()
            self._head_since[me] = head_started if inflight else None
            self._asleep[me] = False  # until cpu_watch sees this worker's next test sleep
            runs, wrapped, stopped = _parse_reply(piece, reply)
            done, unrun = piece.split(len(runs)) if stopped else (piece, None)
            piece.job.finish(done, runs, wrapped)
            self._landed(me, piece)
            if unrun is not None and self._hand_back(me, unrun):
                resume, size = False, 0
            if isinstance(reply, protocol.WorkerFailed):  # it exits: replace it, retry what queued behind
                worker.kill()
                for queued in inflight:
                    self._landed(me, queued)
                backlog.extendleft(reversed(inflight))
                inflight.clear()
                backlog.extend(self._give_back(me, None))

    def _set_rest(self, me: int, chunk: _Chunk) -> None:
        with self._lock:
            self._rests[me] = chunk

    def _next_piece(self, me: int, last_size: int) -> "tuple[_Chunk, int] | None":
        """The next tests of this worker's program to send (counted in flight from now on: call
        _landed when they are not sent after all), and how many stay unsent after them; None
        when the program's budget does not allow them yet (_may_start): then they and the rest
        are parked until a piece of the program comes back."""
        cancel = []
        with self._lock:
            rest = self._rests[me]
            piece, rest = rest.split(rest.job.piece_size(last_size))
            job = piece.job
            if self._may_start(me, job, piece.start):
                job.in_flight[me] = job.in_flight.get(me, 0) + 1
                self._rests[me] = rest
                if self._idle and _stealable(rest):
                    self._lock.notify()  # an idle worker can take half of it
                return piece, len(rest.inputs) if rest else 0
            self._rests[me] = None
            for chunk in _joined(piece, rest):
                if self._closed:
                    cancel.append(chunk)
                else:
                    self._parked.append(chunk)
                    job.waiting.add(chunk)
        for chunk in cancel:
            chunk.job.cancel_or_fail(chunk, "executor closed")
        return None

    def _give_back(self, me: int, piece: "_Chunk | None") -> list:
        """This worker's unsent tests (and `piece`, when given) as chunks to start afresh."""
        with self._lock:
            rest, self._rests[me] = self._rests[me], None
        return _joined(piece, rest)

    def _may_start(self, me: int, job: _Job, start: int) -> bool:
        """Whether worker `me` may start the tests of `job` from `start` now (lock held).

        Always when nothing of the program is in flight and no earlier test of it waits to be
        sent. Otherwise only while its budgets cover what its finished tests used plus a limit
        for every piece in flight and for this one (a piece stops at its first timeout: it
        costs at most one limit beyond its fast tests), and, for a program that may not end
        (none of its tests finished yet, or one timed out), for each earlier unsent test too:
        tests count in order, so a later test would run for nothing if those used the budget.
        Wall time: the wall limit for pieces that sleep (cpu_watch) or may (the program slept
        out a limit before, or no test of it has finished yet), the CPU limit for the others.
        So a program that never ends costs about its budget however many workers are idle.
        With the early stop, nothing beside its first test until one has come back."""
        in_flight = sum(job.in_flight.values())
        earlier = sum(len(chunk.inputs) for chunk in job.waiting if chunk.start < start) + sum(
            len(rest.inputs) for i, rest in enumerate(self._rests)
            if i != me and rest is not None and rest.job is job and rest.start < start)
        if not in_flight and not earlier:
            return True
        cpu, wall, known, sleepy, timed_out = job.spent()
        if job.request.stop_at_first_failure and not known:
            return False  # with the early stop, tests beside a first one that fails would run for nothing
        cpu_budget, wall_budget = self.limits.program_cpu_budget_s, self.limits.program_wall_budget_s
        limit, wall_limit = self.limits.timeout_s, self.limits.effective_wall_s
        if cpu_budget is not None:
            pieces = in_flight + 1 + (earlier if timed_out or not known else 0)
            if cpu + pieces * limit > cpu_budget:
                return False
        if wall_budget is not None:
            doubtful = sleepy or not known
            wall += sum(n * (wall_limit if doubtful or self._asleep[w] else limit) for w, n in job.in_flight.items())
            wall += (earlier + 1) * wall_limit if doubtful else limit
            if wall > wall_budget:
                return False
        return True

    def _landed(self, me: int, piece: _Chunk) -> None:
        """`piece` is no longer in flight on this worker."""
        job = piece.job
        with self._lock:
            left = job.in_flight.get(me, 0) - 1
            if left > 0:
                job.in_flight[me] = left
            else:
                job.in_flight.pop(me, None)
            self._unpark(job)

    def _unpark(self, job: _Job) -> None:
        """The parked chunks of `job` go first in the queue, in test order (lock held)."""
        parked = [chunk for chunk in self._parked if chunk.job is job]
        if parked and not self._closed:
            self._parked = [chunk for chunk in self._parked if chunk.job is not job]
            self._pending.extendleft(sorted(parked, key=lambda chunk: -chunk.start))
            self._lock.notify_all()

    def _hand_back(self, me: int, chunk: _Chunk) -> bool:
        """Tests a piece left unrun (it stopped at a timeout): next on this worker while its program
        is this worker's (True: they are its rest now), else first in the queue."""
        with self._lock:
            rest = self._rests[me]
            if rest is not None and rest.job is not chunk.job:
                later = [chunk]
            else:
                first, *later = _joined(chunk, rest)
                self._rests[me] = first
            for queued in reversed(later):
                self._pending.appendleft(queued)
                queued.job.waiting.add(queued)
            self._lock.notify()
            return rest is None or rest.job is chunk.job

    def _take(self, me: int, block: bool):
        """The next chunk (now this worker's rest): a queued one, or half the unsent tests of a
        busy worker's program.

        None when there is none and block is False (pipelining: near the end of the queue,
        work is left to idle workers rather than queued behind ours)."""
        with self._lock:
            if block:
                self._busy[me] = False
                self._lock.notify_all()  # a spare worker may wait for this one to be done
            while True:
                if self._pending and self._pending[0] is _STOP:
                    return self._pending.popleft()
                # A worker that holds no program takes one only while fewer than `workers` run on a CPU.
                admitted = self._busy[me] or self._awake() < self._n_workers
                if admitted and block and not self._workers[me].alive and self._pending:
                    if not self._starting and not any(self._workers[i].alive for i in self._waiting):
                        self._start_spare(me)  # before it takes a program: others may take it meanwhile
                        continue
                    if not self._starting:
                        self._lock.notify()  # a started worker waits: leave the program to it
                    admitted = False
                # A sleeping program's next test before a new program, while as many workers as
                # run on the CPUs stay free: it sleeps beside the first (its budget allows) instead
                # of after it, and the program ends a wall limit sooner.
                stolen = self._steal(me, asleep=True) if admitted and block and self._free() > self._n_workers else None
                if stolen is not None:
                    self._busy[me] = True
                    self._rests[me] = stolen
                    return stolen
                if admitted and self._pending and (block or len(self._pending) > self._n_workers):
                    self._busy[me] = True
                    chunk = self._pending.popleft()
                    chunk.job.waiting.discard(chunk)
                    self._rests[me] = chunk
                    return chunk
                if not block:
                    return None
                stolen = self._steal(me) if admitted else None
                if stolen is not None:
                    self._busy[me] = True
                    self._rests[me] = stolen
                    return stolen
                self._idle += 1
                self._waiting.add(me)
                self._lock.wait()
                self._waiting.discard(me)
                self._idle -= 1

    def _start_spare(self, me: int) -> None:
        """Start this thread's worker (called with the lock held; released meanwhile)."""
        worker = self._workers[me]
        if self._closed:
            return
        self._starting.add(me)
        self._lock.release()
        try:
            worker.kill()
            worker.start()
            worker.wait_ready()
        except Exception:  # noqa: BLE001 - e.g. SandboxUnavailable: the piece it is sent fails (_send)
            worker.kill()  # started again, or failed for good, when it is sent a piece (_send)
        finally:
            self._lock.acquire()
            self._starting.discard(me)
            if self._closed:  # close() may have killed the workers while this one started
                worker.kill()
            self._lock.notify_all()

    def _free(self) -> int:
        """Workers holding no program (this one included)."""
        return sum(not busy for busy in self._busy)

    def _awake(self) -> int:
        """Workers holding a program that is (as far as cpu_watch knows) using a CPU."""
        return sum(busy and not asleep for busy, asleep in zip(self._busy, self._asleep))

    def _watch(self) -> None:
        """Marks the workers whose test has run SLEEP_AFTER_S without using a CPU (sleeping or
        blocked programs): while they wait, spare workers take programs in their place."""
        samples: dict = {}  # worker -> (head_since, when, tree CPU seconds)
        while not self._closed:
            time.sleep(WATCH_INTERVAL_S)
            try:
                self._watch_once(samples)
            except Exception:  # noqa: BLE001 - never let the watch die: spares would stay unused
                log.exception("sandbox cpu watch failed")
                samples.clear()

    def _watch_once(self, samples: dict) -> None:
        """One look at the workers whose reply is overdue (samples: the last look at each)."""
        now = time.monotonic()
        watched = {i: since for i, since in enumerate(self._head_since)
                   if since is not None and now - since >= WATCH_AFTER_S and self._workers[i].proc is not None}
        if not watched:
            samples.clear()
            return
        used = tree_cpu_seconds({i: self._workers[i].proc.pid for i in watched})
        changed = False
        for i, since in watched.items():
            last = samples.get(i)
            if last is None or last[0] != since or i not in used:  # a new test: the first sample
                samples[i] = (since, now, used.get(i, (0.0, True))[0])
                continue
            if now - last[1] < SLEEP_AFTER_S - WATCH_AFTER_S:
                continue
            cpu, running = used[i]
            samples[i] = (since, now, cpu)
            # Waiting for a CPU on a busy machine is not sleeping: a runnable process counts as using one.
            asleep = not running and cpu - last[2] < SLEEPING_CPU_SHARE * (now - last[1])
            with self._lock:
                if self._head_since[i] == since and self._asleep[i] != asleep:
                    self._asleep[i], changed = asleep, True
        for i in set(samples) - set(watched):
            del samples[i]
        if changed:
            with self._lock:
                self._lock.notify_all()

    def _steal(self, me: int, asleep: bool = False) -> "_Chunk | None":
        """Half of the largest rest of another worker, or its single test when that is a slow one
        (the victim is busy with others meanwhile). The first half: under the per-program budget
        tests count in order, so the earliest unsent ones are those worth running at once.
        `asleep`: only from workers whose program sleeps (cpu_watch), even a single test."""
        victims = [i for i, rest in enumerate(self._rests)
                   if i != me and rest is not None
                   and (self._asleep[i] and not rest.job.timed_out and not rest.job.one_process
                        if asleep else _stealable(rest))
                   and self._may_start(me, rest.job, rest.start)]
        if not victims:
            return None
        victim = max(victims, key=lambda i: _expected_s(self._rests[i]))
        stolen, self._rests[victim] = self._rests[victim].split((len(self._rests[victim].inputs) + 1) // 2)
        return stolen

    def _reply_bytes(self, chunk: _Chunk) -> int:
        """A bound on a piece's reply: each output at most the cap, JSON-escaped (6 bytes a char)."""
        return len(chunk.inputs) * (6 * self.limits.max_output_bytes + 4096) + 4096

    def _budget(self, chunk: _Chunk) -> float:
        return len(chunk.inputs) * (self.limits.effective_wall_s + PER_TEST_SLACK_S) + PER_CHUNK_SLACK_S

    def _send(self, worker: WorkerProcess, chunk: _Chunk, body: bytes) -> bool:
        try:
            if not worker.alive:
                if self._closed:
                    raise WorkerFailure("executor closed")
                worker.kill()
                worker.start()
                worker.wait_ready()
            worker.send_bytes(body, time.monotonic() + PER_CHUNK_SLACK_S)
            return True
        except (WorkerFailure, OSError, ValueError) as exc:
            self._fail(worker, chunk, exc)
            return False

    def _fail(self, worker: WorkerProcess, chunk: _Chunk, exc: BaseException) -> None:
        detail = "executor closed" if self._closed else f"worker failed: {exc}"
        tail = worker.stderr_tail()
        worker.kill()
        chunk.job.cancel_or_fail(chunk, detail + (f"; worker stderr: {tail}" if tail and not self._closed else ""))


def spare_count(limits: Limits, workers: int) -> int:
    """Spare workers: twice the workers plus two, fewer where the memory available would not
    hold a program at its memory limit in every worker."""
    fits = _available_mb() // max(1, limits.memory_mb) - workers
    return max(0, min(2 * workers + 2, fits))


def _available_mb() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _worker_configs(limits: Limits, workers: int, sandbox: SandboxMode, spare: int = 0) -> list[protocol.WorkerConfig]:
    sys_path, readonly = interpreter_paths()
    config = protocol.WorkerConfig(
        limits=limits, sys_path=tuple(sys_path),
        readonly_paths=tuple(readonly), uid_base=UID_BASE, tmp_bytes=max(64 << 20, 2 * limits.max_file_bytes),
        namespaces=NAMESPACES, cpu=None, scratch_base="", sandbox=sandbox)
    # One CPU per worker when there are enough: a worker and its children then never need
    # cross-CPU TLB shootdowns on fork and exit (measurably cheaper in VMs).
    # Spare workers run where a sleeping worker leaves a CPU free: not pinned.
    cpus = sorted(os.sched_getaffinity(0))
    pin = workers <= len(cpus)
    return [dataclasses.replace(config, cpu=cpus[i] if pin and i < workers else None) for i in range(workers + spare)]


def _stealable(rest: "_Chunk | None") -> bool:
    """Worth taking from a busy worker: two tests or more, or one that takes at least
    PIECE_TARGET_S (far more than the fresh test process the thief forks for it)."""
    return (rest is not None and not rest.job.timed_out and not rest.job.one_process
            and (len(rest.inputs) >= 2 or rest.job.slowest_s >= PIECE_TARGET_S))


def _expected_s(rest: _Chunk) -> float:
    return len(rest.inputs) * max(rest.job.slowest_s, 1e-3)


def _joined(first: "_Chunk | None", second: "_Chunk | None") -> list:
    """The chunks, as one when the second continues the first (a steal may have left a gap)."""
    chunks = [chunk for chunk in (first, second) if chunk is not None]
    if len(chunks) == 2 and first.job is second.job and first.start + len(first.inputs) == second.start:
        return [_Chunk(first.job, first.start, first.inputs + second.inputs)]
    return chunks


def _harness_error(chunk: _Chunk, detail: str) -> list:
    return [TestRun(index=chunk.start + i, status=RunStatus.HARNESS_ERROR, detail=detail)
            for i in range(len(chunk.inputs))]


def _parse_reply(chunk: _Chunk, reply: "protocol.Results | protocol.WorkerFailed") -> tuple[list, bool, bool]:
    """The runs of the piece's first tests (all of them unless it stopped), wrapped, stopped."""
    if isinstance(reply, protocol.WorkerFailed):
        return _harness_error(chunk, reply.error), False, False
    n, runs = len(chunk.inputs), reply.runs
    if reply.stopped:  # a prefix that ends at a timeout, with tests left
        ok = 0 < len(runs) < n and runs[-1].status is RunStatus.TIMEOUT
    else:
        ok = len(runs) == n
    if not ok or [run.index for run in runs] != list(range(chunk.start, chunk.start + len(runs))):
        return _harness_error(chunk, f"worker returned {len(runs)} runs for {n} inputs"
                                     f"{' (stopped)' if reply.stopped else ''}"), False, False
    return list(runs), reply.wrapped, reply.stopped
