# Hostile candidate: run only inside the sandbox. Tries to make namespaces and mounts of its own
# (a private tmpfs would hold memory outside every limit) by syscall and with unshare(1).
import ctypes
import json
import os
import subprocess

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
worked = []
flags = {"user": 0x10000000, "mount": 0x20000, "net": 0x40000000, "pid": 0x20000000, "ipc": 0x08000000,
         "uts": 0x04000000, "cgroup": 0x02000000, "user+mount": 0x10020000}
for name, flag in flags.items():
    pid = os.fork()
    if pid == 0:
        os._exit(0 if libc.unshare(flag) == 0 else 1)
    if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0:
        worked.append(f"unshare {name}")
    child = libc.syscall(56 if os.uname().machine == "x86_64" else 220, flag | 17, 0, 0, 0, 0)  # clone
    if child == 0:
        os._exit(0)
    if child > 0:
        worked.append(f"clone {name}")
        os.waitpid(child, 0)
if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, b"size=1g") == 0:
    worked.append("mount tmpfs")
if libc.setns(os.open("/proc/self/ns/net", os.O_RDONLY), 0) == 0:
    worked.append("setns")
for tool in (["unshare", "-Ur", "true"], ["unshare", "-Urm", "mount", "-t", "tmpfs", "x", "/tmp"]):
    try:
        if subprocess.run(tool, capture_output=True, timeout=10).returncode == 0:
            worked.append(" ".join(tool))
    except OSError:
        pass
print(json.dumps(worked))
