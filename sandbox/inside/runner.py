"""Inside a worker: a program's tests (a piece of them per request) in an isolated test process.

Input, stdout, stderr and the result record live in memfds, so the test process never
blocks on a pipe and nothing it writes is buffered here beyond a capped read. The
time limits are enforced from here, outside the candidate: the CPU time of the test's whole
process tree, and a larger wall-clock limit; RLIMIT_CPU per process backs them. When
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
import protocol
from protocol import Limits, RunStatus, TestKind, TestRun
from test_process import FreshState, GroupCpuMeter, TestProcess, write_program
from zygote import Zygote


# Third-party modules slow to import (numpy: ~50 ms): a program that imports one has it
# imported in its test process before the first test's clock starts.
_HEAVY_PATTERN = re.compile(r"^[ \t]*(?:import|from)[ \t][^\n]*?\b(numpy|scipy|sympy|pandas|networkx)\b", re.M)


def _open_last_pid() -> "tuple[int | None, bool]":
    """ns_last_pid of our pid namespace, and whether we may set it (root: a random start per
    test process, so no program learns from its pids how many processes earlier ones made)."""
    path = "/proc/sys/kernel/ns_last_pid"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        try:
            os.pwrite(fd, os.pread(fd, 32, 0).strip(), 0)
            return fd, True
        except OSError:
            os.close(fd)
    except OSError:
        pass
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC), False
    except OSError:  # then every test counts as one that may have spawned processes
        return None, False


def _pid_range() -> int:
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 32768


class Runner:
    def __init__(self, limits: Limits, *, uid: int, gid: int, drop: bool, pid_namespace: bool,
                 ipc_namespace: bool, private_root: bool, watch_fd: int, scratch_base: str,
                 shares_uid: bool = False, user_namespace: bool = False, oom_fd: "int | None" = None,
                 cpu_fd: "int | None" = None, cpu_counter_v2: bool = False, proc_fd: "int | None" = None,
                 new_session: bool = False, files_fd: "int | None" = None, zygote: bool = False,
                 zygote_role: bool = False) -> None:
        """`zygote`: a zygote forks the test processes (connect_zygote); `zygote_role`: this is
        the zygote's own Runner (it only forks them: no scratch folder of its own to make)."""
        self.limits = lim = limits
        self.uid, self.gid, self.drop = uid, gid, drop
        self.pid_namespace, self.private_root, self.watch_fd = pid_namespace, private_root, watch_fd
        self.ipc_namespace = ipc_namespace
        # In our own user namespace the kernel counts RLIMIT_NPROC per namespace and uid, so
        # it binds per worker even without a uid of the candidate's own (the worker's own
        # processes count too: its first process, the server and the zygote).
        self.nproc_binds = drop or user_namespace
        self.own_processes = 3 if zygote else 2
        self.nproc = limits.max_processes if drop else limits.max_processes + self.own_processes
        # Test processes forked by a zygote that never held a program (worker.py starts it).
        self.use_zygote = zygote
        self.zygote: "Zygote | None" = None
        self.oom_fd = oom_fd  # the memory cgroup's OOM-kill counter, when there is a group
        # Who made the last process in our pid namespace: tells whether a test process spawned any.
        self.last_pid_fd, self.random_pids = _open_last_pid() if pid_namespace else (None, False)
        self.pid_max = _pid_range()
        self.oom_seen = outcomes.oom_kills(oom_fd) if oom_fd is not None else 0
        # What charges a test its CPU time: the worker's cgroup counter where there is one, else
        # the processes of the pid namespace, read through `proc_fd` (or /proc) by TestProcess.
        self.meter = GroupCpuMeter(cpu_fd, cpu_counter_v2) if cpu_fd is not None else None
        self.proc_fd = proc_fd
        self.files_fd = files_fd  # where the test processes' files are made (else they are memfds)
        if private_root:  # private tmpfs (and the mqueue filesystem): wipe whatever the candidate left
            self.wipe = ("/tmp", "/dev/shm") + (("/dev/mqueue",) if os.path.isdir("/dev/mqueue") else ())
        else:  # a folder the harness made for this worker (and removes when it is killed)
            self.wipe = (scratch_base,)
        self.scratch = self.wipe[0] + "/work"
        # Why the program being served does not compile, as its test process found: (key, detail,
        # wrapped) or None. Never kept for another program: a program can forge that finding.
        self._compile_error = None
        self._session = None  # (program key, TestProcess) left open for the next piece
        # Everything the child needs, computed once: each attribute a child looks up costs it
        # a copied page.
        self.child_setup = (self.scratch, lim.memory_bytes, lim.effective_cpu_s, lim.file_bytes,
                            uid if drop else -1, gid, pid_namespace, shares_uid, True, new_session)
        # Constant per worker, so children need not touch the environment.
        os.environ["HOME"] = os.environ["TMPDIR"] = self.scratch
        self.kill_uid = uid if drop else None  # without a pid namespace: whose processes to kill
        # System V IPC objects a candidate left: all of our IPC namespace's, or the candidate
        # uid's; none when neither can be told apart from other users' objects.
        self.ipc_owner = None if ipc_namespace else self.kill_uid
        self.ipc_cleanup = ipc_namespace or self.kill_uid is not None
        # What the worker's own root put there (e.g. the mount point of a virtual environment
        # under /tmp): never a candidate's, never wiped.
        self.skeleton = frozenset(os.path.join(base, name) for base in self.wipe for name in os.listdir(base))
        self.base_modes = {base: os.stat(base).st_mode & 0o7777 for base in self.wipe}
        if not zygote_role:
            self._make_scratch()

    def limit_worker(self) -> None:
        """Limits that bind the candidate but not this (root, or never forking) worker; inherited."""
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.nproc_binds:  # root is exempt from RLIMIT_NPROC; the dropped child is not
            resource.setrlimit(resource.RLIMIT_NPROC, (self.nproc, self.nproc))

    def snapshot_interpreter(self) -> None:
        """Record the interpreter state every test starts from; call when the worker is set up."""
        self.fresh = FreshState(self.scratch, self.limits.effective_cpu_s, self.wipe, self.skeleton, self.base_modes)

    def connect_zygote(self, fd: int, pid: int) -> None:
        """The zygote on the socket `fd` (pid `pid`), once it is ready."""
        self.zygote = Zygote(fd, pid)
        if self.meter is not None:
            self.meter.zygote = self.zygote

    def describe(self) -> dict:
        return {
            "rlimits": {"address_space_mb": self.limits.memory_mb, "cpu_s": self.limits.effective_cpu_s,
                        "file_bytes": self.limits.file_bytes,
                        "processes": (self.nproc if self.drop else
                                      f"{self.nproc} per user namespace (the worker's own {self.own_processes}"
                                      " included)")
                        if self.nproc_binds else "not binding (no uid drop, no user namespace)",
                        "core": 0},
            "time_limit": f"{self.limits.timeout_s:g} s of CPU time of the test's whole process tree"
                          " (threads, children, daemons; measured by the worker, outside the candidate: see"
                          " cpu_accounting)",
            "wall_timeout": f"{self.limits.effective_wall_s:g} s, enforced by the worker (pidfd poll + SIGKILL)",
            "no_new_privs": True,  # set before the worker's exec, inherited
            "test_process": "one fork per program runs its tests in turn, interpreter state reset"
                            " between tests; a fresh fork after a crash, exit or timeout",
            "call_based_module": "loaded afresh for every test; in the APPS environment (apps_environment)"
                                 " loaded once per test process, its function (one Solution()) called per test,"
                                 " module state kept between those tests, as in the original",
            "test_process_origin": "forked by a zygote that never held any program's data (init of a nested pid"
                                   " namespace, out of the candidates' reach)" if self.use_zygote
            else "forked by the worker: its freed memory may hold earlier programs' text",
            "test_process_proc": ("a /proc of their own pid namespace (their pids as they know them)"
                                  if self.zygote is not None and self.zygote.own_proc else
                                  "the worker's /proc: processes listed under their pids one namespace up"
                                  if self.zygote is not None else "the worker's /proc"),
            "cleanup": ("kill(-1) by the zygote, init of the test processes' pid namespace, after each program"
                        if self.use_zygote else "kill(-1) by the pid-namespace init after each program")
            if self.pid_namespace
            else ("subreaper + kill of the candidate uid" if self.drop else "subreaper + process-group kill"),
            "scratch": "fresh directory per program in a private tmpfs /tmp" if self.private_root
            else "fresh directory per program under the host temp dir",
            "pid_sequence": "a random start for every test process (ns_last_pid"
                            + (", the worker's and the zygote's namespaces)" if self.use_zygote else ")")
            if self.random_pids
            else ("continues across programs (ns_last_pid cannot be set without root)" if self.pid_namespace
                  else "the host's"),
            "state_wiped_after_each_program": list(self.wipe) + (
                ["System V IPC objects" + ("" if self.ipc_owner is None else " of the candidate uid")]
                if self.ipc_cleanup else []),
            "environment": sorted(os.environ),
        }

    def close(self) -> None:
        self._take_session(None)
        if not self.private_root:
            cleanup.wipe(self.wipe, self.skeleton, self.base_modes)

    # ---- one program -------------------------------------------------------------------
    def run_program(self, piece: protocol.Piece) -> protocol.Results:
        """Run a piece of a program's tests. With `resume`, continue in the test process that
        the last piece of the same program left open; with `more` tests to follow, leave it open.
        The piece stops at its first timeout (Results.stopped): the harness decides whether the
        rest runs, so a program that loops on a late test of a big piece costs one limit, not one
        per test left in it."""
        stdio = piece.kind is TestKind.STDIO
        key = (piece.program, piece.kind, piece.fn_name, piece.apps_environment)
        process = self._take_session(key if piece.resume else None)
        inputs, more = piece.inputs, piece.more
        first = piece.first_index
        if not piece.resume:
            self._compile_error = None
        if self._compile_error is not None and self._compile_error[0] == key:
            if process is not None:
                self._finish(process)
            return self._not_compiled(first, len(inputs), *self._compile_error[1:])
        heavy = set(_HEAVY_PATTERN.findall(piece.program))
        if stdio and candidate.uses_numpy_alias(piece.program):
            heavy.add("numpy")  # the APPS header imports numpy for a program that uses `np`
        program = (piece.program, stdio, piece.fn_name, sorted(heavy), piece.apps_environment,
                   self.limits.max_output_bytes)
        runs, wrapped, stopped = [], False, False
        try:
            for index, text in enumerate(inputs):
                data = text.encode("utf-8", "surrogatepass")
                for _ in range(2):  # a second time only for a test that never began
                    if process is None:
                        process = self._start(program, len(inputs) - index + more)
                    fresh = not process.used
                    outcome = process.run_test(data if stdio else b"", b"" if stdio else data,
                                               self.limits.timeout_s, self.limits.effective_wall_s,
                                               last=index == len(inputs) - 1 and not more)
                    if self.oom_fd is not None and not outcome.finished:
                        kills = outcomes.oom_kills(self.oom_fd)
                        outcome.oom_killed, self.oom_seen = kills > self.oom_seen, kills
                    run, in_wrapper = outcomes.classify(self.limits, first + index, stdio, process.files, outcome)
                    wrapped |= in_wrapper
                    if not process.alive:
                        ended, process = process, None  # finished once, even if its cleanup fails
                        self._finish(ended)
                    if outcome.started or fresh:
                        break
                if run.status is RunStatus.COMPILE_ERROR:  # does not compile, or no such function
                    self._remember_compile_error(key, run.detail, wrapped)
                    return self._not_compiled(first, len(inputs), run.detail, wrapped)
                runs.append(run)
                if run.status is RunStatus.TIMEOUT and index < len(inputs) - 1:
                    stopped = True
                    break
        finally:
            if process is not None:
                if more and len(runs) == len(inputs):
                    self._session = (key, process)
                else:
                    self._finish(process)
        return protocol.Results(runs=tuple(runs), wrapped=wrapped, stopped=stopped)

    @staticmethod
    def _not_compiled(first: int, count: int, detail: str, wrapped: bool) -> protocol.Results:
        return protocol.Results(runs=tuple(TestRun(first + i, RunStatus.COMPILE_ERROR, detail=detail)
                                           for i in range(count)), wrapped=wrapped)

    def _remember_compile_error(self, key, detail: str, wrapped: bool) -> None:
        self._compile_error = (key, detail, wrapped)

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
        if self.files_fd is not None:
            files = [os.open(".", os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600, dir_fd=self.files_fd)
                     for _ in range(4)]
            for fd in files:  # reopenable through /dev/stdout & co. whatever the candidate's uid, like a memfd
                os.fchmod(fd, 0o666)
        else:
            files = [os.memfd_create(name) for name in ("stdin", "stdout", "stderr", "record")]
        program_fd = (os.open(".", os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600, dir_fd=self.files_fd)
                      if self.files_fd is not None else os.memfd_create("program"))
        if self.random_pids:  # the next pid is random, whatever ran before
            start = 1000 + int.from_bytes(os.urandom(4), "little") % max(1, self.pid_max - 2000)
            os.pwrite(self.last_pid_fd, str(start).encode(), 0)
        try:
            write_program(program_fd, program)
            return TestProcess(files, self.child_setup + (max_tests,), program_fd, bool(program[3]), self.fresh,
                               self.watch_fd, self.last_pid_fd, self.meter, self.proc_fd, self.zygote)
        except BaseException:
            for fd in files:
                os.close(fd)
            raise
        finally:
            os.close(program_fd)

    def _finish(self, process: TestProcess) -> None:
        """Kill the test process and everything it started, close its files, wipe its writes."""
        process.close()
        if self.zygote is not None:
            self.zygote.clean()
        else:
            cleanup.kill_leftovers(process.pid, self.pid_namespace, self.kill_uid)
        for fd in process.files:
            os.close(fd)
        self._clean()

    def _make_scratch(self) -> None:
        os.mkdir(self.scratch, 0o700)
        if self.drop:
            os.chown(self.scratch, self.uid, self.gid)

    def _clean(self) -> None:
        """Remove the scratch dir, anything else the candidate wrote and the IPC objects it made;
        make a fresh scratch dir. cleanup.CleanupFailed when something stays."""
        cleanup.wipe(self.wipe, self.skeleton, self.base_modes)
        if self.ipc_cleanup:
            cleanup.remove_ipc_objects(self.ipc_owner)
        self._make_scratch()
