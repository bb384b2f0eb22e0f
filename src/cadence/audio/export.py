"""Write a click track to an audio file (WAV or FLAC) with ``soundfile``, block by block."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from .._atomic import atomic_output
from ..errors import ParameterError
from .clicks import ClickTrack

__all__ = ["ExportReport", "write_click_track"]

#: file suffix -> libsndfile major format; both hold 16-bit PCM, which every phone and watch plays
FORMATS = {".wav": "WAV", ".flac": "FLAC"}
BLOCK_S = 10.0


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
    with (
        atomic_output(path, force=force, binary=True) as fh,
        soundfile.SoundFile(
            fh, mode="w", samplerate=track.fs_hz, channels=1, format=FORMATS[suffix], subtype="PCM_16"
        ) as sf,
    ):
        for start in range(0, track.n_samples, block):
            sf.write(track.render(start, min(start + block, track.n_samples)))
    elapsed_s = time.perf_counter() - t0
    clicks = len(track.onsets(0, track.n_samples)[0])
    return ExportReport(os.fspath(path), track.n_samples, track.fs_hz, clicks, elapsed_s)
