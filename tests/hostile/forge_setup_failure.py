# Hostile candidate: run only inside the sandbox. Pretends its test process failed to set up
# (the message, the exit status and an untouched record file), hoping to pass for a harness fault.
import os
import sys

os.pwrite(3, b"pending", 0)
os.ftruncate(3, 7)
sys.stderr.write("sandbox setup failed: OSError(1, 'forged')")
sys.stderr.flush()
os._exit(71)
