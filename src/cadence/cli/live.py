"""``cadence live``: live cadence from a phone or a footpod against the band, the metronome as feedback."""

from __future__ import annotations

import csv
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from ._common import (
    echo_json,
    is_tty,
    plan_band,
    plan_session_options,
    refuse_existing_outputs,
    resolve_plan_session,
    target_option,
    tolerance_option,
)

if TYPE_CHECKING:
    from ..coach.band import TargetBand
    from ..live.feedback import CueMetronome
    from ..live.session import LiveSession
    from ..live.sources import Source

SCHEMA_VERSION = 1

EPILOG = """\b
Sources (one of):
  --phyphox http://PHONE:8080    phyphox, "Acceleration (with g)", remote access on
  --sensor-logger [HOST:]PORT    receive Sensor Logger's HTTP push (0.0.0.0:8000 for a phone on the LAN)
  --ble NAME_OR_ADDRESS          a Running Speed and Cadence footpod or watch (pip install 'cadence[live]')
  --replay FILE [--speed N]      any recording cadence reads, in real time or N times faster
\b
Cues: off-band (default) turns the metronome on after 10 s out of the band and off after 20 s back in;
always plays it throughout; with --plan/--session the session's cued blocks play and its silent blocks
cue off-band. Ctrl-C or --duration ends the session and saves it. See docs/live.md."""


def _check_source_args(
    phyphox: str | None, sensor_logger: str | None, ble: str | None, replay: str | None, speed: float
) -> tuple[str, int] | None:
    """Usage errors in the source options, before any device or network is touched.

    Returns the Sensor Logger ``(host, port)`` when that is the source.
    """
    from ..errors import ParameterError

    named = (("--phyphox", phyphox), ("--sensor-logger", sensor_logger), ("--ble", ble), ("--replay", replay))
    given = [n for n, v in named if v]
    if len(given) != 1:
        raise click.UsageError(
            "give one source: --phyphox URL, --sensor-logger [HOST:]PORT, --ble NAME or --replay FILE"
            + (f" (got {', '.join(given)})" if given else "")
        )
    if speed != 1.0 and replay is None:
        raise click.UsageError("--speed goes with --replay")
    if sensor_logger:
        host, _, port = sensor_logger.rpartition(":")
        try:
            port_no = int(port)
        except ValueError:
            raise ParameterError(f"--sensor-logger {sensor_logger!r}: need [HOST:]PORT, e.g. 8000") from None
        if not 0 <= port_no <= 65535:
            raise ParameterError(f"--sensor-logger port {port_no} must be 0-65535")
        return host or "127.0.0.1", port_no
    return None


def _make_source(
    phyphox: str | None,
    listen: tuple[str, int] | None,
    ble: str | None,
    replay: str | None,
    speed: float,
    give_up_s: float,
) -> Source:
    """The one source :func:`_check_source_args` let through (``listen``: its Sensor Logger address)."""
    from ..live import sources

    if phyphox:
        return sources.PhyphoxSource(phyphox, give_up_s=give_up_s)
    if listen is not None:
        return sources.SensorLoggerSource(*listen)
    if ble:
        return sources.BleSource(ble)
    assert replay is not None
    return sources.ReplaySource(replay, speed=speed)


