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
import functools
import json
import math
import re
from typing import Any, Iterator

from .inside.protocol import json_depth

__all__ = ["stdout_equal", "apps_stdout_equal", "value_equal", "apps_value_equal", "REL_TOL", "ABS_TOL",
           "ReturnValueError"]

# Default tolerance for non-integer numbers: accepted when |a - b| <= 1e-6 * max(1, |a|, |b|),
# i.e. 1e-6 absolute or relative error, the usual "answer within 1e-6" contest wording.
# It absorbs float printing noise (0.30000000000000004 vs 0.3) but not a wrong rounding
# (3.14 vs 3.142).
REL_TOL = decimal.Decimal("1e-6")
ABS_TOL = decimal.Decimal("1e-6")

# A number token: optional sign, digits with optional fraction (or a bare fraction), optional
# exponent. ASCII digits only; no "nan"/"inf"/"1_000"/hex, which stay plain text tokens.
# Its groups catch a fraction or an exponent: a number token is an integer when none took part.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(\.[0-9]*)?|(\.[0-9]+))([eE][+-]?[0-9]+)?")

# Exact decimal arithmetic for any exponent: "1e400" or "1e-99999" must neither crash nor
# lose precision the way float() would (float("1e400") is inf).
_FLOAT_TOL = float(REL_TOL)
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
    - Tokens compare by `_token_equal`: exact text, or numerically when one is not an integer.

    Linear in the output and bounded in memory: both texts are put in a canonical layout
    (one space between tokens, no blank lines at either end) by regular expressions, then
    compared in blocks of lines; only blocks that differ as text are compared token by token.
    """
    if got == expected:
        return True
    got, expected = _canonical(got), _canonical(expected)
    if got == expected:
        return True
    if _line_count(got) != _line_count(expected):
        return False
    line_equal = functools.partial(_line_equal, token_equal=_RememberedTokenEqual())
    for got_block, expected_block in zip(_blocks(got), _blocks(expected)):
        if got_block != expected_block and not all(map(line_equal, got_block.split("\n"),
                                                       expected_block.split("\n"))):
            return False
    return True


def first_difference(got: str, expected: str) -> str:
    """A one-line description of where the default stdout rule failed (for debugging)."""
    got, expected = _canonical(got), _canonical(expected)
    number = 0
    for got_block, expected_block in zip(_blocks(got), _blocks(expected)):
        for g, e in zip(got_block.split("\n"), expected_block.split("\n")):
            number += 1
            if not _line_equal(g, e):
                return f"line {number}: expected {_clip(e)!r}, got {_clip(g)!r}"
    return f"expected {_line_count(expected)} lines, got {_line_count(got)}"


# Whitespace other than newlines (what str.split() drops) that is not already a single space.
_LAYOUT = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
_BLOCK = re.compile(r"(?:[^\n]*\n){1,4096}|[^\n]+$")  # up to 4096 lines (the last without its newline)


def _canonical(text: str) -> str:
    """Lines of single-space-separated tokens, joined by newlines, no blank lines at the ends."""
    text = _LAYOUT.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace(" \n", "\n").replace("\n ", "\n").strip(" \n")


def _blocks(canonical: str):
    """Consecutive lines in blocks of at most 4096 (equal line counts give aligned blocks)."""
    if not canonical:
        return iter(())
    return (m.group().rstrip("\n") if m.group().endswith("\n") else m.group() for m in _BLOCK.finditer(canonical + "\n"))


def _line_count(canonical: str) -> int:
    return canonical.count("\n") + 1 if canonical else 0


def _line_equal(got: str, expected: str, token_equal=None) -> bool:
    if got == expected:
        return True
    got_tokens, expected_tokens = got.split(" "), expected.split(" ")
    return len(got_tokens) == len(expected_tokens) and all(map(token_equal or _token_equal, got_tokens, expected_tokens))


_KNOWN_PAIRS = 1 << 16


class _RememberedTokenEqual:
    """_token_equal for one comparison, remembering the verdicts of short token pairs: an output
    that repeats a pair (say "1.0" for "1" a million times) costs a dictionary look-up per token,
    not a numeric comparison. At most _KNOWN_PAIRS short pairs are kept (a few MB), and only
    for the comparison."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], bool] = {}

    def __call__(self, got: str, expected: str) -> bool:
        if got == expected:
            return True
        if len(got) > 40 or len(expected) > 40:
            return _token_equal(got, expected)
        pair = (got, expected)
        known = self._known.get(pair)
        if known is None:
            known = _token_equal(got, expected)
            if len(self._known) < _KNOWN_PAIRS:
                self._known[pair] = known
        return known


