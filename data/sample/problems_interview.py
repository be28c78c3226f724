"""Interview-level problems of the bundled sample (written for apps-eval, MIT)."""
from __future__ import annotations

import random

from spec import CODEWARS, LEETCODE, STDIO, Spec, code, text

D = "interview"


def _bracket_tests() -> list[str]:
    rng = random.Random(113)

    def balanced(depth_budget: int) -> str:
        out, stack = [], []
        pairs = {"(": ")", "[": "]", "{": "}"}
        for _ in range(depth_budget):
            if stack and rng.random() < 0.5:
                out.append(pairs[stack.pop()])
            else:
                ch = rng.choice("([{")
                stack.append(ch)
                out.append(ch)
        out.extend(pairs[ch] for ch in reversed(stack))
        return "".join(out)

    lines = []
    for i in range(40):
        s = balanced(rng.randint(1, 200))
        if i % 2:
            pos = rng.randrange(len(s))
            s = s[:pos] + rng.choice("()[]{}") + s[pos + 1:]
        lines.append(s)
    deep = "(" * 2500 + ")" * 2500
    return [
        "4\n([]{})\n([)]\n((\n{[()()]}\n",
        "1\n\n",
        "3\n)\n(\n]\n",
        "2\n" + deep + "\n" + deep[:-1] + "]\n",
        "3\n()()()\n(((())))\n)(\n",
        f"{len(lines)}\n" + "\n".join(lines) + "\n",
    ]


BRACKETS = Spec(
    title="Balanced brackets",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A string of brackets is balanced when every opening bracket has a matching closing
        bracket of the same type after it and the pairs are properly nested. For example
        "([]{})" and "" are balanced while "([)]", "((" and ")(" are not. Check several strings.

        -----Input-----

        The first line contains $T$ ($1 \\le T \\le 100$). Each of the next $T$ lines contains a
        string of at most $10^4$ characters, each one of ()[]{}; a line may be empty.

        -----Output-----

        For each string print YES if it is balanced and NO otherwise, one answer per line.
    """),
    solutions=[
        code("""
            t = int(input())
            match = {")": "(", "]": "[", "}": "{"}
            for _ in range(t):
                s = input().strip()
                stack = []
                ok = True
                for ch in s:
                    if ch in "([{":
                        stack.append(ch)
                    elif not stack or stack.pop() != match[ch]:
                        ok = False
                        break
                print("YES" if ok and not stack else "NO")
        """),
        code("""
            import sys
            lines = sys.stdin.read().split("\\n")
            t = int(lines[0])
            answers = []
            for s in lines[1:1 + t]:
                s = s.strip()
                prev = None
                while prev != s:
                    prev = s
                    s = s.replace("()", "").replace("[]", "").replace("{}", "")
                answers.append("NO" if s else "YES")
            print("\\n".join(answers))
        """),
    ],
    tests=_bracket_tests(),
)


def _kadane_tests() -> list[str]:
    rng = random.Random(114)
    mixed = [rng.randint(-10**9, 10**9) for _ in range(5000)]
    positive = [rng.randint(1, 10**9) for _ in range(5000)]
    return [
        "8\n-2 1 -3 4 -1 2 1 -5\n",
        "1\n-7\n",
        "5\n-5 -1 -8 -3 -2\n",
        "1\n0\n",
        "6\n3 -10 4 -1 -1 5\n",
        f"{len(mixed)}\n{' '.join(map(str, mixed))}\n",
        f"{len(positive)}\n{' '.join(map(str, positive))}\n",
    ]


KADANE = Spec(
    title="Best stretch of days",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A shop recorded its profit on each of $n$ consecutive days; losses are negative numbers.
        The owner wants to advertise the best stretch of consecutive days: find the largest total
        profit over a non-empty block of consecutive days.

        -----Input-----

        The first line contains $n$ ($1 \\le n \\le 2 \\cdot 10^5$). The second line contains $n$
        integers $a_1, \\ldots, a_n$ ($|a_i| \\le 10^9$).

        -----Output-----

        Print the largest sum $a_l + a_{l+1} + \\ldots + a_r$ over all $1 \\le l \\le r \\le n$.
    """),
    solutions=[
        code("""
            n = int(input())
            a = list(map(int, input().split()))
            best = current = a[0]
            for x in a[1:]:
                current = max(x, current + x)
                best = max(best, current)
            print(best)
        """),
        code("""
            import sys
            data = sys.stdin.buffer.read().split()
            n = int(data[0])
            prefix = 0
            lowest = 0
            best = None
            for token in data[1:1 + n]:
                prefix += int(token)
                candidate = prefix - lowest
                if best is None or candidate > best:
                    best = candidate
                lowest = min(lowest, prefix)
            print(best)
        """),
    ],
    tests=_kadane_tests(),
)


