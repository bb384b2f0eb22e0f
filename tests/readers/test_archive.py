"""Archives: .gz, zips, zips in zips, in memory, with zip-bomb and path-traversal guards."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections import OrderedDict
from pathlib import Path

import pytest

from cadence.errors import InputFormatError, NotActivityError
from cadence.pipeline import describe_skipped, load_traces, scan_activity_files
from cadence.readers.archive import ArchiveLimits, archive_members, gunzip, read_source, split_source

DATA = Path(__file__).resolve().parents[1] / "data"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_zip_bomb_is_refused_by_size_and_ratio() -> None:
    zeros = b"\0" * (4 << 20)
    limits = ArchiveLimits(max_ratio=50, ratio_floor_bytes=1 << 20)
    ((name, content, why),) = list(archive_members(_zip({"bomb.fit": zeros}), "x.zip", limits))
    assert name == "bomb.fit" and content is None and why is not None and "zip bomb" in why
    with pytest.raises(InputFormatError, match="zip bomb"):
        gunzip(gzip.compress(zeros), "bomb.fit.gz", limits)
    # the same bytes under generous limits read fine: the guard is the limit, not the content
    assert gunzip(gzip.compress(zeros), "ok.gz") == zeros


def test_member_names_that_climb_out_are_refused(tmp_path: Path) -> None:
    data = _zip({"../evil.fit": b"x", "/abs.fit": b"y", "ok/run.gpx": b"<gpx/>"})
    got = {name: why for name, _, why in archive_members(data, "x.zip")}
    assert got["ok/run.gpx"] is None
    assert "climbs out" in (got["../evil.fit"] or "") and "absolute" in (got["/abs.fit"] or "")
    (tmp_path / "x.zip").write_bytes(data)
    scan = scan_activity_files([tmp_path])
    assert scan.files == (f"{tmp_path}/x.zip/ok/run.gpx",)
    assert scan.skipped == {"refused": 2} and len(scan.refused) == 2
    with pytest.raises(InputFormatError, match="climbs out"):
        read_source(f"{tmp_path}/x.zip/../evil.fit")


def test_nested_zips_are_named_through_their_path(tmp_path: Path) -> None:
    tcx = gzip.decompress((DATA / "runv__activity.tcx.gz").read_bytes())
    inner = _zip({"7_ACTIVITY.tcx": tcx, "7.json": b"{}"})
    outer = _zip({"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0.zip": inner, "readme.txt": b"hi"})
    (tmp_path / "garmin.zip").write_bytes(outer)
    scan = scan_activity_files([tmp_path / "garmin.zip"])
    member = f"{tmp_path}/garmin.zip/DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0.zip/7_ACTIVITY.tcx"
    assert scan.files == (member,)
    assert scan.skipped == {"unknown": 2}
    assert split_source(member) == (
        f"{tmp_path}/garmin.zip",
        ["DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0.zip", "7_ACTIVITY.tcx"],
    )
    (trace,) = load_traces(member)
    assert trace.source == member and trace.sport == "running"
    # the whole zip named on its own reads every activity in it
    assert [t.sport for t in load_traces(tmp_path / "garmin.zip")] == ["running"]


def test_gz_of_a_fit_file_reads_like_the_file(tmp_path: Path) -> None:
    fit = DATA / "fdec__garmin-fenix-5-walk.fit"
    (tmp_path / "walk.fit.gz").write_bytes(gzip.compress(fit.read_bytes()))
    (plain,) = load_traces(fit)
    (packed,) = load_traces(tmp_path / "walk.fit.gz")
    assert packed.source == str(tmp_path / "walk.fit.gz")
    assert packed.sport == plain.sport == "walking"
    assert (
        packed.cadence_spm[packed.cadence_spm == packed.cadence_spm]
        == plain.cadence_spm[plain.cadence_spm == plain.cadence_spm]
    ).all()


def test_non_activity_fit_in_a_zip_is_a_not_activity_error(tmp_path: Path) -> None:
    (tmp_path / "s.zip").write_bytes(_zip({"Settings.fit": (DATA / "fdec__Settings.fit").read_bytes()}))
    with pytest.raises(NotActivityError) as info:
        load_traces(f"{tmp_path}/s.zip/Settings.fit")
    assert info.value.kind == "settings" and str(tmp_path / "s.zip") in str(info.value)


def test_corrupt_gzip_and_zip_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "cut.tcx.gz").write_bytes(gzip.compress(b"<TrainingCenterDatabase/>" * 100)[:40])
    with pytest.raises(InputFormatError, match="cut.tcx.gz.*gzip"):
        load_traces(tmp_path / "cut.tcx.gz")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04garbage")
    scan = scan_activity_files([tmp_path / "bad.zip"])
    assert scan.files == () and scan.skipped == {"refused": 1}


def test_describe_skipped_is_one_line() -> None:
    line = describe_skipped({"monitoring": 3, "settings": 6, "workouts": 2})
    assert line == "skipped 11 files that are not activities: 6 settings, 3 monitoring, 2 workouts"
    assert describe_skipped({}) == ""
    assert describe_skipped({"unknown": 1}) == "skipped 1 file that is not an activity: 1 unknown"


def test_a_phyphox_zip_export_reads_its_recording(tmp_path: Path) -> None:
    # phyphox exports "Raw Data.csv" with meta/*.csv beside it: the recording is read, the meta files counted
    from cadence.pipeline import analyze_file

    raw = (Path(__file__).parents[1] / "data" / "oxford_backpocket_excerpt.csv").read_bytes()
    zpath = tmp_path / "walk.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("Raw Data.csv", raw)
        zf.writestr("meta/device.csv", "property,value\nmodel,Pixel\n")
    scan = scan_activity_files([zpath])
    assert [f.rsplit("/", 1)[-1] for f in scan.files] == ["Raw Data.csv", "device.csv"]
    (result,) = analyze_file(scan.files[0])
    assert result.trace.source == f"{zpath}/Raw Data.csv" and result.steps is not None
    assert result.steps.n_steps > 20
    with pytest.raises(NotActivityError):
        analyze_file(scan.files[1])


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every zip member ``read_source`` decompresses from now on ."""
    import cadence.readers.archive as archive

    seen: list[str] = []
    real = archive._member_bytes

    def counting(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: ArchiveLimits) -> bytes:
        seen.append(info.filename)
        return real(zf, info, name, limits)

    monkeypatch.setattr(archive, "_member_bytes", counting)
    monkeypatch.setattr(archive, "_OPEN_ZIPS", OrderedDict(), raising=False)  # a fresh cache
    return seen


