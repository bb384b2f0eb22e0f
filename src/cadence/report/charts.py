"""Charts a runner or physio reads at a glance: one activity, and a history of runs.

matplotlib is imported inside the functions (``import cadence`` and ``cadence --help`` stay fast) and only
through :class:`matplotlib.figure.Figure` with the Agg canvas: no pyplot, no global figure state, no display
needed, so charts can be drawn from worker processes and tests alike. :func:`save_figure` writes PNG or SVG
through :func:`~cadence._atomic.atomic_output` (no overwrite without ``force``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .._atomic import atomic_output
from .._timefmt import UNIT_M, UNIT_NAME, format_pace
from ..errors import ParameterError
from ..gait.analysis import GAIT_STOPPED, GAIT_WALKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..coach.band import TargetBand
    from ..coach.history import History
    from ..pipeline import ActivityResult

__all__ = [
    "FORMATS",
    "activity_figure",
    "history_figure",
    "numbered_paths",
    "plot_format",
    "rolling_mean",
    "save_figure",
    "write_activity_plots",
]

#: file suffix -> matplotlib format
FORMATS = {".png": "png", ".svg": "svg"}

_RUN = "#1f5fa8"  # cadence
_RUN_LIGHT = "#8fb3dc"
_BAND = "#2ca02c"
_WALK = "#ff9f1c"
_STOP = "#b0b0b0"
_PAUSE = "#e4e4e4"
_SPEED = "#555555"
_REF = "#c0392b"
_SMOOTH_S = 30.0
_DPI = 110


def plot_format(path: str | os.PathLike[str]) -> str:
    """Return the image format for ``path`` from its suffix (``png`` or ``svg``).

    Raises
    ------
    ParameterError
        Any other suffix.

    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError(
            f"plot file {os.fspath(path)!r} must end in {' or '.join(FORMATS)}"
            f" (got {suffix or 'no suffix'!r})"
        )
    return FORMATS[suffix]


def numbered_paths(path: str | os.PathLike[str], n: int) -> list[str]:
    """``run.png`` for one chart; ``run-1.png``, ``run-2.png``... for ``n`` > 1."""
    p = Path(path)
    if n <= 1:
        return [os.fspath(p)]
    return [os.fspath(p.with_name(f"{p.stem}-{i}{p.suffix}")) for i in range(1, n + 1)]


