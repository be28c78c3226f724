"""The only output-equivalence rules of the project. Pure functions, standard library only.

Two rules exist, both applied to the same execution:

* the DEFAULT rule (`stdout_equal`, `value_equal`): what a careful judge accepts. Order-sensitive,
  lenient only on whitespace layout and on floating-point noise;
* the APPS rule (`apps_stdout_equal`, `apps_value_equal`): what the original APPS
  `testing_util.py` accepts, reproduced from its documented behaviour (docs/comparison.md),
  including its faults, so that published numbers can be reproduced.

Expected data is never mutated: every function works on its own decoded copies.
"""
from __future__ import annotations

import decimal
import json
import math
import re
from typing import Any

__all__ = ["stdout_equal", "apps_stdout_equal", "value_equal", "apps_value_equal", "REL_TOL", "ABS_TOL"]

# Default tolerance for non-integer numbers: accepted when |a - b| <= 1e-6 * max(1, |a|, |b|),
# i.e. 1e-6 absolute or relative error, the usual "answer within 1e-6" contest wording.
# It absorbs float printing noise (0.30000000000000004 vs 0.3) but not a wrong rounding
# (3.14 vs 3.142).
REL_TOL = decimal.Decimal("1e-6")
ABS_TOL = decimal.Decimal("1e-6")

# A number token: optional sign, digits with optional fraction (or a bare fraction), optional
# exponent. ASCII digits only; no "nan"/"inf"/"1_000"/hex, which stay plain text tokens.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")

# Exact decimal arithmetic for any exponent: "1e400" or "1e-99999" must neither crash nor
# lose precision the way float() would (float("1e400") is inf).
_CONTEXT = decimal.Context(prec=60, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])


# ---------------------------------------------------------------------------------------------
# Default rule, stdin problems
# ---------------------------------------------------------------------------------------------

def stdout_equal(got: str, expected: str) -> bool:
    """Default stdout comparison: the same lines, in order, of the same tokens, in order.

    - CRLF and lone CR count as LF (Windows-written expected files, "\\r\\n" printed by programs).
    - A line is compared as its whitespace-separated tokens: leading/trailing spaces of a
      line and runs of spaces between tokens are layout, not content (the original strips
      lines too; contest checkers compare tokens).
    - Leading and trailing blank lines are ignored (a missing final newline, an extra
      newline at the end, a trailing space in the expected file). Blank lines *between*
      non-blank lines count: they are part of the line structure that is compared.
    - Order and repetition matter, for lines and tokens ("2 1" is not "1 1 2").
    - Tokens compare by `_token_equal`: exact text, or numerically for non-integers.
    """
    got_lines = _token_lines(got)
    expected_lines = _token_lines(expected)
    if len(got_lines) != len(expected_lines):
        return False
    return all(_line_equal(g, e) for g, e in zip(got_lines, expected_lines))


def first_difference(got: str, expected: str) -> str:
    """A one-line description of where the default stdout rule failed (for debugging)."""
    got_lines = _token_lines(got)
    expected_lines = _token_lines(expected)
    for number, (g, e) in enumerate(zip(got_lines, expected_lines), start=1):
        if not _line_equal(g, e):
            return f"line {number}: expected {_clip(' '.join(e))!r}, got {_clip(' '.join(g))!r}"
    return f"expected {len(expected_lines)} lines, got {len(got_lines)}"


