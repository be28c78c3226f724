# Prints (stdin) or returns (call) 10 ** digits: 6000 digits must be judged exactly;
# millions of digits must end within the program's own limits.
import sys


def solve(digits):
    return 10 ** digits


if __name__ == "__main__":
    print(10 ** int(sys.stdin.read()))
