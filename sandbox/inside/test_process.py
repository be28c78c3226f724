"""The test process: one fork of the worker's zygote (zygote.py; of the worker itself where there
is none) that runs consecutive tests of one program, read from a file after the fork.

Forking per test costs about a millisecond of CPU (copying and tearing down the worker's
page tables, copy-on-write faults), more than a typical APPS test itself. So one isolated
process runs the tests of a program one after the other, as the original APPS harness
does, with the interpreter state a test can change reset before the next one: a fresh
``__main__`` module, fresh std streams on fresh files, builtins, recursion limit, working
directory, CPU budget. A test that crashes, exits the process or times out takes the
process with it; the worker forks a fresh one for the remaining tests. The executor sends
a program's tests in pieces (executor.py); the worker keeps the process open between the
pieces of one program.

Handshake, one byte each way per test: the worker truncates the files, writes the input
and sends GO; the child runs the test, writes its record and answers DONE. The wall clock
runs in the worker, from GO to DONE. For the last test the worker sends LAST and the child
exits with the test's status instead (no process is left waiting). A program that forges
DONE or its record only changes what it itself is judged on; expected outputs never
enter this process.

A call-based program gets a fresh module per test, except in the APPS environment: there,
as in the original, its module is loaded by the first test of the process and kept, and
every test calls the same function (candidate.Loaded); the reset above leaves the module's
own state alone, so module-level state persists between those tests.

The first test of a process runs in the state the fork inherited, untouched: most APPS
programs have one test, and every object the child touches costs it a copy-on-write
fault, so nothing is reset (or even looked at) before it.

Child file descriptors: 0 stdin, 1 stdout, 2 stderr, 3 record (all memfds the worker
reads), 4 DONE pipe, 5 GO pipe, 6-9 copies of 0-3 (restored before each test).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import builtins
import gc
import io
import marshal
import math
import os
import _signal
import resource
import select
import signal
import sys
import time

import candidate
import cleanup
import protocol
import wire
from outcome import SETUP_FAILED

if TYPE_CHECKING:
    from zygote import Zygote

RECORD_FD, DONE_FD, GO_FD, SAVED_FD = 3, 4, 5, 6
READY, GO, LAST, DONE = b"r", b"g", b"l", b"d"
PENDING = b"pending"
SETUP_TIMEOUT_S = 60.0  # importing numpy & co. before the first test; not a candidate's time
_HIGH_FD = 100
_ISOLATED_FD = 99
ISOLATED = b"k"
_TICKS = os.sysconf("SC_CLK_TCK")
_CPUS = max(1, os.cpu_count() or 1)  # how fast a process tree can use CPU time, at most
_RESET_SIGNALS = (signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF, signal.SIGTERM, signal.SIGXCPU,
                  signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT, signal.SIGPIPE)


class Outcome:
    """How one test ended, as the worker saw it: by DONE, by the process's death, or timed out.

    `timed_out` is "" or which limit ended it: "cpu" (the CPU time of the whole process
    tree) or "wall" (the wall clock, for programs that sleep or block).
    """

    __slots__ = ("finished", "timed_out", "status", "cpu", "maxrss", "wall", "in_setup", "started",
                 "setup_failed", "oom_killed")

    def __init__(self, finished: bool, timed_out: str, status: int, cpu: float, maxrss: int, wall: float,
                 in_setup: bool = False):
        self.finished, self.timed_out, self.status = finished, timed_out, status
        self.cpu, self.maxrss, self.wall = cpu, maxrss, wall
        self.in_setup = in_setup  # the process ended (or hung) before it was ready for a test
        # False: the process ended (or hung) between tests, before this one began, e.g.
        # because an earlier test broke the handshake; the test deserves a fresh process.
        self.started = True
        # The test process died before its isolation was complete: the harness's fault. Known
        # from a pipe the process closes before any candidate code runs (never from an exit
        # status or a message the candidate could forge).
        self.setup_failed = False
        self.oom_killed = False  # the memory cgroup's OOM killer struck during the test


class TestProcess:
    """Worker side: fork the child, run tests on it, tell whether it is still usable."""

    def __init__(self, files: list[int], setup: tuple, program_fd: int, heavy: bool, fresh: "FreshState",
                 watch_fd: int, last_pid_fd: "int | None" = None, meter: "GroupCpuMeter | None" = None,
                 proc_fd: "int | None" = None, zygote: "Zygote | None" = None) -> None:
        """`program_fd`: a file holding the program (write_program), read by the child; `heavy`:
        whether it imports heavy modules first. With a `zygote`, it forks the child, else we do."""
        self.files, self.watch_fd = files, watch_fd
        self.last_pid_fd = last_pid_fd  # /proc/sys/kernel/ns_last_pid of our pid namespace, when there is one
        self.meter = meter  # the worker's cgroup CPU counter: then the only clock of a test
        self.proc_fd = proc_fd  # a /proc that hides no process of our pid namespace, when there is one
        self.zygote = zygote
        done_r, done_w = os.pipe()
        go_r, self.go_w = os.pipe()
        self.isolated_r, isolated_w = os.pipe()
        ends = (done_w, go_r, isolated_w)
        try:
            if zygote is not None:
                self.pidfd, pid, self.inner_pid = zygote.spawn(files + [done_w, go_r, isolated_w, program_fd],
                                                               setup[-1])
            else:
                pid = os.fork()
                if pid == 0:
                    os.close(self.isolated_r)
                    _child_main(files + [done_w, go_r], isolated_w, setup, program_fd, fresh)
                self.pidfd, self.inner_pid = os.pidfd_open(pid), pid
        except BaseException:
            for fd in ends + (done_r, self.go_w, self.isolated_r):
                os.close(fd)
            raise
        for fd in ends:
            os.close(fd)
        self.pid, self.done_r = pid, done_r
        self.pid_namespace = setup[6]
        self._isolated: "bool | None" = None
        self.cpu_clock = ((~pid) << 3) | 2  # the kernel's CPU-time clock id of process `pid`
        self.alive, self.used = True, False
        self.ready = not heavy  # heavy modules to import: wait for READY first
        self.poller = select.poll()
        self.poller.register(self.pidfd, select.POLLIN)
        self.poller.register(self.done_r, select.POLLIN)
        self.poller.register(watch_fd, 0)  # only POLLHUP: the harness closed our pipe

    def run_test(self, stdin: bytes, call_args: bytes, cpu_s: float, wall_s: float, last: bool) -> Outcome:
        """Run the next test; afterwards the child is either waiting for GO or gone (alive False).

        A call-based test's arguments travel in the record file (its stdin stays empty); for a
        stdin test the record file holds PENDING. The child empties it when the test begins.
        """
        if not self.ready:
            setup = self._wait(time.monotonic(), math.inf, SETUP_TIMEOUT_S, None)
            if setup is not None:
                setup.in_setup = True
                setup.setup_failed = not self.isolated()
                return setup
            self.ready = True
        fresh = not self.used
        if self.used:  # else the files are new and empty
            for fd in self.files:
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)  # the offset is shared with the child's descriptor
        self.used = True
        for fd, data in ((self.files[0], stdin), (self.files[3], call_args or PENDING)):
            if data:
                wire.write_all(fd, data)
                os.lseek(fd, 0, os.SEEK_SET)
        # A fresh process has no children and no CPU time of earlier tests: its own clock is
        # the whole tree's. So is a reused one's when no pid was handed out after its own (it
        # never made a thread or process); else count every process its earlier tests left.
        if self.meter is not None:
            cpu0 = self.meter()
        else:
            cpu0 = self._cpu() if fresh or not self._spawned() else self.tree_cpu()
        start = time.monotonic()
        try:
            os.write(self.go_w, LAST if last else GO)
        except OSError:  # the child is gone, or closed its end: it is judged by how it ended
            pass
        outcome = self._wait(start, cpu_s, wall_s, cpu0)
        if outcome is None:
            wall = time.monotonic() - start
            if self.meter is not None:
                cpu = self.meter() - cpu0
            else:  # cpu0 was the tree's, either way
                cpu = (self.tree_cpu() if self._spawned() else self._cpu()) - cpu0
            return Outcome(True, "", 0, cpu, 0, wall)
        placeholder = call_args or PENDING
        outcome.started = os.pread(self.files[3], len(placeholder) + 1, 0) != placeholder
        outcome.setup_failed = not self.isolated()
        return outcome

    def isolated(self) -> bool:
        """Did the process finish its isolation setup? (Asked only once it ended or hung.)"""
        if self._isolated is None:
            os.set_blocking(self.isolated_r, False)
            try:
                self._isolated = os.read(self.isolated_r, 1) == ISOLATED
            except BlockingIOError:  # still setting up (hung): not the candidate's doing
                self._isolated = False
        return self._isolated

    def _spawned(self) -> bool:
        """Has the test process (or anyone in our pid namespace) made a thread or process since it started?"""
        if self.last_pid_fd is None:
            return True
        try:
            return int(os.pread(self.last_pid_fd, 32, 0)) != self.pid
        except (OSError, ValueError):
            return True

    def tree_cpu(self) -> float:
        """CPU seconds of the test process and every process it started (threads included).

        With a pid namespace that is every process in it but us (its init): also orphans and
        daemons, whoever their parent is now. Descendants that ended count through their
        parents' cumulative child times. Without one: the test process and its reaped children.
        """
        total = self._cpu()
        proc = self.proc_fd if self.proc_fd is not None else "/proc"
        pids = [p for p in os.listdir(proc) if p.isdigit()] if self.pid_namespace else [str(self.pid)]
        child = str(self.pid)
        workers = (str(os.getpid()), str(self.zygote.pid) if self.zygote is not None else "")
        for pid in pids:
            if pid in workers:  # the server and the zygote: never a test's
                continue
            try:
                fd = os.open(f"{pid}/stat", os.O_RDONLY | os.O_CLOEXEC, dir_fd=self.proc_fd) \
                    if self.proc_fd is not None else os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
                try:
                    fields = os.read(fd, 4096).rsplit(b")", 1)[1].split()
                finally:
                    os.close(fd)
            except (OSError, IndexError):
                continue  # ended meanwhile: its time is now its parent's
            ticks = [int(x) for x in fields[11:15]]  # utime, stime, cutime, cstime
            total += (sum(ticks[2:]) if pid == child else sum(ticks)) / _TICKS
        return total

    def close(self) -> None:
        """Kill the child if it still runs; reaping is the caller's (with everything it left)."""
        if self.alive:
            self._kill()
            self.alive = False
        fds, self.go_w = (self.go_w, self.done_r, self.pidfd, self.isolated_r), -1
        if fds[0] >= 0:  # not closed already
            for fd in fds:
                os.close(fd)

    def _cpu(self) -> float:
        try:
            return time.clock_gettime(self.cpu_clock)
        except OSError:
            return 0.0

    def _wait(self, start: float, cpu_s: float, wall_s: float, cpu0: "float | None"):
        """None when DONE (or READY) arrived; else the Outcome of the child's end.

        Ends the test when its tree has used cpu_s of CPU time, or at wall_s. The CPU time
        is looked at only once the wall clock passed what the CPU could have used by then
        (nothing to do for a test that ends in time on a quiet machine).
        """
        poller, timed_out = self.poller, ""
        wall_deadline, check_at = start + wall_s, start + cpu_s
        while True:
            now = time.monotonic()
            if now >= wall_deadline:
                timed_out = "wall"
            elif now >= check_at:
                used = (self.meter() if self.meter is not None else self.tree_cpu()) - cpu0
                if used >= cpu_s:
                    timed_out = "cpu"
                else:
                    check_at = now + max(0.01, (cpu_s - used) / _CPUS)
            if timed_out:
                self._kill()
                break
            left = min(wall_deadline, check_at) - now
            events = poller.poll(left * 1000 + 1)
            if any(fd == self.watch_fd for fd, _ in events):
                os._exit(3)  # the harness went away: take everything down
            if any(fd == self.pidfd for fd, _ in events):
                break
            if events:
                if os.read(self.done_r, 64):
                    return None
                poller.unregister(self.done_r)  # closed by the candidate: wait for exit or deadline
        wall = time.monotonic() - start if cpu0 is not None else 0.0
        status, maxrss, reaped_cpu = self._reap()
        self.alive = False
        if cpu0 is None:  # it ended before its first test
            cpu = 0.0
        elif self.meter is not None:
            cpu = self.meter() - cpu0
        else:
            cpu = reaped_cpu - cpu0
        return Outcome(False, timed_out, status, cpu, maxrss, wall)

    def _kill(self) -> None:
        try:  # through the pidfd: never another process that got the pid again
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _reap(self) -> tuple[int, int, float]:
        """Wait status, peak RSS (bytes) and CPU seconds (its reaped children's included) of the ended child."""
        if self.zygote is not None:
            return self.zygote.reap(self.inner_pid)
        _, status, rusage = os.wait4(self.pid, 0)
        return status, rusage.ru_maxrss * 1024, rusage.ru_utime + rusage.ru_stime