def _band_and_cue(
    target_text: str | None,
    tolerance_spm: float,
    plan_path: str | None,
    session_no: int | None,
    cue: str | None,
    on_after: str,
    off_after: str,
) -> tuple[TargetBand, Any, float]:
    from .._timefmt import parse_duration_s
    from ..coach.band import TargetBand
    from ..coach.plan import parse_program
    from ..errors import ParameterError
    from ..live.session import CueMode, CueOptions

    segments: tuple[Any, ...] = ()
    tempo: float | None = None
    session = resolve_plan_session(plan_path, session_no)
    if session is not None:
        try:
            segments = parse_program(str(session["program"]))
        except ParameterError as exc:
            raise ParameterError(f"{plan_path}: session {session_no}: {exc}") from None
        tempo = float(session["target_spm"])
        target_text, tolerance_spm = plan_band(session, target_text, tolerance_spm)
    if target_text is None:
        raise click.UsageError("give --target (172 or 168-176) or --plan with --session")
    band = TargetBand.parse(target_text, tolerance_spm)
    mode = CueMode(cue) if cue else (CueMode.PLAN if segments else CueMode.OFF_BAND)
    if mode is CueMode.PLAN and not segments:
        raise click.UsageError("--cue plan needs --plan and --session")

    def secs(text: str, name: str) -> float:
        return parse_duration_s(text, allow_zero=True, what=name)

    options = CueOptions(
        mode,
        secs(on_after, "--cue-on-after"),
        secs(off_after, "--cue-off-after"),
        segments if mode is CueMode.PLAN else (),
    )
    return band, options, tempo if tempo is not None else float(round(band.center_spm))


