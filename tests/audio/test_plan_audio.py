"""``cadence plan --audio DIR``: one click track per session, named and tagged to list in order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import soundfile

from cadence.audio.clicks import click_track
from cadence.cli import cli
from cadence.cli._common import run_cli
from cadence.coach.plan import PlanOptions, make_plan

# a short plan: one step, four 15-minute sessions (the last one silent), no retention check
ARGS = ["160", "--increase", "2.5", "--sessions-per-week", "1", "--minutes", "15", "--no-retention-check"]
GAP = 16


@pytest.mark.slow
def test_one_track_per_session_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "phone"
    args = ["plan", *ARGS, "--start-date", "2026-01-05", "--audio", str(folder), "--audio-format", "wav"]
    assert run_cli(cli, args) == 0
    err = capsys.readouterr().err
    options = PlanOptions(increase_pct=2.5, sessions_per_week=1, session_min=15, retention_check=False)
    plan = make_plan(160, options, start_date=dt.date(2026, 1, 5))
    played = [s for s in plan.sessions if s.cued_s > 0]
    assert len(plan.sessions) == 4 and len(played) == 3
    assert "wrote 3 click tracks" in err and "1 silent session(s)" in err
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == [
        f"{s.index:02d}_{s.date.isoformat()}_{s.target_spm}spm.wav" for s in played
    ]
    for path, session in zip(files, played, strict=True):
        track = click_track(session.program, 48000)
        with soundfile.SoundFile(path) as sf:
            assert sf.title == f"{session.index:02d} Cadence {session.target_spm} spm (+2.5 %)"
            assert sf.tracknumber == f"{session.index}/4"
            data = sf.read(dtype="float32")
        assert len(data) == track.n_samples
        nz = np.flatnonzero(data != 0)
        onsets = nz[np.diff(np.concatenate([[-(10**9)], nz])) > GAP]
        assert onsets.tolist() == track.onsets(0, track.n_samples or 0)[0].tolist()
        assert onsets[0] == 5 * 60 * 48000  # the 5-minute silent warm-up, then the first click
    assert run_cli(cli, args) == 1  # no overwrite without --force
    assert "exists already" in capsys.readouterr().err


def test_bad_audio_format_refused_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", *ARGS, "--audio", str(tmp_path / "a"), "--audio-format", "aiff"]
    assert run_cli(cli, args) == 2
    assert not (tmp_path / "a").exists()
