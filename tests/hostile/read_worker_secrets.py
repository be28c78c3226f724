# Hostile candidate: run only inside the sandbox. Collects whatever it can read about the processes
# around it: command lines, environments, working folders, open files (looking for the paths of
# the dataset and the run folder).
import os

seen = []
for pid in [p for p in os.listdir("/proc") if p.isdigit()] + ["1", str(os.getppid())]:
    for name in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                seen.append(f.read().decode("latin-1"))
        except OSError:
            pass
    for link in ["cwd", "root", "exe"] + [f"fd/{fd}" for fd in range(64)]:
        try:
            seen.append(os.readlink(f"/proc/{pid}/{link}"))
        except OSError:
            pass
print(seen)
