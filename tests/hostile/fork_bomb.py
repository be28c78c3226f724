# Hostile candidate: run only inside the sandbox. Bounded fork bomb whose children linger.
import os

marker = input().strip()
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 300", marker])
        finally:
            os._exit(0)
print("forked")
