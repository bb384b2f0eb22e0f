"""A vectorized FIT decoder: one Python pass over message boundaries, then numpy over all records at once.

fitdecode builds a Python object for every field of every message (5-20 thousand records per second). FIT data
messages have a fixed layout given by their definition message, so the size of each data message follows from
its record header and the current definition of its local type. :func:`decode_fit` therefore:

1. walks the record headers and definition messages only (compressed-timestamp headers, developer fields and
   their sizes, chained files, redefinitions, big-endian definitions), collecting the byte offset of every
   data message per definition;
2. decodes every ``record`` message of one definition at once: one fancy index gathers their bytes into an
   ``(n, size)`` array, viewed field by field with the definition's base type and byte order; invalid values
   (0xFF.., per base type) become ``nan``; scale, offset and components (``speed`` inside ``enhanced_speed``,
   accumulated ``distance`` inside ``compressed_speed_distance``) come from fitdecode's profile;
3. decodes the few other messages the analysis uses (file_id, session, lap, event, sport, activity,
   device_info) one by one with fitdecode's own field objects and rules (sub-fields, components, enums,
   dates), into :class:`fitdecode.FitDataMessage` objects;
4. rebuilds compressed timestamps, rolling over every 32 s, with a cumulative sum.

The field meaning is never written here: message and field numbers, types, scales, offsets, components and
enums all come from :mod:`fitdecode.profile`. Where a file does something this module does not reproduce
exactly as fitdecode would (see :class:`FallbackNeeded`), it raises :class:`FallbackNeeded` and the caller
decodes that file with fitdecode, the oracle the tests compare against.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["ACCEL_MESSAGES", "SMALL_MESSAGES", "FallbackNeeded", "FastFit", "decode_fit", "decode_fit_bytes"]

MESG_RECORD = 20
#: decoded one by one (a few per file): file_id, sport, session, lap, event, device_info, activity
SMALL_MESSAGES = frozenset({0, 12, 18, 19, 21, 23, 34})
#: the accelerometer messages: accelerometer_data, three_d_sensor_calibration
ACCEL_MESSAGES = frozenset({165, 167})
_FIELD_DESCRIPTION = 206
_DEVELOPER_DATA_ID = 207
_TIMESTAMP = 253
_DATE_TYPES = frozenset({"date_time", "local_date_time"})
#: field types whose fitdecode value is not a number in a record column (a clock time of day)
_NON_NUMERIC_TYPES = frozenset({"localtime_into_day"})
#: what fitdecode decodes into a datetime or a time of day (it raises on one stored as a float or an array)
_DATE_LIKE = _DATE_TYPES | _NON_NUMERIC_TYPES


class FallbackNeeded(Exception):
    """The file does something the fast path does not reproduce exactly; decode it with fitdecode."""


@dataclass
class FastFit:
    """What :func:`decode_fit` read from one file (chained FIT files included).

    Attributes
    ----------
    records : dict of str to ndarray
        Every ``record`` message's fields, in file order, by fitdecode's field name (the last field of a
        message with that name wins, as in ``{f.name: f.value for f in frame.fields}``): numbers as float64,
        dates as seconds since the FIT epoch, ``nan`` where fitdecode gives ``None``, text or an array.
    present : dict of str to ndarray of bool
        Where fitdecode's value of that column is not ``None`` (a number, text or an array).
    messages : list of fitdecode.FitDataMessage
        The messages asked for (:data:`SMALL_MESSAGES` by default), in file order, as fitdecode would
        have yielded them.
    n_messages : int
        Data messages read (all types).
    error : Exception or None
        Where the file broke off, the exception fitdecode would have raised there (same type and text).
    """

    records: dict[str, NDArray[np.float64]]
    present: dict[str, NDArray[np.bool_]]
    messages: list[Any] = field(default_factory=list)
    n_messages: int = 0
    error: Exception | None = None


class _Def:
    """One definition message: its fields, layout and the offsets of the data messages that use it."""

    def __init__(self, local: int, is_dev: bool, global_num: int, endian: str, mesg_type: Any, position: int):
        self.local = local
        self.is_dev = is_dev
        self.global_num = global_num
        self.endian = endian
        self.mesg_type = mesg_type
        self.position = position
        self.field_defs: list[Any] = []
        self.dev_defs: list[Any] = []
        self.consume: list[int] = []  # bytes each field takes in a data message (header byte excluded)
        self.size = 1
        self.mesg: Any = None  # the fitdecode FitDefinitionMessage
        self.pos: list[int] = []  # positions (byte offset of the record header) of plain-header messages
        self.comp_pos: list[int] = []  # positions of compressed-timestamp-header messages
        self.comp_toff: list[int] = []  # their 5-bit time offsets
        self.bad = ""  # why a data message of this definition cannot be decoded here ("" = fine)
        self.ts_index = -1  # index in field_defs of the (single) timestamp field, -1 if none
        self.acc_nums: list[int] = []  # record components whose accumulator this definition resets


def _profile() -> Any:
    import fitdecode.profile as profile

    return profile


def _invalid_values() -> dict[int, Any]:
    """Return the invalid value of each integer base type, found with fitdecode's own parse functions."""
    from fitdecode import types

    out: dict[int, Any] = {}
    for ident, bt in types.BASE_TYPES.items():
        if bt.fmt in ("s", "f", "d") or bt is types.BASE_TYPE_BYTE:
            continue
        bits = 8 * bt.size
        for candidate in (0, (1 << bits) - 1, (1 << (bits - 1)) - 1):
            if bt.parse(candidate) is None:
                out[ident] = candidate
                break
    return out


