# A call-based program returning strings with lone surrogates, or raising with them.
def solve(how):
    if how == "raise":
        raise KeyError("\udcff\ud800")
    return ["\ud800", "ok", "\udfff"]
