"""The console examples in docs/targets.md are real: every shown output line comes out of the command."""

from __future__ import annotations

import shlex

import pytest

from conftest import REPO, run_cadence

DOC = REPO / "docs" / "targets.md"


def _examples() -> list[tuple[list[str], list[str]]]:
    """(argv, shown output lines) for each ``$ cadence ...`` in a console block that shows its output."""
    out: list[tuple[list[str], list[str]]] = []
    in_console = False
    current: tuple[list[str], list[str]] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            current = None
            continue
        if not in_console:
            continue
        if line.startswith("$ cadence "):
            current = (shlex.split(line[2:].split("  #")[0])[1:], [])
            out.append(current)
        elif current is not None and line.strip() and line.strip() != "...":
            current[1].append(line.rstrip())
    return [(argv, shown) for argv, shown in out if shown]


EXAMPLES = _examples()


def test_the_doc_has_examples_with_output() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize(("argv", "shown"), EXAMPLES, ids=[" ".join(a[:2]) for a, _ in EXAMPLES])
def test_example_output(argv: list[str], shown: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "C.UTF-8")  # metric, as the doc shows
    monkeypatch.setenv("TZ", "UTC")
    argv = [str(REPO / a) if a.startswith("sample_data/") else a for a in argv]
    proc = run_cadence(*argv)
    assert proc.returncode == 0, proc.stderr
    actual = [line.rstrip().replace(str(REPO) + "/", "") for line in proc.stdout.splitlines()]
    missing = [line for line in shown if line not in actual]
    assert not missing, f"lines shown in docs/targets.md but not printed: {missing}"
