"""The harness's kinds of user mistakes, all InputErrors (see data/errors.py)."""
from data.errors import InputError
from data.problem import DataError


class ConfigError(InputError):
    """A bad option value or combination; the message names the option."""


class RunFolderError(InputError):
    """A run folder that cannot be read, resumed or written; the message names the file."""


class ProgramsFileError(InputError):
    """A programs file (evaluate --generations) that cannot be read; the message names the file and line."""


class RunFolderBusy(RunFolderError):
    """Another command is writing to the run folder; the message names it (pid, command line)."""


__all__ = ["ConfigError", "DataError", "InputError", "ProgramsFileError", "RunFolderBusy", "RunFolderError"]
