"""Click-track synthesis: onsets on the ideal sample grid (exact arithmetic), programs, sounds, nudges."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cadence._timefmt import parse_duration_s as parse_duration
from cadence.audio.clicks import ClickOptions, ClickSound, click_sound, click_track
from cadence.audio.program import Program, parse_program
from cadence.errors import ParameterError

RATES_HZ = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 192000]
GAP = 16  # samples of exact silence that precede every onset (clicks end in exact zeros)


def round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def ideal_onsets(bpm: Fraction, fs_hz: int, n: int, start: Fraction = Fraction(0)) -> list[int]:
    """Click k at round(start + k * 60 * fs / bpm), in exact rational arithmetic."""
    return [round_half_up(start + Fraction(k * 60 * fs_hz) / bpm) for k in range(n)]


class OnsetDetector:
    """Finds click onsets in audio fed block by block: the first non-zero sample after >= GAP zeros."""

    def __init__(self) -> None:
        self.pos = 0
        self.last_nonzero = -(10**9)
        self.onsets: list[int] = []

    def feed(self, block: np.ndarray) -> None:
        nz = np.flatnonzero(block != 0) + self.pos
        if len(nz):
            prev = np.concatenate([[self.last_nonzero], nz[:-1]])
            self.onsets.extend(nz[nz - prev > GAP].tolist())
            self.last_nonzero = int(nz[-1])
        self.pos += len(block)


def detect(track, start: int = 0, stop: int | None = None, block: int = 1 << 18) -> list[int]:
    stop = track.n_samples if stop is None else stop
    det = OnsetDetector()
    det.pos = pre = max(0, start - track.max_click_len - GAP)  # see the tail of a click begun before start
    for a in range(pre, stop, block):
        det.feed(track.render(a, min(a + block, stop)))
    return [x for x in det.onsets if x >= start]


# --- the one-hour acceptance test ------------------------------------------------------------------------


@pytest.mark.parametrize("fs_hz", [48000, 44100])
def test_one_hour_at_171_bpm_every_click_on_the_ideal_grid(fs_hz: int) -> None:
    track = click_track(171, fs_hz, duration_s=3600)
    assert track.n_samples == 3600 * fs_hz
    found = detect(track, block=10 * fs_hz)
    n_clicks = 3600 * 171 // 60
    assert len(found) == n_clicks == 10260
    # exact integer arithmetic: round half up of k * 60 * fs / 171
    ideal = [(2 * k * 60 * fs_hz + 171) // (2 * 171) for k in range(n_clicks)]
    assert found == ideal
    # the last click is where an exact clock puts it, not where summing a rounded period would
    period_rounded = round(60 * fs_hz / 171)
    assert found[-1] != (n_clicks - 1) * period_rounded
    # the onset list agrees with what was detected in the samples
    onsets, _ = track.onsets(0, track.n_samples)
    assert onsets.tolist() == ideal


def test_no_drift_many_hours_in() -> None:
    # 171 BPM at 44.1 kHz: period 15473.684... samples; 20 hours in, still exact
    track = click_track(171, 44100)
    start = 20 * 3600 * 44100
    found = detect(track, start, start + 60 * 44100)
    k0 = 20 * 3600 * 171 // 60
    assert found == ideal_onsets(Fraction(171), 44100, k0 + len(found))[k0:]
    assert len(found) == 171


@pytest.mark.parametrize(("bpm", "fs_hz", "k"), [(128, 44100, 4), (35.2, 19602, 3), (172.8, 44100, 1)])
def test_exact_half_sample_ties_round_up(bpm: float, fs_hz: int, k: int) -> None:
    exact = Fraction(k * 60 * fs_hz) / Fraction(str(bpm))
    assert exact % 1 == Fraction(1, 2)  # the case: the ideal onset is exactly half-way between two samples
    onsets, _ = click_track(bpm, fs_hz).onsets(0, math.ceil(exact) + 1)
    assert onsets[k] == math.ceil(exact)


# --- property tests ---------------------------------------------------------------------------------------

bpm_tenths = st.integers(300, 3000).map(lambda x: Fraction(x, 10))
rates = st.one_of(st.sampled_from(RATES_HZ), st.integers(8000, 192000))


@settings(max_examples=60, deadline=None)
@given(bpm=bpm_tenths, fs_hz=rates, start_s=st.integers(0, 5 * 3600))
@example(bpm=Fraction(176, 5), fs_hz=19602, start_s=1)  # click 3 at exactly 100237.5 samples: rounds up
def test_constant_tempo_on_grid_anywhere(bpm: Fraction, fs_hz: int, start_s: int) -> None:
    track = click_track(float(bpm), fs_hz)
    a = start_s * fs_hz
    b = a + 5 * fs_hz
    found = detect(track, a, b)
    k0 = math.ceil(Fraction(a) * bpm / (60 * fs_hz)) - 1
    ideal = [
        round_half_up(Fraction(k * 60 * fs_hz) / bpm)
        for k in range(max(0, k0), k0 + 30)
        if a <= round_half_up(Fraction(k * 60 * fs_hz) / bpm) < b
    ]
    # a click whose onset lies before ``a`` but whose sound reaches into the window is not an onset here
    assert found == ideal


@settings(max_examples=40, deadline=None)
@given(bpm=bpm_tenths, fs_hz=rates, splits=st.lists(st.integers(1, 3 * 48000), min_size=1, max_size=8))
def test_rendering_is_identical_however_the_blocks_are_cut(
    bpm: Fraction, fs_hz: int, splits: list[int]
) -> None:
    track = click_track(float(bpm), fs_hz, ClickOptions(accent_every=4, level_db=-8), duration_s=3.0)
    whole = track.render(0, track.n_samples)
    cuts = sorted({min(s, track.n_samples) for s in splits} | {0, track.n_samples})
    pieces = np.concatenate([track.render(x, y) for x, y in zip(cuts[:-1], cuts[1:], strict=True)])
    assert np.array_equal(whole, pieces)


def exact_ramp_position(k: int, b0: Decimal, b1: Decimal, dur: Decimal, fs: int) -> Decimal:
    """Exact sample position of beat k of a linear ramp (tempo integrated, then held), to 40 digits."""
    b = b0 / 60
    a = (b1 - b0) / (120 * dur)
    if a == 0:
        return k * 60 * fs / b0
    k_ramp = (b0 + b1) * dur / 120  # beats in the ramp; after it the final tempo holds
    if k > k_ramp:
        return fs * (dur + (k - k_ramp) * 60 / b1)
    return fs * 2 * k / (b + (b * b + 4 * a * k).sqrt())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    b0=st.integers(60, 240),
    b1=st.integers(60, 240),
    dur_s=st.integers(5, 600),
    fs_hz=st.sampled_from(RATES_HZ),
    after=st.integers(80, 200),
)
def test_ramp_onsets_follow_the_integrated_tempo(
    b0: int, b1: int, dur_s: int, fs_hz: int, after: int
) -> None:
    getcontext().prec = 40
    track = click_track(f"{dur_s}s@{b0}->{b1}, 20s@{after}", fs_hz)
    onsets, _ = track.onsets(0, track.n_samples)
    B0, B1, D = Decimal(b0), Decimal(b1), Decimal(dur_s)
    beats_in_ramp = (B0 * D + (B1 - B0) * D / 2) / 60  # integral of the tempo over the ramp, in beats
    n_ramp = math.ceil(beats_in_ramp - Decimal("1e-9"))
    exact = [exact_ramp_position(k, B0, B1, D, fs_hz) for k in range(n_ramp + 1)]
    seam = exact[-1]  # the segment ends on its first beat at/after the nominal end: the next one starts there
    n_after = math.ceil(Decimal(20 * after) / 60 - Decimal("1e-9"))
    exact = exact[:-1] + [seam + Decimal(j * 60 * fs_hz) / after for j in range(n_after)]
    ideal = [math.floor(x + Decimal("0.5")) for x in exact]
    assume(all(abs((x % 1) - Decimal("0.5")) > Decimal("1e-6") for x in exact))  # no near-ties
    assert onsets.tolist() == ideal
    assert track.n_samples == math.floor(seam + Decimal(n_after * 60 * fs_hz) / after + Decimal("0.5"))
    # every interval of the ramp lies between the periods of its end tempos (+-1 sample of rounding)
    iv = np.diff(onsets[: n_ramp + 1])
    lo, hi = sorted([60 * fs_hz / b0, 60 * fs_hz / b1])
    assert np.all(iv >= math.floor(lo) - 1) and np.all(iv <= math.ceil(hi) + 1)


@settings(max_examples=30, deadline=None)
@given(bpm=bpm_tenths, fs_hz=st.sampled_from(RATES_HZ), n_beats=st.integers(2, 30), every=st.integers(0, 5))
def test_half_time_and_accents(bpm: Fraction, fs_hz: int, n_beats: int, every: int) -> None:
    dur = float(Fraction(n_beats * 60) / bpm)
    opts = ClickOptions(half_time=True, accent_every=every, level_db=-10, accent_db=6)
    track = click_track(float(bpm), fs_hz, opts, duration_s=dur)
    found = detect(track)
    beats = [x for x in ideal_onsets(bpm, fs_hz, n_beats + 1) if x < track.n_samples]
    assert found == beats[::2]
    rendered = track.render(0, track.n_samples)
    peaks = rendered[found]
    for i, peak in enumerate(peaks):
        accented = bool(every) and i % every == 0
        assert peak == pytest.approx(10 ** ((-10 + (6 if accented else 0)) / 20), rel=1e-5)


# --- programs ---------------------------------------------------------------------------------------------


def test_segments_end_on_a_whole_beat_and_the_next_starts_there() -> None:
    fs = 48000
    track = click_track("30s@171, 30s@172", fs)
    onsets, _ = track.onsets(0, track.n_samples)
    # 30 s at 171 BPM is 85.5 beats: the segment lasts 86 beats; the seam is beat 86 of the 171 grid
    first = ideal_onsets(Fraction(171), fs, 86)
    seam = Fraction(86 * 60 * fs, 171)
    second = ideal_onsets(Fraction(172), fs, 86, start=seam)  # 30 s at 172 BPM: 86 beats exactly
    assert onsets.tolist() == first + second
    assert track.n_samples == round_half_up(seam + Fraction(86 * 60 * fs, 172))
    assert found_equals_onsets(track)


def found_equals_onsets(track) -> bool:
    return detect(track) == track.onsets(0, track.n_samples)[0].tolist()


def test_rest_keeps_the_grid_so_clicks_come_back_in_step() -> None:
    fs = 44100
    track = click_track("1m@172, 1m@rest, 1m@172", fs)
    onsets, _ = track.onsets(0, track.n_samples)
    grid = ideal_onsets(Fraction(172), fs, 3 * 172)
    assert onsets.tolist() == grid[:172] + grid[2 * 172 :]
    assert found_equals_onsets(track)
    assert track.position(int(90 * fs)).muted
    assert track.position(int(90 * fs)).tempo_bpm == pytest.approx(172)


def test_rest_first_is_plain_silence() -> None:
    fs = 48000
    track = click_track("10s@rest, 20s@150", fs)
    onsets, _ = track.onsets(0, track.n_samples)
    assert onsets.tolist() == ideal_onsets(Fraction(150), fs, 50, start=Fraction(10 * fs))


def test_repeats_expand() -> None:
    program = parse_program("5m@160, 3x(4m@172, 1m@rest), 10m@172->165, 172")
    texts = [s.text for s in program.segments]
    assert texts == ["5m@160"] + ["4m@172", "1m@rest"] * 3 + ["10m@172->165", "172"]
    assert program.duration_s is None
    assert parse_program("2x(1m@160, 2x(30s@170, 30s@rest))").duration_s == 2 * (60 + 2 * 60)
    assert [s.is_rest for s in parse_program("1m@160, 1m@silent").segments] == [False, True]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h", 3600), ("2.5m", 150), ("1m30s", 90), ("1:30", 90), ("1:00:00", 3600)],
)
def test_duration_forms_in_programs(text: str, seconds: float) -> None:
    seg = parse_program(f"{text}@170").segments[0]
    assert seg.duration_s == seconds
    assert seg.start_bpm == seg.end_bpm == 170


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("5@160", r"column 2: expected a unit"),
        ("5m@16o", r"column 6: expected ',' or the end"),
        ("5m@160 170", r"column 8"),
        ("3x(4m@172", r"'\)' closing the repeat opened at column 1"),
        ("5m@400", r"400 BPM is outside 30-300"),
        ("5m@160, 1m@170->10", r"column 17: tempo 10 BPM"),
        ("172, 5m@160", r"only the last segment may be open-ended"),
        ("5m@160,", r"column 8: expected a segment"),
        ("160->170", r"duration before a ramp"),
        ("rest", r"duration before a rest"),
        ("0x(1m@160)", r"repeat count >= 1"),
        ("5m@fast", r"column 4: expected a tempo"),
        ("100x(100x(100x(1s@170)))", r"more than 10000 segments"),
        ("25h@170", r"limit is 24 h"),
    ],
)
def test_program_errors_say_where_and_what(text: str, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        parse_program(text)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 600), st.integers(30, 300), st.integers(30, 300) | st.none(), st.booleans()),
        min_size=1,
        max_size=6,
    )
)
def test_generated_programs_parse_to_what_was_written(items) -> None:
    parts = []
    for dur, b0, b1, rest in items:
        tempo = "rest" if rest else (f"{b0}->{b1}" if b1 is not None else f"{b0}")
        parts.append(f"{dur}s@{tempo}")
    assume(not all(rest for *_, rest in items))
    program = parse_program(" , ".join(parts))
    assert len(program.segments) == len(items)
    for seg, (dur, b0, b1, rest) in zip(program.segments, items, strict=True):
        assert seg.duration_s == dur
        assert seg.is_rest == rest
        if not rest:
            assert (seg.start_bpm, seg.end_bpm) == (b0, b1 if b1 is not None else b0)


def test_program_ramp_helper_is_a_ramp_then_open_ended() -> None:
    program = Program.ramp(160, 172, 300)
    assert program.duration_s is None
    assert (program.segments[0].start_bpm, program.segments[0].end_bpm) == (160, 172)
    assert parse_program(program.text).segments == program.segments


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("12.5", 12.5), ("1:30", 90), ("2m", 120)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "0", "-5", "1:75", "5x"])
def test_parse_duration_errors(text: str) -> None:
    with pytest.raises(ParameterError, match="duration"):
        parse_duration(text)


# --- tempo nudges -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fs_hz", [44100, 48000])
@pytest.mark.parametrize("delta", [1, -1])
def test_nudge_reanchors_the_grid_at_the_next_beat(fs_hz: int, delta: int) -> None:
    bpm = 171
    track = click_track(bpm, fs_hz)
    at = 10 * fs_hz + 123
    nudged = track.nudged(at, delta)
    before, _ = track.onsets(0, at)
    assert nudged.onsets(0, at)[0].tolist() == before.tolist()
    k = len(before)  # the first beat at/after ``at`` is the anchor; it stays where it was
    anchor = Fraction(k * 60 * fs_hz, bpm)
    after, _ = nudged.onsets(at, at + 60 * fs_hz)
    assert after.tolist()[:100] == ideal_onsets(Fraction(bpm + delta), fs_hz, 100, start=anchor)
    assert nudged.position(at + fs_hz).tempo_bpm == bpm + delta
    # rendering agrees with the onset list across the nudge
    assert detect(nudged, 0, at + 20 * fs_hz) == nudged.onsets(0, at + 20 * fs_hz)[0].tolist()


@settings(max_examples=40, deadline=None)
@given(
    bpm=st.integers(60, 240),
    fs_hz=st.sampled_from(RATES_HZ),
    at_s=st.floats(0.0, 3000.0),
    delta=st.sampled_from([-3, -1, 1, 2]),
)
def test_nudge_property_past_untouched_future_on_the_new_grid(
    bpm: int, fs_hz: int, at_s: float, delta: int
) -> None:
    track = click_track(bpm, fs_hz)
    at = int(at_s * fs_hz)
    nudged = track.nudged(at, delta)
    window = 20 * fs_hz
    assert (
        nudged.onsets(max(0, at - window), at)[0].tolist()
        == track.onsets(max(0, at - window), at)[0].tolist()
    )
    k = len(track.onsets(0, at)[0])  # index of the anchor beat (first at/after ``at``)
    anchor = Fraction(k * 60 * fs_hz, bpm)
    after = nudged.onsets(at, at + window)[0].tolist()
    exact = [anchor + Fraction(j * 60 * fs_hz, bpm + delta) for j in range(len(after))]
    ideal = [round_half_up(x) for x in exact]
    # float positions vs exact arithmetic: equal, except exactly at a rounding tie (half a sample)
    assert all(a == b or x % 1 == Fraction(1, 2) for a, b, x in zip(after, ideal, exact, strict=True))
    assert len(after) >= 20 * (bpm + delta) // 60 - 1


def test_nudges_shift_later_segments_and_keep_their_shape() -> None:
    fs = 48000
    track = click_track("1m@160, 2m@160->170, 1m@rest, 1m@170", fs)
    nudged = track.nudged(30 * fs, +2).nudged(31 * fs, +1)
    assert nudged.offset_bpm == 3
    assert nudged.position(45 * fs).tempo_bpm == pytest.approx(163)
    # 10 s into the ramp (which starts on the first beat at/after 60 s, a fraction of a beat later)
    assert nudged.position(70 * fs).tempo_bpm == pytest.approx(163 + 10 * 10 / 120, abs=0.05)
    pos = nudged.position(int(190 * fs))
    assert pos.segment_text == "1m@rest" and pos.tempo_bpm == pytest.approx(173)
    assert nudged.position(nudged.n_samples - 10).tempo_bpm == pytest.approx(173)
    # segments keep their nominal lengths, each ending on the first beat at/after it (at most a beat later)
    assert 300 * fs <= nudged.n_samples < (300 + 4 * 60 / 163) * fs
    assert nudged.n_samples != track.n_samples


def test_nudge_out_of_range_is_refused() -> None:
    track = click_track(299.5, 48000)
    with pytest.raises(ParameterError, match="outside"):
        track.nudged(48000, +1)


# --- sounds and options -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sound", list(ClickSound))
@pytest.mark.parametrize("fs_hz", [8000, 44100, 96000])
def test_sounds_start_at_their_peak_and_end_in_silence(sound: ClickSound, fs_hz: int) -> None:
    wave = click_sound(sound, fs_hz, sound.default_pitch_hz, -6.0)
    assert wave.dtype == np.float32
    assert wave[0] == pytest.approx(10 ** (-6 / 20), rel=1e-6)
    assert np.max(np.abs(wave)) == pytest.approx(wave[0], rel=1e-6)
    assert abs(wave[-1]) < 0.02 * wave[0]
    assert len(wave) <= 0.061 * fs_hz
    # clearly pitched: the spectrum peaks near the requested fundamental
    spec = np.abs(np.fft.rfft(wave, 16 * len(wave)))
    peak_hz = np.argmax(spec) * fs_hz / (16 * len(wave))
    assert peak_hz == pytest.approx(sound.default_pitch_hz, rel=0.15)


def test_sound_options_change_the_track() -> None:
    a = click_track(170, 48000, ClickOptions(sound=ClickSound.BEEP, pitch_hz=660), duration_s=2).render(
        0, 96000
    )
    b = click_track(170, 48000, ClickOptions(sound=ClickSound.BEEP, pitch_hz=990), duration_s=2).render(
        0, 96000
    )
    c = click_track(170, 48000, ClickOptions(sound=ClickSound.CLICK, level_db=-20), duration_s=2).render(
        0, 96000
    )
    assert not np.array_equal(a, b)
    assert np.max(np.abs(c)) == pytest.approx(0.1, rel=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pitch_hz": 50}, "pitch_hz"),
        ({"level_db": 3}, "level_db"),
        ({"accent_every": -1}, "accent_every"),
        ({"accent_every": 4, "level_db": -2, "accent_db": 6}, "clip"),
        ({"sound": "cowbell"}, "sound"),
    ],
)
def test_option_errors(kwargs, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        ClickOptions(**kwargs)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((170, 1000), "fs_hz"),
        ((170, 44100.0), "fs_hz"),
        ((170, 48000, None, -1.0), "duration_s"),
        ((20, 48000), "outside"),
        ((170, 8000, ClickOptions(pitch_hz=4000)), "alias"),
    ],
)
def test_click_track_errors(args, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        click_track(*args)


def test_duration_cuts_an_open_ended_program_and_a_finite_one() -> None:
    assert click_track(170, 48000, duration_s=1.5).n_samples == 72000
    assert click_track(170, 48000).n_samples is None
    finite = click_track("1m@170", 48000)
    assert finite.n_samples == 60 * 48000
    assert click_track("1m@170", 48000, duration_s=3600).n_samples == finite.n_samples
    # past the end: silence, and no onsets
    assert not click_track(170, 48000, duration_s=1).render(47000, 60000)[1000:].any()


def test_docs_python_examples_run() -> None:
    from conftest import REPO

    text = (REPO / "docs" / "metronome.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert blocks
    for code in blocks:
        namespace: dict = {}
        exec(compile(code, "docs/metronome.md", "exec"), namespace)
    assert namespace["block"].shape == (48000,)
    assert len(namespace["onsets"]) == len(namespace["accent"]) > 0


def test_a_program_of_rests_parses_but_has_nothing_to_play() -> None:
    # plans end with fully silent sessions: the notation is valid, the metronome has nothing to play
    program = parse_program("1m@rest, 2m@silent")
    assert all(seg.is_rest for seg in program.segments)
    with pytest.raises(ParameterError, match="only rests"):
        click_track(program, 48000)
