"""Step detection from raw 3-axis accelerometer samples, for any placement and orientation.

Pure numpy: arrays in, a frozen :class:`StepResult` out. No I/O, no printing. The method (see
docs/accelerometer.md):

1. **Period per window.** The orientation-free acceleration magnitude is block-averaged to about 25 Hz,
   band-passed (0.6-6 Hz) and cut into 6 s windows every second. Each moving window's unbiased
   autocorrelation gives the repeat period. A stride (left + right step) always repeats; a step repeats only
   where the sensor sees both feet alike (waist, chest, hand). So the first strong autocorrelation peak is
   tested for a peak at half its lag: if there is one, the period was a *stride*. Periods longer than the
   slowest allowed step are strides by definition. In the remaining ambiguous band (a 0.55-0.92 s cycle is
   a slow walk's step or a fast run's stride) the typical peak acceleration decides: running hits harder
   than 2.5 g, walking does not. This keeps a shoe, a swinging arm or a back pocket from reporting half
   the step rate.
2. **Stepping or not.** A window is stepping when it moves (band-passed magnitude above the rest level) and
   its stride autocorrelation is high enough; standing, sitting and fidgeting give no steps.
3. **Step times.** The magnitude is band-passed narrowly around each window's step frequency (a small filter
   bank), which removes the stride harmonic; the peaks of that signal above a fraction of the local
   amplitude, at least 0.6 step periods apart, are the steps. Peaks just outside a stepping stretch (bout
   edges) count when they are as strong as the bout's own.

The per-second cadence comes from the step times (steps in a centred 5 s window).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..errors import ParameterError

__all__ = [
    "StepOptions",
    "StepResult",
    "estimate_steps",
    "steps_from_times",
]

_G_MS2 = 9.80665
#: the magnitude is block-averaged down to about this rate (>= it) before analysis
_INTERNAL_HZ = 25.0
#: lowest sampling rate the detector accepts: twice the highest step-band frequency (6.5 Hz)
MIN_FS_HZ = 13.0
#: half-width (as a frequency ratio) of the narrow band-pass around the step frequency
_BAND_RATIO = 1.25
#: an ambiguous period slower than this as a step, with peaks over _SLOW_STEP_PEAK_G, is read as a stride
_SLOW_STEP_SPM = 75.0
_SLOW_STEP_PEAK_G = 1.8


@dataclass(frozen=True)
class StepOptions:
    """Options of :func:`estimate_steps`; every field is validated on construction.

    Parameters
    ----------
    min_spm, max_spm : float
        Plausible step-rate range in steps per minute (defaults 65-220: slow walking to sprinting; slow
        walkers, e.g. people with MS, step at 70-80 spm).
    window_s : float
        Length of the analysis window for the step period, in seconds.
    hop_s : float
        Hop between analysis windows, in seconds (the resolution of the per-window confidence).
    min_intensity_ms2 : float
        Below this standard deviation of the band-passed magnitude (m/s^2) a window counts as still.
    min_periodicity : float
        Minimum autocorrelation at the stride lag for a window to count as stepping (0-1).
    running_peak_g : float
        Typical peak acceleration magnitude (g; the median over a window of each second's maximum) above
        which an ambiguous period (a 0.55-0.92 s cycle with no sub-harmonic) is read as a running stride
        rather than a slow walking step. Walking peaks stay below about 2 g at the hand, arm, neck and
        waist; running reaches 2.5-10 g.
    running_spm : float
        Cadence at or above which a second counts as running rather than walking.

    """

    min_spm: float = 65.0
    max_spm: float = 220.0
    window_s: float = 6.0
    hop_s: float = 1.0
    min_intensity_ms2: float = 0.25
    min_periodicity: float = 0.25
    running_peak_g: float = 2.5
    running_spm: float = 140.0

    def __post_init__(self) -> None:
        if not 30.0 <= self.min_spm < self.max_spm <= 300.0:
            raise ParameterError(
                f"min_spm={self.min_spm}, max_spm={self.max_spm}: need 30 <= min_spm < max_spm <= 300"
            )
        if self.window_s < 2 * 2 * 60.0 / self.min_spm:
            raise ParameterError(
                f"window_s={self.window_s} must cover at least two strides at min_spm "
                f"(>= {4 * 60.0 / self.min_spm:.2f} s)"
            )
        if not 0 < self.hop_s <= self.window_s:
            raise ParameterError(f"hop_s={self.hop_s} must be > 0 and <= window_s={self.window_s}")
        if self.min_intensity_ms2 < 0:
            raise ParameterError(f"min_intensity_ms2={self.min_intensity_ms2} must be >= 0")
        if not self.running_peak_g > 1.0:
            raise ParameterError(f"running_peak_g={self.running_peak_g} must be > 1 (gravity alone is 1 g)")
        if not 0 <= self.min_periodicity < 1:
            raise ParameterError(f"min_periodicity={self.min_periodicity} must be in [0, 1)")


@dataclass(frozen=True)
class StepResult:
    """Steps found in one recording, with the diagnostics behind them.

    Attributes
    ----------
    step_times_s : ndarray, shape (n_steps,)
        Time of each detected step, in the recording's time base (seconds).
    t_s : ndarray, shape (m,)
        Whole seconds of the per-second cadence series.
    cadence_spm : ndarray, shape (m,)
        Cadence from the step times around each second (steps/min); NaN where there is no stepping.
    running : ndarray of bool, shape (m,)
        Whether that second counts as running (``cadence_spm >= options.running_spm``).
    window_t_s : ndarray, shape (w,)
        Centre of each analysis window (seconds).
    window_cadence_spm : ndarray, shape (w,)
        Step rate from each window's period (steps/min); NaN where the window is not stepping.
    window_confidence : ndarray, shape (w,)
        Autocorrelation at the stride lag (0-1): how regular the stepping is; 0 where not stepping.
    window_stepping : ndarray of bool, shape (w,)
        Whether each window counts as stepping.
    n_steps : int
        Number of detected steps.
    walking_time_s, running_time_s : float
        Seconds of walking and of running (from the per-second series).
    options : StepOptions
        The options used.
    signal_ms2 : ndarray, shape (k,)
        The acceleration magnitude the steps were found on, block-averaged to about 25 Hz (for charts).
    signal_fs_hz, signal_t0_s : float
        Its sampling rate and the time of its first sample.

    """

    step_times_s: NDArray[np.float64]
    t_s: NDArray[np.float64]
    cadence_spm: NDArray[np.float64]
    running: NDArray[np.bool_]
    window_t_s: NDArray[np.float64]
    window_cadence_spm: NDArray[np.float64]
    window_confidence: NDArray[np.float64]
    window_stepping: NDArray[np.bool_]
    n_steps: int
    walking_time_s: float
    running_time_s: float
    options: StepOptions = field(default_factory=StepOptions)
    signal_ms2: NDArray[np.float64] = field(default_factory=lambda: np.empty(0), repr=False)
    signal_fs_hz: float = float("nan")
    signal_t0_s: float = 0.0

    @property
    def signal(self) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """``(t_s, magnitude)`` of the signal the steps were found on (about 25 Hz), or None without one."""
        if self.signal_ms2.size < 2:
            return None
        return self.signal_t0_s + np.arange(self.signal_ms2.size) / self.signal_fs_hz, self.signal_ms2

    @property
    def median_cadence_spm(self) -> float:
        """Median of the per-second cadence over the stepping seconds (NaN when there are none)."""
        ok = np.isfinite(self.cadence_spm)
        return float(np.median(self.cadence_spm[ok])) if ok.any() else float("nan")


def _empty_result(options: StepOptions) -> StepResult:
    f = np.empty(0)
    return StepResult(f, f, f, np.empty(0, bool), f, f, f, np.empty(0, bool), 0, 0.0, 0.0, options)


def _decimate(mag: NDArray[np.float64], fs_hz: float, target_hz: float) -> tuple[NDArray[np.float64], float]:
    """Block-average ``mag`` by the largest integer factor that keeps the rate >= ``target_hz``."""
    q = int(fs_hz / target_hz + 1e-9)
    if q < 2:
        return mag, fs_hz
    n = (len(mag) // q) * q
    out = mag[:n].reshape(-1, q).mean(axis=1)
    return out, fs_hz / q


def _bandpass(x: NDArray[np.float64], fs: float, lo_hz: float, hi_hz: float) -> NDArray[np.float64]:
    """Zero-phase band-pass with the magnitude of a forward-backward 2nd-order Butterworth, via the FFT.

    Same response as ``sosfiltfilt(butter(2, [lo_hz, hi_hz], "bandpass"))`` for these low frequencies (the
    analog prototype), computed in one FFT; the signal is mirrored at both ends to avoid wrap-around.
    """
    n = len(x)
    pad = min(n - 1, int(3 * fs / lo_hz)) if n > 1 else 0
    xp = np.pad(x - x.mean(), pad, mode="reflect") if pad else x - x.mean()
    nfft = _fast_len(len(xp))
    f = np.fft.rfftfreq(nfft, 1.0 / fs)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (f**2 - lo_hz * hi_hz) / (f * (hi_hz - lo_hz))
        gain = 1.0 / (1.0 + q**4)  # |H|^2 of the order-2 band-pass = forward-backward (zero phase)
    gain[0] = 0.0
    out = np.fft.irfft(np.fft.rfft(xp, nfft) * gain, nfft)[pad : pad + n]
    return out


def _thin_peaks(
    pk: NDArray[np.intp], y: NDArray[np.float64], min_gap: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Mask of the peaks to keep: of two peaks closer than ``min_gap`` (samples, per peak) drop the weaker.

    Repeated until no two kept peaks are too close; a peak stronger than both neighbours is always kept.
    """
    idx = np.arange(len(pk))
    for _ in range(50):
        if len(idx) < 2:
            break
        p = pk[idx]
        close = np.diff(p) < min_gap[idx[1:]]
        if not close.any():
            break
        v = y[p]
        weaker_first = v[:-1] < v[1:]
        drop = np.zeros(len(idx), bool)
        drop[:-1] |= close & weaker_first
        drop[1:] |= close & ~weaker_first
        local_best = np.ones(len(idx), bool)
        local_best[1:] &= v[1:] >= v[:-1]
        local_best[:-1] &= v[:-1] > v[1:]
        idx = idx[~drop | local_best]
    keep = np.zeros(len(pk), bool)
    keep[idx] = True
    return keep


def _fast_len(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (a fast FFT length)."""
    best = 1 << int(np.ceil(np.log2(n)))
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35 * (1 << max(0, int(np.ceil(np.log2(n / p35)))))
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _window_acf(
    x: NDArray[np.float64], win: int, starts: NDArray[np.intp], max_lag: int
) -> NDArray[np.float64]:
    """Unbiased, normalized autocorrelation of the windows of ``x`` starting at ``starts``.

    Returns an array of shape (len(starts), max_lag + 1); lag 0 is 1 (0 for a constant window).
    """
    nfft = _fast_len(win + max_lag + 1)
    lags = np.arange(max_lag + 1)
    out = np.empty((len(starts), max_lag + 1))
    view = np.lib.stride_tricks.sliding_window_view(x, win)
    block = max(1, (1 << 22) // nfft)  # bound the FFT scratch memory (~64 MiB)
    for i in range(0, len(starts), block):
        seg = view[starts[i : i + block]]
        seg = seg - seg.mean(axis=1, keepdims=True)
        spec = np.fft.rfft(seg, nfft, axis=1)
        r = np.fft.irfft(spec.real**2 + spec.imag**2, nfft, axis=1)[:, : max_lag + 1]
        r = r * (win / (win - lags))
        r0 = r[:, :1]
        out[i : i + block] = np.divide(r, r0, out=np.zeros_like(r), where=r0 > 0)
    return out


def _local_max(r: NDArray[np.float64]) -> NDArray[np.bool_]:
    m = np.zeros(r.shape, bool)
    m[:, 1:-1] = (r[:, 1:-1] > r[:, :-2]) & (r[:, 1:-1] >= r[:, 2:])
    return m


def _parabolic(r: NDArray[np.float64], k: NDArray[np.intp]) -> NDArray[np.float64]:
    """Sub-sample position of the peaks at integer lags ``k`` (one per row) by a parabola through 3 points."""
    rows = np.arange(len(k))
    k = np.clip(k, 1, r.shape[1] - 2)
    a, b, c = r[rows, k - 1], r[rows, k], r[rows, k + 1]
    den = a - 2 * b + c
    off = np.divide(0.5 * (a - c), den, out=np.zeros_like(den), where=den < 0)
    return k + np.clip(off, -0.5, 0.5)


def _step_periods(
    x: NDArray[np.float64], fs: float, opt: StepOptions, raw: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per window: centre (samples), step period (samples, NaN when still), confidence, intensity."""
    win = int(round(opt.window_s * fs))
    hop = max(1, int(round(opt.hop_s * fs)))
    k_step_min = 60.0 / opt.max_spm * fs
    k_step_max = 60.0 / opt.min_spm * fs
    k_stride_max = 2 * k_step_max
    max_lag = int(np.ceil(k_stride_max * 1.1)) + 2
    n_w = (len(x) - win) // hop + 1
    centres = np.arange(n_w) * hop + win / 2.0
    c1 = np.concatenate([[0.0], np.cumsum(x)])
    c2 = np.concatenate([[0.0], np.cumsum(x * x)])
    st = np.arange(n_w) * hop
    mean = (c1[st + win] - c1[st]) / win
    intensity = np.sqrt(np.maximum((c2[st + win] - c2[st]) / win - mean**2, 0.0))
    # typical peak: the median over the window of each hop's maximum of the raw magnitude, in g
    n_blocks = len(raw) // hop
    block_max = raw[: n_blocks * hop].reshape(n_blocks, hop).max(axis=1)
    per_win = max(1, win // hop)
    bm_view = np.lib.stride_tricks.sliding_window_view(block_max, per_win)
    peak_g = np.median(bm_view[:n_w], axis=1) / _G_MS2 if len(bm_view) >= n_w else np.zeros(n_w)
    # autocorrelation only where something moves (most of a day is still)
    r = np.zeros((n_w, max_lag + 1))
    active = np.flatnonzero(intensity >= opt.min_intensity_ms2)
    if len(active):
        r[active] = _window_acf(x, win, active * hop, max_lag)

    lags = np.arange(max_lag + 1)
    peak = _local_max(r) & (lags >= np.floor(k_step_min)) & (lags <= np.ceil(k_stride_max))
    rp = np.where(peak, r, -np.inf)
    rmax = rp.max(axis=1)
    has_peak = np.isfinite(rmax) & (rmax > 0)
    # first peak that is nearly as strong as the strongest: the fundamental repeat period
    strong = peak & (r >= 0.7 * rmax[:, None]) & (r > 0)
    k_first = np.where(strong.any(axis=1), strong.argmax(axis=1), 0)
    period = _parabolic(r, k_first)

    # is there a peak near half that period? then the period is a stride
    half = period / 2.0
    near_half = peak & (np.abs(lags - half[:, None]) <= 0.2 * half[:, None] + 1)
    r_half = np.where(near_half, r, -np.inf).max(axis=1)
    half_ok = (r_half > 0.1) & (r_half > 0.2 * rmax) & (half >= k_step_min * 0.95)
    too_long = period > k_step_max * 1.02
    # ambiguous period, no sub-harmonic: a stride if the sensor is hit hard (running), or if it would be a
    # very slow step (under 75 spm) of a sensor that still sees impacts over 1.8 g (a foot while walking fast)
    hard = (peak_g >= opt.running_peak_g) | (
        (period > fs * 60.0 / _SLOW_STEP_SPM) & (peak_g >= _SLOW_STEP_PEAK_G)
    )
    ambiguous = ~half_ok & ~too_long & (half >= k_step_min * 0.95) & hard
    is_stride = half_ok | too_long | ambiguous
    stride = np.where(is_stride, period, 2 * period)
    step = stride / 2.0
    # confidence: the autocorrelation at the stride lag (two steps), best of the 3 nearest lags
    rows = np.arange(n_w)
    k_stride = np.clip(np.round(stride).astype(np.intp), 1, max_lag - 1)
    conf = np.clip(
        np.maximum(r[rows, k_stride], np.maximum(r[rows, k_stride - 1], r[rows, k_stride + 1])), 0, 1
    )
    ok = (
        has_peak
        & (intensity >= opt.min_intensity_ms2)
        & (conf >= opt.min_periodicity)
        & (step >= k_step_min * 0.95)
        & (step <= k_step_max * 1.05)
    )
    step = np.where(ok, step, np.nan).astype(np.float64)
    conf = np.where(ok, conf, 0.0).astype(np.float64)
    return centres.astype(np.float64), step, conf, intensity.astype(np.float64)


def _band_bank(opt: StepOptions) -> NDArray[np.float64]:
    """Centre frequencies (Hz) of the narrow band-pass filters, log-spaced over the step-rate range."""
    lo, hi = opt.min_spm / 60.0, opt.max_spm / 60.0
    n = int(np.ceil(np.log(hi / lo) / np.log(1.08))) + 1
    return lo * (hi / lo) ** (np.arange(n) / (n - 1))


def estimate_steps(
    acc_ms2: NDArray[np.floating],
    fs_hz: float,
    *,
    t0_s: float = 0.0,
    options: StepOptions | None = None,
    gravity_included: bool = True,
) -> StepResult:
    """Detect steps and the cadence series in a uniformly sampled 3-axis accelerometer recording.

    Parameters
    ----------
    acc_ms2 : ndarray, shape (n, 3)
        Acceleration in m/s^2, gravity included, in any sensor orientation.
    fs_hz : float
        Sampling rate in Hz (uniform sampling; a reader resamples irregular data first).
    t0_s : float
        Time of the first sample in seconds; every returned time is in this time base.
    options : StepOptions, optional
        Detector options; defaults to :class:`StepOptions()`.
    gravity_included : bool
        False for "linear acceleration" (gravity removed by the phone): the magnitude of a gravity-free
        signal is rectified and shows twice the step rate, so the projection on the principal axis of
        the movement is used instead.

    Returns
    -------
    StepResult
        Step times, per-second cadence, per-window period and confidence, walking and running time.
        A recording too short for one analysis window, or without stepping, gives ``n_steps=0``.

    Raises
    ------
    ParameterError
        If ``acc_ms2`` is not (n, 3), has non-finite values, or ``fs_hz`` is not a positive number.

    Notes
    -----
    Autocorrelation of the acceleration magnitude per window finds the step period; a half-lag peak test and
    the step-rate range tell a stride from a step (one dominant cycle per stride is what a shoe, a swinging
    arm or a back pocket sees). Steps are the peaks of the magnitude band-passed around the window's step
    frequency. Autocorrelation step-period estimation follows Zijlstra & Hof, Gait Posture 18 (2003) and
    Moe-Nilssen & Helbostad, J Biomech 37 (2004).

    """
    opt = options if options is not None else StepOptions()
    mag = _movement_signal(_checked_input(acc_ms2, fs_hz), gravity_included)
    x_raw, fs = _decimate(mag, float(fs_hz), _INTERNAL_HZ)
    del mag
    if fs < MIN_FS_HZ:
        raise ParameterError(f"{fs_hz=} is too low: step detection needs >= {MIN_FS_HZ:g} Hz")
    win = int(round(opt.window_s * fs))
    if len(x_raw) < win:
        return _empty_result(opt)
    x = _bandpass(x_raw, fs, 0.6, 6.0)

    centres, step, conf, _ = _step_periods(x, fs, opt, x_raw if gravity_included else x_raw + _G_MS2)
    stepping = np.isfinite(step)
    window_t = t0_s + centres / fs
    window_spm = 60.0 * fs / step
    if not stepping.any():
        return dataclasses.replace(
            _empty_result(opt),
            window_t_s=window_t,
            window_cadence_spm=window_spm,
            window_confidence=conf,
            window_stepping=stepping,
            **_per_second(np.empty(0), t0_s, t0_s + len(x) / fs, opt),
        )
    plan = _WindowPlan.from_periods(centres, step, len(x), fs, opt)
    y = _narrow_bandpass(x, fs, plan)
    pk = _pick_steps(y, fs, plan, opt)
    steps_t = t0_s + pk / fs
    per = _per_second(steps_t, t0_s, t0_s + len(x) / fs, opt)
    return StepResult(
        step_times_s=steps_t,
        window_t_s=window_t,
        window_cadence_spm=window_spm,
        window_confidence=conf,
        window_stepping=stepping,
        n_steps=len(steps_t),
        options=opt,
        signal_ms2=x_raw,
        signal_fs_hz=fs,
        signal_t0_s=t0_s,
        **per,
    )


def steps_from_times(
    step_times_s: NDArray[np.floating],
    t_start_s: float,
    t_end_s: float,
    options: StepOptions | None = None,
) -> StepResult:
    """Wrap step times found elsewhere (a live session, a saved step list) in a :class:`StepResult`.

    The per-second cadence, walking and running time are computed as for :func:`estimate_steps`; there are
    no analysis windows and no signal.

    Parameters
    ----------
    step_times_s : ndarray, shape (n,)
        Step times in seconds (sorted or not).
    t_start_s, t_end_s : float
        The stretch of time the steps come from.
    options : StepOptions, optional
        For the running threshold and the slowest step rate (long pauses).

    Raises
    ------
    ParameterError
        If a time is not finite or ``t_end_s < t_start_s``.

    """
    opt = options if options is not None else StepOptions()
    st = np.sort(np.asarray(step_times_s, dtype=np.float64).reshape(-1))
    if not (np.isfinite(st).all() and np.isfinite(t_start_s) and np.isfinite(t_end_s)):
        raise ParameterError("step times and the stretch they come from must be finite")
    if t_end_s < t_start_s:
        raise ParameterError(f"{t_end_s=} must not be before {t_start_s=}")
    f = np.empty(0)
    return StepResult(
        step_times_s=st,
        window_t_s=f,
        window_cadence_spm=f,
        window_confidence=f,
        window_stepping=np.empty(0, bool),
        n_steps=len(st),
        options=opt,
        **_per_second(st, float(t_start_s), float(t_end_s), opt),
    )


def _checked_input(acc_ms2: NDArray[np.floating], fs_hz: float) -> NDArray[np.float64]:
    """Return ``acc_ms2`` as float64 (n, 3) after the detector's input checks (no full-size temporaries)."""
    acc = np.asarray(acc_ms2, dtype=np.float64)
    if acc.ndim != 2 or acc.shape[1] != 3:
        raise ParameterError(f"acc_ms2 must have shape (n, 3), got {acc.shape}")
    if not (np.isfinite(fs_hz) and fs_hz > 0):
        raise ParameterError(f"{fs_hz=} must be a positive number")
    if not np.isfinite(acc.sum()):  # one pass, no temporary; the slow check only when something is off
        if not np.isfinite(acc).all():
            raise ParameterError("acc_ms2 contains NaN or infinite values; drop or interpolate them first")
    if acc.size and max(float(acc.max()), -float(acc.min())) > 1e5:
        raise ParameterError("acc_ms2 has values beyond 1e5 m/s^2 (10,000 g): wrong units?")
    return acc


def _movement_signal(acc: NDArray[np.float64], gravity_included: bool) -> NDArray[np.float64]:
    """One signal per sample: the magnitude, or for gravity-free data the principal-axis projection."""
    if gravity_included:
        mag = np.square(acc[:, 0])  # in place from here: a day at 100 Hz is 8.6 M samples
        tmp = np.square(acc[:, 1])
        mag += tmp
        np.square(acc[:, 2], out=tmp)
        mag += tmp
        del tmp
        np.sqrt(mag, out=mag)
        return mag
    centred = acc - acc.mean(axis=0)
    _, vecs = np.linalg.eigh(centred.T @ centred)
    return np.asarray(acc @ vecs[:, -1], dtype=np.float64)


@dataclass(frozen=True)
class _WindowPlan:
    """Per analysis window: the step period to look for, its filter band, and which samples it owns."""

    n: int  # samples of the signal
    hop: int  # samples between window centres
    lead: int  # samples owned by window 0
    stepping: NDArray[np.bool_]  # the window itself found a step period
    near: NDArray[np.bool_]  # a stepping window lies within half a window
    period: NDArray[np.float64]  # step period in samples lent by the nearest stepping window (nan: none)
    band: NDArray[np.intp]  # index into the band bank (-1: none)
    bank: NDArray[np.float64]  # band-pass centre frequencies, Hz

    @property
    def ok(self) -> NDArray[np.bool_]:
        """Windows with a step period."""
        return np.isfinite(self.period)

    @classmethod
    def from_periods(
        cls, centres: NDArray[np.float64], step: NDArray[np.float64], n: int, fs: float, opt: StepOptions
    ) -> _WindowPlan:
        """Lend each window the step period of the nearest stepping window (within half a window)."""
        stepping = np.isfinite(step)
        n_w = len(centres)
        hop = int(round(centres[1] - centres[0])) if n_w > 1 else n
        w_ok = np.flatnonzero(stepping)
        pos = np.searchsorted(w_ok, np.arange(n_w))
        left = w_ok[np.clip(pos - 1, 0, len(w_ok) - 1)]
        right = w_ok[np.clip(pos, 0, len(w_ok) - 1)]
        wi = np.arange(n_w)
        nearest_ok = np.where(np.abs(left - wi) <= np.abs(right - wi), left, right)
        reach = int(np.ceil(opt.window_s / 2 / opt.hop_s))
        near = np.abs(nearest_ok - wi) <= reach
        period = np.where(near, step[nearest_ok], np.nan)  # samples
        bank = _band_bank(opt)
        ratio = bank[1] / bank[0]
        band = np.full(n_w, -1, np.intp)
        ok = np.isfinite(period)
        band[ok] = np.clip(np.round(np.log(fs / period[ok] / bank[0]) / np.log(ratio)), 0, len(bank) - 1)
        # sample i belongs to the window whose centre is nearest: window 0 up to ``lead``, then one per hop
        lead = min(n, int(round(centres[0])) + hop // 2)
        return cls(n, hop, lead, stepping, near, period, band, bank)

    def window_of(self, i: NDArray[np.intp]) -> NDArray[np.intp]:
        """Return the window that owns each sample index ``i``."""
        return np.clip(np.where(i < self.lead, 0, 1 + (i - self.lead) // self.hop), 0, len(self.period) - 1)


def _narrow_bandpass(x: NDArray[np.float64], fs: float, plan: _WindowPlan) -> NDArray[np.float64]:
    """Band-pass each stretch of ``x`` around its windows' step frequency (zero where none is known)."""
    n, n_w, lead, hop = plan.n, len(plan.period), plan.lead, plan.hop
    y = np.zeros(n)
    for b in np.unique(plan.band[plan.ok]):
        fc = plan.bank[b]
        sel_w = np.flatnonzero(plan.band == b)
        # filter only the stretches that use this band (with some padding), not the whole day
        breaks = np.flatnonzero(np.diff(sel_w) > 1)
        starts_w = np.concatenate([[sel_w[0]], sel_w[breaks + 1]])
        ends_w = np.concatenate([sel_w[breaks], [sel_w[-1]]])
        pad = int(3 * fs)
        for w0, w1 in zip(starts_w, ends_w, strict=True):
            lo = 0 if w0 == 0 else lead + (w0 - 1) * hop
            hi = n if w1 == n_w - 1 else lead + w1 * hop
            a0, z0 = max(0, lo - pad), min(n, hi + pad)
            y[lo:hi] = _bandpass(x[a0:z0], fs, fc / _BAND_RATIO, min(fc * _BAND_RATIO, 0.45 * fs))[
                lo - a0 : hi - a0
            ]
    return y


def _pick_steps(y: NDArray[np.float64], fs: float, plan: _WindowPlan, opt: StepOptions) -> NDArray[np.intp]:
    """Sample indices of the steps: the strong, well-spaced maxima of the band-passed signal ``y``."""
    n = plan.n
    # candidate steps: local maxima of the band-passed signal where a step period is known
    pk = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    wk = plan.window_of(pk)
    sel = plan.ok[wk]
    pk, wk = pk[sel], wk[sel]
    period_pk = plan.period[wk]
    min_dist = 0.55 * float(np.nanmin(plan.period[plan.ok]))
    keep = _thin_peaks(pk, y, np.full(len(pk), min_dist))
    pk, wk, period_pk = pk[keep], wk[keep], period_pk[keep]
    # above 30 % of the local amplitude (RMS over about two strides, evaluated at the peaks only)
    half_w = max(1, int(round(1.25 * fs)))
    csq = np.concatenate([[0.0], np.cumsum(y * y)])
    lo_i, hi_i = np.clip(pk - half_w, 0, n), np.clip(pk + half_w, 0, n)
    env = np.sqrt(2 * np.maximum((csq[hi_i] - csq[lo_i]) / np.maximum(hi_i - lo_i, 1), 0.0))
    keep = y[pk] > 0.3 * env
    pk, wk, period_pk = pk[keep], wk[keep], period_pk[keep]
    # peaks outside the stepping windows (bout edges) must be half as strong as the bout's own steps
    if len(pk):
        lab_w = np.cumsum(np.diff(plan.near.astype(np.int8), prepend=0) == 1) * plan.near
        n_lab = int(lab_w.max())
        core_pk = plan.stepping[wk]
        amp = y[pk]
        labels = lab_w[wk]
        mean_amp = np.full(n_lab + 1, np.inf)
        if core_pk.any():
            sums = np.bincount(labels[core_pk], weights=amp[core_pk], minlength=n_lab + 1)
            cnts = np.bincount(labels[core_pk], minlength=n_lab + 1)
            mean_amp = np.divide(sums, cnts, out=np.full(n_lab + 1, np.inf), where=cnts > 0)
        keep = core_pk | (amp >= 0.5 * mean_amp[labels])
        # and no peak under a tenth of the amplitude over two windows around it (+-6 s): a 6 s window that
        # holds the first or last steps of a short walk also holds standing, whose noise peaks pass the
        # local (2.5 s) test (a 10 s hand-held walk padded with 4 s of standing read 30 steps instead of
        # 19, and 103 instead of 118 spm); a walk next to a run stays well above a tenth of the run's
        half_l = max(1, int(round(opt.window_s * fs)))
        lo_l, hi_l = np.clip(pk - half_l, 0, n), np.clip(pk + half_l, 0, n)
        env_l = np.sqrt(2 * np.maximum((csq[hi_l] - csq[lo_l]) / np.maximum(hi_l - lo_l, 1), 0.0))
        keep &= amp >= 0.1 * env_l
        pk, period_pk = pk[keep], period_pk[keep]
    # enforce a minimum spacing of 0.6 local step periods (drop the weaker of two close peaks)
    return pk[_thin_peaks(pk, y, 0.6 * period_pk)]


def _per_second(steps_t: NDArray[np.float64], t_start: float, t_end: float, opt: StepOptions) -> dict:
    """Per-second cadence from step times: steps in a centred 5 s window; NaN where fewer than 3 steps."""
    t = np.arange(np.ceil(t_start), t_end)  # each second [t, t + 1) that starts inside the recording
    cad = np.full(len(t), np.nan)
    if len(steps_t) >= 3 and len(t):
        half = 2.5
        i0 = np.searchsorted(steps_t, t - half)
        i1 = np.searchsorted(steps_t, t + half) - 1
        nint = i1 - i0
        ok = nint >= 2
        span = steps_t[np.clip(i1, 0, None)] - steps_t[np.clip(i0, 0, len(steps_t) - 1)]
        good = ok & (span > 0)
        cad[good] = 60.0 * nint[good] / span[good]
        # no cadence across long pauses: the span must be filled with steps at that rate
        max_gap = 60.0 / opt.min_spm * 1.6
        gaps = np.diff(steps_t)
        big = np.concatenate([[0], np.cumsum(gaps > max_gap)])
        cross = big[np.clip(i1, 0, len(steps_t) - 1)] != big[np.clip(i0, 0, len(steps_t) - 1)]
        cad[cross] = np.nan
    running = np.isfinite(cad) & (cad >= opt.running_spm)
    walking = np.isfinite(cad) & ~running
    return {
        "t_s": t,
        "cadence_spm": cad,
        "running": running,
        "walking_time_s": float(walking.sum()),
        "running_time_s": float(running.sum()),
    }
