"""After a program (or a test process that died): kill and reap what the candidate left
running, remove what it wrote."""
from __future__ import annotations

import errno
import os
import signal
import stat


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


class CleanupFailed(OSError):
    """Something a candidate left could not be removed: the worker must not serve another program."""


def wipe(bases, keep, modes=None) -> None:
    """Remove everything in the folders `bases` except the paths in `keep`; CleanupFailed if
    anything stays. Never follows a symlink, whatever the depth or length of the paths.
    `modes`: base -> the permission bits to give it back first (a candidate that owns a base,
    as without root, may have made it read-only)."""
    for base in bases:
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            if modes is not None and base in modes:
                try:
                    os.fchmod(fd, modes[base])
                except PermissionError:  # not ours (a candidate with a uid of its own): nor the candidate's
                    pass
            with os.scandir(fd) as it:
                names = [e.name for e in it]
            for name in names:
                if os.path.join(base, name) not in keep:
                    remove_tree(fd, name)
        finally:
            os.close(fd)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def remove_tree(parent_fd: int, name: str) -> None:
    """Remove `name` in the directory `parent_fd`: a file, a symlink (not its target), or a tree.

    Iterative, one directory descriptor open at a time (going back up through ".."), so trees
    thousands of levels deep or with paths far beyond PATH_MAX are removed like any other.
    Directories the candidate made unreadable are opened up first (through an O_PATH
    descriptor, never by a path that could lead elsewhere). Must run when nothing of the
    candidate runs any more (no one renames folders under it). Raises CleanupFailed.
    """
    try:
        if _unlinked(parent_fd, name):
            return
    except OSError as exc:
        raise CleanupFailed(exc.errno, f"cannot remove {name!r}: {exc.strerror}") from None
    path, fd = [name], -1  # names from parent_fd down to the directory `fd` is open on
    try:
        fd = _open_dir(parent_fd, name)
        while True:
            below = _empty_out(fd)  # a subdirectory that is not empty, or None
            if below is not None:
                child = _open_dir(fd, below)
                os.close(fd)
                fd = child
                path.append(below)
                continue
            done = path.pop()
            up = parent_fd if not path else os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = -1
            os.rmdir(done, dir_fd=up)
            if not path:
                return
            fd = up
    except CleanupFailed:
        raise
    except OSError as exc:
        raise CleanupFailed(exc.errno, f"cannot remove a tree under {name!r} at depth {len(path)}: "
                                       f"{exc.strerror}") from None
    finally:
        if fd >= 0:
            os.close(fd)


def _empty_out(fd: int) -> "str | None":
    """Remove the files, symlinks and empty folders in directory `fd`; the first other folder."""
    os.lseek(fd, 0, os.SEEK_SET)
    with os.scandir(fd) as it:
        names = [entry.name for entry in it]
    for name in names:
        if _unlinked(fd, name):
            continue
        try:
            os.rmdir(name, dir_fd=fd)
        except OSError:
            return name
    return None


def _unlinked(dir_fd: int, name: str) -> bool:
    """Unlink a non-directory (or find it gone): True; False for a directory (EISDIR on
    Linux, EPERM elsewhere, or a file we may not unlink: opening it as a folder tells)."""
    try:
        os.unlink(name, dir_fd=dir_fd)
        return True
    except FileNotFoundError:
        return True
    except (IsADirectoryError, PermissionError):
        return False


def _open_dir(parent_fd: int, name: str) -> int:
    """A descriptor on directory `name` (never a symlink's target), made writable for us."""
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except PermissionError:
        fd = _open_locked_dir(parent_fd, name)
    try:
        os.fchmod(fd, 0o700)  # a folder the candidate made read-only must still lose its entries
    except OSError:
        pass
    return fd


def _open_locked_dir(parent_fd: int, name: str) -> int:
    handle = os.open(name, os.O_PATH | os.O_NOFOLLOW, dir_fd=parent_fd)
    try:
        if not stat.S_ISDIR(os.fstat(handle).st_mode):
            raise CleanupFailed(errno.ENOTDIR, f"cannot remove {name!r}: not a directory, not removable")
        os.chmod(f"/proc/self/fd/{handle}", 0o700)  # the O_PATH descriptor's own inode
        # The magic link leads to that very inode (a directory, checked above): following it is
        # safe, and O_NOFOLLOW would refuse it (ENOTDIR with O_DIRECTORY).
        return os.open(f"/proc/self/fd/{handle}", os.O_RDONLY | os.O_DIRECTORY)
    finally:
        os.close(handle)


# ---- System V IPC objects (shared memory, semaphores, message queues) ------------------------
_SYSVIPC = (("shm", "-m", 1, 8), ("sem", "-s", 1, 6), ("msg", "-q", 1, 9))  # (file, ipcrm flag, id col, cuid col)


def remove_ipc_objects(owner) -> None:
    """Remove the System V IPC objects of this IPC namespace (owner None) or those created by
    uid `owner`; CleanupFailed when some stay. POSIX message queues live in the mqueue
    filesystem, which is wiped like /tmp. Costs three small reads when there is nothing."""
    args = []
    for kind, flag, id_col, cuid_col in _SYSVIPC:
        try:
            rows = _read_small(f"/proc/sysvipc/{kind}").splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            cols = row.split()
            if owner is None or int(cols[cuid_col]) == owner:
                args += [flag, cols[id_col].decode()]
    if not args:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.execv("/usr/bin/ipcrm", ["ipcrm"] + args)
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise CleanupFailed(errno.EBUSY, f"ipcrm {' '.join(args)[:200]} failed (status {status})")


def _read_small(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


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
