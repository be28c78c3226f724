"""Introductory problems of the bundled sample (written for apps-eval, MIT)."""
from __future__ import annotations

import random

from spec import CODEWARS, LEETCODE, STDIO, Spec, code, text

D = "introductory"


def _sum_tests() -> list[str]:
    rng = random.Random(101)
    big = [rng.randint(-10**18, 10**18) for _ in range(1000)]
    return [
        "3\n1 2 3\n",
        "0\n\n",
        "1\n-5\n",
        "4\n1000000000000000000 1000000000000000000 -1 1000000000000000000\n",
        "5\n-1 -2 -3 -4 -5\n",
        f"{len(big)}\n{' '.join(map(str, big))}\n",
    ]


SUM = Spec(
    title="Sum of integers",
    difficulty=D,
    kind=STDIO,
    question=text("""
        Mia keeps a ledger of gains and losses, one signed integer per entry. Help her find the
        balance: the sum of all entries.

        -----Input-----

        The first line contains one integer $n$ ($0 \\le n \\le 10^5$), the number of entries.
        The second line contains $n$ integers $a_1, a_2, \\ldots, a_n$ ($|a_i| \\le 10^{18}$)
        separated by single spaces. When $n = 0$ the second line is empty.

        -----Output-----

        Print one integer: $a_1 + a_2 + \\ldots + a_n$ (this is $0$ when $n = 0$).
    """),
    solutions=[
        code("""
            n = int(input())
            values = list(map(int, input().split())) if n > 0 else []
            print(sum(values))
        """),
        code("""
            import sys
            data = sys.stdin.read().split()
            n = int(data[0])
            total = 0
            for token in data[1:1 + n]:
                total += int(token)
            print(total)
        """),
    ],
    tests=_sum_tests(),
)


