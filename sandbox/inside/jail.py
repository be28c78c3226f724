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


CODE_DIR = "/sandbox"  # where the worker's own modules are copied: no path of the checkout shows inside
HOST_NAME = b"sandbox"


def build_root(readonly_paths: list[str], tmp_size: int, code_dir: str) -> tuple[list[str], str, "int | None", "int | None"]:
    """Replace the filesystem view with a fresh tmpfs root holding only what Python needs.

    System directories and the interpreter's own folders are bind-mounted read-only;
    /tmp and /dev/shm are small private tmpfs; everything else (home folders, the
    harness's data and results, the system temp dir) simply does not exist. Must run
    in a private mount namespace, as the init of the pid namespace whose /proc it mounts.
    The worker's own modules (`code_dir`) are copied to CODE_DIR, not bound: a bind shows its
    source path in /proc/self/mountinfo. Returns the paths made visible, what /proc is, a descriptor on a second /proc that hides
    no process (open_detached_proc) and one on a tmpfs for the worker's files
    (open_detached_tmpfs), each None where it could not be made.
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
    # Folders made in the private /tmp to hold binds (a checkout under the host's /tmp): read-only
    # too, or a candidate that owns them (no root) could leave files there for the next program.
    for name in os.listdir(new_root + "/tmp"):
        if not os.path.islink(f"{new_root}/tmp/{name}"):
            _bind_readonly(f"{new_root}/tmp/{name}", f"{new_root}/tmp/{name}")
    _copy_code(code_dir, new_root + CODE_DIR)
    _populate_dev(new_root)
    os.makedirs(new_root + "/proc", 0o755, exist_ok=True)
    # Before the pivot: in a user namespace the kernel allows a new proc mount only while
    # an existing one is visible in the mount namespace.
    try:
        mount_proc(new_root + "/proc")
        # Lists the descriptions of every key of the uids mapped here (the harness's own,
        # in a user namespace): hidden behind /dev/null.
        mount("/dev/null", new_root + "/proc/keys", None, MS_BIND)
        proc_note = "own /proc, hidepid=2, /proc/keys hidden"
    except OSError as exc:
        proc_note = f"no /proc ({exc.strerror})"
    try:
        every_process = open_detached_proc(new_root + "/.proc")
    except OSError:
        every_process = None
    try:
        files = open_detached_tmpfs(new_root + "/.files")
    except OSError:
        files = None
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
    return visible, proc_note, every_process, files


def _copy_code(source: str, target: str) -> None:
    """The worker's modules (and their compiled forms, mtimes kept so that they stay valid)."""
    for folder in ("", "/__pycache__"):
        if not os.path.isdir(source + folder):
            continue
        os.mkdir(target + folder, 0o755)
        for name in os.listdir(source + folder):
            path = f"{source}{folder}/{name}"
            if name.endswith((".py", ".pyc")) and os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    data = f.read()
                with open(f"{target}{folder}/{name}", "wb") as f:
                    f.write(data)
                info = os.stat(path)
                os.utime(f"{target}{folder}/{name}", ns=(info.st_atime_ns, info.st_mtime_ns))


def set_host_name() -> None:
    """In our own UTS namespace: a neutral host name, not the machine's."""
    _check(_libc.sethostname(HOST_NAME, len(HOST_NAME)), "sethostname")
    _check(_libc.setdomainname(b"", 0), "setdomainname")


def open_detached_tmpfs(mountpoint: str) -> int:
    """An O_PATH descriptor on a fresh tmpfs mounted nowhere: where the worker makes each test
    process's stdin, stdout, stderr and record (O_TMPFILE), instead of memfds, which candidates
    may then not make (they would hold memory no file system bounds). Only the worker can make
    files there: a candidate holds its four files, each capped by RLIMIT_FSIZE, and no path."""
    return _open_detached(mountpoint, "tmpfs", "mode=700", os.O_PATH)


def open_detached_proc(mountpoint: str) -> int:
    """A directory descriptor on a /proc of our pid namespace without hidepid, mounted nowhere.

    Processes a candidate made undumpable are invisible in the hidepid=2 /proc to a worker
    without capabilities (no root), and so would be their CPU time. This instance shows them
    all; detached at once, it is reachable only through the descriptor, which no test process
    keeps (they close every descriptor they do not need).
    """
    return _open_detached(mountpoint, "proc", None, os.O_RDONLY)


def _open_detached(mountpoint: str, fstype: str, options: "str | None", access: int) -> int:
    """A directory descriptor on a fresh `fstype` mounted at `mountpoint`, then detached at once
    (the folder removed): reachable only through the descriptor."""
    os.mkdir(mountpoint, 0o700)
    try:
        mount(fstype, mountpoint, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, options)
        try:
            fd = os.open(mountpoint, access | os.O_DIRECTORY | os.O_CLOEXEC)
        finally:
            _check(_libc.umount2(_b(mountpoint), MNT_DETACH), "umount " + mountpoint)
    finally:
        os.rmdir(mountpoint)
    return fd


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


