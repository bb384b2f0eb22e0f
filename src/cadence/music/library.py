"""The runner's music library: read tempo tags from audio files or a CSV track list, write M3U8 playlists.

This is the I/O edge of the playlist feature; the matching itself is pure and lives in
:mod:`cadence.music.matching`. Tags are read with `mutagen <https://mutagen.readthedocs.io>`_:

========================  ===============================================
format                    tempo tag
========================  ===============================================
MP3, WAV, AIFF (ID3)      ``TBPM`` (or a ``TXXX:BPM`` user frame)
FLAC, Ogg Vorbis / Opus   Vorbis comment ``BPM`` (or ``TEMPO``)
MP4 / M4A                 ``tmpo`` (or ``----:com.apple.iTunes:BPM``)
========================  ===============================================
"""

from __future__ import annotations

import csv
import enum
import functools
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._atomic import atomic_output
from .._cache import default_cache_dir, default_jobs, run_in_pool
from .._timefmt import parse_duration_s
from ..errors import InputFormatError, ParameterError

__all__ = [
    "AUDIO_EXTENSIONS",
    "MIN_TAG_CONFIDENCE",
    "MusicLibrary",
    "TempoCache",
    "TempoSource",
    "Track",
    "UncertainTempo",
    "UntaggedEstimates",
    "audio_files",
    "default_cache_dir",
    "estimate_track_tempo",
    "estimate_untagged",
    "read_library",
    "read_track",
    "read_track_csv",
    "scan_music_dir",
    "write_m3u",
    "write_tempo_tag",
]

#: file name endings scanned in a music folder (lower case)
AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {".mp3", ".m4a", ".mp4", ".m4b", ".flac", ".ogg", ".oga", ".opus", ".wav", ".aif", ".aiff"}
)

#: one suffix per mutagen class, in the order a misnamed file is sniffed
_AUDIO_SUFFIXES = (".mp3", ".m4a", ".flac", ".ogg", ".wav", ".aiff")

#: tempos outside this range in a tag or CSV cell are treated as missing (0 is "unknown" in Spotify exports)
_TEMPO_RANGE_BPM = (1.0, 1000.0)


class TempoSource(enum.Enum):
    """Where a track's tempo comes from."""

    TAG = "tag"
    CSV = "csv"
    ESTIMATE = "estimate"
    NONE = "none"


@dataclass(frozen=True)
class Track:
    """One track of the library.

    Attributes
    ----------
    title, artist : str
        From the tags or the CSV; the title falls back to the file name, the artist to ``""``.
    duration_s : float
        Length in seconds (NaN: unknown).
    tempo_bpm : float
        Tempo in BPM (NaN: no tempo).
    tempo_source : TempoSource
        Tag, CSV column, audio estimate or none.
    confidence : float
        0-1 for an estimated tempo (how sure the estimator is), 1 for a tag or CSV value, NaN without a tempo.
    path : Path or None
        The audio file (absolute), if known.
    uri : str or None
        A streaming-service URI or URL from a CSV track list.
    """

    title: str
    artist: str = ""
    duration_s: float = math.nan
    tempo_bpm: float = math.nan
    tempo_source: TempoSource = TempoSource.NONE
    confidence: float = math.nan
    path: Path | None = None
    uri: str | None = None

    @property
    def display_name(self) -> str:
        """``"artist - title"``, or the title alone without an artist."""
        return f"{self.artist} - {self.title}" if self.artist else self.title

    def with_tempo(self, tempo_bpm: float, source: TempoSource, confidence: float) -> Track:
        """Return a copy with a tempo from ``source``."""
        return replace(self, tempo_bpm=float(tempo_bpm), tempo_source=source, confidence=float(confidence))


@dataclass(frozen=True)
class MusicLibrary:
    """Tracks read from a music folder or a CSV track list.

    Attributes
    ----------
    source : Path
        The folder or CSV file.
    tracks : tuple of Track
        Every readable track, with or without a tempo, in path (or CSV row) order.
    unreadable : tuple of (str, str)
        ``(path, problem)`` for audio files that could not be read; the scan goes on without them.
    """

    source: Path
    tracks: tuple[Track, ...]
    unreadable: tuple[tuple[str, str], ...] = ()

    @property
    def untagged(self) -> tuple[Track, ...]:
        """Tracks without a tempo."""
        return tuple(t for t in self.tracks if not math.isfinite(t.tempo_bpm))


