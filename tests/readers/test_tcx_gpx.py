"""TCX and GPX readers on real files (tests/data, ../shared) and on generated ones with a known answer."""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from cadence.errors import InputFormatError
from cadence.gait.analysis import analyze_trace
from cadence.pipeline import load_traces
from cadence.readers.gpx import gpx_sport, read_gpx
from cadence.readers.strava import read_manifest, strava_sport
from cadence.readers.tcx import read_tcx

DATA = Path(__file__).resolve().parents[1] / "data"
TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"


def _reference_running_cadence(times_s: np.ndarray, per_leg: np.ndarray) -> float:
    """Independent reference: time-weighted mean of 2 x per-leg cadence over readings of 140+ spm.

    Each reading stands for the time since the previous one (at most 30 s): no smoothing, no classifier.
    """
    spm = 2.0 * per_leg
    dt = np.minimum(np.diff(times_s, prepend=times_s[0]), 30.0)
    ok = np.isfinite(spm) & (spm >= 140)
    return float(np.sum(spm[ok] * dt[ok]) / np.sum(dt[ok]))


def _iso_seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_garmin_tcx_matches_an_independent_reference() -> None:
    path = DATA / "ggps__dav_track_5k.tcx"
    (trace,) = read_tcx(path)
    assert trace.sport == "running" and trace.start_time == datetime(2015, 10, 1, 11, 31, 59, tzinfo=UTC)
    assert trace.lap_start_s.size == 4  # four <Lap> elements
    assert trace.timer_intervals_s.shape == (4, 2)
    # the reference parses the same file with the standard library (whole tree) and a regex-free walk
    root = ET.parse(path).getroot()
    pts = root.iter(f"{{{TCX_NS}}}Trackpoint")
    rows = [
        (
            _iso_seconds(p.findtext(f"{{{TCX_NS}}}Time") or ""),
            float(p.findtext(f".//{{{AX_NS}}}RunCadence") or "nan"),
        )
        for p in pts
    ]
    t, cad = np.array(rows).T
    np.testing.assert_allclose(trace.cadence_spm, 2 * cad)  # strides -> steps, once
    summary = analyze_trace(trace)
    assert abs(summary.running_cadence_spm - _reference_running_cadence(t, cad)) < 3.0
    assert 5000 < summary.distance_m < 5400  # a 5 km run (the file's laps)
    assert 2.5 < np.nanmedian(trace.speed_ms) < 4.0


def test_strava_gpx_speed_from_positions_and_cadence_reference() -> None:
    path = DATA / "elev__20170319_run_906581465.gpx"
    (trace,) = read_gpx(path)
    assert trace.sport == "running"  # <type>9</type>
    text = path.read_text(encoding="utf-8")
    cads = np.array([float(x) for x in re.findall(r"<gpxtpx:cad>([\d.]+)</gpxtpx:cad>", text)])
    times = np.array(
        [_iso_seconds(x) for x in re.findall(r"<time>([^<]+)</time>", text)[1:]]
    )  # [0]: metadata
    assert cads.size == times.size == trace.n
    summary = analyze_trace(trace)
    assert abs(summary.running_cadence_spm - _reference_running_cadence(times, cads)) < 3.0
    # distance by haversine: the track's straight-line legs, compared with a flat-earth estimate
    lat = np.radians([float(x) for x in re.findall(r'lat="([-\d.]+)"', text)])
    lon = np.radians([float(x) for x in re.findall(r'lon="([-\d.]+)"', text)])
    flat = np.sum(np.hypot(np.diff(lat), np.diff(lon) * np.cos(lat[:-1]))) * 6_371_000
    assert abs(np.nanmax(trace.distance_m) - flat) / flat < 0.01
    assert 1.5 < np.nanmedian(trace.speed_ms) < 4.5


def test_tcx_gz_with_spaces_before_the_declaration() -> None:
    raw = gzip.decompress((DATA / "runv__activity.tcx.gz").read_bytes())
    assert raw.startswith(b" ")  # the oddity this test is about
    (trace,) = load_traces(DATA / "runv__activity.tcx.gz")
    assert trace.sport == "running" and trace.source.endswith("runv__activity.tcx.gz")
    assert 150 < analyze_trace(trace).running_cadence_spm < 190


