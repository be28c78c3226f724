# Hostile candidate: run only inside the sandbox. A non-daemon thread keeps the program alive.
import threading
import time

threading.Thread(target=time.sleep, args=(300,)).start()
print("main thread done")