def _token_equal(got: str, expected: str) -> bool:
    """Exact text, except that two number tokens of which one is not an integer compare as numbers.

    - Two integer tokens compare as text, so big integers are exact
      ("10000000000000000000001" != "10000000000000000000000") and leading zeros count
      ("007" != "7"): zero-padded codes and binary strings are answers whose digits matter.
    - An integer against a number with a fraction or exponent: equal only when exactly the
      same number ("1.0" and "1e3" equal "1" and "1000"; "1.0000001" does not equal "1": a
      float close to an expected integer is a wrong count, not float noise).
    - Two non-integers: "0.30000000000000004" vs "0.3" compare in Decimal with the 1e-6
      tolerance; never through float, so "1e400" works, and absurd exponents
      ("1e999999999999999999999") are compared without raising (they equal only their text).
    - "nan", "inf", "Infinity" are not number tokens: they compare as text, so "nan" equals
      only "nan" (float NaN would equal nothing).
    - Everything else compares as text, case-sensitively ("YES" != "yes").
    """
    if got == expected:
        return True
    got_number, expected_number = _NUMBER.fullmatch(got), _NUMBER.fullmatch(expected)
    if not (got_number and expected_number):
        return False
    got_integer, expected_integer = got_number.lastindex is None, expected_number.lastindex is None
    if got_integer and expected_integer:
        return False
    if len(got) < 40 and len(expected) < 40:
        fa, fb = float(got), float(expected)  # short tokens: floats decide unless too close to call
        if math.isfinite(fa) and math.isfinite(fb):
            if got_integer or expected_integer:
                if fa != fb:  # float() rounds correctly, so equal numbers give equal floats
                    return False
            else:
                gap, bound = abs(fa - fb), _FLOAT_TOL * max(1.0, abs(fa), abs(fb))
                if gap <= 0.5 * bound:
                    return True
                if gap >= 2 * bound:
                    return False
    if got_integer or expected_integer:
        try:  # exact: Decimal construction and == need no context
            return decimal.Decimal(got) == decimal.Decimal(expected)
        except decimal.InvalidOperation:  # an exponent beyond what Decimal can hold
            return False
    with decimal.localcontext(_CONTEXT):
        a, b = decimal.Decimal(got), decimal.Decimal(expected)
        if not (a.is_finite() and b.is_finite()):
            return False
    return _decimal_close(a, b)


def _decimal_close(a: decimal.Decimal, b: decimal.Decimal) -> bool:
    with decimal.localcontext(_CONTEXT):
        scale = max(decimal.Decimal(1), abs(a), abs(b))
        difference = abs(a - b)
        if difference.is_nan():
            return False
        return difference <= max(ABS_TOL, REL_TOL * scale)


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
    got_tokens, expected_tokens = set(" ".join(nonempty).split()), set(" ".join(expected_lines).split())
    if got_tokens == expected_tokens and _sets_match(_line_sets(nonempty), set(_line_sets(expected_lines))):
        return True
    return _apps_rounded_sets_equal(nonempty, got_tokens, expected_lines, expected_tokens)


def _apps_stripped_text_equal(lines: list[str], expected: str) -> bool:
    target = expected.strip()
    if "\n".join(lines).strip() == target:
        return True
    return "\n".join(line.strip() for line in lines).strip() == target


def _apps_allclose(got: list[str], expected: list[str]) -> bool:
    """Each line parsed with Python's float() (so " 2.5 ", "nan", "1_0" parse), numpy.allclose."""
    if len(got) != len(expected):
        return False
    try:
        got_f = list(map(float, got))
        expected_f = list(map(float, expected))
    except ValueError:
        return False
    # numpy.isclose: |a - b| <= atol + rtol * |b|; equal infinities are close, NaN never is.
    return all(a == b or abs(a - b) <= 1e-8 + 1e-5 * abs(b) for a, b in zip(got_f, expected_f))


# Stages 4 and 5 compare sets of per-line token sets. Both first compare the union of the
# tokens (a necessary condition, checked per distinct token rather than per line), so that an
# output of many distinct lines or numbers that cannot pass costs one pass over its text; only
# outputs made of the expected tokens reach the per-line sets. Sets are built from the distinct
# lines only (same sets, far fewer of them for long outputs of repeated lines).

def _line_sets(lines: list[str], token_value=None) -> Iterator[frozenset]:
    """Each distinct line's set of tokens (or of token_value(token)), built without a Python-level
    call per line."""
    tokens = map(str.split, set(lines))
    return map(frozenset, tokens if token_value is None else map(functools.partial(map, token_value), tokens))


def _sets_match(got_sets: Iterator[frozenset], expected_sets: set[frozenset]) -> bool:
    """The set of got_sets minus the empty set == expected_sets; stops at the first set that is
    not expected, and keeps no more sets than expected_sets holds."""
    seen = set()
    for found in got_sets:
        if found:
            if found not in expected_sets:
                return False
            seen.add(found)
    return len(seen) == len(expected_sets)


