"""``cadence playlist``: tempo windows for a step rate, and the matching tracks of the runner's music."""

from __future__ import annotations

import math
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from ._common import echo_json, is_tty, plan_session_options, refuse_existing_outputs, resolve_plan_session


def _fmt_multiple(multiple: float) -> str:
    return "1/2x" if multiple == 0.5 else f"{multiple:g}x"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _display_path(path: Path | None, root: Path) -> str:
    if path is None:
        return ""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _progress(total: int, label: str) -> Any:
    """Return a click progress bar on stderr when it is a terminal, else a do-nothing stand-in."""
    if total and is_tty(sys.stderr):
        return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
    return nullcontext(None)


@click.command()
@click.argument("library", required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--spm",
    "cadence_spm",
    type=float,
    help="Target step rate in steps per minute (e.g. from `cadence target`).",
)
@plan_session_options(
    plan_help="Take --spm from a session of a `cadence plan --json` file (with --session).",
    session_help="The plan session whose target step rate to use.",
)
@click.option(
    "--tolerance",
    default="3",
    show_default=True,
    metavar="BPM|PCT%",
    help="Window half-width: BPM at 1x (halved at 1/2x, doubled at 2x), or percent of each window's centre.",
)
@click.option(
    "--ramp",
    "from_spm",
    type=float,
    metavar="FROM_SPM",
    help="Order the tracks as a ramp from this warm-up step rate up (or down) to --spm.",
)
@click.option(
    "--m3u",
    "m3u_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the matching tracks as an M3U8 playlist (paths relative to it).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing --m3u file.")
