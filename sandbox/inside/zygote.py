"""The zygote Z: forks every test process, and never holds any program's data.

A test process forked by the server would inherit the server's whole heap, including freed
memory that still holds the source and inputs of programs it served before (pymalloc and
malloc keep freed blocks as they were). Z is a fresh interpreter that worker.py starts next
to the server (server.py in the zygote role, set up like the server), so its memory never
held a program. It is the init of a pid namespace nested in the server's, with a /proc of
its own (its test processes find themselves there under the pids they know): no candidate
can signal it (the kernel drops signals from inside a namespace to an init that handles
none), root or not.

The server and Z speak over an AF_UNIX SOCK_SEQPACKET pair, strictly request and reply
(after Z's READY, with whether it has a /proc of its own namespace):
    spawn (test process's descriptors, max_tests) -> the pidfd of the new process, its pid in Z's namespace
    reap pid   -> its wait status, peak RSS and CPU time (Z is its parent: only Z can wait for it)
    clean      -> Z killed everything in its namespace but itself and reaped it all
The program itself reaches the test process in a file among its descriptors (test_process.py).
"""
from __future__ import annotations

import os
import time

import _socket

import cleanup
import test_process

SPAWN, REAP, CLEAN, READY = b"s", b"r", b"c", b"R"
_MAX_FDS = 16
_INT = 8


def _ints(*values: int) -> bytes:
    return b"".join(v.to_bytes(_INT, "little", signed=True) for v in values)


def _unints(data: bytes) -> list[int]:
    return [int.from_bytes(data[i:i + _INT], "little", signed=True) for i in range(0, len(data), _INT)]


def _send(sock, data: bytes, fds=()) -> None:
    if fds:
        raw = b"".join(fd.to_bytes(4, "little", signed=True) for fd in fds)
        sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, raw)])
    else:
        sock.send(data)


def _recv(sock) -> tuple[bytes, list[int]]:
    """One message and the descriptors that came with it; (b"", []) when the other side is gone."""
    data, ancillary, _, _ = sock.recvmsg(256, _socket.CMSG_SPACE(_MAX_FDS * 4))
    fds = []
    for level, kind, raw in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds += [int.from_bytes(raw[i:i + 4], "little", signed=True) for i in range(0, len(raw) - 3, 4)]
    return data, fds


class ZygoteGone(OSError):
    """Z died or stopped answering (a harness bug): the worker must be replaced."""


class Zygote:
    """Server side: start Z, and ask it to spawn, reap and clean."""

    def __init__(self, fd: int, pid: int) -> None:
        """Z on the socket `fd`, with `pid` here: waits until it is ready."""
        os.set_inheritable(fd, False)
        self.sock, self.pid = _socket.socket(fileno=fd), pid
        self.cpu_clock = ((~pid) << 3) | 2  # Z's CPU-time clock: not a test's
        try:
            ready, _ = _recv(self.sock)
        except OSError as exc:
            raise ZygoteGone(exc.errno, f"the zygote did not start ({exc.strerror})") from None
        if ready[:1] != READY:
            raise ZygoteGone(0, "the zygote did not start (see the worker's stderr)")
        self.own_proc = ready[1:] == b"1"

    def cpu(self) -> float:
        try:
            return time.clock_gettime(self.cpu_clock)
        except OSError as exc:
            raise ZygoteGone(exc.errno, "the zygote is gone") from None

    def _ask(self, data: bytes, fds=()) -> tuple[bytes, list[int]]:
        try:
            _send(self.sock, data, fds)
            reply, got = _recv(self.sock)
        except OSError as exc:
            raise ZygoteGone(exc.errno, f"the zygote is gone ({exc.strerror})") from None
        if not reply or reply[:1] != data[:1]:
            for fd in got:
                os.close(fd)
            raise ZygoteGone(0, "the zygote is gone" if not reply else f"the zygote answered {reply[:16]!r}")
        return reply[1:], got

    def spawn(self, fds: list[int], max_tests: int) -> tuple[int, int, int]:
        """A test process on `fds` (as _child_main takes them, the isolation pipe's end last but
        one, the program's file last): its pidfd, its pid here and in Z's namespace."""
        reply, got = self._ask(SPAWN + _ints(max_tests), fds)
        if len(got) != 1:
            for fd in got:
                os.close(fd)
            raise ZygoteGone(0, "the zygote sent no pidfd")
        pidfd = got[0]
        try:
            pid = _pid_here(pidfd)
        except BaseException:
            os.close(pidfd)
            raise
        return pidfd, pid, _unints(reply)[0]

    def reap(self, inner_pid: int) -> tuple[int, int, float]:
        """Wait status, peak RSS (bytes) and CPU seconds of a test process that ended (or was killed)."""
        status, maxrss, cpu_us = _unints(self._ask(REAP + _ints(inner_pid))[0])
        return status, maxrss, cpu_us / 1e6

    def clean(self) -> None:
        """Every process in Z's namespace but Z killed and reaped."""
        self._ask(CLEAN)