def _parse_tempo(text: Any) -> float:
    """First number in a tag value (``"172"``, ``"171.5"``, ``"172,5"``, ``"128 BPM"``); NaN if none."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = re.search(r"\d+(?:[.,]\d+)?", str(text))
        if m is None:
            return math.nan
        value = float(m.group(0).replace(",", "."))
    lo, hi = _TEMPO_RANGE_BPM
    return value if lo <= value <= hi else math.nan


def _first(values: Any) -> Any:
    if values is None:
        return None
    if isinstance(values, list | tuple):
        return values[0] if values else None
    text = getattr(values, "text", None)  # an ID3 text frame
    if text is not None:
        return text[0] if text else None
    return values


def _tag_fields(tags: Any) -> tuple[Any, Any, Any]:
    """(tempo, title, artist) raw values from a mutagen tag container of any format."""
    if tags is None:
        return None, None, None
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    if isinstance(tags, ID3):
        tempo = _first(tags.get("TBPM")) or _first(tags.get("TXXX:BPM"))
        return tempo, _first(tags.get("TIT2")), _first(tags.get("TPE1"))
    if isinstance(tags, MP4Tags):
        tempo = _first(tags.get("tmpo")) or _first(tags.get("----:com.apple.iTunes:BPM"))
        return tempo, _first(tags.get("\xa9nam")), _first(tags.get("\xa9ART"))

    # Vorbis comments (FLAC, Ogg Vorbis/Opus/FLAC/Speex): case-insensitive keys
    def get(key: str) -> Any:
        try:
            return _first(tags[key])
        except (KeyError, ValueError):
            return None

    return get("bpm") or get("tempo"), get("title"), get("artist")


def _mutagen_classes(suffix: str) -> list[Any]:
    from mutagen.aiff import AIFF
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.oggflac import OggFLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggspeex import OggSpeex
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    classes: dict[str, list[Any]] = {
        ".mp3": [MP3],
        ".m4a": [MP4],
        ".mp4": [MP4],
        ".m4b": [MP4],
        ".flac": [FLAC],
        ".ogg": [OggVorbis, OggOpus, OggFLAC, OggSpeex],
        ".oga": [OggVorbis, OggOpus, OggFLAC, OggSpeex],
        ".opus": [OggOpus],
        ".wav": [WAVE],
        ".aif": [AIFF],
        ".aiff": [AIFF],
    }
    return classes.get(suffix, [])


def _open_audio(path: Path) -> Any:
    """Open ``path`` with mutagen, trying the class its name says first (no format sniffing)."""
    import mutagen

    classes = _mutagen_classes(path.suffix.lower())
    if len(classes) == 1:
        try:
            return classes[0](path)
        except mutagen.MutagenError:
            pass  # a misnamed file: sniff it below with the other formats
    others = [
        c for c in dict.fromkeys(c for s in _AUDIO_SUFFIXES for c in _mutagen_classes(s)) if c not in classes
    ]
    try:
        audio = mutagen.File(path, options=classes) if len(classes) > 1 else None
        if audio is None:
            audio = mutagen.File(path, options=others)
    except mutagen.MutagenError as exc:
        raise InputFormatError(path, f"not a readable audio file ({exc})") from exc
    if audio is None:
        raise InputFormatError(path, "not a recognised audio format")
    return audio


def read_track(path: str | os.PathLike[str]) -> Track:
    """Read the title, artist, duration and BPM tag of one audio file.

    Parameters
    ----------
    path : str or os.PathLike
        An MP3, M4A/MP4, FLAC, Ogg Vorbis/Opus, WAV or AIFF file.

    Returns
    -------
    Track
        ``tempo_source`` is :attr:`TempoSource.TAG` when a usable BPM tag was found, else ``NONE``.

    Raises
    ------
    InputFormatError
        The file is missing, empty, truncated or not audio.
    """
    p = Path(path).absolute()
    try:
        audio = _open_audio(p)
        tempo_raw, title, artist = _tag_fields(audio.tags)
    except InputFormatError:
        raise
    except OSError as exc:
        raise InputFormatError(p, exc.strerror or str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - mutagen raises IndexError etc. on some damaged files
        raise InputFormatError(p, f"damaged audio file ({type(exc).__name__}: {exc})") from exc
    tempo = _parse_tempo(tempo_raw) if tempo_raw is not None else math.nan
    length = getattr(audio.info, "length", None)
    duration = float(length) if length is not None and math.isfinite(length) and length > 0 else math.nan
    track = Track(
        title=str(title).strip() if title else p.stem,
        artist=str(artist).strip() if artist else "",
        duration_s=duration,
        path=p,
    )
    if math.isfinite(tempo):
        track = track.with_tempo(tempo, TempoSource.TAG, 1.0)
    return track


def audio_files(root: str | os.PathLike[str]) -> list[Path]:
    """Audio files under ``root`` (recursively, hidden files and folders skipped), sorted by path."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS:
                found.append(Path(dirpath, name))
    found.sort()
    return found


