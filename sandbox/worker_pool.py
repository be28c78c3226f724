"""Harness side of one worker process: starting it, talking to it with deadlines, killing it.

Workers are fresh interpreters (``python -s -S sandbox/inside/worker.py``) started with a minimal
environment, never forks of the harness (which may hold a model and secrets).
"""
from __future__ import annotations

import itertools
import logging
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from .cgroups import make_worker_cgroup
from .inside import protocol, wire

log = logging.getLogger(__name__)

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inside", "worker.py")
START_TIMEOUT_S = 60.0
CANDIDATE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "PYTHONHASHSEED": "0",  # the same set/dict order on every run: reproducible verdicts
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


SCRATCH_PREFIX = "apps-eval-scratch-"
_WORKER_NUMBERS = itertools.count()


def _remove_orphaned_scratch() -> None:
    """Scratch folders of harnesses that were killed before they could remove them."""
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        if not name.startswith(SCRATCH_PREFIX):
            continue
        owner = name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)


class WorkerFailure(Exception):
    """The worker process, not the candidate, failed."""


class SandboxUnavailable(Exception):
    """The full sandbox cannot be built on this machine (the message says why and what to do)."""


def _under(path: str, roots: set[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def interpreter_paths() -> tuple[list[str], list[str]]:
    """The import path candidates get (stdlib and site-packages only) and the folders to expose.

    Only folders under the interpreter's prefixes: a repository or data folder that a .pth
    file or PYTHONPATH put on the harness's path is not exposed.
    """
    prefixes = {os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    path = [os.path.abspath(p) for p in sys.path if p and os.path.isabs(p) and os.path.exists(p)]
    path = [p for p in dict.fromkeys(path) if _under(p, prefixes)]
    return path, sorted(prefixes) + [p for p in path if os.path.isdir(p)]


class WorkerProcess:
    """One worker process and its two pipes. Used by one harness thread at a time."""

    def __init__(self, config: protocol.WorkerConfig) -> None:
        self.config = config
        self.proc: subprocess.Popen | None = None
        self.isolation: dict = {}
        self.cgroup = None

    def start(self) -> None:
        # Scratch space for the fallback without a private /tmp; removed when the worker dies.
        _remove_orphaned_scratch()
        self.scratch_base = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
        os.chmod(self.scratch_base, 0o711)
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        self.stderr = tempfile.TemporaryFile()
        limits = self.config.limits
        self.cgroup, memory_bound = make_worker_cgroup(f"{SCRATCH_PREFIX}{os.getpid()}-{next(_WORKER_NUMBERS)}",
                                                       limits.memory_mb, limits.max_processes)
        oom_fd = os.open(self.cgroup.events_path, os.O_RDONLY | os.O_CLOEXEC) if self.cgroup else None
        cpu_fd, cpu_counter = None, ""
        if self.cgroup is not None and self.cgroup.cpu_usage_path:
            cpu_fd = os.open(self.cgroup.cpu_usage_path, os.O_RDONLY | os.O_CLOEXEC)
            cpu_counter = self.cgroup.describe_cpu()
        passed = (req_r, resp_w) + tuple(fd for fd in (oom_fd, cpu_fd) if fd is not None)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-s", "-S", WORKER_SCRIPT, str(req_r), str(resp_w)],
                pass_fds=passed, env=CANDIDATE_ENV, cwd="/", stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=self.stderr, start_new_session=True)
            if self.cgroup is not None:  # before it reads its configuration: nothing has forked yet
                self.cgroup.add(self.proc.pid)
        finally:
            for fd in passed:
                os.close(fd)
        config = dataclasses.replace(self.config, scratch_base=self.scratch_base, oom_fd=oom_fd,
                                     memory_bound=memory_bound, cpu_fd=cpu_fd, cpu_counter=cpu_counter,
                                     cpu_counter_v2=self.cgroup is not None and self.cgroup.version == 2,
                                     cpu_group=self.cgroup is not None and self.cgroup.version == 1)
        self.send_bytes(protocol.encode(config), time.monotonic() + START_TIMEOUT_S)

    def wait_ready(self) -> None:
        reply = self.recv(time.monotonic() + START_TIMEOUT_S, protocol.Ready, protocol.SetupFailed)
        if isinstance(reply, protocol.SetupFailed):
            raise (SandboxUnavailable if reply.unavailable else WorkerFailure)(reply.error)
        self.isolation = reply.isolation

    def send_bytes(self, body: bytes, deadline: float) -> None:
        try:
            wire.send(self.req_w, body, deadline)
        except wire.WireTimeout:
            raise WorkerFailure("worker does not read its requests") from None

    def recv(self, deadline: float, *expected: type, max_bytes: int = wire.MAX_MESSAGE):
        """The worker's next message, one of `expected`; WorkerFailure for anything else."""
        try:
            return protocol.decode(wire.recv(self.resp_r, deadline, max_bytes), *expected)
        except wire.WireTimeout:
            raise WorkerFailure("worker did not answer in time") from None
        except (wire.WireError, protocol.ProtocolError) as exc:
            raise WorkerFailure(f"worker's reply: {exc}") from None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr_tail(self) -> str:
        if self.proc is None:
            return ""
        try:
            self.stderr.seek(0, os.SEEK_END)
            size = self.stderr.tell()
            self.stderr.seek(max(0, size - 600))
            return self.stderr.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""

    def kill(self) -> None:
        """SIGKILL the worker's process group; its pid namespace dies with it."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
            try:
                kill()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.warning("worker %d did not die", proc.pid)
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.stderr.close()
        shutil.rmtree(self.scratch_base, ignore_errors=True)
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None


def kill_all(workers: list[WorkerProcess]) -> None:
    for w in workers:
        w.kill()