def _pid_here(pidfd: int) -> int:
    """The pid, in our own namespace, of the process `pidfd` refers to.

    fdinfo's NSpid lists it in every namespace from that of the /proc read down to its own;
    the test process lives one level below ours, so ours is the last but one.
    """
    fd = os.open(f"/proc/self/fdinfo/{pidfd}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        text = os.read(fd, 4096)
    finally:
        os.close(fd)
    for line in text.split(b"\n"):
        if line.startswith(b"NSpid:"):
            pids = line.split()[1:]
            if len(pids) >= 2 and int(pids[-2]) > 0:
                return int(pids[-2])
    raise ZygoteGone(0, "the test process is already gone, or not in the zygote's namespace")


# ---- Z's side ---------------------------------------------------------------------------------
def serve(fd: int, setup: tuple, fresh: "test_process.FreshState", random_pids: bool, pid_max: int) -> None:
    """Z's loop on the socket `fd`, until the server is gone (or a bug: it then reports on
    stderr, the worker's log, which the harness quotes when a worker fails)."""
    try:
        _serve(_socket.socket(fileno=fd), setup, fresh, random_pids, pid_max)
    except BaseException as exc:  # noqa: BLE001 - its death tells the server
        os.write(2, f"zygote failed: {exc!r}\n".encode("utf-8", "replace"))


def _serve(sock, setup: tuple, fresh: "test_process.FreshState", random_pids: bool, pid_max: int) -> None:
    # A session and process group of our own: a test process that stays in ours (where it makes
    # no session of its own) can then reach with kill(0) or its session only us, whom the kernel
    # shields as our namespace's init, never the worker's first process outside the namespace.
    try:
        os.setsid()
    except OSError:  # already a session leader
        pass
    last_pid = _open_last_pid() if random_pids else None
    own_proc = os.readlink("/proc/self") == str(os.getpid())
    _send(sock, READY + (b"1" if own_proc else b"0"))
    while True:
        data, fds = _recv(sock)
        kind, args = data[:1], _unints(data[1:])
        if kind == SPAWN and len(fds) == 8:
            if last_pid is not None:  # the nested namespace's pids, as the server does for its own
                start = 1000 + int.from_bytes(os.urandom(4), "little") % max(1, pid_max - 2000)
                os.pwrite(last_pid, str(start).encode(), 0)
            pid = os.fork()
            if pid == 0:
                sock.close()
                if last_pid is not None:
                    os.close(last_pid)
                test_process._child_main(fds[:6], fds[6], setup + (args[0],), fds[7], fresh)
            pidfd = os.pidfd_open(pid)
            for fd in fds:
                os.close(fd)
            _send(sock, SPAWN + _ints(pid), [pidfd])
            os.close(pidfd)
        elif kind == REAP and len(args) == 1 and not fds:
            _, status, usage = os.wait4(args[0], 0)
            cpu_us = round((usage.ru_utime + usage.ru_stime) * 1e6)
            _send(sock, REAP + _ints(status, usage.ru_maxrss * 1024, cpu_us))
        elif kind == CLEAN and not fds:
            cleanup.kill_leftovers(0, True, None)  # as our namespace's init: kill(-1), reap all
            _send(sock, CLEAN)
        else:  # the server is gone (EOF), or a message no server sends
            return


def _open_last_pid() -> "int | None":
    """ns_last_pid of Z's own namespace (the kernel serves the writer's), when it may be set."""
    try:
        return os.open("/proc/sys/kernel/ns_last_pid", os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
        return None
