# Hostile candidate: run only inside the sandbox. Tries to fake or hide output via sys.stdout/print.
import builtins
import io
import os
import sys

sys.stdout = io.StringIO()
print("swallowed by StringIO")
builtins.print = lambda *args, **kwargs: None
print("swallowed by the fake print")
os.write(1, b"only this reaches fd 1\n")
