# Output and exception text meant to act on whoever reads a report: terminal control sequences
# (an OSC 52 clipboard write, a colour, a C1 CSI, a bidirectional override), HTML, a link and an
# image in Markdown, a spreadsheet formula, LaTeX commands. Short enough to survive the report's
# 200-character clip.
import sys

MARKUP = ("\x1b]52;c;aGk=\x07\x1b[31mred\x9b0m\u202eevil <img src=x onerror=alert(1)> [a](http://e.x) "
          "![p](http://e.x/p.png) *b* `t` | \\textbf{x} $m$ & % # _ ^ ~ {}")
sys.stdout.write('=HYPERLINK("http://e.x","x") ' + MARKUP + "\n")
raise ValueError(MARKUP)
