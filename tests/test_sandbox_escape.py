"""Second round of attacks through the real Executor: forging the worker's channels, namespaces
and mounts of the candidate's own, keyrings and other secrets, memory outside RLIMIT_AS.

Run as root and (tests/test_sandbox_unprivileged.py) again as an ordinary user."""
from __future__ import annotations

import ctypes
import json
import os
import re
import socket
import uuid

import pytest

import sandbox
from hostile.helpers import program, run_stdio
from sandbox import ExecutionRequest, Executor, Limits, RunStatus, SandboxMode
from conftest import REPO_ROOT
from sandbox.cgroups import group_limit_mb
from sandbox.worker_pool import interpreter_paths

AS_ROOT = os.geteuid() == 0
MEMORY_MB = 256


@pytest.fixture(scope="module")
def ex():
    with Executor(Limits(timeout_s=2, memory_mb=MEMORY_MB, wall_timeout_s=6), workers=2) as executor:
        yield executor


def only(run):
    assert len(run.runs) == 1
    return run.runs[0]


def test_isolation_is_full_without_weak_mode(ex):
    assert ex.sandbox.mode == SandboxMode.FULL and ex.sandbox.complete, ex.sandbox.missing
    iso = ex.isolation
    assert iso["pid_namespace"] and iso["mount_namespace"] and iso["network"].startswith("isolated")
    assert iso["syscall_filter"].startswith("installed") and iso["session_keyring"].startswith("fresh")
    if AS_ROOT:
        assert iso["uid_drop"] is True
    else:
        assert iso["user_namespace"] is True and iso["nested_user_namespaces"].startswith("forbidden")


# ---- forging results -------------------------------------------------------------------------

def test_worker_channels_are_out_of_reach_and_forgery_changes_no_other_verdict(ex):
    honest = "print(int(input()) * 2)\n"
    futures = [ex.submit(ExecutionRequest(code, sandbox.TestKind.STDIO, ("21",)))
               for code in (program("forge_worker_channels"), honest, honest)]
    forger, *others = [only(f.result(timeout=120)) for f in futures]
    assert forger.status == RunStatus.OK and json.loads(forger.output) == []
    assert [(r.status, r.output) for r in others] == [(RunStatus.OK, "42\n")] * 2
    assert only(run_stdio(ex, honest, "5")).output == "10\n"


def test_forged_setup_failure_is_the_programs_own_runtime_error(ex):
    run = only(run_stdio(ex, program("forge_setup_failure")))
    assert run.status == RunStatus.RUNTIME_ERROR


def test_no_namespaces_or_mounts_of_its_own(ex):
    run = only(run_stdio(ex, program("escape_namespaces")))
    assert run.status == RunStatus.OK and json.loads(run.output) == []


# ---- secrets ---------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_NR_ADD_KEY, _NR_KEYCTL = (248, 250) if os.uname().machine == "x86_64" else (217, 219)


def _add_key(ring: int, description: str, payload: bytes) -> int:
    key = _libc.syscall(_NR_ADD_KEY, b"user", description.encode(), payload, len(payload), ring)
    if key < 0:
        pytest.skip(f"cannot add a key here: {os.strerror(ctypes.get_errno())}")
    _libc.syscall(_NR_KEYCTL, 5, key, 0x3F3F0000)  # KEYCTL_SETPERM: all for possessor and user
    return key


def test_keyrings_of_the_harness_are_out_of_reach():
    secret = f"keysecret-{uuid.uuid4().hex}"
    keys = [_add_key(ring, f"{name}-{secret}", secret.encode()) for ring, name in ((-3, "session"), (-4, "user"))]
    try:
        with Executor(Limits(timeout_s=2), workers=1) as ex2:
            run = only(run_stdio(ex2, program("read_keyrings")))
    finally:
        for key in keys:
            _libc.syscall(_NR_KEYCTL, 3, key)  # KEYCTL_REVOKE
    assert run.status == RunStatus.OK
    assert secret not in run.output


