"""Helpers for the bench scripts: where ../shared is, and a clean skip without it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CADENCE_SHARED", REPO.parent / "shared"))
sys.path.insert(0, str(REPO / "src"))


def shared_or_skip(*parts: str) -> Path:
    """The path under ../shared, or exit 0 with a message when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        print(f"skipped: {path} not found (set CADENCE_SHARED)")
        raise SystemExit(0)
    return path