def _apps_rounded_sets_equal(got_lines: list[str], got_tokens: set[str],
                             expected_lines: list[str], expected_tokens: set[str]) -> bool:
    """Stage 5: the sets of per-line sets of float(token) rounded to 3 decimals; False where
    the original's float() raises. A NaN equals nothing, not even another NaN: the original
    rounds each token anew, and distinct NaN objects are distinct set members."""
    try:
        expected_rounded = {token: _round3(float(token)) for token in expected_tokens}
        values = set(expected_rounded.values())
        got_rounded = {}
        for token in got_tokens:  # stops at the first token that rounds to no expected value
            value = got_rounded[token] = _round3(float(token))
            if value not in values:
                return False
    except ValueError:
        return False
    if len(set(got_rounded.values())) != len(values):
        return False
    expected_sets = set(_line_sets(expected_lines, expected_rounded.__getitem__))
    return _sets_match(_line_sets(got_lines, got_rounded.__getitem__), expected_sets)


_INTEGRAL = 2.0 ** 52  # every float at least this large is an integer


def _round3(value: float) -> float:
    """round(value, 3), without the big-number decimal conversion CPython does for huge values
    (tens of microseconds each near 1e300): a float of magnitude >= 2**52 is an integer, which
    round() returns unchanged; infinities too."""
    return value if not abs(value) < _INTEGRAL else round(value, 3)


# ---------------------------------------------------------------------------------------------
# Call-based problems: results arrive as JSON text (tuples already became lists in the child)
# ---------------------------------------------------------------------------------------------

def value_equal(got_json: str, expected_json: str) -> bool:
    """Default call-based comparison of a returned value with the expected one.

    - Structural: lists by position, dicts by key set and values, strings exactly.
    - Booleans equal only booleans: JSON (and LeetCode's judge) tell `true` from `1`, so a
      function returning 1 where True is expected is wrong here (APPS mode accepts it).
    - Numbers: an integer on either side compares exactly (2.0 equals 2; 2.0000001 does not:
      a float close to an expected integer is a wrong count); two floats with the 1e-6
      tolerance of stdout tokens (a sum of floats off by 1 ulp is right; 3.142 for 3.14 is
      not). NaN equals NaN and an infinity equals the same infinity: the same value came out.
      Integers of any length are exact (a 6000-digit answer passes), decoded in linear time.
    - Codewars wrapping: an expected one-element list also accepts its sole element
      (`[true]` accepts `true`), as the dataset stores many single outputs that way.
    Raises ValueError when either text is not JSON or nests deeper than MAX_VALUE_DEPTH
    (ReturnValueError when it is the program's side: the program's fault).
    """
    got, expected = _decode(got_json, ReturnValueError), _decode(expected_json)
    if _data_equal(got, expected):
        return True
    return isinstance(expected, list) and len(expected) == 1 and _data_equal(got, expected[0])


def _data_equal(got: Any, expected: Any) -> bool:
    if isinstance(got, bool) or isinstance(expected, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(got, _NUMBERS) and isinstance(expected, _NUMBERS):
        return _number_equal(got, expected)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(map(_data_equal, got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_data_equal(got[k], expected[k]) for k in got)
    return type(got) is type(expected) and got == expected


_NUMBERS = (int, float, decimal.Decimal)  # Decimal: integers too long for int (see _json_int)


def _number_equal(got: "int | float | decimal.Decimal", expected: "int | float | decimal.Decimal") -> bool:
    """Integers exactly (also against a float: 2.0 equals 2, 2.0000001 does not); two floats
    within the 1e-6 tolerance; NaN equals NaN, an infinity the same infinity."""
    if isinstance(got, float) and isinstance(expected, float):
        if math.isnan(got) or math.isnan(expected):
            return math.isnan(got) and math.isnan(expected)
        if math.isinf(got) or math.isinf(expected):
            return got == expected
        return _decimal_close(decimal.Decimal(got), decimal.Decimal(expected))
    return got == expected  # an integer on one side: exact (int, float and Decimal compare exactly)


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
    got, expected = _decode(got_json, ReturnValueError), _decode(expected_json)
    if got == expected:
        return True
    return isinstance(expected, list) and len(expected) > 0 and got == expected[0]


class ReturnValueError(ValueError):
    """The program's side of a call-based comparison is not a JSON value within bounds:
    the program's fault (a forged result), unlike the same problem in the expected data."""


MAX_VALUE_DEPTH = 200  # what the worker lets through (sandbox/inside/candidate.py); deeper is refused
_INT_DIGITS = 4000  # below Python's int/str conversion limit; longer integers become exact Decimals


def _json_int(text: str) -> "int | decimal.Decimal":
    """Integers of any length, exactly, in linear time: long ones as Decimal, which compares
    exactly with ints, floats and other Decimals (no int/str digit limit, no quadratic parse)."""
    return int(text) if len(text) <= _INT_DIGITS else decimal.Decimal(text)


def _decode(text: str, error: type = ValueError) -> Any:
    if json_depth(text) > MAX_VALUE_DEPTH:
        raise error(f"JSON value nested deeper than {MAX_VALUE_DEPTH} levels: {_clip(repr(text))}")
    try:
        return json.loads(text, parse_int=_json_int)
    except (TypeError, ValueError, RecursionError) as exc:
        raise error(f"not a JSON value: {_clip(repr(text))} ({_clip(str(exc))})") from None
