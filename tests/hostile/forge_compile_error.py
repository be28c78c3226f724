# Hostile candidate: run only inside the sandbox. Given "forge", writes a forged record saying
# it does not compile (the file on fd 3 the worker reads after a test) and exits before the
# real one is written; given anything else, runs like an honest program. A worker that kept
# that finding for the program's text would not run the same text for the next program.
import os
import sys

if input().strip() == "forge":
    protocol = sys.modules["protocol"]  # the worker's own record types, inherited by the fork
    record = protocol.encode(protocol.TestRecord(protocol.RecordKind.COMPILE_ERROR, detail="forged"))
    os.ftruncate(3, 0)
    os.pwrite(3, record, 0)
    os._exit(0)
print("ran")
