"""Tempo estimation of untagged tracks: octave folding, and librosa's beat tracker on real click tracks."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from cadence.errors import ParameterError
from cadence.music.library import (
    TempoCache,
    TempoSource,
    estimate_track_tempo,
    estimate_untagged,
    read_track,
    scan_music_dir,
)
from cadence.music.tempo import estimate_tempo, fold_tempo_bpm
from music_files import click_track, tagged_track

# --- folding (pure, no librosa) --------------------------------------------------------------------------


@given(
    tempo=st.floats(min_value=1, max_value=2000, allow_nan=False),
    spm=st.floats(min_value=60, max_value=300, allow_nan=False),
)
def test_fold_lands_in_the_octave_around_the_step_rate(tempo, spm):
    folded = float(fold_tempo_bpm(tempo, spm))
    assert spm / math.sqrt(2) * (1 - 1e-12) <= folded < spm * math.sqrt(2) * (1 + 1e-12)
    octaves = math.log2(folded / tempo)
    assert octaves == pytest.approx(round(octaves), abs=1e-9)


def test_fold_examples_and_unknowns():
    folded = fold_tempo_bpm([86, 344, 172, 95, 120, 0, -5, math.nan], 172)
    np.testing.assert_allclose(folded[:5], [172, 172, 172, 190, 240])
    assert np.isnan(folded[5:]).all()
    with pytest.raises(ParameterError, match="cadence_spm"):
        fold_tempo_bpm(172, 0)


# --- the estimator on click tracks (needs the 'tempo' extra) ---------------------------------------------


def slow(test):
    """Mark a test that runs librosa: slow (numba compiles on first use), skipped without the extra."""
    no_librosa = importlib.util.find_spec("librosa") is None
    reason = "the optional 'tempo' extra (librosa) is not installed"
    return pytest.mark.slow(pytest.mark.skipif(no_librosa, reason=reason)(test))


def test_missing_extra_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "librosa", None)  # what an installation without the extra looks like
    with pytest.raises(ParameterError, match=r"pip install 'cadence\[tempo\]'"):
        estimate_tempo(click_track(172.0, 2.0), 22050)
    with pytest.raises(ParameterError, match="tempo"):
        estimate_track_tempo(_wav(tmp_path, "x", click_track(172.0, 2.0)))


def _wav(tmp_path, name, y, fs_hz=22050):
    path = tmp_path / f"{name}.wav"
    sf.write(path, y, fs_hz, subtype="PCM_16")
    return path


@slow
@pytest.mark.parametrize("tempo_bpm", [172.0, 165.5, 150.0, 128.0, 86.0])
def test_click_track_tempo_from_a_wav(tmp_path, tempo_bpm):
    path = _wav(tmp_path, f"click{tempo_bpm:g}", click_track(tempo_bpm, 20.0))
    entry = estimate_track_tempo(path)
    estimate = entry["tempo_bpm"]
    # the tracker may lock to half or double; within 0.3 % of an octave of the truth
    octaves = math.log2(estimate / tempo_bpm)
    assert abs(octaves - round(octaves)) < math.log2(1.003), estimate
    assert float(fold_tempo_bpm(estimate, 172)) == pytest.approx(
        float(fold_tempo_bpm(tempo_bpm, 172)), rel=3e-3
    )
    assert entry["confidence"] > 0.9
    assert entry["n_beats"] >= 20 * tempo_bpm / 60 / 2 - 2


@slow
def test_long_track_analyses_a_minute_from_the_middle(tmp_path):
    fs_hz = 11025
    y = np.concatenate([np.zeros(40 * fs_hz, np.float32), click_track(150.0, 70.0, fs_hz)])
    path = _wav(tmp_path, "long", np.concatenate([y, np.zeros(40 * fs_hz, np.float32)]), fs_hz)
    entry = estimate_track_tempo(path)  # 150 s: seconds 45-105 are analysed, all clicks
    assert entry["analysed_s"] == 60.0
    assert entry["confidence"] > 0.9
    assert float(fold_tempo_bpm(entry["tempo_bpm"], 172)) == pytest.approx(150.0, rel=3e-3)


@slow
def test_click_track_at_another_sampling_rate():
    est = estimate_tempo(click_track(171.0, 15.0, fs_hz=44100), 44100)
    assert float(fold_tempo_bpm(est.tempo_bpm, 172)) == pytest.approx(171.0, rel=3e-3)


@slow
@pytest.mark.parametrize("tempo_bpm", [172.0, 140.0, 88.0])
def test_clicks_in_noise(tempo_bpm):
    """Clicks (peak 0.8) under white noise (std 0.1): still the right tempo, still fairly sure."""
    rng = np.random.default_rng(int(tempo_bpm))
    y = click_track(tempo_bpm, 30.0) + 0.1 * rng.standard_normal(30 * 22050).astype(np.float32)
    est = estimate_tempo(y, 22050)
    assert float(fold_tempo_bpm(est.tempo_bpm, 172)) == pytest.approx(
        float(fold_tempo_bpm(tempo_bpm, 172)), rel=3e-3
    )
    assert est.confidence > 0.7


@slow
def test_noise_is_not_confident():
    rng = np.random.default_rng(1)
    est = estimate_tempo(rng.standard_normal(22050 * 15).astype(np.float32) * 0.3, 22050)
    clicks = estimate_tempo(click_track(172.0, 15.0), 22050)
    assert est.confidence < 0.5 < clicks.confidence


def test_silence_and_tiny_input_give_no_tempo():
    for y in (np.zeros(22050 * 3, dtype=np.float32), np.ones(100, dtype=np.float32)):
        est = estimate_tempo(y, 22050)
        assert math.isnan(est.tempo_bpm) and est.confidence == 0 and est.n_beats == 0


@pytest.mark.parametrize(
    ("y", "fs_hz", "match"), [(np.zeros(10), 0.0, "fs_hz"), (np.zeros((2, 10)), 22050, "mono")]
)
def test_estimator_rejects_bad_input(y, fs_hz, match):
    with pytest.raises(ParameterError, match=match):
        estimate_tempo(y, fs_hz)


# --- cache and library -----------------------------------------------------------------------------------


@slow
def test_cache_is_used_and_invalidated_by_a_change(tmp_path):
    path = _wav(tmp_path, "c", click_track(160.0, 10.0))
    cache = TempoCache(tmp_path / "cache")
    first = estimate_track_tempo(path, cache)
    cache.save()
    stored = json.loads((tmp_path / "cache" / "tempo-estimates-v1.json").read_text())
    assert list(stored.values()) == [first]

    # a fresh cache object reads the file: plant a marker to prove the audio is not analysed again
    key = TempoCache.key(path)
    stored[key] = {**first, "tempo_bpm": 999.0}
    (tmp_path / "cache" / "tempo-estimates-v1.json").write_text(json.dumps(stored))
    assert estimate_track_tempo(path, TempoCache(tmp_path / "cache"))["tempo_bpm"] == 999.0

    st_ = path.stat()
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))  # the file changed: estimate again
    again = estimate_track_tempo(path, TempoCache(tmp_path / "cache"))
    assert again["tempo_bpm"] == pytest.approx(first["tempo_bpm"])


def test_damaged_cache_starts_afresh(tmp_path):
    (tmp_path / "tempo-estimates-v1.json").write_text("{not json")
    cache = TempoCache(tmp_path)
    assert cache.get("anything") is None
    cache.save()  # nothing changed: nothing written
    assert (tmp_path / "tempo-estimates-v1.json").read_text() == "{not json"


@slow
def test_estimate_untagged_folds_and_reports_failures(tmp_path):
    _wav(tmp_path, "untagged_clicks", click_track(86.0, 20.0))  # folds to 172 for a 172 spm runner
    tagged_track(tmp_path, "tagged", "flac", tempo_bpm=120)
    tagged_track(tmp_path, "pcm_in_mp4", "m4a", tempo_bpm=None)  # libsndfile cannot decode MP4
    lib = scan_music_dir(tmp_path)
    done = []
    estimated, raw, failed = estimate_untagged(lib, 172, cache=None, progress=done.append)
    by_title = {t.title: t for t in estimated.tracks}
    clicks = by_title["untagged_clicks"]
    assert clicks.tempo_source is TempoSource.ESTIMATE
    assert clicks.tempo_bpm == pytest.approx(172, rel=3e-3)
    assert clicks.confidence > 0.9
    assert raw[clicks.path] in (pytest.approx(86, rel=3e-3), pytest.approx(172, rel=3e-3))
    assert by_title["tagged"] == read_track(tmp_path / "tagged.flac")
    assert [os.path.basename(p) for p, _ in failed] == ["pcm_in_mp4.m4a"]
    assert "cannot decode" in failed[0][1]
    assert len(done) == 2


@slow
def test_vanished_file_is_a_problem_not_a_crash(tmp_path):
    assert "No such file" in estimate_track_tempo(tmp_path / "gone.wav")["problem"]
