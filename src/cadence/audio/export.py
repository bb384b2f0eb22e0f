"""Write a click track to an audio file (WAV or FLAC) with ``soundfile``, block by block.

libsndfile writes through Python callbacks into the atomic temporary file. An exception raised inside such a
callback is printed by cffi ("Exception ignored from cffi callback") and lost, so nothing may be raised
there: a write error is kept by :class:`_GuardedFile` and raised after the call, and SIGINT, SIGTERM and
SIGHUP are deferred while libsndfile runs (a fraction of a second per block) and raised again right after
it, in Python code, where they stop the export and remove the temporary file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .._atomic import atomic_output
from ..errors import ParameterError
from .clicks import ClickTrack

__all__ = ["ExportReport", "write_click_track"]

#: file suffix -> libsndfile major format; both hold 16-bit PCM, which every phone and watch plays
FORMATS = {".wav": "WAV", ".flac": "FLAC"}
BLOCK_S = 10.0
_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class _GuardedFile:
    """The temporary file as libsndfile's callbacks see it: an ``OSError`` is kept, never raised there."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        if self.error is not None:
            return 0
        try:
            return self._fh.write(data)
        except OSError as exc:
            self.error = exc
            return 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        try:
            return self._fh.seek(offset, whence)
        except OSError as exc:
            self.error = self.error or exc
            return -1

    def tell(self) -> int:
        return self._fh.tell()

    def read(self, size: int = -1) -> bytes:
        try:
            return self._fh.read(size)
        except OSError as exc:
            self.error = self.error or exc
            return b""

    def raise_error(self) -> None:
        """Raise the first ``OSError`` a callback met, now that we are out of libsndfile."""
        if self.error is not None:
            raise self.error


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT, SIGTERM and SIGHUP while libsndfile runs; each is raised again when the block ends.

    Masking the signals is not enough: Python runs its handlers in the main thread wherever it is, the
    callbacks included. So the handlers are swapped for one that only notes the signal, and the noted
    signals are sent again once the original handlers are back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: Any) -> None:
        noted.append(signum)

    old = {sig: signal.signal(sig, note) for sig in _HELD_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


def _encode(sf: Any, guard: _GuardedFile, samples: Any) -> None:
    """One block into libsndfile; a write error its callbacks met is raised here (an ``OSError``)."""
    import soundfile

    try:
        with _signals_held():
            sf.write(samples)
    except (soundfile.SoundFileError, AssertionError):
        guard.raise_error()
        raise
    guard.raise_error()


@dataclass(frozen=True)
class ExportReport:
    """What was written.

    Attributes
    ----------
    path : str
        The file written.
    frames : int
        Samples written (the session's length).
    fs_hz : int
        Sampling rate.
    clicks : int
        Audible clicks in the file.
    elapsed_s : float
        Wall-clock time taken to render and encode.
    """

    path: str
    frames: int
    fs_hz: int
    clicks: int
    elapsed_s: float

    @property
    def duration_s(self) -> float:
        """Length of the audio in seconds."""
        return self.frames / self.fs_hz

    @property
    def speed_factor(self) -> float:
        """How many times faster than real time the file was produced."""
        return self.duration_s / self.elapsed_s if self.elapsed_s > 0 else float("inf")


def write_click_track(track: ClickTrack, path: str | os.PathLike[str], force: bool = False) -> ExportReport:
    """Render ``track`` into a mono 16-bit WAV or FLAC file, exactly as live playback would send it.

    Parameters
    ----------
    track : ClickTrack
        A track with a length (``track.n_samples`` not ``None``).
    path : str or os.PathLike
        Destination; the suffix (``.wav`` or ``.flac``) chooses the format.
    force : bool
        Overwrite an existing file.

    Returns
    -------
    ExportReport

    Raises
    ------
    ParameterError
        For an open-ended track or an unsupported suffix.
    OutputExistsError
        When ``path`` exists and ``force`` is not set.
    """
    import soundfile

    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError(
            f"{os.fspath(path)!r}: unsupported audio file type {suffix or '(none)'!r}; use .wav or .flac"
        )
    if track.n_samples is None:
        raise ParameterError(
            "the session is open-ended: give --duration (e.g. 45:00) "
            "or a program whose last segment has a duration"
        )
    t0 = time.perf_counter()
    block = max(1, int(BLOCK_S * track.fs_hz))
    with atomic_output(path, force=force, binary=True) as fh:
        guard = _GuardedFile(fh)
        with _signals_held():
            sf = soundfile.SoundFile(
                guard, mode="w", samplerate=track.fs_hz, channels=1, format=FORMATS[suffix], subtype="PCM_16"
            )
        try:
            for start in range(0, track.n_samples, block):
                _encode(sf, guard, track.render(start, min(start + block, track.n_samples)))
        finally:
            try:
                with _signals_held():
                    sf.close()  # FLAC's last frames and the WAV header are written here
            except (soundfile.SoundFileError, AssertionError):
                guard.raise_error()
                raise
        guard.raise_error()
    elapsed_s = time.perf_counter() - t0
    clicks = len(track.onsets(0, track.n_samples)[0])
    return ExportReport(os.fspath(path), track.n_samples, track.fs_hz, clicks, elapsed_s)
