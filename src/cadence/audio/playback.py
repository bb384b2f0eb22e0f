"""Live playback of a click track through PortAudio (``sounddevice``): the only module that imports it.

The audio callback does no scheduling: it renders the block that starts at its absolute sample counter from
the :class:`~cadence.audio.clicks.ClickTrack` (clicks are placed from exact onsets, see ``click_synth.py``)
and advances the counter. A busy machine can make the callback late (an *underflow*, counted), but it can
never move a click: the next block starts at the next sample of the same grid.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from ..errors import AudioUnavailableError, ParameterError
from .clicks import ClickTrack, TrackPosition

__all__ = [
    "OutputDevice",
    "PlaybackReport",
    "Player",
    "SessionFeed",
    "list_output_devices",
    "output_device",
    "play",
]

#: default output latency: PortAudio's "high" is only ~30 ms on ALSA; 0.2 s rides out a busy machine
DEFAULT_LATENCY_S = 0.2

_HOW_TO_FIX = (
    "install PortAudio (Debian/Ubuntu: apt-get install libportaudio2; Fedora: dnf install portaudio; "
    "macOS and Windows: pip install --force-reinstall sounddevice, whose wheels include it) "
    "or write the click track to a file with --output FILE.wav"
)


def _sounddevice() -> ModuleType:
    """Import ``sounddevice``; a missing PortAudio becomes :class:`AudioUnavailableError` with the fix."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when the PortAudio library cannot be loaded
        raise AudioUnavailableError(f"PortAudio is not available ({exc}); {_HOW_TO_FIX}") from None
    return sounddevice


@dataclass(frozen=True)
class OutputDevice:
    """An audio output device as PortAudio sees it.

    Attributes
    ----------
    index : int
        PortAudio device index (what ``--device`` accepts, as does a unique part of the name).
    name : str
        Device name.
    hostapi : str
        Host API (ALSA, Core Audio, WASAPI, ...).
    max_output_channels : int
        Number of output channels.
    default_samplerate_hz : int
        The device's default sampling rate.
    is_default : bool
        Whether this is the default output device.
    """

    index: int
    name: str
    hostapi: str
    max_output_channels: int
    default_samplerate_hz: int
    is_default: bool


def _default_output_index(sd: ModuleType) -> int:
    default = sd.default.device
    index = default[1] if isinstance(default, list | tuple) or hasattr(default, "__getitem__") else default
    try:
        return int(index)
    except (TypeError, ValueError):
        return -1


def list_output_devices() -> list[OutputDevice]:
    """List the devices that can play audio.

    Returns
    -------
    list of OutputDevice
        Possibly empty (no sound card, or PortAudio finds none).

    Raises
    ------
    AudioUnavailableError
        When PortAudio cannot be loaded.
    """
    sd = _sounddevice()
    hostapis = sd.query_hostapis()
    default_index = _default_output_index(sd)
    devices = []
    for info in sd.query_devices():
        if info["max_output_channels"] < 1:
            continue
        devices.append(
            OutputDevice(
                index=int(info["index"]),
                name=str(info["name"]),
                hostapi=str(hostapis[info["hostapi"]]["name"]),
                max_output_channels=int(info["max_output_channels"]),
                default_samplerate_hz=int(round(info["default_samplerate"])),
                is_default=int(info["index"]) == default_index,
            )
        )
    return devices


def output_device(device: int | str | None = None) -> OutputDevice:
    """Find one output device: by index, by a unique part of its name, or the default one (``None``).

    Raises
    ------
    AudioUnavailableError
        When PortAudio is missing or there is no (default) output device.
    ParameterError
        When ``device`` matches no output device or several.
    """
    sd = _sounddevice()
    if isinstance(device, str) and device.strip().isdigit():
        device = int(device)
    try:
        info = sd.query_devices(device, "output")
    except ValueError as exc:
        if device is None:
            raise AudioUnavailableError(
                f"no audio output device found ({exc}); connect one, or write the click track to a file "
                "with --output FILE.wav"
            ) from None
        raise ParameterError(
            f"device {device!r}: {exc}; `cadence devices` lists the output devices"
        ) from None
    except sd.PortAudioError as exc:
        if device is None:  # PortAudio is there but has no default output device
            raise AudioUnavailableError(
                f"no audio output device found ({exc}); connect one, or write the click track to a file "
                "with --output FILE.wav"
            ) from None
        raise AudioUnavailableError(f"cannot query audio devices: {exc}; {_HOW_TO_FIX}") from None
    hostapis = sd.query_hostapis()
    index = int(info["index"])
    return OutputDevice(
        index=index,
        name=str(info["name"]),
        hostapi=str(hostapis[info["hostapi"]]["name"]),
        max_output_channels=int(info["max_output_channels"]),
        default_samplerate_hz=int(round(info["default_samplerate"])),
        is_default=index == _default_output_index(sd),
    )


