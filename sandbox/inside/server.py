"""A warm worker, phase 2 (serving): exec'd by worker.py inside the prepared namespaces.

``python -s -S server.py REQ_FD RESP_FD CONFIG_FD`` (the configuration's JSON in a pipe). Imports as little as possible
(no ctypes), pre-imports what candidates commonly use, then answers one request at a time.
The same file, with a configuration whose `zygote_role` is set (and -1 for both pipes), is the
zygote (zygote.py): prepared the same way, it forks the test processes for the server.
"""
from __future__ import annotations

import gc
import os
import signal
import sys

REQ_FD, RESP_FD = int(sys.argv[1]), int(sys.argv[2])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import candidate  # noqa: E402
import protocol  # noqa: E402
import wire  # noqa: E402
import zygote  # noqa: E402
from runner import Runner  # noqa: E402



def _read_config(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


CONFIG = protocol.decode(_read_config(int(sys.argv[3])), protocol.ServerConfig)
if not CONFIG.pid_namespace or CONFIG.shares_uid:
    import jail  # noqa: E402,F401 - fallback children need prctl (PDEATHSIG) through ctypes

    if CONFIG.shares_uid:  # candidates run as our uid: they must not trace us nor open our /proc
        jail.set_not_dumpable()
del sys.path[0]

# Imported once here so that test processes (forks) find them loaded: the modules APPS
# programs import most. Left out on purpose:
# - threading, random and whatever imports them (queue, statistics, logging, tempfile):
#   they register at-fork handlers that would run in every fork (~0.3 ms each);
# - rarely used C extensions (array, cmath, datetime, struct...): each shared library adds
#   mappings that every fork copies and every exit tears down (~12 us each).
# A program that imports them pays the import itself.
PRELOAD = ("collections", "itertools", "heapq", "math", "bisect", "functools", "re", "fractions",
           "decimal", "string", "operator", "copy", "typing", "io", "time", "atexit", "types",
           "numbers", "collections.abc", "contextlib", "keyword")


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # no KeyboardInterrupt from a terminal's Ctrl-C
    runner = Runner(CONFIG.limits, uid=CONFIG.uid, gid=CONFIG.gid, drop=CONFIG.drop,
                    pid_namespace=CONFIG.pid_namespace, ipc_namespace=CONFIG.ipc_namespace,
                    private_root=CONFIG.private_root, watch_fd=REQ_FD, scratch_base=CONFIG.scratch_base,
                    shares_uid=CONFIG.shares_uid, user_namespace=CONFIG.user_namespace, oom_fd=CONFIG.oom_fd,
                    cpu_fd=CONFIG.cpu_fd, cpu_counter_v2=CONFIG.cpu_counter_v2, proc_fd=CONFIG.proc_fd,
                    new_session=CONFIG.new_session, files_fd=CONFIG.files_fd, zygote=CONFIG.zygote,
                    zygote_role=CONFIG.zygote_role)
    if CONFIG.zygote_role:
        _prepare(runner)
        zygote.serve(CONFIG.zygote_fd, runner.child_setup, runner.fresh, runner.random_pids, runner.pid_max)
        os._exit(0)  # the server is gone
    if CONFIG.zygote:
        runner.connect_zygote(CONFIG.zygote_fd, CONFIG.zygote_pid)  # waits until it is ready
    isolation = _prepare(runner)
    wire.send(RESP_FD, protocol.encode(protocol.Ready(isolation)))
    while True:
        try:
            body = wire.recv(REQ_FD)
        except wire.WireError:
            runner.close()
            os._exit(0)
        try:
            reply = runner.run_program(protocol.decode(body, protocol.Piece))
        except Exception as exc:  # noqa: BLE001 - reported to the harness as its own fault
            # The harness replaces a worker that failed: nothing a program left behind (an
            # uncleanable file, say) can reach the next program.
            error = protocol.clean_text(f"worker failed: {type(exc).__name__}: {exc}")[:2000]
            wire.send(RESP_FD, protocol.encode(protocol.WorkerFailed(error)))
            os._exit(1)
        wire.send(RESP_FD, protocol.encode(reply))


def _prepare(runner: Runner) -> dict:
    """Set the worker's limits, pre-import, record the interpreter state every test starts from;
    the isolation to report."""
    runner.limit_worker()
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    sys.set_int_max_str_digits(0)
    candidate.install_site_builtins()
    sys.path[:] = [runner.scratch] + list(CONFIG.sys_path)  # like a script's own folder, then the stdlib
    sys.argv[:] = [runner.scratch + "/main.py"]
    isolation = {**CONFIG.isolation, **runner.describe()}
    runner.snapshot_interpreter()
    gc.collect()
    gc.freeze()  # children never walk (and so never copy) the worker's own objects
    return isolation


if __name__ == "__main__":
    main()
