# Output shaped to make the judge's comparison expensive, just under the output cap.
# Input: "<shape> <bytes>". Each shape aims at one costly step of a comparator.
import random
import sys

shape, size = input().split()
size = int(size)
units = {
    "distinct_int_lines": lambda i: f"{i}\n",              # many distinct lines and numbers
    "distinct_int_tokens": lambda i: f"{i} ",               # one line of distinct numbers
    "huge_float_lines": lambda i: f"{i}e300\n",             # round(x, 3) is slowest near 1e300
    "huge_float_tokens": lambda i: f"{i}.5e300 ",
    "tiny_floats_lines": lambda i: f"0.0000{i}\n",          # all round to 0.0: pass APPS stage 5
    "tiny_floats_tokens": lambda i: f"0.0000{i} ",
    "tiny_float_pairs": lambda i: f"0.0000{i} 1.0000{i}\n",  # per-line sets all {0.0, 1.0}
    "shuffled_lines": lambda i: " ".join(random.Random(i).choice("12") for _ in range(8)) + " 1 2\n",
    "float_ones": lambda i: "1.0 ",                        # integers expected: exact comparisons
    "long_number_tokens": lambda i: "0." + "3" * 60 + "1 ",
    "spaces_and_cr": lambda i: " \t 7 \x0b\x0c \r\n",
}[shape]
parts, used, i = [], 0, 0
while True:
    unit = units(i)
    if used + len(unit) > size:
        break
    parts.append(unit)
    used += len(unit)
    i += 1
sys.stdout.write("".join(parts))
