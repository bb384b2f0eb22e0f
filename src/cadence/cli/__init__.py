"""The ``cadence`` command line: a click group whose subcommands are imported only when used.

This package is the only place that prints or exits. Every :class:`cadence.errors.CadenceError` becomes one
line on stderr and its exit code (see docs/cli.md); Ctrl-C exits 130 without a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from ._common import run_cli

__all__ = ["main"]

#: subcommand name -> ("module:attribute" relative to cadence.cli, one-line help). Imported lazily so that
#: ``cadence --help`` stays fast and no command pays for another's imports.
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze:analyze", "Running cadence from FIT files and accelerometer recordings."),
    "cache": ("cache:cache", "What the cache holds, and clearing it."),
    "check": (
        "check:check",
        "How much of a run was within a cadence target band (per lap, silent segments).",
    ),
    "devices": ("metronome:devices", "List audio output devices for the metronome."),
    "history": ("history:history", "Running cadence run by run and week by week over many activities."),
    "live": ("live:live", "Live cadence from a phone or footpod against the band; the metronome as cue."),
    "metronome": ("metronome:metronome", "Play or export a sample-accurate metronome (BPM or program)."),
    "plan": (
        "plan:plan",
        "A progression plan to a higher cadence: metronome sessions, faded cues, calendar.",
    ),
    "playlist": ("playlist:playlist", "BPM windows for a step rate and the tracks of your music that fit."),
    "target": ("target:target", "Cadence target: +5-10 % over your running cadence, optionally at a speed."),
    "workout": ("workout:workout", "A FIT workout with cadence targets for the watch, from a program."),
}


#: no number cadence takes on its command line is this large (or is nan/inf): 1e308 is a typo, not a value
MAX_CLI_NUMBER = 1e9


class _FiniteFloat(click.ParamType):
    """A float option that refuses nan, infinities and absurd magnitudes (each option may bound it more)."""

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        number = click.FLOAT.convert(value, param, ctx)
        if not -MAX_CLI_NUMBER <= number <= MAX_CLI_NUMBER:
            self.fail(f"{value!r} is not a usable number (nan, infinite or beyond 1e9)", param, ctx)
        return number


_FINITE = _FiniteFloat()


def _bound_floats(command: click.Command) -> None:
    """Give every plain float option of ``command`` (and its subcommands) the :class:`_FiniteFloat` check."""
    for param in command.params:
        if type(param.type) is click.types.FloatParamType:
            param.type = _FINITE
    for sub in getattr(command, "commands", {}).values():
        _bound_floats(sub)


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr = spec[0].split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        command: click.Command = getattr(module, attr)
        _bound_floats(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # list the one-line helps without importing any subcommand module
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cadence")
def cli() -> None:
    """Coach your running step rate (cadence, in steps per minute).

    Analyze FIT files and accelerometer recordings, set a +5-10 % target, and train to a metronome.
    """


def main(argv: list[str] | None = None) -> None:
    """Run the command line and exit with its documented status (0 ok, 1 bad input, 2 usage, 130 Ctrl-C)."""
    sys.exit(run_cli(cli, argv))