_MACHINE = os.uname().machine
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}.get(_MACHINE)
# System calls a candidate never needs and that would let it leave its limits or reach the
# worker: namespaces and mounts of its own (a tmpfs outside the memory limit), tracing,
# keyrings (secrets of the harness's login session), io_uring (sockets behind the filter's back).
_ARCH_CALLS = {
    "x86_64": {"mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
               "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "keyctl": 250,
               "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
               "userfaultfd": 323, "clone": 56, "socket": 41, "rt_sigaction": 13, "prlimit64": 302,
               "getpriority": 140, "setpriority": 141, "sched_setparam": 142, "sched_getparam": 143,
               "sched_setscheduler": 144, "sched_getscheduler": 145, "sched_setaffinity": 203,
               "sched_getaffinity": 204, "sched_setattr": 314, "sched_getattr": 315, "ioprio_set": 251,
               "ioprio_get": 252, "migrate_pages": 256, "move_pages": 279, "shmget": 29, "msgget": 68,
               "memfd_create": 319},
    "aarch64": {"mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97, "setns": 268,
                "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "keyctl": 219,
                "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
                "userfaultfd": 282, "clone": 220, "socket": 198, "rt_sigaction": 134, "prlimit64": 261,
                "setpriority": 140, "getpriority": 141, "sched_setparam": 118, "sched_setscheduler": 119,
                "sched_getscheduler": 120, "sched_getparam": 121, "sched_setaffinity": 122,
                "sched_getaffinity": 123, "sched_setattr": 274, "sched_getattr": 275, "ioprio_set": 30,
                "ioprio_get": 31, "migrate_pages": 238, "move_pages": 239, "shmget": 194, "msgget": 186,
                "memfd_create": 279},
}.get(_MACHINE)
_COMMON_CALLS = {"io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
                 "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
                 "pidfd_getfd": 438, "mount_setattr": 442, "open_tree_attr": 467}
_NR_CLONE3 = 435  # its flags live in memory a filter cannot read: ENOSYS makes libc fall back to clone
DENIED_CALLS = ("mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "ptrace", "process_vm_readv",
                "process_vm_writev", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
                "userfaultfd") + tuple(_COMMON_CALLS)
# Memory no size limit of a file system bounds, that a program could hold outside RLIMIT_AS
# (bounded only by a memory cgroup, which an ordinary user rarely has): System V shared memory
# and message queues, always; memfds where the worker keeps its own files elsewhere.
MEMORY_CALLS = ("shmget", "msgget")
CLONE_NEWCGROUP, CLONE_NEWTIME = 0x02000000, 0x80
NAMESPACE_FLAGS = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
                   | CLONE_NEWNET | CLONE_NEWTIME)
# Calls that name another process by its pid (first argument): allowed only with pid 0, the
# caller itself. Without root a candidate shares its worker's uid, which is all the kernel asks
# to change another process's limits, priority, policy or affinity (or to move its pages).
SELF_ONLY_CALLS = ("prlimit64", "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
                   "sched_setaffinity", "sched_getaffinity", "sched_setattr", "sched_getattr", "migrate_pages",
                   "move_pages")