def _token_lines(text: str) -> list[list[str]]:
    lines = [line.split() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    start = 0
    while start < len(lines) and not lines[start]:
        start += 1
    return lines[start:]


def _line_equal(got: list[str], expected: list[str]) -> bool:
    return len(got) == len(expected) and all(map(_token_equal, got, expected))


def _token_equal(got: str, expected: str) -> bool:
    """Exact text, except that two numbers of which one is not an integer compare numerically.

    - Two integer tokens compare as text, so big integers are exact
      ("10000000000000000000001" != "10000000000000000000000") and leading zeros count
      ("007" != "7"): zero-padded codes and binary strings are answers whose digits matter.
    - "1.0" vs "1", "0.30000000000000004" vs "0.3", "1e3" vs "1000": numbers, compared
      exactly in Decimal with the 1e-6 tolerance; never through float, so "1e400" works.
    - "nan", "inf", "Infinity" are not number tokens: they compare as text, so "nan" equals
      only "nan" (float NaN would equal nothing).
    - Everything else compares as text, case-sensitively ("YES" != "yes").
    """
    if got == expected:
        return True
    if not (_NUMBER.fullmatch(got) and _NUMBER.fullmatch(expected)):
        return False
    if _INTEGER.fullmatch(got) and _INTEGER.fullmatch(expected):
        return False
    return _decimal_close(decimal.Decimal(got), decimal.Decimal(expected))


def _decimal_close(a: decimal.Decimal, b: decimal.Decimal) -> bool:
    with decimal.localcontext(_CONTEXT):
        scale = max(decimal.Decimal(1), abs(a), abs(b))
        return abs(a - b) <= max(ABS_TOL, REL_TOL * scale)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# APPS rule, stdin problems
# ---------------------------------------------------------------------------------------------

def apps_stdout_equal(got: str, expected: str) -> bool:
    """The original APPS stdin comparison chain; accepts what it accepts.

    `expected` is the expected text; where the dataset gives a list of lines, the original
    joins it with "\\n" before comparing, and so must the caller. The original sees the
    program's output as `got.splitlines()` (it captures stdout and splits it). Stages, in
    order, the first success wins:
    1. whole output vs expected, both stripped; then the same with every output line stripped;
    2. the output lines vs the expected lines (expected split on "\\n", empty lines dropped,
       each line stripped; output lines as printed);
    3. every non-empty line a float: same count and numpy-allclose (rtol 1e-5, atol 1e-8);
    4. the SET of per-line token sets: line order, token order and repetitions ignored, so
       "2 1" passes for "1 1 2" and "NO YES YES" for "YES NO YES" (a known fault, kept);
    5. the same with every token rounded to 3 decimals (all tokens must be floats).
    """
    lines = got.splitlines()
    if _apps_stripped_text_equal(lines, expected):
        return True
    expected_lines = [part.strip() for part in expected.split("\n") if part]
    if lines == expected_lines:
        return True
    nonempty = [line for line in lines if line]
    if _apps_allclose(nonempty, expected_lines):
        return True
    got_sets = [frozenset(line.split()) for line in nonempty if line.split()]
    expected_sets = [frozenset(line.split()) for line in expected_lines]
    if set(got_sets) == set(expected_sets):
        return True
    return _apps_rounded_sets_equal(got_sets, expected_sets)


def _apps_stripped_text_equal(lines: list[str], expected: str) -> bool:
    target = expected.strip()
    if "\n".join(lines).strip() == target:
        return True
    return "\n".join(line.strip() for line in lines).strip() == target


def _apps_allclose(got: list[str], expected: list[str]) -> bool:
    """Each line parsed with Python's float() (so " 2.5 ", "nan", "1_0" parse), numpy.allclose."""
    try:
        got_f = [float(x) for x in got]
        expected_f = [float(x) for x in expected]
    except ValueError:
        return False
    if len(got_f) != len(expected_f):
        return False
    # numpy.isclose: |a - b| <= atol + rtol * |b|; equal infinities are close, NaN never is.
    return all(a == b or abs(a - b) <= 1e-8 + 1e-5 * abs(b) for a, b in zip(got_f, expected_f))


def _apps_rounded_sets_equal(got: list[frozenset], expected: list[frozenset]) -> bool:
    try:
        got_r = {frozenset(round(float(t), 3) for t in s) for s in got}
        expected_r = {frozenset(round(float(t), 3) for t in s) for s in expected}
    except ValueError:
        return False
    return got_r == expected_r


# ---------------------------------------------------------------------------------------------
# Call-based problems: results arrive as JSON text (tuples already became lists in the child)
# ---------------------------------------------------------------------------------------------

def value_equal(got_json: str, expected_json: str) -> bool:
    """Default call-based comparison of a returned value with the expected one.

    - Structural: lists by position, dicts by key set and values, strings exactly.
    - Booleans equal only booleans: JSON (and LeetCode's judge) tell `true` from `1`, so a
      function returning 1 where True is expected is wrong here (APPS mode accepts it).
    - Numbers: two integers compare exactly; as soon as one is a float, with the 1e-6
      tolerance of stdout tokens (a sum of floats off by 1 ulp is right; 3.142 for 3.14 is
      not). NaN equals NaN and an infinity equals the same infinity: the same value came out.
    - Codewars wrapping: an expected one-element list also accepts its sole element
      (`[true]` accepts `true`), as the dataset stores many single outputs that way.
    Raises ValueError when either text is not JSON (a harness or data fault, not a verdict).
    """
    got, expected = _decode(got_json), _decode(expected_json)
    if _data_equal(got, expected):
        return True
    return isinstance(expected, list) and len(expected) == 1 and _data_equal(got, expected[0])


def _data_equal(got: Any, expected: Any) -> bool:
    if isinstance(got, bool) or isinstance(expected, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)):
        return _number_equal(got, expected)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(map(_data_equal, got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_data_equal(got[k], expected[k]) for k in got)
    return type(got) is type(expected) and got == expected


def _number_equal(got: int | float, expected: int | float) -> bool:
    if isinstance(got, int) and isinstance(expected, int):
        return got == expected
    if math.isnan(got) or math.isnan(expected):
        return math.isnan(got) and math.isnan(expected)
    if math.isinf(got) or math.isinf(expected):
        return got == expected
    # Decimal(float) is exact, so huge integers against floats cannot overflow.
    return _decimal_close(decimal.Decimal(got), decimal.Decimal(expected))


def apps_value_equal(got_json: str, expected_json: str) -> bool:
    """The original APPS call-based check: Python `==` after tuples became lists.

    - `==` on the decoded values, so True == 1 == 1.0 and floats must match exactly.
    - Also accepted: the result equals the FIRST element of any non-empty expected list
      (the original tests `expected[0]` whenever the expected value is a non-empty list,
      not only a one-element one; so 1 passes for [1, 2, 3] — a fault, kept).
    - Tuples anywhere arrive as lists (JSON), where the original only converted a top-level
      tuple and a list of tuples: a nested tuple it would reject is accepted here.
    Raises ValueError when either text is not JSON.
    """
    got, expected = _decode(got_json), _decode(expected_json)
    if got == expected:
        return True
    return isinstance(expected, list) and len(expected) > 0 and got == expected[0]


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a JSON value: {_clip(repr(text))} ({exc})") from None
