"""Synthetic running and walking accelerometer signals with known step times.

There is no labelled running data in the project, so the detector is held to its accuracy bars on signals
from this generator as well (tests/gait/test_steps.py). The model is simple but keeps what makes real signals
hard:

- **Steps** at a cadence that may ramp within a segment (cadence and speed changes), with 2 % random
  timing jitter and a left/right asymmetry in step time and impact strength.
- **Body (trunk) acceleration** per step: running has a sharp heel-strike impact transient (an underdamped
  ~20 Hz oscillation), a half-sine active peak over the stance phase (about 2-3 g at the trunk, growing with
  speed), free fall (-1 g dynamic) during flight, and anteroposterior braking then propulsion; walking has a
  smoother double hump of about 0.3 g. Mediolateral sway alternates sign with the side, i.e. it has the
  *stride* frequency.
- **Placements** (:class:`Placement`): ``WAIST`` sees the trunk signal; ``WRIST``/``ARMBAND`` are a pendulum
  swinging at the stride frequency (tangential, centripetal and a rotating gravity vector) plus damped trunk
  impacts; ``POCKET`` is the thigh swinging at the stride frequency, with the own foot's impact stronger
  than the other's; ``SHOE`` sees its own foot's large impact and swing, and the other foot barely at all.
  Limb placements therefore show one dominant cycle per stride: the trap that halves naive step counts.
- **Sensor orientation**: a random fixed rotation plus a slow wobble, so no axis is vertical.
- **Noise**: white sensor noise and a slow drift.

All randomness comes from ``seed``: the same arguments give the same signal.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import signal
from scipy.spatial.transform import Rotation

from ..errors import ParameterError

__all__ = ["GaitSegment", "Placement", "SynthGait", "synth_gait"]

G_MS2 = 9.80665


class Placement(enum.Enum):
    """Where the simulated sensor is worn."""

    WAIST = "waist"
    WRIST = "wrist"
    ARMBAND = "armband"
    POCKET = "pocket"
    SHOE = "shoe"


@dataclass(frozen=True)
class GaitSegment:
    """One stretch of activity.

    Parameters
    ----------
    duration_s : float
        Length in seconds (> 0).
    activity : {"run", "walk", "still"}
        What the wearer does.
    cadence_spm : float
        Step rate at the start of the segment (ignored for ``"still"``).
    cadence_end_spm : float, optional
        Step rate at the end; the rate ramps linearly in between. Default: constant.
    intensity : float
        Scale of the impact and active-peak amplitudes (1 = typical; running faster hits harder).

    """

    duration_s: float
    activity: str = "run"
    cadence_spm: float = 170.0
    cadence_end_spm: float | None = None
    intensity: float = 1.0

    def __post_init__(self) -> None:
        if not self.duration_s > 0:
            raise ParameterError(f"duration_s={self.duration_s} must be > 0")
        if self.activity not in ("run", "walk", "still"):
            raise ParameterError(f"activity={self.activity!r} must be 'run', 'walk' or 'still'")
        end = self.cadence_spm if self.cadence_end_spm is None else self.cadence_end_spm
        if self.activity != "still" and not (40 <= self.cadence_spm <= 260 and 40 <= end <= 260):
            raise ParameterError(f"cadence_spm={self.cadence_spm}, cadence_end_spm={end} must be in 40-260")
        if not self.intensity > 0:
            raise ParameterError(f"intensity={self.intensity} must be > 0")


@dataclass(frozen=True)
class SynthGait:
    """A generated recording and its ground truth.

    Attributes
    ----------
    t_s : ndarray, shape (n,)
        Sample times (s).
    acc_ms2 : ndarray, shape (n, 3)
        Acceleration in the (rotated) sensor frame, gravity included, m/s^2.
    fs_hz : float
        Sampling rate.
    step_times_s : ndarray, shape (k,)
        True step (initial contact) times.
    step_side : ndarray of int, shape (k,)
        0 for left, 1 for right.
    placement : Placement
        Where the sensor was.
    running_time_s, walking_time_s : float
        Seconds spent running and walking.

    """

    t_s: NDArray[np.float64]
    acc_ms2: NDArray[np.float64]
    fs_hz: float
    step_times_s: NDArray[np.float64]
    step_side: NDArray[np.int_]
    placement: Placement
    running_time_s: float
    walking_time_s: float


def _step_times(segments: Sequence[GaitSegment], rng: np.random.Generator, asym_time: float):
    """Step times and the activity of each step; cadence ramps linearly within a segment."""
    times: list[NDArray[np.float64]] = []
    kinds: list[NDArray[np.int_]] = []
    t0 = 0.0
    for seg in segments:
        if seg.activity != "still":
            c0 = seg.cadence_spm
            c1 = seg.cadence_spm if seg.cadence_end_spm is None else seg.cadence_end_spm
            # integrate the step phase: phase(t) = int f(t) dt, f linear from c0/60 to c1/60
            n_max = int(seg.duration_s * max(c0, c1) / 60.0) + 2
            tt = np.linspace(0.0, seg.duration_s, max(2, int(seg.duration_s * 50)))
            f = (c0 + (c1 - c0) * tt / seg.duration_s) / 60.0
            phase = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(tt))])
            k = np.arange(0.5, phase[-1] - 0.5)[:n_max]
            ts = np.interp(k, phase, tt)
            period = 60.0 / np.interp(ts, [0.0, seg.duration_s], [c0, c1])
            side = np.arange(len(ts)) % 2
            ts = ts + period * (rng.normal(0.0, 0.02, len(ts)) + asym_time * (side - 0.5))
            times.append(t0 + np.sort(ts))
            kinds.append(np.full(len(ts), 1 if seg.activity == "run" else 2))
        t0 += seg.duration_s
    if not times:
        return np.empty(0), np.empty(0, int), t0
    return np.concatenate(times), np.concatenate(kinds), t0


def _kernel_run(fs: float, intensity: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vertical and anteroposterior trunk acceleration of one running step (m/s^2, starting at contact)."""
    stance = 0.22
    t = np.arange(int(0.30 * fs)) / fs
    active = np.where(t < stance, np.sin(np.pi * np.clip(t / stance, 0, 1)), 0.0) * 2.2 * G_MS2 * intensity
    impact = 1.2 * G_MS2 * intensity * np.exp(-t / 0.012) * np.cos(2 * np.pi * 22.0 * t)
    vert = active + impact
    ap = np.where(t < stance, -np.sin(2 * np.pi * np.clip(t / stance, 0, 1)), 0.0) * 0.8 * G_MS2 * intensity
    return vert, ap