def scan_music_dir(
    root: str | os.PathLike[str],
    *,
    files: Sequence[Path] | None = None,
    progress: Callable[[Path], None] | None = None,
) -> MusicLibrary:
    """Read every audio file under a folder.

    Parameters
    ----------
    root : str or os.PathLike
        The music folder.
    files : sequence of Path, optional
        The files to read (default: :func:`audio_files` of ``root``), e.g. to size a progress bar first.
    progress : callable, optional
        Called with each path after it has been read.

    Returns
    -------
    MusicLibrary
        Readable tracks; unreadable files are listed in ``unreadable`` instead of stopping the scan.

    Raises
    ------
    InputFormatError
        ``root`` is not a folder.
    """
    root_p = Path(root)
    if not root_p.is_dir():
        raise InputFormatError(root_p, "not a folder")
    tracks: list[Track] = []
    unreadable: list[tuple[str, str]] = []
    for path in audio_files(root_p) if files is None else files:
        try:
            tracks.append(read_track(path))
        except InputFormatError as exc:
            unreadable.append((exc.path, exc.problem))
        if progress is not None:
            progress(path)
    return MusicLibrary(root_p.absolute(), tuple(tracks), tuple(unreadable))


# --- CSV track lists ----------------------------------------------------------------------------------------

_CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "tempo": ("tempo", "bpm", "tempo (bpm)", "tempo_bpm", "beats per minute"),
    "title": ("track name", "title", "name", "track", "song", "song name", "track_name", "track title"),
    "artist": (
        "artist name(s)",
        "artist names",
        "artist name",
        "artist",
        "artists",
        "artist(s)",
        "artist_name",
    ),
    "duration_ms": ("duration (ms)", "duration_ms", "duration ms", "track duration (ms)"),
    "duration": ("duration", "duration (s)", "length", "time"),
    "location": ("location", "path", "file", "filename", "file name", "file path"),
    "uri": ("track uri", "spotify uri", "uri", "url", "spotify_uri", "track url"),
}


def _norm_header(name: str) -> str:
    return " ".join(name.strip().lower().split())


def _csv_columns(path: Path, header: list[str]) -> dict[str, int]:
    index = {_norm_header(h): i for i, h in reversed(list(enumerate(header)))}
    columns = {}
    for key, names in _CSV_COLUMNS.items():
        for name in names:
            if name in index:
                columns[key] = index[name]
                break
    if "tempo" not in columns:
        found = ", ".join(repr(h) for h in header) or "none"
        problem = f"no tempo column: expected 'Tempo' or 'BPM' (columns found: {found})"
        raise InputFormatError(path, problem, "line 1")
    return columns


def _parse_duration_s(text: str, in_ms: bool) -> float:
    """Parse a track-list duration in seconds (ms when ``in_ms``); ``nan`` when blank or not a duration."""
    text = text.strip()
    if not text:
        return math.nan
    if in_ms:
        try:
            return float(text) / 1000.0
        except ValueError:
            return math.nan
    try:
        return parse_duration_s(text)
    except ParameterError:
        return math.nan