def test_a_nested_zip_is_decompressed_once_for_all_its_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 25
    inner = _zip({f"{i}_ACTIVITY.fit": f"fit {i}".encode() for i in range(n)})
    nested = "DI_CONNECT/UploadedFiles_0.zip"
    (tmp_path / "garmin.zip").write_bytes(_zip({nested: inner, "top.gpx": b"<gpx/>"}))
    seen = _count_reads(monkeypatch)
    for i in range(n):
        assert read_source(f"{tmp_path}/garmin.zip/{nested}/{i}_ACTIVITY.fit") == f"fit {i}".encode()
    assert seen.count(nested) == 1 and len(seen) == n + 1
    # the outer zip stays open beside the nested one: its own members do not evict the nested zip
    assert read_source(f"{tmp_path}/garmin.zip/top.gpx") == b"<gpx/>"
    assert read_source(f"{tmp_path}/garmin.zip/{nested}/0_ACTIVITY.fit") == b"fit 0"
    assert seen.count(nested) == 1


def test_a_changed_zip_is_read_afresh_and_limits_still_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _count_reads(monkeypatch)
    path = tmp_path / "x.zip"
    path.write_bytes(_zip({"in.zip": _zip({"a.fit": b"old"})}))
    assert read_source(f"{path}/in.zip/a.fit") == b"old"
    path.write_bytes(_zip({"in.zip": _zip({"a.fit": b"new content"})}))  # same name, new bytes
    assert read_source(f"{path}/in.zip/a.fit") == b"new content"
    assert seen.count("in.zip") == 2
    # a nested zip kept from a read under generous limits is not served to a read under tight ones
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("padding.bin", bytes(range(256)) * 8192)  # 2 MiB, stored: the nested zip is big
        zf.writestr("a.fit", b"small")
    path.write_bytes(_zip({"big.zip": buf.getvalue()}))
    assert read_source(f"{path}/big.zip/a.fit") == b"small"
    with pytest.raises(InputFormatError, match="over the limit"):
        read_source(f"{path}/big.zip/a.fit", ArchiveLimits(max_member_bytes=1 << 20))
