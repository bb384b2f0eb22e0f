from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cadence.coach.band import SINGLE_TARGET_TOLERANCE_SPM, TargetBand
from cadence.errors import ParameterError


@given(st.integers(60, 260))
def test_single_value_is_centred(spm: int) -> None:
    band = TargetBand.parse(str(spm))
    assert band.center_spm == spm
    assert band.high_spm - band.low_spm == 2 * SINGLE_TARGET_TOLERANCE_SPM


@given(st.floats(60, 260), st.floats(0, 40))
def test_range_round_trips(low: float, width: float) -> None:
    high = min(low + width, 260.0)
    band = TargetBand.parse(f"{low!r}-{high!r}")
    assert (band.low_spm, band.high_spm) == (low, high)
    assert TargetBand.parse(band.label.replace(" spm", "")) == TargetBand(
        float(f"{low:g}"), float(f"{high:g}")
    )


@pytest.mark.parametrize("text", ["168-176", " 168 - 176 ", "168..176", "168-176spm", "168–176"])
def test_range_spellings(text: str) -> None:
    assert TargetBand.parse(text) == TargetBand(168, 176)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("fast", "not a step rate"),
        ("", "not a step rate"),
        ("176-168", "LOW <= HIGH"),
        ("5", "60-260"),
        ("170-400", "<= 260"),
        ("-170", "not a step rate"),
        ("nan", "not a step rate"),
    ],
)
def test_bad_targets(text: str, needle: str) -> None:
    with pytest.raises(ParameterError, match=needle):
        TargetBand.parse(text)


def test_tolerance_like_check() -> None:
    assert TargetBand.parse("172", tolerance_spm=2) == TargetBand(170, 174)
    assert TargetBand.parse("172", tolerance_spm=0) == TargetBand(172, 172)
    with pytest.raises(ParameterError, match="tolerance"):
        TargetBand.parse("172", tolerance_spm=40)
