# Hostile candidate: run only inside the sandbox. Looks for facts of the host: its name, and a
# path (given on stdin, e.g. the checkout's) in the mount table, in the files of every module
# the process has loaded, in the command lines and environments it can read. Prints JSON.
import json
import os
import socket
import sys

path = input().strip()
leaks = []
for table in ("/proc/self/mountinfo", "/proc/self/mounts"):
    with open(table) as f:
        leaks += [f"{table}: {line.strip()}" for line in f if path in line]
for name, module in list(sys.modules.items()):
    where = getattr(module, "__file__", None) or ""
    if path in where:
        leaks.append(f"module {name}: {where}")
for entry in os.listdir("/proc"):
    for what in ("cmdline", "environ"):
        try:
            with open(f"/proc/{entry}/{what}", "rb") as f:
                text = f.read()
            if path.encode() in text:
                shown = text.replace(b"\0", b" ").decode(errors="replace")
                leaks.append(f"/proc/{entry}/{what}: {shown}")
        except OSError:
            pass
for what, value in [("cwd", os.getcwd()), ("sys.executable", sys.executable)] + [("sys.path", p) for p in sys.path]:
    if path in value:
        leaks.append(f"{what}: {value}")
print(json.dumps({"hostname": socket.gethostname(), "nodename": os.uname().nodename, "leaks": leaks}))
