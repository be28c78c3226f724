"""Where programs run: the executor backend seam.

`Evaluation` needs only `ExecutorBackend`: submit one program, get a Future of its ProgramRun;
a description of the isolation; close. `sandbox.Executor` (this machine's warm workers) is one
implementation, `harness.execution.ray_backend.RayExecutor` (one sandbox Executor per node of a
Ray cluster) another. Ray is imported only when that backend is chosen.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Callable, Protocol, runtime_checkable

from sandbox import ExecutionRequest, Executor, ProgramRun, TestRun
from sandbox.records import SandboxSummary

from harness.config import ClusterConfig, ExecutionConfig

OnRun = Callable[[TestRun], TestRun]


@runtime_checkable
class ExecutorBackend(Protocol):
    isolation: dict
    sandbox: SandboxSummary

    def submit(self, request: ExecutionRequest, on_run: OnRun | None = None) -> "Future[ProgramRun]":
        """`on_run(TestRun) -> TestRun` sees each test's run (on this machine) and its result is kept."""
        ...

    def close(self) -> None: ...


def open_backend(execution: ExecutionConfig, workers: int | None = None) -> ExecutorBackend:
    """The backend that `execution` asks for, started now."""
    workers = workers or execution.workers
    if execution.cluster.executor == "ray":
        from harness.execution.ray_backend import RayExecutor

        return RayExecutor(execution.limits, workers=execution.cluster.workers_per_node,
                           address=execution.cluster.address, sandbox=execution.sandbox,
                           cpus_per_actor=execution.cluster.cpus_per_actor)
    return Executor(execution.limits, workers, execution.sandbox)


class LazyBackend:
    """Starts the real backend at the first submit: a run with nothing left to judge starts nothing.

    `record` gets the started backend when it is up and again before it closes (to record its
    isolation and, on a cluster, the nodes that ran).
    """

    def __init__(self, factory: Callable[[], ExecutorBackend], record: Callable[[ExecutorBackend], None]) -> None:
        self._factory, self._record = factory, record
        self._backend: ExecutorBackend | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def isolation(self) -> dict:
        return self._open().isolation

    @property
    def sandbox(self) -> SandboxSummary:
        return self._open().sandbox

    def _open(self) -> ExecutorBackend:
        with self._lock:
            if self._closed:
                raise RuntimeError("executor is closed")
            if self._backend is None:
                backend = self._factory()
                try:
                    self._record(backend)
                except BaseException:
                    backend.close()
                    raise
                self._backend = backend
            return self._backend

    def submit(self, request: ExecutionRequest, on_run: OnRun | None = None) -> "Future[ProgramRun]":
        return self._open().submit(request, on_run)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            backend, self._backend = self._backend, None
        if backend is not None:
            try:
                self._record(backend)
            finally:
                backend.close()

    def __enter__(self) -> "LazyBackend":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


__all__ = ["ClusterConfig", "ExecutorBackend", "LazyBackend", "open_backend"]
