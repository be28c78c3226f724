"""Competition-level problems of the bundled sample (written for apps-eval, MIT)."""
from __future__ import annotations

import random

from spec import CODEWARS, LEETCODE, STDIO, Spec, code, text

D = "competition"


def _graph(rng: random.Random, n: int, m: int, max_w: int, connected: bool) -> list[tuple[int, int, int]]:
    edges = []
    if connected:
        for v in range(2, n + 1):
            edges.append((rng.randint(1, v - 1), v, rng.randint(1, max_w)))
    while len(edges) < m:
        edges.append((rng.randint(1, n), rng.randint(1, n), rng.randint(1, max_w)))
    rng.shuffle(edges)
    return edges


def _fmt_graph(n: int, edges: list[tuple[int, int, int]]) -> str:
    return f"{n} {len(edges)}\n" + "".join(f"{u} {v} {w}\n" for u, v, w in edges)


def _dijkstra_tests() -> list[str]:
    rng = random.Random(125)
    line = [(i, i + 1, 10**9) for i in range(1, 500)]
    return [
        _fmt_graph(5, [(1, 2, 4), (1, 3, 1), (3, 2, 2), (2, 4, 5), (3, 4, 8)]),
        _fmt_graph(1, []),
        _fmt_graph(4, [(1, 2, 3), (3, 4, 1)]),
        _fmt_graph(3, [(1, 1, 5), (1, 2, 7), (1, 2, 2), (2, 3, 1000000000)]),
        _fmt_graph(500, line),
        _fmt_graph(1500, _graph(rng, 1500, 3000, 10**6, connected=False)),
        _fmt_graph(2000, _graph(rng, 2000, 4000, 10**9, connected=True)),
    ]