@dataclass(frozen=True)
class PlaybackReport:
    """What a live session played.

    Attributes
    ----------
    frames : int
        Samples sent to the device (the session's length so far, pauses excluded).
    fs_hz : int
        Sampling rate of the stream.
    clicks : int
        Audible clicks among them.
    underflows : int
        Callbacks PortAudio reported as late (``output_underflow``); 0 on a healthy system.
    finished : bool
        Whether the session reached its end (False when stopped early).
    track : ClickTrack
        The track as played, including tempo nudges (its onsets are what was sent).
    device : OutputDevice
        The device used.
    """

    frames: int
    fs_hz: int
    clicks: int
    underflows: int
    finished: bool
    track: ClickTrack
    device: OutputDevice

    @property
    def duration_s(self) -> float:
        """Seconds of session audio sent to the device."""
        return self.frames / self.fs_hz


class SessionFeed:
    """Fills output blocks from a click track by absolute sample index: the whole of the audio callback.

    No PortAudio here, so it is tested directly. ``pos`` is the next session sample to send; pausing stops
    the session clock (``pos`` stays) and happens right before the next beat, so no click is cut off.

    Parameters
    ----------
    track : ClickTrack
        What to send; may be swapped for a nudged copy (identical before its anchor) at any time.
    """

    def __init__(self, track: ClickTrack) -> None:
        self.track = track
        self.pos = 0
        self.paused = False
        self.pause_requested = False

    def fill(self, out: np.ndarray) -> bool:
        """Fill ``out`` (shape (frames, channels), float32) with the next samples; return True at the end."""
        if self.paused:
            out.fill(0.0)
            return False
        track = self.track  # one read: a nudge swaps in a track identical up to its anchor
        pos = self.pos
        stop = pos + len(out)
        if self.pause_requested:
            beats = track.beats(pos, stop)[0]  # every beat of the grid, rests included
            if len(beats):
                stop = int(beats[0])
        out[: stop - pos] = track.render(pos, stop)[:, np.newaxis]
        out[stop - pos :] = 0.0
        self.pos = stop
        if stop < pos + len(out):
            self.paused, self.pause_requested = True, False
        return track.n_samples is not None and self.pos >= track.n_samples

    def toggle_pause(self) -> bool:
        """Request a pause (taken before the next beat) or resume; return whether paused or pausing."""
        if self.paused:
            self.paused = False
        else:
            self.pause_requested = not self.pause_requested
        return self.paused or self.pause_requested


