from __future__ import annotations

import time

from conftest import run_cadence


def test_help_lists_commands_and_is_quick() -> None:
    t0 = time.perf_counter()
    proc = run_cadence("--help")
    elapsed_s = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    assert "analyze" in proc.stdout
    # the group imports no numpy/scipy/fitdecode: well under a second even on a busy machine
    assert elapsed_s < 3.0


def test_help_imports_no_heavy_modules() -> None:
    code = (
        "import sys; from cadence.cli import cli; "
        "heavy = [m for m in ('numpy', 'scipy', 'fitdecode', 'sounddevice') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    import subprocess
    import sys

    from conftest import REPO

    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(REPO / "src")}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_unknown_command_is_usage_error() -> None:
    proc = run_cadence("no-such-command")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_public_api_names_resolve() -> None:
    import cadence

    for name in cadence.__all__:
        assert getattr(cadence, name) is not None, name
    lazy = sorted(cadence._LAZY)
    assert cadence.__all__[-len(lazy) :] == lazy
