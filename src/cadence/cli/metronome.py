"""``cadence metronome`` (play or export a sample-accurate click track) and ``cadence devices``."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from ._common import echo_json, is_tty, plan_session_options, resolve_plan_session

if TYPE_CHECKING:
    from ..audio.playback import PlaybackReport, Player

PROGRAM_HELP = """\b
Programs: comma-separated segments DURATION@TEMPO, e.g.
  cadence metronome --program "5m@160, 3x(4m@172, 1m@rest), 10m@172"
\b
  DURATION  90s, 5m, 1h, 2.5m, 1m30s, 1:30 or 1:00:00
  TEMPO     172 (BPM), 160->172 (linear ramp over the segment),
            rest (silent; the beat grid goes on, so the clicks come back in step)
  Nx(...)   repeat; a bare BPM as the last segment plays until stopped.
Each segment ends on its first beat at or after its nominal length. See docs/metronome.md.

\b
Keys (when stdin is a terminal): + or = faster, - slower (1 BPM, from the next beat), space pause, q quit."""


def _parse_latency(value: str) -> str | float:
    from ..errors import ParameterError

    if value in ("low", "high"):
        return value
    try:
        return float(value)
    except ValueError:
        raise ParameterError(f"latency {value!r} must be 'low', 'high' or seconds (e.g. 0.1)") from None


@click.command(epilog=PROGRAM_HELP, context_settings={"max_content_width": 110})
@click.argument("bpm", type=float, required=False)
@click.option("--program", "-p", metavar="TEXT", help="A tempo program instead of one BPM (see below).")
@plan_session_options(
    plan_help="A plan from `cadence plan --json`: play the program of its --session.",
    session_help="The plan session to play (with --plan).",
)
@click.option(
    "--ramp-from", type=float, metavar="BPM", help="Ramp linearly from this tempo up (or down) to BPM."
)
@click.option(
    "--ramp-time", default="5m", show_default=True, metavar="DURATION", help="Length of --ramp-from."
)
@click.option(
    "--sound",
    type=click.Choice(["woodblock", "click", "beep"]),
    default="woodblock",
    show_default=True,
    help="Click sound.",
)
@click.option(
    "--pitch", type=float, metavar="HZ", help="Pitch of the click (default per sound: 1000/2500/880 Hz)."
)
@click.option(
    "--level", type=float, default=-6.0, show_default=True, metavar="DB", help="Click peak level, dBFS."
)
@click.option(
    "--accent", type=int, default=0, show_default=True, metavar="N", help="Accent every N-th click (0: none)."
)
@click.option(
    "--accent-level", type=float, default=4.0, show_default=True, metavar="DB", help="Accent boost, dB."
)
@click.option("--half-time", is_flag=True, help="Click on every other step (half the BPM, same grid).")
@click.option("--duration", "-d", metavar="DURATION", help="Stop after this long (seconds, m:ss, 45m, ...).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write a .wav, .flac, .mp3, .opus or .ogg file instead of playing.",
)
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option(
    "--announce",
    is_flag=True,
    help="With --output: two rising beeps before the clicks come back, two falling when they stop.",
)
@click.option(
    "--device", metavar="ID", help="Output device: index or part of its name (see `cadence devices`)."
)
@click.option(
    "--samplerate",
    type=int,
    metavar="HZ",
    help="Sampling rate [device default; for --output 48000, MP3 24000].",
)
@click.option("--latency", default="0.2", show_default=True, help="Output latency: seconds, high or low.")
@click.option(
    "--channels", type=int, default=1, show_default=True, help="Output channels (try 2 if mono fails)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def metronome(
    bpm: float | None,
    program: str | None,
    plan_path: str | None,
    session_no: int | None,
    ramp_from: float | None,
    ramp_time: str,
    sound: str,
    pitch: float | None,
    level: float,
    accent: int,
    accent_level: float,
    half_time: bool,
    duration: str | None,
    output: str | None,
    force: bool,
    announce: bool,
    device: str | None,
    samplerate: int | None,
    latency: str,
    channels: int,
    as_json: bool,
) -> None:
    """Play a sample-accurate metronome at BPM (steps per minute), or a tempo program.

    Clicks stay on the exact sample grid for as long as it runs. With --output the same session is written
    to an audio file (faster than real time) to play from a phone: WAV or FLAC, or MP3 / Ogg Opus at a
    tenth of the size or less, every click still on its sample.
    """
    from .._timefmt import parse_duration_s as parse_duration
    from ..audio.clicks import ClickOptions, ClickSound, click_track
    from ..audio.program import Program, parse_program

    session = resolve_plan_session(plan_path, session_no, instead=("--program", program))
    if session is not None:
        program = str(session["program"])
    if (bpm is None) == (program is None):
        raise click.UsageError(
            "give either BPM or --program (or --plan with --session), e.g. `cadence metronome 172`"
        )
    if ramp_from is not None:
        if program is not None:
            raise click.UsageError(
                "--ramp-from works with BPM, not --program (write the ramp in the program)"
            )
        assert bpm is not None
        the_program = Program.ramp(ramp_from, bpm, parse_duration(ramp_time))
    elif program is not None:
        the_program = parse_program(program)
    else:
        assert bpm is not None
        the_program = Program.constant(bpm)
    options = ClickOptions(
        sound=ClickSound(sound),
        pitch_hz=pitch,
        level_db=level,
        accent_every=accent,
        accent_db=accent_level,
        half_time=half_time,
    )
    duration_s = parse_duration(duration) if duration is not None else None

    if output is not None:
        from ..audio.export import default_fs_hz, write_click_track

        fs_out = default_fs_hz(output) if samplerate is None else samplerate
        track = click_track(the_program, fs_out, options, duration_s)
        if announce:
            from ..audio.announce import announced

            export = write_click_track(announced(track), output, force=force)
        else:
            export = write_click_track(track, output, force=force)
        if as_json:
            echo_json(
                {
                    "output": export.path,
                    "duration_s": export.duration_s,
                    "samplerate_hz": export.fs_hz,
                    "clicks": export.clicks,
                    "render_s": export.elapsed_s,
                    "speed_factor": export.speed_factor,
                }
            )
        else:
            click.echo(
                f"wrote {export.path}: {_clock(export.duration_s)}, {export.clicks} clicks, "
                f"{export.fs_hz} Hz ({export.speed_factor:.0f}x faster than real time)"
            )
        return

    if announce:
        raise click.UsageError("--announce works with --output (an exported file), not live playback")
    from ..audio.playback import Player, output_device

    latency_s = _parse_latency(latency)  # bad options are usage errors, before any audio device is asked
    if not 1 <= channels <= 32:
        raise click.BadParameter(f"{channels} must be 1-32", param_hint="--channels")
    dev = output_device(device)
    fs_hz = dev.default_samplerate_hz if samplerate is None else samplerate
    track = click_track(the_program, fs_hz, options, duration_s)
    player = Player(track, device=dev.index, latency=latency_s, channels=channels)
    show_status = is_tty(sys.stdout) and not as_json
    try:
        with player, _keys(enabled=is_tty(sys.stdin)) as read_keys:
            while not player.wait(0.1):
                for key in read_keys():
                    if key in "+=":
                        _nudge(player, +1)
                    elif key in "-_":
                        _nudge(player, -1)
                    elif key == " ":
                        player.toggle_pause()
                    elif key in "qQ":
                        raise _Quit
                if show_status:
                    _status(player)
    except _Quit:
        pass
    except KeyboardInterrupt:  # not a finally: a device that fails to open reports nothing but its error
        _finish(player, show_status, as_json)
        raise
    _finish(player, show_status, as_json)


class _Quit(Exception):
    """The user pressed q."""


def _nudge(player: Player, delta_bpm: float) -> None:
    from ..errors import ParameterError

    with contextlib.suppress(ParameterError):  # out of range: the tempo stays (the status line shows it)
        player.nudge(delta_bpm)


def _clock(seconds: float) -> str:
    minutes, s = divmod(round(seconds, 1), 60.0)  # round first: 59.97 s is 1:00.0, not 0:60.0
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{s:04.1f}" if hours else f"{minutes}:{s:04.1f}"


def _status(player: Player) -> None:
    pos = player.position()
    seg = f"  segment {pos.segment + 1}/{pos.n_segments} {pos.segment_text}" if pos.n_segments > 1 else ""
    state = "  PAUSED" if player.paused else ("  (rest)" if pos.muted else "")
    nudge = f" ({player.track.offset_bpm:+g})" if player.track.offset_bpm else ""
    under = f"  underflows {player.underflows}" if player.underflows else ""
    tempo = "--" if pos.tempo_bpm != pos.tempo_bpm else f"{pos.tempo_bpm:.1f}"  # NaN in a lead-in rest
    line = (
        f"{_clock(player.elapsed_s)}  {tempo} BPM{nudge}{seg}{state}{under}"
        "   [+/- tempo, space pause, q quit]"
    )
    width = shutil.get_terminal_size((100, 20)).columns - 1
    sys.stdout.write("\r" + line[:width] + "\x1b[K")
    sys.stdout.flush()


def _end_status(shown: bool) -> None:
    if shown:
        sys.stdout.write("\r\x1b[K")
        sys.stdout.flush()


def _finish(player: Player, shown: bool, as_json: bool) -> None:
    """Stop ``player``, clear the status line (when ``shown``) and print what was played."""
    report = player.close()
    _end_status(shown)
    _summary(report, as_json)


def _summary(report: PlaybackReport, as_json: bool) -> None:
    if as_json:
        echo_json(
            {
                "played_s": report.duration_s,
                "samplerate_hz": report.fs_hz,
                "clicks": report.clicks,
                "underflows": report.underflows,
                "finished": report.finished,
                "nudge_bpm": report.track.offset_bpm,
                "device": report.device.name,
            }
        )
    else:
        click.echo(
            f"played {_clock(report.duration_s)} on {report.device.name!r} at {report.fs_hz} Hz: "
            f"{report.clicks} clicks, {report.underflows} underflows"
        )
    if report.underflows:
        click.echo(
            f"warning: {report.underflows} underflows (the audio device ran dry; clicks stayed on the grid): "
            "try --latency 0.5 or close busy programs",
            err=True,
        )


@contextlib.contextmanager
def _keys(enabled: bool) -> Iterator[Any]:
    """Yield a function returning the keys pressed so far; reads nothing unless ``enabled`` (a terminal)."""
    if not enabled:
        yield lambda: ""
        return
    if os.name == "nt":  # pragma: no cover - Windows console
        import msvcrt

        def read_windows() -> str:
            keys = ""
            while msvcrt.kbhit():  # type: ignore[attr-defined]
                keys += msvcrt.getwch()  # type: ignore[attr-defined]
            return keys

        yield read_windows
        return
    import select
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)  # keys arrive one by one, unechoed; Ctrl-C still raises KeyboardInterrupt

        def read_posix() -> str:
            keys = ""
            while select.select([fd], [], [], 0)[0]:
                data = os.read(fd, 32)
                if not data:
                    break
                keys += data.decode(errors="replace")
            return keys

        yield read_posix
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def devices(as_json: bool) -> None:
    """List the audio output devices (for `cadence metronome --device`)."""
    from ..audio.playback import list_output_devices

    found = list_output_devices()
    if as_json:
        echo_json(
            [
                {
                    "index": d.index,
                    "name": d.name,
                    "hostapi": d.hostapi,
                    "channels": d.max_output_channels,
                    "default_samplerate_hz": d.default_samplerate_hz,
                    "default": d.is_default,
                }
                for d in found
            ]
        )
        return
    if not found:
        click.echo("no audio output devices found (use `cadence metronome --output FILE.wav`)", err=True)
        return
    for d in found:
        mark = "*" if d.is_default else " "
        click.echo(
            f"{mark} {d.index:3d}  {d.name}  "
            f"({d.hostapi}, {d.max_output_channels} ch, {d.default_samplerate_hz} Hz)"
        )
    click.echo("* default output device")
