"""Atomic, no-clobber file output shared by every writer."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import OutputExistsError, OutputPathError

__all__ = ["atomic_output", "check_output_path"]


def check_output_path(path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Raise now if ``path`` cannot be written later: it exists (without ``force``), or has no folder.

    Commands call this before long work, so a run is not wasted on an output it cannot write.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    OutputPathError
        The folder does not exist, is not a folder, or ``path`` itself is a folder.
    """
    dest = Path(path)
    if dest.is_dir():
        raise OutputPathError(dest, "it is a folder")
    if dest.exists() and not force:
        raise OutputExistsError(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise OutputPathError(dest, f"folder {str(folder)!r} does not exist")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, force: bool = False, binary: bool = False) -> Iterator[IO]:
    """Open a temporary file beside ``path`` and move it over ``path`` only when the block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination.
    force : bool
        Overwrite an existing file. Without it an existing ``path`` raises :class:`OutputExistsError`
        before anything is written.
    binary : bool
        Open in binary mode instead of text (UTF-8 with Unix newlines).

    Yields
    ------
    file object
        Write to it; on an exception the temporary file is removed and ``path`` is untouched.

    """
    dest = Path(path)
    check_output_path(dest, force=force)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent or Path("."))
    except OSError as exc:
        raise OutputPathError(dest, exc.strerror or str(exc)) from None
    try:
        fh: IO[Any] = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
