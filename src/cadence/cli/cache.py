"""``cadence cache``: what the cache folder holds, and clearing it."""

from __future__ import annotations

import click

from ._common import echo_json


@click.group("cache")
def cache() -> None:
    """The cache of analyzed runs (history) and tempo estimates (playlist).

    \b
    The folder is $CADENCE_CACHE_DIR, else the user cache folder; it is kept under
    $CADENCE_CACHE_MAX_MB (default 256 MB), oldest entries removed first.
    """


@cache.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(as_json: bool) -> None:
    """Where the cache is and how much it holds."""
    from .._cache import default_cache_dir, max_cache_bytes, usage

    use = usage(default_cache_dir())
    if as_json:
        cap = max_cache_bytes()
        echo_json({"folder": use.folder, "files": use.n_files, "bytes": use.n_bytes, "max_bytes": cap})
        return
    cap_mb = max_cache_bytes() / 1e6
    click.echo(f"{use.folder}: {use.n_files} files, {use.n_bytes / 1e6:.1f} MB (cap {cap_mb:.0f} MB)")


@cache.command("clear")
def clear() -> None:
    """Remove every cache entry cadence wrote (nothing else in the folder is touched)."""
    from .._cache import clear as clear_cache
    from .._cache import default_cache_dir

    before = clear_cache(default_cache_dir())
    click.echo(f"cleared {before.folder}: {before.n_files} files, {before.n_bytes / 1e6:.1f} MB")