DIJKSTRA = Spec(
    title="Courier routes",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A courier company serves $n$ towns joined by $m$ two-way roads; road $i$ joins towns $u_i$
        and $v_i$ and takes $w_i$ minutes to drive (a road may join a town to itself, and two towns
        may be joined by several roads). The depot is in town 1. For every town find the shortest
        driving time from the depot.

        -----Input-----

        The first line contains $n$ and $m$ ($1 \\le n \\le 10^5$, $0 \\le m \\le 2 \\cdot 10^5$).
        Each of the next $m$ lines contains $u_i$, $v_i$ and $w_i$ ($1 \\le u_i, v_i \\le n$,
        $1 \\le w_i \\le 10^9$).

        -----Output-----

        Print $n$ integers on one line: the shortest time from town 1 to towns $1, 2, \\ldots, n$,
        or $-1$ for a town that cannot be reached.
    """),
    solutions=[
        code("""
            import heapq
            import sys

            def main():
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                for i in range(m):
                    u, v, w = int(data[2 + 3 * i]), int(data[3 + 3 * i]), int(data[4 + 3 * i])
                    adj[u].append((v, w))
                    adj[v].append((u, w))
                dist = [-1] * (n + 1)
                heap = [(0, 1)]
                while heap:
                    d, u = heapq.heappop(heap)
                    if dist[u] != -1:
                        continue
                    dist[u] = d
                    for v, w in adj[u]:
                        if dist[v] == -1:
                            heapq.heappush(heap, (d + w, v))
                sys.stdout.write(" ".join(map(str, dist[1:])) + " \\n")

            main()
        """),
        code("""
            from collections import deque
            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v, w = map(int, input().split())
                adj[u].append((v, w))
                adj[v].append((u, w))
            INF = float("inf")
            dist = [INF] * (n + 1)
            dist[1] = 0
            queue, queued = deque([1]), [False] * (n + 1)
            queued[1] = True
            while queue:
                u = queue.popleft()
                queued[u] = False
                for v, w in adj[u]:
                    if dist[u] + w < dist[v]:
                        dist[v] = dist[u] + w
                        if not queued[v]:
                            queued[v] = True
                            queue.append(v)
            print(" ".join(str(d) if d != INF else "-1" for d in dist[1:]))
        """),
    ],
    tests=_dijkstra_tests(),
)


PRIMES = Spec(
    title="Counting primes",
    difficulty=D,
    kind=STDIO,
    question=text("""
        How many prime numbers are there among $1, 2, \\ldots, N$? A prime is an integer greater
        than 1 whose only positive divisors are 1 and itself.

        -----Input-----

        One line with an integer $N$ ($0 \\le N \\le 10^7$).

        -----Output-----

        Print the number of primes not exceeding $N$.
    """),
    solutions=[
        code("""
            n = int(input())
            if n < 2:
                print(0)
            else:
                sieve = bytearray([1]) * (n + 1)
                sieve[0] = sieve[1] = 0
                i = 2
                while i * i <= n:
                    if sieve[i]:
                        sieve[i * i::i] = bytearray(len(range(i * i, n + 1, i)))
                    i += 1
                print(sum(sieve))
        """),
    ],
    tests=["10\n", "0\n", "1\n", "2\n", "100\n", "200000\n", "5000000\n"],
)


def _binomial_tests() -> list[str]:
    rng = random.Random(127)
    queries = []
    for _ in range(2000):
        n = rng.randint(0, 10**6)
        queries.append(f"{n} {rng.randint(0, n + 10)}")
    return [
        "3\n5 2\n10 0\n4 4",
        "1\n0 0",
        "2\n3 5\n0 1",
        "2\n1000000 500000\n1000000 1",
        "3\n60 30\n100 50\n999999 999998",
        f"{len(queries)}\n" + "\n".join(queries),
    ]


BINOMIAL = Spec(
    title="Binomial coefficients",
    difficulty=D,
    kind=STDIO,
    question=text("""
        Answer $Q$ questions: in how many ways can one choose $k$ items out of $n$ distinct items?
        That is the binomial coefficient $\\binom{n}{k} = \\frac{n!}{k!(n-k)!}$, which is $0$ when
        $k > n$. The answers can be huge, so print them modulo $10^9 + 7$.

        -----Input-----

        The first line contains $Q$ ($1 \\le Q \\le 10^5$). Each of the next $Q$ lines contains $n$
        and $k$ ($0 \\le n \\le 10^6$, $0 \\le k \\le 2 \\cdot 10^6$).

        -----Output-----

        Print $Q$ lines: $\\binom{n}{k} \\bmod (10^9 + 7)$ for each question.
    """),
    solutions=[
        code("""
            import sys
            MOD = 10**9 + 7

            def main():
                data = sys.stdin.read().split()
                q = int(data[0])
                pairs = [(int(data[1 + 2 * i]), int(data[2 + 2 * i])) for i in range(q)]
                top = max(n for n, _ in pairs)
                fact = [1] * (top + 1)
                for i in range(1, top + 1):
                    fact[i] = fact[i - 1] * i % MOD
                inv = [1] * (top + 1)
                inv[top] = pow(fact[top], MOD - 2, MOD)
                for i in range(top, 0, -1):
                    inv[i - 1] = inv[i] * i % MOD
                out = []
                for n, k in pairs:
                    out.append(0 if k > n else fact[n] * inv[k] % MOD * inv[n - k] % MOD)
                print("\\n".join(map(str, out)))

            main()
        """),
        code("""
            MOD = 10**9 + 7
            q = int(input())
            pairs = [tuple(map(int, input().split())) for _ in range(q)]
            fact = [1]
            for i in range(1, max(n for n, _ in pairs) + 1):
                fact.append(fact[-1] * i % MOD)
            for n, k in pairs:
                if k > n:
                    print(0)
                else:
                    print(fact[n] * pow(fact[k] * fact[n - k] % MOD, MOD - 2, MOD) % MOD)
        """),
    ],
    tests=_binomial_tests(),
    input_lines=True,
    output_lines=True,
)


def _lcs_tests() -> list[str]:
    rng = random.Random(128)
    a = "".join(rng.choice("ACGT") for _ in range(1000))
    b = "".join(rng.choice("ACGT") for _ in range(1000))
    c = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(800))
    return [
        "ABCBDAB\nBDCABA\n",
        "a\na\n",
        "a\nb\n",
        "abcdef\nabcdef\n",
        "aaaa\naa\n",
        f"{a}\n{b}\n",
        f"{c}\n{c[::-1]}\n",
    ]


LCS = Spec(
    title="Common subsequence",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A subsequence of a string is what remains after deleting some of its characters (possibly
        none) without changing the order of the others. Find the length of the longest string that
        is a subsequence of both given strings.

        -----Input-----

        Two lines, each with a non-empty string of at most 1000 letters.

        -----Output-----

        Print the length of a longest common subsequence of the two strings.
    """),
    solutions=[
        code("""
            a = input().strip()
            b = input().strip()
            prev = [0] * (len(b) + 1)
            for ch in a:
                cur = [0]
                for j, other in enumerate(b):
                    if ch == other:
                        cur.append(prev[j] + 1)
                    else:
                        cur.append(max(prev[j + 1], cur[j]))
                prev = cur
            print(prev[-1])
        """),
        code("""
            a = input().strip()
            b = input().strip()
            masks = {}
            for i, ch in enumerate(a):
                masks[ch] = masks.get(ch, 0) | (1 << i)
            full = (1 << len(a)) - 1
            v = full
            for ch in b:
                u = v & masks.get(ch, 0)
                v = ((v + u) | (v - u)) & full
            print(len(a) - bin(v).count("1"))
        """),
    ],
    tests=_lcs_tests(),
)


