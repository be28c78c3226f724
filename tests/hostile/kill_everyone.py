# Hostile candidate: run only inside the sandbox. Signals everything it can reach.
import os
import signal

for target in (-1, 1, os.getppid()):
    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGSTOP):
        try:
            os.kill(target, sig)
        except OSError:
            pass
print("still here")