def _kernel_walk(fs: float, intensity: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vertical and anteroposterior trunk acceleration of one walking step (m/s^2)."""
    t = np.arange(int(0.5 * fs)) / fs
    # loading response after heel strike, then the mid-stance trough
    vert = (
        G_MS2
        * intensity
        * (0.3 * np.exp(-(((t - 0.1) / 0.06) ** 2)) - 0.2 * np.exp(-(((t - 0.32) / 0.1) ** 2)))
    )
    impact = 0.3 * G_MS2 * intensity * np.exp(-t / 0.015) * np.cos(2 * np.pi * 15.0 * t)
    ap = -0.2 * G_MS2 * intensity * np.sin(2 * np.pi * t / 0.5)
    return vert + impact, ap


def synth_gait(
    segments: Sequence[GaitSegment],
    placement: Placement | str = Placement.WAIST,
    *,
    fs_hz: float = 100.0,
    seed: int = 0,
    noise_ms2: float = 0.3,
    asymmetry: float = 0.15,
    rotate: bool = True,
) -> SynthGait:
    """Generate a 3-axis accelerometer signal of walking, running and standing with known step times.

    Parameters
    ----------
    segments : sequence of GaitSegment
        The activities, in order.
    placement : Placement or str
        Where the sensor is worn.
    fs_hz : float
        Sampling rate in Hz (>= 20).
    seed : int
        Seed of every random choice (jitter, rotation, noise).
    noise_ms2 : float
        Standard deviation of the white sensor noise, m/s^2.
    asymmetry : float
        Left/right difference in impact strength (0-0.5); a fifth of it also skews the step timing.
    rotate : bool
        Put the sensor in a random orientation with a slow wobble (default) or keep it upright.

    Returns
    -------
    SynthGait
        Samples and the true step times.

    Raises
    ------
    ParameterError
        Bad segments or parameters.

    """
    placement = Placement(placement)
    if not fs_hz >= 20:
        raise ParameterError(f"{fs_hz=} must be >= 20")
    if not segments:
        raise ParameterError("segments must not be empty")
    if not 0 <= asymmetry <= 0.5:
        raise ParameterError(f"{asymmetry=} must be in [0, 0.5]")
    rng = np.random.default_rng(seed)
    steps, kinds, total = _step_times(segments, rng, asym_time=asymmetry / 5)
    n = int(round(total * fs_hz))
    t = np.arange(n) / fs_hz
    side = np.arange(len(steps)) % 2
    idx = np.clip(np.round(steps * fs_hz).astype(int), 0, n - 1)
    seg_int = np.concatenate([[s.intensity] for s in segments])
    seg_end = np.cumsum([s.duration_s for s in segments])
    inten = seg_int[np.clip(np.searchsorted(seg_end, steps), 0, len(segments) - 1)]
    amp_side = np.where(side == 0, 1.0 + asymmetry / 2, 1.0 - asymmetry / 2) * rng.normal(
        1.0, 0.05, len(steps)
    )

    own = {Placement.SHOE: (1.0, 0.03), Placement.POCKET: (1.0, 0.45)}.get(placement, (1.0, 1.0))
    # impact seen at the sensor: damped at the arm, amplified at the foot (foot IMUs see 3-10 g)
    limb = {Placement.WRIST: 0.35, Placement.ARMBAND: 0.5, Placement.SHOE: 3.0}.get(placement, 1.0)
    vert = np.zeros(n)
    ap = np.zeros(n)
    for kind, kern in ((1, _kernel_run), (2, _kernel_walk)):
        sel = kinds == kind
        if not sel.any():
            continue
        kv, ka = kern(fs_hz, 1.0)
        w = amp_side[sel] * inten[sel] * np.where(side[sel] == 0, own[0], own[1]) * limb
        train = np.zeros(n)
        np.add.at(train, idx[sel], w)
        vert += signal.fftconvolve(train, kv)[:n]
        ap += signal.fftconvolve(train, ka)[:n]
    # flight phase of running: the trunk is in free fall between stance phases (dynamic -1 g) - modelled as
    # the mean-free remainder: the active peak already averages to about +1 g over a step, so subtract it
    run_mask = np.zeros(n)
    if (kinds == 1).any():
        rs = steps[kinds == 1]
        gaps_ok = np.diff(rs) < 0.6
        starts, ends = rs[:-1][gaps_ok], rs[1:][gaps_ok]
        i0 = np.clip((starts * fs_hz).astype(int), 0, n)
        i1 = np.clip((ends * fs_hz).astype(int), 0, n)
        d = np.zeros(n + 1)
        np.add.at(d, i0, 1.0)
        np.add.at(d, i1, -1.0)
        run_mask = np.clip(np.cumsum(d)[:n], 0, 1)
    vert -= G_MS2 * limb * run_mask * np.where(placement is Placement.SHOE, 0.2, 1.0)

    # stride phase: continuous phase advancing pi per step (so 2 pi per stride)
    if len(steps) >= 2:
        phase = np.interp(t, steps, np.pi * np.arange(len(steps)), left=np.nan, right=np.nan)
        moving = np.isfinite(phase) & (np.interp(t, steps[:-1], np.diff(steps), left=9, right=9) < 1.6)
        phase = np.nan_to_num(phase)
    else:
        phase = np.zeros(n)
        moving = np.zeros(n, bool)
    is_run = np.interp(t, steps, (kinds == 1).astype(float)) > 0.5 if len(steps) else np.zeros(n, bool)
    swing_amp = (
        {
            Placement.WRIST: 0.7,
            Placement.ARMBAND: 0.5,
            Placement.POCKET: 0.5,
            Placement.SHOE: 0.6,
            Placement.WAIST: 0.0,
        }[placement]
        * np.where(is_run, 1.0, 0.6)
        * moving
    )
    swing_amp = np.convolve(swing_amp, np.ones(int(fs_hz)) / int(fs_hz), mode="same")  # ease in and out
    length_m = {
        Placement.WRIST: 0.35,
        Placement.ARMBAND: 0.25,
        Placement.POCKET: 0.3,
        Placement.SHOE: 0.5,
        Placement.WAIST: 0.0,
    }[placement]
    theta = swing_amp * np.sin(phase)
    dtheta = np.gradient(theta, 1 / fs_hz)
    ddtheta = np.gradient(dtheta, 1 / fs_hz)

    # body frame (x forward, y left, z up): dynamic trunk signal, sway at the stride frequency, gravity
    sway = 0.08 * G_MS2 * np.sin(phase) * moving * (1.0 if placement is Placement.WAIST else 0.3)
    body = np.column_stack([ap, sway, vert + G_MS2])
    # limb pendulum about the lateral (y) axis: rotate the body-frame vector by theta, add tangential
    # (forward in the limb frame) and centripetal (towards the pivot, +z) accelerations
    c, s = np.cos(theta), np.sin(theta)
    limb_x = c * body[:, 0] - s * body[:, 2] + length_m * ddtheta
    limb_z = s * body[:, 0] + c * body[:, 2] + length_m * dtheta**2
    acc = np.column_stack([limb_x, body[:, 1], limb_z])

    if rotate:
        base = Rotation.random(random_state=rng)
        wobble_axis = rng.normal(size=3)
        wobble_axis /= np.linalg.norm(wobble_axis)
        wobble = 0.15 * np.sin(2 * np.pi * t / rng.uniform(20, 60))
        rot = base * Rotation.from_rotvec(wobble[:, None] * wobble_axis[None, :])
        acc = rot.apply(acc)
    drift = 0.05 * np.sin(2 * np.pi * t / 300.0)[:, None]
    acc = acc + rng.normal(0.0, noise_ms2, acc.shape) + drift

    run_t = float(np.sum(is_run & moving) / fs_hz)
    walk_t = float(np.sum(~is_run & moving) / fs_hz)
    keep = steps < total
    return SynthGait(
        t_s=t,
        acc_ms2=acc,
        fs_hz=float(fs_hz),
        step_times_s=steps[keep],
        step_side=side[keep],
        placement=placement,
        running_time_s=run_t,
        walking_time_s=walk_t,
    )
