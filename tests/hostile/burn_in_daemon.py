# Hostile candidate: run only inside the sandbox. Double-forked daemons in their own session
# (no longer descendants of the test process) burn CPU; the program itself waits.
import os
import time

if os.fork() == 0:
    os.setsid()
    for _ in range(3):
        if os.fork() == 0:
            while True:
                pass
    os._exit(0)
os.wait()
time.sleep(10 ** 6)
