# Hostile candidate: run only inside the sandbox. Classic double-forked daemon in a new session.
import os
import sys

marker = input().strip()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 300", marker])
    os._exit(0)
print("daemonized")
sys.stdout.flush()
