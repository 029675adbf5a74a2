"""Uploaded files made safe before anything reads them (issue 22, item 8): one clear line per
problem, nothing stored when there is one.

- a delivery is any subset of the contract's files, as CSVs or one ``.zip`` of them (a zip may
  keep them in one folder); the sample's ``SAMPLE_MANIFEST.json`` and the optional
  ``organisation.csv`` travel with them;
- refused: a file that is not CSV (by name, or binary content such as a spreadsheet renamed),
  a name not in the contract, the same file twice, a file over the upload limit
  (``DTP_UPLOAD_MAX_MB``, equal to Streamlit's ``server.maxUploadSize``);
- zips: no absolute paths or ``..``, no links, no nested zips, no more than 100× expansion,
  no more than the upload limit unpacked; members are read with a bounded read (a header
  that lies about its size cannot unpack more).

The roll-up inbox may reuse ``check_zip_names``/``read_zip`` for its packs.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from pipelines.schema import TABLES

CONTRACT_FILES = tuple(t.file for t in TABLES)
EXTRAS = ("SAMPLE_MANIFEST.json", "organisation.csv")  # kept with a raw set, not validated here
MAX_EXPANSION = 100
ZIP_MAGIC = b"PK\x03\x04"


class Rejected(Exception):
    """The upload cannot be taken: ``lines``, one clear line per problem."""

    def __init__(self, lines: list[str] | str) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("; ".join(self.lines))


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def _unsafe_path(name: str) -> str | None:
    """Why a zip member's path is refused, or None."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return "a path leaving the folder (..)"
    if len([p for p in parts if p not in (".", "")]) > 2:
        return "a path more than one folder deep"
    return None


def check_zip_names(zf: zipfile.ZipFile, label: str, limit: int, packed: int) -> list[str]:
    """Problems of a zip's table of contents (paths, links, nesting, sizes)."""
    problems = []
    total = 0
    for info in zf.infolist():
        name = info.filename
        why = _unsafe_path(name)
        if why:
            problems.append(f"{label}: {name!r} is {why}; refused")
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            problems.append(f"{label}: {name!r} is a link; refused")
            continue
        if info.is_dir():
            continue
        if name.lower().endswith((".zip", ".jar", ".7z", ".gz", ".tar")):
            problems.append(f"{label}: {name!r} is an archive inside the zip (nested "
                            "archives are refused)")
        total += info.file_size
        if info.file_size > limit:
            problems.append(f"{label}: {name!r} unpacks to {_mb(info.file_size)}, more than "
                            f"the upload limit of {_mb(limit)}")
    if total > MAX_EXPANSION * max(packed, 1):
        problems.append(f"{label}: unpacks to {_mb(total)}, more than {MAX_EXPANSION}× its "
                        f"{_mb(packed)} (refused as a zip bomb)")
    elif total > limit:
        problems.append(f"{label}: unpacks to {_mb(total)}, more than the upload limit of "
                        f"{_mb(limit)}")
    return problems


def read_zip(label: str, data: bytes, limit: int,
             office: tuple[str, ...] = ()) -> list[tuple[str, bytes]]:
    """The files of a zip (base names), after ``check_zip_names``; raises :class:`Rejected`.
    ``office``: file endings whose members are themselves zip containers by format (the roll-up
    inbox's packs hold ``publication.xlsx``); any other zip inside is refused."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise Rejected(f"{label}: not a readable zip file ({exc})") from None
    with zf:
        problems = check_zip_names(zf, label, limit, len(data))
        if problems:
            raise Rejected(problems)
        out = []
        for info in zf.infolist():
            if info.is_dir():
                continue
            try:
                with zf.open(info) as fh:
                    body = fh.read(info.file_size + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
                raise Rejected(f"{label}: {info.filename!r} cannot be unpacked ({exc})") from None
            if len(body) > info.file_size:
                raise Rejected(f"{label}: {info.filename!r} unpacks to more than its header "
                               "says; refused")
            if body.startswith(ZIP_MAGIC) and not info.filename.lower().endswith(office):
                raise Rejected(f"{label}: {info.filename!r} is a zip inside the zip (nested "
                               "archives are refused)")
            out.append((f"{label}/{info.filename}", body))
    return out


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    return b"\x00" in head or head.startswith(ZIP_MAGIC)


def check_file(label: str, name: str, size: int, head: bytes, limit: int) -> str | None:
    """Why one file is refused (not CSV, unknown name, too large), or None."""
    if size > limit:
        return f"{label}: {_mb(size)}, more than the upload limit of {_mb(limit)}"
    if name in EXTRAS:
        return None
    if not name.lower().endswith(".csv"):
        return (f"{label}: not a CSV file (a delivery is CSV files named as in the contract, "
                "or one .zip of them)")
    if name not in CONTRACT_FILES:
        return (f"{label}: {name} is not a file of the contract (expected one of: "
                f"{', '.join(CONTRACT_FILES)})")
    if _looks_binary(head):
        return f"{label}: not a CSV file (binary content, e.g. a spreadsheet renamed .csv)"
    return None


def unpack(uploads: Iterable[tuple[str, bytes]], limit: int) -> dict[str, bytes]:
    """``[(uploaded name, bytes)]`` → ``{contract file name: bytes}``; a ``.zip`` is opened.
    Raises :class:`Rejected` with every problem found."""
    files: list[tuple[str, str, bytes]] = []  # (label, base name, data)
    problems: list[str] = []
    items = list(uploads)
    if not items:
        raise Rejected("no file was uploaded")
    for raw_name, data in items:
        base = Path(raw_name.replace("\\", "/")).name
        if base.lower().endswith(".zip"):
            if len(data) > limit:
                problems.append(f"{base}: {_mb(len(data))}, more than the upload limit of "
                                f"{_mb(limit)}")
                continue
            try:
                members = read_zip(base, data, limit)
            except Rejected as exc:
                problems.extend(exc.lines)
                continue
            files.extend((label, Path(label).name, body) for label, body in members)
        else:
            files.append((base, base, data))
    seen: dict[str, str] = {}
    out: dict[str, bytes] = {}
    for label, name, data in files:
        why = check_file(label, name, len(data), data, limit)
        if why:
            problems.append(why)
            continue
        if name in seen:
            problems.append(f"{name}: given twice ({seen[name]} and {label}); deliver each "
                            "file once")
            continue
        seen[name] = label
        out[name] = data
    if problems:
        raise Rejected(problems)
    if not out:
        raise Rejected("the upload holds no file of the contract")
    return out


def count_rows(data: bytes) -> int:
    """Data rows of a CSV as written (lines after the header; a last line without a newline
    counts). The build's exact count replaces it once the file is read."""
    if not data:
        return 0
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return max(lines - 1, 0)
