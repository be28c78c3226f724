# Hostile candidate: run only inside the sandbox. Burns CPU where a worker reading live
# processes would not see it. Input: the way to hide.
#   ignore:     children reaped by the kernel (SIGCHLD ignored): their time is added nowhere
#   nocldwait:  the same through SA_NOCLDWAIT
#   undumpable: children that make themselves undumpable (unreadable in a /proc with hidepid)
#   short:      many short-lived children, each ending between two looks at the process tree
# Its own process only waits. Prints which of its hiding steps the kernel refused.
import ctypes
import os
import signal
import struct
import time

how = input().strip()
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
refused = []
if how == "ignore":
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    except OSError:
        refused.append("SIG_IGN")
elif how == "nocldwait":
    nr = {"x86_64": 13, "aarch64": 134}[os.uname().machine]
    action = ctypes.create_string_buffer(struct.pack("QQQQ", 0, 2, 0, 0))  # SIG_DFL, SA_NOCLDWAIT
    if libc.syscall(nr, signal.SIGCHLD, action, None, 8) != 0:
        refused.append("SA_NOCLDWAIT")
print(" ".join(refused) or "nothing refused", flush=True)


def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


while True:
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(done_r)
        if how == "undumpable":
            libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
            burn(10 ** 6)
        burn(0.05 if how == "short" else 0.3)
        os._exit(0)
    os.close(done_w)
    os.read(done_r, 1)  # end of file once the child has ended: one child at a time, never reaped here
    os.close(done_r)
