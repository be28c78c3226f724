"""The files that run inside the jail, by path (``python -s -S sandbox/inside/worker.py``).

Standard library and each other only: they import one another as top-level modules
(``import jail``), because the worker puts this folder first on its path. The harness side
imports only `wire` (the pipe protocol) and `candidate` (for the benchmark) from here.
"""
