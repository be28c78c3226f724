"""A warm worker, phase 1 (setup): ``python -s -S worker.py REQ_FD RESP_FD``, started by the harness.

Process tree, per worker:

    harness --(subprocess, minimal environment)--> W  (this file)
      W: unshare(mount, net, ipc, uts, pid), then fork
        N: pid 1 of the new pid namespace; builds a read-only minimal root and mounts its
           own /proc, then execs server.py (phase 2), a lean interpreter without ctypes,
           which serves requests: compiles each program once, then per program
           Z: N's first fork, before N's exec (zygote.py): init of a nested pid namespace,
              with a /proc of its own; execs server.py as the zygote, a fresh interpreter
              that never holds any program's data
             T: fork of Z, on N's request (test_process.py); limits, uid drop; runs the
                program's tests in turn; a fresh T after a crash, exit or timeout

When a program's tests are done, Z, being the nested namespace's init, kills every other
process in it (kill(-1)) and reaps them, so nothing a candidate starts survives its verdict.
If N dies, the kernel kills its whole namespace, Z's with it; if Z dies, its namespace, and N
answers WorkerFailed; if the harness goes away, N sees its pipe close. The exec keeps N small:
fork cost grows with N's mappings. Without the nested namespace N forks T itself (recorded).
"""
from __future__ import annotations

import dataclasses
import os
import signal
import socket
import sys

