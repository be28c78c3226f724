# Hostile candidate: run only inside the sandbox. Signals every process it can name, with every
# signal that could stop or end one: kill(-1), its parent, every pid it finds in /proc and every
# pid from 1 up to a bound; then (a child of it) its process group and session, which ends
# itself too. Prints what it did first.
import os
import signal
import sys

SIGNALS = (signal.SIGSTOP, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL)
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)
me = os.getpid()
targets = {-1, os.getppid()}
targets.update(int(name) for name in os.listdir("/proc") if name.isdigit())
targets.update(range(1, 1 << 16))
targets.discard(me)
for sig in SIGNALS:
    for target in targets:
        try:
            os.kill(target, sig)
        except OSError:
            pass
print("still here", flush=True)
if input() == "groups":
    child = os.fork()
    if child == 0:
        for sig in SIGNALS[1:]:  # not SIGSTOP: the group is ours too
            for target in (0, -os.getpgrp(), -os.getsid(0)):
                try:
                    os.kill(target, sig)
                except OSError:
                    pass
        os._exit(0)
    os.waitpid(child, 0)
    print("not reached", flush=True)