@click.command(epilog=EPILOG, context_settings={"max_content_width": 110})
@click.option("--phyphox", metavar="URL", help="phyphox remote-access address, e.g. http://192.168.1.5:8080.")
@click.option("--sensor-logger", "sensor_logger", metavar="[HOST:]PORT", help="Receive Sensor Logger pushes.")
@click.option("--ble", metavar="NAME", help="Bluetooth RSC footpod or watch (name or address).")
@click.option("--replay", type=click.Path(dir_okay=False), help="Replay a recording as if it were live.")
@click.option("--speed", type=float, default=1.0, show_default=True, help="Replay speed (with --replay).")
@target_option()
@tolerance_option()
@plan_session_options(
    plan_help="A plan from `cadence plan --json`.", session_help="The plan's session (1-based) being run."
)
@click.option(
    "--cue",
    type=click.Choice(["off-band", "always", "plan"]),
    help="When the metronome plays [off-band; plan with --plan].",
)
@click.option(
    "--cue-on-after",
    default="10s",
    show_default=True,
    metavar="DURATION",
    help="off-band: time out of the band before the cue comes on.",
)
@click.option(
    "--cue-off-after",
    default="20s",
    show_default=True,
    metavar="DURATION",
    help="off-band: time back in the band before it goes off.",
)
@click.option(
    "--give-up-after",
    default="60s",
    show_default=True,
    metavar="DURATION",
    help="phyphox: how long to keep reconnecting to a phone that stopped answering.",
)
@click.option("--duration", "-d", metavar="DURATION", help="End the session after this long (45m, 1:00:00).")
@click.option("--no-audio", is_flag=True, help="Everything but the sound (the cue is still shown).")
@click.option(
    "--steps",
    "steps_path",
    type=click.Path(dir_okay=False),
    help="Save the steps (t_s,detected_at_s): `cadence check` and `history` read it as a run.",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False),
    help="Save one row per second: t_s, cadence_spm, band, cue, tempo_bpm.",
)
@click.option("--force", is_flag=True, help="Overwrite --steps/--log files.")
@click.option("--json", "as_json", is_flag=True, help="Print the session summary as JSON at the end.")
@click.option("--device", metavar="ID", help="Audio output device (see `cadence devices`).")
@click.option("--samplerate", type=int, metavar="HZ", help="Audio sampling rate [device default].")
@click.option(
    "--latency", default="0.2", show_default=True, help="Audio output latency: seconds, high or low."
)
@click.option("--channels", type=int, default=1, show_default=True, help="Audio output channels.")
@click.option(
    "--sound",
    type=click.Choice(["woodblock", "click", "beep"]),
    default="woodblock",
    show_default=True,
    help="Click sound.",
)
@click.option("--level", type=float, default=-6.0, show_default=True, metavar="DB", help="Click level, dBFS.")
def live(
    phyphox: str | None,
    sensor_logger: str | None,
    ble: str | None,
    replay: str | None,
    speed: float,
    target_text: str | None,
    tolerance_spm: float,
    plan_path: str | None,
    session_no: int | None,
    cue: str | None,
    cue_on_after: str,
    cue_off_after: str,
    give_up_after: str,
    duration: str | None,
    no_audio: bool,
    steps_path: str | None,
    log_path: str | None,
    force: bool,
    as_json: bool,
    device: str | None,
    samplerate: int | None,
    latency: str,
    channels: int,
    sound: str,
    level: float,
) -> None:
    """Live cadence: detect steps as they happen, show them against the band, cue with the metronome.

    One line shows the cadence (over the last 4 s), the band, in/below/above, the elapsed time and the
    cue; at the end the same summary as `cadence check`.

    \b
    Examples:
      cadence live --phyphox http://192.168.1.5:8080 --target 170
      cadence live --sensor-logger 0.0.0.0:8000 --target 168-176 --steps run.csv
      cadence live --replay sample_data/phone_backpocket_walk.csv --speed 4 --target 112 --no-audio
      cadence live --phyphox http://192.168.1.5:8080 --plan plan.json --session 5
    """  # noqa: D301 - click needs the real \b (backspace) to keep the examples unwrapped
    from .._timefmt import parse_duration_s
    from ..errors import StreamError
    from ..live.session import LiveSession, format_live_line

    band, cue_options, tempo = _band_and_cue(
        target_text, tolerance_spm, plan_path, session_no, cue, cue_on_after, cue_off_after
    )
    duration_s = parse_duration_s(duration, what="--duration") if duration is not None else None
    give_up_s = parse_duration_s(give_up_after, what="--give-up-after")
    listen = _check_source_args(phyphox, sensor_logger, ble, replay, speed)
    refuse_existing_outputs(steps_path, log_path, force=force)
    metronome: CueMetronome | None = None
    if not no_audio:
        from ..audio.clicks import ClickOptions, ClickSound
        from ..live.feedback import CueMetronome
        from .metronome import _parse_latency

        latency_v = _parse_latency(latency)
        if not 1 <= channels <= 32:
            raise click.BadParameter(f"{channels} must be 1-32", param_hint="--channels")
        metronome = CueMetronome(
            tempo,
            device=device,
            samplerate=samplerate,
            latency=latency_v,
            channels=channels,
            options=ClickOptions(sound=ClickSound(sound), level_db=level),
        )
    source = _make_source(phyphox, listen, ble, replay, speed, give_up_s)
    session = LiveSession(band, cue_options, tempo)
    show = is_tty(sys.stdout) and not as_json
    last_print = -1.0
    error: StreamError | None = None
    n_warned = 0
    try:
        if metronome is not None:
            metronome.start()
        while True:
            chunks = source.read()
            now = time.monotonic()
            for ch in chunks:
                session.add(ch, arrival_s=now)
            state = session.tick()
            if metronome is not None:
                metronome.set(state.cue, state.tempo_bpm)
            warnings = getattr(source, "warnings", [])
            if len(warnings) > n_warned:
                if n_warned == 0:  # one line; the rest are counted in the summary
                    if show:
                        click.echo()
                    click.echo(f"warning: {warnings[0]} (further ones are only counted)", err=True)
                n_warned = len(warnings)
            if show and now - last_print >= 0.25:
                last_print = now
                line = format_live_line(state, band, source.status)
                click.echo("\r" + line[:200].ljust(100), nl=False)
            if duration_s is not None and session.elapsed_s >= duration_s:
                break
            if source.finished:
                break
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a session ends: save it
    except StreamError as exc:
        error = exc  # the session so far is still saved
    finally:
        source.close()
        report = metronome.close() if metronome is not None else None
    session.finish()
    if show:
        click.echo()
    _save(session, steps_path, log_path, force)
    summary = session.summary()
    summary["source"] = source.name
    if n_warned:
        summary["ignored_pushes"] = n_warned
    if report is not None:
        summary["metronome"] = {
            "clicks": report.clicks,
            "played_s": report.duration_s,
            "underflows": report.underflows,
        }
    if as_json:
        echo_json({"schema_version": SCHEMA_VERSION, **summary})
    else:
        _echo_summary(session, summary, steps_path or f"live ({source.name})")
    if error is not None:
        saved = [p for p in (steps_path, log_path) if p]
        where = f" (the session so far is saved in {', '.join(saved)})" if saved else ""
        raise StreamError(f"{error}{where}")


