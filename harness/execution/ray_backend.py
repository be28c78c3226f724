"""Judging on a Ray cluster: one sandbox actor per node (or per N CPUs), whole programs, bounded in flight.

Each node gets one `SandboxActor` (pinned to it; with `cpus_per_actor` N, one per N of its CPUs,
each with N workers) that owns a local `sandbox.Executor`: its warm
workers are started by exec, as on a single machine, so the isolation is the same and every
node reports its own. The driver (`RayExecutor`, the `ExecutorBackend` that `Evaluation` uses)
keeps a bounded number of programs queued and in flight: `submit` blocks when the bound is
reached (backpressure), and results come back as Futures, so results.jsonl is still written
only by the driver, one row per program, and resume works as for the local executor.

Failures: when an actor or its node dies, the programs it held go back to the queue. A program
that was in flight at an actor's death is a suspect: it is sent again alone, to an actor that
runs nothing else, so an actor that dies again names its culprit exactly; after MAX_TRIES
deaths the program ends as harness_error (never a hang, never a candidate failure). A dead actor
is replaced on the same node while the node lives. Sandbox processes die with their actor (the
workers have PR_SET_PDEATHSIG and the actor kills their process groups on close). Nodes that
join the cluster during a run are noticed (one cheap `ray.nodes()` every NODE_POLL_S) and get
their actors too.

Ray is imported only here, and only when this backend is used. Loopback: without an address a
local Ray instance bound to 127.0.0.1 is started, with no dashboard and no usage statistics.
"""
from __future__ import annotations

import collections
import logging
import os
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from sandbox import ExecutionRequest, Executor, Limits, ProgramRun, RunStatus, TestRun
from sandbox.records import SandboxMode, SandboxSummary

from harness.execution.records import ActorStats, ExecutorRecord, NodeRecord

log = logging.getLogger(__name__)

MAX_TRIES = 3  # actor deaths a program may be in flight for before it is harness_error
MAX_RESPAWNS = 5  # replacements of one node's actor
PER_WORKER_DEPTH = 2  # programs in flight per sandbox worker of an actor: the next one is ready
QUEUE_FACTOR = 2  # programs queued in the driver, as a multiple of those in flight
ACTOR_START_TIMEOUT_S = 60.0
POLL_S = 0.05
NODE_POLL_S = 2.0  # how often the driver looks for nodes that joined


def import_ray():
    """ray, imported with the settings that keep a local cluster on loopback and quiet."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # Ray turns a loopback address into this host's outward IP unless "cluster mode" is off
    # (only consulted when the address given is loopback; a real cluster address is kept).
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    return ray


def connect(address: str | None, num_cpus: int | None = None) -> bool:
    """Connect the driver to `address`, or start a local instance on 127.0.0.1. True if started here."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    common = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address:
        ray.init(address=address, **common)
        return False
    ray.init(address="local", num_cpus=num_cpus or len(os.sched_getaffinity(0)), _node_ip_address="127.0.0.1", **common)
    return True


class SandboxActor:
    """Runs on one node: a local sandbox Executor, taking whole programs (async: many at once)."""

    def __init__(self, limits: Limits, workers: int, sandbox: SandboxMode) -> None:
        self.executor = Executor(limits, workers, sandbox)
        self.workers = workers
        self.programs, self.executor_s = 0, 0.0

    def describe(self) -> NodeRecord:
        ray = import_ray()
        context = ray.get_runtime_context()
        return NodeRecord(node_id=context.get_node_id(), address=ray.util.get_node_ip_address(),
                          hostname=socket.gethostname(), workers=self.workers, actor_pid=os.getpid(),
                          worker_pids=tuple(w.proc.pid for w in self.executor._workers if w.proc is not None),
                          isolation=dict(self.executor.isolation), sandbox=self.executor.sandbox.to_json())

    async def run(self, request: ExecutionRequest) -> ProgramRun:
        import asyncio

        started = time.perf_counter()
        run = await asyncio.wrap_future(self.executor.submit(request))
        self.programs += 1
        self.executor_s += time.perf_counter() - started
        return run

    def stats(self) -> ActorStats:
        """Counters for bench/executor.py: where an actor's time goes."""
        return ActorStats(programs=self.programs, executor_s=self.executor_s, cpu_s=time.process_time())

    def close(self) -> None:
        self.executor.close()


@dataclass(eq=False)
class _Entry:
    request: ExecutionRequest
    future: Future
    on_run: object = None  # the caller's per-test hook, applied here when the run comes back
    tries: int = 0  # actor deaths this program was in flight for
    started: bool = False  # its future is running (or was cancelled before it was sent)


