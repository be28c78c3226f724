"""After a program (or a test process that died): kill and reap what the candidate left
running, remove what it wrote."""
from __future__ import annotations

import os
import signal


def kill_leftovers(pid: int, pid_namespace: bool, uid) -> None:
    """Kill every process but us in the namespace (without one: what the candidate left), reap all."""
    if pid_namespace:
        try:
            os.kill(-1, signal.SIGKILL)  # as the namespace's init: everyone but us
        except ProcessLookupError:
            pass
    elif _has_children():
        _kill_children_fallback(pid, uid)
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def wipe(bases, keep) -> None:
    """Remove everything in the folders `bases` except the paths in `keep`."""
    for base in bases:
        with os.scandir(base) as it:
            entries = [e.path for e in it]
        for path in entries:
            if path not in keep:
                rmtree(path)


def rmtree(path: str) -> None:
    """Remove a file or a whole tree, whatever modes the candidate left on it."""
    try:
        os.unlink(path)
        return
    except IsADirectoryError:
        pass
    except OSError:
        if not os.path.isdir(path) or os.path.islink(path):
            return
    try:
        os.rmdir(path)
        return
    except OSError:
        pass
    try:
        os.chmod(path, 0o700)
        with os.scandir(path) as it:
            children = [e.path for e in it]
    except OSError:
        return
    for child in children:
        rmtree(child)
    try:
        os.rmdir(path)
    except OSError:
        pass


def _has_children() -> bool:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _kill_children_fallback(pid: int, uid) -> None:
    """Without a pid namespace: kill every process the candidate left behind.

    As root, every process of the candidate's uid (one uid per worker). Otherwise our
    children, repeatedly: we are a subreaper, so each killed process's orphans become ours.
    """
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if uid is not None:
        killer = os.fork()
        if killer == 0:
            try:
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(killer, 0)
        return
    for _ in range(10000):
        children = _children(os.getpid())
        if not children:
            return
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        for child in children:
            try:
                os.waitpid(child, 0)
            except ChildProcessError:
                pass


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == parent:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found
