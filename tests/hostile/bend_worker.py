# Hostile candidate: run only inside the sandbox. Tries to bend every other process it can
# name (its worker is pid 1, the init of its pid namespace): their resource limits,
# scheduling priority, policy and affinity, I/O priority, and the nice value of the
# autogroup it shares with them. Prints, as JSON, the attempts the kernel accepted.
import ctypes
import json
import os
import resource
import struct

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {"x86_64": {"sched_setattr": 314, "ioprio_set": 251},
      "aarch64": {"sched_setattr": 274, "ioprio_set": 30}}[os.uname().machine]
me = os.getpid()
# Its own pid in /proc too: its test processes may live in a pid namespace below the /proc's.
others = sorted({int(p) for p in os.listdir("/proc") if p.isdigit()} - {me, int(os.readlink("/proc/self"))} | {1})
accepted = []


def attempt(name, call):
    try:
        if call() is False:
            return
        accepted.append(name)
    except (OSError, ValueError):
        pass


def sched_setattr(pid):
    # struct sched_attr: size, policy, flags, nice, priority, runtime, deadline, period
    attr = ctypes.create_string_buffer(struct.pack("IIQiIQQQ", 48, 5, 0, 19, 0, 0, 0, 0))  # SCHED_IDLE
    return libc.syscall(NR["sched_setattr"], pid, attr, 0) == 0


def ioprio_set(which, who):
    return libc.syscall(NR["ioprio_set"], which, who, (3 << 13)) == 0  # IOPRIO_CLASS_IDLE


for pid in others:
    for res, value in ((resource.RLIMIT_NOFILE, 3), (resource.RLIMIT_AS, 1 << 20), (resource.RLIMIT_CPU, 0),
                       (resource.RLIMIT_STACK, 1 << 14), (resource.RLIMIT_NPROC, 0), (resource.RLIMIT_FSIZE, 0),
                       (resource.RLIMIT_DATA, 1 << 20)):
        attempt(f"prlimit {pid} {res}", lambda: resource.prlimit(pid, res, (value, value)))
    attempt(f"getpriority {pid}", lambda: os.getpriority(os.PRIO_PROCESS, pid) is not None)
    attempt(f"setpriority {pid}", lambda: os.setpriority(os.PRIO_PROCESS, pid, 19))
    attempt(f"sched_setscheduler {pid}", lambda: os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0)))
    attempt(f"sched_setparam {pid}", lambda: os.sched_setparam(pid, os.sched_param(0)))
    attempt(f"sched_setaffinity {pid}",
            lambda: os.sched_setaffinity(pid, {max(os.sched_getaffinity(0))}))
    attempt(f"sched_setattr {pid}", lambda: sched_setattr(pid))
    attempt(f"ioprio_set {pid}", lambda: ioprio_set(1, pid))
attempt("setpriority pgrp", lambda: os.setpriority(os.PRIO_PGRP, 0, 19))
attempt("setpriority user", lambda: os.setpriority(os.PRIO_USER, os.getuid(), 19))
attempt("setpriority user 0", lambda: os.setpriority(os.PRIO_USER, 0, 19))
attempt("ioprio_set pgrp", lambda: ioprio_set(2, 0))
attempt("ioprio_set user", lambda: ioprio_set(3, os.getuid()))


def autogroup():
    with open("/proc/self/autogroup", "w") as f:
        f.write("19")


attempt("autogroup nice", autogroup)
print(json.dumps({"others": others, "accepted": accepted}))