def test_dataset_and_run_folder_paths_and_environment_are_not_readable(tmp_path, monkeypatch):
    secret = f"secret-{uuid.uuid4().hex}"
    run_folder = tmp_path / f"run-{secret}"
    run_folder.mkdir()
    monkeypatch.chdir(run_folder)
    monkeypatch.setenv("APPS_EVAL_TEST_SECRET", secret)
    dataset = open(tmp_path / f"problems-{secret}.jsonl", "w")
    try:
        with Executor(Limits(timeout_s=2), workers=1) as ex2:
            run = only(run_stdio(ex2, program("read_worker_secrets")))
    finally:
        dataset.close()
    assert run.status == RunStatus.OK
    assert secret not in run.output


# ---- memory that adds up -----------------------------------------------------------------------

def test_system_v_shared_memory_and_message_queues_are_refused(ex):
    """Detached segments outlive every mapping RLIMIT_AS sees, and without root no memory cgroup
    counts them (the issue saw 768 MB held): the filter refuses them, root or not."""
    run = only(run_stdio(ex, program("memory_outside_rlimit_as"), f"shm {4 * MEMORY_MB}"))
    assert (run.status, run.output) == (RunStatus.OK, "0\n"), run
    assert "System V shared memory and message queues" in ex.isolation["syscall_filter"]
    queue = only(run_stdio(ex, "import ctypes\nprint(ctypes.CDLL(None).msgget(0, 0o1600))\n"))
    assert (queue.status, queue.output) == (RunStatus.OK, "-1\n"), queue


@pytest.mark.parametrize("kind", ["memfd", "tmp", "devshm", "processes"])
def test_memory_outside_rlimit_as_is_bounded(ex, kind):
    """Each bound is tested for what it holds back, root or not: memfds are refused where the
    worker keeps its own files on a tmpfs of its own; files in /tmp and /dev/shm stop at their
    tmpfs's size; only the sum over several processes needs the memory cgroup."""
    run = only(run_stdio(ex, program("memory_outside_rlimit_as"), f"{kind} {6 * MEMORY_MB}"))
    held = int(run.output.split()[-1]) if run.output.split() else 0
    iso = ex.isolation
    if kind == "memfd" and "memfds" in iso["syscall_filter"]:
        assert held == 0, run
    elif kind in ("tmp", "devshm") and iso["filesystem"].startswith("private"):
        assert held <= max(64, 2 * ex.limits.max_file_bytes >> 20), run  # the tmpfs's size
    elif not iso["memory_bound"].startswith("memory cgroup"):
        pytest.skip(f"no memory cgroup here ({iso['memory_bound']}): only RLIMIT_AS per process")
    else:
        assert run.status == RunStatus.MEMORY_LIMIT or held <= group_limit_mb(MEMORY_MB), (run, held)
    assert only(run_stdio(ex, "print('next')\n")).output == "next\n"


# ---- the worker out of the candidate's reach (third round) -------------------------------------

# What a candidate may still change: its own session's autogroup (each test process has one).
OWN_ONLY = {"autogroup nice"}


def test_worker_limits_priority_and_scheduling_are_out_of_reach_and_the_next_programs_unchanged():
    """Without root a candidate shares its worker's uid: all the kernel asks to change another
    process's limits, priority, policy, affinity or I/O priority, or its autogroup's nice."""
    with Executor(Limits(timeout_s=2, memory_mb=MEMORY_MB, wall_timeout_s=10), workers=1) as ex1:
        worker = ex1._workers[0].proc.pid
        before = only(run_stdio(ex1, program("report_scheduling")))
        assert before.status == RunStatus.OK, before
        attack = only(run_stdio(ex1, program("bend_worker")))
        assert attack.status == RunStatus.OK, attack
        report = json.loads(attack.output)
        assert 1 in report["others"]  # it did name its worker
        assert set(report["accepted"]) <= OWN_ONLY, report
        if "autogroup nice" in report["accepted"]:
            assert ex1.isolation["sessions"].startswith("a session")
        for _ in range(2):  # honest programs on the same worker: same inherited state, same verdicts
            after = only(run_stdio(ex1, program("report_scheduling")))
            assert (after.status, after.output) == (RunStatus.OK, before.output)
            busy = only(run_stdio(ex1, "print(sum(i * i for i in range(300000)))\n"))
            assert (busy.status, busy.output) == (RunStatus.OK, f"{sum(i * i for i in range(300000))}\n")
        assert ex1._workers[0].proc.pid == worker  # never broken, never replaced