class GroupCpuMeter:
    """CPU seconds of the worker's cgroup, less the worker's own: every CPU-second of every process
    of the program, whether a parent reaped it, the kernel did, or it hid from /proc. Called
    before a test and after it (or while it runs); the difference is the test's CPU time."""

    __slots__ = ("fd", "v2", "zygote")

    def __init__(self, fd: int, v2: bool) -> None:
        self.fd, self.v2 = fd, v2
        self.zygote: "Zygote | None" = None  # its CPU time is not a test's either

    def __call__(self) -> float:
        data = os.pread(self.fd, 256, 0)
        if self.v2:  # cpu.stat starts with "usage_usec N"
            group = int(data.split(None, 2)[1]) / 1e6
        else:  # cpuacct.usage: nanoseconds
            group = int(data) / 1e9
        group -= time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID)
        return group if self.zygote is None else group - self.zygote.cpu()


def write_program(fd: int, program: tuple) -> None:
    """The program as the child reads it (_child_main): never in the memory of who forks the child."""
    wire.write_all(fd, marshal.dumps(program))


def _read_program(fd: int) -> tuple:
    data = os.pread(fd, os.fstat(fd).st_size, 0)
    os.close(fd)
    return marshal.loads(data)


# ---- child side --------------------------------------------------------------------------
def _child_main(fds: list[int], isolated_w: int, setup: tuple, program_fd: int, fresh: "FreshState") -> None:
    """In the forked child: read the program, isolate, then serve tests until GO's pipe closes. Never returns."""
    try:
        program = _read_program(program_fd)
        _isolate(fds, isolated_w, setup)
    except BaseException as exc:  # noqa: BLE001
        try:
            os.write(2, f"sandbox setup failed: {exc!r}".encode())
        finally:
            os._exit(SETUP_FAILED)
    try:
        _serve(program, fresh)
    except BaseException:  # noqa: BLE001 - e.g. an interrupt_main() from a candidate thread
        pass
    os._exit(1)


