"""Helpers shared by the subcommands: the single place where errors become exit codes."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import click

from ..errors import CadenceError

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_AUDIO = 3
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


#: escape sequences (CSI, OSC with its string, other ESC forms) and the control characters a terminal acts on:
#: C0 except tab and newline, DEL, C1 (NEL included), line/paragraph separators, bidirectional overrides
_TERMINAL_UNSAFE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b.?"  # any other escape
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def terminal_text(text: str) -> str:
    """Return ``text`` without escape sequences and control characters (tags and file names are foreign).

    What a file name or a tag holds must not retitle the terminal (OSC), move the cursor, or break a line
    in the middle of a row; tabs and newlines stay.
    """
    return _TERMINAL_UNSAFE.sub("", text) if not text.isprintable() else text


class _SafeTerminal(io.TextIOBase):
    """A terminal stream that passes text through :func:`terminal_text`, except cadence's own status-line
    controls (carriage return, clear to end of line)."""  # noqa: D205, D209

    _OURS = re.compile(r"(\r|\x1b\[K)")

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        parts = self._OURS.split(text)
        self._stream.write("".join(p if i % 2 else terminal_text(p) for i, p in enumerate(parts)))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return int(self._stream.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self._stream, "encoding", "utf-8"))

    def writable(self) -> bool:
        return True


def _guard_terminals() -> None:
    """Put :class:`_SafeTerminal` in front of stdout and stderr when they are terminals."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _SafeTerminal) and is_tty(stream):
            setattr(sys, name, _SafeTerminal(stream))


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    click.echo(terminal_text(f"warning: {message}"), err=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C (temporary files removed, workers stopped); exit 128 + n."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated(signum)


def _install_signal_handlers() -> None:
    """Make SIGTERM and SIGHUP raise :class:`Terminated`, so that every ``finally`` runs (CLI only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _terminate)


def run_cli(group: click.Group, argv: list[str] | None = None) -> int:
    """Invoke ``group`` and map every outcome to an exit code, printing at most one line per error."""
    warnings.showwarning = _show_warning
    _install_signal_handlers()
    _guard_terminals()
    if os.environ.get("CADENCE_DEBUG"):  # the library's debug notes (e.g. which FIT decoder read a file)
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("cadence: debug: %(message)s"))
        logger = logging.getLogger("cadence")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        rv = group.main(args=argv, prog_name="cadence", standalone_mode=False)
        if isinstance(rv, int):  # click returns Exit codes instead of raising when not standalone
            return rv
    except (click.exceptions.Abort, Terminated) as exc:  # click turns KeyboardInterrupt into Abort
        cause = exc if isinstance(exc, Terminated) else exc.__cause__
        if isinstance(cause, Terminated):
            click.echo(f"stopped by {signal.Signals(cause.signum).name}", err=True)
            return 128 + cause.signum
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        # one line, like every other error; the command's --help is named for the details
        ctx = exc.ctx
        where = f"cadence {ctx.info_name}" if ctx is not None and ctx.parent is not None else "cadence"
        click.echo(f"cadence: error: {exc.format_message()} (see `{where} --help`)", err=True)
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except CadenceError as exc:
        click.echo(terminal_text(f"cadence: error: {exc}"), err=True)
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes a line, not a traceback
        if os.environ.get("CADENCE_DEBUG"):
            raise
        click.echo(
            f"cadence: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; set CADENCE_DEBUG=1 for the traceback)",
            err=True,
        )
        return EXIT_INTERNAL
    return EXIT_OK


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _jsonable(value.item())
    return value


def echo_json(payload: Any) -> None:
    """Print ``payload`` as indented JSON; NaN and infinities become ``null``."""
    click.echo(json.dumps(_jsonable(payload), indent=2, ensure_ascii=False))


def is_tty(stream: Any = None) -> bool:
    """Whether ``stream`` (stdout by default) is an interactive terminal."""
    stream = sys.stdout if stream is None else stream
    return bool(getattr(stream, "isatty", lambda: False)())


def load_plan_session(path: str, number: int) -> dict[str, Any]:
    """Session ``number`` of a ``cadence plan --json`` file, with the plan's tolerance."""
    import json

    from ..errors import InputFormatError, ParameterError

    try:
        with open(path, encoding="utf-8") as fh:
            plan = json.load(fh)
    except FileNotFoundError:
        raise InputFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFormatError(path, f"not a plan from `cadence plan --json` ({exc})") from None
    sessions = plan.get("sessions") if isinstance(plan, dict) else None
    if not isinstance(sessions, list) or not all(
        isinstance(s, dict) and {"session", "program", "target_spm"} <= set(s) for s in sessions
    ):
        raise InputFormatError(path, "not a plan from `cadence plan --json` (no sessions with programs)")
    for s in sessions:
        if s["session"] == number:
            return {**s, "tolerance_spm": plan.get("tolerance_spm", 3.0)}
    raise ParameterError(f"--session {number}: the plan has sessions 1-{len(sessions)}")


def plan_session_options(plan_help: str, session_help: str) -> Callable[[Any], Any]:
    """The ``--plan`` and ``--session`` options, with each command's help (what it takes from the plan)."""

    def add(f: Any) -> Any:
        f = click.option("--session", "session_no", type=int, help=session_help)(f)
        return click.option(
            "--plan", "plan_path", type=click.Path(dir_okay=False, path_type=str), help=plan_help
        )(f)

    return add


def resolve_plan_session(
    plan_path: str | None, session_no: int | None, *, instead: tuple[str, object] | None = None
) -> dict[str, Any] | None:
    """The session of ``--plan``/``--session`` (:func:`load_plan_session`); ``None`` when neither is given.

    ``instead`` is the option the plan replaces and its value, e.g. ``("--program", program)``: giving both
    is a usage error, as is one of ``--plan`` and ``--session`` without the other.
    """
    if (plan_path is None) != (session_no is None):
        raise click.UsageError("--plan and --session go together (e.g. --plan plan.json --session 3)")
    if plan_path is None or session_no is None:
        return None
    if instead is not None and instead[1] is not None:
        raise click.UsageError(f"give {instead[0]} or --plan/--session, not both")
    return load_plan_session(plan_path, session_no)


def plan_band(session: dict[str, Any], target_text: str | None, tolerance_spm: float) -> tuple[str, float]:
    """``--target`` and ``--tolerance``: as given, else the session's target and the plan's tolerance."""
    if target_text is not None:
        return target_text, tolerance_spm
    return f"{session['target_spm']:g}", float(session["tolerance_spm"])


TARGET_HELP = "Target cadence (172) or band (168-176), steps per minute."
TOLERANCE_HELP = "Half-width of the band around a single --target, spm."


def target_option(help: str = TARGET_HELP) -> Callable[[Any], Any]:
    """The ``--target`` option (``target_text``: 172 or 168-176, read by :meth:`TargetBand.parse`)."""
    return click.option("--target", "target_text", help=help)


def tolerance_option(help: str = TOLERANCE_HELP) -> Callable[[Any], Any]:
    """The ``--tolerance`` option (``tolerance_spm``, the band's half-width around a single target)."""
    return click.option("--tolerance", "tolerance_spm", type=float, default=3.0, show_default=True, help=help)


def refuse_existing_outputs(*paths: str | os.PathLike[str] | None, force: bool) -> None:
    """Check every given output path before long work (see :func:`cadence._atomic.check_output_path`)."""
    from .._atomic import check_output_path

    for path in paths:
        if path:
            check_output_path(path, force=force)


def batch_options(f: Any) -> Any:
    """Add the options of the commands that analyze many files (``analyze``, ``history``): ``--jobs``,
    ``--no-cache``, ``--scheduler`` and ``--cache-dir``, one definition for both."""  # noqa: D205, D209
    for option in reversed(
        (
            click.option(
                "--jobs", "-j", type=click.IntRange(min=1), default=None,
                help="Worker processes [default: all CPUs].",
            ),
            click.option(
                "--no-cache", is_flag=True, help="Analyze every file again; read and write no cache."
            ),
            click.option(
                "--scheduler", metavar="tcp://HOST:PORT", default=None,
                help="Analyze on this Dask distributed cluster instead of local processes "
                "(needs cadence[dask]).",
            ),
            click.option(
                "--cache-dir", type=click.Path(file_okay=False, path_type=str), default=None,
                help="Cache folder, shared by `analyze` and `history` [default: $XDG_CACHE_HOME/cadence].",
            ),
        )
    ):  # fmt: skip
        f = option(f)
    return f


def tz_option(f: Any) -> Any:
    """The ``--tz`` option: the zone for files that carry no UTC offset (TCX, GPX)."""
    return click.option(
        "--tz",
        "tz_text",
        metavar="ZONE",
        help="Time zone for files without their own UTC offset (TCX, GPX): Europe/Paris, UTC, +13:00 "
        "[default: this machine's zone]. FIT files carry their own offset, which is used.",
    )(f)


def resolve_tz(tz_text: str | None) -> Any:
    """Parse ``--tz`` (a usage error naming the option when it is not a zone); ``None`` when not given."""
    if tz_text is None:
        return None
    from .._timefmt import parse_tz
    from ..errors import ParameterError

    try:
        return parse_tz(tz_text)
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from None


def units_option(f: Any) -> Any:
    """The ``--units`` option (km and min/km, or miles and min/mi)."""
    return click.option(
        "--units",
        "distance_units",
        type=click.Choice(["metric", "imperial"]),
        default=None,
        help="km and min/km, or miles and min/mi [default: from the locale (LC_MEASUREMENT, LANG)].",
    )(f)


def resolve_units(distance_units: str | None) -> str:
    """Return ``--units`` as given, else the locale's (:func:`cadence._timefmt.default_units`)."""
    from .._timefmt import default_units

    return distance_units or default_units()


@contextlib.contextmanager
def byte_progress(show: bool, label: str = "analyzing") -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done_bytes, total_bytes)`` callback drawing one bar on stderr when ``show``.

    The bar measures bytes of the files left to analyze (cached files are not in it), so its time estimate
    is weighted by file size, not by file count.
    """
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if not show:
            return
        bar = state.get("bar")
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
            bar.__enter__()
            state["bar"] = bar
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


#: colours of the band shares: below the band, in it, above it
_BAND_COLOURS = {"below": "yellow", "in": "green", "above": "red"}


def paint(text: str, kind: str) -> str:
    """Colour ``text`` for a band share (``below``, ``in``, ``above``) when stdout is a colour terminal.

    ``NO_COLOR`` (any value, https://no-color.org) and a non-terminal stdout give the text unchanged;
    click.echo also strips colour when the output is redirected.
    """
    if os.environ.get("NO_COLOR") or not is_tty() or os.environ.get("TERM") == "dumb":
        return text
    return click.style(text, fg=_BAND_COLOURS[kind])