# (which, who) calls: only (PRIO_PROCESS, 0) and (IOPRIO_WHO_PROCESS, 0), the caller itself;
# a process group or a uid would reach the worker.
PRIO_CALLS = ("getpriority", "setpriority")
IOPRIO_CALLS = ("ioprio_set", "ioprio_get")
_PRIO_PROCESS, _IOPRIO_WHO_PROCESS = 0, 1
_SIGCHLD = 17  # the same number on x86_64 and aarch64
_AF_UNIX = 1
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
_LD, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def candidate_filter_program(restrict_sockets: bool, deny_memfd: bool = False) -> list[tuple[int, int, int, int]]:
    """The classic-BPF program of install_candidate_filter, jumps resolved.

    Instructions are (code, true-label, false-label, k); a label is a name defined by a
    ("label", name) entry, or None for "the next instruction".
    """
    calls = {**_ARCH_CALLS, **_COMMON_CALLS}
    code: list = [(_LD, None, None, 4), (_JEQ, None, "deny", _AUDIT_ARCH), (_LD, None, None, 0),
                  (_JGE, "deny", None, 0x40000000)]  # foreign ABI or x32 numbers: refused
    denied = DENIED_CALLS + MEMORY_CALLS + (("memfd_create",) if deny_memfd else ())
    code += [(_JEQ, "deny", None, calls[name]) for name in denied]
    code += [(_JEQ, "nosys", None, _NR_CLONE3), (_JEQ, "clone", None, calls["clone"])]
    code += [(_JEQ, "self_only", None, calls[name]) for name in SELF_ONLY_CALLS]
    code += [(_JEQ, "prio", None, calls[name]) for name in PRIO_CALLS]
    code += [(_JEQ, "ioprio", None, calls[name]) for name in IOPRIO_CALLS]
    code.append((_JEQ, "sigaction", None, calls["rt_sigaction"]))
    if restrict_sockets:
        code.append((_JEQ, "socket", None, calls["socket"]))
    # Arguments: args[i] at 16 + 8 i; an int argument is its low half (the kernel ignores the rest).
    code += [(_RET, None, None, _ALLOW),
             ("label", "clone"), (_LD, None, None, 16), (_JSET, "deny", None, NAMESPACE_FLAGS),
             (_RET, None, None, _ALLOW),
             ("label", "self_only"), (_LD, None, None, 16), (_JEQ, None, "deny", 0), (_RET, None, None, _ALLOW),
             ("label", "prio"), (_LD, None, None, 16), (_JEQ, "who_self", "deny", _PRIO_PROCESS),
             ("label", "ioprio"), (_LD, None, None, 16), (_JEQ, "who_self", "deny", _IOPRIO_WHO_PROCESS),
             ("label", "who_self"), (_LD, None, None, 24), (_JEQ, None, "deny", 0), (_RET, None, None, _ALLOW),
             # SIGCHLD's disposition may be read, never set: a child of a process that ignores
             # SIGCHLD (or sets SA_NOCLDWAIT) is reaped by the kernel, and its CPU time with it.
             ("label", "sigaction"), (_LD, None, None, 16), (_JEQ, None, "allow", _SIGCHLD),
             (_LD, None, None, 24), (_JEQ, None, "deny", 0), (_LD, None, None, 28), (_JEQ, None, "deny", 0),
             ("label", "allow"), (_RET, None, None, _ALLOW)]
    if restrict_sockets:
        code += [("label", "socket"), (_LD, None, None, 16), (_JEQ, None, "deny", _AF_UNIX), (_RET, None, None, _ALLOW)]
    code += [("label", "nosys"), (_RET, None, None, _ERRNO | errno.ENOSYS),
             ("label", "deny"), (_RET, None, None, _ERRNO | errno.EPERM)]
    labels, program = {}, []
    for ins in code:
        if ins[0] == "label":
            labels[ins[1]] = len(program)
        else:
            program.append(ins)
    resolved = [(op, labels[t] - i - 1 if t else 0, labels[f] - i - 1 if f else 0, k)
                for i, (op, t, f, k) in enumerate(program)]
    if any(not 0 <= t < 256 or not 0 <= f < 256 for _, t, f, _ in resolved):
        raise OSError(errno.E2BIG, "seccomp filter: a jump longer than 255 instructions")  # never truncated
    return resolved


def install_candidate_filter(restrict_sockets: bool, deny_memfd: bool = False) -> None:
    """A seccomp filter, inherited by every child and kept across exec (needs no_new_privs).

    Refuses (EPERM) the DENIED_CALLS and clone() with any namespace flag, clone3 (ENOSYS:
    libc then uses clone, whose flags the filter can check) and foreign syscall ABIs; the
    SELF_ONLY_CALLS, PRIO_CALLS and IOPRIO_CALLS on any process but the caller; setting
    SIGCHLD's disposition; the MEMORY_CALLS, and memfd_create with deny_memfd. With
    restrict_sockets (no network namespace) socket() may only make AF_UNIX sockets.
    """
    if _AUDIT_ARCH is None or _ARCH_CALLS is None:
        raise OSError(errno.ENOSYS, "seccomp filter not written for " + _MACHINE)
    program = candidate_filter_program(restrict_sockets, deny_memfd)
    filters = (_SockFilter * len(program))(*[_SockFilter(*ins) for ins in program])
    prog = _SockFprog(len(program), filters)
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0), "seccomp filter")


KEYCTL_JOIN_SESSION_KEYRING = 1
_NR_KEYCTL = (_ARCH_CALLS or {}).get("keyctl")


def join_fresh_session_keyring() -> None:
    """Leave the harness's session keyring (it survives exec and uid changes) for a new, empty one."""
    if _NR_KEYCTL is None:
        raise OSError(errno.ENOSYS, "keyctl number unknown on " + _MACHINE)
    _libc.syscall.restype = ctypes.c_long
    if _libc.syscall(_NR_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None) < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"keyctl(JOIN_SESSION_KEYRING): {os.strerror(err)}")


def forbid_user_namespaces() -> None:
    """In our own user namespace: no process in it may create another one (a per-namespace limit)."""
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0")


def set_not_dumpable() -> None:
    """Same-uid processes without capabilities can then neither trace us nor open our /proc files."""
    prctl(PR_SET_DUMPABLE, 0)


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
