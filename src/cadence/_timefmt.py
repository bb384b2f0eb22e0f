"""Clock formatting shared by every report (a leaf module: pure, no imports from the package)."""

from __future__ import annotations

import math

__all__ = ["format_duration"]


def format_duration(seconds: float) -> str:
    """Format seconds as a clock: ``3725.4`` -> ``"1:02:05"``, ``370`` -> ``"6:10"``, ``nan`` -> ``"-"``."""
    if not math.isfinite(seconds):
        return "-"
    total = int(round(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
