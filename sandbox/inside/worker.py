"""A warm worker, phase 1 (setup): ``python -s -S worker.py REQ_FD RESP_FD``, started by the harness.

Process tree, per worker:

    harness --(subprocess, minimal environment)--> W  (this file)
      W: unshare(mount, net, ipc, uts, pid), then fork
        N: pid 1 of the new pid namespace; builds a read-only minimal root and mounts its
           own /proc, then execs server.py (phase 2), a lean interpreter without ctypes,
           which serves requests: compiles each program once, then per program
           T: fork of N (test_process.py); limits, uid drop; runs the program's tests in
              turn; a fresh T after a crash, exit or timeout

When a program's tests are done, N, being the namespace's init, kills every other process
in the namespace (kill(-1)) and reaps them, so nothing a candidate starts survives its
verdict. If N dies, the kernel kills the whole namespace; if the harness goes away, N sees
its pipe close. The exec keeps N small: fork cost grows with N's mappings.
"""
from __future__ import annotations

import os
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


def _filesystem(cfg: protocol.WorkerConfig, ns: dict, iso: dict) -> bool:
    """The private minimal root; False (recorded) when it cannot be built."""
    if not ns["mount"]:
        iso["filesystem"] = "host filesystem visible (no mount namespace)"
        return False
    scratch_base = cfg.scratch_base  # the harness's fallback scratch folder: unused with a private root
    try:
        os.rmdir(scratch_base)
        visible, proc = jail.build_root(list(cfg.readonly_paths) + [HERE], cfg.tmp_bytes)
    except OSError as exc:
        os.makedirs(scratch_base, 0o711, exist_ok=True)
        iso["filesystem"] = f"host filesystem visible (private root failed: {exc})"
        return False
    iso["filesystem"] = "private tmpfs root; read-only binds: " + ", ".join(visible)
    iso["proc"] = proc + (" of the private pid namespace" if ns["pid"] and proc.startswith("own") else "")
    return True


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


def main() -> None:
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
    if ns["pid"]:
        _become_namespace_init()
    else:
        jail.set_child_subreaper()  # survives the exec: orphans of the candidate come to us
    iso = {
        "network": "isolated (empty network namespace)" if ns["network"] else "NOT isolated",
        "pid_namespace": ns["pid"], "mount_namespace": ns["mount"], "ipc_namespace": ns["ipc"],
        "uts_namespace": ns["uts"], "user_namespace": ns["user"],
    }
    private_root = _filesystem(cfg, ns, iso)
    jail.set_no_new_privs()
    if not ns["network"]:
        try:
            jail.install_socket_filter()
            iso["network"] = "NOT isolated by a namespace; seccomp filter: socket() only for AF_UNIX"
        except OSError as exc:
            iso["network"] = f"NOT isolated (no network namespace, seccomp filter failed: {exc})"
    drop = is_root
    if drop and not private_root and not all(map(_world_readable, cfg.sys_path)):
        # Without our own root the interpreter's folder must be readable by the dropped
        # uid, or every import of a not yet loaded module would fail (wrong verdicts).
        drop = False
        iso["uid_drop_skipped"] = "the interpreter's folders are not readable by other users"
    uid = cfg.uid_base + worker_pid if drop else os.getuid()
    iso["uid_drop"] = drop
    iso["candidate_uid"] = f"{cfg.uid_base}+worker pid" if drop else f"{outer_uid} (the harness's own)"
    serve = protocol.ServerConfig(
        limits=cfg.limits, sys_path=cfg.sys_path, uid=uid, gid=uid if drop else os.getgid(), drop=drop,
        pid_namespace=ns["pid"], ipc_namespace=ns["ipc"], private_root=private_root, isolation=iso,
        scratch_base=cfg.scratch_base)
    for fd in (REQ_FD, RESP_FD):
        os.set_inheritable(fd, True)
    server = os.path.join(HERE, "server.py")
    os.execv(sys.executable, [sys.executable, "-s", "-S", server, str(REQ_FD), str(RESP_FD),
                              protocol.encode(serve).decode("ascii")])


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:  # noqa: BLE001 - tell the harness why, then die
        try:
            error = protocol.clean_text(f"worker setup failed: {type(exc).__name__}: {exc}")
            wire.send(RESP_FD, protocol.encode(protocol.SetupFailed(error)))
        finally:
            os._exit(1)
