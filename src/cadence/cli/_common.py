"""Helpers shared by the subcommands: the single place where errors become exit codes."""

from __future__ import annotations

import contextlib
import json
import math
import os
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


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    click.echo(f"warning: {message}", err=True)


def run_cli(group: click.Group, argv: list[str] | None = None) -> int:
    """Invoke ``group`` and map every outcome to an exit code, printing at most one line per error."""
    warnings.showwarning = _show_warning
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
    except click.exceptions.Abort:
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