@click.option(
    "--estimate", is_flag=True, help="Estimate the tempo of untagged tracks (needs cadence[tempo])."
)
@click.option(
    "--tempo-method",
    type=click.Choice(["auto", "rnn", "cyclic"]),
    help="With --estimate: rnn (madmom's beat network, cadence[tempo-rnn]), cyclic (librosa only); "
    "auto (the default) is rnn when it is installed.",
)
@click.option("--write-tags", is_flag=True, help="With --estimate: write confident estimates into BPM tags.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="With --estimate: worker processes for tracks not in the cache (default: all CPUs).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def playlist(
    library: Path | None,
    cadence_spm: float | None,
    plan_path: str | None,
    session_no: int | None,
    tolerance: str,
    from_spm: float | None,
    m3u_path: Path | None,
    force: bool,
    estimate: bool,
    tempo_method: str | None,
    write_tags: bool,
    jobs: int | None,
    as_json: bool,
) -> None:
    """BPM windows for a step rate, and the tracks of LIBRARY that fit them.

    A track fits when one step falls on every beat (1x), every other beat (1/2x) or twice a beat (2x).
    LIBRARY is a music folder (MP3, M4A, FLAC, Ogg/Opus, WAV, AIFF with BPM tags) or a CSV track list
    with a Tempo or BPM column. Without LIBRARY only the windows are printed. See docs/playlist.md.
    """
    from ..errors import InputFormatError
    from ..music import library as music
    from ..music.matching import Tolerance, bpm_windows, closeness_order, match_tempos, ramp_order

    session = resolve_plan_session(plan_path, session_no, instead=("--spm", cadence_spm))
    if session is not None:
        cadence_spm = float(session["target_spm"])
    if cadence_spm is None:
        raise click.UsageError("give the target step rate: --spm 172 (or --plan plan.json --session N)")
    if library is None and (m3u_path or estimate or write_tags):
        raise click.UsageError("--m3u, --estimate and --write-tags need a LIBRARY (music folder or CSV)")
    if tempo_method is not None and not estimate:
        raise click.UsageError("--tempo-method chooses how --estimate works: add --estimate")
    if write_tags and not estimate:
        raise click.UsageError("--write-tags writes estimated tempos: add --estimate")
    if estimate and library is not None and not library.is_dir():
        raise click.UsageError("--estimate needs a music folder, not a CSV track list")
    refuse_existing_outputs(m3u_path, force=force)  # before a long scan, not after it

    tol = Tolerance.parse(tolerance)
    windows = bpm_windows(cadence_spm, tol, from_spm=from_spm)
    payload: dict[str, Any] = {
        "cadence_spm": cadence_spm,
        "from_spm": from_spm,
        "tolerance": {"value": tol.value, "unit": tol.unit.value},
        "windows": [
            {"multiple": w.multiple, "target_bpm": w.target_bpm, "low_bpm": w.low_bpm, "high_bpm": w.high_bpm}
            for w in windows
        ],
    }
    if library is None:
        if as_json:
            echo_json(payload)
        else:
            _print_windows(payload, tol)
        return

    # --- read the library ---
    if library.is_dir():
        files = music.audio_files(library)
        with _progress(len(files), "scanning") as bar:
            lib = music.scan_music_dir(
                library, files=files, progress=None if bar is None else (lambda _p: bar.update(1))
            )
    else:
        lib = music.read_library(library)
    root = lib.source if library.is_dir() else lib.source.parent

    failed: list[tuple[str, str]] = []
    raw_bpm: dict[Path, float] = {}
    uncertain: tuple[music.UncertainTempo, ...] = ()
    if estimate:
        from ..music.tempo import import_librosa, resolve_method

        import_librosa()  # the tempo extra first: its hint is the one a user needs
        asked = tempo_method or "auto"
        tempo_method = resolve_method(asked)
        if asked == "auto" and tempo_method == "cyclic" and lib.untagged:
            click.echo(
                "note: more accurate tempos with pip install 'cadence[tempo-rnn]' (madmom; non-commercial "
                "models); --tempo-method cyclic hides this note",
                err=True,
            )
        payload["tempo_method"] = tempo_method
        cache = music.TempoCache(music.default_cache_dir())
        try:
            with _progress(len(lib.untagged), "estimating") as bar:
                found = music.estimate_untagged(
                    lib,
                    cadence_spm,
                    cache=cache,
                    jobs=jobs,
                    progress=None if bar is None else (lambda _t: bar.update(1)),
                    method=tempo_method,
                )
        finally:
            cache.save()
        lib, raw_bpm, uncertain = found.library, found.raw_bpm, found.uncertain
        failed += found.failed

    tags_written: list[str] = []
    if write_tags:
        for track in lib.tracks:
            if track.path in raw_bpm and track.confidence >= music.MIN_TAG_CONFIDENCE:
                try:
                    music.write_tempo_tag(track.path, raw_bpm[track.path])
                except InputFormatError as exc:  # e.g. a read-only file: report it, tag the others
                    failed.append((exc.path, exc.problem))
                    continue
                tags_written.append(_display_path(track.path, root))

    # --- match and order ---
    matches = match_tempos([t.tempo_bpm for t in lib.tracks], windows)
    order = closeness_order(matches) if from_spm is None else ramp_order(matches, from_spm)
    picked = [lib.tracks[i] for i in order]

    m3u_info = None
    if m3u_path is not None:
        if not picked:
            click.echo("warning: no track fits the windows; writing an empty playlist", err=True)
        title = f"cadence {cadence_spm:g} spm" + (f" ramp from {from_spm:g}" if from_spm is not None else "")
        n = music.write_m3u(m3u_path, picked, force=force, title=title)
        m3u_info = {"path": str(m3u_path), "n_entries": n}

    tracks_json = []
    for i in order:
        t = lib.tracks[i]
        tracks_json.append(
            {
                "path": _display_path(t.path, root) or None,
                "uri": t.uri,
                "title": t.title,
                "artist": t.artist,
                "duration_s": t.duration_s,
                "tempo_bpm": t.tempo_bpm,
                "tempo_source": t.tempo_source.value,
                "raw_estimate_bpm": raw_bpm.get(t.path) if t.path is not None else None,
                "confidence": t.confidence,
                "multiple": matches.multiple[i],
                "target_bpm": matches.target_bpm[i],
                "offset_bpm": matches.offset_bpm[i],
                "track_spm": matches.track_spm[i],
                "offset_spm": matches.offset_spm[i],
            }
        )
    uncertain_paths = {u.track.path for u in uncertain}
    untagged = [t for t in lib.tracks if not math.isfinite(t.tempo_bpm) and t.path not in uncertain_paths]
    payload.update(
        {
            "library": {
                "source": str(lib.source),
                "kind": "folder" if library.is_dir() else "csv",
                "n_tracks": len(lib.tracks),
                "n_with_tempo": len(lib.tracks) - len(untagged),
            },
            "tracks": tracks_json,
            "untagged": [
                {"path": _display_path(t.path, root) or None, "title": t.title, "artist": t.artist}
                for t in untagged
            ],
            "unreadable": [
                {"path": _display_path(Path(p), root), "problem": why} for p, why in lib.unreadable
            ],
            "tempo_uncertain": [
                {
                    "path": _display_path(u.track.path, root) or None,
                    "title": u.track.title,
                    "artist": u.track.artist,
                    "estimate_bpm": u.estimate_bpm,
                    "alternative_bpm": u.alternative_bpm,
                    "confidence": u.confidence,
                }
                for u in uncertain
            ],
            "estimate_failed": [{"path": _display_path(Path(p), root), "problem": why} for p, why in failed],
            "tags_written": tags_written,
            "m3u": m3u_info,
        }
    )
    if as_json:
        echo_json(payload)
    else:
        _print_windows(payload, tol)
        _print_tracks(payload, estimate)


def _print_windows(payload: dict[str, Any], tol: Any) -> None:
    spm = payload["cadence_spm"]
    ramp = f", ramp from {payload['from_spm']:g} spm" if payload["from_spm"] is not None else ""
    rule = "of each window's centre" if str(tol).endswith("%") else "at 1x, scaled with the multiple"
    click.echo(f"BPM windows for {spm:g} spm{ramp} (tolerance +/-{tol} {rule}):")
    click.echo(f"  {'multiple':>8}  {'target BPM':>10}  {'window BPM':>15}")
    for w in payload["windows"]:
        span = f"{w['low_bpm']:.1f}-{w['high_bpm']:.1f}"
        click.echo(f"  {_fmt_multiple(w['multiple']):>8}  {w['target_bpm']:>10.1f}  {span:>15}")


def _print_tracks(payload: dict[str, Any], estimate: bool) -> None:
    lib = payload["library"]
    tracks = payload["tracks"]
    how = "as a ramp" if payload["from_spm"] is not None else "closest first"
    click.echo("")
    click.echo(f"{len(tracks)} of {lib['n_tracks']} tracks fit ({how}):")
    if estimate and "tempo_method" in payload:
        methods = {
            "rnn": "madmom's beat network, checked by the cyclic tempogram",
            "cyclic": "the cyclic tempogram",
        }
        click.echo(f"  (estimated tempos: {methods[payload['tempo_method']]})")
    if tracks:
        click.echo(f"  {'#':>3}  {'BPM':>6}  {'x':>4}  {'spm':>6}  {'off':>5}  {'src':<8}  track")
        for n, t in enumerate(tracks, 1):
            src = t["tempo_source"]
            if src == "estimate":
                src = f"est {t['confidence']:.0%}"
            name = f"{t['artist']} - {t['title']}" if t["artist"] else t["title"]
            where = t["path"] or t["uri"] or ""
            click.echo(
                f"  {n:>3}  {t['tempo_bpm']:>6.1f}  {_fmt_multiple(t['multiple']):>4}  "
                f"{t['track_spm']:>6.1f}  {t['offset_spm']:>+5.1f}  {src:<8}  {name}"
                + (f"  [{where}]" if where and where != name else "")
            )
    if payload["tempo_uncertain"]:
        click.echo("")
        n = len(payload["tempo_uncertain"])
        why = "candidates disagree beyond x2; not matched"
        click.echo(f"{_count(n, 'track')} with an uncertain tempo ({why}):")
        for u in payload["tempo_uncertain"]:
            alt = f" or {u['alternative_bpm']:.1f}" if math.isfinite(u["alternative_bpm"]) else ""
            name = u["path"] or u["title"]
            click.echo(f"  {name}: {u['estimate_bpm']:.1f}{alt} BPM (confidence {u['confidence']:.0%})")
    if payload["untagged"]:
        hint = "" if estimate else "; --estimate guesses their tempo from the audio"
        click.echo("")
        click.echo(f"{_count(len(payload['untagged']), 'track')} without a tempo{hint}:")
        for t in payload["untagged"]:
            click.echo(f"  {t['path'] or t['title']}")
    for key, label in (("unreadable", "unreadable file"), ("estimate_failed", "failed estimate or tag")):
        if payload[key]:
            click.echo("")
            click.echo(f"{_count(len(payload[key]), label)}:")
            for item in payload[key]:
                click.echo(f"  {item['path']}: {item['problem']}")
    if payload["tags_written"]:
        click.echo("")
        click.echo(f"BPM tags written into {_count(len(payload['tags_written']), 'file')}")
    if payload["m3u"] is not None:
        click.echo("")
        click.echo(f"wrote {payload['m3u']['path']} ({payload['m3u']['n_entries']} tracks)")
