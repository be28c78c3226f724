# Hostile candidate: run only inside the sandbox. Searches its own memory (a fork of its worker)
# for the text of programs the worker ran before: a marker they carry, given here in two lines
# (head, tail) so that no object of this program ever holds it whole. Prints how often it is
# found.
import ctypes
import re

head, tail = input().encode(), input().encode()
found = 0
with open("/proc/self/maps") as maps:
    regions = [line.split() for line in maps]
for fields in regions:
    if not fields[1].startswith("rw") or (len(fields) > 5 and fields[5].startswith("[v")):
        continue
    start, end = (int(x, 16) for x in fields[0].split("-"))
    data = ctypes.string_at(start, end - start)  # readable and writable: mapped, ours
    found += sum(data[m.end():m.end() + len(tail)] == tail for m in re.finditer(re.escape(head), data))
print(found)
