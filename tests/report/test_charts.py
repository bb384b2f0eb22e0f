"""Charts: real PNG/SVG files with drawn pixels, the right size, no clobbering, and the CLI --plot path."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cadence.coach.band import TargetBand
from cadence.datatypes import CadenceTrace
from cadence.errors import OutputExistsError, ParameterError
from cadence.gait.analysis import analyze_trace
from cadence.pipeline import ActivityResult, analyze_file
from cadence.report.charts import (
    activity_figure,
    numbered_paths,
    rolling_mean,
    save_figure,
    write_activity_plots,
)
from conftest import run_cadence

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def drawn_fraction(path: Path) -> float:
    """Fraction of pixels that are not the background colour."""
    from matplotlib.image import imread

    img = imread(str(path))[..., :3]
    background = img[0, 0]
    return float(np.mean(np.any(np.abs(img - background) > 0.02, axis=-1)))


@pytest.fixture(scope="module")
def portland(sample_data: Path) -> ActivityResult:
    (result,) = analyze_file(sample_data / "elev__portland.fit")
    return result


def synthetic_run(minutes: float = 20.0, walk_at_s: float = 600.0) -> ActivityResult:
    """1-Hz run at 170 spm with a 60-s walk break and a 120-s pause (timer off)."""
    t = np.arange(0.0, minutes * 60)
    cadence = np.full(t.size, 170.0)
    walk = (t >= walk_at_s) & (t < walk_at_s + 60)
    cadence[walk] = 110.0
    speed = np.where(walk, 1.4, 3.0)
    pause = (t >= 900) & (t < 1020)
    timer = np.array([[0.0, 900.0], [1020.0, t[-1] + 1]])
    trace = CadenceTrace(
        t_s=t[~pause],
        cadence_spm=cadence[~pause],
        speed_ms=speed[~pause],
        distance_m=np.cumsum(speed)[~pause],
        timer_intervals_s=timer,
        sport="running",
        source="synthetic.fit",
        start_time=datetime(2026, 3, 2, 7, 0, tzinfo=UTC),
    )
    return ActivityResult(trace, analyze_trace(trace))


@pytest.mark.parametrize("band", [None, TargetBand(168, 176)])
def test_png_is_real_and_drawn(tmp_path: Path, portland: ActivityResult, band: TargetBand | None) -> None:
    out = tmp_path / "run.png"
    save_figure(activity_figure(portland, band), out)
    width, height = png_size(out)
    assert 900 <= width <= 1600 and 450 <= height <= 1000  # a screen-sized chart, wider than tall
    assert width > height
    assert drawn_fraction(out) > 0.05  # not a blank canvas


def test_svg_is_real(tmp_path: Path, portland: ActivityResult) -> None:
    out = tmp_path / "run.svg"
    save_figure(activity_figure(portland, TargetBand.parse("172")), out)
    text = out.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml")
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    # labels with units are real text in the SVG
    assert "step rate (steps/min)" in text and "pace (min/km)" in text


def test_band_changes_the_picture(tmp_path: Path) -> None:
    run = synthetic_run()
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    save_figure(activity_figure(run, None), a)
    save_figure(activity_figure(run, TargetBand(165, 175)), b)
    assert a.read_bytes() != b.read_bytes()


def test_same_input_same_bytes(tmp_path: Path) -> None:
    run = synthetic_run()
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    save_figure(activity_figure(run), a)
    save_figure(activity_figure(run), b)
    assert a.read_bytes() == b.read_bytes()


def test_no_clobber_without_force(tmp_path: Path) -> None:
    out = tmp_path / "run.png"
    out.write_bytes(b"keep me")
    fig = activity_figure(synthetic_run())
    with pytest.raises(OutputExistsError, match="--force"):
        save_figure(fig, out)
    assert out.read_bytes() == b"keep me"
    save_figure(fig, out, force=True)
    assert out.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("name", ["run.jpg", "run", "run.pdf"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    with pytest.raises(ParameterError, match=r"\.png or \.svg"):
        save_figure(activity_figure(synthetic_run()), tmp_path / name)
    assert not (tmp_path / name).exists()


def test_numbered_paths() -> None:
    assert numbered_paths("out/run.png", 1) == ["out/run.png"]
    assert numbered_paths("out/run.png", 3) == ["out/run-1.png", "out/run-2.png", "out/run-3.png"]


def test_write_several_checks_all_before_writing(tmp_path: Path) -> None:
    runs = [synthetic_run(), synthetic_run(walk_at_s=300)]
    (tmp_path / "r-2.png").write_bytes(b"x")
    with pytest.raises(OutputExistsError):
        write_activity_plots(tmp_path / "r.png", runs)
    assert not (tmp_path / "r-1.png").exists()
    written = write_activity_plots(tmp_path / "r.png", runs, force=True)
    assert [Path(p).name for p in written] == ["r-1.png", "r-2.png"]


def test_walk_break_and_pause_are_marked(tmp_path: Path) -> None:
    """The walk break (orange) and the pause (grey hatch) are painted at their times."""
    run = synthetic_run()
    fig = activity_figure(run)
    ax = fig.axes[0]
    spans = [c for c in ax.collections if c.__class__.__name__ == "PolyCollection"]
    extents = sorted(
        (round(float(p.vertices[:, 0].min()), 1), round(float(p.vertices[:, 0].max()), 1))
        for c in spans
        for p in c.get_paths()
    )
    assert (15.0, 17.0) in extents  # the pause, 900-1020 s
    assert any(abs(a - 10.0) < 0.05 and abs(b - 11.0) < 0.05 for a, b in extents)  # the walk, 600-660 s
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(lbl.startswith("walking") for lbl in labels)
    assert any(lbl.startswith("paused") for lbl in labels)
    assert "running cadence 170.0 spm" in labels


def test_detail_panel_with_steps(tmp_path: Path) -> None:
    """The accelerometer panel: a signal and step times on it (what the step detector will pass)."""
    run = synthetic_run()
    fs_hz = 50.0
    ts = np.arange(0, 1200, 1 / fs_hz)
    mag = 9.81 + 4 * np.sin(2 * np.pi * (170 / 60) * ts)
    steps = (np.arange(0, 1200 * 170 / 60) + 0.25) / (170 / 60)
    fig = activity_figure(run, step_times_s=steps, signal=(ts, mag), detail_s=10)
    assert len(fig.axes) == 5  # cadence, histogram, pace twin, cadence-vs-pace scatter, detail
    detail = fig.axes[-1]
    lo, hi = detail.get_xlim()
    assert hi - lo == pytest.approx(10)
    marker_lines = [ln for ln in detail.get_lines() if ln.get_marker() == "v"]
    assert len(marker_lines) == 1
    assert len(marker_lines[0].get_xdata()) in (28, 29)  # 170 spm x 10 s = 28.3 steps
    out = tmp_path / "acc.png"
    save_figure(fig, out)
    assert png_size(out)[1] > png_size(out)[0] * 0.6  # taller than the two-panel chart


def test_rolling_mean_known_answer() -> None:
    t = np.arange(100.0)
    v = np.where(t < 50, 160.0, 180.0)
    w = np.ones_like(t)
    m = rolling_mean(t, v, w, 10.0)
    assert m[20] == 160 and m[80] == 180
    assert m[50] == pytest.approx((5 * 160 + 6 * 180) / 11)
    w[40:60] = 0
    assert np.isnan(rolling_mean(t, v, w, 10.0)[50])


def test_cli_analyze_plot(tmp_path: Path, sample_data: Path) -> None:
    out = tmp_path / "portland.png"
    proc = run_cadence(
        "analyze", str(sample_data / "elev__portland.fit"), "--plot", str(out), "--target", "168-176"
    )
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stderr
    assert drawn_fraction(out) > 0.05
    again = run_cadence("analyze", str(sample_data / "elev__portland.fit"), "--plot", str(out))
    assert again.returncode == 1 and "--force" in again.stderr and "Traceback" not in again.stderr
    assert again.stdout == ""  # refused before the analysis, not after it
    run = str(sample_data / "elev__portland.fit")
    missing = run_cadence("analyze", run, "--plot", str(tmp_path / "no" / "x.png"))
    assert missing.returncode == 1 and "x.png" in missing.stderr and missing.stdout == ""
    bad = run_cadence(
        "analyze", str(sample_data / "elev__portland.fit"), "--plot", str(out), "--target", "fast"
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stdout == ""  # refused before analyzing anything
    jpg = run_cadence("analyze", str(sample_data / "elev__portland.fit"), "--plot", str(tmp_path / "x.jpg"))
    assert jpg.returncode == 2 and ".png or .svg" in jpg.stderr and jpg.stdout == ""


def test_cli_analyze_plot_multisport(tmp_path: Path, sample_data: Path) -> None:
    """A triathlon plots its run leg only; a folder writes one numbered chart per run."""
    out = tmp_path / "tri.svg"
    proc = run_cadence("analyze", str(sample_data / "mukti__triathlon_summary_last.fit"), "--plot", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    many = run_cadence("analyze", str(sample_data), "--plot", str(tmp_path / "all.png"))
    assert many.returncode == 0, many.stderr
    written = sorted(p.name for p in tmp_path.glob("all-*.png"))
    assert written == [f"all-{i}.png" for i in range(1, len(written) + 1)] and len(written) >= 3


@pytest.mark.parametrize("kind", ["walk only", "no cadence", "one record", "empty"])
def test_edge_cases_still_draw(tmp_path: Path, kind: str) -> None:
    n = {"walk only": 600, "no cadence": 600, "one record": 1, "empty": 0}[kind]
    t = np.arange(float(n))
    cadence = (
        np.full(n, 110.0) if kind == "walk only" else np.full(n, np.nan if kind == "no cadence" else 170.0)
    )
    trace = CadenceTrace(
        t_s=t,
        cadence_spm=cadence,
        speed_ms=np.full(n, 1.3),
        distance_m=np.cumsum(np.full(n, 1.3)),
        timer_intervals_s=np.array([[0.0, float(n)]]) if n else np.zeros((0, 2)),
        sport="walking",
    )
    result = ActivityResult(trace, analyze_trace(trace))
    out = tmp_path / "edge.png"
    save_figure(activity_figure(result, TargetBand(168, 176)), out)
    assert png_size(out)[0] > 0 and drawn_fraction(out) > 0.01


def test_write_plots_picks_up_steps_and_signal(tmp_path: Path) -> None:
    """An accelerometer result that carries ``steps`` and ``signal`` gets the detail panel."""
    from types import SimpleNamespace

    run = synthetic_run()
    ts = np.arange(0, 1200, 0.02)
    acc = SimpleNamespace(
        trace=run.trace,
        summary=run.summary,
        steps=SimpleNamespace(step_times_s=np.arange(0.2, 1200, 60 / 170)),
        signal=(ts, 9.81 + 4 * np.sin(2 * np.pi * (170 / 60) * ts)),
    )
    (plain,) = write_activity_plots(tmp_path / "plain.png", [run])
    (with_steps,) = write_activity_plots(tmp_path / "acc.png", [acc])
    assert png_size(Path(with_steps))[1] > png_size(Path(plain))[1]  # the extra panel


# --- what a runner reads on the chart: pace, elevation, cadence at each pace, a walk, long names ---------


def test_portland_panels(portland: ActivityResult) -> None:
    fig = activity_figure(portland, TargetBand.parse("168-176"))
    labels = {ax.get_ylabel() for ax in fig.axes} | {ax.get_xlabel() for ax in fig.axes}
    assert {"pace (min/km)", "elevation (m)"} <= labels
    scatter = next(ax for ax in fig.axes if ax.get_title() == "cadence at each pace")
    assert len(scatter.patches) == 1  # the band
    pace_ticks = [t.get_text() for t in scatter.xaxis.get_ticklabels()]
    assert pace_ticks and all(":" in t for t in pace_ticks)
    # the suptitle's time is Portland's own
    assert "Sun 18 Feb 2018 09:29 UTC-08:00" in fig._suptitle.get_text()


def test_long_file_name_wraps_the_subtitle(portland: ActivityResult) -> None:
    long = portland.trace.replace(source="/runs/" + "a-very-long-exported-activity-name-" * 3 + ".fit")
    fig = activity_figure(ActivityResult(long, portland.summary))
    title = fig.axes[0].get_title()
    assert "\n" in title and all(len(line) <= 110 for line in title.splitlines())


def test_a_walk_draws_its_walking_cadence() -> None:
    (walk,) = analyze_file(Path(__file__).parents[1] / "data" / "fdec__garmin-fenix-5-walk.fit")
    assert walk.summary.running_time_s == 0
    fig = activity_figure(walk)
    head = fig._suptitle.get_text()
    assert f"walking cadence {walk.summary.walking_cadence_spm:.1f} spm (no running)" in head
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"walking cadence {walk.summary.walking_cadence_spm:.1f} spm" in labels
    hist = fig.axes[1]
    assert hist.get_xlabel() == "walking time (min)" and len(hist.patches) > 0  # not an empty panel


def test_history_weekly_line_joins_consecutive_weeks_only() -> None:
    from cadence.coach.history import FileOutcome, SessionFacts, SpeedStats, build_history
    from cadence.report.charts import history_figure

    def facts(day: datetime, cad: float, gct: float) -> SessionFacts:
        return SessionFacts(
            file=f"{day:%F}.fit", session_index=0, sport="running", is_step_sport=True,
            start_time=day.isoformat(), distance_m=5000.0, running_time_s=1800.0, running_distance_m=5000.0,
            running_cadence_spm=cad, step_length_m=1.0, speed=SpeedStats(), cadence_values_spm=(cad,),
            cadence_time_s=(1800.0,), utc_offset_s=0.0, dynamics={"stance_time_ms": gct},
        )  # fmt: skip

    days = [
        datetime(2026, 3, 2, 7, tzinfo=UTC),
        datetime(2026, 3, 9, 7, tzinfo=UTC),
        datetime(2026, 3, 23, 7, tzinfo=UTC),
    ]
    h = build_history(
        [FileOutcome(f.file, (f,)) for f in (facts(d, 165 + i, 260 - i) for i, d in enumerate(days))]
    )
    fig = history_figure(h)
    ax = fig.axes[0]
    weekly = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    (line,) = weekly
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(y).sum() == 1 and np.isfinite(y).sum() == 3  # W10-W11 joined, a gap before W13
    dyn = next(a for a in fig.axes if a.get_ylabel().startswith("ground contact time"))
    assert "3 run(s)" in dyn.get_title()
