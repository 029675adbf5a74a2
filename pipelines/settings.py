"""Settings, read from the environment in one place (prefix ``DTP_``).

| name               | default                  | meaning                                        |
|--------------------|--------------------------|------------------------------------------------|
| DTP_RAW_DIR        | data/raw                 | folder of the contract's input CSVs            |
| DTP_WAREHOUSE      | data/warehouse.duckdb    | the DuckDB warehouse file                      |
| DTP_SUPPRESS_BELOW | 5                        | disclosure control: counts 1..N-1 suppressed;  |
|                    |                          | an integer >= 2, anything else is an error     |
| DTP_EDITION        | internal                 | internal (sign-in, roles), public (no sign-in)  |
|                    |                          | or rollup (DTP_WAREHOUSE = a roll-up file)      |
| DTP_ACCESS_FILE    | config/access.toml       | who holds which role (with [auth] configured)   |
| DTP_AUDIT_LOG      | data/audit.jsonl         | the append-only audit trail (JSON Lines)        |
| DTP_PDF_FONT       | (none: system IPAex)     | Japanese .ttf the briefing PDF embeds          |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


MIN_SUPPRESS_BELOW = 2  # a threshold of 1 would suppress nothing
EDITIONS = ("internal", "public", "rollup")


class SettingsError(ValueError):
    """A setting in the environment has a value this program cannot use (a clear message)."""


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    suppress_below: int
    pdf_font: Path | None = None  # the briefing pack's PDF font (issue 9)


def _path(value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else ROOT / p


def get_settings() -> Settings:
    """Read the settings afresh (tests change the environment between calls)."""
    return Settings(
        raw_dir=_path(os.environ.get("DTP_RAW_DIR", "data/raw")),
        warehouse=_path(os.environ.get("DTP_WAREHOUSE", "data/warehouse.duckdb")),
        suppress_below=suppress_below(os.environ.get("DTP_SUPPRESS_BELOW", "5")),
        pdf_font=_path(os.environ["DTP_PDF_FONT"]) if os.environ.get("DTP_PDF_FONT") else None,
    )


def suppress_below(text: str, name: str = "DTP_SUPPRESS_BELOW") -> int:
    """The disclosure threshold: an integer ≥ 2 written as one (``5``, not ``5.0``)."""
    t = text.strip()
    if not t.isascii() or not t.isdigit() or int(t) < MIN_SUPPRESS_BELOW:
        raise SettingsError(
            f"{name} must be an integer of at least {MIN_SUPPRESS_BELOW} (counts 1 to N−1 are "
            f"suppressed), got {text!r}")
    return int(t)


class EditionError(SettingsError):
    """DTP_EDITION holds something other than ``internal``, ``public`` or ``rollup``."""


def edition() -> str:
    """``internal`` (default: sign-in and roles), ``public`` (no sign-in, publication data
    only) or ``rollup`` (the government-wide roll-up of ``python -m pipelines rollup``: sign-in
    and roles as internal, DTP_WAREHOUSE = the roll-up file). Anything else raises
    :class:`EditionError`: the dashboard then serves no data."""
    value = os.environ.get("DTP_EDITION", "internal").strip().lower() or "internal"
    if value not in EDITIONS:
        raise EditionError(f"DTP_EDITION must be one of {', '.join(EDITIONS)}, got {value!r}")
    return value


def access_file() -> Path:
    return _path(os.environ.get("DTP_ACCESS_FILE", "config/access.toml"))


def audit_log() -> Path:
    return _path(os.environ.get("DTP_AUDIT_LOG", "data/audit.jsonl"))