def _isolate(fds: list[int], isolated_w: int, setup: tuple) -> None:
    """Wire the descriptors, enter the scratch folder, set limits, drop privileges; then
    close `isolated_w` with ISOLATED written to it (the worker's proof that setup held)."""
    scratch, memory_bytes, cpu_s, fsize, uid, gid, pid_namespace, shares_uid, oom_first, new_session, \
        max_tests = setup
    dup2 = os.dup2
    for i, fd in enumerate(fds):  # out of the way first: a source may sit on a target number
        dup2(fd, _HIGH_FD + i)
    dup2(isolated_w, _ISOLATED_FD)
    for i in range(len(fds)):
        dup2(_HIGH_FD + i, i)
    for i in range(4):
        dup2(i, SAVED_FD + i)
    os.closerange(SAVED_FD + 4, _ISOLATED_FD)
    os.closerange(_ISOLATED_FD + 1, 1 << 20)
    os.chdir(scratch)
    # RLIMIT_CORE, RLIMIT_NPROC and no_new_privs were set once in the worker and are
    # inherited. The CPU hard limit covers every test this process may run; each test
    # gets its own soft limit (_reset).
    setrlimit = resource.setrlimit
    setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    setrlimit(resource.RLIMIT_CPU, (cpu_s, (cpu_s + 1) * max_tests + 1))
    setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    if shares_uid:  # the worker made itself undumpable; we need not be (our /proc files are then ours)
        import jail  # loaded by the worker already

        jail.set_dumpable()
    if oom_first:  # out of memory (a cgroup's or the machine's), the kernel kills a candidate's process first
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)  # not open(): its objects cost page copies
        os.write(fd, b"1000")
        os.close(fd)
    if uid >= 0:  # afterwards the process is not dumpable: its /proc/self/environ is unreadable
        os.setgroups(())
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    if new_session:  # a scheduler autogroup of our own: its nice value (/proc/self/autogroup) is not the worker's
        os.setsid()
    if not pid_namespace:  # else the kernel kills us together with the namespace's init
        if not new_session:
            os.setpgid(0, 0)
        import jail  # ctypes: only on this slower fallback path

        jail.set_parent_death_signal(signal.SIGKILL)
    os.write(_ISOLATED_FD, ISOLATED)
    os.close(_ISOLATED_FD)


