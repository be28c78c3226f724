"""Inside a worker: a program's tests (a piece of them per request) in an isolated test process.

Input, stdout, stderr and the result record live in memfds, so the test process never
blocks on a pipe and nothing it writes is buffered here beyond a capped read. The
wall-clock limit is enforced from here, outside the candidate; RLIMIT_CPU backs it. When
the program's tests here are done (or its process died), every other process in the namespace
is killed and reaped, and the scratch directory (and anything else written to /tmp or
/dev/shm) is removed.

The worker keeps its memory small and imports nothing that registers at-fork handlers
(threading, random): every test process is a fork of it.
"""
from __future__ import annotations

import os
import re
import resource

import candidate
import cleanup
import outcome as outcomes
from outcome import COMPILE_ERROR
from test_process import FreshState, TestProcess


# Third-party modules slow to import (numpy: ~50 ms): a program that imports one has it
# imported in its test process before the first test's clock starts.
_HEAVY_PATTERN = re.compile(r"^[ \t]*(?:import|from)[ \t][^\n]*?\b(numpy|scipy|sympy|pandas|networkx)\b", re.M)


class Runner:
    def __init__(self, limits: dict, *, uid: int, gid: int, drop: bool, pid_namespace: bool,
                 private_root: bool, watch_fd: int, scratch_base: str) -> None:
        self.limits = lim = outcomes.Limits(limits)
        self.max_output = lim.max_output
        self.uid, self.gid, self.drop = uid, gid, drop
        self.pid_namespace, self.private_root, self.watch_fd = pid_namespace, private_root, watch_fd
        if private_root:
            self.wipe = ("/tmp", "/dev/shm")  # private tmpfs: wipe whatever the candidate left
        else:  # a folder the harness made for this worker (and removes when it is killed)
            self.wipe = (scratch_base,)
        self.scratch = self.wipe[0] + "/work"
        self._compiled: dict = {}
        self._session = None  # (program key, TestProcess) left open for the next piece
        # Everything the child needs, computed once: each attribute a child looks up costs it
        # a copied page.
        self.child_setup = (self.scratch, lim.memory_bytes, lim.cpu_s, lim.fsize,
                            uid if drop else -1, gid, pid_namespace)
        # Constant per worker, so children need not touch the environment.
        os.environ["HOME"] = os.environ["TMPDIR"] = self.scratch
        self.kill_uid = uid if drop else None  # without a pid namespace: whose processes to kill
        # What the worker's own root put there (e.g. the mount point of a virtual environment
        # under /tmp): never a candidate's, never wiped.
        self.skeleton = frozenset(os.path.join(base, name) for base in self.wipe for name in os.listdir(base))
        self._make_scratch()

    def limit_worker(self) -> None:
        """Limits that bind the candidate but not this (root, or never forking) worker; inherited."""
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.drop:  # root is exempt from RLIMIT_NPROC; the dropped child is not
            resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.nproc, self.limits.nproc))

    def snapshot_interpreter(self) -> None:
        """Record the interpreter state every test starts from; call when the worker is set up."""
        self.fresh = FreshState(self.scratch, self.limits.cpu_s, self.wipe, self.skeleton)

    def describe(self) -> dict:
        return {
            "rlimits": {"address_space_mb": self.limits.memory_bytes >> 20, "cpu_s": self.limits.cpu_s,
                        "file_bytes": self.limits.fsize,
                        "processes": self.limits.nproc if self.drop else "not binding (no uid drop)",
                        "core": 0},
            "wall_timeout": "enforced by the worker (pidfd poll + SIGKILL), outside the candidate",
            "no_new_privs": True,  # set before the worker's exec, inherited
            "test_process": "one fork per program runs its tests in turn, interpreter state reset"
                            " between tests; a fresh fork after a crash, exit or timeout",
            "cleanup": "kill(-1) by the pid-namespace init after each program" if self.pid_namespace
            else ("subreaper + kill of the candidate uid" if self.drop else "subreaper + process-group kill"),
            "scratch": "fresh directory per program in a private tmpfs /tmp" if self.private_root
            else "fresh directory per program under the host temp dir",
            "environment": sorted(os.environ),
        }

    def close(self) -> None:
        self._take_session(None)
        if not self.private_root:
            cleanup.wipe(self.wipe, self.skeleton)

    # ---- one program -------------------------------------------------------------------
    def run_program(self, request: dict) -> dict:
        """Run a piece of a program's tests. With `resume`, continue in the test process that
        the last piece of the same program left open; with `more` tests to follow, leave it open."""
        stdio = request["kind"] == "stdio"
        key = (request["program"], request["kind"], request.get("fn_name"))
        process = self._take_session(key if request.get("resume") else None)
        prepared = self._prepare(request["program"], stdio)
        inputs, more = request["inputs"], int(request.get("more", 0))
        if prepared.code is None:
            if process is not None:
                self._finish(process)
            return {"runs": [[i, COMPILE_ERROR, "", 0.0, prepared.error] for i in range(len(inputs))],
                    "wrapped": False}
        heavy = set(_HEAVY_PATTERN.findall(request["program"]))
        if prepared.header is not None and "numpy" in prepared.header.co_names:
            heavy.add("numpy")  # the APPS header imports numpy for a program that uses `np`
        program = (prepared, stdio, request.get("fn_name"), sorted(heavy))
        runs = []
        try:
            for index, text in enumerate(inputs):
                data = text.encode("utf-8", "surrogatepass")
                for _ in range(2):  # a second time only for a test that never began
                    if process is None:
                        process = self._start(program, len(inputs) - index + more)
                    fresh = not process.used
                    outcome = process.run_test(data if stdio else b"", b"" if stdio else data,
                                               self.limits.timeout_s, last=index == len(inputs) - 1 and not more)
                    verdict, output, detail = outcomes.classify(self.limits, stdio, process.files, outcome)
                    if not process.alive:
                        self._finish(process)
                        process = None
                    if outcome.started or fresh:
                        break
                if verdict == COMPILE_ERROR:  # the called function does not exist
                    return {"runs": [[i, COMPILE_ERROR, "", 0.0, detail] for i in range(len(inputs))],
                            "wrapped": prepared.wrapped}
                runs.append([index, verdict, output, round(outcome.wall, 6), detail])
        finally:
            if process is not None:
                if more and len(runs) == len(inputs):
                    self._session = (key, process)
                else:
                    self._finish(process)
        return {"runs": runs, "wrapped": prepared.wrapped}

    def _take_session(self, key) -> "TestProcess | None":
        """The test process left open for `key`; any other open one is finished."""
        session, self._session = self._session, None
        if session is None:
            return None
        if session[0] == key and session[1].alive:
            return session[1]
        self._finish(session[1])
        return None

    def _start(self, program: tuple, max_tests: int) -> TestProcess:
        files = [os.memfd_create(name) for name in ("stdin", "stdout", "stderr", "record")]
        try:
            return TestProcess(files, self.child_setup + (max_tests,), program, self.fresh, self.watch_fd)
        except BaseException:
            for fd in files:
                os.close(fd)
            raise

    def _finish(self, process: TestProcess) -> None:
        """Kill the test process and everything it started, close its files, wipe its writes."""
        process.close()
        cleanup.kill_leftovers(process.pid, self.pid_namespace, self.kill_uid)
        for fd in process.files:
            os.close(fd)
        self._clean()

    def _prepare(self, program: str, stdio: bool):
        """Compile once per program, also when its tests come in several chunks."""
        key = (stdio, program)
        prepared = self._compiled.get(key)
        if prepared is None:
            prepared = candidate.prepare(program, stdio)
            if len(self._compiled) >= 8:
                del self._compiled[next(iter(self._compiled))]
            self._compiled[key] = prepared
        return prepared

    def _make_scratch(self) -> None:
        os.mkdir(self.scratch, 0o700)
        if self.drop:
            os.chown(self.scratch, self.uid, self.gid)

    def _clean(self) -> None:
        """Remove the scratch dir and anything else the candidate wrote; make a fresh one."""
        cleanup.wipe(self.wipe, self.skeleton)
        self._make_scratch()
