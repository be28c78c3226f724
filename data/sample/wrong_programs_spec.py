"""Deliberately wrong programs for the bundled sample (written for apps-eval, MIT).

Each entry: (problem title, expected verdict, verdict under the APPS-compatible comparison,
note, program). The program's verdict is that of its first failing test; build_sample.py
checks every entry by running it.
"""
from __future__ import annotations

from spec import code

WRONG = [
    (
        "Sum of integers", "runtime_error", "runtime_error",
        "indexes the first value, so it crashes on the empty list (n = 0)",
        code("""
            n = int(input())
            values = list(map(int, input().split()))
            total = values[0]
            for v in values[1:]:
                total += v
            print(total)
        """),
    ),
    (
        "Fizz and Buzz with any divisors", "wrong_answer", "wrong_answer",
        "off by one: stops at n - 1",
        code("""
            n, a, b = map(int, input().split())
            for i in range(1, n):
                word = ("Fizz" if i % a == 0 else "") + ("Buzz" if i % b == 0 else "")
                print(word or i)
        """),
    ),
    (
        "Greatest common divisor of a list", "timeout", "timeout",
        "binary GCD that forgets the zero case: loops forever on the test with zeros",
        code("""
            def gcd(a, b):
                shift = 0
                while (a | b) & 1 == 0:
                    a >>= 1
                    b >>= 1
                    shift += 1
                while a & 1 == 0:
                    a >>= 1
                while b:
                    while b & 1 == 0:
                        b >>= 1
                    if a > b:
                        a, b = b, a
                    b -= a
                return a << shift

            n = int(input())
            values = list(map(int, input().split()))
            g = values[0]
            for v in values[1:]:
                g = gcd(g, v)
            print(g)
        """),
    ),
    (
        "Staircase", "wrong_answer", "passed",
        "prints the staircase upside down; the APPS comparison compares sets of lines, so it "
        "accepts this",
        code("""
            n = int(input())
            for i in range(n, 0, -1):
                print(" " * (n - i) + "#" * i)
        """),
    ),
    (
        "Leap years", "compile_error", "compile_error",
        "defines leap_year instead of is_leap: the called function is missing",
        code("""
            def leap_year(year):
                return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        """),
    ),
    (
        "Running maximum", "compile_error", "compile_error",
        "syntax error (missing colon after the for clause)",
        code("""
            from typing import List

            class Solution:
                def runningMax(self, nums: List[int]) -> List[int]:
                    answer = []
                    for x in nums
                        answer.append(x if not answer else max(answer[-1], x))
                    return answer
        """),
    ),
    (
        "Average grade", "wrong_answer", "wrong_answer",
        "prints two decimals: off by more than the allowed 1e-6",
        code("""
            n = int(input())
            grades = list(map(int, input().split()))
            print(f"{sum(grades) / n:.2f}")
        """),
    ),
    (
        "Balanced brackets", "wrong_answer", "wrong_answer",
        "only counts the depth, ignoring bracket types: accepts ([)]",
        code("""
            t = int(input())
            for _ in range(t):
                depth, ok = 0, True
                for ch in input().strip():
                    depth += 1 if ch in "([{" else -1
                    if depth < 0:
                        ok = False
                print("YES" if ok and depth == 0 else "NO")
        """),
    ),
    (
        "Best stretch of days", "wrong_answer", "wrong_answer",
        "starts the best sum at 0, so it answers 0 when every day is a loss",
        code("""
            n = int(input())
            a = list(map(int, input().split()))
            best = current = 0
            for x in a:
                current = max(0, current + x)
                best = max(best, current)
            print(best)
        """),
    ),
    (
        "Sorting by digit sum", "wrong_answer", "passed",
        "prints the right numbers in plain increasing order; the APPS comparison compares sets "
        "of tokens, so it accepts this",
        code("""
            n = int(input())
            print(*sorted(map(int, input().split())))
        """),
    ),
    (
        "Run-length encoding", "runtime_error", "runtime_error",
        "reads s[0] first, so it crashes on the empty string",
        code("""
            def rle_encode(s):
                out, current, count = [], s[0], 0
                for ch in s:
                    if ch == current:
                        count += 1
                    else:
                        out.append(current + str(count))
                        current, count = ch, 1
                out.append(current + str(count))
                return "".join(out)
        """),
    ),
    (
        "Longest substring without repeats", "wrong_answer", "wrong_answer",
        "strips the quotes the test arguments carry, so it disagrees with the expected values "
        "(which were computed on the quoted strings)",
        code("""
            class Solution:
                def longestUniqueSubstring(self, s: str) -> int:
                    s = s.strip('"')
                    last = {}
                    start = best = 0
                    for i, ch in enumerate(s):
                        if last.get(ch, -1) >= start:
                            start = last[ch] + 1
                        last[ch] = i
                        best = max(best, i - start + 1)
                    return best
        """),
    ),
    (
        "Courier routes", "wrong_answer", "wrong_answer",
        "breadth-first search: takes the route with the fewest roads, not the fastest",
        code("""
            from collections import deque
            import sys
            data = sys.stdin.read().split()
            n, m = int(data[0]), int(data[1])
            adj = [[] for _ in range(n + 1)]
            for i in range(m):
                u, v, w = int(data[2 + 3 * i]), int(data[3 + 3 * i]), int(data[4 + 3 * i])
                adj[u].append((v, w))
                adj[v].append((u, w))
            dist = [-1] * (n + 1)
            dist[1] = 0
            queue = deque([1])
            while queue:
                u = queue.popleft()
                for v, w in adj[u]:
                    if dist[v] == -1:
                        dist[v] = dist[u] + w
                        queue.append(v)
            print(*dist[1:])
        """),
    ),
    (
        "Counting primes", "timeout", "timeout",
        "trial division of every number: far too slow for N = 5 * 10^6",
        code("""
            n = int(input())
            count = 0
            for x in range(2, n + 1):
                d = 2
                while d * d <= x and x % d:
                    d += 1
                if d * d > x:
                    count += 1
            print(count)
        """),
    ),
    (
        "Common subsequence", "compile_error", "compile_error",
        "Python 2 print statement",
        code("""
            a = raw_input()
            b = raw_input()
            print len(a)
        """),
    ),
    (
        "Packing for a trip", "wrong_answer", "wrong_answer",
        "loops over capacities upwards, which lets an item be taken several times",
        code("""
            n, cap = map(int, input().split())
            best = [0] * (cap + 1)
            for _ in range(n):
                w, v = map(int, input().split())
                for c in range(w, cap + 1):
                    best[c] = max(best[c], best[c - w] + v)
            print(best[cap])
        """),
    ),
    (
        "Counting inversions", "wrong_answer", "wrong_answer",
        "counts pairs of equal values as inversions",
        code("""
            def count_inversions(arr):
                def sort(a):
                    if len(a) <= 1:
                        return a, 0
                    mid = len(a) // 2
                    left, x = sort(a[:mid])
                    right, y = sort(a[mid:])
                    merged, count, i, j = [], x + y, 0, 0
                    while i < len(left) and j < len(right):
                        if left[i] < right[j]:
                            merged.append(left[i])
                            i += 1
                        else:
                            merged.append(right[j])
                            count += len(left) - i
                            j += 1
                    merged.extend(left[i:])
                    merged.extend(right[j:])
                    return merged, count
                return sort(list(arr))[1]
        """),
    ),
    (
        "Nested boxes", "runtime_error", "runtime_error",
        "reads the first box before checking for an empty list",
        code("""
            from bisect import bisect_left
            from typing import List

            class Solution:
                def maxNestedBoxes(self, boxes: List[List[int]]) -> int:
                    boxes = sorted(boxes, key=lambda b: (b[0], -b[1]))
                    tails = [boxes[0][1]]
                    for _, h in boxes[1:]:
                        k = bisect_left(tails, h)
                        if k == len(tails):
                            tails.append(h)
                        else:
                            tails[k] = h
                    return len(tails)
        """),
    ),
]
