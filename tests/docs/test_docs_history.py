"""The docs' examples run: the figure script and the Python snippets in docs/history.md and docs/charts.md."""

from __future__ import annotations

import os
import re
import runpy
import sys
from pathlib import Path

import pytest

from conftest import REPO


def python_blocks(doc: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.DOTALL)


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[16:24]
    return int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")


@pytest.mark.parametrize("doc", ["history.md", "charts.md"])
def test_python_examples_run(
    doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = python_blocks(REPO / "docs" / doc)
    assert blocks
    (tmp_path / "sample_data").symlink_to(REPO / "sample_data")
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        exec(compile(code, doc, "exec"), {})  # the docs' own example
    if doc == "history.md":
        out = capsys.readouterr().out.splitlines()
        assert len(out) == 3 and all(line.startswith("20") for line in out)
    else:
        assert (tmp_path / "portland.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_make_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["make_figures.py", "--out", str(tmp_path)])
    runpy.run_path(str(REPO / "docs" / "make_figures.py"), run_name="__main__")
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["analyze_portland.png", "architecture.png"]
    for name in pngs:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # the committed picture is there and is a chart of the same size as the one the script draws
        # (regenerate with `python docs/make_figures.py`); the bytes differ between matplotlib builds
        committed = REPO / "docs" / "img" / name
        assert committed.exists() and os.path.getsize(committed) > 50_000
        assert _png_size(committed) == _png_size(tmp_path / name)