def _coin_tests() -> list[str]:
    rng = random.Random(115)
    coins = sorted(rng.sample(range(1, 200), 10))
    return [
        "3 5\n1 2 5\n",
        "2 0\n3 7\n",
        "1 3\n2\n",
        "1 10000\n1\n",
        "4 100\n5 10 25 50\n",
        f"{len(coins)} 10000\n{' '.join(map(str, coins))}\n",
    ]


COINS = Spec(
    title="Ways to pay",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A vending machine accepts coins of $n$ different values, with an unlimited supply of each.
        In how many ways can one pay exactly $X$? Two ways are the same if they use the same number
        of coins of each value (the order of the coins does not matter). Paying $0$ can be done in
        exactly one way: with no coins.

        -----Input-----

        The first line contains $n$ and $X$ ($1 \\le n \\le 100$, $0 \\le X \\le 10^4$). The second
        line contains the $n$ distinct coin values $c_1, \\ldots, c_n$ ($1 \\le c_i \\le 10^4$).

        -----Output-----

        Print the number of ways modulo $10^9 + 7$.
    """),
    solutions=[
        code("""
            MOD = 10**9 + 7
            n, x = map(int, input().split())
            coins = list(map(int, input().split()))
            ways = [1] + [0] * x
            for c in coins:
                for value in range(c, x + 1):
                    ways[value] = (ways[value] + ways[value - c]) % MOD
            print(ways[x])
        """),
        code("""
            import sys
            MOD = 10**9 + 7
            data = sys.stdin.read().split()
            n, x = int(data[0]), int(data[1])
            previous = [1] + [0] * x
            for c in sorted(int(t) for t in data[2:2 + n]):
                current = previous[:]
                for value in range(c, x + 1):
                    current[value] = (current[value - c] + previous[value]) % MOD
                previous = current
            print(previous[x])
        """),
    ],
    tests=_coin_tests(),
)


def _interval_tests() -> list[str]:
    rng = random.Random(116)
    many = []
    for _ in range(2000):
        left = rng.randint(0, 10**9 - 10**6)
        many.append((left, left + rng.randint(0, 10**6)))

    def fmt(items: list[tuple[int, int]]) -> str:
        return f"{len(items)}\n" + "".join(f"{l} {r}\n" for l, r in items)

    return [
        fmt([(1, 3), (8, 10), (2, 6), (15, 18)]),
        fmt([(5, 5)]),
        fmt([(1, 10), (2, 3), (4, 5)]),
        fmt([(1, 2), (2, 3), (4, 5)]),
        fmt([(10, 20), (0, 1), (3, 4)]),
        fmt([(0, 1000000000), (0, 1000000000)]),
        fmt(many),
    ]


INTERVALS = Spec(
    title="Merging bookings",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A meeting room has $n$ bookings, each a closed interval of minutes $[l, r]$. Bookings that
        overlap or touch (share at least one minute, like $[1, 2]$ and $[2, 3]$) are merged into
        one, repeatedly, until no two bookings overlap or touch. Print the resulting bookings.

        -----Input-----

        The first line contains $n$ ($1 \\le n \\le 10^5$). Each of the next $n$ lines contains two
        integers $l$ and $r$ ($0 \\le l \\le r \\le 10^9$).

        -----Output-----

        On the first line print the number $k$ of merged bookings. Then print $k$ lines, each with
        the two ends of a merged booking, in increasing order of their start.
    """),
    solutions=[
        code("""
            import sys
            data = sys.stdin.read().split()
            n = int(data[0])
            items = sorted((int(data[1 + 2 * i]), int(data[2 + 2 * i])) for i in range(n))
            merged = [list(items[0])]
            for l, r in items[1:]:
                if l <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], r)
                else:
                    merged.append([l, r])
            out = [str(len(merged))] + [f"{l} {r}" for l, r in merged]
            print("\\n".join(out))
        """),
        code("""
            n = int(input())
            items = [tuple(map(int, input().split())) for _ in range(n)]
            items.sort()
            result = []
            start, end = items[0]
            for l, r in items[1:]:
                if l > end:
                    result.append((start, end))
                    start, end = l, r
                elif r > end:
                    end = r
            result.append((start, end))
            print(len(result))
            for l, r in result:
                print(l, r)
        """),
    ],
    tests=_interval_tests(),
    strip_final_newline=True,
)