def _dsu_tests() -> list[str]:
    rng = random.Random(129)
    n, q = 5000, 6000
    queries = [f"{rng.randint(1, n)} {rng.randint(1, n)}" for _ in range(q)]
    return [
        "5 4\n1 2\n3 4\n2 1\n1 4\n",
        "1 2\n1 1\n1 1\n",
        "3 0\n",
        "4 3\n1 2\n2 3\n3 4\n",
        "6 3\n1 6\n2 5\n3 4\n",
        f"{n} {q}\n" + "\n".join(queries) + "\n",
    ]


DSU = Spec(
    title="Building bridges",
    difficulty=D,
    kind=STDIO,
    question=text("""
        An archipelago has $n$ islands and no bridges. Bridges are then built one at a time; each
        joins two islands (possibly an island to itself, or two islands already joined). After each
        bridge is built, report how many groups of islands there are, where two islands are in the
        same group when one can walk from one to the other over bridges.

        -----Input-----

        The first line contains $n$ and $q$ ($1 \\le n \\le 10^5$, $0 \\le q \\le 10^5$). Each of
        the next $q$ lines contains two islands $u$ and $v$ ($1 \\le u, v \\le n$) joined by the
        next bridge.

        -----Output-----

        Print $q$ lines: the number of groups after each bridge. Print nothing when $q = 0$.
    """),
    solutions=[
        code("""
            import sys

            def main():
                data = sys.stdin.read().split()
                n, q = int(data[0]), int(data[1])
                parent = list(range(n + 1))

                def find(x):
                    root = x
                    while parent[root] != root:
                        root = parent[root]
                    while parent[x] != root:
                        parent[x], x = root, parent[x]
                    return root

                groups = n
                out = []
                for i in range(q):
                    a, b = find(int(data[2 + 2 * i])), find(int(data[3 + 2 * i]))
                    if a != b:
                        parent[a] = b
                        groups -= 1
                    out.append(groups)
                if out:
                    print("\\n".join(map(str, out)))

            main()
        """),
        code("""
            import sys
            n, q = map(int, sys.stdin.readline().split())
            label = list(range(n + 1))
            members = {i: [i] for i in range(1, n + 1)}
            for _ in range(q):
                u, v = map(int, sys.stdin.readline().split())
                a, b = label[u], label[v]
                if a != b:
                    if len(members[a]) > len(members[b]):
                        a, b = b, a
                    for x in members[a]:
                        label[x] = b
                    members[b].extend(members.pop(a))
                print(len(members))
        """),
    ],
    tests=_dsu_tests(),
)


def _mst_tests() -> list[str]:
    rng = random.Random(130)
    return [
        _fmt_graph(4, [(1, 2, 1), (2, 3, 2), (3, 4, 3), (1, 4, 4), (1, 3, 5)]),
        _fmt_graph(1, []),
        _fmt_graph(3, [(1, 2, 5)]),
        _fmt_graph(2, [(1, 1, 3), (1, 2, 1000000000), (2, 1, 999999999)]),
        _fmt_graph(5, [(1, 2, 7), (2, 3, 7), (3, 4, 7), (4, 5, 7), (5, 1, 7)]),
        _fmt_graph(1500, _graph(rng, 1500, 4000, 10**9, connected=True)),
        _fmt_graph(1000, _graph(rng, 1000, 800, 10**9, connected=False)),
    ]


