"""Regenerate the pictures in docs/img/ from the bundled sample data.

    python docs/make_figures.py [--out docs/img]

Each picture is drawn by the same code as the command in its caption, so the docs show what users get.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def main(argv: list[str] | None = None) -> list[Path]:
    """Draw every docs picture; return the paths written."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    args = parser.parse_args(argv)

    from cadence.coach.band import TargetBand
    from cadence.pipeline import analyze_file
    from cadence.report.charts import activity_figure, save_figure

    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    # `cadence analyze sample_data/elev__portland.fit --plot analyze_portland.png --target 168-176`
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (portland,) = analyze_file(REPO / "sample_data" / "elev__portland.fit")
    out = args.out / "analyze_portland.png"
    save_figure(activity_figure(portland, TargetBand(168, 176)), out, force=True)
    written.append(out)
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