# ---- CPU time nobody can read any more ---------------------------------------------------------

@pytest.fixture(scope="module")
def cpu_ex():
    with Executor(Limits(timeout_s=1, memory_mb=MEMORY_MB, wall_timeout_s=40), workers=1) as executor:
        yield executor


def test_cpu_accounting_is_recorded(cpu_ex):
    method = cpu_ex.isolation["cpu_accounting"]
    assert method.startswith(("cgroup v1 cpuacct", "cgroup v2 cpu.stat", "the pid namespace: live processes")), method


@pytest.mark.parametrize("how", ["ignore", "nocldwait", "undumpable", "short"])
def test_cpu_burnt_in_children_the_worker_cannot_read_is_charged(cpu_ex, how):
    """Children reaped by the kernel (their time added nowhere), or unreadable in a hidepid /proc,
    still burn the program's CPU time: it ends at the CPU limit, not at the wall clock's."""
    run = only(run_stdio(cpu_ex, program("hide_cpu"), how))
    assert run.status == RunStatus.TIMEOUT and run.detail.startswith("CPU time"), run
    assert run.wall_s < 30, run
    if how in ("ignore", "nocldwait"):
        assert run.output.split()[0] in ("SIG_IGN", "SA_NOCLDWAIT"), run  # refused by the filter
    honest = only(run_stdio(cpu_ex, "print(input()[::-1])\n", "abc"))
    assert (honest.status, honest.output) == (RunStatus.OK, "cba\n")


# ---- host facts ----------------------------------------------------------------------------

def test_host_name_and_checkout_path_do_not_show_inside(ex):
    """The worker's own code is copied into the private root, not bound (a bind shows its source
    path in /proc/self/mountinfo). Only where the interpreter or its site-packages live inside
    the checkout (a .venv there) do their own binds show that path: nothing else does."""
    checkout = str(REPO_ROOT)
    run = only(run_stdio(ex, program("find_host_facts"), checkout))
    assert run.status == RunStatus.OK, run
    facts = json.loads(run.output)
    assert facts["hostname"] == facts["nodename"] == "sandbox" != socket.gethostname()
    interpreter = [p for p in interpreter_paths()[1] if p == checkout or p.startswith(checkout + "/")]

    def explained(path: str) -> bool:
        """Bound at its own path for the interpreter: one of its folders, a file in one, or a
        folder above one (a mount point made for its bind)."""
        return any(path == p or path.startswith(p + "/") or p.startswith(path + "/") for p in interpreter)

    def unexplained(leak: str) -> list[str]:
        paths = re.findall(re.escape(checkout) + r"[^\s\x00'\",;\])]*", leak)
        return [p for p in paths if not explained(p)]

    assert [leak for leak in facts["leaks"] if unexplained(leak)] == [], facts


def test_the_workers_configuration_is_not_on_the_command_line_a_candidate_inherits(ex):
    """A test process is a fork of the worker's server: its command line is the server's. The
    configuration (scratch folder, cgroup paths, descriptors) reaches the server through a pipe."""
    code = "import sys\nsys.stdout.write(repr(open('/proc/self/cmdline', 'rb').read()))\n"
    run = only(run_stdio(ex, code))
    assert run.status == RunStatus.OK, run
    assert "server.py" in run.output
    for secret in ("server_config", "scratch", "cgroup", "isolation", "{"):
        assert secret not in run.output, run.output


def test_the_candidate_is_the_oom_killers_first_pick(ex):
    """oom_score_adj 1000 with or without a memory cgroup (raising it needs no privilege)."""
    run = only(run_stdio(ex, "print(open('/proc/self/oom_score_adj').read().strip())\n"))
    assert (run.status, run.output) == (RunStatus.OK, "1000\n"), run