def _digit_sort_tests() -> list[str]:
    rng = random.Random(117)
    many = [rng.randint(0, 10**18) for _ in range(1500)]
    return [
        "5\n91 19 5 100 23\n",
        "1\n0\n",
        "4\n10 1 100 1000\n",
        "3\n999999999999999999 1000000000000000000 18\n",
        "6\n7 7 16 25 70 0\n",
        f"{len(many)}\n{' '.join(map(str, many))}\n",
    ]


DIGIT_SORT = Spec(
    title="Sorting by digit sum",
    difficulty=D,
    kind=STDIO,
    question=text("""
        Sort $n$ non-negative integers by the sum of their decimal digits, from the smallest sum to
        the largest. Numbers with the same digit sum are ordered by value, the smaller first.

        -----Input-----

        The first line contains $n$ ($1 \\le n \\le 10^5$). The second line contains $n$ integers
        $a_1, \\ldots, a_n$ ($0 \\le a_i \\le 10^{18}$).

        -----Output-----

        Print the sorted numbers on one line, separated by single spaces.
    """),
    solutions=[
        code("""
            n = int(input())
            a = list(map(int, input().split()))
            a.sort(key=lambda x: (sum(map(int, str(x))), x))
            print(*a)
        """),
        code("""
            import sys

            def digit_sum(x):
                total = 0
                while x:
                    x, r = divmod(x, 10)
                    total += r
                return total

            data = sys.stdin.read().split()
            n = int(data[0])
            buckets = {}
            for x in (int(t) for t in data[1:1 + n]):
                buckets.setdefault(digit_sum(x), []).append(x)
            print(" ".join(str(x) for key in sorted(buckets) for x in sorted(buckets[key])))
        """),
    ],
    tests=_digit_sort_tests(),
)


def _maze_tests() -> list[str]:
    rng = random.Random(118)
    h, w = 100, 100
    grid = [["#" if rng.random() < 0.25 else "." for _ in range(w)] for _ in range(h)]
    grid[0][0], grid[h - 1][w - 1] = "S", "T"
    snake = []
    for r in range(41):
        if r % 2 == 0:
            snake.append("." * 60)
        elif r % 4 == 1:
            snake.append("#" * 59 + ".")
        else:
            snake.append("." + "#" * 59)
    snake[0] = "S" + snake[0][1:]
    snake[-1] = snake[-1][:-1] + "T"

    def fmt(rows: list[str]) -> str:
        return f"{len(rows)} {len(rows[0])}\n" + "\n".join(rows) + "\n"

    return [
        fmt(["S.#", ".##", "..T"]),
        fmt(["ST"]),
        fmt(["S#T"]),
        fmt(["S..", "###", "..T"]),
        fmt(["T", ".", "S"]),
        fmt(["".join(row) for row in grid]),
        fmt(snake),
    ]