def _serve(program: tuple, fresh: "FreshState") -> None:
    source, stdio, fn_name, heavy, apps_environment, max_chars = program
    if heavy:
        for name in heavy:  # imported once, outside every test's clock
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 - the candidate will see the same failure
                pass
        os.write(DONE_FD, READY)
    prepared = None
    # The APPS environment loads a call-based program once per process, as the original does.
    loaded = candidate.Loaded() if apps_environment and not stdio else None
    while True:
        go = os.read(GO_FD, 1)
        if not go:
            os._exit(0)
        if prepared is not None:
            fresh.reset()
        args = b"" if stdio else os.pread(RECORD_FD, os.fstat(RECORD_FD).st_size, 0)
        os.ftruncate(RECORD_FD, 0)  # the test has begun; a process that dies now leaves no record
        if prepared is None:  # on the first test's clock, under the candidate's limits
            try:
                prepared = candidate.prepare(source, stdio, apps_environment)
            except MemoryError:  # the compiler hit the memory limit
                _write_record(protocol.TestRecord(protocol.RecordKind.MEMORY, 1, "MemoryError while compiling"))
                os._exit(1)
            if prepared.code is None:
                _write_record(protocol.TestRecord(protocol.RecordKind.COMPILE_ERROR, detail=prepared.error))
                os._exit(0)
        if stdio:
            given = None
            if apps_environment:  # `open` returns the test input, as the original's mock does
                given = os.pread(SAVED_FD, os.fstat(SAVED_FD).st_size, 0).decode("utf-8", "replace")
            code, record = candidate.run_stdio(prepared, given, as_module=apps_environment)
        else:
            code, record = candidate.run_call(prepared, fn_name, args.decode("utf-8", "surrogatepass"), max_chars,
                                              loaded)
        if record is candidate.CLEAN and code == 0:  # nothing to encode (nor builtins to restore for it)
            _pwrite_record(protocol.CLEAN_RECORD_BYTES[prepared.wrapped])
        else:
            fresh.restore_builtins()  # the record is written by harness code, which needs the real ones
            _write_record(protocol.TestRecord(record.kind, code, record.detail, record.value, prepared.wrapped))
        if go == LAST:
            os._exit(code)
        try:
            os.write(DONE_FD, DONE)
        except OSError:  # the program closed it: end as the process would
            os._exit(code)


