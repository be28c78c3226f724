"""The user's mistakes: one exception family, so the CLI can print them as one line.

Everything the user hands us (options, a dataset, a generations file, a run folder) that
cannot be used raises an InputError whose str() is one line naming the offending item.
Anything else that goes wrong is the harness's own fault and is reported as such.
"""


class InputError(ValueError):
    """Bad input from the user. str(error) is one line naming the file, line, option or problem."""
