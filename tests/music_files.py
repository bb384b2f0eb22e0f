"""Real small audio files for the playlist tests: tones and click tracks, tagged with a tempo.

WAV, FLAC, Ogg Vorbis, Ogg Opus and MP3 are encoded by libsndfile (through soundfile). No AAC encoder is
available here, so M4A files are MP4 containers built by hand around uncompressed 16-bit PCM (the ISO/IEC
23003-5 ``ipcm`` sample entry with its ``pcmC`` box, which ffmpeg >= 6 plays): real audio in a real MP4
container with the same atoms (``moov/trak/mdia/minf/stbl``) a music player writes, and mutagen adds the
``ilst`` tags to it just as to an iTunes AAC file.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soundfile as sf

FORMATS = ("mp3", "flac", "ogg", "opus", "m4a", "wav", "aiff")

_SF_FORMAT = {
    "wav": ("WAV", "PCM_16"),
    "aiff": ("AIFF", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "opus": ("OGG", "OPUS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}


def tone(seconds: float = 1.0, fs_hz: int = 48000, freq_hz: float = 440.0) -> np.ndarray:
    """A quiet sine tone, mono float32."""
    t = np.arange(round(seconds * fs_hz)) / fs_hz
    return (0.1 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def click_track(tempo_bpm: float, seconds: float, fs_hz: int = 22050) -> np.ndarray:
    """Decaying 1 kHz clicks at ``tempo_bpm``, each starting exactly on its sample, mono float32."""
    y = np.zeros(round(seconds * fs_hz), dtype=np.float32)
    t = np.arange(round(0.03 * fs_hz)) / fs_hz
    burst = (0.8 * np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.006)).astype(np.float32)
    onsets = np.round(np.arange(0.0, seconds - 0.05, 60.0 / tempo_bpm) * fs_hz).astype(int)
    for i in onsets:
        seg = y[i : i + burst.size]
        seg += burst[: seg.size]
    return y


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, payload: bytes, flags: int = 0) -> bytes:
    return _box(kind, struct.pack(">I", flags) + payload)


def write_m4a_pcm(path: Path, y: np.ndarray, fs_hz: int) -> None:
    """Write mono audio as an MP4 (``.m4a``) file holding little-endian 16-bit PCM (``ipcm``)."""
    pcm = (np.clip(y, -1, 1) * 32767).astype("<i2").tobytes()
    n = len(pcm) // 2
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    ftyp = _box(b"ftyp", b"M4A " + struct.pack(">I", 0) + b"M4A mp42isom")
    mvhd = _full_box(
        b"mvhd",
        struct.pack(">IIII", 0, 0, fs_hz, n)
        + struct.pack(">IH", 0x10000, 0x100)
        + b"\0" * 10
        + matrix
        + b"\0" * 24
        + struct.pack(">I", 2),
    )
    tkhd = _full_box(
        b"tkhd",
        struct.pack(">IIIII", 0, 0, 1, 0, n)
        + b"\0" * 8
        + struct.pack(">hhhH", 0, 0, 0x100, 0)
        + matrix
        + b"\0" * 8,
        flags=7,
    )
    mdhd = _full_box(b"mdhd", struct.pack(">IIIIHH", 0, 0, fs_hz, n, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", struct.pack(">I", 0) + b"soun" + b"\0" * 12 + b"SoundHandler\0")
    smhd = _full_box(b"smhd", struct.pack(">hH", 0, 0))
    dinf = _box(b"dinf", _full_box(b"dref", struct.pack(">I", 1) + _full_box(b"url ", b"", flags=1)))
    pcm_config = _full_box(b"pcmC", struct.pack(">BB", 1, 16))  # little endian, 16 bits
    sample_entry = _box(
        b"ipcm",
        b"\0" * 6
        + struct.pack(">H", 1)
        + b"\0" * 8
        + struct.pack(">HHHHI", 1, 16, 0, 0, fs_hz << 16)
        + pcm_config,
    )

    def moov(chunk_offset: int) -> bytes:
        stbl = _box(
            b"stbl",
            _full_box(b"stsd", struct.pack(">I", 1) + sample_entry)
            + _full_box(b"stts", struct.pack(">III", 1, n, 1))
            + _full_box(b"stsc", struct.pack(">IIII", 1, 1, n, 1))
            + _full_box(b"stsz", struct.pack(">II", 2, n))
            + _full_box(b"stco", struct.pack(">II", 1, chunk_offset)),
        )
        mdia = _box(b"mdia", mdhd + hdlr + _box(b"minf", smhd + dinf + stbl))
        return _box(b"moov", mvhd + _box(b"trak", tkhd + mdia))

    offset = len(ftyp) + len(moov(0)) + 8  # PCM starts after the mdat header
    path.write_bytes(ftyp + moov(offset) + _box(b"mdat", pcm))


def write_audio(path: Path, y: np.ndarray, fs_hz: int) -> Path:
    """Encode ``y`` into ``path`` in the format its suffix names (one of :data:`FORMATS`)."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt == "m4a":
        write_m4a_pcm(path, y, fs_hz)
    else:
        major, subtype = _SF_FORMAT[fmt]
        sf.write(path, y, fs_hz, format=major, subtype=subtype)
    return path


