"""Inside a worker: one program, all its tests, each in a fresh forked process.

Parent side of a test (this process): input, stdout, stderr and the result record live in
memfds, so the child never blocks on a pipe and nothing it writes is buffered here beyond
a capped read. The wall-clock limit is a poll() on a pidfd, enforced from outside the child;
RLIMIT_CPU backs it. Afterwards every other process in the namespace is killed and reaped,
and the scratch directory (and anything else written to /tmp or /dev/shm) is removed.

Speed matters here (one fork per test): the worker keeps its memory small and imports
nothing that registers at-fork handlers (threading, random), since those run in every child.
"""
from __future__ import annotations

import json
import os
import re
import resource
import select
import signal
import time

import _candidate
import _cleanup
import _outcome
from _outcome import COMPILE_ERROR, SETUP_FAILED


# Third-party modules too slow to import once per test (numpy: ~50 ms): a program that
# mentions one gets a per-program template process that imports it once.
_HEAVY_PATTERN = re.compile(r"\b(numpy|np|scipy|sympy|pandas|networkx)\b")


class Runner:
    def __init__(self, limits: dict, *, uid: int, gid: int, drop: bool, pid_namespace: bool,
                 private_root: bool, watch_fd: int, scratch_base: str) -> None:
        self.limits = lim = _outcome.Limits(limits)
        self.max_output = lim.max_output
        self.uid, self.gid, self.drop = uid, gid, drop
        self.pid_namespace, self.private_root, self.watch_fd = pid_namespace, private_root, watch_fd
        if private_root:
            self.wipe = ("/tmp", "/dev/shm")  # private tmpfs: wipe whatever the candidate left
        else:  # a folder the harness made for this worker (and removes when it is killed)
            self.wipe = (scratch_base,)
        self.scratch = self.wipe[0] + "/work"
        self._compiled: dict = {}
        # Everything the child needs, computed once: each attribute a child looks up costs it
        # a copied page.
        self.child_setup = (self.scratch, lim.memory_bytes, lim.cpu_s, lim.fsize,
                            uid if drop else -1, gid, pid_namespace)
        # Constant per worker, so children need not touch the environment.
        os.environ["HOME"] = os.environ["TMPDIR"] = self.scratch
        self.kill_uid = uid if drop else None  # without a pid namespace: whose processes to kill
        self._make_scratch()

    def limit_worker(self) -> None:
        """Limits that bind the candidate but not this (root, or never forking) worker; inherited."""
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.drop:  # root is exempt from RLIMIT_NPROC; the dropped child is not
            resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.nproc, self.limits.nproc))

    def describe(self) -> dict:
        return {
            "rlimits": {"address_space_mb": self.limits.memory_bytes >> 20, "cpu_s": self.limits.cpu_s,
                        "file_bytes": self.limits.fsize,
                        "processes": self.limits.nproc if self.drop else "not binding (no uid drop)",
                        "core": 0},
            "wall_timeout": "enforced by the worker (pidfd poll + SIGKILL), outside the candidate",
            "no_new_privs": True,  # set before the worker's exec, inherited
            "process_per_test": True,
            "cleanup": "kill(-1) by the pid-namespace init after each test" if self.pid_namespace
            else ("subreaper + kill of the candidate uid" if self.drop else "subreaper + process-group kill"),
            "scratch": "fresh directory per test in a private tmpfs /tmp" if self.private_root
            else "fresh directory per test under the host temp dir",
            "environment": sorted(os.environ),
        }

    def close(self) -> None:
        if not self.private_root:
            for path in os.listdir(self.wipe[0]):
                _cleanup.rmtree(os.path.join(self.wipe[0], path))

    # ---- one program -------------------------------------------------------------------
    def run_program(self, request: dict) -> dict:
        heavy = sorted(set(_HEAVY_PATTERN.findall(request["program"])))
        heavy = ["numpy" if name == "np" else name for name in heavy]
        if heavy:
            return self._run_in_template(request, heavy)
        return self._run_program_here(request)

    def _run_in_template(self, request: dict, modules: list[str]) -> dict:
        """Fork a per-program template that imports the heavy modules once for all tests.

        The template stays root and cleans up after each test as this worker would:
        kill(-1) spares only the namespace's init and the caller; the orphans it leaves
        are reaped here (or, without a pid namespace, by the subreaper).
        """
        reply_fd = os.memfd_create("reply")
        try:
            pid = os.fork()
            if pid == 0:
                try:
                    for name in modules:
                        try:
                            __import__(name)
                        except Exception:  # noqa: BLE001 - the candidate will see the same failure
                            pass
                    import gc
                    gc.freeze()
                    _write_all(reply_fd, json.dumps(self._run_program_here(request)).encode())
                finally:
                    os._exit(0)
            self._wait_template(pid)
            _, status = os.waitpid(pid, 0)
            _cleanup.kill_leftovers(pid, self.pid_namespace, self.kill_uid)  # the template's orphans
            size = os.fstat(reply_fd).st_size
            if status != 0 or size == 0:
                return {"error": f"per-program template process failed (wait status {status})"}
            return json.loads(os.pread(reply_fd, size, 0))
        finally:
            os.close(reply_fd)

    def _wait_template(self, pid: int) -> None:
        pidfd = os.pidfd_open(pid)
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.register(self.watch_fd, 0)  # only POLLHUP: the harness closed our pipe
            while True:
                events = poller.poll()
                if any(fd == self.watch_fd for fd, _ in events):
                    os._exit(3)
                if events:
                    return
        finally:
            os.close(pidfd)

    def _prepare(self, program: str, stdio: bool):
        """Compile once per program, also when its tests come in several chunks."""
        key = (stdio, program)
        prepared = self._compiled.get(key)
        if prepared is None:
            prepared = _candidate.prepare(program, stdio)
            if len(self._compiled) >= 8:
                del self._compiled[next(iter(self._compiled))]
            self._compiled[key] = prepared
        return prepared

    def _run_program_here(self, request: dict) -> dict:
        stdio = request["kind"] == "stdio"
        prepared = self._prepare(request["program"], stdio)
        inputs = request["inputs"]
        if prepared.code is None:
            return {"runs": [[i, COMPILE_ERROR, "", 0.0, prepared.error] for i in range(len(inputs))],
                    "wrapped": False}
        runs = []
        for index, text in enumerate(inputs):
            run = self.run_test(prepared, stdio, request.get("fn_name"), text, index)
            if run[1] == COMPILE_ERROR:  # the called function does not exist
                return {"runs": [[i, COMPILE_ERROR, "", 0.0, run[4]] for i in range(len(inputs))],
                        "wrapped": prepared.wrapped}
            runs.append(run)
        return {"runs": runs, "wrapped": prepared.wrapped}

    # ---- one test ----------------------------------------------------------------------
    def run_test(self, prepared, stdio: bool, fn_name, text: str, index: int) -> list:
        fds = [os.memfd_create("stdin"), os.memfd_create("stdout"), os.memfd_create("stderr"),
               os.memfd_create("result")]
        try:
            if stdio and text:
                _write_all(fds[0], text.encode("utf-8", "surrogatepass"))
                os.lseek(fds[0], 0, os.SEEK_SET)
            start = time.monotonic()
            pid = os.fork()
            if pid == 0:
                _child(fds, self.child_setup)
                if stdio:
                    _candidate.run_stdio(prepared)
                else:
                    _candidate.run_call(prepared, fn_name, text)
                os._exit(1)  # not reached: the runners leave through os._exit
            timed_out, status, rusage, wall = self._wait(pid, start)
            _cleanup.kill_leftovers(pid, self.pid_namespace, self.kill_uid)
            verdict, output, detail = _outcome.classify(self.limits, stdio, fds, timed_out, status, rusage)
            return [index, verdict, output, round(wall, 6), detail]
        finally:
            for fd in fds:
                os.close(fd)
            self._clean()

    def _wait(self, pid: int, start: float):
        """Wait for the child's exit, at most timeout_s; SIGKILL it past that."""
        pidfd = os.pidfd_open(pid)
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.register(self.watch_fd, 0)  # only POLLHUP: the harness closed our pipe
            deadline = start + self.limits.timeout_s
            timed_out = False
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    os.kill(pid, signal.SIGKILL)
                    break
                events = poller.poll(left * 1000 + 1)
                if any(fd == self.watch_fd for fd, _ in events):
                    os._exit(3)  # the harness went away: take everything down
                if events:
                    break
            wall = time.monotonic() - start
            _, status, rusage = os.wait4(pid, 0)
            return timed_out, status, rusage, wall
        finally:
            os.close(pidfd)

    def _make_scratch(self) -> None:
        os.mkdir(self.scratch, 0o700)
        if self.drop:
            os.chown(self.scratch, self.uid, self.gid)

    def _clean(self) -> None:
        """Remove the scratch dir and anything else the candidate wrote; make a fresh one."""
        for base in self.wipe:
            with os.scandir(base) as it:
                entries = [e.path for e in it]
            for path in entries:
                _cleanup.rmtree(path)
        self._make_scratch()


def _child(fds, setup) -> None:
    """In the forked child: wire fds 0-3, chdir, limits, drop privileges. Never returns on error."""
    try:
        scratch, memory_bytes, cpu_s, fsize, uid, gid, pid_namespace = setup
        dup2 = os.dup2
        dup2(fds[0], 0)
        dup2(fds[1], 1)
        dup2(fds[2], 2)
        dup2(fds[3], 3)
        os.closerange(4, 1 << 20)
        os.chdir(scratch)
        # RLIMIT_CORE, RLIMIT_NPROC and no_new_privs were set once in the worker
        # (Runner.limit_worker) and are inherited.
        setrlimit = resource.setrlimit
        setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if uid >= 0:  # afterwards the process is not dumpable: its /proc/self/environ is unreadable
            os.setgroups(())
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        if not pid_namespace:  # else the kernel kills us together with the namespace's init
            os.setpgid(0, 0)
            import _jail  # ctypes: only on this slower fallback path

            _jail.set_parent_death_signal(signal.SIGKILL)
    except BaseException as exc:  # noqa: BLE001
        try:
            os.write(2, f"sandbox setup failed: {exc!r}".encode())
        finally:
            os._exit(SETUP_FAILED)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