_INVALID: dict[int, Any] | None = None


def decode_fit(path: str | os.PathLike[str], messages: frozenset[int] = SMALL_MESSAGES) -> FastFit:
    """Decode a FIT file (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    messages : frozenset of int
        The global numbers of the messages decoded one by one besides the records (default: the ones the
        analysis uses; :data:`ACCEL_MESSAGES` for the accelerometer reader).

    Returns
    -------
    FastFit
        Record columns, the other messages cadence uses, and where the file broke off.

    Raises
    ------
    FallbackNeeded
        The file needs fitdecode (the reason is the message).
    OSError
        The file cannot be read.
    """
    with open(path, "rb") as fh:
        data = fh.read()
    return decode_fit_bytes(data, messages)


def decode_fit_bytes(data: bytes, messages: frozenset[int] = SMALL_MESSAGES) -> FastFit:
    """Decode the bytes of a FIT file; see :func:`decode_fit`."""
    try:
        return _decode(data, messages)
    except FallbackNeeded:
        raise
    except Exception as exc:  # noqa: BLE001 - anything unforeseen: fitdecode decides, with its own errors
        raise FallbackNeeded(f"unexpected {type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------------------------------------------------
# 1. the pass over message boundaries


def _decode(data: bytes, wanted: frozenset[int]) -> FastFit:
    from fitdecode import FitDataMessage, types
    from fitdecode.exceptions import FitEOFError, FitHeaderError, FitParseError

    profile = _profile()
    message_types = profile.MESSAGE_TYPES
    base_types = types.BASE_TYPES
    byte_type = types.BASE_TYPE_BYTE
    n = len(data)
    p = 0
    all_defs: list[_Def] = []
    file_starts: list[int] = []
    acc_resets: dict[int, list[int]] = {}  # record component def_num -> where its accumulator resets
    n_messages = 0
    error: Exception | None = None
    inline: list[tuple[_Def, int]] = []  # developer data messages, decoded as they come (they define types)
    known: dict[bytes, _Def] = {}  # definitions without developer fields, by their bytes

    while error is None:
        # --- file header (fitdecode's _read_header)
        if p == n:
            break
        if n - p < 12:
            error = FitHeaderError(f"file truncated? {FitEOFError(12, n - p, p)}")
            break
        header_size = data[p]
        body_size = int.from_bytes(data[p + 4 : p + 8], "little")
        if header_size < 12 or data[p + 8 : p + 12] != b".FIT":
            error = FitHeaderError(f"not a FIT file @ {p}")
            break
        extra = header_size - 12
        if extra:
            if extra < 2:
                error = FitHeaderError(f"unsupported FIT header (CRC field missing; header offset: {p})")
                break
            if n - p - 12 < extra:
                error = FitEOFError(extra, n - p - 12, p + 12)
                break
            if extra != 2:
                raise FallbackNeeded(f"header of {header_size} bytes")
        p += header_size
        file_starts.append(p)
        end = p + body_size
        defs: dict[int, _Def] = {}
        dev_types: dict[Any, dict[int, Any]] = {}

        # --- records
        while p < end:
            if p >= n:
                error = FitEOFError(1, 0, p)
                break
            h = data[p]
            if h & 0x80:  # compressed timestamp header: local type 0-3
                d = defs.get((h >> 5) & 0x3)
                if d is None:
                    error = FitParseError(p, f"local message {(h >> 5) & 0x3} not defined")
                    break
                if d.bad:
                    raise FallbackNeeded(d.bad)
                if p + d.size > n:
                    error = _eof_in_data(d, p, n)
                    break
                if p + d.size > end:
                    raise FallbackNeeded("a message crosses the end of the data size in the header")
                if d.ts_index >= 0:
                    raise FallbackNeeded("compressed timestamp header on a message with a timestamp field")
                d.comp_pos.append(p)
                d.comp_toff.append(h & 0x1F)
                n_messages += 1
                p += d.size
            elif h & 0x40:  # definition message
                if n - p < 6:
                    error = FitEOFError(5, n - p - 1, p + 1)
                    break
                if not h & 0x20 and p + 6 + 3 * data[p + 5] <= min(n, end):
                    # the same definition again (some watches redefine before every few records): one _Def
                    q = p + 6 + 3 * data[p + 5]
                    seen = known.get(data[p:q])
                    if seen is not None:
                        for num in seen.acc_nums:
                            acc_resets.setdefault(num, []).append(p)
                        defs[seen.local] = seen
                        p = q
                        continue
                big = data[p + 2] != 0
                gnum = int.from_bytes(data[p + 3 : p + 5], "big" if big else "little")
                n_fields = data[p + 5]
                mesg_type = message_types.get(gnum)
                d = _Def(h & 0xF, bool(h & 0x20), gnum, ">" if big else "<", mesg_type, p)
                q = p + 6
                field_defs = []
                consume = []
                for _ in range(n_fields):
                    if n - q < 3:
                        error = FitEOFError(3, n - q, q)
                        break
                    num, size, btn = data[q], data[q + 1], data[q + 2]
                    q += 3
                    fld = mesg_type.fields.get(num) if mesg_type else None
                    bt = base_types.get(btn, byte_type)
                    if size % bt.size:
                        bt = byte_type
                    if fld is not None and fld.components:
                        for comp in fld.components:
                            if comp.accumulate:
                                if gnum == MESG_RECORD:
                                    acc_resets.setdefault(comp.def_num, []).append(p)
                                    d.acc_nums.append(comp.def_num)
                    field_defs.append(types.FieldDefinition(fld, num, bt, size))
                    consume.append(size)
                    if size == 0:
                        d.bad = "a field of size 0"
                    if num == _TIMESTAMP:
                        d.ts_index = -2 if d.ts_index != -1 else len(field_defs) - 1
                if error is not None:
                    break
                if gnum not in wanted and gnum != MESG_RECORD:
                    d.bad = d.bad or _crashes_fitdecode(mesg_type, field_defs, consume)
                dev_defs = []
                if d.is_dev:
                    if n - q < 1:
                        error = FitEOFError(1, 0, q)
                        break
                    n_dev = data[q]
                    q += 1
                    for _ in range(n_dev):
                        if n - q < 3:
                            error = FitEOFError(3, n - q, q)
                            break
                        num, size, index = data[q], data[q + 1], data[q + 2]
                        q += 3
                        dev_field = _dev_field(dev_types, index, num)
                        dev_defs.append(types.DevFieldDefinition(dev_field, index, num, size))
                        used = (size // dev_field.type.size) * dev_field.type.size
                        consume.append(used)
                        if used == 0:
                            d.bad = "a developer field smaller than its type"
                        if num == _TIMESTAMP:
                            d.bad = "a developer field numbered 253 (timestamp)"
                    if error is not None:
                        break
                if q > end:
                    raise FallbackNeeded("a definition crosses the end of the data size in the header")
                if d.ts_index == -2:
                    d.bad = "two timestamp fields in one message"
                d.field_defs = field_defs
                d.dev_defs = dev_defs
                d.consume = consume
                d.size = 1 + sum(consume)
                from fitdecode.records import FitDefinitionMessage

                d.mesg = FitDefinitionMessage(
                    d.is_dev, d.local, None, mesg_type, gnum, d.endian, field_defs, dev_defs, None
                )
                defs[d.local] = d
                all_defs.append(d)
                if not d.is_dev:
                    known[data[p:q]] = d
                p = q
            else:  # plain data message
                d = defs.get(h & 0xF)
                if d is None:
                    error = FitParseError(p, f"local message {h & 0xF} not defined")
                    break
                if d.bad:
                    raise FallbackNeeded(d.bad)
                if p + d.size > n:
                    error = _eof_in_data(d, p, n)
                    break
                if p + d.size > end:
                    raise FallbackNeeded("a message crosses the end of the data size in the header")
                d.pos.append(p)
                n_messages += 1
                if d.global_num == _DEVELOPER_DATA_ID or d.global_num == _FIELD_DESCRIPTION:
                    _developer_message(d, data, p, dev_types)
                    inline.append((d, p))
                p += d.size
        if error is not None:
            break
        # --- CRC footer
        if n - p < 2:
            error = FitEOFError(2, n - p, p)
            break
        p += 2

    _check_hr(all_defs, data, file_starts)
    stamps = _compressed_timestamps(all_defs, data, file_starts)
    rec_defs = [d for d in all_defs if d.global_num == MESG_RECORD]
    records, present = _records(rec_defs, data, stamps, acc_resets)
    processor = _processor()
    found: list[tuple[int, Any]] = []
    for d in all_defs:
        if d.global_num not in wanted:
            continue
        for pos in d.pos:
            found.append((pos, _message(d, data, pos, None, processor, FitDataMessage)))
        for pos, toff in zip(d.comp_pos, d.comp_toff, strict=True):
            found.append((pos, _message(d, data, pos, (toff, stamps[pos]), processor, FitDataMessage)))
    found.sort(key=lambda item: item[0])
    return FastFit(records, present, [m for _, m in found], n_messages, error)


_MESG_HR = 132


def _crashes_fitdecode(mesg_type: Any, field_defs: list[Any], consume: list[int]) -> str:
    """Why fitdecode would raise decoding a data message of this definition ("" if it would not).

    fitdecode decodes every message, even those the fast path skips, and stops at the first one that raises
    (a date in a float or an array, an array with components, ``hr`` timestamps before their base): the
    fast path cannot skip such a message and give the same result, so it leaves the file to fitdecode.
    ``hr`` messages are checked once the whole file is framed (:func:`_check_hr`).
    """
    from fitdecode import types
    for fd, used in zip(field_defs, consume, strict=False):
        fld = fd.field
        if fld is None:
            continue
        bt = fd.base_type
        count = used // bt.size
        one_int = bt.fmt in "bBhHiI" and count == 1
        for target in [fld, *(fld.subfields or ())]:
            if target.type.name in _DATE_LIKE and not one_int:
                return f"{target.name} stored as {count} x {bt.name}"
            for comp in target.components or ():
                if bt is not types.BASE_TYPE_BYTE and count > 1:
                    return f"components of an array field ({target.name})"
                if bt.fmt in "fd" and comp.accumulate:
                    return f"accumulated component of a float field ({target.name})"
                if mesg_type.fields[comp.def_num].type.name in _DATE_LIKE:
                    return f"date component ({target.name})"
    return ""


def _eof_in_data(d: _Def, p: int, n: int) -> Exception:
    """Return the FitEOFError fitdecode raises reading a data message of ``d`` at ``p`` in ``n`` bytes."""
    from fitdecode.exceptions import FitEOFError

    if p >= n:
        return FitEOFError(1, 0, p)
    q = p + 1
    for size in d.consume:
        if q + size > n:
            return FitEOFError(size, n - q, q)
        q += size
    raise AssertionError("unreachable: the message fits")  # pragma: no cover


def _dev_field(dev_types: dict[Any, dict[int, Any]], index: int, num: int) -> Any:
    """Mirror fitdecode's ``_get_dev_type`` under ``ErrorHandling.IGNORE``: undeclared fields are bytes."""
    from fitdecode import types

    fields = dev_types.setdefault(index, {})
    if num not in fields:
        fields[num] = types.DevField(index, None, num, types.BASE_TYPE_BYTE, None, None)
    return fields[num]


def _developer_message(d: _Def, data: bytes, p: int, dev_types: dict[Any, dict[int, Any]]) -> None:
    """Apply a developer_data_id or field_description message to the developer types, as fitdecode does."""
    from fitdecode import types

    names = [fd.name for fd in d.field_defs]
    raw = dict(zip(names, _raw_values(d, data, p), strict=False))
    if d.global_num == _DEVELOPER_DATA_ID:
        index = raw.get("developer_data_index")
        if index is None:
            raise FallbackNeeded("developer_data_id without an index")
        dev_types[int(index)] = {}
        return
    index = raw.get("developer_data_index")
    num = raw.get("field_definition_number")
    if index is None or num is None or int(index) not in dev_types:
        raise FallbackNeeded("field_description without a declared developer index")
    type_id = raw.get("fit_base_type_id")
    if type_id is None:
        base = types.BASE_TYPE_BYTE
    elif type_id in types.BASE_TYPES:
        base = types.BASE_TYPES[type_id]
    else:
        raise FallbackNeeded(f"developer field of unknown base type {type_id}")
    dev_types[int(index)][num] = types.DevField(
        int(index), raw.get("field_name"), num, base, raw.get("units"), raw.get("native_field_num")
    )


# ---------------------------------------------------------------------------------------------------------
# 2. messages decoded one by one, with fitdecode's own field logic


def _raw_values(d: _Def, data: bytes, p: int) -> list[Any]:
    """Mirror fitdecode's ``_read_data_message_raw_values`` for the message at ``p``."""
    from fitdecode import types

    byte_id = types.BASE_TYPE_BYTE.identifier
    out: list[Any] = []
    q = p + 1
    for fd, used in zip([*d.field_defs, *d.dev_defs], d.consume, strict=True):
        bt = fd.base_type
        count = used // bt.size
        values = struct.unpack_from(f"{d.endian}{count}{bt.fmt}", data, q)
        q += used
        if bt.identifier == byte_id:
            out.append(bt.parse(values))
        elif len(values) > 1:
            out.append(tuple(bt.parse(v) for v in values))
        else:
            out.append(bt.parse(values[0]))
    return out


def _processor() -> Any:
    from fitdecode.processors import DefaultDataProcessor

    return DefaultDataProcessor()


def _message(
    d: _Def, data: bytes, p: int, compressed: tuple[int, int] | None, processor: Any, message_class: Any
) -> Any:
    """Mirror fitdecode's ``_read_data_message`` for one message (these have no accumulated components)."""
    from fitdecode import FitReader, types

    profile = _profile()
    raw_values = _raw_values(d, data, p)
    fields = []
    for fd, raw in zip([*d.field_defs, *d.dev_defs], raw_values, strict=True):
        fld, parent = fd.field, None
        if fld:
            fld, parent = FitReader._resolve_subfield(fld, d.mesg, raw_values)
            if fld.components:
                for comp in fld.components:
                    try:
                        cmp_raw = comp.render(raw)
                    except ValueError:
                        continue
                    if comp.accumulate and cmp_raw is not None:
                        raise FallbackNeeded(f"accumulated component in {d.mesg.name}")
                    cmp_raw = FitReader._apply_scale_offset(comp, cmp_raw)
                    cmp_field = d.mesg_type.fields[comp.def_num]
                    cmp_field, cmp_parent = FitReader._resolve_subfield(cmp_field, d.mesg, raw_values)
                    cmp_value = cmp_field.render(cmp_raw)
                    fields.append(types.FieldData(None, cmp_field, cmp_parent, cmp_value, cmp_raw))
            value = FitReader._apply_scale_offset(fld, fld.render(raw))
        else:
            value = raw
        fields.append(types.FieldData(fd, fld, parent, value, raw))
    time_offset = None
    if compressed is not None:
        time_offset, stamp = compressed
        ts = profile.FIELD_TYPE_TIMESTAMP
        fields.append(types.FieldData(None, ts, None, ts.render(stamp), stamp))
    for fdata in fields:
        processor.on_process_type(None, fdata)
        processor.on_process_field(None, fdata)
        processor.on_process_unit(None, fdata)
    message = message_class(d.is_dev, d.local, time_offset, d.mesg, fields, None)
    processor.on_process_message(None, message)
    return message


# ---------------------------------------------------------------------------------------------------------
# 3. compressed timestamps


def _compressed_timestamps(all_defs: list[_Def], data: bytes, file_starts: list[int]) -> dict[int, int]:
    """Timestamp of every compressed-header message, by position (fitdecode's accumulator, vectorized).

    Every message with a valid timestamp field sets the accumulator; each compressed header adds the 5-bit
    offset's forward difference (mod 32) to it; each new FIT file of a chain resets it to 0.
    """
    comp = [d for d in all_defs if d.comp_pos]
    if not comp:
        return {}
    ts_pos, ts_val = _timestamp_fields(all_defs, data)
    pos_parts = [np.asarray(file_starts, dtype=np.int64), ts_pos]
    val_parts = [np.zeros(len(file_starts), dtype=np.int64), ts_val]
    kind_parts = [np.zeros(len(file_starts) + ts_pos.size, dtype=np.int8)]  # 0: set to value, 1: offset
    for d in comp:
        pos_parts.append(np.asarray(d.comp_pos, dtype=np.int64))
        val_parts.append(np.asarray(d.comp_toff, dtype=np.int64))
        kind_parts.append(np.ones(len(d.comp_pos), dtype=np.int8))
    pos = np.concatenate(pos_parts)
    val = np.concatenate(val_parts)
    kind = np.concatenate(kind_parts)
    order = np.argsort(pos, kind="stable")
    pos, val, kind = pos[order], val[order], kind[order]
    is_set = kind == 0
    low = np.where(is_set, val & 31, val)
    prev_low = np.concatenate([[0], low[:-1]])
    step = np.where(is_set, 0, (val - prev_low) % 32)
    seg = np.maximum.accumulate(np.where(is_set, np.arange(pos.size), 0))
    csum = np.cumsum(step)
    acc = val[seg] + csum - csum[seg]
    return dict(zip(pos[~is_set].tolist(), acc[~is_set].tolist(), strict=True))


def _timestamp_fields(all_defs: list[_Def], data: bytes) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return the positions and raw values of every valid timestamp field (253) of plain-header messages.

    Raises
    ------
    FallbackNeeded
        A timestamp field that is not one integer (fitdecode would keep a float or an array).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    invalid = _invalid_table()
    pos_parts = [np.zeros(0, dtype=np.int64)]
    val_parts = [np.zeros(0, dtype=np.int64)]
    for d in all_defs:
        if d.ts_index >= 0 and d.pos:
            fd = d.field_defs[d.ts_index]
            bt = fd.base_type
            if bt.fmt not in "bBhHiI" or fd.size != bt.size:
                raise FallbackNeeded("a timestamp field that is not one integer")
            off = 1 + sum(d.consume[: d.ts_index])
            pos = np.asarray(d.pos, dtype=np.int64)
            raw = _gather(buf, pos + off, fd.size).view(np.dtype(d.endian + bt.fmt))[:, 0].astype(np.int64)
            ok = raw != invalid[bt.identifier]
            pos_parts.append(pos[ok])
            val_parts.append(raw[ok])
    return np.concatenate(pos_parts), np.concatenate(val_parts)


def _positions(defs: list[_Def]) -> NDArray[np.int64]:
    return np.sort(np.asarray([q for d in defs for q in (*d.pos, *d.comp_pos)], dtype=np.int64))


def _check_hr(all_defs: list[_Def], data: bytes, file_starts: list[int]) -> None:
    """Leave a file to fitdecode where its ``hr`` special case would raise (it stops reading there).

    fitdecode adds the last timestamp seen at an ``hr`` message with ``event_timestamp`` to every later
    ``event_timestamp_12``, asserting that it is positive; an invalid ``event_timestamp_12`` raises too.
    """
    from fitdecode import types

    hr = [d for d in all_defs if d.global_num == _MESG_HR and (d.pos or d.comp_pos)]
    with_12 = [d for d in hr if any(fd.def_num == 10 for fd in d.field_defs)]
    if not with_12:
        return
    buf = np.frombuffer(data, dtype=np.uint8)
    for d in with_12:
        if any(fd.def_num == 9 for fd in d.field_defs):
            raise FallbackNeeded("hr message with event_timestamp and event_timestamp_12")
        i = next(i for i, fd in enumerate(d.field_defs) if fd.def_num == 10)
        if d.field_defs[i].base_type is not types.BASE_TYPE_BYTE:
            raise FallbackNeeded("hr event_timestamp_12 that is not bytes")
        pos = np.asarray([*d.pos, *d.comp_pos], dtype=np.int64)
        if (_gather(buf, pos + 1 + sum(d.consume[:i]), d.consume[i]) == 0xFF).all(axis=1).any():
            raise FallbackNeeded("invalid hr event_timestamp_12")
    pos_12 = _positions(with_12)
    pos_9 = _positions([d for d in hr if any(fd.def_num == 9 for fd in d.field_defs)])
    ts_pos, ts_val = _timestamp_fields(all_defs, data)
    if (ts_val <= 0).any():
        raise FallbackNeeded("a timestamp of 0 with hr messages")
    # an hr message whose timestamp field comes before its event_timestamp sets the base itself
    own = _positions(
        [
            d
            for d in hr
            if 0 <= d.ts_index < next((i for i, fd in enumerate(d.field_defs) if fd.def_num == 9), -1)
        ]
    )
    ts_pos = np.sort(np.concatenate([ts_pos, own[np.isin(own, ts_pos)] - 1]))
    bounds = [*file_starts, len(data) + 1]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        first_12 = pos_12[(pos_12 >= lo) & (pos_12 < hi)]
        if not first_12.size:
            continue
        ts_in = ts_pos[(ts_pos >= lo) & (ts_pos < hi)]
        base = pos_9[(pos_9 >= lo) & (pos_9 < hi) & (pos_9 > (ts_in[0] if ts_in.size else hi))]
        if not base.size or base[0] >= first_12[0]:
            raise FallbackNeeded("hr event_timestamp_12 before a positive base timestamp")


def _invalid_table() -> dict[int, Any]:
    global _INVALID
    if _INVALID is None:
        _INVALID = _invalid_values()
    return _INVALID


def _gather(buf: NDArray[np.uint8], starts: NDArray[np.int64], size: int) -> NDArray[np.uint8]:
    """``(n, size)`` bytes starting at each of ``starts`` (one fancy index)."""
    return buf[starts[:, None] + np.arange(size, dtype=np.int64)]


# ---------------------------------------------------------------------------------------------------------
# 4. records, vectorized


@dataclass
class _Pending:
    """An accumulated component of one record definition, filled in once every definition is read."""

    def_num: int
    bits: int
    pos: NDArray[np.int64]
    raw: NDArray[np.int64]
    valid: NDArray[np.bool_]
    comp: Any
    cmp_field: Any
    value: NDArray[np.float64] | None = None


def _records(
    rec_defs: list[_Def], data: bytes, stamps: dict[int, int], acc_resets: dict[int, list[int]]
) -> tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.bool_]]]:
    """Return the columns of every record message in file order, and where fitdecode's value is not None."""
    buf = np.frombuffer(data, dtype=np.uint8)
    per_def: list[tuple[NDArray[np.int64], list[tuple[Any, Any, Any]]]] = []
    pending: list[_Pending] = []
    for d in rec_defs:
        if not d.pos and not d.comp_pos:
            continue
        pos = np.asarray(d.pos + d.comp_pos, dtype=np.int64)
        mat = _gather(buf, pos, d.size)
        emitted = _record_columns(d, mat, pos, pending)
        if d.comp_pos:
            ts = np.full(pos.size, np.nan)
            ts[len(d.pos) :] = [stamps[q] for q in d.comp_pos]
            emitted.append(("timestamp", ts, np.isfinite(ts)))
        per_def.append((pos, emitted))
    _accumulate(pending, acc_resets)
    if not per_def:
        return {}, {}
    total = sum(pos.size for pos, _ in per_def)
    all_pos = np.concatenate([pos for pos, _ in per_def])
    order = np.argsort(all_pos, kind="stable")
    columns: dict[Any, NDArray[np.float64]] = {}
    present: dict[Any, NDArray[np.bool_]] = {}
    start = 0
    for pos, emitted in per_def:
        last: dict[Any, tuple[Any, Any]] = {}
        for name, value, there in emitted:
            last[name] = (value, there)
        for name, (value, there) in last.items():
            if name not in columns:
                columns[name] = np.full(total, np.nan)
                present[name] = np.zeros(total, dtype=bool)
            columns[name][start : start + pos.size] = value.value if isinstance(value, _Pending) else value
            present[name][start : start + pos.size] = there
        start += pos.size
    names = [name for name in columns if name is not None]
    return {str(k): columns[k][order] for k in names}, {str(k): present[k][order] for k in names}


