"""cadence: coach a runner's step rate.

The public API is re-exported here and imported lazily, so ``import cadence`` (and ``cadence --help``)
stays fast: numpy, scipy and fitdecode load only when a name that needs them is first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import (
    AudioUnavailableError,
    CadenceError,
    CadenceWarning,
    InputFormatError,
    OutputExistsError,
    OutputPathError,
    ParameterError,
)

__version__ = "0.1.0"

#: public name -> implementation module (relative to this package)
_LAZY: dict[str, str] = {
    "AccelAnalysis": "accel_analysis",
    "ActivityResult": "activity",
    "AnalysisOptions": "analysis",
    "analyze_accel_csv": "accel_analysis",
    "analyze_file": "activity",
    "analyze_trace": "analysis",
    "bpm_windows": "playlist",
    "CadenceSummary": "analysis",
    "CadenceTrace": "trace",
    "check_adherence": "adherence",
    "click_track": "click_synth",
    "ClickOptions": "click_synth",
    "ClickSound": "click_synth",
    "estimate_steps": "steps",
    "make_plan": "plan",
    "match_tempos": "playlist",
    "parse_program": "click_synth",
    "Plan": "plan",
    "PlanOptions": "plan",
    "read_accel_csv": "accel_csv",
    "read_fit": "fit",
    "read_library": "music",
    "Recording": "accel_csv",
    "SpeedFit": "analysis",
    "StepOptions": "steps",
    "StepResult": "steps",
    "target_range": "target",
    "TargetRange": "target",
    "Tolerance": "playlist",
}

__all__ = [  # noqa: RUF022 - errors first, then the lazily imported names (kept sorted by the test suite)
    "AudioUnavailableError",
    "CadenceError",
    "CadenceWarning",
    "InputFormatError",
    "OutputExistsError",
    "OutputPathError",
    "ParameterError",
]
__all__ += sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'cadence' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