def _save(session: LiveSession, steps_path: str | None, log_path: str | None, force: bool) -> None:
    from .._atomic import atomic_output
    from ..readers.steps_csv import write_steps_csv

    if steps_path:
        with atomic_output(steps_path, force=force) as fh:
            write_steps_csv(fh, session.step_times_s, session.detected_at_s)
    if log_path:
        with atomic_output(log_path, force=force) as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["t_s", "cadence_spm", "band", "cue", "tempo_bpm"])
            for r in session.rows:
                cad = f"{r.cadence_spm:.1f}" if r.cadence_spm == r.cadence_spm else ""
                w.writerow([f"{r.t_s:g}", cad, r.band.value, int(r.cue), f"{r.tempo_bpm:g}"])


def _echo_summary(session: LiveSession, summary: dict[str, Any], name: str) -> None:
    from ._runs import clock

    n = summary["n_steps"]
    click.echo(
        f"live session {clock(float(summary['duration_s']))}"  # type: ignore[arg-type]
        + (f", {n} steps" if n is not None else "")
        + f", cue on {clock(float(summary['cue_on_s']))}"  # type: ignore[arg-type]
        + (
            f", steps reported {summary['report_delay_median_s']:.2f} s after they happened (median)"
            if n
            else ""
        )
    )
    result = _as_run(session, name)
    if result is None:
        click.echo("  no running or walking to judge")
        return
    from ..coach.adherence import check_adherence
    from .check import echo_adherence

    segments = session.cue.options.segments
    silent = [(s.start_s, s.end_s) for s in segments if s.role == "silent"]
    cued = [
        (s.start_s, min(s.end_s, session.elapsed_s))
        for s in segments
        if s.role == "cued"
        if s.start_s < session.elapsed_s
    ]
    silent = [(a, min(b, session.elapsed_s)) for a, b in silent if a < session.elapsed_s]
    echo_adherence(check_adherence(result, session.band.low_spm, session.band.high_spm, silent, cued))


def _as_run(session: LiveSession, name: str) -> Any:
    """The session as an analyzed run, the way `cadence check` would read its saved steps."""
    import numpy as np

    from ..datatypes import CadenceTrace
    from ..gait.accel import accel_trace, analyze_step_times
    from ..gait.analysis import analyze_trace
    from ..pipeline import ActivityResult

    if session.kind == "accel":
        acc = analyze_step_times(session.step_times_s, session.elapsed_s, name)
        trace = accel_trace(acc)
        result = ActivityResult(trace, analyze_trace(trace), steps=acc.steps)
    else:
        if not session.rows:
            return None
        t = np.array([r.t_s for r in session.rows])
        cad = np.array([r.cadence_spm for r in session.rows])
        nan = np.full(len(t), np.nan)
        trace = CadenceTrace(
            t_s=t,
            cadence_spm=np.where(np.isfinite(cad), cad, 0.0),
            speed_ms=nan,
            distance_m=nan.copy(),
            timer_intervals_s=np.array([[0.0, float(t[-1])]]),
            sport="running",
            source=name,
            device_name="live cadence",
        )
        result = ActivityResult(trace, analyze_trace(trace))
    return result if result.summary.running_time_s > 0 or result.summary.walking_time_s > 0 else None
