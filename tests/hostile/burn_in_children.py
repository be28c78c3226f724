# Hostile candidate: run only inside the sandbox. Burns CPU in child processes while its own
# process only waits: a per-process CPU limit would never end it.
import os
import time

for _ in range(3):
    if os.fork() == 0:
        while True:
            pass
time.sleep(10 ** 6)
