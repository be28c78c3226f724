# Leaves state behind for the next program of the same worker: System V shared memory,
# semaphores and message queues, a POSIX message queue, files in /tmp and /dev/shm, a tree
# 1500 levels deep (far beyond PATH_MAX), /tmp's inodes exhausted, and a marker file in
# every folder of the root it can write to. Prints what it managed.
import ctypes
import ctypes.util
import os

KEYS = (0x5A17, 0x5A18, 0x5A19)
libc = ctypes.CDLL(None, use_errno=True)
made = []
if libc.shmget(KEYS[0], 4096, 0o1600) >= 0:
    made.append("shm")
if libc.semget(KEYS[1], 1, 0o1600) >= 0:
    made.append("sem")
if libc.msgget(KEYS[2], 0o1600) >= 0:
    made.append("msg")
libc.mq_open.restype = ctypes.c_int
if libc.mq_open(b"/leak-queue", os.O_CREAT | os.O_RDWR, 0o600, None) >= 0:
    made.append("mqueue")
for folder in ("/tmp", "/dev/shm"):
    with open(f"{folder}/leak-file", "w") as f:
        f.write("x")
made.append("files")
fd = os.open("/tmp", os.O_RDONLY)
for _ in range(1500):
    os.mkdir("deep", dir_fd=fd)
    below = os.open("deep", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = below
os.close(fd)
made.append("deep")
os.mkdir("/tmp/inodes")
try:
    for i in range(100000):
        open(f"/tmp/inodes/{i}", "w").close()
except OSError:
    made.append("inodes")
for folder, dirs, _ in os.walk("/"):
    if folder.startswith(("/proc", "/sys", "/tmp")):
        dirs[:] = []
        continue
    try:
        open(os.path.join(folder, "leak-marker"), "w").close()
        made.append(folder)
    except OSError:
        pass
print(" ".join(made))
