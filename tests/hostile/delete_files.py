# Hostile candidate: run only inside the sandbox. Tries to delete and overwrite files named on stdin.
import os
import shutil

for path in input().split():
    for attempt in (lambda: os.remove(path), lambda: open(path, "w").write("pwned"),
                    lambda: shutil.rmtree(os.path.dirname(path))):
        try:
            attempt()
            print("succeeded on", path)
        except Exception as exc:
            print(type(exc).__name__)
