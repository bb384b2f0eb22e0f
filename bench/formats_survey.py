"""Run every file of ../shared/data/formats through `cadence analyze --json` and tabulate what it says.

    python bench/formats_survey.py [FOLDER]

One row per file: the format family recognised, rate, samples, steps and walking/running cadence, or the
one-line error. No ground truth exists for these files: read the cadence for plausibility (walks 90-130 spm).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _shared import shared_or_skip

SKIP = {"SOURCES.csv", "README.md"}


def survey(folder: Path) -> list[tuple[str, str]]:
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in SKIP):
        proc = subprocess.run(
            [sys.executable, "-m", "cadence", "analyze", str(path), "--json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        name = str(path.relative_to(folder))
        try:
            doc = json.loads(proc.stdout)
        except json.JSONDecodeError:
            err = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            rows.append((name, f"exit {proc.returncode}: {err.replace(str(path), 'FILE')[:160]}"))
            continue
        parts = []
        for a in doc["activities"]:
            cad = a["running_cadence_spm"] or a["walking_cadence_spm"]
            kind = "run" if a["running_cadence_spm"] else "walk"
            parts.append(
                f"{a.get('format') or a['device']}: {a['n_steps']} steps, {kind} "
                + (f"{cad:.1f} spm" if cad else "-")
                + f" over {a['timer_time_s']:.0f} s"
            )
        for e in doc["errors"]:
            parts.append(f"error: {e['error'].replace(str(path), 'FILE')[:160]}")
        rows.append((name, "; ".join(parts) + (f" (exit {proc.returncode})" if proc.returncode else "")))
    return rows


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else shared_or_skip("data", "formats")
    print("| file | result |\n|---|---|")
    for name, result in survey(folder):
        print(f"| {name} | {result.replace('|', '/')} |")


if __name__ == "__main__":
    main()
