"""``cadence playlist`` through click's runner and, end to end, as a subprocess like a user."""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadence.cli.playlist import playlist
from conftest import REPO, run_cadence
from music_files import FORMATS, click_track, drum_track, tagged_track

FIT = {"fit172": 172, "fit171": 171, "fit173": 173, "fit86": 86, "fit344": 344}
MISS = {"miss178": 178, "miss160": 160, "miss120": 120, "miss95": 95, "miss300": 300}


@pytest.fixture(scope="module")
def music_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("music")
    (root / "Album").mkdir()
    for i, (name, bpm) in enumerate([*FIT.items(), *MISS.items()]):
        folder = root / "Album" if i % 2 else root
        tagged_track(folder, name, FORMATS[i % len(FORMATS)], tempo_bpm=bpm, artist="Band")
    tagged_track(root, "no tempo", "ogg", tempo_bpm=None)
    (root / "broken.flac").write_bytes(b"fLaC\x00garbage")
    return root


def test_windows_table():
    result = CliRunner().invoke(playlist, ["--spm", "172"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "172 spm" in lines[0] and "+/-3 BPM" in lines[0]
    assert lines[2].split() == ["1/2x", "86.0", "84.5-87.5"]
    assert lines[3].split() == ["1x", "172.0", "169.0-175.0"]
    assert lines[4].split() == ["2x", "344.0", "338.0-350.0"]


def test_windows_json_with_percent_tolerance_and_ramp():
    result = CliRunner().invoke(playlist, ["--spm", "180", "--tolerance", "2%", "--ramp", "170", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tolerance"] == {"value": 2.0, "unit": "%"}
    assert data["from_spm"] == 170
    one_x = data["windows"][1]
    assert (one_x["target_bpm"], one_x["low_bpm"], one_x["high_bpm"]) == (180.0, 166.6, 183.6)
    assert "tracks" not in data


def test_done_when_subprocess(music_dir, tmp_path):
    """`cadence playlist DIR --spm 172` picks exactly the tracks at 172, 171, 173, 86 and 344 BPM."""
    out = tmp_path / "lists" / "run.m3u8"
    out.parent.mkdir()
    proc = run_cadence("playlist", str(music_dir), "--spm", "172", "--m3u", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal
    data = json.loads(proc.stdout)
    assert {t["title"] for t in data["tracks"]} == set(FIT)
    assert [abs(t["offset_spm"]) for t in data["tracks"]] == sorted(
        abs(t["offset_spm"]) for t in data["tracks"]
    )
    assert {t["title"]: t["multiple"] for t in data["tracks"]} == {
        "fit172": 1,
        "fit171": 1,
        "fit173": 1,
        "fit86": 0.5,
        "fit344": 2,
    }
    assert [u["title"] for u in data["untagged"]] == ["no tempo"]
    assert data["unreadable"][0]["path"] == "broken.flac" and len(data["unreadable"]) == 1
    assert data["library"]["n_tracks"] == 11 and data["m3u"]["n_entries"] == 5

    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    entries = [line for line in lines if not line.startswith("#")]
    infos = [line for line in lines if line.startswith("#EXTINF:")]
    assert len(entries) == len(infos) == 5
    assert [i.split(",", 1)[1] for i in infos] == [f"Band - {t['title']}" for t in data["tracks"]]
    for entry in entries:
        assert entry.startswith("../")
        assert (out.parent / entry).resolve().is_file()

    again = run_cadence("playlist", str(music_dir), "--spm", "172", "--m3u", str(out))
    assert again.returncode == 1 and "exists already; use --force" in again.stderr
    forced = run_cadence("playlist", str(music_dir), "--spm", "172", "--m3u", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "5 of 11 tracks fit" in forced.stdout
    assert "no tempo" in forced.stdout and "--estimate" in forced.stdout


def test_ramp_and_tolerance(music_dir):
    result = CliRunner().invoke(playlist, [str(music_dir), "--spm", "172", "--ramp", "160", "--json"])
    data = json.loads(result.output)
    # 160..172 spm +/-3: adds 160 BPM (1x); the ramp climbs
    assert [t["title"] for t in data["tracks"]][0] == "miss160"
    steps = [t["track_spm"] for t in data["tracks"]]
    assert steps == sorted(steps) and steps[-1] == 173
    wide = CliRunner().invoke(playlist, [str(music_dir), "--spm", "172", "--tolerance", "6", "--json"])
    assert {t["title"] for t in json.loads(wide.output)["tracks"]} == {*FIT, "miss178"}


def test_csv_library(tmp_path):
    csv = tmp_path / "liked.csv"
    csv.write_text(
        "Track URI,Track Name,Artist Name(s),Duration (ms),Tempo\n"
        "spotify:track:a,Fast,X,200000,171.9\n"
        "spotify:track:b,Slow,Y,180000,120.0\n"
        "spotify:track:c,Half,Z,240000,86.2\n",
        encoding="utf-8",
    )
    out = tmp_path / "liked.m3u8"
    result = CliRunner().invoke(playlist, [str(csv), "--spm", "172", "--m3u", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[2:] == [
        "#EXTINF:200,X - Fast",
        "spotify:track:a",
        "#EXTINF:240,Z - Half",
        "spotify:track:c",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--spm", "1000"], 2, "between 60 and 300"),
        (["--spm", "172", "--tolerance", "abc"], 2, "tolerance 'abc'"),
        (["--spm", "172", "--tolerance", "70"], 2, "overlap"),
        (["--spm", "172", "--m3u", "x.m3u8"], 2, "need a LIBRARY"),
        (["--spm", "172", ".", "--write-tags"], 2, "add --estimate"),
        (["no-such-dir", "--spm", "172"], 2, "does not exist"),
        (["--tolerance", "3"], 2, "--spm"),
    ],
)
def test_usage_errors_one_line(args, code, message):
    proc = run_cadence("playlist", *args)
    assert proc.returncode == code
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_audio_file_is_not_a_library(music_dir):
    proc = run_cadence("playlist", str(music_dir / "fit172.mp3"), "--spm", "172")
    assert proc.returncode == 1
    assert proc.stderr.strip().endswith(
        "fit172.mp3: is an audio file: give the music folder, or a CSV track list"
    )


def test_estimate_needs_a_folder(tmp_path):
    csv = tmp_path / "l.csv"
    csv.write_text("Title,BPM\nA,172\n", encoding="utf-8")
    proc = run_cadence("playlist", str(csv), "--spm", "172", "--estimate")
    assert proc.returncode == 2 and "needs a music folder" in proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal(music_dir):
    """With stderr on a terminal the scan shows a progress bar there (and nothing else changes)."""
    main, secondary = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "100"}
    proc = subprocess.run(
        [sys.executable, "-m", "cadence", "playlist", str(music_dir), "--spm", "172", "--json"],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env=env,
        timeout=120,
        check=False,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.returncode == 0
    assert "scanning" in b"".join(chunks).decode()
    assert len(json.loads(proc.stdout)["tracks"]) == 5


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("librosa") is None, reason="needs the 'tempo' extra (librosa)")
def test_estimate_and_write_tags(tmp_path, monkeypatch):
    import soundfile as sf

    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "clicks.wav", click_track(86.0, 20.0), 22050, subtype="PCM_16")  # no tags at all
    tagged_track(music, "tagged", "mp3", tempo_bpm=160)
    monkeypatch.setenv("CADENCE_CACHE_DIR", str(tmp_path / "cache"))

    # the first estimate compiles librosa's numba kernels in each worker: minutes on a loaded machine
    proc = run_cadence("playlist", str(music), "--spm", "172", "--estimate", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    (est,) = data["tracks"]
    assert est["path"] == "clicks.wav" and est["tempo_source"] == "estimate"
    assert est["tempo_bpm"] == pytest.approx(172, abs=0.5) and est["confidence"] > 0.9
    assert data["tags_written"] == [] and data["untagged"] == [] and data["tempo_uncertain"] == []
    assert (tmp_path / "cache" / "tempo-estimates-v3.json").is_file()

    table = run_cadence("playlist", str(music), "--spm", "172", "--estimate", "--write-tags", timeout=600)
    assert table.returncode == 0, table.stderr
    shown = re.search(r"est (\d+)%", table.stdout)
    assert shown is not None and int(shown.group(1)) >= 90, table.stdout  # as confidence > 0.9 above
    assert "BPM tags written into 1 file" in table.stdout

    rescan = json.loads(run_cadence("playlist", str(music), "--spm", "172", "--json").stdout)
    (tagged,) = rescan["tracks"]
    assert tagged["tempo_source"] == "tag"
    assert tagged["tempo_bpm"] in (86, 172)  # the raw (unfolded) estimate, whole BPM


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("librosa") is None, reason="needs the 'tempo' extra (librosa)")
def test_uncertain_tempo_is_listed_not_matched(tmp_path, monkeypatch):
    """A track whose tempo changes 120 -> 160 BPM (3:4) is listed as uncertain and matches no window."""
    import numpy as np
    import soundfile as sf

    music = tmp_path / "music"
    music.mkdir()
    halves = [drum_track(120.0, 20.0, "rock", seed=1), drum_track(160.0, 20.0, "rock", seed=2)]
    sf.write(music / "change.wav", np.concatenate(halves), 22050, subtype="PCM_16")
    sf.write(music / "steady.wav", drum_track(160.0, 20.0, "rock", seed=3), 22050, subtype="PCM_16")
    monkeypatch.setenv("CADENCE_CACHE_DIR", str(tmp_path / "cache"))
    # 160 spm: the steady track fits at 1x, and one candidate of the changing track would too
    result = CliRunner().invoke(playlist, [str(music), "--spm", "160", "--estimate", "--jobs", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # the note on stderr (no tempo-rnn) is not JSON
    assert [t["path"] for t in data["tracks"]] == ["steady.wav"]
    (unsure,) = data["tempo_uncertain"]
    assert unsure["path"] == "change.wav" and unsure["confidence"] < 0.5
    assert data["untagged"] == [] and data["estimate_failed"] == []
    table = CliRunner().invoke(playlist, [str(music), "--spm", "160", "--estimate", "--write-tags"])
    assert table.exit_code == 0, table.output
    assert "1 track with an uncertain tempo" in table.output and "change.wav: " in table.output
    assert "BPM tags written into 1 file" in table.output  # the steady one only


def test_playlist_takes_its_step_rate_from_a_plan_session(tmp_path) -> None:  # noqa: ANN001
    import json

    from conftest import run_cadence

    proc = run_cadence("plan", "160", "--json")
    plan = tmp_path / "plan.json"
    plan.write_text(proc.stdout)
    target = json.loads(proc.stdout)["sessions"][4]["target_spm"]
    proc = run_cadence("playlist", "--plan", str(plan), "--session", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cadence_spm"] == target
    assert run_cadence("playlist", "--json").returncode == 2
    assert run_cadence("playlist", "--spm", "172", "--plan", str(plan), "--session", "5").returncode == 2


#: runs `cadence ARGS...` in a Python where madmom is not installed (its metadata and module hidden)
_WITHOUT_MADMOM = """
import importlib.metadata as md, sys
real = md.distribution
def hidden(name):
    if name.startswith("madmom"):
        raise md.PackageNotFoundError(name)
    return real(name)
md.distribution = hidden
sys.modules["madmom"] = None
from cadence.cli import main
sys.argv = ["cadence", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("librosa") is None, reason="needs the 'tempo' extra (librosa)")
def test_tempo_method_is_reported_and_auto_falls_back_with_a_note(tmp_path):
    import soundfile as sf

    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "clicks.wav", click_track(86.0, 12.0), 22050, subtype="PCM_16")
    env = dict(os.environ, CADENCE_CACHE_DIR=str(tmp_path / "cache"))
    args = ["playlist", str(music), "--spm", "172", "--estimate", "--jobs", "1"]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-c", _WITHOUT_MADMOM, *args, *extra]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)

    auto = run("--json")
    assert auto.returncode == 0, auto.stderr
    assert json.loads(auto.stdout)["tempo_method"] == "cyclic"
    assert "pip install 'cadence[tempo-rnn]'" in auto.stderr and "non-commercial" in auto.stderr
    quiet = run("--tempo-method", "cyclic")
    assert quiet.returncode == 0 and "tempo-rnn" not in quiet.stderr
    assert "(estimated tempos: the cyclic tempogram)" in quiet.stdout
    asked = run("--tempo-method", "rnn")
    assert asked.returncode == 2 and "Traceback" not in asked.stderr
    assert asked.stderr.count("\n") == 1 and "pip install 'cadence[tempo-rnn]'" in asked.stderr


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("madmom") is None, reason="needs the 'tempo-rnn' extra (madmom)")
def test_tempo_method_rnn_runs_the_network(tmp_path, monkeypatch):
    import soundfile as sf

    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "clicks.wav", click_track(86.0, 12.0), 22050, subtype="PCM_16")
    monkeypatch.setenv("CADENCE_CACHE_DIR", str(tmp_path / "cache"))
    proc = run_cadence("playlist", str(music), "--spm", "172", "--estimate", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["tempo_method"] == "rnn" and "tempo-rnn" not in proc.stderr
    (est,) = data["tracks"]
    assert est["tempo_bpm"] == pytest.approx(172, abs=0.5)


def test_tempo_method_needs_estimate(tmp_path):
    result = CliRunner().invoke(playlist, [str(tmp_path), "--spm", "172", "--tempo-method", "cyclic"])
    assert result.exit_code == 2 and "add --estimate" in result.output
