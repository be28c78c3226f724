"""The files that run inside the jail, by path (``python -s -S sandbox/inside/worker.py``).

Standard library and each other only: they import one another as top-level modules
(``import jail``), because the worker puts this folder first on its path. The harness side
imports only `wire` (message framing) and `protocol` (every message and record that crosses
the boundary: one definition for both sides) from here.
"""
