"""One format-detection step: which family of file a path holds, from its first bytes.

:func:`sniff_family` looks at content, not names: a FIT header, a zip holding an ActiGraph ``info.txt``, an
Axivity ``MD`` header block, a GENEActiv ``Device Identity`` text header, a MATLAB MAT-file header, or text.
The loader (:mod:`cadence.pipeline`) dispatches on the answer; text files are told apart further by
:func:`cadence.readers.accel_csv.sniff_csv` (phyphox, ActiLife, Empatica, SensorLog, ...).
"""

from __future__ import annotations

import os
import zipfile

from ..errors import InputFormatError

__all__ = ["FAMILY_LABELS", "sniff_family"]

#: every family the sniff can name, with what a user would call it
FAMILY_LABELS = {
    "fit": "FIT activity file",
    "actigraph_gt3x": "ActiGraph .gt3x",
    "axivity_cwa": "Axivity .cwa",
    "geneactiv_bin": "GENEActiv .bin",
    "matlab_mat": "MATLAB MAT-file",
    "phyphox_zip": "phyphox zip export",
    "zip": "zip archive",
    "text": "text (CSV) export",
    "binary": "unknown binary file",
}


def sniff_family(path: str | os.PathLike[str]) -> str:
    """Name the family of ``path`` (a key of :data:`FAMILY_LABELS`) from its content.

    Raises
    ------
    InputFormatError
        The file does not exist, is a folder, or cannot be read.
    """
    spath = os.fspath(path)
    try:
        with open(spath, "rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise InputFormatError(spath, "no such file") from None
    except IsADirectoryError:
        raise InputFormatError(spath, "is a folder, not a file") from None
    except OSError as exc:
        raise InputFormatError(spath, f"cannot be read ({exc.strerror or exc})") from None
    if len(head) >= 12 and head[8:12] == b".FIT":
        return "fit"
    if head.startswith(b"PK\x03\x04"):
        return _zip_family(spath)
    if head.startswith(b"MD") and len(head) >= 4 and int.from_bytes(head[2:4], "little") in (0xFFFC, 1020):
        return "axivity_cwa"
    if head.startswith(b"Device Identity"):
        return "geneactiv_bin"
    if head.startswith(b"MATLAB") and b"MAT-file" in head[:116]:
        return "matlab_mat"
    if b"\x00" in head:
        return "binary"
    return "text"


def _zip_family(spath: str) -> str:
    try:
        with zipfile.ZipFile(spath) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip"
    if "info.txt" in names and ("log.bin" in names or "activity.bin" in names):
        return "actigraph_gt3x"
    if "Raw Data.csv" in names:
        return "phyphox_zip"
    return "zip"
