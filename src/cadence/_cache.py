"""The user cache folder shared by every cache (history rows, tempo estimates): one place, one rule."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir"]


def default_cache_dir() -> Path:
    """Return ``$CADENCE_CACHE_DIR``, else the user cache folder (``$XDG_CACHE_HOME/cadence`` on Linux)."""
    env = os.environ.get("CADENCE_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("cadence", appauthor=False))
