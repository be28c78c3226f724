# Honest probe: what a fresh test process inherits from its worker (limits, priorities,
# scheduling, affinity, autogroup nice), as JSON. Equal before and after any program.
import json
import os
import resource

limits = {name: resource.getrlimit(getattr(resource, name))
          for name in ("RLIMIT_NOFILE", "RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_STACK", "RLIMIT_NPROC",
                       "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_CORE")}
try:
    with open("/proc/self/autogroup") as f:
        autogroup_nice = f.read().split()[-1]
except OSError:
    autogroup_nice = None
print(json.dumps({"limits": limits, "nice": os.getpriority(os.PRIO_PROCESS, 0),
                  "policy": os.sched_getscheduler(0), "affinity": sorted(os.sched_getaffinity(0)),
                  "autogroup_nice": autogroup_nice}, sort_keys=True))
