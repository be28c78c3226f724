# Hostile candidate: run only inside the sandbox. Holds memory where RLIMIT_AS does not look:
# detached System V shared memory, memfds, files in /tmp and /dev/shm, and the sum of several
# processes that each stay under the limit. Input: "<kind> <MB>". Prints the MB it still holds
# at the end (what it tried to hold may have been taken back: killed children, removed segments).
import ctypes
import os
import sys
import time

kind, target = input().split()
target_mb = int(target)
chunk = 1 << 20
held = 0
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
libc.shmdt.argtypes = (ctypes.c_void_p,)
fds = []


children = []


def report():
    """What is really held now, not what the allocations claimed."""
    real = 0
    if kind == "shm":
        with open("/proc/sysvipc/shm") as f:
            real = sum(int(line.split()[3]) for line in list(f)[1:]) >> 20
    elif kind == "memfd":
        real = sum(os.fstat(fd).st_size for fd in fds) >> 20
    elif kind in ("tmp", "devshm"):
        folder = "/tmp" if kind == "tmp" else "/dev/shm"
        real = sum(os.stat(os.path.join(folder, n)).st_size for n in os.listdir(folder) if n.startswith("hold-")) >> 20
    elif kind == "processes":
        real = 100 * sum(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in children)
    print(real, flush=True)


try:
    while held < target_mb:
        if kind == "shm":  # 16 MB segments, touched then detached: they stay allocated
            seg = libc.shmget(0, 16 * chunk, 0o1600)
            if seg < 0:
                break
            addr = libc.shmat(seg, None, 0)
            if addr in (None, ctypes.c_void_p(-1).value):
                break
            ctypes.memset(addr, 1, 16 * chunk)
            libc.shmdt(addr)
            held += 16
        elif kind == "memfd":
            fd = os.memfd_create("hold")
            fds.append(fd)
            written = 0
            try:
                while written < 16 * chunk:
                    written += os.write(fd, b"x" * chunk)
            except OSError:
                pass
            held += written // chunk
            if written == 0:
                break
        elif kind in ("tmp", "devshm"):
            folder = "/tmp" if kind == "tmp" else "/dev/shm"
            with open(f"{folder}/hold-{held}", "wb") as f:
                try:
                    for _ in range(16):
                        f.write(b"x" * chunk)
                        f.flush()
                except OSError:
                    break
            held += 16
        elif kind == "processes":  # 100 MB each, under RLIMIT_AS, in children that stay
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                block = bytearray(100 * chunk)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                os.write(w, b"k")
                time.sleep(60)
                os._exit(0)
            children.append(pid)
            if os.read(r, 1) != b"k":
                break
            held += 100
        else:
            sys.exit(f"unknown kind {kind}")
except OSError:
    pass
report()
