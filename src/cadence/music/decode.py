"""Decode a few representative windows of an audio file as mono samples, for tempo estimation.

Decoders: libsndfile (through soundfile) for WAV, AIFF, FLAC, Ogg Vorbis, Ogg Opus and MP3; everything it
cannot open (M4A/MP4 with AAC or ALAC, WMA, ...) goes to the ``ffmpeg`` program, which must be on the PATH.
Only the windows are decoded (both decoders seek), so a long track costs about as much as a short one.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import InputFormatError, ParameterError

__all__ = ["DecodedWindows", "analysis_windows", "read_windows"]

#: tracks up to this long are analysed whole
WHOLE_UP_TO_S = 60.0
#: longer tracks: this many windows of this length, centred at 1/4, 1/2 and 3/4 of the track
N_WINDOWS = 3
WINDOW_S = 20.0
#: ffmpeg decodes to this rate (the RNN beat network's; the cyclic estimator resamples to 22.05 kHz)
_FFMPEG_FS_HZ = 44100
FFMPEG_HINT = "install ffmpeg to decode it (Debian/Ubuntu: apt install ffmpeg; macOS: brew install ffmpeg)"


@dataclass(frozen=True)
class DecodedWindows:
    """Mono windows of one audio file.

    Attributes
    ----------
    segments : tuple of ndarray of float32
        The windows, in order.
    fs_hz : float
        Sampling rate of the samples.
    duration_s : float
        Length of the whole track.
    decoder : str
        ``"libsndfile"`` or ``"ffmpeg"``.
    """

    segments: tuple[NDArray[np.float32], ...]
    fs_hz: float
    duration_s: float
    decoder: str


def analysis_windows(duration_s: float) -> tuple[tuple[float, float], ...]:
    """Return the ``(start_s, length_s)`` windows analysed in a track of ``duration_s`` seconds.

    The whole track up to :data:`WHOLE_UP_TO_S`; beyond, :data:`N_WINDOWS` windows of :data:`WINDOW_S`
    centred at 1/4, 1/2 and 3/4 of the track (away from intros and fade-outs, across verse and chorus).
    """
    if not (math.isfinite(duration_s) and duration_s >= 0):
        raise ParameterError(f"{duration_s=} must be a finite number >= 0")
    if duration_s <= WHOLE_UP_TO_S:
        return ((0.0, float(duration_s)),)
    centres = duration_s * np.arange(1, N_WINDOWS + 1) / (N_WINDOWS + 1)
    return tuple((float(c - WINDOW_S / 2), WINDOW_S) for c in centres)


def _read_soundfile(path: Path) -> DecodedWindows | None:
    import soundfile as sf

    try:
        f = sf.SoundFile(path)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return None  # not a format libsndfile knows: try ffmpeg
    with f:
        fs_hz = float(f.samplerate)
        n_frames = f.frames if f.frames > 0 else 0
        segments = []
        for start_s, length_s in analysis_windows(n_frames / fs_hz):
            start = int(start_s * fs_hz)
            if start and f.seekable():
                f.seek(start)
            data = f.read(frames=round(length_s * fs_hz), dtype="float32", always_2d=True)
            segments.append(np.ascontiguousarray(data.mean(axis=1), dtype=np.float32))
    return DecodedWindows(tuple(segments), fs_hz, n_frames / fs_hz, "libsndfile")


def _duration_s(path: Path) -> float:
    import mutagen

    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError):
        audio = None
    length = getattr(getattr(audio, "info", None), "length", None)
    return float(length) if length and math.isfinite(length) else math.nan


def _read_ffmpeg(path: Path) -> DecodedWindows:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise InputFormatError(path, f"cannot decode this format without ffmpeg: {FFMPEG_HINT}")
    duration_s = _duration_s(path)
    windows = analysis_windows(duration_s) if math.isfinite(duration_s) else ((0.0, WHOLE_UP_TO_S),)
    segments = []
    for start_s, length_s in windows:
        cmd = [exe, "-nostdin", "-v", "error", "-ss", f"{start_s:.3f}", "-t", f"{length_s:.3f}"]
        cmd += ["-i", str(path), "-vn", "-ac", "1", "-ar", str(_FFMPEG_FS_HZ), "-f", "f32le", "-"]
        proc = subprocess.run(cmd, capture_output=True, check=False, timeout=120)
        if proc.returncode != 0:
            why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise InputFormatError(path, f"cannot decode the audio (ffmpeg: {why[-1] if why else '?'})")
        segments.append(np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32))
    if not math.isfinite(duration_s):
        duration_s = segments[0].size / _FFMPEG_FS_HZ
    return DecodedWindows(tuple(segments), float(_FFMPEG_FS_HZ), duration_s, "ffmpeg")


def read_windows(path: str | Path) -> DecodedWindows:
    """Decode the analysis windows (:func:`analysis_windows`) of an audio file as mono float32.

    Raises
    ------
    InputFormatError
        The file is missing or cannot be decoded (with a hint when ffmpeg is needed but not installed).
    """
    p = Path(path)
    if not p.is_file():
        raise InputFormatError(p, "no such file")
    decoded = _read_soundfile(p)
    return decoded if decoded is not None else _read_ffmpeg(p)
