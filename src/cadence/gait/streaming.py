"""Causal (streaming) step detection: feed accelerometer chunks as they arrive, get steps as they happen.

Pure numpy, no I/O: the live sources (``cadence.live``) and the tests feed it. It is the offline
detector (:func:`cadence.gait.steps.estimate_steps`, same method, same constants) run again and again on a
sliding buffer of the most recent seconds of signal:

1. Incoming samples (any, changing, irregular rate) are put on a fixed uniform grid (``grid_hz``) anchored at
   the start of the current *segment*, by linear interpolation from the previous sample; the grid's
   decimation blocks therefore stay aligned from one update to the next.
   The buffer starts on a whole analysis hop from the segment start, so its 6 s windows sit where the
   offline detector's windows sit.
2. Every ``update_s`` of stream time the detector runs on the last ``buffer_s`` of grid samples. A step it
   finds is *reported* once ``lookahead_s`` of signal follows it (the narrow band-pass and the peak test need
   a little signal on both sides), unless a step already lies within half a step period of it (the same
   step found again, a few milliseconds away). Steps found a little late (the first steps of a bout) are
   still reported up to ``backfill_s`` back.
3. A reported step is *settled* once ``settle_s`` of signal follows it: by then the analysis windows around
   it exist, so the run that settles it sees what the offline detector sees. Each stretch of time is settled
   by exactly one run: its steps are final (keeping the report time of the reported step they match), a
   reported step it does not find is *retracted* (typically the last one or two steps before the runner
   stops, which looked like stepping before the window after them existed), and a step it finds that was
   never reported is added with the settle time as its report time. The final steps are therefore the
   offline detector's, and the report delay is that of the first stage.
4. A pause in the samples longer than ``max_gap_s`` ends the segment: what is left of it is confirmed (no
   more signal will come) and a new segment starts. Repeated samples (duplicated batches) and samples older
   than the newest one (late batches) are dropped and counted. The stream time may jump: a jump back
   (the phone restarted its measurement) or, when the caller gives the arrival time, a jump forward much
   larger than the time that passed, are folded into an offset so that the session's time base stays
   monotonic and real.

Every time in and out is the *session* time base: the stream's own times plus the folded clock-jump offset
(zero unless the clock jumped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..errors import ParameterError
from .steps import MIN_FS_HZ, StepOptions, estimate_steps

__all__ = ["StepUpdate", "StreamOptions", "StreamStats", "StreamingStepDetector"]


@dataclass(frozen=True)
class StreamOptions:
    """Options of :class:`StreamingStepDetector`; validated on construction.

    Parameters
    ----------
    step : StepOptions
        Options of the offline detector that runs on the buffer.
    grid_hz : float
        Rate of the uniform grid the samples are put on (>= 2 x 13 Hz so the detector keeps its 25 Hz).
    buffer_s : float
        Seconds of signal the detector re-analyses at each update (>= ``step.window_s + 2 * step.hop_s``).
    update_s : float
        Stream time between two runs of the detector (the report delay is about ``lookahead_s`` plus half
        of this, plus the source's own batching).
    lookahead_s : float
        Signal needed after a step before it is reported.
    backfill_s : float
        How far back a step found late may still be reported.
    settle_s : float
        Signal needed after a step before it is final (``>= step.window_s / 2 + step.hop_s`` and
        ``<= buffer_s - step.window_s / 2``).
    max_gap_s : float
        A pause between samples longer than this ends the segment (no steps are found across it).
    clock_jump_s : float
        With arrival times given, a forward jump of the stream clock this much larger than the arrival
        time that passed is a clock jump, not a pause.

    """

    step: StepOptions = field(default_factory=StepOptions)
    grid_hz: float = 50.0
    buffer_s: float = 10.0
    update_s: float = 0.15
    lookahead_s: float = 0.15
    backfill_s: float = 2.0
    settle_s: float = 4.5
    max_gap_s: float = 0.5
    clock_jump_s: float = 2.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.grid_hz) and 2 * MIN_FS_HZ <= self.grid_hz <= 1000.0):
            raise ParameterError(f"grid_hz={self.grid_hz} must be within {2 * MIN_FS_HZ:g}-1000 Hz")
        need = self.step.window_s + 2 * self.step.hop_s
        if not self.buffer_s >= need:
            raise ParameterError(f"buffer_s={self.buffer_s} must be >= window_s + 2 hops ({need:g} s)")
        if not 0 < self.update_s <= 5.0:
            raise ParameterError(f"update_s={self.update_s} must be within 0-5 s")
        if not 0 <= self.lookahead_s < self.buffer_s / 2:
            raise ParameterError(f"lookahead_s={self.lookahead_s} must be >= 0 and < buffer_s / 2")
        if not self.lookahead_s <= self.backfill_s <= self.settle_s:
            raise ParameterError(f"backfill_s={self.backfill_s} must be within lookahead_s-settle_s")
        lo, hi = self.step.window_s / 2 + self.step.hop_s, self.buffer_s - self.step.window_s / 2
        if not lo <= self.settle_s <= hi:
            raise ParameterError(f"settle_s={self.settle_s} must be within {lo:g}-{hi:g} s")
        if not self.max_gap_s > 0:
            raise ParameterError(f"max_gap_s={self.max_gap_s} must be > 0")
        if not self.clock_jump_s > 0:
            raise ParameterError(f"clock_jump_s={self.clock_jump_s} must be > 0")


@dataclass(frozen=True)
class StepUpdate:
    """What one call changed: steps newly reported (in time order) and reported steps withdrawn.

    Attributes
    ----------
    t_s : ndarray, shape (k,)
        Session time of each newly reported step.
    detected_at_s : ndarray, shape (k,)
        Session time of the newest sample when it was reported (``>= t_s``).
    retracted_s : ndarray, shape (r,)
        Times of earlier reported steps that the settling run did not confirm.

    """

    t_s: NDArray[np.float64]
    detected_at_s: NDArray[np.float64]
    retracted_s: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True)
class StreamStats:
    """What the detector did with its input so far (diagnostics for the live screen and the summary)."""

    n_samples: int
    n_duplicate: int
    n_late: int
    n_invalid: int
    n_gaps: int
    n_clock_jumps: int
    gap_s: float
    clock_offset_s: float
    rate_hz: float


_EMPTY = np.empty(0)
_NONE = StepUpdate(_EMPTY, _EMPTY, _EMPTY)


class StreamingStepDetector:
    """Causal step detector: :meth:`feed` chunks of samples, get the newly confirmed steps.

    Parameters
    ----------
    options : StreamOptions, optional
        Buffer, grid and timing options.
    gravity_included : bool
        False for a "linear acceleration" stream (gravity removed by the phone), as in
        :func:`cadence.gait.steps.estimate_steps`.

    Notes
    -----
    The method is the offline detector's (autocorrelation step period per 6 s window, narrow band-pass
    around the step frequency, peaks), applied to a sliding buffer; see the module docstring. The offline
    detector follows Zijlstra & Hof, Gait Posture 18 (2003).

    """

    def __init__(self, options: StreamOptions | None = None, *, gravity_included: bool = True) -> None:
        self.options = options if options is not None else StreamOptions()
        self.gravity_included = gravity_included
        opt = self.options
        self._q = max(1, int(opt.grid_hz / 25.0 + 1e-9))  # the offline detector's decimation factor
        self._dt = 1.0 / opt.grid_hz
        hop = max(1, int(round(opt.step.hop_s * opt.grid_hz / self._q))) * self._q
        self._trim = math.lcm(hop, self._q)
        self._steps: list[float] = []  # final steps (settled), sorted
        self._detected: list[float] = []
        self._prov: list[float] = []  # reported, not yet settled, sorted
        self._prov_at: list[float] = []
        self._n_retracted = 0
        self._retracted_now: list[float] = []
        self._late_now: list[tuple[float, float]] = []
        self._offset = 0.0  # session time = stream time + offset
        self._last_t = -math.inf  # newest sample, session time
        self._last_arrival: float | None = None
        self._last_t_at_arrival = -math.inf
        self._n_samples = self._n_dup = self._n_late = self._n_invalid = 0
        self._n_gaps = self._n_jumps = 0
        self._gap_s = 0.0
        self._rate_t: list[float] = []  # recent sample times for the rate estimate
        self._reset_segment()

    # -- state ----------------------------------------------------------------------------------------------

    def _reset_segment(self) -> None:
        self._seg_t0: float | None = None  # time of grid sample 0 of this segment
        self._k0 = 0  # grid index of the first buffered sample
        self._grid = np.empty((0, 3))
        self._prev: tuple[float, NDArray[np.float64]] | None = None  # last raw sample (for interpolation)
        self._next_update = -math.inf
        self._settled_to = -math.inf
        self._reported_to = math.inf  # no run yet: the backfill limit applies

    @property
    def step_times_s(self) -> NDArray[np.float64]:
        """Every step so far, final ones and reported ones not yet settled (session time, sorted)."""
        return np.asarray(self._steps + self._prov, dtype=np.float64)

    @property
    def detected_at_s(self) -> NDArray[np.float64]:
        """When each step of :attr:`step_times_s` was reported."""
        return np.asarray(self._detected + self._prov_at, dtype=np.float64)

    @property
    def final_step_times_s(self) -> NDArray[np.float64]:
        """The settled steps only (all of them after :meth:`flush`)."""
        return np.asarray(self._steps, dtype=np.float64)

    @property
    def n_steps(self) -> int:
        """Number of steps so far (final and reported)."""
        return len(self._steps) + len(self._prov)

    @property
    def n_retracted(self) -> int:
        """Reported steps withdrawn so far by the settling runs."""
        return self._n_retracted

    @property
    def latest_s(self) -> float:
        """Session time of the newest sample (``-inf`` before the first)."""
        return self._last_t

    @property
    def stats(self) -> StreamStats:
        """Input diagnostics so far."""
        rt = self._rate_t
        rate = (len(rt) - 1) / (rt[-1] - rt[0]) if len(rt) > 1 and rt[-1] > rt[0] else float("nan")
        return StreamStats(
            self._n_samples,
            self._n_dup,
            self._n_late,
            self._n_invalid,
            self._n_gaps,
            self._n_jumps,
            self._gap_s,
            self._offset,
            float(rate),
        )

    # -- input ----------------------------------------------------------------------------------------------

    def feed(
        self,
        t_s: NDArray[np.floating] | list[float],
        acc_ms2: NDArray[np.floating] | list[list[float]],
        *,
        arrival_s: float | None = None,
    ) -> StepUpdate:
        """Add a chunk of samples and return the steps confirmed by it.

        Parameters
        ----------
        t_s : array_like, shape (n,)
            Stream times of the samples (seconds, any origin; need not be sorted).
        acc_ms2 : array_like, shape (n, 3)
            Acceleration in m/s^2; rows with a non-finite value are dropped.
        arrival_s : float, optional
            When the chunk arrived (any monotonic clock, seconds). Lets a forward jump of the stream
            clock be told from a real pause.

        Returns
        -------
        StepUpdate
            Newly confirmed steps (possibly none).

        Raises
        ------
        ParameterError
            If the shapes do not match.

        """
        t = np.asarray(t_s, dtype=np.float64).reshape(-1)
        acc = np.asarray(acc_ms2, dtype=np.float64)
        if acc.ndim != 2 or acc.shape[1] != 3 or len(acc) != len(t):
            raise ParameterError(f"acc_ms2 must have shape ({len(t)}, 3), got {acc.shape}")
        ok = np.isfinite(t) & np.isfinite(acc).all(axis=1)
        self._n_invalid += int((~ok).sum())
        t, acc = t[ok], acc[ok]
        if len(t) == 0:
            return _NONE
        order = np.argsort(t, kind="stable")
        t, acc = t[order], acc[order]
        keep = np.concatenate([[True], np.diff(t) > 0])  # repeated times inside the chunk
        self._n_dup += int((~keep).sum())
        t, acc = t[keep], acc[keep]
        ups: list[StepUpdate] = []

        ts = t + self._offset
        if math.isfinite(self._last_t):
            jump_back = ts[0] < self._last_t - self.options.clock_jump_s
            jump_fwd = (
                arrival_s is not None
                and self._last_arrival is not None
                and ts[0] - self._last_t > (arrival_s - self._last_arrival) + self.options.clock_jump_s
                and ts[0] - self._last_t > self.options.max_gap_s
            )
            if jump_back or jump_fwd:
                # the clock jumped: continue the session time right after the newest sample
                self._n_jumps += 1
                new_offset = self._last_t + self._median_dt() - t[0]
                b = self._end_segment()
                ups.append(b)
                self._offset = new_offset
                ts = t + self._offset
            else:
                old = ts <= self._last_t
                if old.any():
                    n_old = int(old.sum())
                    # exactly repeated times are duplicates; other older samples came late
                    seen = np.isin(ts[old], np.asarray(self._rate_t))
                    n_seen = int(seen.sum())
                    self._n_dup += n_seen
                    self._n_late += n_old - n_seen
                    ts, acc = ts[~old], acc[~old]
                    if len(ts) == 0:
                        return _NONE
                if ts[0] - self._last_t > self.options.max_gap_s:
                    self._n_gaps += 1
                    self._gap_s += float(ts[0] - self._last_t)
                    b = self._end_segment(reported_at=float(ts[0]))
                    ups.append(b)
        # a long pause inside the chunk splits it
        inner = np.flatnonzero(np.diff(ts) > self.options.max_gap_s)
        bounds = [0, *(inner + 1).tolist(), len(ts)]
        for a, z in zip(bounds[:-1], bounds[1:], strict=True):
            if a > 0:
                self._n_gaps += 1
                self._gap_s += float(ts[a] - ts[a - 1])
                b = self._end_segment(reported_at=float(ts[a]))
                ups.append(b)
            b = self._add(ts[a:z], acc[a:z])
            ups.append(b)
        if arrival_s is not None:
            self._last_arrival = float(arrival_s)
        return _concat(ups)

    def flush(self) -> StepUpdate:
        """End of the stream: confirm the steps left in the buffer (reported at the newest sample)."""
        return self._end_segment()

    # -- internals ------------------------------------------------------------------------------------------

    def _median_dt(self) -> float:
        rt = self._rate_t
        return float(np.median(np.diff(rt))) if len(rt) > 1 else self._dt

    def _add(self, ts: NDArray[np.float64], acc: NDArray[np.float64]) -> StepUpdate:
        """Append samples of the current segment (sorted, newer than before); maybe run the detector."""
        n = len(ts)
        self._n_samples += n
        self._rate_t.extend(ts[-256:].tolist())
        del self._rate_t[:-256]
        self._last_t = float(ts[-1])
        if self._seg_t0 is None:
            self._seg_t0 = float(ts[0])
            self._prev = (float(ts[0]), acc[0])
            self._grid = acc[:1].copy()
            self._k0 = 0
            ts, acc = ts[1:], acc[1:]
        assert self._prev is not None
        if len(ts):
            # grid points after the previous raw sample, up to the newest one
            k_have = self._k0 + len(self._grid)  # next grid index to fill
            k_last = int(np.floor((ts[-1] - self._seg_t0) / self._dt + 1e-9))
            if k_last >= k_have:
                tg = self._seg_t0 + np.arange(k_have, k_last + 1) * self._dt
                tx = np.concatenate([[self._prev[0]], ts])
                new = np.empty((len(tg), 3))
                for j in range(3):
                    new[:, j] = np.interp(tg, tx, np.concatenate([[self._prev[1][j]], acc[:, j]]))
                self._grid = np.concatenate([self._grid, new])
            self._prev = (float(ts[-1]), acc[-1])
            # keep buffer_s of grid, starting on a whole analysis hop from the segment start: the detector's
            # windows then sit where the offline detector's do (and its decimation blocks too)
            keep = int(round(self.options.buffer_s / self._dt))
            extra = len(self._grid) - keep
            if extra > 0:
                extra -= extra % self._trim
                self._grid = self._grid[extra:]
                self._k0 += extra
        t_end = self._seg_t0 + (self._k0 + len(self._grid) - 1) * self._dt
        if t_end < self._next_update:
            return _NONE
        self._next_update = t_end + self.options.update_s
        return self._confirm(t_end, reported_at=self._last_t)

    def _confirm(self, t_end_s: float, reported_at: float, final: bool = False) -> StepUpdate:
        """Run the detector on the buffer: settle what is old enough, report what is new."""
        opt = self.options
        if self._seg_t0 is None or len(self._grid) < int(opt.step.window_s * opt.grid_hz):
            self._settle(_EMPTY, math.inf if final else -math.inf, 0.0, reported_at)
            return self._take_retracted()
        t0 = self._seg_t0 + self._k0 * self._dt
        res = estimate_steps(
            self._grid, opt.grid_hz, t0_s=t0, options=opt.step, gravity_included=self.gravity_included
        )
        cand = res.step_times_s
        # the same step found again lies within half a step period of a known one
        if len(cand) >= 3:
            sep = 0.5 * float(np.median(np.diff(cand)))
        else:
            sep = 0.5 * 60.0 / opt.step.max_spm
        sep = min(sep, 0.5 * 60.0 / opt.step.min_spm)
        horizon = math.inf if final else t_end_s - opt.settle_s
        self._settle(cand, horizon, sep, reported_at)
        # report from where the previous run stopped (a big chunk, after a stall, is covered whole) or
        # backfill_s back, whichever is earlier
        horizon_now = t_end_s - opt.lookahead_s
        lo = max(min(t_end_s - opt.backfill_s, self._reported_to), t0, self._settled_to)
        new = self._new_steps(cand[(cand > lo) & (cand <= horizon_now)], sep)
        self._reported_to = max(self._reported_to, horizon_now)
        if new:
            self._prov.extend(new)
            self._prov_at.extend([reported_at] * len(new))
            order = np.argsort(self._prov, kind="stable")
            self._prov = [self._prov[i] for i in order]
            self._prov_at = [self._prov_at[i] for i in order]
        upd = self._take_retracted()
        if not new and not len(upd.t_s):
            return upd
        return StepUpdate(
            np.concatenate([upd.t_s, new]),
            np.concatenate([upd.detected_at_s, np.full(len(new), reported_at)]),
            upd.retracted_s,
        )

    def _new_steps(self, cand: NDArray[np.float64], sep: float) -> list[float]:
        """Candidates farther than ``sep`` from every known step (and from each other)."""
        known = np.asarray(self._steps[-32:] + self._prov)
        out: list[float] = []
        for c in cand:
            if len(known):
                i = int(np.searchsorted(known, c))
                near = min(
                    c - known[i - 1] if i > 0 else math.inf, known[i] - c if i < len(known) else math.inf
                )
                if near < sep:
                    continue
            if out and c - out[-1] < sep:
                continue
            out.append(float(c))
        return out

    def _settle(self, cand: NDArray[np.float64], horizon: float, sep: float, reported_at: float) -> None:
        """Make the steps in ``(settled_to - sep, horizon]`` final, as this run sees them."""
        if not horizon > self._settled_to:
            return
        lo = self._settled_to - sep if math.isfinite(self._settled_to) else -math.inf
        fin = cand[(cand > lo) & (cand <= horizon)]
        if len(self._steps):
            fin = fin[fin > self._steps[-1] + sep]
        prov = np.asarray(self._prov)
        used = np.zeros(len(prov), bool)
        out_t: list[float] = []
        out_d: list[float] = []
        for c in fin:
            if out_t and c - out_t[-1] < sep:
                continue
            d = reported_at
            matched = False
            if len(prov):
                j = int(np.argmin(np.abs(prov - c)))
                if abs(prov[j] - c) < max(sep, 1e-9) and not used[j]:
                    used[j] = matched = True
                    d = min(self._prov_at[j], reported_at)
            if not matched:
                self._late_now.append((float(c), reported_at))  # final but never reported: report it now
            out_t.append(float(c))
            out_d.append(d)
        # reported steps up to the horizon that were not matched are withdrawn, unless this run finds them
        # just beyond the horizon (the next run settles them)
        gone = (prov <= horizon) & ~used if len(prov) else np.zeros(0, bool)
        beyond = cand[cand > horizon]
        if gone.any() and len(beyond):
            for k in np.flatnonzero(gone):
                if np.min(np.abs(beyond - prov[k])) < sep:
                    gone[k] = False
        drop = used | gone
        self._retracted_now.extend(prov[gone].tolist())
        self._n_retracted += int(gone.sum())
        self._prov = prov[~drop].tolist()
        self._prov_at = [a for a, k in zip(self._prov_at, drop, strict=True) if not k]
        self._steps.extend(out_t)
        self._detected.extend(out_d)
        self._settled_to = horizon

    def _take_retracted(self) -> StepUpdate:
        late, self._late_now = self._late_now, []
        gone, self._retracted_now = self._retracted_now, []
        if not late and not gone:
            return _NONE
        lt = np.asarray([c for c, _ in late], dtype=np.float64)
        ld = np.asarray([d for _, d in late], dtype=np.float64)
        return StepUpdate(lt, ld, np.asarray(gone, dtype=np.float64))

    def _end_segment(self, reported_at: float | None = None) -> StepUpdate:
        """Confirm everything left in the current segment and start a new one."""
        at = self._last_t if reported_at is None else reported_at
        t_end = self._seg_t0 + (self._k0 + len(self._grid) - 1) * self._dt if self._seg_t0 is not None else at
        b = self._confirm(t_end, reported_at=at, final=True)
        self._reset_segment()
        return b


def _concat(ups: list[StepUpdate]) -> StepUpdate:
    ups = [u for u in ups if len(u.t_s) or len(u.retracted_s)]
    if not ups:
        return _NONE
    if len(ups) == 1:
        return ups[0]
    t = np.concatenate([u.t_s for u in ups])
    d = np.concatenate([u.detected_at_s for u in ups])
    order = np.argsort(t, kind="stable")
    return StepUpdate(t[order], d[order], np.concatenate([u.retracted_s for u in ups]))
