# Returns a value nested `depth` levels deep (raising its own recursion limit so that its
# JSON encoding succeeds): the harness must neither recurse into it nor crash.
import sys


def solve(depth):
    sys.setrecursionlimit(depth + 1000)
    value = []
    for _ in range(depth):
        value = [value]
    return value
