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


def architecture_figure():  # noqa: ANN201 - a matplotlib Figure
    """The package map of docs/architecture.md: one box per stage, arrows the way a recording travels."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig = Figure(figsize=(9.6, 6.2), dpi=110)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 67.5)
    ax.axis("off")
    boxes = {  # name: (x, y, w, h, title, modules, colour)
        "files": (2, 52, 24, 11, "your files", "FIT  TCX  GPX  CSV\nzip  .gz  exports", "#eeeeee"),
        "readers": (36, 52, 28, 11, "readers/", "fit  fit_fast  fit_accel\naccel_csv  steps_csv  _accel", "#dbe8f6"),
        "types": (72, 52, 26, 11, "datatypes", "Recording\nCadenceTrace", "#fff3c4"),
        "pipeline": (36, 35, 28, 11, "pipeline", "analyze_file\nload_traces", "#fde2c8"),
        "gait": (72, 35, 26, 11, "gait/", "steps  analysis  accel\nstreaming  synth", "#dbe8f6"),
        "coach": (2, 18, 23, 11, "coach/", "target  plan  check\nhistory  workouts", "#dff2dc"),
        "audio": (27.5, 18, 21, 11, "audio/", "program  clicks\nexport  playback", "#dff2dc"),
        "music": (51, 18, 21, 11, "music/", "library  matching\ntempo", "#dff2dc"),
        "live": (75, 18, 23, 11, "live/", "sources  rsc\nsession  feedback", "#d5eef0"),
        "report": (10, 2, 30, 11, "report/", "text  document (JSON)\ncharts", "#ecdff5"),
        "cli": (56, 2, 32, 11, "cli/", "one module per command\nthe only code that prints", "#f6d5d5"),
    }
    for x, y, w, h, title, mods, colour in boxes.values():
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.4", fc=colour, ec="#555555"))
        ax.text(x + w / 2, y + h - 2.6, title, ha="center", va="center", fontsize=11, weight="bold")
        ax.text(x + w / 2, y + 3.6, mods, ha="center", va="center", fontsize=8.5, family="monospace")

    def port(name: str, side: str, at: float = 0.5) -> tuple[float, float]:
        x, y, w, h, *_ = boxes[name]
        return {"l": (x - 0.4, y + h * at), "r": (x + w + 0.4, y + h * at),
                "t": (x + w * at, y + h + 0.4), "b": (x + w * at, y - 0.4)}[side]  # fmt: skip

    arrows = [  # (from, side, at), (to, side, at), dashed
        (("files", "r", 0.5), ("readers", "l", 0.5), False),
        (("readers", "r", 0.5), ("types", "l", 0.5), False),
        (("types", "b", 0.5), ("gait", "t", 0.5), False),
        (("readers", "b", 0.5), ("pipeline", "t", 0.5), False),
        (("gait", "l", 0.5), ("pipeline", "r", 0.5), False),
        (("pipeline", "b", 0.2), ("coach", "t", 0.7), False),
        (("audio", "l", 0.5), ("coach", "r", 0.5), True),  # coach uses the program notation only
        (("coach", "b", 0.5), ("report", "t", 0.4), False),
        (("report", "r", 0.5), ("cli", "l", 0.5), False),
        (("audio", "b", 0.6), ("cli", "t", 0.3), False),
        (("music", "b", 0.5), ("cli", "t", 0.6), False),
        (("gait", "b", 0.5), ("live", "t", 0.5), False),
        (("live", "b", 0.3), ("cli", "t", 0.9), False),
    ]
    for (a, sa, ta), (b, sb, tb), dashed in arrows:
        ax.add_patch(
            FancyArrowPatch(
                port(a, sa, ta), port(b, sb, tb), arrowstyle="-|>", mutation_scale=14, color="#333333",
                lw=1.2, linestyle="--" if dashed else "-",
            )  # fmt: skip
        )
    ax.text(
        50, 65, "a recording travels along the arrows; each stage imports only the stages it comes from",
        ha="center", fontsize=10,
    )  # fmt: skip
    return fig


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
    out = args.out / "architecture.png"
    save_figure(architecture_figure(), out, force=True)
    written.append(out)
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
