"""The ``cadence`` command line: a click group whose subcommands are imported only when used.

This package is the only place that prints or exits. Every :class:`cadence.errors.CadenceError` becomes one
line on stderr and its exit code (see docs/cli.md); Ctrl-C exits 130 without a traceback.
"""

from __future__ import annotations

import importlib
import sys

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
    "metronome": ("metronome:metronome", "Play or export a sample-accurate metronome (BPM or program)."),
    "plan": (
        "plan:plan",
        "A progression plan to a higher cadence: metronome sessions, faded cues, calendar.",
    ),
    "playlist": ("playlist:playlist", "BPM windows for a step rate and the tracks of your music that fit."),
    "target": ("target:target", "Cadence target: +5-10 % over your running cadence, optionally at a speed."),
}


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
