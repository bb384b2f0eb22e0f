"""Exceptions raised by cadence.

Every error derives from :class:`CadenceError`; each leaf also subclasses the matching builtin so callers
that catch ``ValueError`` or ``RuntimeError`` keep working. The CLI turns any ``CadenceError`` into one line
on stderr and the exit code in :attr:`CadenceError.exit_code`.
"""

from __future__ import annotations

import os

__all__ = [
    "AudioUnavailableError",
    "CadenceError",
    "CadenceWarning",
    "InputFormatError",
    "NotActivityError",
    "OutputExistsError",
    "OutputPathError",
    "ParameterError",
    "StreamError",
]

#: an error message is one readable line: what a reader quotes from a file is cut to this
MAX_PROBLEM_CHARS = 500


class CadenceError(Exception):
    """Root of every error cadence raises on purpose."""

    #: process exit code used by the CLI for this kind of error
    exit_code: int = 1


class ParameterError(CadenceError, ValueError):
    """A parameter is out of range or malformed (e.g. ``fs_hz=-1``)."""

    exit_code = 2


class InputFormatError(CadenceError, ValueError):
    """An input file cannot be read: empty, truncated, corrupt or not the expected format.

    Parameters
    ----------
    path : str or os.PathLike
        The file that could not be read.
    problem : str
        What is wrong with it, in plain words.
    where : str, optional
        Line, byte offset or record where the problem was found.

    """

    def __init__(self, path: str | os.PathLike[str], problem: str, where: str | None = None) -> None:
        self.path = os.fspath(path)
        if len(problem) > MAX_PROBLEM_CHARS:  # a safety net: readers cut what they echo of the file
            problem = problem[:MAX_PROBLEM_CHARS] + "..."
        self.problem = problem
        self.where = where
        loc = f" ({where})" if where else ""
        super().__init__(f"{self.path}: {problem}{loc}")


class NotActivityError(InputFormatError):
    """A readable file that holds no activity: settings, monitoring, a workout, a course, or unknown.

    A folder or archive skips such files and counts them by ``kind`` (``"settings"``, ``"monitoring"``,
    ``"workouts"``, ``"courses"``, ``"unknown"``...); named alone, the file is an input error.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str, kind: str) -> None:
        self.kind = kind
        super().__init__(path, problem)


class OutputExistsError(CadenceError, FileExistsError):
    """An output file exists already and ``force`` was not given."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        super().__init__(f"{self.path}: exists already; use --force to overwrite it")


class OutputPathError(CadenceError, OSError):
    """An output file cannot be written where asked: its folder is missing or not writable."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        super().__init__(f"{self.path}: cannot write here: {problem}")


class AudioUnavailableError(CadenceError, RuntimeError):
    """No audio output: PortAudio is missing or there is no usable output device."""

    exit_code = 3


class StreamError(CadenceError, ConnectionError):
    """A live source cannot be used: wrong address, no answer, or data that is not what it should be."""


class CadenceWarning(UserWarning):
    """Something was recovered or repaired: the result is usable, but the user should know.

    For example a truncated file whose first part was read.
    """
