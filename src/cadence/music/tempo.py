"""Tempo of a piece of music from its audio, for tracks without a BPM tag (optional ``tempo`` extra).

:func:`estimate_tempo` takes samples and returns a :class:`TempoEstimate`; it uses librosa's dynamic
programming beat tracker, imported lazily so that cadence works without the extra. :func:`fold_tempo_bpm`
folds an estimate by octaves into the running range, because a beat tracker often reports half or double
the tempo a listener would tap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ParameterError

__all__ = ["TempoEstimate", "estimate_tempo", "fold_tempo_bpm", "import_librosa"]

#: local tempo estimates within this ratio of the global one (after octave folding) count as agreeing
_AGREE_RATIO = 1.05
#: onset-envelope hop at 22050 Hz: 11.6 ms frames
_HOP = 256


@dataclass(frozen=True)
class TempoEstimate:
    """Tempo estimated from audio.

    Attributes
    ----------
    tempo_bpm : float
        Beats per minute as tracked (may be half or double what a listener taps; see :func:`fold_tempo_bpm`);
        NaN when no steady beat was found.
    confidence : float
        0-1: the share of the track (in 8 s windows) whose local tempo agrees with ``tempo_bpm`` within 5 %,
        octave errors forgiven. A click track scores about 1; speech or noise scores low.
    n_beats : int
        Beats tracked.
    analysed_s : float
        Seconds of audio analysed.
    """

    tempo_bpm: float
    confidence: float
    n_beats: int
    analysed_s: float


def import_librosa() -> Any:
    """Import librosa, or raise a :class:`ParameterError` that says how to install it."""
    try:
        import librosa
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ParameterError(
            "tempo estimation needs the optional 'tempo' extra (librosa): pip install 'cadence[tempo]'"
        ) from exc
    return librosa


def fold_tempo_bpm(tempo_bpm: ArrayLike, cadence_spm: float) -> NDArray[np.float64]:
    """Fold tempos by factors of two into the octave centred (geometrically) on a step rate.

    Parameters
    ----------
    tempo_bpm : array_like of float
        Estimated tempos; NaN and non-positive values stay NaN.
    cadence_spm : float
        Target step rate; the result lies in ``[cadence_spm / sqrt(2), cadence_spm * sqrt(2))``.

    Returns
    -------
    ndarray of float
        Same shape as ``tempo_bpm``: ``tempo_bpm * 2**k`` for the integer ``k`` that lands in the range.
    """
    if not (math.isfinite(cadence_spm) and cadence_spm > 0):
        raise ParameterError(f"{cadence_spm=} must be > 0")
    tempo = np.asarray(tempo_bpm, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        octaves = np.floor(np.log2(tempo / cadence_spm) + 0.5)
        folded = tempo * np.exp2(-octaves)
    return np.where(tempo > 0, folded, np.nan)


def estimate_tempo(y: ArrayLike, fs_hz: float) -> TempoEstimate:
    """Estimate the tempo of mono audio with librosa's beat tracker.

    Parameters
    ----------
    y : array_like of float, shape (n,)
        Mono audio samples.
    fs_hz : float
        Sampling rate, Hz.

    Returns
    -------
    TempoEstimate
        NaN tempo and zero confidence when fewer than four beats are found (silence, a very short clip).

    Raises
    ------
    ParameterError
        Bad ``fs_hz`` or samples, or librosa is not installed.

    Notes
    -----
    An onset-strength envelope (11.6 ms hop at 22.05 kHz) feeds the dynamic-programming beat tracker of
    Ellis (2007) as implemented in librosa. The tempo is then refined from the beat times themselves (least
    squares slope of beat time against beat number), which is finer than the tracker's tempogram bins. The
    confidence compares the global tempo with librosa's local (8 s window) tempo estimates.

    D. P. W. Ellis, "Beat tracking by dynamic programming", J. New Music Research 36(1), 51-60, 2007.
    """
    if not (math.isfinite(fs_hz) and fs_hz > 0):
        raise ParameterError(f"{fs_hz=} must be > 0")
    samples = np.asarray(y, dtype=np.float32)
    if samples.ndim != 1:
        raise ParameterError(f"y must be mono (one-dimensional), got shape {samples.shape}")
    analysed_s = samples.size / fs_hz
    if samples.size < 4 * _HOP or not np.all(np.isfinite(samples)) or not np.any(samples):
        return TempoEstimate(math.nan, 0.0, 0, analysed_s)
    librosa = import_librosa()
    hop = max(1, round(_HOP * fs_hz / 22050))
    onset_env = librosa.onset.onset_strength(y=samples, sr=fs_hz, hop_length=hop)
    _, beat_times = librosa.beat.beat_track(onset_envelope=onset_env, sr=fs_hz, hop_length=hop, units="time")
    beat_times = np.asarray(beat_times, dtype=np.float64)
    if beat_times.size < 4:
        return TempoEstimate(math.nan, 0.0, int(beat_times.size), analysed_s)
    period_s = np.polyfit(np.arange(beat_times.size), beat_times, 1)[0]
    if not period_s > 0:
        return TempoEstimate(math.nan, 0.0, int(beat_times.size), analysed_s)
    tempo_bpm = 60.0 / period_s
    local_bpm = np.asarray(
        librosa.feature.tempo(onset_envelope=onset_env, sr=fs_hz, hop_length=hop, aggregate=None), dtype=float
    ).ravel()
    local_bpm = local_bpm[local_bpm > 0]
    if local_bpm.size == 0:
        confidence = 0.0
    else:
        octaves = np.log2(local_bpm / tempo_bpm)
        confidence = float(np.mean(np.abs(octaves - np.round(octaves)) <= np.log2(_AGREE_RATIO)))
    return TempoEstimate(float(tempo_bpm), confidence, int(beat_times.size), analysed_s)