@dataclass(eq=False)
class _Slot:
    """One node's actor and what it holds."""

    node_id: str
    cpus: int
    actor: object = None
    ready: object = None  # the describe() reference while the actor starts
    started_at: float = 0.0
    record: NodeRecord | None = None
    inflight: dict = field(default_factory=dict)  # ObjectRef -> _Entry
    solo: bool = False  # running one suspect: nothing else goes here meanwhile
    respawns: int = 0

    @property
    def live(self) -> bool:
        return self.actor is not None and self.ready is None


class RayExecutor:
    """An ExecutorBackend over a Ray cluster. Use as a context manager."""

    def __init__(self, limits: Limits, workers: int | None = None, address: str | None = None,
                 sandbox: SandboxMode = SandboxMode.FULL, max_tries: int = MAX_TRIES,
                 cpus_per_actor: int | None = None) -> None:
        self.limits, self._workers, self._max_tries = limits, workers, max_tries
        self.cpus_per_actor = cpus_per_actor
        self.sandbox_mode = SandboxMode(sandbox)
        self._ray = import_ray()
        self._started_ray = connect(address, workers)
        self.address = address or "local"
        self._lock = threading.Condition()
        self._queue: collections.deque = collections.deque()  # _Entry not yet sent
        self._suspects: collections.deque = collections.deque()  # _Entry to send alone
        self._closed = False
        self._error: BaseException | None = None
        self._nodes_seen: dict[tuple[str, int], NodeRecord] = {}  # (node id, actor pid): every actor that started
        self._programs: collections.Counter = collections.Counter()  # (node id, actor pid) -> runs returned
        self.start_error = ""
        self._slots: list[_Slot] = []
        self._node_ids: set[str] = set()
        self._nodes_polled = time.monotonic()
        try:
            self._add_new_nodes()
            if not self._slots:
                raise RuntimeError(f"the Ray cluster at {self.address} has no live node with a CPU")
            self._await_first_actors()
        except BaseException:
            self._shutdown()
            raise
        first = next(s.record for s in self._slots if s.record is not None)
        summaries = [SandboxSummary.from_json(r.sandbox) for r in self._nodes_seen.values()]
        # The report shows the weakest node: a cluster is only as isolated as its least isolated node.
        self.sandbox = next((x for x in summaries if not x.complete), summaries[0])
        self.isolation: dict = {**first.isolation, "backend": "ray", "nodes": len({r.node_id for r in self._nodes_seen.values()}),
                                "workers": sum(r.workers for r in self._nodes_seen.values())}
        self._bound = self._queue_bound()
        self._thread = threading.Thread(target=self._dispatch, name="ray-dispatch", daemon=True)
        self._thread.start()

    # ---- ExecutorBackend -----------------------------------------------------------------
    def submit(self, request: ExecutionRequest, on_run=None) -> "Future[ProgramRun]":
        """Queue a program; blocks while the queue is full (backpressure). Thread-safe.

        `on_run(TestRun) -> TestRun` is applied on this machine to each test's run once the
        program's run is back (the node never sees expected outputs). A submit from a result's
        callback (it runs on the dispatch thread) never blocks: that thread frees the queue."""
        entry = _Entry(request, Future(), on_run)
        dispatcher = threading.current_thread() is getattr(self, "_thread", None)
        with self._lock:
            while not self._closed and not dispatcher and self._held() >= self._bound:
                self._lock.wait(timeout=1.0)
            if self._closed:
                raise RuntimeError("Ray executor is closed" + (f": {self._error}" if self._error else ""))
            self._queue.append(entry)
            self._lock.notify_all()
        return entry.future

    def record(self) -> ExecutorRecord:
        """The backend and every node that ran (or started to run) programs, with its isolation."""
        with self._lock:
            nodes = tuple(replace(r, programs=self._programs[key]) for key, r in self._nodes_seen.items())
            return ExecutorRecord(backend="ray", address=self.address, nodes=nodes, cpus_per_actor=self.cpus_per_actor)

    def actor_stats(self) -> list[ActorStats]:
        """Each live actor's counters (bench/executor.py's breakdown of the per-program overhead)."""
        with self._lock:
            actors = [s.actor for s in self._slots if s.live]
        return self._ray.get([a.stats.remote() for a in actors])

    def actor_pids_holding(self, program: str) -> list[int]:
        """Pids of the actors that hold a program with this text now (for failure tests)."""
        with self._lock:
            return [s.record.actor_pid for s in self._slots if s.live and s.record is not None
                    and any(e.request.program == program for e in s.inflight.values())]

    def close(self) -> None:
        """Idempotent: cancel what has not finished, stop every actor (and its sandbox), leave Ray."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=30)
        self._shutdown()

    def __enter__(self) -> "RayExecutor":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ---- actors --------------------------------------------------------------------------
    def _add_new_nodes(self) -> None:
        """Actors on every live node with a CPU that has none yet (at the start, and for nodes that join)."""
        self._nodes_polled = time.monotonic()
        for node in self._ray.nodes():
            cpus = int(node["Resources"].get("CPU", 0))
            if not node["Alive"] or cpus < 1 or node["NodeID"] in self._node_ids:
                continue
            if self._slots:
                log.info("node %s joined the cluster: starting its sandbox actors", node["NodeID"][:12])
            per_actor = min(self.cpus_per_actor or cpus, cpus)
            new = [self._spawn(_Slot(node["NodeID"], per_actor)) for _ in range(cpus // per_actor)]
            with self._lock:
                self._node_ids.add(node["NodeID"])
                self._slots.extend(new)

    def _queue_bound(self) -> int:
        return max(16, QUEUE_FACTOR * self._capacity())

    def _spawn(self, slot: _Slot) -> _Slot:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        workers = self._workers or max(1, slot.cpus)
        actor_class = self._ray.remote(SandboxActor)
        slot.actor = actor_class.options(
            num_cpus=0, max_restarts=0, max_concurrency=1000,
            scheduling_strategy=NodeAffinitySchedulingStrategy(slot.node_id, soft=False),
        ).remote(self.limits, workers, self.sandbox_mode)
        slot.ready, slot.started_at, slot.record = slot.actor.describe.remote(), time.monotonic(), None
        slot.solo = False
        return slot

    def _await_first_actors(self) -> None:
        refs = [s.ready for s in self._slots]
        self._ray.wait(refs, num_returns=len(refs), timeout=ACTOR_START_TIMEOUT_S)
        for slot in self._slots:
            self._check_ready(slot, block=False)
        if not any(s.live for s in self._slots):
            raise RuntimeError(f"no sandbox actor started on the Ray cluster at {self.address}"
                               + (f" (last error: {self.start_error})" if self.start_error else ""))

    def _check_ready(self, slot: _Slot, block: bool) -> None:
        ready, _ = self._ray.wait([slot.ready], timeout=0)
        if not ready:
            if time.monotonic() - slot.started_at > ACTOR_START_TIMEOUT_S:
                log.warning("sandbox actor on node %s did not start in %.0f s", slot.node_id[:12], ACTOR_START_TIMEOUT_S)
                self._drop(slot)
            return
        try:
            record = self._ray.get(slot.ready)
        except Exception as exc:  # noqa: BLE001 - any start failure: the node cannot judge
            log.warning("sandbox actor on node %s failed to start: %s", slot.node_id[:12], _short(exc))
            self.start_error = _short(exc)
            self._respawn_or_drop(slot)
            return
        slot.ready, slot.record = None, record
        with self._lock:
            self._nodes_seen[(record.node_id, record.actor_pid)] = record
            if hasattr(self, "_bound"):  # an actor that joins after the start: more may be in flight
                self._bound = self._queue_bound()
            self._lock.notify_all()

    def _respawn_or_drop(self, slot: _Slot) -> None:
        alive = any(n["NodeID"] == slot.node_id and n["Alive"] for n in self._ray.nodes())
        if alive and slot.respawns < MAX_RESPAWNS and not self._closed:
            slot.respawns += 1
            self._kill(slot)
            self._spawn(slot)
        else:
            self._drop(slot)

    def _drop(self, slot: _Slot) -> None:
        self._kill(slot)
        slot.actor = slot.ready = None

    def _kill(self, slot: _Slot) -> None:
        if slot.actor is not None:
            try:
                self._ray.kill(slot.actor, no_restart=True)
            except Exception:  # noqa: BLE001 - already dead
                pass

    def _capacity(self) -> int:
        return sum(s.record.workers * PER_WORKER_DEPTH for s in self._slots if s.live and s.record)

    def _held(self) -> int:
        return len(self._queue) + len(self._suspects) + sum(len(s.inflight) for s in self._slots)

    # ---- the dispatch thread -------------------------------------------------------------
    def _dispatch(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._closed:
                        break
                    self._send_waiting()
                    refs = [ref for s in self._slots for ref in s.inflight]
                    starting = [s for s in self._slots if s.ready is not None]
                    if not refs and not starting:
                        if not any(s.actor is not None for s in self._slots):
                            self._fail_all("no sandbox actor is left on the Ray cluster")
                        self._lock.wait(timeout=1.0)
                        continue
                if refs:
                    done, _ = self._ray.wait(refs, num_returns=1, timeout=POLL_S)
                    if done:
                        rest = [r for r in refs if r not in set(done)]
                        more, _ = self._ray.wait(rest, num_returns=len(rest), timeout=0) if rest else ([], [])
                        self._collect(done + more)
                else:
                    time.sleep(POLL_S)
                for slot in starting:
                    self._check_ready(slot, block=False)
                if time.monotonic() - self._nodes_polled > NODE_POLL_S:
                    self._add_new_nodes()
        except BaseException as exc:  # noqa: BLE001 - never leave futures hanging
            log.exception("Ray dispatcher failed")
            with self._lock:
                self._error = exc
                self._closed = True
        finally:
            with self._lock:
                self._fail_all("executor closed", cancel=True)

    def _send_waiting(self) -> None:
        """Under the lock: suspects alone to idle actors, then the queue up to each actor's depth."""
        for slot in self._slots:
            if not slot.live or slot.solo:
                continue
            if self._suspects and not slot.inflight:
                self._send(slot, self._suspects.popleft())
                slot.solo = True
                continue
            depth = slot.record.workers * PER_WORKER_DEPTH
            while self._queue and len(slot.inflight) < depth:
                self._send(slot, self._queue.popleft())
        self._lock.notify_all()

    def _send(self, slot: _Slot, entry: _Entry) -> None:
        if not entry.started:
            entry.started = True
            if not entry.future.set_running_or_notify_cancel():
                return  # cancelled by the caller
        slot.inflight[slot.actor.run.remote(entry.request)] = entry

    def _collect(self, refs: list) -> None:
        ray = self._ray
        dead: set = set()
        for ref in refs:
            slot = next(s for s in self._slots if ref in s.inflight)
            try:
                run = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError) as exc:
                dead.add((slot, _short(exc)))
                continue
            except Exception as exc:  # noqa: BLE001 - the executor failed on this program
                with self._lock:
                    entry = slot.inflight.pop(ref)
                    slot.solo = False
                entry.future.set_exception(exc)
                continue
            with self._lock:
                entry = slot.inflight.pop(ref)
                slot.solo = False
                if slot.record is not None:
                    self._programs[(slot.record.node_id, slot.record.actor_pid)] += 1
                self._lock.notify_all()
            _resolve(entry, run)
        for slot, why in dead:
            self._actor_died(slot, why)

    def _actor_died(self, slot: _Slot, why: str) -> None:
        log.warning("sandbox actor on node %s died (%s); %d programs go back to the queue",
                    slot.node_id[:12], why, len(slot.inflight))
        with self._lock:
            held, slot.inflight, slot.solo = list(slot.inflight.values()), {}, False
            for entry in held:
                entry.tries += 1
                if entry.tries >= self._max_tries:
                    _resolve(entry, _harness_error(entry.request, f"its Ray actor died {entry.tries} times "
                                                                  f"while running it (last: {why})"))
                else:
                    self._suspects.append(entry)
            self._lock.notify_all()
        self._respawn_or_drop(slot)

    def _fail_all(self, why: str, cancel: bool = False) -> None:
        """Under the lock: end every program still held."""
        entries = list(self._queue) + list(self._suspects) + [e for s in self._slots for e in s.inflight.values()]
        self._queue.clear()
        self._suspects.clear()
        for slot in self._slots:
            slot.inflight = {}
        for entry in entries:
            if entry.future.done():
                continue
            if not entry.started:
                entry.started = True
                if (cancel and entry.future.cancel()) or not entry.future.set_running_or_notify_cancel():
                    continue
            _resolve(entry, _harness_error(entry.request, why))
        if entries:
            self._closed = self._closed or not cancel
        self._lock.notify_all()

    def _shutdown(self) -> None:
        for slot in getattr(self, "_slots", []):
            if slot.actor is not None:
                try:
                    self._ray.get(slot.actor.close.remote(), timeout=10)
                except Exception:  # noqa: BLE001 - dead or hung: killed below
                    pass
                self._kill(slot)
                slot.actor = slot.ready = None
        if self._started_ray and self._ray.is_initialized():
            self._ray.shutdown()


def _resolve(entry: _Entry, run: ProgramRun) -> None:
    """The future's result: the run, each test seen by the caller's on_run (as the local executor does)."""
    if entry.on_run is not None:
        run = ProgramRun(runs=tuple(_reduce(entry.on_run, r) for r in run.runs), wrapped=run.wrapped)
    entry.future.set_result(run)


def _reduce(on_run, run: TestRun) -> TestRun:
    try:
        return on_run(run)
    except Exception as exc:  # noqa: BLE001 - the caller's hook failed, not the candidate
        return TestRun(run.index, RunStatus.HARNESS_ERROR, wall_s=run.wall_s, detail=f"on_run failed: {exc!r}"[:300])


def _harness_error(request: ExecutionRequest, detail: str) -> ProgramRun:
    return ProgramRun(runs=tuple(TestRun(i, RunStatus.HARNESS_ERROR, detail=detail) for i in range(len(request.inputs))))


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
