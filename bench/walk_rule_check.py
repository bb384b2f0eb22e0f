"""Before/after of the walk rule (speed, step length; docs/fit.md) on every walking, hiking and running file.

Run: ``python bench/walk_rule_check.py [../shared/data]``. "before" is the same analysis with the
doubled-walk repair and the walking-session rule switched off (cadence alone decides, as before issue 11);
"after" is the default. Prints one line per step-sport session whose figures changed, then the totals.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from cadence.errors import InputFormatError
from cadence.gait import analysis
from cadence.pipeline import load_traces, scan_activity_files


def _before(trace: object) -> analysis.CadenceSummary:
    keep_repair, keep_walk = analysis.repair_doubled_walk, analysis._is_walk_session
    analysis.repair_doubled_walk = lambda c, v, **_: (np.asarray(c, float).copy(), np.zeros(len(c), bool))  # type: ignore[assignment]
    analysis._is_walk_session = lambda _t: False  # type: ignore[assignment]
    try:
        return analysis.analyze_trace(trace)  # type: ignore[arg-type]
    finally:
        analysis.repair_doubled_walk, analysis._is_walk_session = keep_repair, keep_walk


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    if not (root / "fit").is_dir():
        print(f"{root} not found: nothing to check")
        return
    scan = scan_activity_files([root / "fit", root / "activities"])
    n_sessions = n_changed = 0
    for path in scan.files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                traces = load_traces(path)
        except InputFormatError:
            continue
        for tr in traces:
            if not tr.is_step_sport or not np.isfinite(tr.cadence_spm).any():
                continue
            n_sessions += 1
            b, a = _before(tr), analysis.analyze_trace(tr)
            same = abs(b.running_time_s - a.running_time_s) < 1 and (
                b.running_cadence_spm == a.running_cadence_spm
                or (np.isnan(b.running_cadence_spm) and np.isnan(a.running_cadence_spm))
            )
            name = path.split("/data/", 1)[-1]
            if same:
                print(
                    f"  same     {name} [{tr.session_index}] {tr.sport}: running {a.running_time_s:.0f} s at "
                    f"{a.running_cadence_spm:.1f} spm, walking {a.walking_cadence_spm:.1f} spm"
                )
                continue
            n_changed += 1
            print(
                f"  CHANGED  {name} [{tr.session_index}] {tr.sport}: running {b.running_time_s:.0f} s at "
                f"{b.running_cadence_spm:.1f} spm (step {b.step_length_m:.2f} m) -> {a.running_time_s:.0f} s"
                " at "
                f"{a.running_cadence_spm:.1f} spm (step {a.step_length_m:.2f} m); walking "
                f"{b.walking_cadence_spm:.1f} -> {a.walking_cadence_spm:.1f} spm; repairs {a.repairs}"
            )
    print(f"{n_sessions} step-sport sessions with cadence, {n_changed} changed by the walk rule")


if __name__ == "__main__":
    main()
