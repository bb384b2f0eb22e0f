"""Fuzz every reader through the loader: mutated real files, in subprocess workers with limits.

Each case is a real seed file (``sample_data/``, ``tests/data/``, ``../shared/data/fit``, ``formats`` and
``activities``) with one or more mutations: byte flips, inserted / deleted / repeated chunks, a wrong FIT
header size, another file appended, truncation; for text files also broken lines, swapped rows, other
encodings, huge and denormal values, malformed ISO times and long junk lines. Every supported suffix found
among the seeds is fuzzed, so a reader that lands later is covered without a change here (a seed the loader
refuses unmutated as "unsupported file type" is dropped).

Each case goes through :func:`cadence.pipeline.analyze_file` and the report (JSON and text) in a worker
process with an address-space limit (``resource.setrlimit``) and a per-case timeout. Outcomes:

``ok``         read without a warning
``warned``     recovered, with a ``CadenceWarning``
``ours``       a ``CadenceError`` (one clean line)
``foreign``    any other exception (a bug)
``unnamed``    our error or warning does not name the file, or is longer than MAX_MESSAGE characters
``hang``       over the timeout (the worker is killed and restarted)
``memory``     ``MemoryError`` under the limit, or the worker died (e.g. an allocator abort)

Failing inputs are kept in ``bench/out/fuzz/`` with a ``.txt`` saying what happened. The exit code is 1
when any case is ``foreign``, ``unnamed``, ``hang`` or ``memory``.

Usage::

    nice python bench/fuzz.py --fit 20000 --csv 20000 --jobs 2
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import random
import select
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CADENCE_SHARED", REPO.parent / "shared"))
OUT = REPO / "bench" / "out" / "fuzz"
FAILURES = ("foreign", "unnamed", "hang", "memory")
OUTCOMES = ("ok", "warned", "ours", *FAILURES)
#: an error line longer than this is a failure: the user must be able to read it
MAX_MESSAGE = 2000
TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".tcx", ".gpx", ".xml")
#: seeds are kept small so that the decoders run fast; text seeds are cut to this many lines
MAX_SEED_BYTES = 30_000
MAX_SEED_LINES = 2000
#: files beside the recordings that are not recordings (ground truth, phyphox metadata)
NOT_RECORDINGS = (".events.csv", ".steps.txt", "__meta__device.csv", "__meta__time.csv")


# ----------------------------------------------------------------------------------------------- seeds
@dataclass(frozen=True)
class Seed:
    path: Path
    data: bytes
    #: read without an error unmutated (most cases start from these)
    readable: bool = True

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @property
    def kind(self) -> str:
        """``fit``, ``csv`` (any text table) or the suffix without its dot."""
        if self.suffix == ".fit":
            return "fit"
        if self.suffix in (".csv", ".txt", ".tsv"):
            return "csv"
        return self.suffix.lstrip(".") or "none"


def seed_folders(shared: bool = True) -> list[Path]:
    folders = [REPO / "sample_data", REPO / "tests" / "data"]
    if shared:
        folders += [SHARED / "data" / p for p in ("fit", "formats", "activities")]
    return [f for f in folders if f.is_dir()]


def _seed_bytes(path: Path) -> bytes | None:
    if path.suffix.lower() in TEXT_SUFFIXES:
        with open(path, "rb") as fh:
            lines = []
            size = 0
            for line in fh:
                lines.append(line)
                size += len(line)
                if len(lines) >= MAX_SEED_LINES or size > 4 * MAX_SEED_BYTES:
                    break
        return b"".join(lines)
    if path.stat().st_size > MAX_SEED_BYTES:
        return None
    return path.read_bytes()


def collect_seeds(folders: list[Path]) -> list[Seed]:
    """Every small file under ``folders`` that the loader reads without "unsupported file type"."""
    from cadence.errors import InputFormatError
    from cadence.pipeline import analyze_file

    seeds = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder in folders:
            for path in sorted(folder.rglob("*")):
                skip = ("SOURCES", "README")
                if not path.is_file() or path.name.startswith(skip) or path.suffix == ".md":
                    continue
                if path.name.endswith(NOT_RECORDINGS):
                    continue
                data = _seed_bytes(path)
                if not data:
                    continue
                probe = Path(tmp) / f"probe{path.suffix.lower()}"
                probe.write_bytes(data)
                readable = True
                try:
                    import warnings

                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        analyze_file(probe)
                except InputFormatError as exc:
                    if "unsupported file type" in str(exc):
                        continue
                    readable = False
                except Exception:  # noqa: BLE001 - a seed that fails unmutated is still a seed
                    readable = False
                seeds.append(Seed(path, data, readable))
    return seeds


# ------------------------------------------------------------------------------------------- mutations
def _chunk(rng: random.Random, n: int, most: int = 64) -> tuple[int, int]:
    a = rng.randrange(max(1, n))
    return a, min(n, a + rng.randint(1, most))


def m_flip(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    b = bytearray(d)
    for _ in range(rng.choice((1, 1, 2, 4, 16))):
        if b:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def m_set(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    b = bytearray(d)
    for _ in range(rng.choice((1, 2, 8))):
        if b:
            b[rng.randrange(len(b))] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    return bytes(b)


def m_huge(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    """Overwrite 2, 4 or 8 bytes with an extreme integer or float pattern."""
    if len(d) < 16:
        return d
    pat = rng.choice(
        (b"\xff\xff", b"\xfe\xff", b"\xff\xff\xff\x7f", b"\x00\x00\x80\x7f", b"\xff\xff\xff\xff",
         b"\x00\x00\x00\x00\x00\x00\xf0\x7f", b"\x01\x00\x00\x00\x00\x00\x00\x00")
    )
    i = rng.randrange(len(d) - len(pat))
    return d[:i] + pat + d[i + len(pat):]


def m_insert(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    i = rng.randrange(len(d) + 1)
    junk = rng.randbytes(rng.randint(1, 64)) if rng.random() < 0.5 else d[slice(*_chunk(rng, len(d), 256))]
    return d[:i] + junk + d[i:]


def m_delete(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    a, b = _chunk(rng, len(d), rng.choice((1, 4, 64, 1024)))
    return d[:a] + d[b:]


def m_repeat(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    a, b = _chunk(rng, len(d), rng.choice((1, 16, 256, 4096)))
    return d[:b] + d[a:b] + d[b:]


def m_truncate(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    return d[: rng.randrange(len(d) + 1)]


def m_append(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    other = rng.choice(seeds).data if seeds and rng.random() < 0.7 else d
    return d + other[: rng.choice((len(other), rng.randrange(len(other) + 1)))]


def m_header_size(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    """FIT: change the header's data size (bytes 4-7) or header size (byte 0)."""
    if len(d) < 12:
        return m_truncate(rng, d, seeds)
    if rng.random() < 0.2:
        return bytes([rng.choice((0, 1, 11, 12, 13, 14, 15, 255))]) + d[1:]
    size = int.from_bytes(d[4:8], "little")
    new = rng.choice(
        (size - 1, size + 1, size - rng.randint(2, 100), size + rng.randint(2, 100), 0, 0xFFFFFFFF,
         rng.randrange(1 << 32))
    ) % (1 << 32)
    return d[:4] + new.to_bytes(4, "little") + d[8:]


