from __future__ import annotations

import time

import pytest

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


def test_usage_errors_are_one_line() -> None:
    for args in (("no-such-command",), ("analyze",), ("history", "--target", "999", "sample_data")):
        proc = run_cadence(*args)
        assert proc.returncode == 2, args
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cadence: error: ") and "--help" in lines[0], args


def test_output_in_a_missing_folder_is_one_line_before_any_work(tmp_path) -> None:  # noqa: ANN001
    from conftest import SAMPLE_DATA

    missing = tmp_path / "nope" / "out"
    cases = [
        ("plan", "160", "--ics", f"{missing}.ics"),
        ("history", str(SAMPLE_DATA), "--csv", f"{missing}.csv", "--no-cache"),
        ("analyze", str(SAMPLE_DATA / "elev__portland.fit"), "--series", f"{missing}.csv"),
        ("metronome", "172", "-d", "5", "-o", f"{missing}.wav"),
    ]
    for args in cases:
        proc = run_cadence(*args)
        assert proc.returncode == 1, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, (args, proc.stderr)
        assert lines[0].startswith(f"cadence: error: {missing}.") and lines[0].endswith(
            f"cannot write here: folder '{missing.parent}' does not exist"
        ), lines
        assert proc.stdout == "", args  # nothing printed before the refusal (plan used to print its table)


@pytest.mark.parametrize(
    "args",
    [
        ["check", "run.fit"],
        ["live", "--replay", "run.csv"],
        ["workout", "-o", "w.fit"],
        ["metronome"],
        ["playlist"],
    ],
)
def test_plan_without_session_is_the_same_usage_error(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from cadence.cli import cli
    from cadence.cli._common import run_cli

    code = run_cli(cli, [*args, "--plan", "plan.json"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err == (
        "cadence: error: --plan and --session go together (e.g. --plan plan.json --session 3) "
        f"(see `cadence {args[0]} --help`)\n"
    )
