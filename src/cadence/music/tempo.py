"""Tempo of a piece of music from its audio, for tracks without a BPM tag (optional ``tempo`` extra).

:func:`estimate_tempo` takes samples (one array, or a few windows of one track) and returns a
:class:`TempoEstimate`. The metrical level is decided on a *cyclic tempogram* (the autocorrelation tempogram
of the onset envelope, summed over octaves), so every octave of a candidate votes for it and half- or
double-time feels cannot split its evidence; the candidates that are not octaves of each other (2:3, 3:4 ...)
compete, and the track is marked *uncertain* when they come close or when the local tempo disagrees with
the global one. librosa is imported lazily, so cadence works without the extra. :func:`fold_tempo_bpm`
folds an estimate by octaves into the running range, since the octave does not matter to a runner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ParameterError

__all__ = [
    "METHODS",
    "UNCERTAIN_RUNNER_UP",
    "UNCERTAIN_STABILITY",
    "TempoEstimate",
    "estimate_tempo",
    "fold_tempo_bpm",
    "import_librosa",
    "librosa_beat_tempo",
    "resolve_method",
]

#: analysis rate: audio is resampled to this, and the onset envelope has a hop of _HOP samples (11.6 ms)
_FS_HZ = 22050
_HOP = 256
_FPS = _FS_HZ / _HOP
#: tempogram window: 5.9 s of envelope per autocorrelation (512 frames of the onset envelope)
_TEMPOGRAM_WIN_S = 512 / _FPS
#: tempo classes per octave on the cyclic tempogram (0.58 % apart), and the octaves summed (30-480 BPM)
_BINS_PER_OCTAVE = 120
_LOW_BPM = 30.0
_N_OCTAVES = 4
#: octave weights: log-normal around 120 BPM, one octave wide (the preferred-tempo prior of Moelants
#: 2002, the same shape as librosa's default tempo prior); it only weighs octaves, never 2:3 against 3:2
_PRIOR_BPM = 120.0
_PRIOR_OCTAVES = 1.0
#: the octave reported for a class is chosen within this range
_REPORT_RANGE_BPM = (40.0, 240.0)
#: local tempo: the cyclic tempogram smoothed over 4 s, compared with the global class within 4 %
_LOCAL_SMOOTH_S = 4.0
_AGREE_OCTAVES = math.log2(1.04)
#: a runner-up class at least this strong relative to the winner makes the estimate uncertain
UNCERTAIN_RUNNER_UP = 0.9
#: estimators: "rnn" needs the tempo-rnn extra (madmom); "auto" picks it when it is installed
METHODS = ("auto", "rnn", "cyclic")
#: a share of the analysed time whose local tempo agrees with the global class below this: uncertain
UNCERTAIN_STABILITY = 0.5


@dataclass(frozen=True)
class TempoEstimate:
    """Tempo estimated from audio, with the evidence behind it.

    Attributes
    ----------
    tempo_bpm : float
        Beats per minute (the octave is a best guess; see :func:`fold_tempo_bpm`); NaN when no beat was
        found.
    confidence : float
        0-1: ``stability x margin``, where margin is ``clip(2 x (1 - runner_up), 0, 1)``: 1 when the best
        other (non-octave) tempo class is at most half as strong, 0 when it ties. Click tracks score about
        1; real music 0.2-0.9; speech or noise near 0.
    uncertain : bool
        The candidates disagree beyond octaves: the runner-up class is at least
        :data:`UNCERTAIN_RUNNER_UP` as strong as the winner, the pooled classes and the beat range pick
        different candidates (see :func:`estimate_tempo`, note 2), or less than
        :data:`UNCERTAIN_STABILITY` of the time agrees with the global class. Such a track should be
        listed, not matched.
    runner_up : float
        Strength of the best tempo class that is not an octave of ``tempo_bpm``, relative to the winner's
        (0-1).
    stability : float
        Share of the analysed time whose local tempo class (4 s) agrees with the strongest pooled class
        within 4 %.
    alternative_bpm : float
        The runner-up tempo (in its most likely octave), NaN when there is none.
    analysed_s : float
        Seconds of audio analysed.
    method : str
        ``"rnn"`` or ``"cyclic"``: the estimator that ran (see :func:`estimate_tempo`).
    """

    tempo_bpm: float
    confidence: float
    uncertain: bool
    runner_up: float
    stability: float
    alternative_bpm: float
    analysed_s: float
    method: str


def _nothing(analysed_s: float, method: str) -> TempoEstimate:
    return TempoEstimate(math.nan, 0.0, True, math.nan, 0.0, math.nan, analysed_s, method)


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


def _check_segments(y: ArrayLike | Sequence[ArrayLike], fs_hz: float) -> list[NDArray[np.float32]]:
    if not (isinstance(fs_hz, int | float | np.number) and math.isfinite(fs_hz) and fs_hz > 0):
        raise ParameterError(f"{fs_hz=} must be > 0")
    parts: list[Any] = [y]
    if isinstance(y, list | tuple) and y and all(isinstance(v, np.ndarray) for v in y):
        parts = list(y)  # windows of one track
    segments = []
    for part in parts:
        samples = np.asarray(part, dtype=np.float32)
        if samples.ndim != 1:
            raise ParameterError(f"y must be mono (one-dimensional), got shape {samples.shape}")
        segments.append(samples)
    return segments


def _on_grid(values: NDArray[np.float64], position: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows of ``values`` (bins, frames) linearly interpolated at fractional bin ``position``."""
    i0 = np.clip(np.floor(position).astype(int), 0, values.shape[0] - 2)
    frac = np.clip(position - i0, 0.0, 1.0)[:, None]
    return values[i0] * (1 - frac) + values[i0 + 1] * frac