MST = Spec(
    title="Cheapest network",
    difficulty=D,
    kind=STDIO,
    question=text("""
        $n$ offices must be connected into one network. There are $m$ possible cables; cable $i$
        joins offices $u_i$ and $v_i$ and costs $c_i$. Choose cables so that every office can reach
        every other one through chosen cables, at the smallest total cost.

        -----Input-----

        The first line contains $n$ and $m$ ($1 \\le n \\le 10^5$, $0 \\le m \\le 2 \\cdot 10^5$).
        Each of the next $m$ lines contains $u_i$, $v_i$ and $c_i$ ($1 \\le u_i, v_i \\le n$,
        $1 \\le c_i \\le 10^9$).

        -----Output-----

        Print the smallest total cost, or IMPOSSIBLE if the offices cannot all be connected.
    """),
    solutions=[
        code("""
            import sys

            def main():
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                edges = sorted(
                    (int(data[4 + 3 * i]), int(data[2 + 3 * i]), int(data[3 + 3 * i])) for i in range(m)
                )
                parent = list(range(n + 1))

                def find(x):
                    while parent[x] != x:
                        parent[x] = parent[parent[x]]
                        x = parent[x]
                    return x

                total, used = 0, 0
                for c, u, v in edges:
                    a, b = find(u), find(v)
                    if a != b:
                        parent[a] = b
                        total += c
                        used += 1
                print(total if used == n - 1 else "IMPOSSIBLE")

            main()
        """),
        code("""
            import heapq
            import sys

            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            adj = [[] for _ in range(n + 1)]
            for i in range(m):
                u, v, c = int(data[2 + 3 * i]), int(data[3 + 3 * i]), int(data[4 + 3 * i])
                adj[u].append((c, v))
                adj[v].append((c, u))
            done = [False] * (n + 1)
            heap = [(0, 1)]
            total = reached = 0
            while heap:
                c, u = heapq.heappop(heap)
                if done[u]:
                    continue
                done[u] = True
                total += c
                reached += 1
                for edge in adj[u]:
                    if not done[edge[1]]:
                        heapq.heappush(heap, edge)
            print(total if reached == n else "IMPOSSIBLE")
        """),
    ],
    tests=_mst_tests(),
)


def _knapsack_tests() -> list[str]:
    rng = random.Random(131)

    def fmt(cap: int, items: list[tuple[int, int]]) -> str:
        return f"{len(items)} {cap}\n" + "".join(f"{w} {v}\n" for w, v in items)

    big = [(rng.randint(1, 2000), rng.randint(1, 10**9)) for _ in range(100)]
    return [
        fmt(10, [(5, 10), (4, 40), (6, 30), (3, 50)]),
        fmt(0, [(1, 5), (2, 7)]),
        fmt(3, [(4, 100), (5, 200)]),
        fmt(6, [(3, 5), (3, 5), (3, 5)]),
        fmt(100000, [(100000, 1000000000)]),
        fmt(10000, big),
    ]


KNAPSACK = Spec(
    title="Packing for a trip",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A hiker can carry at most $W$ kilograms. There are $n$ items; item $i$ weighs $w_i$
        kilograms and is worth $v_i$. Each item can be taken at most once. Find the largest total
        worth of items whose total weight does not exceed $W$.

        -----Input-----

        The first line contains $n$ and $W$ ($1 \\le n \\le 100$, $0 \\le W \\le 10^5$). Each of
        the next $n$ lines contains $w_i$ and $v_i$ ($1 \\le w_i \\le 10^5$, $1 \\le v_i \\le 10^9$).

        -----Output-----

        Print the largest total worth.
    """),
    solutions=[
        code("""
            n, cap = map(int, input().split())
            best = [0] * (cap + 1)
            for _ in range(n):
                w, v = map(int, input().split())
                for c in range(cap, w - 1, -1):
                    if best[c - w] + v > best[c]:
                        best[c] = best[c - w] + v
            print(best[cap])
        """),
        code("""
            import sys
            data = list(map(int, sys.stdin.read().split()))
            n, cap = data[0], data[1]
            states = {0: 0}
            for i in range(n):
                w, v = data[2 + 2 * i], data[3 + 2 * i]
                update = {}
                for weight, worth in states.items():
                    nw = weight + w
                    if nw <= cap and worth + v > states.get(nw, -1) and worth + v > update.get(nw, -1):
                        update[nw] = worth + v
                for weight, worth in update.items():
                    if worth > states.get(weight, -1):
                        states[weight] = worth
            print(max(states.values()))
        """),
    ],
    tests=_knapsack_tests(),
)


EXPECTED_FACES = Spec(
    title="Distinct faces",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A fair die with $m$ faces is rolled $n$ times. What is the expected number of different
        faces that show up at least once?

        -----Input-----

        One line with two integers $n$ and $m$ ($1 \\le n, m \\le 10^6$).

        -----Output-----

        Print the expected number of different faces. Your answer is accepted if its absolute or
        relative error does not exceed $10^{-6}$.
    """),
    solutions=[
        code("""
            import math
            n, m = map(int, input().split())
            print("%.6f" % (-m * math.expm1(n * math.log1p(-1.0 / m)) if m > 1 else 1.0))
        """),
    ],
    tests=["2 2\n", "1 1\n", "1000000 1\n", "1 1000000\n", "3 6\n", "1000000 1000000\n", "10 20\n"],
)