CLOCK = Spec(
    title="Seconds on a stopwatch",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A stopwatch counts whole seconds. Given the number of seconds $t$ it shows, print the same
        duration as hours, minutes and seconds in the form H:MM:SS. The hours are printed without
        leading zeros and may be larger than 23; minutes and seconds always take two digits.

        -----Input-----

        One line with an integer $t$ ($0 \\le t \\le 10^9$).

        -----Output-----

        Print the duration in the form H:MM:SS.
    """),
    solutions=[
        code("""
            t = int(input())
            hours, rest = divmod(t, 3600)
            minutes, seconds = divmod(rest, 60)
            print(f"{hours}:{minutes:02d}:{seconds:02d}")
        """),
        code("""
            t = int(input())
            print("%d:%02d:%02d" % (t // 3600, t // 60 % 60, t % 60))
        """),
    ],
    tests=["3661\n", "0\n", "59\n", "3600\n", "86399\n", "1000000000\n", "45296\n"],
    strip_final_newline=True,
)


def _vowel_tests() -> list[str]:
    rng = random.Random(103)
    alphabet = "abcdefghijklmnopqrstuvwxyzAEIOUXYZ  ,.!?"
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(100)]
    return [
        "3\nHello world\nrhythm\nAEIOU aeiou\n",
        "1\n\n",
        "2\nsky\nQueueing is fun!\n",
        "1\nYyYy\n",
        "4\nA\nb\n  spaced   out  \nUPPER lower\n",
        "100\n" + "\n".join(lines) + "\n",
    ]


VOWELS = Spec(
    title="Counting vowels",
    difficulty=D,
    kind=STDIO,
    question=text("""
        For each of several lines of text, count its vowels. The vowels are the letters a, e, i,
        o and u, in lower or upper case; the letter y is not a vowel.

        -----Input-----

        The first line contains an integer $T$ ($1 \\le T \\le 100$). Each of the next $T$ lines
        holds one line of text of at most 100 characters: letters, spaces and punctuation. A line
        may be empty.

        -----Output-----

        Print $T$ lines; the $i$-th holds the number of vowels in the $i$-th line of text.
    """),
    solutions=[
        code("""
            t = int(input())
            for _ in range(t):
                line = input()
                print(sum(1 for ch in line if ch in "aeiouAEIOU"))
        """),
        code("""
            import sys
            lines = sys.stdin.read().split("\\n")
            t = int(lines[0])
            out = []
            for line in lines[1:1 + t]:
                out.append(str(sum(line.lower().count(v) for v in "aeiou")))
            print("\\n".join(out))
        """),
    ],
    tests=_vowel_tests(),
    output_lines=True,
)


FIZZ = Spec(
    title="Fizz and Buzz with any divisors",
    difficulty=D,
    kind=STDIO,
    question=text("""
        Children count aloud from 1 to $n$. A number divisible by $a$ is replaced by the word
        Fizz, a number divisible by $b$ by the word Buzz, and a number divisible by both by
        FizzBuzz. Print what the children say.

        -----Input-----

        One line with three integers $n$, $a$ and $b$ ($1 \\le n \\le 10^4$,
        $1 \\le a, b \\le 100$).

        -----Output-----

        Print $n$ lines: for $i = 1, 2, \\ldots, n$, print FizzBuzz if $i$ is divisible by both $a$
        and $b$, Fizz if only by $a$, Buzz if only by $b$, and the number $i$ itself otherwise.
    """),
    solutions=[
        code("""
            n, a, b = map(int, input().split())
            for i in range(1, n + 1):
                word = ("Fizz" if i % a == 0 else "") + ("Buzz" if i % b == 0 else "")
                print(word or i)
        """),
        code("""
            n, a, b = map(int, input().split())
            out = []
            for i in range(1, n + 1):
                if i % a == 0 and i % b == 0:
                    out.append("FizzBuzz")
                elif i % a == 0:
                    out.append("Fizz")
                elif i % b == 0:
                    out.append("Buzz")
                else:
                    out.append(str(i))
            print("\\n".join(out))
        """),
    ],
    tests=["15 3 5\n", "1 1 1\n", "10 2 2\n", "7 100 100\n", "12 4 6\n", "2000 7 11\n"],
    strip_final_newline=True,
)


def _gcd_tests() -> list[str]:
    rng = random.Random(105)
    base = rng.randint(1, 10**6)
    many = [base * rng.randint(1, 10**12) for _ in range(1000)]
    return [
        "3\n12 18 30",
        "1\n7",
        "3\n0 0 42",
        "4\n1000000000000000000 999999999999999999 12 5",
        "2\n1000000000000000000 1",
        "3\n1024 4096 640",
        f"{len(many)}\n{' '.join(map(str, many))}",
    ]


GCD = Spec(
    title="Greatest common divisor of a list",
    difficulty=D,
    kind=STDIO,
    question=text("""
        Find the greatest common divisor of $n$ non-negative integers. The greatest common
        divisor of a list is the largest integer that divides every number of the list; zero is
        divisible by every integer, so zeros in the list do not change the answer.

        -----Input-----

        The first line contains $n$ ($1 \\le n \\le 1000$). The second line contains $n$ integers
        $a_1, \\ldots, a_n$ ($0 \\le a_i \\le 10^{18}$); at least one of them is positive.

        -----Output-----

        Print the greatest common divisor of $a_1, \\ldots, a_n$.
    """),
    solutions=[
        code("""
            from math import gcd
            n = int(input())
            g = 0
            for value in map(int, input().split()):
                g = gcd(g, value)
            print(g)
        """),
        code("""
            import sys
            data = sys.stdin.read().split()
            g = 0
            for token in data[1:]:
                a, b = g, int(token)
                while b:
                    a, b = b, a % b
                g = a
            print(g)
        """),
    ],
    tests=_gcd_tests(),
    input_lines=True,
)


STAIRS = Spec(
    title="Staircase",
    difficulty=D,
    kind=STDIO,
    question=text("""
        Draw a staircase of height $n$ with the character #. The staircase is aligned to the
        right: line $i$ (counting from 1) consists of $n - i$ spaces followed by $i$ characters #.

        -----Input-----

        One line with an integer $n$ ($1 \\le n \\le 50$).

        -----Output-----

        Print the $n$ lines of the staircase.
    """),
    solutions=[
        code("""
            n = int(input())
            for i in range(1, n + 1):
                print(" " * (n - i) + "#" * i)
        """),
        code("""
            n = int(input())
            print("\\n".join(("#" * i).rjust(n) for i in range(1, n + 1)))
        """),
    ],
    tests=["4\n", "1\n", "2\n", "3\n", "10\n", "50\n"],
)


LEAP = Spec(
    title="Leap years",
    difficulty=D,
    kind=CODEWARS,
    fn_name="is_leap",
    starter_code="def is_leap(year):\n    ",
    question=text("""
        Write a function `is_leap(year)` that tells whether a year of the Gregorian calendar is a
        leap year. A year is a leap year when it is divisible by 4, except that years divisible by
        100 are not leap years unless they are also divisible by 400.

        The year is an integer between 1 and 10^9. Return `True` or `False`.
    """),
    solutions=[
        code("""
            def is_leap(year):
                return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        """),
        code("""
            def is_leap(year):
                if year % 400 == 0:
                    return True
                if year % 100 == 0:
                    return False
                return year % 4 == 0
        """),
    ],
    tests=[[2000], [1900], [2024], [2023], [1], [4], [400], [1000000000], [999999996]],
    wrap=True,
    n_examples=2,
)


DIGITS = Spec(
    title="Digit sum of a huge number",
    difficulty=D,
    kind=CODEWARS,
    fn_name="digit_sum",
    starter_code="def digit_sum(n):\n    ",
    question=text("""
        Write a function `digit_sum(n)` that returns the sum of the decimal digits of a
        non-negative integer `n`. The number can be very large: up to 10^100 or more, so keep it
        an integer.
    """),
    solutions=[
        code("""
            def digit_sum(n):
                return sum(int(d) for d in str(n))
        """),
        code("""
            def digit_sum(n):
                total = 0
                while n:
                    n, d = divmod(n, 10)
                    total += d
                return total
        """),
    ],
    tests=[[12345], [0], [9], [10**100], [2**300], [int("9" * 50)], [1000000007]],
    wrap=True,
)


TITLE = Spec(
    title="Title case",
    difficulty=D,
    kind=CODEWARS,
    fn_name="title_case",
    starter_code="def title_case(s):\n    ",
    question=text("""
        Write a function `title_case(s)` that puts a phrase in title case: the first letter of
        every word in upper case and all its other letters in lower case.

        The phrase `s` consists of English letters and single spaces between words, with no
        leading or trailing space. It may be the empty string, in which case return the empty
        string.
    """),
    solutions=[
        code("""
            def title_case(s):
                return " ".join(w[:1].upper() + w[1:].lower() for w in s.split(" ")) if s else ""
        """),
        code("""
            def title_case(s):
                if not s:
                    return ""
                return " ".join(word.capitalize() for word in s.split(" "))
        """),
    ],
    tests=[["hello world"], [""], ["HELLO"], ["a b c"], ["mIxEd CaSe wOrDs"], ["x"], ["the quick brown fox"]],
    wrap=True,
)


LETTERS = Spec(
    title="Distinct lowercase letters",
    difficulty=D,
    kind=LEETCODE,
    fn_name="countDistinctLetters",
    params=("s",),
    starter_code="class Solution:\n    def countDistinctLetters(self, s: str) -> int:\n        ",
    question=text("""
        Given a string s, return the number of different lowercase English letters ('a' to 'z')
        that occur in s. Every other character (upper case letters, digits, spaces, punctuation)
        is ignored.

        Constraints:

        0 <= s.length <= 10^4
        s consists of printable ASCII characters.
    """),
    solutions=[
        code("""
            class Solution:
                def countDistinctLetters(self, s: str) -> int:
                    return len({ch for ch in s if "a" <= ch <= "z"})
        """),
        code("""
            class Solution:
                def countDistinctLetters(self, s: str) -> int:
                    seen = [False] * 26
                    for ch in s:
                        if ch.islower() and ch.isascii():
                            seen[ord(ch) - ord("a")] = True
                    return sum(seen)
        """),
    ],
    tests=[['"abba"'], ['""'], ['"Hello, World!"'], ['"ABC"'], ['"the quick brown fox jumps over the lazy dog"'], ['"zzz"']],
    n_examples=2,
)


def _running_max_tests() -> list[list]:
    rng = random.Random(111)
    return [
        [[1, 3, 2, 5, 4]],
        [[]],
        [[5]],
        [[-1, -2, -3]],
        [[7, 7, 7]],
        [[rng.randint(-10**9, 10**9) for _ in range(1000)]],
    ]


RUNMAX = Spec(
    title="Running maximum",
    difficulty=D,
    kind=LEETCODE,
    fn_name="runningMax",
    params=("nums",),
    starter_code="class Solution:\n    def runningMax(self, nums: List[int]) -> List[int]:\n        ",
    question=text("""
        Given an integer array nums, return an array answer of the same length where answer[i] is
        the largest of nums[0], nums[1], ..., nums[i].

        Constraints:

        0 <= nums.length <= 10^4
        -10^9 <= nums[i] <= 10^9
    """),
    solutions=[
        code("""
            from typing import List

            class Solution:
                def runningMax(self, nums: List[int]) -> List[int]:
                    answer = []
                    for x in nums:
                        answer.append(x if not answer else max(answer[-1], x))
                    return answer
        """),
        code("""
            from itertools import accumulate
            from typing import List

            class Solution:
                def runningMax(self, nums: List[int]) -> List[int]:
                    return list(accumulate(nums, max))
        """),
    ],
    tests=_running_max_tests(),
)


def _average_tests() -> list[str]:
    rng = random.Random(112)
    grades = [rng.randint(0, 100) for _ in range(1000)]
    return [
        "3\n0 0 1\n",
        "1\n100\n",
        "2\n1 2\n",
        "3\n99 100 100\n",
        "4\n0 0 0 0\n",
        "7\n1 1 1 1 1 1 2\n",
        f"{len(grades)}\n{' '.join(map(str, grades))}\n",
    ]


AVERAGE = Spec(
    title="Average grade",
    difficulty=D,
    kind=STDIO,
    question=text("""
        A teacher wants the average of the grades of her class.

        -----Input-----

        The first line contains $n$ ($1 \\le n \\le 1000$), the number of students. The second
        line contains $n$ integer grades between $0$ and $100$.

        -----Output-----

        Print the average grade. Your answer is accepted if its absolute or relative error does
        not exceed $10^{-6}$.
    """),
    solutions=[
        code("""
            n = int(input())
            grades = list(map(int, input().split()))
            print(f"{sum(grades) / n:.6f}")
        """),
        code("""
            import sys
            data = list(map(int, sys.stdin.read().split()))
            n = data[0]
            print("%.6f" % (sum(data[1:1 + n]) / n))
        """),
    ],
    tests=_average_tests(),
)


PROBLEMS = [SUM, CLOCK, VOWELS, FIZZ, GCD, STAIRS, LEAP, DIGITS, TITLE, LETTERS, RUNMAX, AVERAGE]