def _onset_envelope(librosa: Any, y: NDArray[np.float32], fs_hz: float) -> NDArray[np.float64]:
    """Onset strength (librosa's spectral flux on a mel spectrogram) at :data:`_FPS` frames per second."""
    if fs_hz != _FS_HZ:
        y = librosa.resample(y, orig_sr=fs_hz, target_sr=_FS_HZ, res_type="soxr_hq")
    return np.asarray(librosa.onset.onset_strength(y=y, sr=_FS_HZ, hop_length=_HOP), dtype=np.float64)


def _salience(librosa: Any, env: NDArray[np.float64], fps: float) -> tuple[Any, Any]:
    """Pulse salience and periodicity of an envelope on the log-tempo grid, octave-weighted, (grid, frames).

    The salience of a tempo is the geometric mean of the autocorrelation tempogram (periodicity: high at
    the beat period and its multiples, i.e. half and third tempos) and the Fourier tempogram (sinusoidal
    pulse: high at the beat rate and its harmonics, double and triple tempos), each scaled to 1 per frame.
    Only a tempo both see stays strong (Peeters 2005). ``fps`` is the envelope's frame rate.
    """
    win = max(16, round(_TEMPOGRAM_WIN_S * fps))
    sr, hop = fps * _HOP, _HOP  # librosa only needs sr / hop_length, the frame rate
    acf = librosa.feature.tempogram(onset_envelope=env, sr=sr, hop_length=hop, win_length=win)
    dft = np.abs(librosa.feature.fourier_tempogram(onset_envelope=env, sr=sr, hop_length=hop, win_length=win))
    grid = _grid_bpm()
    n = min(acf.shape[1], dft.shape[1])
    periodicity = np.clip(_on_grid(acf[:, :n], 60.0 * fps / grid), 0.0, None)
    bpm_per_bin = 60.0 * fps / win  # Fourier tempogram bins are linear in BPM
    pulse = _on_grid(dft[:, :n], grid / bpm_per_bin)
    tiny = np.finfo(np.float64).tiny
    periodicity /= np.maximum(periodicity.max(axis=0, keepdims=True), tiny)
    pulse /= np.maximum(pulse.max(axis=0, keepdims=True), tiny)
    weights = _octave_weights(grid)[:, None]
    return np.sqrt(periodicity * pulse) * weights, periodicity * weights


def _grid_bpm() -> NDArray[np.float64]:
    n = _BINS_PER_OCTAVE * _N_OCTAVES
    return _LOW_BPM * np.exp2(np.arange(n) / _BINS_PER_OCTAVE)


