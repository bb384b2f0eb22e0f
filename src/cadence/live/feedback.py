"""The metronome as feedback: today's sample-accurate playback, heard only while the cue is on.

One open-ended click track at the target tempo plays on the output device for the whole session; the cue
pauses and resumes it (a pause is taken right before a beat, so no click is cut, and the beat grid goes on
where it stopped), and a plan block with another tempo nudges it from the next beat.
"""

from __future__ import annotations

from ..audio.clicks import ClickOptions, click_track
from ..audio.playback import DEFAULT_LATENCY_S, PlaybackReport, Player, output_device

__all__ = ["CueMetronome"]


class CueMetronome:
    """A metronome that plays only while :meth:`set` says the cue is on.

    Parameters
    ----------
    tempo_bpm : float
        Starting tempo.
    device, latency, channels
        As for :class:`cadence.audio.playback.Player`.
    samplerate : int, optional
        Stream rate (default: the device's).
    options : ClickOptions, optional
        Click sound and level.

    Raises
    ------
    AudioUnavailableError
        Without PortAudio or a usable device.

    """

    def __init__(
        self,
        tempo_bpm: float,
        *,
        device: int | str | None = None,
        samplerate: int | None = None,
        latency: str | float = DEFAULT_LATENCY_S,
        channels: int = 1,
        options: ClickOptions | None = None,
    ) -> None:
        dev = output_device(device)
        fs_hz = dev.default_samplerate_hz if samplerate is None else samplerate
        self._base_bpm = float(tempo_bpm)
        track = click_track(self._base_bpm, int(fs_hz), options)
        self.player = Player(track, device=dev.index, latency=latency, channels=channels)
        self.player.toggle_pause()  # silent until the cue comes on (the pause is taken before beat 0)
        self.cue_on = False

    @property
    def tempo_bpm(self) -> float:
        """The tempo now (after nudges)."""
        return self._base_bpm + self.player.track.offset_bpm

    def start(self) -> None:
        """Open the audio stream (silent until the cue)."""
        self.player.start()

    def set(self, cue_on: bool, tempo_bpm: float | None = None) -> None:
        """Play (``cue_on``) or pause; change the tempo from the next beat when ``tempo_bpm`` differs."""
        if tempo_bpm is not None and abs(tempo_bpm - self.tempo_bpm) > 1e-6:
            self.player.nudge(tempo_bpm - self.tempo_bpm)
        if self.player.paused == cue_on:
            self.player.toggle_pause()
        self.cue_on = cue_on

    def close(self) -> PlaybackReport:
        """Stop the stream and report what was played."""
        return self.player.close()
