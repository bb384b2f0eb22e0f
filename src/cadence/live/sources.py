"""Live sources of samples: phyphox (HTTP polling), Sensor Logger (HTTP push), BLE RSC footpods, replays.

Every source has the same small interface: :meth:`Source.read` blocks for at most about ``poll_s`` and
returns the chunks that arrived (:class:`AccelChunk` of raw acceleration, or :class:`CadenceChunk` of step
rates from a device that measures them itself), :attr:`Source.status` is a short message when something is
wrong but being retried (``None`` when all is well), and :meth:`Source.close` stops it. Times are seconds of
the source's own clock (phyphox's measurement time, Sensor Logger's epoch time from its first sample, the
replayed file's time); the session (:mod:`cadence.live.session`) puts them on one time base.

Only the standard library talks to the network (``urllib`` for phyphox, ``http.server`` for Sensor Logger);
``bleak`` is imported only for ``--ble`` and is an optional extra (``pip install 'cadence[live]'``).
"""

from __future__ import annotations

import http.client
import json
import math
import os
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputFormatError, ParameterError, StreamError

__all__ = [
    "AccelChunk",
    "BleSource",
    "CadenceChunk",
    "PhyphoxSource",
    "ReplaySource",
    "SensorLoggerSource",
    "Source",
    "parse_phyphox_reply",
    "parse_sensor_logger_push",
]


@dataclass(frozen=True)
class AccelChunk:
    """Raw acceleration samples.

    Attributes
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds (the source's clock).
    acc_ms2 : ndarray, shape (n, 3)
        Acceleration in m/s^2 (NaN where the source sent no value).
    gravity_included : bool
        False for "linear acceleration" (gravity removed by the phone).

    """

    t_s: NDArray[np.float64]
    acc_ms2: NDArray[np.float64]
    gravity_included: bool = True


@dataclass(frozen=True)
class CadenceChunk:
    """Step rates measured by the device itself (a footpod, a watch, a replayed activity).

    Attributes
    ----------
    t_s : ndarray, shape (n,)
        Times, seconds (the source's clock).
    cadence_spm : ndarray, shape (n,)
        Steps per minute (0 when standing; NaN when unknown).
    speed_ms : ndarray, shape (n,)
        Speed in m/s (NaN when unknown).

    """

    t_s: NDArray[np.float64]
    cadence_spm: NDArray[np.float64]
    speed_ms: NDArray[np.float64]


