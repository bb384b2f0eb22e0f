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
    "AccelAnalysis": "gait.accel",
    "ActivityResult": "pipeline",
    "AnalysisOptions": "gait.analysis",
    "analyze_accel_csv": "pipeline",
    "analyze_file": "pipeline",
    "analyze_trace": "gait.analysis",
    "bpm_windows": "music.matching",
    "CadenceSummary": "gait.analysis",
    "CadenceTrace": "datatypes",
    "check_adherence": "coach.adherence",
    "click_track": "audio.clicks",
    "ClickOptions": "audio.clicks",
    "ClickSound": "audio.clicks",
    "estimate_steps": "gait.steps",
    "make_plan": "coach.plan",
    "match_tempos": "music.matching",
    "parse_program": "audio.program",
    "Plan": "coach.plan",
    "PlanOptions": "coach.plan",
    "read_accel_csv": "readers.accel_csv",
    "read_fit": "readers.fit",
    "read_library": "music.library",
    "Recording": "datatypes",
    "SpeedFit": "gait.analysis",
    "StepOptions": "gait.steps",
    "StepResult": "gait.steps",
    "target_range": "coach.target",
    "TargetRange": "coach.target",
    "Tolerance": "music.matching",
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
