"""Tables of tricky outputs for both equivalence rules (docs/comparison.md)."""
import pytest

from sandbox.compare import apps_stdout_equal, apps_value_equal, stdout_equal, value_equal

# (got, expected, default rule, APPS rule, why)
STDOUT_TABLE = [
    ("3\n", "3\n", True, True, "identical"),
    ("3", "3\n", True, True, "missing final newline"),
    ("3\n", "3", True, True, "expected lacks final newline"),
    ("3\n", "3 \n", True, True, "expected ends in a space"),
    ("1 2 \n3\n", "1 2\n3\n", True, True, "trailing space on an inner output line"),
    ("1 2\n3\n", "1 2 \n3\n", True, True, "trailing space on an inner expected line"),
    ("1 2\r\n3\r\n", "1 2\n3\n", True, True, "CRLF output"),
    ("1 2\n3\n", "1 2\r\n3\r\n", True, True, "CRLF expected"),
    ("1 2\r3\r", "1 2\n3\n", True, True, "lone CR"),
    ("3\n\n\n", "3\n", True, True, "extra blank lines at the end"),
    ("\n3\n", "3\n", True, True, "leading blank line"),
    ("  3\n", "3\n", True, True, "leading spaces on a line"),
    ("1   2\n", "1 2\n", True, True, "run of spaces between tokens"),
    ("1\t2\n", "1 2\n", True, True, "tab between tokens"),
    ("1\n\n2\n", "1\n2\n", False, True, "blank line in the middle (APPS drops empty lines)"),
    ("1\n2\n", "1\n\n2\n", False, True, "blank line missing in the middle"),
    ("", "", True, True, "empty output, empty expected"),
    ("\n", "", True, True, "only a newline, empty expected"),
    ("", "0\n", False, False, "empty output, non-empty expected"),
    ("0\n", "\n", False, False, "output where nothing is expected"),
    ("0.5000001\n", "0.5\n", True, True, "float within 1e-6"),
    ("0.30000000000000004\n", "0.3\n", True, True, "float printing noise"),
    ("0.5011\n", "0.5\n", False, False, "float outside both tolerances"),
    ("0.50001\n", "0.5\n", False, True, "outside APPS rtol, equal once rounded to 3 decimals"),
    ("0.500004\n", "0.5\n", False, True, "inside APPS rtol 1e-5, outside 1e-6"),
    ("3.1416\n", "3.14159\n", False, True, "APPS rounds to 3 decimals in its last stage"),
    ("1.0\n", "1\n", True, True, "1.0 vs 1"),
    ("1\n", "1.000\n", True, True, "1 vs 1.000"),
    ("1e3\n", "1000\n", True, True, "exponent notation"),
    (".5\n", "0.5\n", True, True, "bare fraction"),
    ("1e400\n", "1\n", False, False, "huge exponent does not crash"),
    ("1e400\n", "1e400\n", True, True, "huge exponent, identical"),
    ("1e-400\n", "0\n", False, True, "a tiny float is not the expected integer 0 (APPS: close)"),
    ("0e5\n", "0\n", True, True, "exactly the expected integer, in exponent notation"),
    ("3.0000001\n", "3\n", False, True, "a float close to the expected integer is a wrong count"),
    ("3.0\n", "3\n", True, True, "exactly the expected integer, with a fraction"),
    ("1e999999999\n", "1\n", False, False, "absurd exponent: no crash, not equal"),
    ("1e99999999999999999999999\n", "1\n", False, False, "exponent beyond Decimal's range: no crash"),
    ("1e-99999999999999999999999\n", "0.5\n", False, False, "negative exponent beyond Decimal's range"),
    ("10**10**10\n", "1\n", False, False, "an expression as text is text"),
    ("10000000000000000000001\n", "10000000000000000000000\n", False, True,
     "big integers differ in the last digit (APPS: floats within 1e-5)"),
    ("123456789012345678901234567890\n", "123456789012345678901234567890\n", True, True, "big integer"),
    ("007\n", "7\n", False, True, "leading zeros: digits of an integer token count"),
    ("-0\n", "0\n", False, True, "negative zero integer"),
    ("-0.0\n", "0\n", True, True, "negative zero float"),
    ("nan\n", "nan\n", True, True, "nan token as text"),
    ("nan\n", "0\n", False, False, "nan is not a number close to anything"),
    ("inf\n", "inf\n", True, True, "inf token as text"),
    ("inf\n", "Infinity\n", False, True, "inf spellings differ as text; APPS parses floats"),
    ("2 1\n", "1 2\n", False, True, "token order swapped"),
    ("2 1\n", "1 1 2\n", False, True, "repeated tokens ignored by APPS sets"),
    ("NO YES YES\n", "YES NO YES\n", False, True, "YES/NO permuted on one line"),
    ("YES\nNO\n", "NO\nYES\n", False, True, "lines swapped"),
    ("YES\nYES\nNO\n", "YES\nNO\n", False, True, "repeated line"),
    ("yes\n", "YES\n", False, False, "case differs"),
    ("Yes\n", "YES\n", False, False, "case differs (title)"),
    ("1 2 3\n", "1 2\n", False, False, "extra token"),
    ("1\n2\n", "1 2\n", False, False, "tokens split over lines"),
    ("abc\n", "abd\n", False, False, "different word"),
    ("1.5 x\n", "1.5000001 x\n", True, False, "numbers among words: default per token, APPS sets exact"),
    ("3 \n 4\n", "3\n4\n", True, True, "surrounding whitespace of lines"),
    ("\u00a03\n", "3\n", True, True, "non-breaking space is whitespace to str.split"),
    ("1 2\n\n", "1 2\n \n", True, True, "trailing whitespace-only expected line"),
]