def tag(path: Path, *, tempo_bpm: float | None, title: str, artist: str) -> None:
    """Write title, artist and (when given) tempo tags the way taggers do for each format."""
    from mutagen.aiff import AIFF
    from mutagen.flac import FLAC
    from mutagen.id3 import ID3, TBPM, TIT2, TPE1
    from mutagen.mp4 import MP4
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    fmt = path.suffix.lstrip(".").lower()
    if fmt in ("mp3", "wav", "aiff"):
        if fmt in ("wav", "aiff"):
            audio = (WAVE if fmt == "wav" else AIFF)(path)
            if audio.tags is None:
                audio.add_tags()
            tags = audio.tags
        else:
            tags = ID3()
        tags.add(TIT2(encoding=3, text=[title]))
        tags.add(TPE1(encoding=3, text=[artist]))
        if tempo_bpm is not None:
            tags.add(TBPM(encoding=3, text=[f"{tempo_bpm:g}"]))
        if fmt in ("wav", "aiff"):
            audio.save()
        else:
            tags.save(path)
    elif fmt == "m4a":
        audio = MP4(path)
        if audio.tags is None:
            audio.add_tags()
        audio.tags["\xa9nam"] = [title]
        audio.tags["\xa9ART"] = [artist]
        if tempo_bpm is not None:
            audio.tags["tmpo"] = [round(tempo_bpm)]
        audio.save()
    else:
        audio = {"flac": FLAC, "ogg": OggVorbis, "opus": OggOpus}[fmt](path)
        audio["TITLE"] = title
        audio["ARTIST"] = artist
        if tempo_bpm is not None:
            audio["BPM"] = f"{tempo_bpm:g}"
        audio.save()


def tagged_track(
    folder: Path,
    name: str,
    fmt: str,
    *,
    tempo_bpm: float | None,
    seconds: float = 1.0,
    artist: str = "Tester",
) -> Path:
    """A real tone file ``folder/name.fmt`` tagged with ``tempo_bpm`` (or no tempo tag)."""
    fs_hz = 48000 if fmt == "opus" else 22050
    path = write_audio(folder / f"{name}.{fmt}", tone(seconds, fs_hz), fs_hz)
    tag(path, tempo_bpm=tempo_bpm, title=name, artist=artist)
    return path


# --- music-like drum patterns with a known tempo ------------------------------------------------------------

