"""Stand-ins for the phones: a phyphox remote-access server and a Sensor Logger push replayer.

Both replay a real recording in real time (or ``speed`` times faster) over real HTTP on 127.0.0.1.

The phyphox stand-in speaks the API of phyphox/phyphox-docs ``docs/remote-interface``: ``/get`` with one
query parameter per buffer (empty: the last value; ``full``: the whole buffer; ``T``: values after time T of
the buffer itself; ``T|acc_time``: values whose ``acc_time`` is after T), ``/control?cmd=start|stop|clear``,
``/config``; replies ``{"buffer": {name: {"size", "updateMode", "buffer"}}, "status": {"session",
"measuring", "timedRun", "countDown"}}`` with numbers at 8 significant digits and NaN as null. Like the app
it is single-threaded (one request at a time) and closes every connection (HTTP/1.0, no keep-alive).
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import numpy as np

G_MS2 = 9.80665


def _num(v: float) -> float | None:
    return None if not math.isfinite(v) else float(f"{v:.8g}")


class PhyphoxStandIn:
    """A phyphox "Acceleration (with g)" experiment replaying ``t_s``, ``acc_ms2``.

    Parameters
    ----------
    t_s, acc_ms2 : arrays
        The recording (any origin of time; replayed from 0).
    speed : float
        Replay speed.
    buffers : tuple of str
        Buffer names of the experiment (another experiment: no acc buffers).
    measuring : bool
        Whether the measurement runs from the start (else it waits for ``/control?cmd=start``).
    """

    def __init__(
        self,
        t_s: np.ndarray,
        acc_ms2: np.ndarray,
        *,
        speed: float = 1.0,
        buffers: tuple[str, ...] = ("accX", "accY", "accZ", "acc", "acc_time"),
        measuring: bool = False,
    ) -> None:
        self.t = np.asarray(t_s, float) - float(t_s[0])
        self.acc = np.asarray(acc_ms2, float)
        self.speed = speed
        self.buffer_names = buffers
        self.session = "5f3a9c"
        self.measuring = measuring
        self.start_wall: float | None = time.monotonic() if measuring else None
        self.requests: list[str] = []
        self.answering = True
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802
                stand_in.requests.append(self.path)
                if not stand_in.answering:
                    self.close_connection = True
                    self.connection.close()  # like a phone that left the network mid-session
                    return
                code, body = stand_in.answer(self.path)
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})

    # -- the experiment -------------------------------------------------------------------------------------

    def available(self) -> int:
        """Samples recorded so far."""
        if self.start_wall is None:
            return 0
        now = (time.monotonic() - self.start_wall) * self.speed
        return int(np.searchsorted(self.t, now, side="right"))

    def columns(self, n: int) -> dict[str, np.ndarray]:
        acc = self.acc[:n]
        return {
            "acc_time": self.t[:n],
            "accX": acc[:, 0],
            "accY": acc[:, 1],
            "accZ": acc[:, 2],
            "acc": np.sqrt((acc**2).sum(axis=1)),
        }

    def answer(self, path: str) -> tuple[int, bytes]:
        url = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        if url.path == "/control":
            cmd = dict(query).get("cmd")
            if cmd == "start" and not self.measuring:
                self.measuring = True
                self.start_wall = time.monotonic()
            elif cmd == "stop":
                self.measuring = False
            return 200, json.dumps({"result": True}).encode()
        if url.path == "/config":
            return 200, json.dumps({"buffers": [{"name": b, "size": 0} for b in self.buffer_names]}).encode()
        if url.path != "/get":
            return 404, b"<html>not found</html>"
        cols = self.columns(self.available())
        out: dict[str, Any] = {}
        for name, value in query:
            if name not in self.buffer_names or name not in cols:
                continue  # phyphox leaves unknown buffers out
            col = cols[name]
            if value == "":
                sel = col[-1:]
            elif value == "full":
                sel = col
            else:
                thr_text, _, ref = value.partition("|")
                ref_col = cols.get(ref or name, col)
                sel = col[ref_col > float(thr_text)]
            out[name] = {"size": 0, "updateMode": "partial", "buffer": [_num(v) for v in sel]}
        status = {"session": self.session, "measuring": self.measuring, "timedRun": False, "countDown": 0}
        return 200, json.dumps({"buffer": out, "status": status}).encode()

    def __enter__(self) -> PhyphoxStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=2)


class SensorLoggerReplayer:
    """POST a recording to a Sensor Logger receiver in batches, as the app's HTTP push does.

    Parameters
    ----------
    url : str
        The receiver (``http://127.0.0.1:PORT/data``).
    t_s, acc_ms2 : arrays
        The recording.
    batch_s : float
        Stream time per push (the app's default push interval is about 0.2 s... 1 s).
    speed : float
        Replay speed.
    name : str
        ``totalacceleration`` (gravity included) or ``accelerometer``.
    """

    def __init__(
        self,
        url: str,
        t_s,
        acc_ms2,
        *,
        batch_s: float = 0.2,
        speed: float = 1.0,
        name: str = "totalacceleration",
        start_epoch_ns: int = 1_764_583_200_000_000_000,
    ) -> None:
        self.url, self.batch_s, self.speed, self.name = url, batch_s, speed, name
        self.t = np.asarray(t_s, float) - float(t_s[0])
        self.acc = np.asarray(acc_ms2, float)
        self.t0_ns = start_epoch_ns
        self.sent = 0
        self.status: list[int] = []
        self._thread = threading.Thread(target=self.run, daemon=True)
        self.garbage_at: set[int] = set()

    def batch(self, i0: int, i1: int, k: int) -> bytes:
        payload = [
            {
                "name": self.name,
                "time": int(self.t0_ns + round(self.t[i] * 1e9)),
                "accuracy": 3,
                "values": {"x": self.acc[i, 0], "y": self.acc[i, 1], "z": self.acc[i, 2]},
            }
            for i in range(i0, i1)
        ]
        payload.append({"name": "gyroscope", "time": int(self.t0_ns), "values": {"x": 0, "y": 0, "z": 0}})
        return json.dumps(
            {"messageId": k, "sessionId": "abc", "deviceId": "test", "payload": payload}
        ).encode()

    def post(self, body: bytes) -> None:
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                self.status.append(resp.status)
        except urllib.error.HTTPError as exc:
            self.status.append(exc.code)
        except OSError:
            self.status.append(-1)

    def run(self) -> None:
        start = time.monotonic()
        k = 0
        i0 = 0
        while i0 < len(self.t):
            end_t = self.t[i0] + self.batch_s
            due = start + end_t / self.speed
            time.sleep(max(0.0, due - time.monotonic()))
            i1 = int(np.searchsorted(self.t, end_t, side="left"))
            i1 = max(i1, i0 + 1)
            body = b"{not json" if k in self.garbage_at else self.batch(i0, i1, k)
            self.post(body)
            self.sent += 1
            k += 1
            i0 = i1

    def start(self) -> SensorLoggerReplayer:
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
