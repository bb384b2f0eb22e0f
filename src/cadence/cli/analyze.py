"""``cadence analyze``: placeholder until the FIT analysis lands."""

import click


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
def analyze(files: tuple[str, ...]) -> None:
    """Analyze running cadence in FILES."""
    raise click.UsageError("not implemented yet")
