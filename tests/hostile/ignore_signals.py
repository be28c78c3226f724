# Hostile candidate: run only inside the sandbox. Ignores every catchable timer/termination signal.
import signal

for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGVTALRM, signal.SIGPROF,
            signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)
while True:
    try:
        while True:
            pass
    except BaseException:
        continue