BINARY = (m_flip, m_set, m_huge, m_insert, m_delete, m_repeat, m_truncate, m_append, m_header_size)


def _lines(d: bytes) -> list[bytes]:
    return d.split(b"\n")


def t_break_line(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    lines = _lines(d)
    i = rng.randrange(len(lines))
    ln = lines[i]
    choice = rng.randrange(6)
    if choice == 0:
        ln = ln.replace(b",", b"", 1)
    elif choice == 1:
        ln = ln + b",1,2,3"
    elif choice == 2:
        ln = ln[: rng.randrange(len(ln) + 1)]
    elif choice == 3:
        ln = b"junk," + ln
    elif choice == 4:
        ln = b",,,"
    else:
        ln = b'"' + ln
    lines[i] = ln
    return b"\n".join(lines)


def t_swap_rows(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    lines = _lines(d)
    if len(lines) < 4:
        return d
    i = rng.randrange(1, len(lines) - 2)
    j = i + 1 if rng.random() < 0.7 else rng.randrange(1, len(lines) - 1)
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def t_dup_rows(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    lines = _lines(d)
    i = rng.randrange(len(lines))
    return b"\n".join(lines[: i + 1] + lines[i : i + rng.randint(1, 50)] + lines[i + 1 :])


_HUGE = (b"1e308", b"-1e308", b"inf", b"-inf", b"nan", b"1e-320", b"99999999999999999999999", b"0x1F", b"1e5",
         b"-0", b"4.9e-324", b"1.7976931348623157e308")


def t_huge_value(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    lines = _lines(d)
    for _ in range(rng.choice((1, 1, 3, 50))):
        i = rng.randrange(1, max(2, len(lines)))
        if i >= len(lines):
            continue
        sep = b";" if b";" in lines[i] else b"\t" if b"\t" in lines[i] else b","
        cells = lines[i].split(sep)
        cells[rng.randrange(len(cells))] = rng.choice(_HUGE)
        lines[i] = sep.join(cells)
    return b"\n".join(lines)


def t_time_column(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    """Rewrite the first column: denormal steps, all equal, reversed, ISO times (one malformed), text."""
    lines = _lines(d)
    sep = b";" if b";" in lines[0] else b"\t" if b"\t" in lines[0] else b","
    kind = rng.randrange(5)
    out = [lines[0]]
    for k, ln in enumerate(lines[1:]):
        cells = ln.split(sep)
        if not ln:
            out.append(ln)
            continue
        if kind == 0:
            cells[0] = repr(k * 1e-320).encode()
        elif kind == 1:
            cells[0] = b"5"
        elif kind == 2:
            cells[0] = str(len(lines) - k).encode()
        elif kind == 3:
            cells[0] = f"2024-05-01T10:{k // 6000 % 60:02d}:{k / 100 % 60:06.3f}Z".encode()
        else:
            cells[0] = rng.choice((b"abc", b"2024-13-45T99:99:99", b"12:30", b"1,5", b""))
        out.append(sep.join(cells))
    if kind == 3 and len(out) > 2:
        i = rng.randrange(1, len(out))
        out[i] = b"2024-05-01T25:61" + out[i][16:]
    return b"\n".join(out)


def t_encoding(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    text = d.decode("utf-8", "replace")
    choice = rng.randrange(8)
    if choice == 0:
        return text.encode("utf-16")
    if choice == 1:
        return text.encode("utf-16-le")
    if choice == 2:
        return b"\xef\xbb\xbf" + d
    if choice == 3:
        return b"\xef\xbb\xbf"
    if choice == 4:
        return d.replace(b"\n", b"\r\n")
    if choice == 5:
        return d.replace(b"\n", b"\r")
    if choice == 6:
        return ("\u00e9\u00e8," + text).encode("latin-1", "replace")
    return text.encode("utf-32")


def t_long_line(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    """A long line of junk (up to 8 MB; the reader must not echo it nor build huge strings)."""
    lines = _lines(d)
    i = rng.randrange(len(lines))
    n = rng.choice((10_000, 300_000, 8_000_000))
    junk = (rng.randbytes(64).hex().encode() * (n // 128 + 1))[:n]
    return b"\n".join(lines[:i] + [junk] + lines[i:])


def t_tiny(rng: random.Random, d: bytes, seeds: list[Seed]) -> bytes:
    lines = _lines(d)
    return rng.choice((b"", b" \n", lines[0], lines[0] + b"\n", b"\n".join(lines[:2]), b"\n".join(lines[:3])))


TEXT = (t_break_line, t_swap_rows, t_dup_rows, t_huge_value, t_time_column, t_encoding, t_long_line, t_tiny)
TEXT_WEIGHTS = (5, 4, 2, 4, 3, 3, 0.3, 1)


def mutate(rng: random.Random, seed: Seed, pool: list[Seed]) -> tuple[bytes, list[str]]:
    """One case: 1-3 mutations of ``seed``'s bytes (text mutations mostly, for a text file)."""
    same = [s for s in pool if s.kind == seed.kind]
    text = seed.suffix in TEXT_SUFFIXES
    data, names = seed.data, []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if text and rng.random() < 0.75:
            fn = rng.choices(TEXT, weights=TEXT_WEIGHTS)[0]
        else:
            fn = rng.choice(BINARY)
            if fn is m_header_size and seed.kind != "fit":
                fn = m_flip
        data = fn(rng, data, same)
        names.append(fn.__name__[2:])
    return data, names


# --------------------------------------------------------------------------------------------- worker
def worker_main(mem_bytes: int) -> None:
    """Read case paths from stdin, one JSON line of outcome per case on stdout."""
    import resource
    import warnings

    resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
    sys.path.insert(0, str(REPO / "src"))
    from cadence.errors import CadenceError, CadenceWarning
    from cadence.pipeline import analyze_file
    from cadence.report.document import result_to_dict
    from cadence.report.text import format_summary

    out = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing but results on the pipe
    for line in sys.stdin:
        path = line.strip()
        outcome, detail = "ok", ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                for result in analyze_file(path):
                    json.dumps(result_to_dict(result), default=str)
                    format_summary(result)
                ours = [w for w in caught if issubclass(w.category, CadenceWarning)]
                if ours:
                    outcome, detail = "warned", str(ours[0].message)
                    bad = [str(w.message) for w in ours if path not in str(w.message)
                           or len(str(w.message)) > MAX_MESSAGE]
                    if bad:
                        outcome, detail = "unnamed", f"warning: {bad[0][:MAX_MESSAGE]}"
            except CadenceError as exc:
                msg = str(exc)
                outcome, detail = "ours", msg
                if path not in msg or len(msg) > MAX_MESSAGE or "\n" in msg:
                    outcome, detail = "unnamed", f"{type(exc).__name__}: {msg[:MAX_MESSAGE]}"
            except MemoryError:
                outcome, detail = "memory", "MemoryError"
            except Exception as exc:  # noqa: BLE001 - what we are here to find
                import traceback

                tb = traceback.extract_tb(exc.__traceback__)
                where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
                outcome, detail = "foreign", f"{type(exc).__name__} at {where}: {str(exc)[:300]}"
        out.write(json.dumps({"outcome": outcome, "detail": detail[:1000]}) + "\n")
        out.flush()


# --------------------------------------------------------------------------------------------- parent
class Worker:
    """One worker process; restarted after a hang or a death."""

    def __init__(self, mem_bytes: int, folder: Path) -> None:
        self.mem_bytes = mem_bytes
        self.folder = folder
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        env = {**os.environ, "POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--mem-mb", str(self.mem_bytes >> 20)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:
                        pass
            self.proc = None

    def run(self, path: Path, timeout_s: float) -> tuple[str, str]:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(f"{path}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.stop()
            return "memory", "worker died before the case"
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            self.stop()
            return "hang", f"no answer in {timeout_s:g} s"
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            self.stop()
            return "memory", f"worker died (exit {code})"
        res = json.loads(line)
        return res["outcome"], res["detail"]


@dataclass
class Tally:
    counts: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    failures: list[tuple[str, str, str, str]] = field(default_factory=list)  # kind, outcome, case, detail
    lock: threading.Lock = field(default_factory=threading.Lock)


def run(
    n_cases: dict[str, int],
    *,
    jobs: int = 2,
    timeout_s: float = 30.0,
    mem_mb: int = 2048,
    base_seed: int = 0,
    shared: bool = True,
    keep: Path | None = OUT,
    progress: bool = False,
) -> Tally:
    """Run ``n_cases[kind]`` cases for each seed kind (``"fit"``, ``"csv"``, ``"other"`` for the rest)."""
    sys.path.insert(0, str(REPO / "src"))
    seeds = collect_seeds(seed_folders(shared))
    by_kind: dict[str, list[Seed]] = collections.defaultdict(list)
    for s in seeds:
        by_kind[s.kind if s.kind in ("fit", "csv") else "other"].append(s)
    cases: queue.Queue[tuple[str, int, Seed] | None] = queue.Queue()
    for kind, n in n_cases.items():
        pool = by_kind.get(kind, [])
        good = [s for s in pool if s.readable] or pool
        for i in range(n if pool else 0):
            # 4 cases in 5 start from a file the reader reads, the rest from the ones it refuses
            cases.put((kind, i, good[i % len(good)] if i % 5 else pool[i // 5 % len(pool)]))
    total = cases.qsize()
    for _ in range(jobs):
        cases.put(None)
    tally = Tally()
    retry_lock = threading.Lock()
    done = [0]
    t0 = time.monotonic()

    def loop(slot: int, folder: Path) -> None:
        worker = Worker(mem_mb << 20, folder)
        try:
            while (item := cases.get()) is not None:
                kind, i, seed = item
                rng = random.Random(f"{base_seed}:{kind}:{i}")
                data, names = mutate(rng, seed, by_kind[kind])
                case = folder / f"case{seed.suffix}"
                case.write_bytes(data)
                outcome, detail = worker.run(case, timeout_s)
                if outcome in ("hang", "memory"):  # a shared machine can stall: once more, fresh and alone
                    with retry_lock:
                        outcome, detail = worker.run(case, 2 * timeout_s)
                        if outcome == "hang":
                            detail = f"no answer in {timeout_s:g} s, nor in {2 * timeout_s:g} s on a retry"
                label = f"{seed.path.name}#{i} [{'+'.join(names)}]"
                with tally.lock:
                    tally.counts[kind][outcome] += 1
                    done[0] += 1
                    if outcome in FAILURES:
                        tally.failures.append((kind, outcome, label, detail.replace(str(case), "<case>")))
                        if keep is not None:
                            keep.mkdir(parents=True, exist_ok=True)
                            stem = f"{outcome}-{kind}-{i}-{seed.path.stem}"
                            (keep / f"{stem}{seed.suffix}").write_bytes(data)
                            (keep / f"{stem}.txt").write_text(f"{label}\n{detail}\n", encoding="utf-8")
                    if progress and done[0] % 500 == 0:
                        rate = done[0] / (time.monotonic() - t0)
                        print(f"  {done[0]}/{total} cases, {rate:.1f}/s", file=sys.stderr, flush=True)
        finally:
            worker.stop()

    with tempfile.TemporaryDirectory(prefix="cadence-fuzz-") as tmp:
        threads = []
        for slot in range(jobs):
            folder = Path(tmp) / f"w{slot}"
            folder.mkdir()
            th = threading.Thread(target=loop, args=(slot, folder), daemon=True)
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
    return tally


def report(tally: Tally, seconds: float) -> str:
    lines = [f"{'kind':<6} " + " ".join(f"{o:>8}" for o in OUTCOMES) + f" {'total':>8}"]
    for kind, c in sorted(tally.counts.items()):
        lines.append(f"{kind:<6} " + " ".join(f"{c[o]:>8}" for o in OUTCOMES) + f" {sum(c.values()):>8}")
    lines.append(f"({seconds:.0f} s)")
    why = collections.Counter((k, o, d[:160]) for k, o, _, d in tally.failures)
    for (k, o, d), n in why.most_common(25):
        lines.append(f"  {n:5d} {k} {o}: {d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fit", type=int, default=2000, help="FIT cases")
    ap.add_argument("--csv", type=int, default=2000, help="accelerometer CSV cases")
    ap.add_argument("--other", type=int, default=500, help="cases for the other readers' seeds")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    ap.add_argument("--mem-mb", type=int, default=2048, help="address-space limit per worker")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-shared", action="store_true", help="only the repo's own seed files")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_main(args.mem_mb << 20)
        return 0
    t0 = time.monotonic()
    tally = run(
        {"fit": args.fit, "csv": args.csv, "other": args.other},
        jobs=args.jobs, timeout_s=args.timeout, mem_mb=args.mem_mb, base_seed=args.seed,
        shared=not args.no_shared, progress=True,
    )
    print(report(tally, time.monotonic() - t0))
    if tally.failures:
        print(f"{len(tally.failures)} failing inputs kept in {OUT}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
