"""Atomic, no-clobber file output shared by every writer.

One mechanism for every file cadence writes: the data goes to a hidden temporary file beside the
destination, which replaces the destination only when everything was written. Whatever stops the writer (an
exception, a full disk, Ctrl-C, SIGTERM or SIGHUP turned into exceptions by the CLI) removes the temporary
file. An ``OSError`` while writing (``ENOSPC``, ``EDQUOT``, ``EIO``...) becomes one
:class:`~cadence.errors.OutputPathError` naming the file. Only regular files are written: a symlink to a
regular file is written through (the link stays), anything else (a device, a named pipe, a dangling link) is
refused. New files get the mode the umask allows; a replaced file keeps its mode.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import CadenceError, OutputExistsError, OutputPathError

__all__ = ["atomic_output", "check_output_path", "write_error"]


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _resolve(dest: Path, force: bool) -> tuple[Path, os.stat_result | None]:
    """Return the regular file to write for ``dest`` (a symlink's target) and its stat, or ``None`` if new.

    Raises
    ------
    OutputExistsError, OutputPathError
        See :func:`check_output_path`.
    """
    try:
        link = os.lstat(dest)
    except FileNotFoundError:
        link = None
    except OSError as exc:
        raise OutputPathError(dest, exc.strerror or str(exc)) from None
    real = dest
    if link is not None and stat.S_ISLNK(link.st_mode):
        real = Path(os.path.realpath(dest))
        try:
            st: os.stat_result | None = os.stat(dest)  # what the link leads to (/dev/stdout: a pipe or tty)
        except FileNotFoundError:
            if not force:
                raise OutputExistsError(dest) from None
            raise OutputPathError(dest, "it is a symlink to a missing file; not writing through it") from None
        except OSError as exc:
            raise OutputPathError(dest, exc.strerror or str(exc)) from None
    else:
        st = link
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputPathError(dest, "it is a folder")
        if not stat.S_ISREG(st.st_mode):
            raise OutputPathError(dest, f"it is {_kind(st.st_mode)}; cadence writes regular files only")
        if not force:
            raise OutputExistsError(dest)
    folder = real.parent if str(real.parent) else Path(".")
    if not folder.is_dir():
        raise OutputPathError(dest, f"folder {str(folder)!r} does not exist")
    return real, st


def check_output_path(path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Raise now if ``path`` cannot be written later: it exists (without ``force``), or has no folder.

    Commands call this before long work, so a run is not wasted on an output it cannot write.

    Raises
    ------
    OutputExistsError
        ``path`` (or the file its symlink points to) exists and ``force`` is false; or it is a dangling
        symlink and ``force`` is false.
    OutputPathError
        The folder does not exist, ``path`` is a folder, a device, a named pipe, a socket, or (with ``force``)
        a symlink to a missing file.
    """
    _resolve(Path(path), force)


def write_error(path: str | os.PathLike[str], exc: OSError) -> OutputPathError:
    """Return the one-line output error for an ``OSError`` met writing ``path`` (disk full, quota, I/O)."""
    what = (exc.strerror or os.strerror(exc.errno)) if exc.errno else (str(exc) or type(exc).__name__)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = f"{what} (the partial file was removed; free some space and try again)"
    return OutputPathError(path, what)


def _new_file_mode(existing: os.stat_result | None) -> int:
    """Return an existing file's mode bits, else what ``open()`` gives a new file under the umask."""
    if existing is not None:
        return stat.S_IMODE(existing.st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, force: bool = False, binary: bool = False) -> Iterator[IO]:
    """Open a temporary file beside ``path`` and move it over ``path`` only when the block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination (a regular file, or a symlink to one: the file it points to is replaced).
    force : bool
        Overwrite an existing file. Without it an existing ``path`` raises :class:`OutputExistsError`
        before anything is written.
    binary : bool
        Open in binary mode instead of text (UTF-8 with Unix newlines).

    Yields
    ------
    file object
        Write to it; on any exception (``KeyboardInterrupt`` included) the temporary file is removed and
        ``path`` is untouched.

    Raises
    ------
    OutputExistsError, OutputPathError
        See :func:`check_output_path`; and ``OutputPathError`` for an ``OSError`` while writing.

    """
    dest = Path(path)
    real, existing = _resolve(dest, force)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent or Path("."))
    except OSError as exc:
        raise OutputPathError(dest, exc.strerror or str(exc)) from None
    try:
        fh: IO[Any] = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, _new_file_mode(existing))
        os.replace(tmp_name, real)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and not isinstance(exc, CadenceError):
            raise write_error(dest, exc) from None
        raise