#: onsets per bar as (instrument, position in beats, velocity); ``bar_beats`` beats per bar. The positions
#: of "shuffle" and "twelve_eight" sit on a triplet grid, "tresillo" groups 16ths 3+3+2 (a 1.5-beat
#: period): the 2:3-prone cases.
PATTERNS: dict[str, tuple[float, tuple[tuple[str, float, float], ...]]] = {
    # rock: kick on 1 and 3, snare on 2 and 4, closed hats on the eighths
    "rock": (4, (("kick", 0, 1), ("kick", 2, 0.9), ("snare", 1, 1), ("snare", 3, 1),
                 *(("hat", i / 2, 0.5 if i % 2 else 0.7) for i in range(8)))),
    # four on the floor: kick every beat, open hat off the beat, clap on 2 and 4
    "four_on_floor": (4, (*(("kick", i, 1) for i in range(4)), *(("hat", i + 0.5, 0.8) for i in range(4)),
                          ("snare", 1, 0.8), ("snare", 3, 0.8))),
    # half-time: kick on 1, snare on 3 only, hats on the eighths (sounds like half the tempo)
    "halftime": (4, (("kick", 0, 1), ("kick", 2.5, 0.6), ("snare", 2, 1),
                     *(("hat", i / 2, 0.6) for i in range(8)))),
    # shuffle: swung hats on the first and third triplet of each beat, kick 1 and 3, snare 2 and 4
    "shuffle": (4, (("kick", 0, 1), ("kick", 2, 0.9), ("snare", 1, 1), ("snare", 3, 1),
                    *(("hat", i + f, 0.7 if f == 0 else 0.5) for i in range(4) for f in (0, 2 / 3)))),
    # 12/8: four dotted-quarter beats of three triplet eighths, kick on 1 and 3, snare on 2 and 4
    "twelve_eight": (4, (("kick", 0, 1), ("kick", 2, 0.9), ("snare", 1, 1), ("snare", 3, 1),
                         *(("hat", i + f, 0.7 if f == 0 else 0.45) for i in range(4)
                           for f in (0, 1 / 3, 2 / 3)))),
    # tresillo: kick on 16ths 0, 3, 6 of every 2 beats (3+3+2), snare on 2 and 4, hats on the beat
    "tresillo": (4, (*(("kick", b + s / 4, 1) for b in (0, 2) for s in (0, 3, 6)), ("snare", 1, 1),
                     ("snare", 3, 1), *(("hat", i, 0.5) for i in range(4)))),
    # waltz: kick on 1, hats (and a chord) on 2 and 3
    "waltz": (3, (("kick", 0, 1), ("snare", 1, 0.6), ("snare", 2, 0.6),
                  *(("hat", i / 2, 0.4) for i in range(6)))),
}


def _drum(kind: str, fs_hz: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(round((0.25 if kind == "kick" else 0.12) * fs_hz)) / fs_hz
    if kind == "kick":  # a pitch-dropping sine thump
        freq = 50 + 90 * np.exp(-t / 0.03)
        return np.sin(2 * np.pi * np.cumsum(freq) / fs_hz) * np.exp(-t / 0.08)
    noise = rng.standard_normal(t.size)
    if kind == "snare":
        return (0.6 * noise + 0.4 * np.sin(2 * np.pi * 190 * t)) * np.exp(-t / 0.05)
    return np.diff(noise, prepend=0.0) * 0.3 * np.exp(-t / 0.015)  # hat: high-passed noise, short


def drum_track(
    tempo_bpm: float,
    seconds: float,
    pattern: str = "rock",
    fs_hz: int = 22050,
    *,
    seed: int = 0,
    jitter_s: float = 0.004,
) -> np.ndarray:
    """A music-like drum loop with a bass and chord pad at ``tempo_bpm`` (beats of the pattern), mono float32.

    Every bar plays :data:`PATTERNS` ``[pattern]``; hits get +/- ``jitter_s`` random timing and 20 %
    velocity variation (a human drummer, not a click), over a bass note on each beat and a chord that
    changes every bar, so the onset envelope is not a clean pulse train.
    """
    rng = np.random.default_rng(seed)
    bar_beats, hits = PATTERNS[pattern]
    beat_s = 60.0 / tempo_bpm
    n = round(seconds * fs_hz)
    y = np.zeros(n + fs_hz, dtype=np.float64)
    sounds = {k: _drum(k, fs_hz, rng) for k in ("kick", "snare", "hat")}
    n_bars = int(seconds / (bar_beats * beat_s)) + 1
    for bar in range(n_bars):
        for kind, pos, vel in hits:
            t0 = (bar * bar_beats + pos) * beat_s + rng.uniform(-jitter_s, jitter_s)
            i = round(max(t0, 0.0) * fs_hz)
            if i >= n:
                continue
            s = sounds[kind] * vel * rng.uniform(0.8, 1.0)
            y[i : i + s.size] += s[: y.size - i]
    t = np.arange(y.size) / fs_hz
    roots = (110.0, 146.8, 123.5, 98.0)  # A, D, B, G: a chord change every bar
    root = np.asarray(roots)[(t // (bar_beats * beat_s)).astype(int) % len(roots)]
    pad = sum(np.sin(2 * np.pi * root * r * t) for r in (1.0, 1.25, 1.5)) * 0.04
    y += pad
    return (0.5 * y[:n] / np.max(np.abs(y[:n]))).astype(np.float32)