def _inversion_tests() -> list[list]:
    rng = random.Random(133)
    return [
        [[3, 1, 2]],
        [[]],
        [[1]],
        [[5, 4, 3, 2, 1]],
        [[2, 2, 1]],
        [[1, 1, 1, 1]],
        [[rng.randint(-10**9, 10**9) for _ in range(6000)]],
        [[rng.randint(1, 50) for _ in range(3000)]],
    ]


INVERSIONS = Spec(
    title="Counting inversions",
    difficulty=D,
    kind=CODEWARS,
    fn_name="count_inversions",
    starter_code="def count_inversions(arr):\n    ",
    question=text("""
        An inversion in a list `arr` is a pair of positions i < j with arr[i] > arr[j] (equal
        values do not form an inversion). Write a function `count_inversions(arr)` that returns the
        number of inversions of a list of up to 10^5 integers. It must be fast: the number of pairs
        can be far too large to check them one by one.
    """),
    solutions=[
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
                        if left[i] <= right[j]:
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
        code("""
            def count_inversions(arr):
                ranks = {v: i + 1 for i, v in enumerate(sorted(set(arr)))}
                tree = [0] * (len(ranks) + 1)
                seen = total = 0
                for v in arr:
                    r = ranks[v]
                    i, not_greater = r, 0
                    while i > 0:
                        not_greater += tree[i]
                        i -= i & -i
                    total += seen - not_greater
                    i = r
                    while i < len(tree):
                        tree[i] += 1
                        i += i & -i
                    seen += 1
                return total
        """),
    ],
    tests=_inversion_tests(),
    wrap=True,
)


FIBONACCI = Spec(
    title="Exact Fibonacci numbers",
    difficulty=D,
    kind=CODEWARS,
    fn_name="fibonacci",
    starter_code="def fibonacci(n):\n    ",
    question=text("""
        The Fibonacci numbers are F(0) = 0, F(1) = 1 and F(n) = F(n - 1) + F(n - 2). Write a
        function `fibonacci(n)` that returns F(n) exactly, as an integer, for 0 <= n <= 10^4.
        F(10^4) has more than two thousand digits, so floating point formulas will not do.
    """),
    solutions=[
        code("""
            def fibonacci(n):
                a, b = 0, 1
                for _ in range(n):
                    a, b = b, a + b
                return a
        """),
        code("""
            def fibonacci(n):
                def pair(k):
                    if k == 0:
                        return 0, 1
                    a, b = pair(k // 2)
                    c = a * (2 * b - a)
                    d = a * a + b * b
                    return (d, c + d) if k % 2 else (c, d)
                return pair(n)[0]
        """),
    ],
    tests=[[10], [0], [1], [2], [100], [1000], [10000]],
    wrap=True,
    n_examples=2,
)


def _palindrome_tests() -> list[list]:
    rng = random.Random(135)
    s = "".join(rng.choice("ab") for _ in range(500))
    t = "".join(rng.choice("abcdefghij") for _ in range(400))
    return [['"bbbab"'], ['"a"'], ['""'], ['"abcde"'], ['"racecar"'], [f'"{s}"'], [f'"{t}"']]