MAZE = Spec(
    title="Escape from the maze",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A maze is a grid of $h$ rows and $w$ columns. Each cell is free (.), a wall (#), the start
        (S) or the exit (T); the start and the exit are free cells. In one step you move to a free
        cell that shares a side with your cell. Find the smallest number of steps from S to T.

        -----Input-----

        The first line contains $h$ and $w$ ($1 \\le h, w \\le 100$). Each of the next $h$ lines
        contains $w$ characters describing a row. There is exactly one S and exactly one T.

        -----Output-----

        Print the smallest number of steps, or $-1$ if the exit cannot be reached.
    """),
    solutions=[
        code("""
            from collections import deque
            h, w = map(int, input().split())
            grid = [input().strip() for _ in range(h)]
            for r in range(h):
                for c in range(w):
                    if grid[r][c] == "S":
                        start = (r, c)
            dist = {start: 0}
            queue = deque([start])
            answer = -1
            while queue:
                r, c = queue.popleft()
                if grid[r][c] == "T":
                    answer = dist[(r, c)]
                    break
                for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                    if 0 <= nr < h and 0 <= nc < w and grid[nr][nc] != "#" and (nr, nc) not in dist:
                        dist[(nr, nc)] = dist[(r, c)] + 1
                        queue.append((nr, nc))
            print(answer)
        """),
        code("""
            import sys
            lines = sys.stdin.read().split()
            h, w = int(lines[0]), int(lines[1])
            grid = lines[2:2 + h]
            frontier = [(r, c) for r in range(h) for c in range(w) if grid[r][c] == "S"]
            seen = set(frontier)
            steps = 0
            found = -1
            while frontier and found < 0:
                nxt = []
                for r, c in frontier:
                    if grid[r][c] == "T":
                        found = steps
                        break
                    for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                        nr, nc = r + dr, c + dc
                        if 0 <= nr < h and 0 <= nc < w and grid[nr][nc] != "#" and (nr, nc) not in seen:
                            seen.add((nr, nc))
                            nxt.append((nr, nc))
                frontier = nxt
                steps += 1
            print(found)
        """),
    ],
    tests=_maze_tests(),
)


def _word_tests() -> list[str]:
    rng = random.Random(119)
    vocab = ["".join(rng.choice("abcde") for _ in range(rng.randint(1, 4))) for _ in range(60)]
    text_lines = [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 15))) for _ in range(200)]
    return [
        "the cat and the hat\nand the bat\n",
        "",
        "single\n",
        "b a c\nc b\nc\n",
        "   spaced    words   \n\n   spaced\n",
        "\n".join(text_lines) + "\n",
    ]


WORDS = Spec(
    title="Word frequencies",
    difficulty=D,
    kind=STDIO,
    question=text("""
        Count how often each word occurs in a text. Words are maximal runs of lowercase English
        letters; they are separated by spaces and line breaks.

        -----Input-----

        The text, up to the end of the input: at most $10^4$ lines of at most 100 characters each.
        The text may be empty.

        -----Output-----

        For each distinct word print a line with the word and its number of occurrences, separated
        by a space. Print the words that occur more often first; words with the same count are
        printed in alphabetical order. Print nothing for an empty text.
    """),
    solutions=[
        code("""
            import sys
            from collections import Counter
            counts = Counter(sys.stdin.read().split())
            for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
                print(word, count)
        """),
        code("""
            import sys
            counts = {}
            for line in sys.stdin:
                for word in line.split():
                    counts[word] = counts.get(word, 0) + 1
            order = sorted(counts, key=lambda word: (-counts[word], word))
            sys.stdout.write("".join(f"{word} {counts[word]}\\n" for word in order))
        """),
    ],
    tests=_word_tests(),
)


def _anagram_tests() -> list[list]:
    rng = random.Random(120)
    words = ["".join(rng.sample("abcdef", rng.randint(1, 3))) for _ in range(500)]
    return [
        [["listen", "silent", "enlist", "google", "gooegl"]],
        [[]],
        [["a"]],
        [["abc", "bca", "cab", "xyz", "zyx", "abcd"]],
        [["aab", "aba", "abb"]],
        [words],
    ]


ANAGRAMS = Spec(
    title="Anagram groups",
    difficulty=D,
    kind=CODEWARS,
    fn_name="count_anagram_groups",
    starter_code="def count_anagram_groups(words):\n    ",
    question=text("""
        Two words are anagrams when one is made of the letters of the other in another order, like
        "listen" and "silent" (every letter is used as many times in both). Write a function
        `count_anagram_groups(words)` that takes a list of lowercase words and returns how many
        groups of anagrams it contains: two words are in the same group exactly when they are
        anagrams. Equal words are anagrams of each other. An empty list has 0 groups.
    """),
    solutions=[
        code("""
            def count_anagram_groups(words):
                return len({"".join(sorted(w)) for w in words})
        """),
        code("""
            from collections import Counter

            def count_anagram_groups(words):
                keys = set()
                for w in words:
                    keys.add(frozenset(Counter(w).items()))
                return len(keys)
        """),
    ],
    tests=_anagram_tests(),
    wrap=True,
)


RLE = Spec(
    title="Run-length encoding",
    difficulty=D,
    kind=CODEWARS,
    fn_name="rle_encode",
    starter_code="def rle_encode(s):\n    ",
    question=text("""
        Run-length encoding replaces each maximal run of equal characters by the character
        followed by the length of the run: "aaabcc" becomes "a3b1c2".

        Write a function `rle_encode(s)` that returns the run-length encoding of a string of
        lowercase letters. The encoding of the empty string is the empty string.
    """),
    solutions=[
        code("""
            from itertools import groupby

            def rle_encode(s):
                return "".join(ch + str(len(list(run))) for ch, run in groupby(s))
        """),
        code("""
            def rle_encode(s):
                out = []
                i = 0
                while i < len(s):
                    j = i
                    while j < len(s) and s[j] == s[i]:
                        j += 1
                    out.append(s[i] + str(j - i))
                    i = j
                return "".join(out)
        """),
    ],
    tests=[["aaabcc"], [""], ["a"], ["abcd"], ["z" * 1000], ["aabbaa"], ["mississippi"]],
    wrap=True,
)


TRANSPOSE = Spec(
    title="Transpose a matrix",
    difficulty=D,
    kind=CODEWARS,
    fn_name="transpose",
    starter_code="def transpose(matrix):\n    ",
    question=text("""
        Write a function `transpose(matrix)` that returns the transpose of a matrix given as a list
        of rows: row i of the result is column i of the input. All rows have the same length, at
        least 1. The transpose of the empty matrix `[]` is `[]`. Return a list of lists.
    """),
    solutions=[
        code("""
            def transpose(matrix):
                return [list(column) for column in zip(*matrix)]
        """),
        code("""
            def transpose(matrix):
                if not matrix:
                    return []
                return [[row[i] for row in matrix] for i in range(len(matrix[0]))]
        """),
    ],
    tests=[
        [[[1, 2], [3, 4]]],
        [[]],
        [[[5]]],
        [[[1, 2, 3]]],
        [[[1], [2], [3]]],
        [[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]],
    ],
)


def _unique_tests() -> list[list]:
    rng = random.Random(123)
    long = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(2000))
    return [['"abcabcbb"'], ['"bbbbb"'], ['""'], ['"pwwkew"'], ['"a"'], ['"dvdf"'], [f'"{long}"']]


UNIQUE = Spec(
    title="Longest substring without repeats",
    difficulty=D,
    kind=LEETCODE,
    fn_name="longestUniqueSubstring",
    params=("s",),
    starter_code="class Solution:\n    def longestUniqueSubstring(self, s: str) -> int:\n        ",
    question=text("""
        Given a string s, return the length of the longest substring of s (a block of consecutive
        characters) in which no character occurs twice.

        Note: s is passed exactly as shown in the examples, including the double quote
        characters around it; they are characters of s like any other.

        Constraints:

        0 <= s.length <= 5 * 10^4
        s consists of printable ASCII characters.
    """),
    solutions=[
        code("""
            class Solution:
                def longestUniqueSubstring(self, s: str) -> int:
                    last = {}
                    start = best = 0
                    for i, ch in enumerate(s):
                        if last.get(ch, -1) >= start:
                            start = last[ch] + 1
                        last[ch] = i
                        best = max(best, i - start + 1)
                    return best
        """),
        code("""
            class Solution:
                def longestUniqueSubstring(self, s: str) -> int:
                    window = set()
                    left = best = 0
                    for ch in s:
                        while ch in window:
                            window.remove(s[left])
                            left += 1
                        window.add(ch)
                        best = max(best, len(window))
                    return best
        """),
    ],
    tests=_unique_tests(),
    n_examples=2,
)


def _rooms_tests() -> list[list]:
    rng = random.Random(124)
    many = []
    for _ in range(1000):
        start = rng.randint(0, 10**6)
        many.append([start, start + rng.randint(1, 10**4)])
    return [
        [[[0, 30], [5, 10], [15, 20]]],
        [[]],
        [[[7, 10], [2, 4]]],
        [[[1, 5], [5, 10]]],
        [[[1, 2]] * 6],
        [many],
    ]


ROOMS = Spec(
    title="Meeting rooms",
    difficulty=D,
    kind=LEETCODE,
    fn_name="minMeetingRooms",
    params=("intervals",),
    starter_code="class Solution:\n    def minMeetingRooms(self, intervals: List[List[int]]) -> int:\n        ",
    question=text("""
        Given an array of meeting time intervals where intervals[i] = [start_i, end_i], a meeting
        occupies a room from start_i up to, but not including, end_i: a meeting ending at time 5
        and one starting at time 5 can use the same room. Return the minimum number of rooms
        needed to hold all meetings.

        Constraints:

        0 <= intervals.length <= 10^4
        0 <= start_i < end_i <= 10^7
    """),
    solutions=[
        code("""
            import heapq
            from typing import List

            class Solution:
                def minMeetingRooms(self, intervals: List[List[int]]) -> int:
                    ends = []
                    for start, end in sorted(intervals):
                        if ends and ends[0] <= start:
                            heapq.heapreplace(ends, end)
                        else:
                            heapq.heappush(ends, end)
                    return len(ends)
        """),
        code("""
            from typing import List

            class Solution:
                def minMeetingRooms(self, intervals: List[List[int]]) -> int:
                    events = []
                    for start, end in intervals:
                        events.append((start, 1))
                        events.append((end, -1))
                    events.sort()
                    best = current = 0
                    for _, delta in events:
                        current += delta
                        best = max(best, current)
                    return best
        """),
    ],
    tests=_rooms_tests(),
)


PROBLEMS = [BRACKETS, KADANE, COINS, INTERVALS, DIGIT_SORT, MAZE, WORDS, ANAGRAMS, RLE, TRANSPOSE, UNIQUE, ROOMS]