def _write_record(record: "protocol.TestRecord") -> None:
    try:
        data = protocol.encode(record)
    except (ValueError, TypeError):
        data = protocol.encode(protocol.TestRecord(protocol.RecordKind.EXCEPTION, 1, "unrecordable result"))
    _pwrite_record(data)


def _pwrite_record(data: bytes, ftruncate=os.ftruncate, pwrite=os.pwrite) -> None:
    try:  # bound at import: a program that replaced os.pwrite only spoils its own record
        ftruncate(RECORD_FD, 0)
        pwrite(RECORD_FD, data, 0)
    except OSError:  # the program closed or replaced it; the exit status still tells
        pass


class FreshState:
    """What one test may change in the process, put back before the next.

    Made once in the worker (so test processes inherit it and never build it). Attributes
    a program sets on other imported modules persist between its tests, as in the original
    APPS harness; everything a program commonly touches is reset.
    """

    def __init__(self, scratch: str, cpu_s: int, writable: tuple, skeleton: frozenset, modes: dict) -> None:
        self.scratch, self.cpu_s, self.writable, self.modes = scratch, cpu_s, writable, modes
        self.keep = skeleton | {scratch}
        self.builtins = dict(builtins.__dict__)
        self.sys = dict(sys.__dict__)
        self.argv, self.path = list(sys.argv), list(sys.path)
        self.recursion_limit = sys.getrecursionlimit()
        self.int_digits = sys.get_int_max_str_digits()
        self.streams = [(s.encoding, s.errors, s.line_buffering, s.write_through)
                        for s in (sys.__stdin__, sys.__stdout__, sys.__stderr__)]
        self.handlers = {int(sig): _signal.getsignal(sig) for sig in _RESET_SIGNALS}

    def reset(self) -> None:
        for i in range(4):
            os.dup2(SAVED_FD + i, i)
        self._wipe_files()
        os.chdir(self.scratch)
        self.restore_builtins()
        names = sys.__dict__  # never cleared: the interpreter looks names up in it at any time
        for name in names.keys() - self.sys.keys():
            del names[name]
        for name, value in self.sys.items():
            if names.get(name) is not value:
                names[name] = value
        sys.argv, sys.path = list(self.argv), list(self.path)
        for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            signal.setitimer(timer, 0)  # a pending alarm() of the last test must not fire in this one
        for sig, handler in self.handlers.items():  # _signal: without the enum conversions
            if _signal.getsignal(sig) is not handler:
                _signal.signal(sig, handler)
        gc.enable()
        sys.setrecursionlimit(self.recursion_limit)
        sys.set_int_max_str_digits(self.int_digits)
        sys.stdin = sys.__stdin__ = self._stream(0, "r")
        sys.stdout = sys.__stdout__ = self._stream(1, "w")
        sys.stderr = sys.__stderr__ = self._stream(2, "w")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime) + self.cpu_s
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        resource.setrlimit(resource.RLIMIT_CPU, (min(soft, hard), hard))

    def restore_builtins(self) -> None:
        names = builtins.__dict__
        names.clear()
        names.update(self.builtins)

    def _wipe_files(self) -> None:
        """Remove what the last test wrote (its scratch folder's content, /tmp, /dev/shm)."""
        cleanup.wipe(self.writable, self.keep, self.modes)
        os.chmod(self.scratch, 0o700)
        cleanup.wipe((self.scratch,), ())

    def _stream(self, fd: int, mode: str) -> io.TextIOWrapper:
        encoding, errors, line_buffering, write_through = self.streams[fd]
        raw = io.FileIO(fd, mode, closefd=False)
        buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        return io.TextIOWrapper(buffered, encoding=encoding, errors=errors,
                                line_buffering=line_buffering, write_through=write_through)