REQ_FD, RESP_FD = int(sys.argv[1]), int(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import jail  # noqa: E402
import protocol  # noqa: E402
import wire  # noqa: E402

del sys.path[0]


def _namespaces(is_root: bool) -> dict:
    flags = {"mount": jail.CLONE_NEWNS, "network": jail.CLONE_NEWNET, "ipc": jail.CLONE_NEWIPC,
             "uts": jail.CLONE_NEWUTS, "pid": jail.CLONE_NEWPID}
    user = False
    if not is_root:
        user = jail.enter_user_namespace()
    done = jail.unshare_each(flags)
    done["user"] = user
    if done["uts"]:
        try:
            jail.set_host_name()
        except OSError:
            done["uts"] = False  # the machine's name would show: not the full sandbox
    return done


def _become_namespace_init() -> None:
    """W forks N (pid 1 of the new pid namespace) and only relays its exit status."""
    pid = os.fork()
    if pid == 0:
        jail.set_parent_death_signal(9)
        return
    for fd in (REQ_FD, RESP_FD):
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _nest_pid_namespace() -> bool:
    """The server's children in a pid namespace below its own: the first, the zygote, is its init
    (zygote.py). Must come after the /proc of the server's own namespace is mounted."""
    try:
        jail.unshare(jail.CLONE_NEWPID)
        return True
    except OSError:
        return False


def _filesystem(cfg: protocol.WorkerConfig, ns: dict, iso: dict) -> tuple[bool, "int | None", "int | None"]:
    """The private minimal root, False (recorded) when it cannot be built; descriptors on a /proc
    that hides no process and on a tmpfs for the worker's files (jail.build_root), or None."""
    if not ns["mount"]:
        iso["filesystem"] = "host filesystem visible (no mount namespace)"
        return False, None, None
    scratch_base = cfg.scratch_base  # the harness's fallback scratch folder: unused with a private root
    try:
        os.rmdir(scratch_base)
        visible, proc, proc_fd, files_fd = jail.build_root(list(cfg.readonly_paths), cfg.tmp_bytes, HERE)
    except OSError as exc:
        os.makedirs(scratch_base, 0o711, exist_ok=True)
        iso["filesystem"] = f"host filesystem visible (private root failed: {exc})"
        return False, None, None
    iso["filesystem"] = (f"private tmpfs root; read-only binds: {', '.join(visible)}; the worker's own code"
                         f" copied to {jail.CODE_DIR}")
    iso["proc"] = proc + (" of the private pid namespace" if ns["pid"] and proc.startswith("own") else "")
    return True, proc_fd, files_fd


def _world_readable(path: str) -> bool:
    """Can any user list `path` (and reach it through its parents)?"""
    path = os.path.abspath(path)
    parts = path.split("/")
    for i in range(2, len(parts) + 1):
        try:
            mode = os.stat("/".join(parts[:i]) or "/").st_mode
        except OSError:
            return False
        if not mode & 0o001 or (i == len(parts) and not mode & 0o004 and os.path.isdir(path)):
            return False
    return True


def _harden(cfg: protocol.WorkerConfig, ns: dict, is_root: bool, iso: dict) -> None:
    """Before the exec (the only time the worker still holds capabilities here): limits on
    what candidates may create, and a session keyring that is not the harness's."""
    if ns["user"]:
        try:
            jail.forbid_user_namespaces()
            iso["nested_user_namespaces"] = "forbidden (max_user_namespaces=0 in the worker's user namespace)"
        except OSError as exc:
            iso["nested_user_namespaces"] = f"NOT forbidden by the namespace limit ({exc.strerror})"
    if ns["ipc"]:
        try:  # per IPC namespace: a segment dies with its last attachment, not held past RLIMIT_AS
            with open("/proc/sys/kernel/shm_rmid_forced", "w") as f:
                f.write("1")
            iso["shared_memory"] = "System V segments removed when no process has them attached (shm_rmid_forced)"
        except OSError as exc:
            iso["shared_memory"] = f"shm_rmid_forced not set ({exc.strerror})"
    if is_root and cfg.oom_fd is not None:
        try:  # the worker is never the OOM killer's pick (candidates get +1000 anyway)
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("-1000")
        except OSError:
            pass
    try:
        jail.join_fresh_session_keyring()
        iso["session_keyring"] = "fresh and empty (the harness's session keyring is not reachable)"
    except OSError as exc:
        iso["session_keyring"] = f"NOT replaced ({exc.strerror}): the harness's session keyring is inherited"


def _missing(ns: dict, is_root: bool, private_root: bool, iso: dict, drop: bool) -> list[str]:
    """Protections of the full sandbox that did not hold, each with why."""
    missing = []
    if not is_root and not ns["user"]:
        missing.append("user namespace refused (unprivileged user namespaces are disabled here)")
    missing += [f"{name} namespace refused" for name in ("mount", "network", "ipc", "uts", "pid") if not ns[name]]
    if not private_root:
        missing.append(iso.get("filesystem", "no private root"))
    if not iso.get("syscall_filter", "").startswith("installed"):
        missing.append(iso.get("syscall_filter", "no syscall filter"))
    if not iso.get("session_keyring", "").startswith("fresh"):
        missing.append("session keyring not replaced")
    if is_root and not drop:
        missing.append("no uid drop")
    return missing


UNAVAILABLE_HINT = ("run as root, allow unprivileged user namespaces (sysctls kernel.unprivileged_userns_clone, "
                    "user.max_user_namespaces, kernel.apparmor_restrict_unprivileged_userns; a container's "
                    "seccomp profile), or pass --sandbox weak to judge with weaker isolation")


def _autogroups_enabled() -> bool:
    """Does the scheduler group processes by session (a nice value a whole session shares)?"""
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            return f.read().strip() != "0"
    except OSError:
        return False


def _cpu_accounting(cfg: protocol.WorkerConfig, ns: dict, proc_fd: "int | None") -> str:
    if cfg.cpu_fd is not None:
        return cfg.cpu_counter
    if ns["pid"] and proc_fd is not None:
        return ("the pid namespace: live processes read from a /proc of it that hides none (out of the"
                " candidate's reach), ended ones through their parents' child times; a process cannot"
                " have its children reaped unseen (setting SIGCHLD's disposition is refused)")
    if ns["pid"]:
        return ("the pid namespace, read from its hidepid=2 /proc: without root, processes that make"
                " themselves undumpable are not seen")
    return "the test process and the children it reaped (no pid namespace)"


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # inherited through exec: children reaped unseen otherwise
    cfg = protocol.decode(wire.recv(REQ_FD), protocol.WorkerConfig)
    if cfg.cpu is not None:
        try:
            os.sched_setaffinity(0, {cfg.cpu})
        except OSError:
            pass
    is_root = os.geteuid() == 0
    worker_pid, outer_uid = os.getpid(), os.getuid()
    if cfg.namespaces:
        ns = _namespaces(is_root)
    else:  # the harness asked for the fallback (tests of it)
        ns = {"mount": False, "network": False, "ipc": False, "uts": False, "pid": False, "user": False}
    iso = {
        "sandbox": cfg.sandbox.value,
        "mode": "root: a uid per worker" if is_root else "unprivileged: a user namespace per worker",
        "network": "isolated (empty network namespace)" if ns["network"] else "NOT isolated",
        "pid_namespace": ns["pid"], "mount_namespace": ns["mount"], "ipc_namespace": ns["ipc"],
        "uts_namespace": ns["uts"], "user_namespace": ns["user"],
        "host_name": jail.HOST_NAME.decode() if ns["uts"] else "the machine's (no UTS namespace)",
    }
    _harden(cfg, ns, is_root, iso)
    if ns["pid"]:
        _become_namespace_init()
    else:
        jail.set_child_subreaper()  # survives the exec: orphans of the candidate come to us
    private_root, proc_fd, files_fd = _filesystem(cfg, ns, iso)
    server = os.path.join(jail.CODE_DIR if private_root else HERE, "server.py")
    zygote = _start_zygote(server, private_root, not ns["network"], files_fd is not None) \
        if ns["pid"] and _nest_pid_namespace() else None
    jail.set_no_new_privs()
    try:
        jail.install_candidate_filter(restrict_sockets=not ns["network"], deny_memfd=files_fd is not None)
        iso["syscall_filter"] = ("installed (seccomp): no mounts, namespaces, setns, ptrace, process_vm_*, "
                                 "keyrings, bpf, perf, userfaultfd, io_uring, System V shared memory and "
                                 "message queues" + (", memfds" if files_fd is not None else "") +
                                 "; limits, priorities, scheduling and I/O priority of no process but the "
                                 "caller; SIGCHLD's disposition only read")
        if not ns["network"]:
            iso["network"] = "NOT isolated by a namespace; seccomp filter: socket() only for AF_UNIX"
    except OSError as exc:
        iso["syscall_filter"] = f"NOT installed ({exc})"
    drop = is_root
    if drop and not private_root and not all(map(_world_readable, cfg.sys_path)):
        # Without our own root the interpreter's folder must be readable by the dropped
        # uid, or every import of a not yet loaded module would fail (wrong verdicts).
        drop = False
        iso["uid_drop_skipped"] = "the interpreter's folders are not readable by other users"
    missing = _missing(ns, is_root, private_root, iso, drop)
    iso["complete"], iso["missing"] = not missing, missing
    if missing and cfg.sandbox is not protocol.SandboxMode.WEAK:
        raise SandboxUnavailable("the full sandbox is unavailable: " + "; ".join(missing) + "; " + UNAVAILABLE_HINT)
    uid = cfg.uid_base + worker_pid if drop else os.getuid()
    iso["uid_drop"] = drop
    iso["candidate_uid"] = f"{cfg.uid_base}+worker pid" if drop else f"{outer_uid} (the harness's own)"
    # Without a uid drop the candidate shares the server's uid: the server makes itself
    # undumpable (untraceable, its /proc files closed to the candidate), each test process
    # dumpable again so that the server can still read its CPU time in /proc.
    own_uid = not drop and ns["user"]
    iso["cpu_accounting"] = _cpu_accounting(cfg, ns, proc_fd)
    # The scheduler groups the processes of a session only outside cpu cgroups; there any
    # process may raise its session's nice value (/proc/self/autogroup), the worker's too if it
    # shares the session. setsid costs ~40 us of CPU per test process: only where it matters.
    new_session = _autogroups_enabled() and not cfg.cpu_group
    iso["sessions"] = ("a session (and so a scheduler autogroup) of its own per test process" if new_session
                       else ("shared with the zygote, in a session of its own" if zygote is not None
                             else "shared with the worker") + " (" + ("its cpu cgroup, not autogroups, groups them"
                                                         if cfg.cpu_group else "no scheduler autogroups here") + ")")
    serve = protocol.ServerConfig(
        limits=cfg.limits, sys_path=cfg.sys_path, uid=uid, gid=uid if drop else os.getgid(), drop=drop,
        pid_namespace=ns["pid"], ipc_namespace=ns["ipc"], private_root=private_root, isolation=iso,
        scratch_base=cfg.scratch_base, user_namespace=ns["user"], shares_uid=own_uid, oom_fd=cfg.oom_fd,
        cpu_fd=cfg.cpu_fd, cpu_counter_v2=cfg.cpu_counter_v2, proc_fd=proc_fd, new_session=new_session,
        files_fd=files_fd, zygote=zygote is not None)
    iso["memory_bound"] = cfg.memory_bound
    # The configuration goes through a pipe, not the command line: every test process is a
    # fork of the server, and /proc/self/cmdline would show it (host paths, cgroup names).
    if zygote is not None:
        ours, theirs, pid, zygote_config = zygote
        serve = dataclasses.replace(serve, zygote_fd=theirs, zygote_role=True)
        _write_all(zygote_config, protocol.encode(serve))
        serve = dataclasses.replace(serve, zygote_fd=ours, zygote_pid=pid, zygote_role=False)
    config_fd = _config_pipe(protocol.encode(serve))
    for fd in (REQ_FD, RESP_FD, config_fd) + tuple(fd for fd in (cfg.oom_fd, cfg.cpu_fd, proc_fd, files_fd,
                                                                 zygote and zygote[0]) if fd is not None):
        os.set_inheritable(fd, True)
    os.execv(sys.executable, [sys.executable, "-s", "-S", server, str(REQ_FD), str(RESP_FD), str(config_fd)])


def _config_pipe(body: bytes) -> int:
    """A pipe's read end holding `body` in full (it fits a pipe's buffer): read once by the server."""
    if len(body) > 60 << 10:
        raise RuntimeError(f"server configuration of {len(body)} bytes does not fit a pipe")
    read_end, write_end = os.pipe()
    _write_all(write_end, body)
    return read_end


def _write_all(fd: int, body: bytes) -> None:
    """Write `body` to the pipe `fd` (its reader may be reading meanwhile) and close it."""
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _start_zygote(server: str, private_root: bool, restrict_sockets: bool, deny_memfd: bool):
    """Fork the zygote, the first child since _nest_pid_namespace and so the init of the nested
    namespace, while we still hold the capabilities to give it a /proc of that namespace (its
    test processes then find themselves in /proc under the pids they know). It execs server.py
    as a zygote: a fresh interpreter that never holds any program's data. Returns our end of
    the socket to it, its end's number, its pid and the pipe its configuration goes in."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    config_r, config_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(config_w)
            ours.close()
            if private_root:  # a mount namespace of its own: the server keeps its /proc
                jail.unshare(jail.CLONE_NEWNS)
                jail.mount_proc("/proc")
                jail.mount("/dev/null", "/proc/keys", None, jail.MS_BIND)
            jail.set_no_new_privs()
            try:
                jail.install_candidate_filter(restrict_sockets=restrict_sockets, deny_memfd=deny_memfd)
            except OSError:  # the server fails the same way, and records it
                pass
            keep = sorted((theirs.fileno(), config_r))
            os.closerange(3, keep[0])  # the harness's pipes and counters are the server's alone
            os.closerange(keep[0] + 1, keep[1])
            os.closerange(keep[1] + 1, 1 << 20)
            for fd in keep:
                os.set_inheritable(fd, True)
            os.execv(sys.executable, [sys.executable, "-s", "-S", server, "-1", "-1", str(config_r)])
        except BaseException as exc:  # noqa: BLE001 - the server finds the zygote gone
            os.write(2, f"zygote setup failed: {exc!r}\n".encode("utf-8", "replace"))
        os._exit(1)
    os.close(config_r)
    their_fd = theirs.fileno()
    theirs.close()
    return ours.detach(), their_fd, pid, config_w


class SandboxUnavailable(Exception):
    """The full sandbox cannot be built here and weak isolation was not asked for."""


if __name__ == "__main__":
    try:
        main()
    except SandboxUnavailable as exc:
        try:
            wire.send(RESP_FD, protocol.encode(protocol.SetupFailed(protocol.clean_text(str(exc)), unavailable=True)))
        finally:
            os._exit(1)
    except BaseException as exc:  # noqa: BLE001 - tell the harness why, then die
        try:
            error = protocol.clean_text(f"worker setup failed: {type(exc).__name__}: {exc}")
            wire.send(RESP_FD, protocol.encode(protocol.SetupFailed(error)))
        finally:
            os._exit(1)
