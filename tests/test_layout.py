"""The package layout's import rules (docs/architecture.md), checked on the source by an AST walk.

Stages, bottom to top: the shared top-level modules; ``readers/`` and ``gait/`` (which know nothing of each
other); the loader (``pipeline``); ``coach/``, ``audio/``, ``music/``; ``live/``; ``report/``; ``cli/``.
Imports point downward only, function-level (lazy) imports included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

PKG = REPO / "src" / "cadence"
SHARED = {"__init__", "errors", "datatypes", "_atomic", "_cache", "_timefmt"}

#: stage -> the stages it may import (besides itself and the shared modules)
ALLOWED: dict[str, set[str]] = {
    "shared": set(),
    "readers": set(),
    "gait": set(),
    "pipeline": {"readers", "gait"},
    "audio": set(),
    "music": set(),
    "coach": {"readers", "gait", "pipeline", "audio.program"},
    "live": {"readers", "gait", "pipeline", "coach", "audio"},
    "report": {"readers", "gait", "pipeline", "coach", "audio", "music", "live"},
    "cli": {"readers", "gait", "pipeline", "coach", "audio", "music", "live", "report"},
    "__main__": {"cli"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["cadence", *parts])


def _stage(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts:
        return "shared"
    if parts[0] in SHARED:
        return "shared"
    return parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every cadence module ``path`` imports (lazy imports included), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "cadence"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "cadence":
                continue
            out.append((node.lineno, target))
            for alias in node.names:  # ``from . import x`` may import module x
                candidate = f"{target}.{alias.name}"
                if _exists(candidate):
                    out.append((node.lineno, candidate))
    return out


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PKG / rel).with_suffix(".py").is_file() or (PKG / rel / "__init__.py").is_file()


def _sources() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def _allowed(src_stage: str, target: str) -> bool:
    tgt_stage = _stage(target)
    if tgt_stage in ("shared", src_stage):
        return True
    rules = ALLOWED.get(src_stage, set())
    return tgt_stage in rules or any(target == f"cadence.{r}" for r in rules)


def test_every_module_is_in_a_known_stage() -> None:
    top = sorted(p.stem for p in PKG.glob("*.py"))
    assert set(top) <= SHARED | {"__main__", "pipeline"}, f"top-level modules beyond the shared ones: {top}"
    assert len(top) <= 8, f"at most 8 top-level modules, found {len(top)}: {top}"
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders <= set(ALLOWED), f"unknown stage folders: {folders - set(ALLOWED)}"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_downward(path: Path) -> None:
    me = _module_name(path)
    stage = "__main__" if me == "cadence.__main__" else _stage(me)
    if me == "cadence":  # the package __init__ re-exports lazily by name (importlib), not by import
        stage = "shared"
    bad = [f"line {line}: {target}" for line, target in _imports(path) if not _allowed(stage, target)]
    assert not bad, f"{me} ({stage}) imports upward or sideways: {bad}"


def test_audio_imports_only_the_program_notation_into_coach() -> None:
    for path in (PKG / "coach").rglob("*.py"):
        audio = [t for _, t in _imports(path) if _stage(t) == "audio"]
        assert all(t == "cadence.audio.program" for t in audio), (path.name, audio)


def test_no_import_cycles() -> None:
    graph = {
        _module_name(p): {t for _, t in _imports(p) if _exists(t)} - {_module_name(p)} for p in _sources()
    }
    graph["cadence"] = set()  # lazy re-exports by name
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if n.startswith("cadence.cli") and not m.startswith("cadence.cli") and m != "cadence.__main__":
                pytest.fail(f"{m} imports the CLI ({n})")
            if state.get(n) == 1:
                pytest.fail("import cycle: " + " -> ".join([*stack[stack.index(n):], n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_rules_catch_an_upward_import(tmp_path: Path) -> None:
    # the checker itself must be able to fail: a reader importing the analysis is sideways
    assert not _allowed("readers", "cadence.gait.analysis")
    assert not _allowed("gait", "cadence.pipeline")
    assert not _allowed("audio", "cadence.coach.plan")
    assert not _allowed("music", "cadence.audio.clicks")
    assert not _allowed("coach", "cadence.audio.clicks")
    assert not _allowed("report", "cadence.cli")
    assert _allowed("coach", "cadence.audio.program") and _allowed("cli", "cadence.report.text")