def _enum_mask(values: NDArray[Any], enum: dict[Any, Any] | None) -> NDArray[np.bool_] | None:
    """Where fitdecode would render a value as an enum name (text, not a number), or ``None``."""
    if not enum:
        return None
    keys = np.array([k for k in enum if isinstance(k, int | float) and not isinstance(k, bool)], dtype=float)
    return np.isin(values.astype(float), keys) if keys.size else None


def _record_columns(
    d: _Def, mat: NDArray[np.uint8], pos: NDArray[np.int64], pending: list[_Pending]
) -> list[tuple[Any, Any, Any]]:
    """Return the (name, column, not-None mask) of one record definition's fields, in fitdecode's order."""
    from fitdecode import types

    invalid = _invalid_table()
    byte_id = types.BASE_TYPE_BYTE.identifier
    out: list[tuple[Any, Any, Any]] = []
    n = pos.size
    off = 1
    for i, (fd, used) in enumerate(zip([*d.field_defs, *d.dev_defs], d.consume, strict=True)):
        sub = np.ascontiguousarray(mat[:, off : off + used])
        off += used
        bt = fd.base_type
        count = used // bt.size
        is_dev = i >= len(d.field_defs)
        fld = fd.field
        name = fd.name if not is_dev else (fld.name if fld is not None else None)
        numeric = bt.fmt != "s" and bt.identifier != byte_id
        raw: NDArray[Any] | None = None
        valid: NDArray[np.bool_] | None = None
        if numeric:
            arr = sub.view(np.dtype(d.endian + bt.fmt))
            valid_all = ~np.isnan(arr) if bt.fmt in "fd" else arr != invalid[bt.identifier]
            if count == 1:
                raw, valid = arr[:, 0], valid_all[:, 0]
        if not is_dev and fld is not None:
            if fld.subfields:
                raise FallbackNeeded(f"record field {fld.name} with sub-fields")
            if fld.components:
                for comp in fld.components:
                    emitted = _component(d, fd, comp, sub, raw, valid, bt, pos, pending)
                    if emitted is not None:
                        out.append(emitted)
        if not is_dev and fd.def_num == _TIMESTAMP and raw is None:
            raise FallbackNeeded("record timestamp that is not one number")
        if raw is None or valid is None:
            # fitdecode's value is text, bytes or a tuple: None for empty text and all-0xFF bytes only
            if bt.fmt == "s":
                there = sub[:, 0] != 0
            elif bt.identifier == byte_id:
                there = ~(sub == 0xFF).all(axis=1)
            else:
                there = np.ones(n, dtype=bool)
            out.append((name, np.full(n, np.nan), there))
            continue
        value = raw.astype(np.float64)
        if not is_dev and fld is not None:
            text = _enum_mask(raw, getattr(fld.type, "enum", None))
            if fld.scale:
                value = value / fld.scale
            if fld.offset:
                value = value - fld.offset
            tname = fld.type.name
            there = valid
            if tname == "bool":
                value = np.where(value != 0, 1.0, 0.0)
            elif tname in _NON_NUMERIC_TYPES:
                valid = np.zeros(n, dtype=bool)
            elif tname in _DATE_TYPES and (bt.size > 4 or bt.fmt in "fd"):
                raise FallbackNeeded("date field wider than 32 bits")
            if text is not None:
                valid = valid & ~text
            out.append((name, np.where(valid, value, np.nan), there))
            continue
        out.append((name, np.where(valid, value, np.nan), valid))
    return out