def _tcx(points: list[str], sport: str = "Running", prefix: str = "ns3", extra_ns: str = "") -> bytes:
    body = "".join(points)
    return (
        '   <?xml version="1.0"?>\n'
        f'<x:TrainingCenterDatabase xmlns:x="{TCX_NS}" xmlns:{prefix}="{AX_NS}" {extra_ns}>'
        f'<x:Activities><x:Activity Sport="{sport}"><x:Id>2024-01-01T10:00:00Z</x:Id>'
        f'<x:Lap StartTime="2024-01-01T10:00:00Z"><x:Track>{body}</x:Track></x:Lap>'
        "</x:Activity></x:Activities></x:TrainingCenterDatabase>"
    ).encode()


def _when(i: int) -> str:
    return (datetime(2024, 1, 1, 10, tzinfo=UTC) + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")


def test_any_prefix_run_cadence_and_foot_pod_steps_mixed_with_strides() -> None:
    # a treadmill run: the watch writes strides (88), a foot pod steps (176) in stretches of one file
    per_leg = np.where((np.arange(600) // 60) % 2 == 0, 88.0, 176.0)
    pts = [
        f"<x:Trackpoint><x:Time>{_when(i)}</x:Time><x:DistanceMeters>{i * 3.0}</x:DistanceMeters>"
        f"<x:Extensions><foo:TPX><foo:RunCadence>{c:.0f}</foo:RunCadence></foo:TPX></x:Extensions></x:Trackpoint>"
        for i, c in enumerate(per_leg)
    ]
    (trace,) = read_tcx(_tcx(pts, prefix="foo"), name="mix.tcx")
    np.testing.assert_allclose(trace.cadence_spm, 176.0)  # every reading in steps, none doubled twice
    assert any("300 stride readings among them doubled" in n for n in trace.notes)
    np.testing.assert_allclose(np.nanmedian(trace.speed_ms), 3.0, rtol=0.01)  # from the distance


def test_a_file_written_in_steps_keeps_its_walking_readings() -> None:
    spm = np.concatenate([np.full(300, 172.0), np.full(120, 112.0), np.full(300, 170.0)])
    pts = [
        f"<x:Trackpoint><x:Time>{_when(i)}</x:Time><x:Cadence>{c:.0f}</x:Cadence></x:Trackpoint>"
        for i, c in enumerate(spm)
    ]
    (trace,) = read_tcx(_tcx(pts), name="steps.tcx")
    np.testing.assert_allclose(trace.cadence_spm, spm)
    assert any("written in steps" in n for n in trace.notes)


def test_coros_speed_in_kmh_is_converted() -> None:
    v_ms = 2.5
    pts = [
        f"<x:Trackpoint><x:Time>{_when(i)}</x:Time><x:DistanceMeters>{i * v_ms}</x:DistanceMeters>"
        f"<x:Cadence>80</x:Cadence><x:Extensions><x:Speed>{v_ms * 3.6:.3f}</x:Speed></x:Extensions>"
        "</x:Trackpoint>"
        for i in range(120)
    ]
    (trace,) = read_tcx(_tcx(pts), name="coros.tcx")
    np.testing.assert_allclose(trace.speed_ms, v_ms, rtol=1e-3)
    assert any("km/h" in n for n in trace.notes)
    np.testing.assert_allclose(trace.cadence_spm, 160.0)  # plain <Cadence> in a run: per leg


def test_biking_cadence_is_never_a_step_rate() -> None:
    pts = [
        f"<x:Trackpoint><x:Time>{_when(i)}</x:Time><x:Cadence>85</x:Cadence></x:Trackpoint>"
        for i in range(30)
    ]
    (trace,) = read_tcx(_tcx(pts, sport="Biking"), name="ride.tcx")
    assert trace.sport == "cycling" and not trace.is_step_sport
    assert np.isnan(trace.cadence_spm).all()
    assert trace.pedal_cadence_rpm is not None
    np.testing.assert_allclose(trace.pedal_cadence_rpm, 85.0)


def _gpx(points: str, kind: str = "running", version: str = "1.1") -> bytes:
    ns = "http://www.topografix.com/GPX/1/1" if version == "1.1" else "http://www.topografix.com/GPX/1/0"
    return (
        f'<?xml version="1.0"?><gpx version="{version}" creator="test" xmlns="{ns}" '
        'xmlns:tp2="http://www.garmin.com/xmlschemas/TrackPointExtension/v2">'
        f"<trk><type>{kind}</type><trkseg>{points}</trkseg></trk></gpx>"
    ).encode()


@pytest.mark.parametrize(
    "ext",
    [
        "<extensions><tp2:TrackPointExtension><tp2:cad>{c}</tp2:cad><tp2:speed>3.0</tp2:speed>"
        "</tp2:TrackPointExtension></extensions>",
        "<extensions><cad>{c}</cad></extensions>",
    ],
    ids=["trackpointextension-v2", "bare-cad"],
)
@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_gpx_cad_in_any_extension(ext: str, version: str) -> None:
    pts = "".join(
        f'<trkpt lat="{45 + i * 2.7e-5:.7f}" lon="5.0"><time>{_when(i)}</time>{ext.format(c=85)}</trkpt>'
        for i in range(60)
    )
    (trace,) = read_gpx(_gpx(pts, version=version), name="t.gpx")
    np.testing.assert_allclose(trace.cadence_spm, 170.0)
    assert abs(np.nanmedian(trace.speed_ms) - 3.0) < 0.1  # the field, or 2.7e-5 deg of latitude a second


def test_gpx_ride_cadence_is_pedal_rpm(shared_dir: Path) -> None:
    (trace,) = read_gpx(shared_dir / "data" / "activities" / "elev__20190721_ride_2551623996.gpx")
    assert trace.sport == "cycling" and np.isnan(trace.cadence_spm).all()
    assert (
        trace.pedal_cadence_rpm is not None
        and 60 < np.nanmedian(trace.pedal_cadence_rpm[trace.pedal_cadence_rpm > 0]) < 100
    )


def test_unsafe_and_broken_xml_are_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<gpx>&b;</gpx>"
    )
    with pytest.raises(InputFormatError, match="unsafe"):
        read_gpx(bomb, name="bomb.gpx")
    with pytest.raises(InputFormatError, match="malformed XML.*line") as cut:
        read_tcx(_tcx([])[:-30], name="cut.tcx")
    assert str(cut.value).count("line ") == 1  # the position is said once
    with pytest.raises(InputFormatError, match="not a TCX"):
        read_tcx(_gpx(""), name="wrong.tcx")
    with pytest.raises(InputFormatError, match="not an XML"):
        read_gpx(b"hello", name="x.gpx")


def test_gpx_sport_words_and_strava_numbers() -> None:
    assert gpx_sport("9") == "running" and gpx_sport("1") == "cycling"
    assert gpx_sport("running") == "running" and gpx_sport("Hiking") == "hiking"
    assert gpx_sport("") is None and gpx_sport("kitesurfing") is None


def test_strava_manifest_old_and_new_layouts() -> None:
    new = (
        "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,"
        "Filename,Elapsed Time,Distance\n"
        '1,"Jan 1, 2024",Easy,Run,"two\nlines",100,1.0,activities/1.fit.gz,100,1000\n'
        '2,"Jan 2, 2024",Spin,Ride,,100,1.0,,100,1000\n'
        '3,"Jan 3, 2024",Hill,Hike,,100,1.0,activities/3.gpx,100,1000\n'
    )
    got = read_manifest(new)
    assert set(got) == {"activities/1.fit.gz", "activities/3.gpx"}  # the row without a file is left out
    assert got["activities/1.fit.gz"].sport == "running" and got["activities/3.gpx"].sport == "hiking"
    old = (
        "id,date,name,type,description,elapsed_time,distance,commute,gear,filename\n"
        "9,2017-06-07,x,Run,,1,1,,,activities/9.gpx\n"
    )
    assert read_manifest(old)["activities/9.gpx"].activity_type == "Run"
    assert read_manifest("a,b\n1,2\n") == {}
    assert strava_sport("Virtual Ride") == "cycling" and strava_sport("Yoga") == "generic"


@pytest.mark.shared
def test_every_shared_tcx_and_gpx_reads_with_its_sport(shared_dir: Path) -> None:
    folder = shared_dir / "data" / "activities"
    expected = {
        "coros__27-8K.tcx": "running",
        "elev__20170319_run_906581465.gpx": "running",
        "elev__20181021_run_3106033902.tcx": "running",
        "elev__20190721_ride_2551623996.gpx": "cycling",
        "ffcpp__walking_activity_1.tcx": "walking",
        "ggps__activity_4564516081.gpx": "running",
        "ggps__dav_track_5k.tcx": "running",
        "sptr__Forerunner405-Running_CadenceSensor.tcx": "running",
        "sweat__3173437224.tcx": "running",
        "tcxmill__30km-progression-2019-09-25__activity.tcx": "running",
    }
    for name, sport in expected.items():
        (trace,) = load_traces(folder / name)
        assert trace.sport == sport, name
        if sport == "running":
            s = analyze_trace(trace)
            # per-leg values doubled once: a running step rate, not 80-odd and not 300-odd
            assert 145 < s.running_cadence_spm < 195, (name, s.running_cadence_spm)
