# Hostile candidate: run only inside the sandbox. A double-forked daemon in its own session
# (no longer a descendant of the test process) burns CPU; the program itself waits.
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            pass
    os._exit(0)
os.wait()
time.sleep(10 ** 6)
