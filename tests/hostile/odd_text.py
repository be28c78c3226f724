# Output and exception text no encoder accepts: invalid UTF-8 on stdout, lone surrogates in
# the exception message. The harness must record both without crashing anywhere.
import sys

sys.stdout.buffer.write(b"bytes \xff\xfe\xed\xa0\x80 end\n")
sys.stdout.flush()
raise ValueError("lone \ud800 and \udcff surrogates")
