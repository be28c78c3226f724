# Hostile candidate: run only inside the sandbox. Closes every descriptor it did not open
# except stdin/stdout/stderr (the worker's handshake pipes and result file among them).
import os

os.closerange(3, 4096)
print(input())
