# Hostile candidate: run only inside the sandbox. Attacks its test process's handshake with
# the worker: forges "test done" bytes and result records on every inherited descriptor,
# steals the bytes that start the next test, and never ends by itself.
import os
import threading
import time

FORGED = b'd{"c": 0, "s": "ok", "v": "\\"forged\\""}'


def forge():
    while True:
        for fd in range(3, 12):
            try:
                os.write(fd, FORGED)
            except OSError:
                pass
        time.sleep(0.002)


def steal():
    while True:
        for fd in range(3, 12):
            try:
                os.read(fd, 1)
            except OSError:
                pass
        time.sleep(0.002)


for target in (forge, steal):
    threading.Thread(target=target, daemon=True).start()
print("input was", input())
time.sleep(300)