class Player:
    """Plays a :class:`ClickTrack` on an output device; controls are safe to call from the main thread.

    Parameters
    ----------
    track : ClickTrack
        What to play; the stream opens at ``track.fs_hz``.
    device : int, str or None
        Output device (index or unique part of the name); ``None`` for the default.
    latency : str or float
        PortAudio output latency in seconds (default 0.2: the callback may be up to that late before the
        device runs dry, which survives a busy machine; a metronome needs no low latency), or PortAudio's
        ``"high"`` / ``"low"`` (which can be as short as 30 / 8 ms on ALSA).
    channels : int
        Output channels; the click is the same on all of them.

    Notes
    -----
    Use as a context manager (``with Player(track) as player: player.wait()``); leaving the block stops the
    stream immediately. :meth:`nudge` and :meth:`toggle_pause` may be called while it plays.
    """

    def __init__(
        self,
        track: ClickTrack,
        device: int | str | None = None,
        latency: str | float = DEFAULT_LATENCY_S,
        channels: int = 1,
    ) -> None:
        if not (isinstance(channels, int) and 1 <= channels <= 32):
            raise ParameterError(f"{channels=} must be within 1-32")
        if isinstance(latency, str) and latency not in ("low", "high"):
            raise ParameterError(f"latency={latency!r} must be 'low', 'high' or seconds")
        if not isinstance(latency, str) and not 0 < latency <= 2.0:
            raise ParameterError(f"latency={latency!r} seconds must be within 0-2")
        self._sd = _sounddevice()
        self.device = output_device(device)
        if channels > self.device.max_output_channels:
            raise ParameterError(
                f"{channels=} but {self.device.name!r} has "
                f"{self.device.max_output_channels} output channel(s)"
            )
        self._feed = SessionFeed(track)
        self._channels = channels
        self._latency = latency
        self._block = 0  # frames of the last callback
        self._underflows = 0
        self._done = threading.Event()
        self._stream: Any = None

    # -- audio thread ---------------------------------------------------------------------------------------

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow:
            self._underflows += 1
        self._block = frames
        if self._feed.fill(outdata):
            raise self._sd.CallbackStop

    def _finished(self) -> None:
        self._done.set()

    # -- control --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the stream and start playing.

        Raises
        ------
        AudioUnavailableError
            When the device cannot be opened with this sampling rate, channels and latency.
        """
        sd = self._sd
        try:
            self._stream = sd.OutputStream(
                samplerate=self._feed.track.fs_hz,
                device=self.device.index,
                channels=self._channels,
                dtype="float32",
                latency=self._latency,
                callback=self._callback,
                finished_callback=self._finished,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            self.close()
            raise AudioUnavailableError(
                f"cannot play on {self.device.name!r} at {self._feed.track.fs_hz} Hz, "
                f"{self._channels} channel(s): {exc}; try another --samplerate (the device's default is "
                f"{self.device.default_samplerate_hz}), "
                "--channels 2, another --device (see `cadence devices`), or --output FILE.wav"
            ) from None

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the session ends (or ``timeout_s`` passes); return whether it has ended."""
        return self._done.wait(timeout_s)

    def nudge(self, delta_bpm: float) -> float:
        """Change the tempo by ``delta_bpm`` from the next beat that has not been sent yet.

        The grid is re-anchored at that beat's exact position, so clicks stay sample-accurate. Returns the
        total nudge so far in BPM.

        Raises
        ------
        ParameterError
            When the tempo would leave the allowed range (the tempo is then unchanged).
        """
        feed = self._feed
        # the callback may send a block or two while we build the new track: anchor beyond that
        margin = max(int(0.1 * feed.track.fs_hz), 3 * self._block)
        feed.track = feed.track.nudged(feed.pos + margin, delta_bpm)
        return feed.track.offset_bpm

    def toggle_pause(self) -> bool:
        """Pause (right before the next beat, so no click is cut) or resume; return whether paused/pausing.

        The session clock stops while paused: after resuming, the grid goes on where it stopped.
        """
        return self._feed.toggle_pause()

    @property
    def paused(self) -> bool:
        """Whether playback is paused or about to pause (at the next beat)."""
        return self._feed.paused or self._feed.pause_requested

    @property
    def underflows(self) -> int:
        """Late callbacks reported by PortAudio so far."""
        return self._underflows

    @property
    def elapsed_s(self) -> float:
        """Session time sent to the device so far (pauses excluded)."""
        return self._feed.pos / self._feed.track.fs_hz

    @property
    def track(self) -> ClickTrack:
        """The track being played, including nudges."""
        return self._feed.track

    def position(self) -> TrackPosition:
        """Segment, tempo and beat at the current position."""
        return self._feed.track.position(self._feed.pos)

    def close(self) -> PlaybackReport:
        """Stop at once (if still playing), close the stream and report what was played."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                if self._done.is_set():
                    stream.stop()  # played to its end: let the last buffers drain
                else:
                    stream.abort()
            finally:
                stream.close()
        track = self._feed.track
        frames = self._feed.pos
        if track.n_samples is not None:
            frames = min(frames, track.n_samples)
        return PlaybackReport(
            frames=frames,
            fs_hz=track.fs_hz,
            clicks=len(track.onsets(0, frames)[0]),
            underflows=self._underflows,
            finished=self._done.is_set(),
            track=track,
            device=self.device,
        )

    def __enter__(self) -> Player:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def play(
    track: ClickTrack,
    device: int | str | None = None,
    latency: str | float = DEFAULT_LATENCY_S,
    channels: int = 1,
) -> PlaybackReport:
    """Play a finite click track to its end (blocking) and report what was played.

    Parameters
    ----------
    track : ClickTrack
        A track with a length (``track.n_samples`` not ``None``).
    device, latency, channels
        As for :class:`Player`.

    Returns
    -------
    PlaybackReport

    Raises
    ------
    ParameterError
        For an open-ended track.
    AudioUnavailableError
        Without PortAudio or a usable output device, or when the device stops delivering.
    """
    if track.n_samples is None:
        raise ParameterError("play() needs a track with a length: give click_track(..., duration_s=...)")
    player = Player(track, device=device, latency=latency, channels=channels)
    with player:
        # generous: real time plus a device that takes a while to drain; a stuck device is an error
        if not player.wait(track.n_samples / track.fs_hz + 10.0):
            raise AudioUnavailableError(f"the audio device {player.device.name!r} stopped consuming audio")
    return player.close()