PALINDROME = Spec(
    title="Longest palindromic subsequence",
    difficulty=D,
    kind=LEETCODE,
    fn_name="longestPalindromeSubseq",
    params=("s",),
    starter_code="class Solution:\n    def longestPalindromeSubseq(self, s: str) -> int:\n        ",
    question=text("""
        Given a string s, return the length of its longest palindromic subsequence. A subsequence
        is obtained by deleting some characters (possibly none) without changing the order of the
        remaining ones; a palindrome reads the same forwards and backwards.

        Note: s is passed exactly as shown in the examples, including the double quote
        characters around it; they are characters of s like any other.

        Constraints:

        0 <= s.length <= 1000
        s consists of printable ASCII characters.
    """),
    solutions=[
        code("""
            class Solution:
                def longestPalindromeSubseq(self, s: str) -> int:
                    n = len(s)
                    if n == 0:
                        return 0
                    dp = [0] * n
                    for i in range(n - 1, -1, -1):
                        dp_new = [0] * n
                        dp_new[i] = 1
                        for j in range(i + 1, n):
                            if s[i] == s[j]:
                                dp_new[j] = dp[j - 1] + 2
                            else:
                                dp_new[j] = max(dp[j], dp_new[j - 1])
                        dp = dp_new
                    return dp[n - 1]
        """),
        code("""
            class Solution:
                def longestPalindromeSubseq(self, s: str) -> int:
                    t = s[::-1]
                    prev = [0] * (len(t) + 1)
                    for ch in s:
                        cur = [0]
                        for j, other in enumerate(t):
                            cur.append(prev[j] + 1 if ch == other else max(prev[j + 1], cur[j]))
                        prev = cur
                    return prev[-1]
        """),
    ],
    tests=_palindrome_tests(),
    n_examples=2,
)


def _boxes_tests() -> list[list]:
    rng = random.Random(136)
    many = [[rng.randint(1, 10**5), rng.randint(1, 10**5)] for _ in range(6000)]
    chain = [[i, 2 * i] for i in range(1, 1001)]
    rng.shuffle(chain)
    return [
        [[[5, 4], [6, 4], [6, 7], [2, 3]]],
        [[]],
        [[[1, 2]]],
        [[[1, 1], [1, 1], [1, 1]]],
        [[[2, 100], [3, 200], [4, 300], [5, 500], [5, 400], [5, 250], [6, 370], [6, 360], [7, 380]]],
        [chain],
        [many],
    ]


BOXES = Spec(
    title="Nested boxes",
    difficulty=D,
    kind=LEETCODE,
    fn_name="maxNestedBoxes",
    params=("boxes",),
    starter_code="class Solution:\n    def maxNestedBoxes(self, boxes: List[List[int]]) -> int:\n        ",
    question=text("""
        You are given a 2D integer array boxes where boxes[i] = [w_i, h_i] is the width and height
        of a flat box. A box fits inside another box when both its width and its height are
        strictly smaller. Boxes cannot be rotated. Return the largest number of boxes that can be
        nested one inside another.

        Constraints:

        0 <= boxes.length <= 10^5
        1 <= w_i, h_i <= 10^5
    """),
    solutions=[
        code("""
            from bisect import bisect_left
            from typing import List

            class Solution:
                def maxNestedBoxes(self, boxes: List[List[int]]) -> int:
                    tails = []
                    for _, h in sorted(boxes, key=lambda b: (b[0], -b[1])):
                        k = bisect_left(tails, h)
                        if k == len(tails):
                            tails.append(h)
                        else:
                            tails[k] = h
                    return len(tails)
        """),
        code("""
            from typing import List

            class Solution:
                def maxNestedBoxes(self, boxes: List[List[int]]) -> int:
                    size = 10**5 + 2
                    tree = [0] * (size + 1)

                    def query(i):
                        best = 0
                        while i > 0:
                            best = max(best, tree[i])
                            i -= i & -i
                        return best

                    def update(i, value):
                        while i <= size:
                            if tree[i] < value:
                                tree[i] = value
                            i += i & -i

                    answer = 0
                    for _, h in sorted(boxes, key=lambda b: (b[0], -b[1])):
                        length = query(h - 1) + 1
                        update(h, length)
                        answer = max(answer, length)
                    return answer
        """),
    ],
    tests=_boxes_tests(),
)


PROBLEMS = [
    DIJKSTRA, PRIMES, BINOMIAL, LCS, DSU, MST, KNAPSACK, EXPECTED_FACES,
    INVERSIONS, FIBONACCI, PALINDROME, BOXES,
]
