# Hostile candidate: run only inside the sandbox. Searches its own memory (a fork of its worker)
# for the text of programs the worker ran before: a marker they carry, given here in two lines
# (head, tail) so that no object of this program ever holds it whole. Prints how often it is
# found. Reads a range of pages at a time through /proc/self/mem, or (not dumpable after a uid
# change) through a file it copies them to: a page that cannot be read (a guard page, a mapping
# past the end of its file) is skipped instead of crashing the search.
import os
import re

head, tail = input().encode(), input().encode()
found = 0
with open("/proc/self/maps") as maps:
    regions = [line.split() for line in maps]
CHUNK = 1 << 18
try:
    mem = os.open("/proc/self/mem", os.O_RDONLY)

    def read(at, size):
        return os.pread(mem, size, at)
except PermissionError:
    import ctypes

    spool = os.open("spool", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    def read(at, size):  # write() copies what it can and stops at the first bad page
        return os.pread(spool, os.pwrite(spool, (ctypes.c_char * size).from_address(at), 0), 0)
for fields in regions:
    if not fields[1].startswith("rw") or (len(fields) > 5 and fields[5].startswith("[v")):
        continue
    start, end = (int(x, 16) for x in fields[0].split("-"))
    for at in range(start, end, CHUNK):
        try:  # chunks overlap by the marker's length, so that none is missed at a boundary
            data = read(at, min(CHUNK, end - at) + len(head) + len(tail))
        except OSError:
            try:
                data = read(at, min(CHUNK, end - at))
            except OSError:
                continue
        found += sum(data[m.end():m.end() + len(tail)] == tail for m in re.finditer(re.escape(head), data)
                     if m.start() < CHUNK)
print(found)
