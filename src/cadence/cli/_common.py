"""Helpers shared by the subcommands: the single place where errors become exit codes."""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import warnings
from typing import Any

import click

from ..errors import CadenceError

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_AUDIO = 3
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    click.echo(f"warning: {message}", err=True)


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
        click.echo(f"cadence: error: {exc}", err=True)
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


def refuse_existing_outputs(*paths: str | os.PathLike[str] | None, force: bool) -> None:
    """Check every given output path before long work (see :func:`cadence._atomic.check_output_path`)."""
    from .._atomic import check_output_path

    for path in paths:
        if path:
            check_output_path(path, force=force)