def save_figure(fig: Figure, path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Write ``fig`` to ``path`` (PNG or SVG by suffix), atomically; refuse to overwrite without ``force``."""
    fmt = plot_format(path)
    # no timestamps or software versions in the files: the same data gives the same bytes
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
    import matplotlib

    # SVG text stays text (searchable, editable, smaller) instead of one path per glyph
    with atomic_output(path, force=force, binary=True) as fh, matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(fh, format=fmt, dpi=_DPI, metadata=metadata)


def _figure(width_in: float, height_in: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def rolling_mean(
    t_s: NDArray[np.float64], values: NDArray[np.float64], weights: NDArray[np.float64], window_s: float
) -> NDArray[np.float64]:
    """Centred, weighted moving mean over ``window_s`` seconds of time (irregular sampling allowed).

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Increasing times.
    values, weights : ndarray, shape (n,)
        Values and their weights (0, or a non-finite value, leaves a sample out).
    window_s : float
        Window length; each output is the mean over ``[t - window_s/2, t + window_s/2]``.

    Returns
    -------
    ndarray, shape (n,)
        ``nan`` where the window holds no weight.

    """
    t = np.asarray(t_s, dtype=float)
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = np.isfinite(v) & (w > 0)
    cw = np.concatenate([[0.0], np.cumsum(np.where(ok, v * w, 0.0))])
    cs = np.concatenate([[0.0], np.cumsum(np.where(ok, w, 0.0))])
    lo = np.searchsorted(t, t - window_s / 2, side="left")
    hi = np.searchsorted(t, t + window_s / 2, side="right")
    total = cs[hi] - cs[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (cw[hi] - cw[lo]) / total, np.nan)


def _segments(mask: NDArray[np.bool_], t_start: NDArray[np.float64], t_end: NDArray[np.float64]) -> list:
    """``(start, width)`` of each run of consecutive True records (for ``broken_barh``)."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.nonzero(edges == 1)[0]
    stops = np.nonzero(edges == -1)[0]
    x0 = t_start[starts]
    x1 = t_end[stops - 1]
    return list(zip(x0.tolist(), (x1 - x0).tolist(), strict=True))


def _pauses_min(timer_intervals_s: NDArray[np.float64], t0: float, t1: float) -> list:
    iv = np.asarray(timer_intervals_s, dtype=float).reshape(-1, 2)
    if iv.size == 0:
        return [(t0 / 60, (t1 - t0) / 60)]
    gap_start = np.concatenate([[t0], iv[:, 1]])
    gap_end = np.concatenate([iv[:, 0], [t1]])
    keep = gap_end - gap_start > 1.0
    return list(
        zip((gap_start[keep] / 60).tolist(), ((gap_end - gap_start)[keep] / 60).tolist(), strict=True)
    )


def _fmt(value: float, fmt: str = ".1f") -> str:
    return format(value, fmt) if math.isfinite(value) else "-"


def _duration(seconds: float) -> str:
    from .._timefmt import format_duration

    return format_duration(seconds)


def activity_figure(
    result: ActivityResult,
    band: TargetBand | None = None,
    *,
    step_times_s: Sequence[float] | NDArray[np.float64] | None = None,
    signal: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    detail_s: float = 10.0,
    tz: dt.tzinfo | None = None,
    units: str = "metric",
) -> Figure:
    """Chart one activity: cadence over time, speed, walk breaks and pauses, and a histogram of cadence.

    Parameters
    ----------
    result : ActivityResult
        From :func:`cadence.pipeline.analyze_file`.
    band : TargetBand, optional
        Target band to shade, and to colour the histogram by.
    step_times_s : array_like, shape (k,), optional
        Detected step times (seconds, on the trace's time base) of an accelerometer recording.
    signal : (t_s, magnitude) of ndarray, shape (m,), optional
        The accelerometer magnitude (m/s^2) the steps were found on. With ``step_times_s`` it adds a panel
        with a ``detail_s``-second detail of the signal and the steps on it, taken in the middle of the
        running (SVG output can be zoomed further).
    detail_s : float
        Length of that detail window, seconds.
    tz : tzinfo, optional
        Zone for a file without its own UTC offset (the title's local time).
    units : str
        ``"metric"`` or ``"imperial"`` (the pace axes and the distance).

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; write it with :func:`save_figure`.

    """
    from matplotlib.patches import Patch

    tr, s = result.trace, result.summary
    has_detail = signal is not None and len(signal[0]) > 1
    alt = tr.altitude_m
    has_alt = alt is not None and int(np.isfinite(alt).sum()) > 1
    has_scatter = bool(s.record_running.any()) and bool(np.isfinite(tr.speed_ms[s.record_running]).any())
    has_scatter = has_scatter and not (
        tr.sport in ("walking", "hiking") and s.walking_time_s > s.running_time_s
    )
    rows = [2.2] + ([1.0] if has_alt or has_scatter else []) + ([1.0] if has_detail else [])
    fig = _figure(11.0, 5.6 + 2.0 * (len(rows) - 1))
    grid = fig.add_gridspec(len(rows), 2, width_ratios=[3.2, 1], height_ratios=rows)
    ax = fig.add_subplot(grid[0, 0])
    ax_hist = fig.add_subplot(grid[0, 1], sharey=ax)

    t = tr.t_s.astype(float)
    t_min = t / 60.0
    c = s.record_cadence_spm.astype(float)
    w = s.record_weight_s.astype(float)
    running = s.record_running
    run_w = np.where(running, w, 0.0)
    handles: list = []

    # background: pauses, stops, walk breaks (in axis coordinates, so they span the whole height)
    xform = ax.get_xaxis_transform()
    t_end = t if t.size else np.zeros(0)
    t_prev = np.concatenate([t[:1], t[:-1]]) if t.size else np.zeros(0)
    if t.size:
        pauses = _pauses_min(tr.timer_intervals_s, float(t[0]), float(t[-1]))
        if pauses:
            ax.broken_barh(
                pauses, (0, 1), transform=xform, facecolors=_PAUSE, hatch="//", edgecolor="#c8c8c8"
            )
            handles.append(
                Patch(facecolor=_PAUSE, hatch="//", edgecolor="#c8c8c8", label="paused (timer off)")
            )
        timed = w > 0
        walks = _segments(timed & (s.record_gait == GAIT_WALKING), t_prev / 60, t_end / 60)
        stops = _segments(timed & (s.record_gait == GAIT_STOPPED), t_prev / 60, t_end / 60)
        if walks:
            ax.broken_barh(walks, (0, 1), transform=xform, facecolors=_WALK, alpha=0.3, linewidth=0)
            handles.append(
                Patch(facecolor=_WALK, alpha=0.3, label=f"walking ({_duration(s.walking_time_s)})")
            )
        if stops:
            ax.broken_barh(stops, (0, 1), transform=xform, facecolors=_STOP, alpha=0.45, linewidth=0)
            handles.append(
                Patch(facecolor=_STOP, alpha=0.45, label=f"stopped ({_duration(s.stopped_time_s)})")
            )
    if band is not None:
        ax.axhspan(band.low_spm, band.high_spm, color=_BAND, alpha=0.18, linewidth=0, zorder=1)
        ax_hist.axhspan(band.low_spm, band.high_spm, color=_BAND, alpha=0.18, linewidth=0, zorder=1)
        handles.append(Patch(facecolor=_BAND, alpha=0.18, label=f"target {band.label}"))

    # cadence: every running reading, and its 30-s mean (a walk without running: its walking readings)
    # a walk or hike that ran a few stretches is still a walk: its walking cadence is the picture
    walk_only = not running.any() or (
        tr.sport in ("walking", "hiking") and s.walking_time_s > s.running_time_s
    )
    shown = (s.record_gait == GAIT_WALKING) & (w > 0) if walk_only else running
    shown_w = np.where(shown, w, 0.0)
    color, light = (_WALK, "#ffd08a") if walk_only else (_RUN, _RUN_LIGHT)
    dots = ax.scatter(t_min[shown], c[shown], s=3, color=light, linewidths=0, zorder=2, rasterized=True)
    dots.set_label("step rate, each reading")
    handles.append(dots)
    smooth = rolling_mean(t, c, shown_w, _SMOOTH_S)
    smooth[~shown] = np.nan
    (line,) = ax.plot(t_min, smooth, color=color, linewidth=1.6, zorder=3, label="step rate, 30-s mean")
    handles.append(line)
    if walk_only and math.isfinite(s.walking_cadence_spm):
        handles.append(
            ax.axhline(
                s.walking_cadence_spm,
                color=_WALK,
                linestyle="--",
                linewidth=1.0,
                zorder=3,
                label=f"walking cadence {s.walking_cadence_spm:.1f} spm",
            )
        )
    if math.isfinite(s.running_cadence_spm) and not walk_only:
        ref = ax.axhline(
            s.running_cadence_spm,
            color=_RUN,
            linestyle="--",
            linewidth=1.0,
            zorder=3,
            label=f"running cadence {s.running_cadence_spm:.1f} spm",
        )
        handles.append(ref)

    # y range: the running cadence (and the band), not the walking readings far below
    focus = c[shown & np.isfinite(c)] if shown.any() else c[np.isfinite(c) & (c > 0)]
    if focus.size:
        lo, hi = np.percentile(focus, [2, 99.5])
        if band is not None:
            lo, hi = min(lo, band.low_spm), max(hi, band.high_spm)
        ax.set_ylim(lo - 0.6 * (hi - lo) - 5, hi + 5)  # room below for the speed line
    ax.set_ylabel("step rate (steps/min)")
    ax.set_xlabel("elapsed time (min), pauses included")
    if t.size > 1:
        ax.set_xlim(t_min[0], t_min[-1])
    ax.grid(True, axis="y", alpha=0.3)

    # speed on a second axis
    sp = tr.speed_ms.astype(float)
    if np.isfinite(sp).any():
        ax_sp = ax.twinx()
        sp_smooth = rolling_mean(t, sp, np.where(w > 0, 1.0, 0.0), _SMOOTH_S)
        (sp_line,) = ax_sp.plot(
            t_min, sp_smooth, color=_SPEED, linewidth=0.9, alpha=0.8, label="speed, 30-s mean"
        )
        top = np.nanpercentile(sp_smooth, 99.5) if np.isfinite(sp_smooth).any() else 1.0
        ax_sp.set_ylim(0, max(top * 2.6, 0.5))  # speed in the lower third, out of the cadence's way
        _pace_axis(ax_sp.yaxis, units)
        ax_sp.set_ylabel(f"pace (min/{UNIT_NAME[units]})", color=_SPEED)
        ax_sp.tick_params(axis="y", colors=_SPEED)
        sp_line.set_label("pace, 30-s mean")
        handles.append(sp_line)

    # histogram of running cadence (minutes per 2-spm bin, centred on the even values FIT stores)
    if shown.any():
        cr, wr = c[shown & np.isfinite(c)], shown_w[shown & np.isfinite(c)]
        edges = np.arange(np.floor(cr.min() / 2) * 2 - 1, np.ceil(cr.max() / 2) * 2 + 1.001, 2.0)
        minutes, _ = np.histogram(cr, bins=edges, weights=wr / 60.0)
        mids = 0.5 * (edges[:-1] + edges[1:])
        colors = np.full(mids.size, color, dtype=object)
        if band is not None:
            colors[(mids >= band.low_spm) & (mids <= band.high_spm)] = _BAND
        ax_hist.barh(mids, minutes, height=1.8, color=colors.tolist(), zorder=2)
        mean = s.walking_cadence_spm if walk_only else s.running_cadence_spm
        if math.isfinite(mean):
            ax_hist.axhline(mean, color=color, linestyle="--", linewidth=1.0)
    ax_hist.set_xlabel("walking time (min)" if walk_only else "running time (min)")
    ax_hist.set_title("time at each step rate", fontsize=10)
    ax_hist.tick_params(axis="y", labelleft=False)
    ax_hist.grid(True, axis="x", alpha=0.3)

    # title: when, the headline number, and the context
    from .text import start_text

    when = start_text(result, tz) or "date unknown"
    sport = tr.sport.replace("_", " ").capitalize()
    if walk_only:
        ran = "no running" if s.running_time_s <= 0 else f"running {_duration(s.running_time_s)}"
        headline = f"{sport} {when} — walking cadence {_fmt(s.walking_cadence_spm)} spm ({ran})"
    else:
        headline = f"{sport} {when} — running cadence {_fmt(s.running_cadence_spm)} spm"
    fig.suptitle(headline, fontsize=13, fontweight="bold")
    parts = [
        Path(tr.source).name + (f" (session {tr.session_index + 1})" if tr.session_index else ""),
        f"{_fmt(s.distance_m / UNIT_M[units], '.2f')} {UNIT_NAME[units]}",
        f"running {_duration(s.running_time_s)} of {_duration(s.timer_time_s)} timer time",
    ]
    if math.isfinite(s.step_length_m):
        parts.append(f"step length {s.step_length_m:.2f} m")
    if "stance_time_ms" in s.dynamics:
        parts.append(f"ground contact {s.dynamics['stance_time_ms']:.0f} ms")
    if "vertical_oscillation_mm" in s.dynamics:
        parts.append(f"vertical oscillation {s.dynamics['vertical_oscillation_mm'] / 10:.1f} cm")
    if band is not None and s.running_time_s > 0:
        from ..gait.analysis import time_in_band_s

        _, inside, _ = time_in_band_s(s, band.low_spm, band.high_spm)
        parts.append(f"{inside / s.running_time_s * 100:.0f} % of running on target")
    import textwrap

    # wrapped (between items) to the cadence panel's width: a long file name must not run into the
    # histogram's title
    lines = [""]
    for part in parts:
        for piece in textwrap.wrap(part, 90) or [""]:
            if lines[-1] and len(lines[-1]) + 5 + len(piece) > 90:
                lines.append("")
            lines[-1] = f"{lines[-1]}  ·  {piece}" if lines[-1] else piece
    ax.set_title("\n".join(lines), fontsize=9.5, color="#333333")
    fig.legend(
        handles=handles, loc="outside lower center", ncol=min(len(handles), 4), fontsize=8.5, frameon=False
    )

    row = 1
    if has_alt or has_scatter:
        if has_alt:
            assert alt is not None
            ax_alt = fig.add_subplot(grid[row, 0], sharex=ax)
            ok = np.isfinite(alt)
            ax_alt.fill_between(
                t_min[ok], alt[ok], float(np.nanmin(alt)), color="#b9a27a", alpha=0.5, linewidth=0
            )
            ax_alt.plot(t_min[ok], alt[ok], color="#7a6440", linewidth=0.8)
            ax_alt.set_ylabel("elevation (m)")
            ax_alt.set_xlabel("elapsed time (min), pauses included")
            ax_alt.grid(True, axis="y", alpha=0.3)
            ax.set_xlabel("")
        if has_scatter:
            _pace_scatter(fig.add_subplot(grid[row, 1]), c, tr.speed_ms, run_w, band, units)
        row += 1
    if has_detail:
        assert signal is not None
        _detail_panel(fig.add_subplot(grid[row, :]), signal, step_times_s, t[running], detail_s)
    return fig


def _pace_axis(axis: object, units: str, max_ticks: int = 7) -> None:
    """Label a speed (m/s) axis with whole-minute paces (min per km or mile), placed at their speeds."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    lo, hi = axis.get_view_interval()  # type: ignore[attr-defined]
    minutes = np.arange(2, 31)
    speeds = UNIT_M[units] / (60.0 * minutes)
    inside = speeds[(speeds >= max(lo, 0.8)) & (speeds <= hi)]  # fastest first
    kept: list[float] = []
    for v in inside:  # paces crowd at slow speeds: keep ticks apart by 1/max_ticks of the axis
        if not kept or kept[-1] - v >= (hi - lo) / max_ticks:
            kept.append(float(v))
    axis.set_major_locator(FixedLocator(kept))  # type: ignore[attr-defined]
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_pace(v, units)))  # type: ignore[attr-defined]


def _pace_scatter(
    ax: Axes,
    cadence_spm: NDArray[np.float64],
    speed_ms: NDArray[np.float64],
    run_w: NDArray[np.float64],
    band: TargetBand | None,
    units: str,
) -> None:
    """Draw running cadence against pace (the picture of "at this pace, this cadence"), with the band."""
    ok = (run_w > 0) & np.isfinite(cadence_spm) & np.isfinite(speed_ms) & (speed_ms > 0.8)
    sp, cad = speed_ms[ok], cadence_spm[ok]
    if band is not None:
        ax.axhspan(band.low_spm, band.high_spm, color=_BAND, alpha=0.18, linewidth=0)
    ax.scatter(sp, cad, s=2, color=_RUN_LIGHT, linewidths=0, rasterized=True)
    if sp.size >= 10:
        lo, hi = np.percentile(sp, [2, 98])
        ax.set_xlim(lo - 0.1, hi + 0.1)
        clo, chi = np.percentile(cad, [1, 99])
        if band is not None:
            clo, chi = min(clo, band.low_spm), max(chi, band.high_spm)
        ax.set_ylim(clo - 3, chi + 3)
        edges = np.linspace(lo, hi, 9)
        idx = np.digitize(sp, edges) - 1
        means = [
            (0.5 * (edges[i] + edges[i + 1]), float(np.average(cad[idx == i], weights=run_w[ok][idx == i])))
            for i in range(8)
            if (idx == i).sum() >= 5
        ]
        if means:
            xs, ys = zip(*means, strict=True)
            ax.plot(xs, ys, "-o", color=_RUN, markersize=3, linewidth=1.4)
    _pace_axis(ax.xaxis, units, max_ticks=3)
    ax.set_xlabel(f"pace (min/{UNIT_NAME[units]})")
    ax.set_ylabel("step rate (steps/min)")
    ax.set_title("cadence at each pace", fontsize=10)
    ax.grid(True, alpha=0.3)


def _detail_panel(
    ax: Axes,
    signal: tuple[NDArray[np.float64], NDArray[np.float64]],
    step_times_s: Sequence[float] | NDArray[np.float64] | None,
    t_running_s: NDArray[np.float64],
    detail_s: float,
) -> None:
    ts = np.asarray(signal[0], dtype=float)
    mag = np.asarray(signal[1], dtype=float)
    steps = np.asarray(step_times_s if step_times_s is not None else [], dtype=float)
    middle = float(np.median(t_running_s)) if t_running_s.size else float(np.median(ts))
    a = max(float(ts[0]), middle - detail_s / 2)
    b = min(float(ts[-1]), a + detail_s)
    sel = (ts >= a) & (ts <= b)
    ax.plot(ts[sel], mag[sel], color=_SPEED, linewidth=0.9, label="acceleration magnitude")
    in_win = steps[(steps >= a) & (steps <= b)]
    if in_win.size:
        ax.plot(
            in_win,
            np.interp(in_win, ts, mag),
            "v",
            color=_REF,
            markersize=7,
            label=f"detected steps ({in_win.size} in {b - a:.0f} s)",
        )
    ax.set_xlim(a, b)
    ax.set_xlabel("elapsed time (s)")
    ax.set_ylabel("acceleration (m/s²)")
    ax.set_title(f"detail: steps on the signal, {b - a:.0f} s from the middle of the run", fontsize=10)
    ax.legend(loc="upper right", fontsize=8.5)
    ax.grid(True, alpha=0.3)


def history_figure(history: History) -> Figure:
    """Chart a history of runs: running cadence per run and per ISO week, trend, and weekly distance.

    Parameters
    ----------
    history : History
        From :func:`cadence.coach.history.build_history`.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; write it with :func:`save_figure`.

    """
    import datetime as dt

    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    band = history.band
    runs = [r for r in history.runs if r.start_time is not None]
    dyn_key = next(
        (k for k in ("stance_time_ms", "vertical_oscillation_mm") if any(k in r.dynamics for r in runs)), None
    )
    fig = _figure(11.0, 8.6 if dyn_key else 6.8)
    grid = fig.add_gridspec(3 if dyn_key else 2, 1, height_ratios=[3, 1.4, 1] if dyn_key else [3, 1])
    ax = fig.add_subplot(grid[0])
    ax_dyn = fig.add_subplot(grid[1], sharex=ax) if dyn_key else None
    ax_km = fig.add_subplot(grid[-1], sharex=ax)
    handles: list = []
    if band is not None:
        ax.axhspan(band.low_spm, band.high_spm, color=_BAND, alpha=0.18, linewidth=0)
        handles.append(Patch(facecolor=_BAND, alpha=0.18, label=f"target {band.label}"))
    if not runs:
        ax.text(0.5, 0.5, "no dated runs to show", ha="center", va="center", transform=ax.transAxes)
    else:
        # on each run's local clock (the dates a runner remembers), not converted to UTC
        dates = mdates.date2num([r.start_time.replace(tzinfo=None) for r in runs])  # type: ignore[union-attr]
        cad = np.array([r.running_cadence_spm for r in runs])
        ref = np.array([r.cadence_at_reference_spm for r in runs])
        handles.append(
            ax.scatter(
                dates,
                cad,
                s=16,
                color="#b8c9de",
                edgecolors="none",
                zorder=3,
                label="running cadence, each run",
            )
        )
        if np.isfinite(ref).any():
            handles.append(
                ax.scatter(
                    dates,
                    ref,
                    s=26,
                    marker="D",
                    facecolors="none",
                    edgecolors=_REF,
                    linewidths=1.0,
                    zorder=3,
                    label=f"cadence at {format_pace(history.reference_speed_ms)}/km, each run",
                )
            )
        weeks = history.weeks
        mids = mdates.date2num(
            [dt.datetime.combine(wk.monday + dt.timedelta(days=3), dt.time(12)) for wk in weeks]
        )
        wk_cad = np.array([wk.running_cadence_spm for wk in weeks])
        # the weekly line joins consecutive weeks only (a week without runs is no data, not a straight line)
        gap = np.array([(b.monday - a.monday).days > 7 for a, b in zip(weeks[:-1], weeks[1:], strict=True)])
        cut = np.nonzero(gap)[0] + 1
        wk_line = np.insert(wk_cad, cut, np.nan)
        mids_line = np.insert(mids, cut, mids[cut - 1])
        ax.plot(mids_line, wk_line, "-", color=_RUN, linewidth=1.8, zorder=4)
        (wl,) = ax.plot(
            mids,
            wk_cad,
            "s",
            color=_RUN,
            markeredgecolor="white",
            markersize=7,
            zorder=5,
            label="weekly mean (by running time)",
        )
        handles.append(wl)
        tr = history.trend
        if math.isfinite(tr.running_cadence_spm_per_week) and len(weeks) >= 2:
            x = np.array([(wk.monday - weeks[0].monday).days / 7 for wk in weeks])
            line = tr.running_cadence_intercept_spm + tr.running_cadence_spm_per_week * x[[0, -1]]
            (tl,) = ax.plot(
                [mids[0], mids[-1]],
                line,
                "--",
                color="black",
                linewidth=1.2,
                zorder=4,
                label=f"trend {tr.running_cadence_spm_per_week:+.2f} spm/week",
            )
            handles.append(tl)
        finite = np.concatenate([cad[np.isfinite(cad)], ref[np.isfinite(ref)]])
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            if band is not None:
                lo, hi = min(lo, band.low_spm), max(hi, band.high_spm)
            ax.set_ylim(lo - 5, hi + 5)
        ax_km.bar(
            mdates.date2num([dt.datetime.combine(wk.monday, dt.time(0)) for wk in weeks]),
            [wk.distance_m / 1000 if math.isfinite(wk.distance_m) else 0.0 for wk in weeks],
            width=6.5,
            align="edge",
            color=_RUN_LIGHT,
            edgecolor=_RUN,
            linewidth=0.5,
        )
        if ax_dyn is not None and dyn_key is not None:
            _dynamics_trend(ax_dyn, runs, weeks, dates, mids, dyn_key)
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        ax_km.xaxis.set_major_locator(locator)
        ax_km.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylabel("step rate (steps/min)")
    ax.tick_params(axis="x", labelbottom=False)
    ax.grid(True, alpha=0.3)
    if ax_dyn is not None:
        ax_dyn.tick_params(axis="x", labelbottom=False)
    ax_km.set_ylabel("distance\nper week (km)")
    ax_km.set_xlabel("date (ISO weeks, Monday to Sunday)")
    ax_km.grid(True, axis="y", alpha=0.3)

    n = len(history.runs)
    if runs:
        first, last = min(r.start_time for r in runs), max(r.start_time for r in runs)  # type: ignore[type-var]
        span = f"{first:%d %b %Y} – {last:%d %b %Y}"
    else:
        span = "no dates"
    fig.suptitle(
        f"Running cadence over {n} run{'s' if n != 1 else ''}, {span}", fontsize=13, fontweight="bold"
    )
    tr = history.trend
    sub = [f"{len(history.weeks)} weeks with runs"]
    if math.isfinite(tr.running_cadence_spm_per_week):
        sub.append(f"running cadence {tr.running_cadence_spm_per_week:+.2f} spm/week")
    if math.isfinite(tr.cadence_at_reference_spm_per_week):
        at = format_pace(history.reference_speed_ms)
        sub.append(f"at {at}/km {tr.cadence_at_reference_spm_per_week:+.2f} spm/week")
    ax.set_title("  ·  ".join(sub), fontsize=9.5, color="#333333")
    if handles:
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=min(len(handles), 3),
            fontsize=8.5,
            frameon=False,
        )
    return fig


def _dynamics_trend(
    ax: Axes, runs: Sequence, weeks: Sequence, dates: NDArray[np.float64], mids: NDArray[np.float64], key: str
) -> None:
    """Draw ground contact time (or vertical oscillation) per run and per week, under the cadence."""
    from ..datatypes import RUNNING_DYNAMICS

    label, unit = RUNNING_DYNAMICS[key]
    per_run = np.array([r.dynamics.get(key, np.nan) for r in runs])
    per_week = np.array([w.dynamics.get(key, np.nan) for w in weeks])
    ax.scatter(dates, per_run, s=16, color="#e3b8b3", edgecolors="none", zorder=3)
    gap = np.array([(b.monday - a.monday).days > 7 for a, b in zip(weeks[:-1], weeks[1:], strict=True)])
    cut = np.nonzero(gap)[0] + 1
    ax.plot(
        np.insert(mids, cut, mids[cut - 1]), np.insert(per_week, cut, np.nan), "-", color=_REF, linewidth=1.6
    )
    ax.plot(mids, per_week, "s", color=_REF, markeredgecolor="white", markersize=6, zorder=4)
    ax.set_ylabel(f"{label}\n({unit}, running)")
    ax.grid(True, alpha=0.3)
    n = int(np.isfinite(per_run).sum())
    ax.set_title(
        f"{label}: each run (dots) and weekly mean, {n} run(s) with it", fontsize=9.5, color="#333333"
    )


def write_activity_plots(
    path: str | os.PathLike[str],
    results: Sequence[ActivityResult],
    band: TargetBand | None = None,
    *,
    force: bool = False,
    tz: dt.tzinfo | None = None,
    units: str = "metric",
) -> list[str]:
    """Chart each of ``results`` to ``run.png`` (``run-1.png``, ``run-2.png``... if several); return paths.

    Notes
    -----
    A result with a ``steps`` attribute (detected steps, ``steps.step_times_s``) and a ``signal`` attribute
    (``(t_s, magnitude)``) gets the accelerometer detail panel of :func:`activity_figure`.

    Raises
    ------
    ParameterError
        Unsupported suffix, or nothing to plot.
    OutputExistsError, OutputPathError
        A file exists and ``force`` is not set, or cannot be written there (a missing folder...): checked
        for all before any is written.

    """
    from .._atomic import check_output_path

    plot_format(path)
    if not results:
        raise ParameterError("--plot: no step-sport activity to plot")
    paths = numbered_paths(path, len(results))
    for p in paths:  # all of them before any is written
        check_output_path(p, force=force)
    for p, r in zip(paths, results, strict=True):
        # accelerometer results may carry their detected steps (``.steps.step_times_s``) and the signal they
        # were found on (``.signal`` = (t_s, magnitude)): then the chart gets the detail panel
        step_times = getattr(getattr(r, "steps", None), "step_times_s", None)
        signal = getattr(r, "signal", None)
        fig = activity_figure(r, band, step_times_s=step_times, signal=signal, tz=tz, units=units)
        save_figure(fig, p, force=force)
    return paths
