"""A minimal FIT file writer for tests (definition + data messages, developer fields, CRCs).

Just enough of the FIT protocol to build files that real decoders (fitdecode) read: little-endian messages,
arrays, strings and developer fields. Not part of the package.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

FIT_EPOCH_UNIX = 631065600  # 1989-12-31T00:00:00Z

_CRC = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
        0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]  # fmt: skip

#: base type id -> struct format of one element
BASE = {0x00: "B", 0x02: "B", 0x83: "h", 0x84: "H", 0x85: "i", 0x86: "I", 0x88: "f", 0x07: "s", 0x0D: "B"}


def crc16(data: bytes, crc: int = 0) -> int:
    for byte in data:
        for nib in (byte & 0xF, byte >> 4):
            tmp = _CRC[crc & 0xF]
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC[nib]
    return crc


class FitWriter:
    """Collect messages, then :meth:`save`. Fields are ``(field_num, base_type, value_or_sequence)``."""

    def __init__(self) -> None:
        self.body = bytearray()
        self._defs: dict[int, tuple] = {}

    def message(
        self,
        local: int,
        global_num: int,
        fields: Sequence[tuple[int, int, object]],
        dev_fields: Sequence[tuple[int, int, int, object]] = (),
    ) -> None:
        """Append a data message (and its definition when the layout changed). ``dev_fields`` are
        ``(field_num, dev_index, base_type, value)``."""
        encoded = [(num, bt, self._encode(bt, val)) for num, bt, val in fields]
        dev_enc = [(num, idx, self._encode(bt, val)) for num, idx, bt, val in dev_fields]
        layout = (
            global_num,
            tuple((n, len(b), bt) for n, bt, b in encoded),
            tuple((n, len(b), i) for n, i, b in dev_enc),
        )
        if self._defs.get(local) != layout:
            hdr = 0x40 | local | (0x20 if dev_enc else 0)
            d = bytearray([hdr, 0, 0]) + struct.pack("<HB", global_num, len(encoded))
            for n, size, bt in layout[1]:
                d += bytes([n, size, bt])
            if dev_enc:
                d += bytes([len(dev_enc)])
                for n, size, idx in layout[2]:
                    d += bytes([n, size, idx])
            self.body += d
            self._defs[local] = layout
        self.body += bytes([local]) + b"".join(b for _, _, b in encoded) + b"".join(b for _, _, b in dev_enc)

    @staticmethod
    def _encode(bt: int, value: object) -> bytes:
        if bt == 0x07:
            raw = str(value).encode() + b"\x00"
            return raw
        fmt = BASE[bt]
        if isinstance(value, list | tuple):
            return struct.pack("<" + fmt * len(value), *value)
        return struct.pack("<" + fmt, value)

    def save(self, path: Path) -> Path:
        header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT")
        header += struct.pack("<H", crc16(header))
        data = header + bytes(self.body)
        path.write_bytes(data + struct.pack("<H", crc16(data)))
        return path
