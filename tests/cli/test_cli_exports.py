"""Exports as runners have them: Strava bulk exports (folder, zip), a Garmin Connect nested zip."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import run_cadence

pytestmark = pytest.mark.shared


def _zip_folder(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder.parent).as_posix())
    return dest


def _history(tmp_path: Path, *paths: Path) -> tuple[dict, str, int]:
    proc = run_cadence(
        "history", *map(str, paths), "--json", "--cache-dir", str(tmp_path / "cache"), timeout=300
    )
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout), proc.stderr, proc.returncode


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_strava_2024_export_lists_its_runs(shared_dir: Path, tmp_path: Path, as_zip: bool) -> None:
    folder = shared_dir / "data" / "activities" / "slalom__strava_export"
    target = _zip_folder(folder, tmp_path / "export.zip") if as_zip else folder
    payload, _, code = _history(tmp_path, target)
    assert code == 0 and payload["errors"] == []
    runs = sorted(Path(r["file"]).name for r in payload["runs"])
    assert runs == ["13879092405.fit.gz", "13879174641.fit.gz", "13983727156.fit.gz", "14540927138.fit.gz"]
    assert all(150 < r["running_cadence_spm"] < 195 for r in payload["runs"])  # steps, not strides
    sports = sorted(s["sport"] for s in payload["skipped_sessions"])
    assert sports == ["cycling", "swimming"]  # never a step rate


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_strava_2018_export_gpx_run_without_cadence(shared_dir: Path, tmp_path: Path, as_zip: bool) -> None:
    folder = shared_dir / "data" / "activities" / "ahmed__strava_export_2018"
    target = _zip_folder(folder, tmp_path / "export.zip") if as_zip else folder
    payload, _, code = _history(tmp_path, target)
    assert code == 0 and payload["errors"] == []
    (skipped,) = payload["skipped_sessions"]
    assert skipped["sport"] == "running" and skipped["reason"] == "no cadence recorded"
    proc = run_cadence("analyze", str(target))
    assert proc.returncode == 0 and "no cadence recorded" in proc.stdout


def test_garmin_connect_nested_zip_lists_every_run(shared_dir: Path, tmp_path: Path) -> None:
    fit = shared_dir / "data" / "fit"
    runs = [
        "elev__20171011_run_2088390344.fit",
        "fdec__activity-small-fenix2-run.fit",
        "wkz__run_with_coordinates.fit",
    ]
    inner = tmp_path / "UploadedFiles_0-_Part1.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, name in enumerate(runs):
            zf.write(fit / name, f"{1000 + i}_ACTIVITY.fit")
        zf.write(fit / "fdec__Settings.fit", "settings.fit")
        zf.write(fit / "fdec__WorkoutRepeatSteps.fit", "workout.fit")
    outer = tmp_path / "garmin_export.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(inner, "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip")
        zf.writestr("DI_CONNECT/DI-Connect-User/user_profile.json", "{}")
    inner.unlink()
    payload, stderr, code = _history(tmp_path, outer)
    assert code == 0 and payload["errors"] == []
    assert sorted(Path(r["file"]).name for r in payload["runs"]) == [
        f"{1000 + i}_ACTIVITY.fit" for i in range(3)
    ]
    assert payload["files"]["not_activities"] == {"settings": 1, "workouts": 1, "unknown": 1}
    assert "skipped 3 files that are not activities: 1 settings, 1 unknown, 1 workouts" in stderr


def test_every_shared_activity_is_read_or_skipped_with_a_reason(shared_dir: Path, tmp_path: Path) -> None:
    folder = shared_dir / "data" / "activities"
    proc = run_cadence("analyze", str(folder), "--json", "--all-sessions", timeout=300)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["errors"] == []
    assert payload["skipped_files"] == {"unknown": 2}  # README.md and SOURCES.csv
    by_name = {Path(a["file"]).name: a for a in payload["activities"]}
    assert len(by_name) == 23
    for name, a in by_name.items():
        cad = a["running_cadence_spm"]
        if a["sport"] in ("cycling", "swimming"):
            assert cad is None, name  # rpm and strokes are never a step rate
        elif cad is not None:
            assert 140 <= cad < 200, (name, cad)


def test_loose_copy_of_an_export_member_still_finds_its_manifest(shared_dir: Path, tmp_path: Path) -> None:
    src = shared_dir / "data" / "activities" / "ahmed__strava_export_2018"
    shutil.copytree(src, tmp_path / "export")
    proc = run_cadence("analyze", str(tmp_path / "export" / "activities" / "1025417046.gpx"), "--json")
    assert proc.returncode == 0
    (act,) = json.loads(proc.stdout)["activities"]
    assert act["sport"] == "running"