def _component(
    d: _Def,
    fd: Any,
    comp: Any,
    sub: NDArray[np.uint8],
    raw: NDArray[Any] | None,
    valid: NDArray[np.bool_] | None,
    bt: Any,
    pos: NDArray[np.int64],
    pending: list[_Pending],
) -> tuple[str, Any, Any] | None:
    """One component field of a record field (``ComponentField.render`` + scale/offset, vectorized)."""
    from fitdecode import types

    if bt.identifier == types.BASE_TYPE_BYTE.identifier:
        nbytes = sub.shape[1]
        if comp.bit_offset and comp.bit_offset >= nbytes * 8:
            return None  # fitdecode skips this component (ValueError)
        if nbytes > 7:
            raise FallbackNeeded("component of a byte array wider than 56 bits")
        weights = (np.int64(1) << (8 * np.arange(nbytes, dtype=np.int64))).astype(np.int64)
        source = (sub.astype(np.int64) * weights).sum(axis=1)
        ok = ~(sub == 0xFF).all(axis=1)
    elif raw is not None and valid is not None and bt.fmt in "bBhHiI":
        source, ok = raw.astype(np.int64), valid
    else:
        raise FallbackNeeded(f"component of a {bt.name} field")
    bits = int(comp.bits)
    cmp_raw = (source >> int(comp.bit_offset or 0)) & ((1 << bits) - 1)
    cmp_field = d.mesg_type.fields[comp.def_num]
    if cmp_field.subfields:
        raise FallbackNeeded(f"component {cmp_field.name} with sub-fields")
    if comp.accumulate:
        job = _Pending(comp.def_num, bits, pos, cmp_raw, ok, comp, cmp_field)
        pending.append(job)
        return (cmp_field.name, job, ok)
    return (cmp_field.name, _component_value(cmp_raw, ok, comp, cmp_field), ok)


