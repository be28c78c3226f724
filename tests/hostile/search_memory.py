# Hostile candidate: run only inside the sandbox. Hunts for expected outputs in its own process.
import gc
import re
import sys
import types

pattern = re.compile(r"EXPECTED-[0-9a-f]{32}")
decoy = sys.stdin.read()  # holds one token on purpose: proves the search finds what is there
found, seen, scanned = set(), set(), 0


def visit(obj, depth=0):
    global scanned
    if id(obj) in seen or depth > 50:
        return
    seen.add(id(obj))
    scanned += 1
    if isinstance(obj, (str, bytes)):
        text = obj if isinstance(obj, str) else obj.decode("latin-1")
        found.update(pattern.findall(text))
    elif isinstance(obj, dict):
        for k, v in list(obj.items()):
            visit(k, depth + 1)
            visit(v, depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in list(obj):
            visit(v, depth + 1)
    elif isinstance(obj, types.CodeType):
        for v in obj.co_consts:
            visit(v, depth + 1)


for obj in gc.get_objects():
    visit(obj)
for module in list(sys.modules.values()):
    visit(getattr(module, "__dict__", {}))
frame = sys._getframe()
while frame is not None:
    visit(frame.f_locals)
    visit(frame.f_globals)
    visit(frame.f_code)
    frame = frame.f_back
print(scanned > 1000, sorted(found))