class Source:
    """Base of the live sources (see the module docstring)."""

    #: what to call this source in messages
    name: str = "source"
    #: a short message while something is wrong and being retried, else None
    status: str | None = None
    #: True once the source has nothing more to give (end of a replay)
    finished: bool = False

    def read(self) -> list[AccelChunk | CadenceChunk]:
        """Return the chunks that arrived, waiting at most about one poll interval."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the source (idempotent)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- phyphox -------------------------------------------------------------------------------------------------

#: the buffers of phyphox's "Acceleration (with g)" experiment
PHYPHOX_BUFFERS = ("accX", "accY", "accZ")
PHYPHOX_TIME = "acc_time"


def _phyphox_query(threshold: float | None) -> str:
    """Return the ``/get`` query for the samples after ``threshold`` (``None``: the whole buffer)."""
    if threshold is None:
        return "/get?" + "&".join(f"{b}=full" for b in (PHYPHOX_TIME, *PHYPHOX_BUFFERS))
    t = repr(float(threshold))
    parts = [f"{PHYPHOX_TIME}={t}"] + [f"{b}={t}%7C{PHYPHOX_TIME}" for b in PHYPHOX_BUFFERS]
    return "/get?" + "&".join(parts)


def parse_phyphox_reply(body: bytes, url: str) -> tuple[AccelChunk, dict[str, Any]]:
    """Parse a phyphox ``/get`` reply into samples and its ``status`` object.

    Nulls (phyphox's NaN) become NaN; buffers of unequal length are cut to the shortest (a sample being
    written while the reply was built).

    Raises
    ------
    StreamError
        Not JSON, not a phyphox reply, or an experiment without the acceleration buffers.

    """
    try:
        reply = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise StreamError(f"{url}: the reply is not JSON: not a phyphox remote interface?") from None
    if not isinstance(reply, dict) or not isinstance(reply.get("buffer"), dict):
        raise StreamError(f"{url}: the reply has no 'buffer' object: not a phyphox remote interface?")
    buffers = reply["buffer"]
    missing = [b for b in (PHYPHOX_TIME, *PHYPHOX_BUFFERS) if b not in buffers]
    if missing:
        raise StreamError(
            f"{url}: the experiment on the phone has no {', '.join(missing)} buffer(s); open phyphox's "
            "'Acceleration (with g)' experiment"
        )

    def column(name: str) -> NDArray[np.float64]:
        entry = buffers[name]
        values = entry.get("buffer") if isinstance(entry, dict) else None
        if not isinstance(values, list):
            raise StreamError(f"{url}: buffer {name!r} has no value list")
        try:
            column = np.array(values, dtype=np.float64)  # JSON null -> NaN
        except (TypeError, ValueError):
            column = None
        if column is None or column.ndim != 1:
            raise StreamError(f"{url}: buffer {name!r} holds values that are not numbers")
        return column

    cols = [column(b) for b in (PHYPHOX_TIME, *PHYPHOX_BUFFERS)]
    n = min(len(c) for c in cols)
    raw_status = reply.get("status")
    status: dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
    return AccelChunk(cols[0][:n], np.column_stack([c[:n] for c in cols[1:]])), status


class PhyphoxSource(Source):
    """Poll the phyphox app's remote-access HTTP interface for new acceleration samples.

    Parameters
    ----------
    url : str
        The address phyphox shows when remote access is on (``http://PHONE:8080``).
    poll_s : float
        Time between the end of one request and the start of the next (phyphox answers one request at a
        time and wants a short gap).
    timeout_s : float
        Timeout of each request.
    give_up_s : float
        After this long without an answer during the session, :meth:`read` raises :class:`StreamError`.
    start : bool
        Start the measurement (``/control?cmd=start``) when it is not running.
    clock, sleep : callables
        Monotonic clock and sleep (tests may pass their own).

    Raises
    ------
    StreamError
        On the first request: no answer at that address, not a phyphox interface, no acceleration buffers.

    """

    name = "phyphox"

    def __init__(
        self,
        url: str,
        *,
        poll_s: float = 0.1,
        timeout_s: float = 2.0,
        give_up_s: float = 60.0,
        start: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if "://" not in url:
            url = "http://" + url
        if not url.startswith(("http://", "https://")):
            raise ParameterError(
                f"--phyphox {url!r}: give the address phyphox shows, like http://192.168.1.5:8080"
            )
        self.url = url.rstrip("/")
        self.poll_s, self.timeout_s, self.give_up_s = poll_s, timeout_s, give_up_s
        self._clock, self._sleep = clock, sleep
        self._threshold: float | None = None
        self._session: str | None = None
        self._last_ok = clock()
        self._next = clock()
        self._attempts = 0
        self._idle_since: float | None = None
        self.n_requests = 0
        self.n_failures = 0
        self.n_session_changes = 0
        # the first request tells a wrong address from a phone that is there
        try:
            chunk, status = self._get(_phyphox_query(None))
        except (OSError, http.client.HTTPException) as exc:
            raise StreamError(
                f"{self.url}: no answer ({_reason(exc)}); is phyphox's remote access on, "
                "and is this the address it shows?"
            ) from None
        self._pending = [chunk] if len(chunk.t_s) else []
        self._note(chunk, status)
        if start and not status.get("measuring", False):
            try:
                self._request("/control?cmd=start")
            except OSError as exc:
                raise StreamError(f"{self.url}: cannot start the measurement ({_reason(exc)})") from None

    def _request(self, path: str) -> bytes:
        self.n_requests += 1
        req = urllib.request.Request(self.url + path, headers={"Connection": "close"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310 - the user's URL
                return bytes(resp.read())
        except urllib.error.HTTPError as exc:
            raise StreamError(
                f"{self.url}: HTTP {exc.code} for {path.split('?')[0]}: not a phyphox remote interface?"
            ) from None

    def _get(self, path: str) -> tuple[AccelChunk, dict[str, Any]]:
        return parse_phyphox_reply(self._request(path), self.url)

    def _note(self, chunk: AccelChunk, status: dict[str, Any]) -> None:
        session = status.get("session")
        if session is not None:
            session = str(session)
            if self._session is not None and session != self._session:
                self.n_session_changes += 1  # the experiment was switched or restarted on the phone
            self._session = session
        t = chunk.t_s[np.isfinite(chunk.t_s)]
        if len(t):
            self._threshold = float(t.max())
            self._idle_since = None
        self.measuring = bool(status.get("measuring", True))

    def read(self) -> list[AccelChunk | CadenceChunk]:
        """Poll once (after the gap since the previous request); reconnect quietly after failures."""
        if self._pending:
            out: list[AccelChunk | CadenceChunk] = list(self._pending)
            self._pending = []
            return out
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
        session_before = self._session
        try:
            chunk, status = self._get(_phyphox_query(self._threshold))
        except (OSError, http.client.HTTPException, StreamError) as exc:
            self.n_failures += 1
            self._attempts += 1
            silent = self._clock() - self._last_ok
            if silent > self.give_up_s:
                raise StreamError(
                    f"{self.url}: the phone stopped answering {silent:.0f} s ago ({_reason(exc)}); "
                    f"gave up after {self._attempts} attempts"
                ) from None
            self.status = (
                f"no answer from the phone for {silent:.0f} s, reconnecting (attempt {self._attempts})"
            )
            self._next = self._clock() + min(2.0, 0.25 * self._attempts)
            return []
        self._last_ok = self._clock()
        self._attempts = 0
        self._next = self._last_ok + self.poll_s
        session = status.get("session")
        if session is not None and session_before is not None and str(session) != session_before:
            # another experiment or a restarted one: its times start again; take its whole buffer
            self._note(chunk, status)
            self._threshold = None
            return []
        self._note(chunk, status)
        self.status = None if self.measuring else "the measurement is paused on the phone"
        if not len(chunk.t_s):
            # a cleared buffer restarts the clock at 0: samples after our threshold never come
            if self._idle_since is None:
                self._idle_since = self._last_ok
            elif self._last_ok - self._idle_since > 2.0 and self.measuring:
                self._threshold = None
                self._idle_since = None
            return []
        return [chunk]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


# -- Sensor Logger -------------------------------------------------------------------------------------------


def parse_sensor_logger_push(body: bytes) -> tuple[list[tuple[int, float, float, float]], bool]:
    """Acceleration samples of one Sensor Logger HTTP push: ``[(time_ns, x, y, z)], gravity_included``.

    ``totalacceleration`` (gravity included) is used when the batch has it, else ``accelerometer`` (on
    Android, gravity removed). Other sensors are ignored.

    Raises
    ------
    StreamError
        Not JSON, or not a Sensor Logger batch (no ``payload`` list).

    """
    try:
        msg = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise StreamError("a push that is not JSON") from None
    payload = msg.get("payload") if isinstance(msg, dict) else None
    if isinstance(payload, str):  # some versions send the payload as a JSON string
        try:
            payload = json.loads(payload)
        except ValueError:
            raise StreamError("a push whose payload is not JSON") from None
    if not isinstance(payload, list):
        raise StreamError("a push without a 'payload' list: not Sensor Logger's HTTP push?")
    rows: dict[str, list[tuple[int, float, float, float]]] = {"totalacceleration": [], "accelerometer": []}
    for item in payload:
        if not isinstance(item, dict) or item.get("name") not in rows:
            continue
        v: Any = item.get("values")
        try:
            rows[item["name"]].append((int(item["time"]), float(v["x"]), float(v["y"]), float(v["z"])))
        except (KeyError, TypeError, ValueError):
            continue  # one malformed sample does not spoil the batch
    if rows["totalacceleration"]:
        return rows["totalacceleration"], True
    return rows["accelerometer"], False


class SensorLoggerSource(Source):
    """Receive Sensor Logger's HTTP push (Settings > Data Streaming > HTTP Push) on a local port.

    Parameters
    ----------
    host : str
        Interface to listen on: ``127.0.0.1`` (default; this machine only, e.g. through ``adb reverse``)
        or ``0.0.0.0`` for a phone on the same network.
    port : int
        Port (0: any free one, see :attr:`port`).
    poll_s : float
        How long :meth:`read` waits for a push.

    Raises
    ------
    StreamError
        The port cannot be opened.

    """

    name = "Sensor Logger"

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, *, poll_s: float = 0.1) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.poll_s = poll_s
        self._t0_ns: int | None = None
        self.n_pushes = 0
        self.n_bad = 0
        self.warnings: list[str] = []
        q = self._queue

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n > 0 else b""
                try:
                    rows, gravity = parse_sensor_logger_push(body)
                except StreamError as exc:
                    q.put(("bad", str(exc)))
                    self.send_response(400)
                    self.end_headers()
                    return
                q.put(("ok", (rows, gravity)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the access log
                return

        try:
            self._server = HTTPServer((host, int(port)), Handler)
        except OSError as exc:
            raise StreamError(
                f"--sensor-logger {host}:{port}: cannot listen there ({exc.strerror or exc})"
            ) from None
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            daemon=True,
            name="sensor-logger-receiver",
        )
        self._thread.start()
        self.status = f"waiting for Sensor Logger to push to port {self.port}"

    def read(self) -> list[AccelChunk | CadenceChunk]:
        """Drain the pushes received so far (waits up to ``poll_s`` for the first)."""
        out: list[AccelChunk | CadenceChunk] = []
        try:
            item = self._queue.get(timeout=self.poll_s)
        except queue.Empty:
            return out
        items = [item]
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for kind, value in items:
            if kind == "bad":
                self.n_bad += 1
                self.warnings.append(f"Sensor Logger: ignored {value}")
                continue
            rows, gravity = value
            self.n_pushes += 1
            self.status = None
            if not rows:
                continue
            arr = np.array([r[1:] for r in rows], dtype=np.float64)
            ns = np.array([r[0] for r in rows], dtype=np.int64)
            if self._t0_ns is None:
                self._t0_ns = int(ns.min())
            out.append(AccelChunk((ns - self._t0_ns) / 1e9, arr, gravity))
        return out

    def close(self) -> None:
        """Stop listening."""
        if getattr(self, "_server", None) is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=2)
            self._server = None  # type: ignore[assignment]


# -- BLE RSC -------------------------------------------------------------------------------------------------

BLE_HINT = "live Bluetooth needs the optional 'live' extra: pip install 'cadence[live]'"


class BleSource(Source):
    """Subscribe to a Running Speed and Cadence footpod or watch (service 0x1814) with ``bleak``.

    Parameters
    ----------
    device : str
        The device's name (or a unique part of it) or its address.
    scan_s : float
        How long to look for it.

    Raises
    ------
    StreamError
        ``bleak`` is not installed (with the fix), no Bluetooth adapter, or the device is not found.

    """

    name = "Bluetooth RSC"

    def __init__(self, device: str, *, scan_s: float = 10.0, poll_s: float = 0.2) -> None:
        try:
            import bleak  # noqa: F401
        except ImportError:
            raise StreamError(BLE_HINT) from None
        import asyncio

        from .rsc import RSC_MEASUREMENT_UUID, decode_rsc, rsc_step_rate_spm

        self.poll_s = poll_s
        self._queue: queue.Queue[tuple[float, float, float]] = queue.Queue()
        self._t0 = time.monotonic()
        self._stop = threading.Event()
        self._error: list[str] = []
        ready = threading.Event()

        def on_notify(_: Any, data: bytearray) -> None:
            try:
                m = decode_rsc(data)
            except StreamError:
                return
            spm, _basis = rsc_step_rate_spm(m)
            self._queue.put((time.monotonic() - self._t0, spm, m.speed_ms))

        async def run() -> None:
            from bleak import BleakClient, BleakScanner

            try:
                dev = await BleakScanner.find_device_by_address(device, timeout=scan_s)
                if dev is None:
                    dev = await BleakScanner.find_device_by_filter(
                        lambda d, _ad: device.lower() in (d.name or "").lower(), timeout=scan_s
                    )
                if dev is None:
                    self._error.append(f"--ble {device!r}: no such device found in {scan_s:g} s")
                    return
                async with BleakClient(dev) as client:
                    await client.start_notify(RSC_MEASUREMENT_UUID, on_notify)
                    ready.set()
                    while not self._stop.is_set() and client.is_connected:
                        await asyncio.sleep(0.2)
                    if not client.is_connected:
                        self._error.append(f"--ble {device!r}: the device disconnected")
            except Exception as exc:  # noqa: BLE001 - bleak raises many kinds; each becomes one line
                self._error.append(f"--ble {device!r}: {type(exc).__name__}: {exc}")
            finally:
                ready.set()

        self._thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True, name="ble-rsc")
        self._thread.start()
        ready.wait(scan_s + 15.0)
        if self._error:
            raise StreamError(self._error[0])

    def read(self) -> list[AccelChunk | CadenceChunk]:
        """Return the measurements received so far."""
        if self._error:
            raise StreamError(self._error[0])
        rows = []
        try:
            rows.append(self._queue.get(timeout=self.poll_s))
            while True:
                rows.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        if not rows:
            return []
        a = np.array(rows, dtype=np.float64)
        return [CadenceChunk(a[:, 0], a[:, 1], a[:, 2])]

    def close(self) -> None:
        """Disconnect."""
        self._stop.set()
        self._thread.join(timeout=3)


# -- replay --------------------------------------------------------------------------------------------------


def load_replay(path: str | os.PathLike[str]) -> AccelChunk | CadenceChunk:
    """Everything a recording holds, as one chunk: raw acceleration when it has some, else its cadence.

    Accelerometer CSVs and FIT files with accelerometer samples give acceleration; FIT activities and saved
    step lists give the per-second cadence of their first session.

    Raises
    ------
    InputFormatError
        A file the readers cannot read.

    """
    from ..pipeline import FIT_SUFFIX, _is_fit, load_traces

    spath = os.fspath(path)
    if not os.path.isfile(spath):
        raise InputFormatError(spath, "no such file")
    suffix = os.path.splitext(spath)[1].lower()
    if suffix in (".csv", ".txt", ".tsv"):
        from ..readers.steps_csv import looks_like_steps_csv

        if not looks_like_steps_csv(spath):
            from ..readers.accel_csv import read_accel_csv

            rec = read_accel_csv(spath)
            return AccelChunk(rec.t_s, rec.acc_ms2, rec.gravity_included)
    elif suffix == FIT_SUFFIX or _is_fit(spath):
        from ..readers.fit_accel import has_accel_data, read_fit_accel

        if has_accel_data(spath):
            frec = read_fit_accel(spath)
            if frec is not None:
                return AccelChunk(frec.t_s, frec.acc_ms2, frec.gravity_included)
    traces = [t for t in load_traces(spath) if t.is_step_sport] or load_traces(spath)
    if not traces:
        raise InputFormatError(spath, "no session to replay")
    tr = traces[0]
    f64 = np.float64
    return CadenceChunk(tr.t_s.astype(f64), tr.cadence_spm.astype(f64), tr.speed_ms.astype(f64))


class ReplaySource(Source):
    """Replay a recording as if it were streaming: in real time, or ``speed`` times faster.

    Parameters
    ----------
    path : str or os.PathLike
        Any recording the readers know (see :func:`load_replay`).
    speed : float
        Playback speed (1 = real time).
    chunk_s : float
        Stream time per chunk (a phone sends about 10 batches a second).
    clock, sleep : callables
        Monotonic clock and sleep.

    """

    name = "replay"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        speed: float = 1.0,
        chunk_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (math.isfinite(speed) and 0 < speed <= 1000):
            raise ParameterError(f"--speed {speed:g} must be within 0-1000")
        self.path = os.fspath(path)
        self.data = load_replay(path)
        self.speed, self.chunk_s = float(speed), float(chunk_s)
        self._clock, self._sleep = clock, sleep
        self._start = clock()
        t = self.data.t_s
        self._t0 = float(t[0]) if len(t) else 0.0
        self._i = 0
        self.duration_s = float(t[-1] - t[0]) if len(t) else 0.0
        self.finished = len(t) == 0

    def read(self) -> list[AccelChunk | CadenceChunk]:
        """Return the next ``chunk_s`` of the recording once the clock says it has happened."""
        t = self.data.t_s
        if self._i >= len(t):
            self.finished = True
            return []
        end_t = float(t[self._i]) + self.chunk_s
        due = self._start + (end_t - self._t0) / self.speed
        now = self._clock()
        if due > now:
            self._sleep(due - now)
        j = int(np.searchsorted(t, end_t, side="left"))
        j = max(j, self._i + 1)
        sl = slice(self._i, j)
        self._i = j
        if self._i >= len(t):
            self.finished = True
        d = self.data
        if isinstance(d, AccelChunk):
            return [AccelChunk(d.t_s[sl], d.acc_ms2[sl], d.gravity_included)]
        return [CadenceChunk(d.t_s[sl], d.cadence_spm[sl], d.speed_ms[sl])]
