# Hostile candidate: run only inside the sandbox. Looks for the harness's environment variables.
import os

print(dict(os.environ))
paths = ["/proc/self/environ", f"/proc/{os.getppid()}/environ", "/proc/1/environ"]
paths += [f"/proc/{p}/environ" for p in os.listdir("/proc") if p.isdigit()]
for path in paths:
    try:
        with open(path, "rb") as f:
            print(path, f.read().decode("latin-1"))
    except OSError as exc:
        print(path, type(exc).__name__)
