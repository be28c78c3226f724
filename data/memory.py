"""Keep the process's RSS following what it holds while big rows come and go.

glibc raises its mmap threshold to the size of any large block freed, so after the first
multi-megabyte test every later one is allocated on the heap, where, once freed, it fragments
the heap and stays resident: the harness's peak RSS then grows with the number of big problems
judged (bench/big_data.py: 97 MB at 250 problems, 163 MB at 1,000, 256 MB at 4,000). Fixing
the threshold at 1 MB keeps such blocks in their own mappings, returned to the system when
freed (about 100 MB at every size). Elsewhere than glibc this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 1 << 20


@functools.lru_cache(maxsize=1)
def big_blocks_in_own_mappings() -> bool:
    """Set once per process; True where glibc accepted it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False
