"""Linux isolation primitives for the worker: namespaces, a minimal read-only root, privilege drop.

Runs inside a worker process (``python -I -S``), never in the harness. Stdlib only: the
missing system calls (unshare, mount, pivot_root, prctl) go through ctypes. Every step
is tried and its outcome recorded, so the harness can say exactly what protected a run.
"""
from __future__ import annotations

import ctypes
import errno
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}.get(os.uname().machine)
# Where system binaries and libraries live; symlinks (merged /usr) are recreated as links.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
_libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
_libc.prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _b(path: str | None) -> bytes | None:
    return None if path is None else os.fsencode(path)


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), f"unshare({flags:#x})")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), flags, _b(data)), f"mount {target}")


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, arg, 0, 0, 0), f"prctl({option})")


def set_parent_death_signal(sig: int) -> None:
    prctl(PR_SET_PDEATHSIG, sig)


def set_dumpable() -> None:
    prctl(PR_SET_DUMPABLE, 1)


def set_no_new_privs() -> None:
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def set_child_subreaper() -> None:
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def unshare_each(flags: dict[str, int]) -> dict[str, bool]:
    """unshare() each namespace on its own, so one refused kind does not cost the others."""
    done = {}
    for name, flag in flags.items():
        try:
            unshare(flag)
            done[name] = True
        except OSError:
            done[name] = False
    return done


def enter_user_namespace() -> bool:
    """Unprivileged fallback: a new user namespace that maps only our own ids, to themselves.

    The capabilities it grants last until the worker's exec (we map our uid to itself, not
    to 0, so exec drops them): enough to build the namespaces, none left for candidates.
    """
    uid, gid = os.getuid(), os.getgid()
    try:
        unshare(CLONE_NEWUSER)
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
        return True
    except OSError:
        return False


def _bind_readonly(source: str, target: str) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _covered(path: str, bound: list[str]) -> bool:
    return any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound)


def _pick_mountpoint(sources: list[str]) -> str:
    for candidate in ("/mnt", "/media", "/srv", "/opt", "/sys"):
        if os.path.isdir(candidate) and not os.path.islink(candidate) and not _covered(candidate, sources) \
                and not any(_covered(s, [candidate]) for s in sources):
            return candidate
    raise OSError(errno.ENOENT, "no directory to build the sandbox root on")


def _populate_dev(new_root: str) -> None:
    dev = new_root + "/dev"
    os.mkdir(dev, 0o755)
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=755")
    for name in DEVICES:
        node = f"{dev}/{name}"
        open(node, "w").close()
        mount("/dev/" + name, node, None, MS_BIND)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(link, f"{dev}/{name}")
    os.mkdir(dev + "/shm", 0o755)
    os.mkdir(dev + "/mqueue", 0o755)


def build_root(readonly_paths: list[str], tmp_size: int) -> tuple[list[str], str]:
    """Replace the filesystem view with a fresh tmpfs root holding only what Python needs.

    System directories and the interpreter's own folders are bind-mounted read-only;
    /tmp and /dev/shm are small private tmpfs; everything else (home folders, the
    harness's data and results, the system temp dir) simply does not exist. Must run
    in a private mount namespace, as the init of the pid namespace whose /proc it mounts.
    Returns the paths made visible and what /proc is.
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources = [p for p in SYSTEM_DIRS if os.path.lexists(p)]
    extra = []
    for p in readonly_paths:
        p = os.path.abspath(p)
        if os.path.isdir(p) and not _covered(p, sources + extra):
            extra.append(p)
    new_root = _pick_mountpoint(sources + extra)
    mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=755")
    # The private /tmp goes in first, so read-only binds of folders that live under the
    # host's /tmp (e.g. a checkout there) land inside it instead of being hidden by it.
    os.mkdir(new_root + "/tmp", 0o755)
    mount("tmpfs", new_root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_size},nr_inodes=8192,mode=1777")
    visible = []
    for p in sources + extra:
        target = new_root + p
        if os.path.islink(p):
            os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
            os.symlink(os.readlink(p), target)
        else:
            os.makedirs(target, 0o755, exist_ok=True)
            _bind_readonly(p, target)
        visible.append(p)
    _populate_dev(new_root)
    os.makedirs(new_root + "/proc", 0o755, exist_ok=True)
    # Before the pivot: in a user namespace the kernel allows a new proc mount only while
    # an existing one is visible in the mount namespace.
    try:
        mount_proc(new_root + "/proc")
        proc_note = "own /proc, hidepid=2"
    except OSError as exc:
        proc_note = f"no /proc ({exc.strerror})"
    os.makedirs(new_root + "/var", 0o755, exist_ok=True)
    os.symlink("/tmp", new_root + "/var/tmp")
    os.mkdir(new_root + "/.oldroot", 0o700)
    _pivot(new_root)
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_size},nr_inodes=1024,mode=1777")
    try:  # POSIX message queues of our IPC namespace, visible as files: wiped like /tmp
        mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        os.rmdir("/dev/mqueue")
    # Nothing else of the root stays writable, whoever the candidate runs as.
    mount(None, "/dev", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC)
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return visible, proc_note


def _pivot(new_root: str) -> None:
    os.chdir(new_root)
    if _SYS_PIVOT_ROOT is None:
        raise OSError(errno.ENOSYS, "pivot_root number unknown on " + os.uname().machine)
    _check(_libc.syscall(_SYS_PIVOT_ROOT, b".", b".oldroot"), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.oldroot", MNT_DETACH), "umount old root")
    os.rmdir("/.oldroot")


def mount_proc(target: str) -> None:
    """A /proc of our own pid namespace, other users' processes hidden (hidepid=2)."""
    mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")


_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}.get(os.uname().machine)
_NR_SOCKET = {"x86_64": 41, "aarch64": 198}.get(os.uname().machine)
_NR_IO_URING_SETUP = 425
_AF_UNIX = 1
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def install_socket_filter() -> None:
    """Fallback network isolation: a seccomp filter letting socket() create only AF_UNIX sockets.

    Also refuses io_uring (which can open sockets on its own) and foreign syscall ABIs.
    Needs no_new_privs; inherited by every child and kept across exec.
    """
    if _AUDIT_ARCH is None or _NR_SOCKET is None:
        raise OSError(errno.ENOSYS, "seccomp filter not written for " + os.uname().machine)
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EACCES
    program = [
        (ld, 0, 0, 4),                      # 0: A = arch
        (jeq, 0, 7, _AUDIT_ARCH),           # 1: foreign ABI -> deny
        (ld, 0, 0, 0),                      # 2: A = syscall number
        (jeq, 0, 2, _NR_SOCKET),            # 3: socket() -> 4, else -> 6
        (ld, 0, 0, 16),                     # 4: A = domain (first argument)
        (jeq, 2, 3, _AF_UNIX),              # 5: AF_UNIX -> allow, else -> deny
        (jeq, 2, 0, _NR_IO_URING_SETUP),    # 6: io_uring -> deny
        (jge, 1, 0, 0x40000000),            # 7: x32 syscall numbers -> deny
        (ret, 0, 0, allow),                 # 8
        (ret, 0, 0, deny),                  # 9
    ]
    filters = (_SockFilter * len(program))(*[_SockFilter(*ins) for ins in program])
    prog = _SockFprog(len(program), filters)
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0), "seccomp filter")


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
