"""Every command in docs/ and the README runs: shown output lines are printed, sketched commands parse.

``$ cadence ...`` lines in console blocks are run and every output line the doc shows must be printed (in UTC,
metric, as the docs were written; docs/targets.md has its own test). ``cadence ...`` lines in sh blocks name
files the reader does not have (``run.fit``, ``~/runs/``): they are run with ``--help`` appended, which fails
on any option the command does not have.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from conftest import REPO, run_cadence

DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]


def _blocks(doc: Path) -> list[tuple[str, list[str]]]:
    blocks, kind, lines = [], None, []
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if kind is None:
                kind, lines = line[3:].strip(), []
            else:
                blocks.append((kind, lines))
                kind = None
        elif kind is not None:
            lines.append(line)
    return blocks


def _console_examples() -> list[tuple[str, list[str], list[str]]]:
    out = []
    for doc in DOCS:
        if doc.name == "targets.md":
            continue
        for kind, lines in _blocks(doc):
            if kind != "console":
                continue
            current = None
            for line in lines:
                if line.startswith("$ cadence "):
                    current = (doc.name, shlex.split(line[2:])[1:], [])
                    out.append(current)
                elif current is not None and line.strip() and line.strip() != "...":
                    current[2].append(line.rstrip())
    return out


def _sketches() -> list[tuple[str, list[str]]]:
    out = []
    for doc in DOCS:
        for kind, lines in _blocks(doc):
            if kind != "sh":
                continue
            for line in lines:
                for part in re.split(r"&&|;", line.split("  #")[0]):
                    words = shlex.split(part.strip(), comments=True)
                    if words[:1] == ["cadence"] and len(words) > 1:
                        out.append((doc.name, words[1:]))
    return out


CONSOLE = _console_examples()
SKETCHES = _sketches()


def test_the_docs_have_examples() -> None:
    assert len(CONSOLE) >= 2 and len(SKETCHES) >= 15


@pytest.mark.parametrize(
    ("doc", "argv", "shown"), CONSOLE, ids=[f"{d}:{' '.join(a[:2])}" for d, a, _ in CONSOLE]
)
def test_console_example_output(
    doc: str, argv: list[str], shown: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    proc = run_cadence(*argv, "--no-cache") if argv[0] == "history" else run_cadence(*argv)
    assert proc.returncode == 0, proc.stderr
    actual = [line.rstrip() for line in proc.stdout.splitlines()]
    missing = [line for line in shown if line not in actual]
    assert not missing, f"lines shown in {doc} but not printed: {missing}"


@pytest.mark.parametrize(("doc", "argv"), SKETCHES, ids=[f"{d}:{' '.join(a[:3])}" for d, a in SKETCHES])
def test_sketched_command_parses(doc: str, argv: list[str]) -> None:
    proc = run_cadence(*[os.path.expanduser(a) for a in argv], "--help")
    assert proc.returncode == 0, f"{doc}: cadence {' '.join(argv)}: {proc.stderr}"