@pytest.mark.parametrize("got, expected, default, apps, why", STDOUT_TABLE, ids=[row[4] for row in STDOUT_TABLE])
def test_stdout_rules_table(got, expected, default, apps, why):
    assert stdout_equal(got, expected) is default, f"default: {why}"
    assert apps_stdout_equal(got, expected) is apps, f"apps: {why}"


def test_apps_stage_with_whitespace_only_expected_line_in_the_middle():
    # The original keeps a whitespace-only expected line as an empty token set, which no
    # output line can produce; the earlier stripped-text stages still match identical text.
    assert apps_stdout_equal("1\n \n2", "1\n \n2")
    assert not apps_stdout_equal("2\n1", "1\n \n2")


def test_expected_is_not_mutated_and_calls_are_independent():
    expected = "1 2\n3\n"
    for _ in range(2):
        assert apps_stdout_equal("2 1\n3\n", expected)
        assert not stdout_equal("2 1\n3\n", expected)
    assert expected == "1 2\n3\n"


def test_huge_number_tokens_do_not_crash():
    big = "9" * 5000
    assert stdout_equal(big, big)
    assert not stdout_equal(big, big[:-1] + "8")
    assert stdout_equal("1e999999999999", "1e999999999999")
    assert not stdout_equal("1e999999999999", "1e-999999999999")
    assert not apps_stdout_equal("1e999999999999", "1")


# (got_json, expected_json, default rule, APPS rule, why)
VALUE_TABLE = [
    ("3", "3", True, True, "same int"),
    ("[1, 2]", "[1, 2]", True, True, "list (a returned tuple arrives as a list)"),
    ("[1, 2]", "[[1, 2]]", True, True, "Codewars wrapping of a list"),
    ("true", "[true]", True, True, "Codewars wrapping of a bool"),
    ("[true]", "[[true]]", True, True, "wrapped list of one bool"),
    ("false", "[true]", False, False, "wrapped but wrong"),
    ("1", "[1, 2, 3]", False, True, "APPS compares with expected[0] of any non-empty list"),
    ("[]", "[]", True, True, "empty list"),
    ("[]", "[[]]", True, True, "wrapped empty list"),
    ("[[1, 2], [3]]", "[[1, 2], [3]]", True, True, "nested lists"),
    ("[[1, 2], [3]]", "[[1, 2], [4]]", False, False, "nested lists differ"),
    ("[2, 1]", "[1, 2]", False, False, "list order matters in both"),
    ('{"a": 1, "b": [2]}', '{"b": [2], "a": 1}', True, True, "dict key order irrelevant"),
    ('{"a": 1}', '{"a": 2}', False, False, "dict values differ"),
    ('{"a": 1}', '{"a": 1, "b": 2}', False, False, "dict keys differ"),
    ("true", "1", False, True, "bool vs int: JSON tells them apart, Python == does not"),
    ("1", "true", False, True, "int vs bool"),
    ("0", "false", False, True, "0 vs false"),
    ("1.0", "1", True, True, "float 1.0 vs int 1"),
    ("0.30000000000000004", "0.3", True, False, "float noise: default tolerance, APPS exact =="),
    ("3.142", "3.14", False, False, "wrong rounding"),
    ("1e+300", "1e+300", True, True, "huge float"),
    ("NaN", "NaN", True, False, "NaN: default equal, Python == never"),
    ("Infinity", "Infinity", True, True, "infinity"),
    ("-Infinity", "Infinity", False, False, "infinities of opposite sign"),
    ("10000000000000000000001", "10000000000000000000000", False, False, "big ints exact"),
    ("100000000000000000000000000000000", "1e32", False, False, "an integer exactly: 1e32 is not 10**32"),
    ("2.0000001", "2", False, False, "a float close to the expected integer is wrong"),
    ("2.0", "2", True, True, "exactly the expected integer"),
    ("1" * 6000, "1" * 6000, True, True, "a 6000-digit integer, exactly"),
    ("1" * 6000, "1" * 5999 + "2", False, False, "6000 digits, the last one wrong"),
    ('"abba"', '"abba"', True, True, "string"),
    ('"\\"abba\\""', '"abba"', False, False, "quoted string stays quoted"),
    ('"Abba"', '"abba"', False, False, "case"),
    ("null", "null", True, True, "None"),
    ("null", "[null]", True, True, "wrapped None"),
    ("null", "0", False, False, "None vs 0"),
    ('"1"', "1", False, False, "string vs number"),
]


@pytest.mark.parametrize("got, expected, default, apps, why", VALUE_TABLE, ids=[row[4] for row in VALUE_TABLE])
def test_value_rules_table(got, expected, default, apps, why):
    assert value_equal(got, expected) is default, f"default: {why}"
    assert apps_value_equal(got, expected) is apps, f"apps: {why}"


@pytest.mark.parametrize("got, expected", [("not json", "1"), ("1", "{"), ("", "1")])
def test_undecodable_json_is_an_error_not_a_verdict(got, expected):
    with pytest.raises(ValueError):
        value_equal(got, expected)
    with pytest.raises(ValueError):
        apps_value_equal(got, expected)
