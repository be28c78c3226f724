# Hostile candidate: run only inside the sandbox. Burns CPU in threads; the main thread waits.
import threading


def burn():
    while True:
        pass


for _ in range(3):
    threading.Thread(target=burn, daemon=True).start()
threading.Event().wait()