def _octave_weights(bpm: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.exp(-0.5 * (np.log2(bpm / _PRIOR_BPM) / _PRIOR_OCTAVES) ** 2)


def _beat_level_salience(
    mean_salience: NDArray[np.float64], grid: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per tempo class, the strongest mean salience among its members in the beat range (40-240 BPM).

    The class sum of the cyclic tempogram also counts the tatum (the fastest pulse, above the beat
    range), which two candidates in a 3:2 relation share: 288 BPM triplet eighths are three to a 96 BPM
    beat and two to a 144 BPM one. The beat range leaves that shared evidence out.
    """
    lo, hi = _REPORT_RANGE_BPM
    in_range = np.where((grid >= lo) & (grid <= hi), mean_salience, 0.0)
    return in_range.reshape(_N_OCTAVES, _BINS_PER_OCTAVE).max(axis=0)


def _is_three_two(class_a: int, class_b: int) -> bool:
    """Whether two tempo classes are 3:2 relatives (3:2 and 4:3 are the same relation modulo octaves)."""
    apart = float(_class_distance_octaves((class_a - class_b) / _BINS_PER_OCTAVE, 0.0))
    return abs(apart - float(_class_distance_octaves(math.log2(1.5), 0.0))) <= _AGREE_OCTAVES


def _circular_peaks(s: NDArray[np.float64]) -> NDArray[np.intp]:
    """Return the indices of the local maxima of a circular array, strongest first."""
    is_peak = (s >= np.roll(s, 1)) & (s > np.roll(s, -1))
    peaks = np.flatnonzero(is_peak)
    return peaks[np.argsort(-s[peaks], kind="stable")]


def _parabolic(s: NDArray[np.float64], i: int) -> float:
    """Sub-bin position of the peak at ``i`` of a circular array."""
    a, b, c = s[i - 1], s[i], s[(i + 1) % s.size]
    den = a - 2 * b + c
    return float(i + (0.5 * (a - c) / den if den < 0 else 0.0))


def _class_distance_octaves(a: NDArray[np.float64] | float, b: float) -> NDArray[np.float64]:
    """Distance between tempo classes (positions in octaves modulo 1)."""
    d = np.abs(np.asarray(a, dtype=np.float64) - b) % 1.0
    return np.minimum(d, 1.0 - d)


def resolve_method(method: str) -> str:
    """Return the estimator ``method`` names: ``"rnn"`` or ``"cyclic"``.

    ``"auto"`` is ``"rnn"`` when madmom (the ``tempo-rnn`` extra) is installed, else ``"cyclic"``;
    ``"rnn"`` without madmom raises a :class:`ParameterError` that says how to install it.
    """
    if method not in METHODS:
        raise ParameterError(f"{method=} must be one of {', '.join(METHODS)}")
    if method == "cyclic":
        return method
    from . import beat_rnn

    try:
        beat_rnn.import_madmom()
    except ParameterError:
        if method == "rnn":
            raise
        return "cyclic"
    return "rnn"


def estimate_tempo(
    y: ArrayLike | Sequence[ArrayLike], fs_hz: float, *, method: str = "auto"
) -> TempoEstimate:
    """Estimate the tempo of mono audio, resolving the metrical level on a cyclic tempogram.

    Parameters
    ----------
    y : array_like of float, shape (n,), or a sequence of such arrays
        Mono audio samples, or a few windows of one track (analysed separately, their evidence pooled).
    fs_hz : float
        Sampling rate, Hz.
    method : {"auto", "rnn", "cyclic"}
        The envelope and the tempo vote (see Notes); ``"auto"`` is ``"rnn"`` when madmom is installed.

    Returns
    -------
    TempoEstimate
        NaN tempo, zero confidence and ``uncertain`` when there is no beat (silence, a very short clip).

    Raises
    ------
    ParameterError
        Bad ``fs_hz``, samples or ``method``; librosa (or, for ``"rnn"``, madmom) is not installed.

    Notes
    -----
    1. The onset strength envelope (librosa, 11.6 ms hop at 22.05 kHz), its autocorrelation and
       Fourier tempograms (5.9 s windows), combined as their geometric mean
       on a log-tempo grid (Peeters 2005): the autocorrelation also peaks at half and third tempos, the
       Fourier tempogram at double and triple tempos; only a real pulse is high in both.
    2. Cyclic tempogram (Kurth, Grosche & Müller 2010): that salience, weighted by a
       log-normal octave prior (120 BPM, one octave) and summed over the four octaves 30-480 BPM, so a
       tempo class gathers the evidence of its half, double and quadruple (beats, half-bars, bars,
       subdivisions). The two strongest classes over all windows are the candidates; by construction
       they are not octaves of each other (typically 2:3 or 3:4). The stronger wins, unless the other
       is its 3:2 relative and has the stronger member in the beat range 40-240 BPM: the class sum also
       counts the tatum, which two 3:2 relatives share (12/8 triplet eighths at 288 BPM are three to a
       96 BPM beat and two to a 144 BPM one), so the beat range decides and the track is marked uncertain.
    3. The octave of the winner is its member in 40-240 BPM with the largest weighted autocorrelation
       (periodicity favours the structural beat level over the subdivisions that the Fourier tempogram
       favours).
    4. ``"rnn"`` only: a second, independent vote. The tempo is the strongest peak of madmom's
       comb-filter histogram (Böck, Krebs & Widmer 2015) of the beat activation of its recurrent network
       (:mod:`cadence.music.beat_rnn`), summed over the windows; the cyclic vote of notes 1-3 tests it.
       When it is not an octave of the cyclic winner (within 4 %) the votes disagree: the comb filter's
       tempo is kept (the more accurate of the two, bench/tempo_accuracy.py), the cyclic one becomes the
       alternative, and the track is marked uncertain with confidence 0. The cyclic vote's runner-up and
       stability give the confidence either way (they flag tempo changes; the network's activation is
       too clean a pulse to show them).
    5. The tempo is refined on the autocorrelation of the envelope (``"rnn"``: the beat activation) at
       lags of 1, 2, 4 ... beats (up to 8 s), each peak located to a fraction of a frame: within 0.3 %
       on click tracks (tested).
    6. Stability: the share of frames whose local strongest class (4 s smoothing) agrees with the global
       one within 4 %. Confidence and ``uncertain`` combine the runner-up's strength and the stability
       (see :class:`TempoEstimate`).

    F. Kurth, P. Grosche, M. Müller, "Cyclic tempogram - a mid-level tempo representation for music
    signals", ICASSP 2010. G. Peeters, "Time variable tempo detection and beat marking", ICMC 2005.
    S. Böck, F. Krebs, G. Widmer, "Accurate tempo estimation based on recurrent neural networks and
    resonating comb filters", ISMIR 2015.
    """
    segments = _check_segments(y, fs_hz)
    librosa = import_librosa()  # fail early and clearly when the extra is missing
    method = resolve_method(method)
    analysed_s = sum(s.size for s in segments) / fs_hz
    min_samples = int(4.0 * fs_hz)  # under 4 s there is no tempo to speak of
    usable = [s for s in segments if s.size >= min_samples and np.all(np.isfinite(s)) and np.any(s)]
    if not usable:
        return _nothing(analysed_s, method)
    envs = [_onset_envelope(librosa, s, float(fs_hz)) for s in usable]
    ev = _cyclic_vote(librosa, envs, _FPS)
    if ev is None:
        return _nothing(analysed_s, method)
    coarse_bpm, alternative_bpm = ev.tempo_bpm, ev.alternative_bpm
    runner_up, disputed = ev.runner_up, ev.disputed
    fps = _FPS
    if method == "rnn":
        from . import beat_rnn

        activations = [beat_rnn.beat_activation(s, float(fs_hz)) for s in usable]
        tempi = beat_rnn.comb_tempo_bpm(activations)
        if tempi.shape[0]:
            comb_bpm = float(tempi[0, 0])
            if _class_distance_octaves(math.log2(comb_bpm / coarse_bpm), 0.0) > _AGREE_OCTAVES:
                alternative_bpm, runner_up, disputed = coarse_bpm, 1.0, True
            coarse_bpm, envs, fps = comb_bpm, activations, beat_rnn.FPS
    tempo_bpm = _refine(envs, coarse_bpm, fps)
    margin = min(1.0, max(0.0, 2.0 * (1.0 - runner_up)))
    confidence = ev.stability * margin
    uncertain = disputed or runner_up >= UNCERTAIN_RUNNER_UP or ev.stability < UNCERTAIN_STABILITY
    return TempoEstimate(
        tempo_bpm, confidence, bool(uncertain), runner_up, ev.stability, alternative_bpm, analysed_s, method
    )


@dataclass(frozen=True)
class _Vote:
    """The cyclic tempogram's vote: see :func:`estimate_tempo`, notes 2, 3 and 6."""

    tempo_bpm: float
    alternative_bpm: float
    runner_up: float
    stability: float
    disputed: bool


def _cyclic_vote(librosa: Any, envs: Sequence[NDArray[np.float64]], fps: float) -> _Vote | None:
    """Vote for a tempo class on the envelopes: the winner in its octave, the runner-up, the stability."""
    tgs, periodicities = zip(*(_salience(librosa, e, fps) for e in envs), strict=True)
    weighted = np.concatenate(tgs, axis=1)  # (grid, frames over all windows)
    if not np.any(weighted > 0):
        return None
    per_class = weighted.reshape(_N_OCTAVES, _BINS_PER_OCTAVE, -1).sum(axis=0)  # (classes, frames)
    strength = per_class.mean(axis=1)
    peaks = _circular_peaks(strength)
    if peaks.size == 0 or not strength[peaks[0]] > 0:
        return None
    grid = _grid_bpm()
    best, disputed = int(peaks[0]), False
    if peaks.size > 1 and _is_three_two(int(peaks[0]), int(peaks[1])):
        beat_level = _beat_level_salience(weighted.mean(axis=1), grid)
        if beat_level[peaks[1]] > beat_level[peaks[0]]:  # the shared tatum decided the vote: overrule it
            best, disputed = int(peaks[1]), True
    other = int(peaks[0] if disputed else peaks[1]) if peaks.size > 1 else -1
    runner_up = min(1.0, float(strength[other] / strength[best])) if other >= 0 else 0.0

    # local agreement: per window, smooth each class over ~4 s and take the strongest class per frame;
    # it is compared with the pooled vote's winner (a steady 12/8 track is steady, whichever candidate won)
    k = max(1, round(_LOCAL_SMOOTH_S * fps))
    best_pos = _parabolic(strength, int(peaks[0])) / _BINS_PER_OCTAVE
    agree = []
    for tg in tgs:
        cls = tg.reshape(_N_OCTAVES, _BINS_PER_OCTAVE, -1).sum(axis=0)
        csum = np.cumsum(np.pad(cls, ((0, 0), (1, 0))), axis=1)
        width = min(k, cls.shape[1])
        smooth = csum[:, width:] - csum[:, :-width]
        local = np.argmax(smooth, axis=0) / _BINS_PER_OCTAVE
        agree.append(_class_distance_octaves(local, best_pos) <= _AGREE_OCTAVES)
    stability = float(np.mean(np.concatenate(agree)))
    mean_periodicity = np.concatenate(periodicities, axis=1).mean(axis=1)

    def octave_of(class_index: int) -> float:
        members = np.arange(class_index, grid.size, _BINS_PER_OCTAVE)
        lo, hi = _REPORT_RANGE_BPM
        members = members[(grid[members] >= lo) & (grid[members] <= hi)]
        member = int(members[np.argmax(mean_periodicity[members])])
        frac = _parabolic(strength, class_index) - class_index
        return float(grid[member] * 2.0 ** (frac / _BINS_PER_OCTAVE))

    alternative = octave_of(other) if other >= 0 else math.nan
    return _Vote(octave_of(best), alternative, runner_up, stability, disputed)


def _refine(envs: Sequence[NDArray[np.float64]], coarse_bpm: float, fps: float) -> float:
    """Refine a tempo on the autocorrelation of the envelopes at lags of 1, 2, 4 ... beats.

    At each step the peak within a fifth of a beat of ``m`` periods is located to a fraction of a frame
    (parabolic interpolation) and gives a finer period; ``m`` doubles up to 8 s (or a third of the shortest
    window). Kept when it stays within 4 % of the coarse tempo.
    """
    period = 60.0 * fps / coarse_bpm  # frames
    n = min(e.size for e in envs)
    max_lag = min(8.0 * fps, n / 3)
    if period + 2 > max_lag:
        return coarse_bpm
    size = 1 << int(math.ceil(math.log2(2 * n)))
    n_lags = int(max_lag) + 2
    acf = np.zeros(n_lags)
    for env in envs:
        x = env - env.mean()
        spec = np.fft.rfft(x, size)
        acf += np.fft.irfft(spec * np.conj(spec), size)[:n_lags] / (x.size - np.arange(n_lags))
    m = 1
    while m * period <= max_lag:
        lo = max(1, int(math.floor((m - 0.2) * period)))
        hi = min(n_lags - 2, int(math.ceil((m + 0.2) * period)))
        i = lo + int(np.argmax(acf[lo : hi + 1]))
        a, b, c = acf[i - 1], acf[i], acf[i + 1]
        den = a - 2 * b + c
        period = (i + (0.5 * (a - c) / den if den < 0 else 0.0)) / m
        m *= 2
    refined = 60.0 * fps / period
    if abs(math.log2(refined / coarse_bpm)) <= math.log2(1.04):
        return float(refined)
    return coarse_bpm


def librosa_beat_tempo(y: ArrayLike, fs_hz: float) -> float:
    """Tempo from librosa's beat tracker with its defaults: cadence's estimator before issue 18.

    Kept for ``bench/tempo_accuracy.py`` as the baseline: ``beat_track`` on the onset envelope, then the
    least-squares slope of beat time against beat number. NaN with fewer than four beats.
    """
    librosa = import_librosa()
    samples = np.asarray(y, dtype=np.float32)
    hop = max(1, round(_HOP * fs_hz / 22050))
    env = librosa.onset.onset_strength(y=samples, sr=fs_hz, hop_length=hop)
    _, beats = librosa.beat.beat_track(onset_envelope=env, sr=fs_hz, hop_length=hop, units="time")
    beats = np.asarray(beats, dtype=np.float64)
    if beats.size < 4:
        return math.nan
    period_s = float(np.polyfit(np.arange(beats.size), beats, 1)[0])
    return 60.0 / period_s if period_s > 0 else math.nan
