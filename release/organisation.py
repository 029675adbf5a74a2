"""Who published a pack: the organisation's code and its names in Japanese and English.

``python -m pipelines publish --organisation CODE [--organisation-name-ja …]
[--organisation-name-en …]`` records it in ``publication.json`` and in every file of the
pack; names not given on the command line come from an optional ``organisation.csv`` in the
raw folder (one row: ``organisation_code,name_ja,name_en``; UTF-8, BOM or CP932 like the
contract's files). A code is 2 to 16 capital letters, digits or hyphens, starting with a
letter; ``ALL`` is the roll-up's government-wide row and cannot be an organisation.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

FILE = "organisation.csv"
COLUMNS = ("organisation_code", "name_ja", "name_en")
ALL = "ALL"  # the roll-up's government-wide rows
CODE_RE = re.compile(r"[A-Z][A-Z0-9-]{1,15}")


class OrganisationError(ValueError):
    """An organisation code or organisation.csv this program cannot use (a clear message)."""


@dataclass(frozen=True)
class Organisation:
    code: str
    name_ja: str | None = None
    name_en: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"code": self.code, "name_ja": self.name_ja, "name_en": self.name_en}


def check_code(code: object) -> str:
    """``code`` if it is a valid organisation code, else :class:`OrganisationError`."""
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        raise OrganisationError(
            f"organisation code {code!r}: 2 to 16 capital letters, digits or hyphens, "
            "starting with a letter (e.g. MIC)")
    if code == ALL:
        raise OrganisationError(f"organisation code {ALL!r} is reserved for the roll-up's "
                                "government-wide rows")
    return code


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")


def read_file(raw_dir: Path) -> Organisation | None:
    """The organisation in ``raw_dir/organisation.csv``; None if there is no such file."""
    path = raw_dir / FILE
    if not path.is_file():
        return None
    try:
        rows = list(csv.reader(io.StringIO(_decode(path.read_bytes()))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise OrganisationError(f"{path}: cannot be read as CSV ({exc})") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
        raise OrganisationError(f"{path}: the header must be {','.join(COLUMNS)}")
    if len(rows) != 2:
        raise OrganisationError(f"{path}: exactly one organisation row expected, "
                                f"found {len(rows) - 1}")
    if len(rows[1]) != len(COLUMNS):
        raise OrganisationError(f"{path}: row 2 has {len(rows[1])} fields, expected 3")
    code, ja, en = (c.strip() for c in rows[1])
    try:
        check_code(code)
    except OrganisationError as exc:
        raise OrganisationError(f"{path}, row 2: {exc}") from None
    return Organisation(code, ja or None, en or None)


def resolve(code: str | None, name_ja: str | None, name_en: str | None,
            raw_dir: Path | None) -> Organisation | None:
    """The organisation of a publish run: the command line's, completed from organisation.csv
    (whose code must then be the same); None if neither names one."""
    listed = read_file(raw_dir) if raw_dir is not None else None
    if code is None:
        if name_ja or name_en:
            raise OrganisationError("--organisation-name-ja/-en need --organisation CODE")
        return listed
    check_code(code)
    if listed is not None and listed.code != code:
        raise OrganisationError(f"--organisation {code} but {raw_dir / FILE} names "
                                f"{listed.code}")
    base = listed or Organisation(code)
    return Organisation(code, name_ja or base.name_ja, name_en or base.name_en)
