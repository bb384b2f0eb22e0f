"""Shared fixtures: paths to the bundled sample data and to ../shared (skipped cleanly when absent)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "sample_data"
SHARED = Path(os.environ.get("CADENCE_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The repo's bundled ``sample_data/`` folder."""
    return SAMPLE_DATA


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (or ``$CADENCE_SHARED``); the test is skipped when it is not there."""
    if not (SHARED / "data").is_dir():
        pytest.skip(f"{SHARED} not found (set CADENCE_SHARED to run the tests on the shared data)")
    return SHARED


def run_cadence(
    *args: str, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m cadence ARGS`` as a user would, in a subprocess; returns the completed process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "cadence", *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.fixture(scope="session")
def shared_fit_traces(shared_dir: Path) -> dict[str, object]:
    """Read every FIT file in ../shared/data/fit once per session: name -> list of traces or the error."""
    import warnings

    from cadence.errors import CadenceError, CadenceWarning
    from cadence.readers.fit import read_fit

    out: dict[str, object] = {}
    for path in sorted((shared_dir / "data" / "fit").glob("*.fit")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CadenceWarning)  # recovered files warn; others must not
                out[path.name] = read_fit(path)
        except CadenceError as exc:
            out[path.name] = exc
    return out


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that cache (``analyze``, ``history``) write to a temporary folder, never the user's cache."""
    monkeypatch.setenv("CADENCE_CACHE_DIR", str(tmp_path_factory.mktemp("cadence-cache")))
