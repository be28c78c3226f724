# Reports every piece of state leave_state.py tries to leave behind that it can still see.
import ctypes
import os

KEYS = (0x5A17, 0x5A18, 0x5A19)
libc = ctypes.CDLL(None, use_errno=True)
found = []
if libc.shmget(KEYS[0], 0, 0) >= 0:
    found.append("shm")
if libc.semget(KEYS[1], 0, 0) >= 0:
    found.append("sem")
if libc.msgget(KEYS[2], 0) >= 0:
    found.append("msg")
if libc.mq_open(b"/leak-queue", os.O_RDONLY) >= 0:
    found.append("mqueue")
for folder in ("/tmp", "/dev/shm"):
    found += [f"{folder}/{name}" for name in os.listdir(folder) if name != "work"]
try:
    open("/tmp/fresh-inode", "w").close()
except OSError as exc:
    found.append(f"no inode left: {exc}")
for folder, dirs, files in os.walk("/"):
    if folder.startswith(("/proc", "/sys")):
        dirs[:] = []
        continue
    if "leak-marker" in files:
        found.append(folder)
print("clean" if not found else " ".join(found))
