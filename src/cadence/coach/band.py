"""A target cadence band as the user types it (``172`` or ``168-176``): parsed and validated once."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import ParameterError

__all__ = ["SINGLE_TARGET_TOLERANCE_SPM", "TargetBand"]

#: ``--target 172`` means 172 +/- this many spm (a watch reports whole strides, i.e. steps of 2 spm); the same
#: default as ``cadence check --tolerance``
SINGLE_TARGET_TOLERANCE_SPM = 3.0

_BAND = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:(?:-|\.\.|–)\s*(\d+(?:\.\d+)?)\s*)?(?:spm)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class TargetBand:
    """The step rates counted as "on target", inclusive, in steps per minute.

    Parameters
    ----------
    low_spm, high_spm : float
        Band limits, ``60 - 30 <= low_spm <= high_spm <= 260 + 30`` (a 60-260 spm target and its tolerance,
        as in :func:`cadence.coach.adherence.band_from_target`).

    """

    low_spm: float
    high_spm: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low_spm) and math.isfinite(self.high_spm)):
            raise ParameterError(f"target band must be finite, got {self.low_spm=}, {self.high_spm=}")
        if not 30.0 <= self.low_spm <= self.high_spm <= 290.0:
            raise ParameterError(
                f"need 30 <= low <= high <= 290 spm for a target band, got {self.low_spm=}, {self.high_spm=}"
            )

    @classmethod
    def parse(cls, text: str, tolerance_spm: float = SINGLE_TARGET_TOLERANCE_SPM) -> TargetBand:
        """``"172"`` -> 169-175 spm (+/- ``tolerance_spm``); ``"168-176"`` -> 168-176 spm.

        The same spellings and limits as ``cadence check --target``: a target of 60-260 spm, a tolerance of
        0-30 spm.

        Raises
        ------
        ParameterError
            Not a number or a ``LOW-HIGH`` range, or out of those limits.

        """
        from .adherence import band_from_target

        m = _BAND.match(text)
        if m is None:
            raise ParameterError(
                f"--target {text!r} is not a step rate like 172 or a range like 168-176 (spm)"
            )
        low = float(m.group(1))
        if m.group(2) is None:
            return cls(*band_from_target(low, tolerance_spm))
        high = float(m.group(2))
        if not 60.0 <= low <= high <= 260.0:
            raise ParameterError(f"--target {text!r}: need 60 <= LOW <= HIGH <= 260 spm")
        return cls(low, high)

    @property
    def center_spm(self) -> float:
        """Middle of the band."""
        return 0.5 * (self.low_spm + self.high_spm)

    @property
    def label(self) -> str:
        """``"168-176 spm"``."""
        return f"{self.low_spm:g}-{self.high_spm:g} spm"
