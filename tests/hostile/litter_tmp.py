# Hostile candidate: run only inside the sandbox. Leaves, in every folder it can write to under
# /tmp and /dev/shm (the folders made for read-only binds included, never its own scratch
# folder), things awkward to remove: a marker file, symlinks (to /, to itself, dangling), a
# FIFO, a socket, oddly named files (a newline, invalid UTF-8, 255 bytes, leading dashes), a
# folder it made unreadable with a FIFO inside. Prints the folders it wrote to.
import os
import socket
import stat

ODD = [b"new\nline", b"\xff\xfe-not-utf8", b"x" * 255, b"--rf", b" ", b"..."]
written = []
for base in ("/tmp", "/dev/shm"):
    for folder, dirs, _ in os.walk(base):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        if folder == "/tmp/work" or folder.startswith("/tmp/work/"):
            dirs[:] = []
            continue
        try:
            open(os.path.join(folder, "leak-marker"), "w").close()
        except OSError:
            continue
        written.append(folder)
        raw = os.fsencode(folder)
        for name, target in ((b"to-root", b"/"), (b"loop", b"loop"), (b"dangling", b"/nowhere/at/all")):
            try:
                os.symlink(target, os.path.join(raw, name))
            except OSError:
                pass
        for name in ODD:
            try:
                open(os.path.join(raw, name), "wb").close()
            except OSError:
                pass
        try:
            os.mkfifo(os.path.join(folder, "fifo"))
            locked = os.path.join(folder, "locked")
            os.mkdir(locked)
            os.mkfifo(os.path.join(locked, "fifo"))
            os.symlink("/", os.path.join(locked, "to-root"))
            os.chmod(locked, 0)
        except OSError:
            pass
        try:
            server = socket.socket(socket.AF_UNIX)
            server.bind(os.path.join(folder, "sock"))
        except OSError:
            pass
        try:
            os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)  # and the folder itself read-only
        except OSError:
            pass
print(" ".join(written))