def _component_value(
    cmp_raw: NDArray[np.int64], ok: NDArray[np.bool_], comp: Any, cmp_field: Any
) -> NDArray[np.float64]:
    value = cmp_raw.astype(np.float64)
    if comp.scale:
        value = value / comp.scale
    if comp.offset:
        value = value - comp.offset
    text = _enum_mask(value, getattr(cmp_field.type, "enum", None))
    if text is not None:
        ok = ok & ~text
    if cmp_field.type.name in _NON_NUMERIC_TYPES:
        ok = np.zeros_like(ok)
    elif cmp_field.type.name == "bool":
        value = np.where(value != 0, 1.0, 0.0)
    return np.where(ok, value, np.nan)


def _accumulate(pending: list[_Pending], acc_resets: dict[int, list[int]]) -> None:
    """Run fitdecode's accumulators for record components (reset by each definition), as cumulative sums."""
    by_num: dict[int, list[_Pending]] = {}
    for job in pending:
        by_num.setdefault(job.def_num, []).append(job)
    for def_num, jobs in by_num.items():
        if len({j.bits for j in jobs}) != 1:
            raise FallbackNeeded("one accumulated field from components of different widths")
        modulo = 1 << jobs[0].bits
        resets = np.asarray(acc_resets.get(def_num, []), dtype=np.int64)
        pos = np.concatenate([resets, *[j.pos[j.valid] for j in jobs]])
        if np.unique(pos).size != pos.size:
            raise FallbackNeeded("two accumulated components in one message")
        raw = np.concatenate([np.zeros(resets.size, dtype=np.int64), *[j.raw[j.valid] for j in jobs]])
        is_reset = np.zeros(pos.size, dtype=bool)
        is_reset[: resets.size] = True
        order = np.argsort(pos, kind="stable")
        pos, raw, is_reset = pos[order], raw[order], is_reset[order]
        prev = np.concatenate([[0], raw[:-1]])
        step = np.where(is_reset, 0, (raw - prev) % modulo)
        seg = np.maximum.accumulate(np.where(is_reset, np.arange(pos.size), 0))
        csum = np.cumsum(step)
        acc = csum - csum[seg]  # from 0 at the segment's reset (or the file start)
        value_at = dict(zip(pos[~is_reset].tolist(), acc[~is_reset].tolist(), strict=True))
        for j in jobs:
            full = np.zeros(j.pos.size, dtype=np.int64)
            if j.valid.any():
                full[j.valid] = [value_at[q] for q in j.pos[j.valid].tolist()]
            j.value = _component_value(full, j.valid, j.comp, j.cmp_field)
