"""Write a click track to an audio file (WAV, FLAC, MP3, Ogg Opus, Ogg Vorbis) with ``soundfile``, by blocks.

MP3 and Ogg/Opus need libsndfile >= 1.1 (the ``soundfile`` wheels bundle 1.2); the version is checked when
such a file is asked for. Both codecs delay the audio (MP3 by 1105 samples, Opus by its 312-sample pre-skip),
and both files say by how much (the LAME header, the Opus pre-skip), so decoders that honour it (libsndfile,
ffmpeg) give back every click on its exact sample; see docs/metronome.md for the measurements.

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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .._atomic import atomic_output
from ..errors import AudioUnavailableError, ParameterError
from .announce import AnnouncedTrack
from .clicks import ClickTrack

__all__ = ["ExportReport", "check_codec", "default_fs_hz", "write_click_track"]

#: file suffix -> (libsndfile major format, subtype); WAV/FLAC hold 16-bit PCM, the others are lossy codecs
#: every phone plays (MP3 everywhere; Ogg Opus/Vorbis on Android and in most players)
FORMATS = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".opus": ("OGG", "OPUS"),
    ".ogg": ("OGG", "VORBIS"),
}
#: formats libsndfile writes only from 1.1 on
NEEDS_LIBSNDFILE_1_1 = {".mp3", ".opus"}
#: sampling rates each lossy codec takes (Opus runs at these only; MP3 has MPEG-1/2/2.5 rates)
CODEC_RATES_HZ = {
    ".mp3": (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
    ".opus": (8000, 12000, 16000, 24000, 48000),
}
#: the sampling rate an export uses when none is given: 48 kHz, but MP3 at 24 kHz (MPEG-2), which halves its
#: size (30 min at 172 BPM: 5.3 MB, not 9.9 MB) with the clicks as exact (their partials are below 12 kHz)
DEFAULT_FS_HZ = 48000
DEFAULT_FS_HZ_BY_SUFFIX = {".mp3": 24000}
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


#: the text tags :func:`write_click_track` writes (libsndfile's string fields)
TAG_NAMES = ("title", "artist", "album", "tracknumber", "comment", "date")


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def default_fs_hz(path: str | os.PathLike[str]) -> int:
    """Return the sampling rate to export ``path`` at when none is given (by its suffix)."""
    return DEFAULT_FS_HZ_BY_SUFFIX.get(Path(path).suffix.lower(), DEFAULT_FS_HZ)


def check_codec(suffix: str, fs_hz: int) -> tuple[str, str]:
    """Return the ``(format, subtype)`` for ``suffix``, after checking libsndfile can write it at ``fs_hz``.

    Raises
    ------
    ParameterError
        An unsupported suffix, or a sampling rate the codec does not take.
    AudioUnavailableError
        libsndfile is older than 1.1 (no MP3/Opus writer) or lacks the codec; says what to install.
    """
    import soundfile

    if suffix not in FORMATS:
        raise ParameterError(
            f"unsupported audio file type {suffix or '(none)'!r}; use .wav, .flac, .mp3, .opus or .ogg"
        )
    fmt, subtype = FORMATS[suffix]
    found = str(getattr(soundfile, "__libsndfile_version__", "0"))
    if suffix in NEEDS_LIBSNDFILE_1_1 and _version_tuple(found) < (1, 1):
        raise AudioUnavailableError(
            f"writing {suffix} needs libsndfile >= 1.1, found {found}: `pip install -U soundfile` "
            "(its wheels bundle libsndfile 1.2) or install libsndfile 1.1+ from your system; "
            "or write .wav / .flac"
        )
    if not soundfile.check_format(fmt, subtype):
        raise AudioUnavailableError(
            f"this libsndfile ({found}) was built without {subtype} in {fmt}: "
            "`pip install -U soundfile` (its wheels bundle one with MP3 and Opus), or write .wav / .flac"
        )
    rates = CODEC_RATES_HZ.get(suffix)
    if rates is not None and fs_hz not in rates:
        raise ParameterError(
            f"{suffix} files take sampling rates {', '.join(str(r) for r in rates)} Hz, not {fs_hz}: "
            "give --samplerate 48000"
        )
    return fmt, subtype


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


def write_click_track(
    track: ClickTrack | AnnouncedTrack,
    path: str | os.PathLike[str],
    force: bool = False,
    tags: Mapping[str, str] | None = None,
) -> ExportReport:
    """Render ``track`` into a mono audio file, exactly as live playback would send it.

    Parameters
    ----------
    track : ClickTrack or AnnouncedTrack
        A track with a length (``track.n_samples`` not ``None``).
    path : str or os.PathLike
        Destination; the suffix chooses the format: ``.wav``/``.flac`` (16-bit PCM), ``.mp3``, ``.opus``
        (Ogg Opus) or ``.ogg`` (Ogg Vorbis).
    force : bool
        Overwrite an existing file.
    tags : mapping, optional
        Text tags (``title``, ``artist``, ``album``, ``tracknumber``, ``comment``, ``date``), written as
        ID3 (MP3), Vorbis comments (Ogg, FLAC) or INFO chunks (WAV), so that phones list files in order.

    Returns
    -------
    ExportReport

    Raises
    ------
    ParameterError
        For an open-ended track, an unsupported suffix or a rate the codec does not take.
    AudioUnavailableError
        MP3/Opus asked of a libsndfile older than 1.1 (the message says what to install).
    OutputExistsError
        When ``path`` exists and ``force`` is not set.
    """
    import soundfile

    suffix = Path(path).suffix.lower()
    try:
        fmt, subtype = check_codec(suffix, track.fs_hz)
    except ParameterError as exc:
        raise ParameterError(f"{os.fspath(path)!r}: {exc}") from None
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
                guard, mode="w", samplerate=track.fs_hz, channels=1, format=fmt, subtype=subtype
            )
        try:
            for key, value in (tags or {}).items():
                if key not in TAG_NAMES:
                    raise ParameterError(f"unknown audio tag {key!r}; use one of {', '.join(TAG_NAMES)}")
                setattr(sf, key, value)
            for start in range(0, track.n_samples, block):
                _encode(sf, guard, track.render(start, min(start + block, track.n_samples)))
        finally:
            try:
                with _signals_held():
                    sf.close()  # the last frames and the WAV header are written here
            except (soundfile.SoundFileError, AssertionError):
                guard.raise_error()
                raise
        guard.raise_error()
    elapsed_s = time.perf_counter() - t0
    clicks = len(track.onsets(0, track.n_samples)[0])
    return ExportReport(os.fspath(path), track.n_samples, track.fs_hz, clicks, elapsed_s)
