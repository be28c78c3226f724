# Hostile candidate: run only inside the sandbox. Stops itself: no CPU time is used from then on,
# and nothing inside the process can ever resume it.
import os
import signal

print("stopping", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
print("resumed")