def read_track_csv(path: str | os.PathLike[str]) -> MusicLibrary:
    """Read a CSV track list with a tempo column, such as a playlist exported from a streaming service.

    Parameters
    ----------
    path : str or os.PathLike
        CSV (comma, semicolon or tab separated, UTF-8 with or without BOM) with a header row. Columns are
        found by name, case-insensitively: tempo ``Tempo`` / ``BPM`` (required); title ``Track Name`` /
        ``Title`` / ``Name``; artist ``Artist Name(s)`` / ``Artist``; duration ``Duration (ms)`` or
        ``Duration`` / ``Length`` (seconds or ``m:ss``); file ``Location`` / ``Path`` (relative to the
        CSV); ``Track URI`` / ``URI`` / ``URL``.

    Returns
    -------
    MusicLibrary
        One track per row; an empty or zero tempo cell means no tempo.

    Raises
    ------
    InputFormatError
        Missing file, no header, no tempo column, or a tempo cell that is not a number (with its line).
    """
    p = Path(path).absolute()
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputFormatError(p, exc.strerror or str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise InputFormatError(p, "not UTF-8 text", f"byte {exc.start}") from exc
    if not text.strip():
        raise InputFormatError(p, "empty file: expected a header row with a Tempo or BPM column")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(text.splitlines(), dialect)
    header = next(rows)
    cols = _csv_columns(p, header)

    def cell(row: list[str], key: str) -> str:
        i = cols.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    tracks = []
    for line_no, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        tempo_text = cell(row, "tempo")
        tempo = math.nan
        if tempo_text:
            try:
                tempo = float(tempo_text)
            except ValueError:
                try:  # decimal comma, as in semicolon-separated European exports
                    tempo = float(tempo_text.replace(",", "."))
                except ValueError:
                    problem = f"tempo {tempo_text!r} is not a number"
                    raise InputFormatError(p, problem, f"line {line_no}") from None
            lo, hi = _TEMPO_RANGE_BPM
            if not lo <= tempo <= hi:
                tempo = math.nan
        if "duration_ms" in cols:
            duration = _parse_duration_s(cell(row, "duration_ms"), in_ms=True)
        else:
            duration = _parse_duration_s(cell(row, "duration"), in_ms=False)
        location = cell(row, "location")
        file_path = None
        if location:
            file_path = Path(location) if os.path.isabs(location) else p.parent / location
        track = Track(
            title=cell(row, "title") or (file_path.stem if file_path else f"row {line_no}"),
            artist=cell(row, "artist"),
            duration_s=duration,
            path=file_path,
            uri=cell(row, "uri") or None,
        )
        if math.isfinite(tempo):
            track = track.with_tempo(tempo, TempoSource.CSV, 1.0)
        tracks.append(track)
    return MusicLibrary(p, tuple(tracks))


def read_library(source: str | os.PathLike[str], **scan_options: Any) -> MusicLibrary:
    """Read a folder of audio files (:func:`scan_music_dir`) or a CSV track list (:func:`read_track_csv`)."""
    p = Path(source)
    if p.is_dir():
        return scan_music_dir(p, **scan_options)
    if not p.exists():
        raise InputFormatError(p, "no such file or folder")
    if p.suffix.lower() in AUDIO_EXTENSIONS:
        raise InputFormatError(p, "is an audio file: give the music folder, or a CSV track list")
    return read_track_csv(p)


# --- output -------------------------------------------------------------------------------------------------


#: what an M3U line cannot hold: C0 and C1 controls, DEL, and every line or paragraph separator
_M3U_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _extinf_title(track: Track) -> str:
    # one line: whitespace runs (line breaks, VT, NEL, U+2028 included) become one space, controls go
    return _M3U_UNSAFE.sub("", " ".join(track.display_name.split()))


def write_m3u(
    path: str | os.PathLike[str], tracks: Iterable[Track], *, force: bool = False, title: str | None = None
) -> int:
    """Write an extended M3U playlist (UTF-8, ``.m3u8``).

    Parameters
    ----------
    path : str or os.PathLike
        The playlist file. Track paths are written relative to its folder (with ``/``), so the playlist
        and the music can move together; a track on another drive keeps its absolute path.
    tracks : iterable of Track
        In playing order. A track without a file is written as its URI; one with neither, or with a line
        break in its file name, is left out.
    force : bool
        Overwrite an existing playlist.
    title : str, optional
        Written as ``#PLAYLIST:``.

    Returns
    -------
    int
        Number of entries written.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    """
    dest = Path(path).absolute()
    lines = ["#EXTM3U"]
    if title:
        lines.append(f"#PLAYLIST:{' '.join(title.split())}")
    n = 0
    for track in tracks:
        if track.path is not None:
            try:
                entry = Path(os.path.relpath(track.path, dest.parent)).as_posix()
            except ValueError:  # another drive (Windows)
                entry = Path(track.path).as_posix()
        elif track.uri:
            entry = track.uri
        else:
            continue
        if _M3U_UNSAFE.search(entry):  # a line break or control character in a name: M3U cannot hold it
            import warnings

            from ..errors import CadenceWarning

            warnings.warn(
                f"{dest}: skipped {entry.encode('unicode_escape').decode('ascii')[:120]!s}: "
                "its name holds a line break or control character, which an M3U playlist cannot hold",
                CadenceWarning,
                stacklevel=2,
            )
            continue
        if entry.startswith("#"):
            entry = f"./{entry}"  # "#1 hit.mp3" would read as a comment line
        seconds = round(track.duration_s) if math.isfinite(track.duration_s) else -1
        lines += [f"#EXTINF:{seconds},{_extinf_title(track)}", entry]
        n += 1
    with atomic_output(dest, force=force) as fh:
        fh.write("\n".join(lines) + "\n")
    return n


def write_tempo_tag(path: str | os.PathLike[str], tempo_bpm: float) -> None:
    """Write a tempo tag (rounded to whole BPM, as ID3 ``TBPM`` requires) into an audio file.

    Uses the tag of the file's format (see the module docstring); a file without tags gets them.

    Raises
    ------
    ParameterError
        ``tempo_bpm`` is not a positive finite number.
    InputFormatError
        The file cannot be read or written.
    """
    import mutagen
    from mutagen.id3 import ID3, TBPM
    from mutagen.mp4 import MP4

    if not (math.isfinite(tempo_bpm) and tempo_bpm > 0):
        raise ParameterError(f"{tempo_bpm=} must be a positive number")
    bpm = round(tempo_bpm)
    p = Path(path)
    try:
        audio = _open_audio(p)
        if audio.tags is None:
            audio.add_tags()
        if isinstance(audio.tags, ID3):
            audio.tags.setall("TBPM", [TBPM(encoding=3, text=[str(bpm)])])
        elif isinstance(audio, MP4):
            audio.tags["tmpo"] = [bpm]
        else:
            audio.tags["BPM"] = [str(bpm)]
        audio.save()
    except (mutagen.MutagenError, OSError) as exc:
        raise InputFormatError(p, f"cannot write the tempo tag ({exc})") from exc


# --- tempo estimation of untagged tracks (optional 'tempo' extra) ------------------------------------------

#: estimates below this confidence are not written into tags
MIN_TAG_CONFIDENCE = 0.6
#: v3: entries name their estimator ("method": rnn or cyclic); v1 and v2 files are ignored
_CACHE_NAME = "tempo-estimates-v3.json"
#: the tempo cache keeps at most this many entries (stale ones, then the oldest, go first)
MAX_TEMPO_ENTRIES = 20_000
_MAX_TEMPO_CACHE_BYTES = 64 * 1024 * 1024
_TEMPO_FIELDS = {"tempo_bpm", "confidence", "uncertain", "alternative_bpm", "runner_up", "stability"} | {
    "analysed_s",
    "decoder",
    "method",
}


def _valid_tempo_entry(key: Any, entry: Any) -> bool:
    """Whether a tempo cache entry matches what :func:`_estimate_entry` writes."""
    if not isinstance(key, str) or len(key) > 8192 or not isinstance(entry, dict):
        return False
    if set(entry) in ({"problem"}, {"problem", "method"}):  # undecodable; failed with one method
        return (
            isinstance(entry["problem"], str)
            and len(entry["problem"]) <= 2000
            and entry.get("method", "rnn") in ("rnn", "cyclic")
        )
    if set(entry) != _TEMPO_FIELDS:
        return False

    def number(v: Any, lo: float, hi: float) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and lo <= v <= hi

    def bpm(v: Any) -> bool:
        return v is None or number(v, 20.0, 400.0)

    return (
        bpm(entry["tempo_bpm"])
        and bpm(entry["alternative_bpm"])
        and (entry["runner_up"] is None or number(entry["runner_up"], 0.0, 1.0))
        and number(entry["confidence"], 0.0, 1.0)
        and number(entry["stability"], 0.0, 1.0)
        and isinstance(entry["uncertain"], bool)
        and number(entry["analysed_s"], 0.0, 86400.0)
        and isinstance(entry["decoder"], str)
        and len(entry["decoder"]) <= 100
        and entry["method"] in ("rnn", "cyclic")
    )


class TempoCache:
    """Tempo estimates on disk, keyed by (absolute path, size, modification time) so edits invalidate them.

    Parameters
    ----------
    directory : Path
        Folder of the cache file (created on :meth:`save`).
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        import json

        self.path = Path(directory) / _CACHE_NAME
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        try:
            if self.path.stat().st_size <= _MAX_TEMPO_CACHE_BYTES:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):  # each entry checked: a damaged or planted one is dropped
                    self._entries = {k: v for k, v in loaded.items() if _valid_tempo_entry(k, v)}
                    self._dirty = len(self._entries) != len(loaded)
        except (OSError, ValueError, RecursionError):
            pass  # no cache yet, or a damaged one: start afresh

    @staticmethod
    def key(path: Path) -> str:
        """Return the cache key of a file: its absolute path, size and modification time (ns)."""
        st = path.stat()
        return f"{path.absolute()}|{st.st_size}|{st.st_mtime_ns}"

    def get(self, key: str) -> dict[str, Any] | None:
        """Return the cached entry for ``key``, if any."""
        return self._entries.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store an entry (written on :meth:`save`)."""
        self._entries.pop(key, None)  # newest last: pruning drops from the front
        self._entries[key] = entry
        self._dirty = True

    def _prune(self) -> None:
        """Keep at most :data:`MAX_TEMPO_ENTRIES`: drop those of changed or missing files, then the oldest."""
        if len(self._entries) <= MAX_TEMPO_ENTRIES:
            return
        fresh = {}
        for key, entry in self._entries.items():
            try:
                if TempoCache.key(Path(key.rsplit("|", 2)[0])) == key:
                    fresh[key] = entry
            except OSError:
                continue
        self._entries = dict(list(fresh.items())[-MAX_TEMPO_ENTRIES:])

    def save(self) -> None:
        """Write the cache atomically if anything changed."""
        import json

        if not self._dirty:
            return
        self._prune()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_output(self.path, force=True) as fh:
                json.dump(self._entries, fh)
        except OSError as exc:  # a full or read-only cache never stops the playlist
            import warnings

            warnings.warn(f"tempo cache not written ({self.path}): {exc}", stacklevel=2)
            return
        self._dirty = False


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _estimate_entry(path: Path, method: str) -> dict[str, Any]:
    """Decode the analysis windows of one file and estimate its tempo (no cache); a dict for the cache."""
    from .decode import read_windows
    from .tempo import estimate_tempo

    try:
        decoded = read_windows(path)
        est = estimate_tempo(decoded.segments, decoded.fs_hz, method=method)
    except InputFormatError as exc:
        return {"problem": exc.problem}
    except (ValueError, RuntimeError, MemoryError, OSError) as exc:  # librosa/numba on odd audio
        return {"problem": f"tempo estimation failed ({type(exc).__name__}: {exc})", "method": method}
    return {
        "tempo_bpm": _finite_or_none(est.tempo_bpm),
        "confidence": est.confidence,
        "uncertain": est.uncertain,
        "alternative_bpm": _finite_or_none(est.alternative_bpm),
        "runner_up": _finite_or_none(est.runner_up),
        "stability": est.stability,
        "analysed_s": est.analysed_s,
        "decoder": decoded.decoder,
        "method": est.method,
    }


def _cached(cache: TempoCache | None, key: str, method: str) -> dict[str, Any] | None:
    """Return the cached entry of ``key`` if ``method`` made it (or the file could not be decoded at all)."""
    hit = None if cache is None else cache.get(key)
    if hit is not None and hit.get("method", method if "problem" in hit else None) == method:
        return hit
    return None


def estimate_track_tempo(
    path: str | os.PathLike[str], cache: TempoCache | None = None, *, method: str = "auto"
) -> dict[str, Any]:
    """Estimate (or fetch from ``cache``) the tempo of one audio file.

    Parameters
    ----------
    path : path
        The audio file.
    cache : TempoCache, optional
        Entries made by another method are estimated again.
    method : {"auto", "rnn", "cyclic"}
        See :func:`cadence.music.tempo.estimate_tempo`.

    Returns
    -------
    dict
        ``{"tempo_bpm", "confidence", "uncertain", "alternative_bpm", "runner_up", "stability",
        "analysed_s", "decoder", "method"}`` as in :class:`cadence.music.tempo.TempoEstimate` (NaN as
        ``None``), or ``{"problem": str}`` when the audio cannot be decoded (cached too, so an
        undecodable file is not retried until it changes).
    """
    from .tempo import import_librosa, resolve_method

    import_librosa()  # fail early and clearly when the extra is missing
    method = resolve_method(method)
    p = Path(path)
    try:
        key = TempoCache.key(p)
    except OSError as exc:
        return {"problem": exc.strerror or str(exc)}
    if (hit := _cached(cache, key, method)) is not None:
        return hit
    entry = _estimate_entry(p, method)
    if cache is not None:
        cache.put(key, entry)
    return entry


@dataclass(frozen=True)
class UncertainTempo:
    """A track whose tempo candidates disagree beyond octaves (listed, not matched).

    Attributes
    ----------
    track : Track
        The track (without a tempo).
    estimate_bpm, alternative_bpm : float
        The strongest tempo and the strongest one that is not an octave of it (NaN when none).
    confidence : float
        As in :class:`cadence.music.tempo.TempoEstimate`.
    """

    track: Track
    estimate_bpm: float
    alternative_bpm: float
    confidence: float


@dataclass(frozen=True)
class UntaggedEstimates:
    """What :func:`estimate_untagged` found.

    Attributes
    ----------
    library : MusicLibrary
        The same tracks; confidently estimated ones with ``tempo_source=ESTIMATE``, the folded tempo and a
        confidence. Uncertain ones keep no tempo, so they match no window.
    raw_bpm : dict of Path to float
        The unfolded estimate of each confidently estimated file (what :func:`write_tempo_tag` writes).
    failed : tuple of (str, str)
        ``(path, problem)`` of tracks whose audio could not be decoded or had no beat.
    uncertain : tuple of UncertainTempo
        Tracks marked "tempo uncertain".
    n_estimated : int
        Tracks whose audio was analysed now (the rest came from the cache).
    """

    library: MusicLibrary
    raw_bpm: dict[Path, float]
    failed: tuple[tuple[str, str], ...]
    uncertain: tuple[UncertainTempo, ...]
    n_estimated: int


def _guarded_entry(path: Path, method: str) -> dict[str, Any]:
    try:
        return _estimate_entry(path, method)
    except Exception as exc:  # noqa: BLE001 - one track's bug must not stop a folder
        return {"problem": f"internal error: {type(exc).__name__}: {exc} (please report it)"}


def _estimate_entries(
    paths: list[Path],
    cache: TempoCache | None,
    jobs: int | None,
    progress: Callable[[Path], None] | None,
    method: str,
) -> tuple[dict[Path, dict[str, Any]], int]:
    """Entries for every path: cached ones directly, the others estimated in a process pool."""
    from .tempo import import_librosa, resolve_method

    if paths:
        import_librosa()  # fail early and clearly when the extra is missing
        method = resolve_method(method)
    entries: dict[Path, dict[str, Any]] = {}
    todo: list[tuple[Path, str]] = []
    for p in paths:
        try:
            key = TempoCache.key(p)
        except OSError as exc:
            entries[p] = {"problem": exc.strerror or str(exc)}
            if progress:
                progress(p)
            continue
        if (hit := _cached(cache, key, method)) is not None:
            entries[p] = hit
            if progress:
                progress(p)
            continue
        todo.append((p, key))

    def done(p: Path, key: str, entry: dict[str, Any]) -> None:
        entries[p] = entry
        if cache is not None and not str(entry.get("problem", "")).startswith("internal error"):
            cache.put(key, entry)
        if progress:
            progress(p)

    n_jobs = min(jobs or default_jobs(), len(todo))
    if n_jobs <= 1:
        for p, key in todo:
            done(p, key, _guarded_entry(p, method))
    else:
        keys = dict(todo)

        def crashed(p: Path, exc: Exception) -> dict[str, Any]:  # a crashed worker fails its track only
            return {"problem": f"internal error: {type(exc).__name__}: {exc}"}

        work = functools.partial(_guarded_entry, method=method)
        run_in_pool(work, list(keys), n_jobs, lambda p, entry: done(p, keys[p], entry), crashed)
    return entries, len(todo)


def estimate_untagged(
    library: MusicLibrary,
    cadence_spm: float,
    *,
    cache: TempoCache | None = None,
    jobs: int | None = None,
    progress: Callable[[Track], None] | None = None,
    method: str = "auto",
) -> UntaggedEstimates:
    """Estimate the tempo of every track without one and fold it into the running range of ``cadence_spm``.

    Parameters
    ----------
    library : MusicLibrary
        From :func:`scan_music_dir`.
    cadence_spm : float
        Target step rate: estimates are folded by octaves into ``[cadence_spm/sqrt(2), cadence_spm*sqrt(2))``
        (:func:`cadence.music.tempo.fold_tempo_bpm`), since the octave does not matter to a runner.
    cache : TempoCache, optional
        Estimates keyed by file path, size and mtime; a rescan of an unchanged folder only reads the cache.
    jobs : int, optional
        Worker processes for the tracks not in the cache (default: the CPUs this process may use); 1
        estimates in this process.
    progress : callable, optional
        Called with each untagged track when it is done (cached or estimated), in completion order.
    method : {"auto", "rnn", "cyclic"}
        The tempo estimator (:func:`cadence.music.tempo.estimate_tempo`).

    Returns
    -------
    UntaggedEstimates
        The library with confident estimates filled in, the raw estimates, failures and uncertain tracks.
    """
    from .tempo import fold_tempo_bpm

    if jobs is not None and jobs < 1:
        raise ParameterError(f"{jobs=} must be >= 1")
    tracks = list(library.tracks)
    todo = [t for t in tracks if not math.isfinite(t.tempo_bpm) and t.path is not None]
    by_path = {t.path: t for t in todo}
    entries, n_estimated = _estimate_entries(
        [t.path for t in todo if t.path is not None],
        cache,
        jobs,
        None if progress is None else (lambda p: progress(by_path[p])),
        method,
    )
    raw_bpm: dict[Path, float] = {}
    failed: list[tuple[str, str]] = []
    uncertain: list[UncertainTempo] = []
    for i, track in enumerate(tracks):
        if track.path is None or track.path not in entries:
            continue
        entry = entries[track.path]
        tempo = entry.get("tempo_bpm")
        if "problem" in entry:
            failed.append((str(track.path), str(entry["problem"])))
        elif tempo is None:
            failed.append((str(track.path), "no steady beat found"))
        elif entry.get("uncertain"):
            alt = entry.get("alternative_bpm")
            uncertain.append(
                UncertainTempo(
                    track, float(tempo), math.nan if alt is None else float(alt), float(entry["confidence"])
                )
            )
        else:
            raw_bpm[track.path] = float(tempo)
            folded = float(fold_tempo_bpm(float(tempo), cadence_spm))
            tracks[i] = track.with_tempo(folded, TempoSource.ESTIMATE, float(entry["confidence"]))
    return UntaggedEstimates(
        replace(library, tracks=tuple(tracks)), raw_bpm, tuple(failed), tuple(uncertain), n_estimated
    )
