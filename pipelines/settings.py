"""Settings, read from the environment in one place (prefix ``DTP_``).

| name               | default                  | meaning                                        |
|--------------------|--------------------------|------------------------------------------------|
| DTP_RAW_DIR        | data/raw                 | folder of the contract's input CSVs            |
| DTP_WAREHOUSE      | data/warehouse.duckdb    | the DuckDB warehouse file                      |
| DTP_SUPPRESS_BELOW | 5                        | disclosure control: counts 1..N-1 suppressed   |
| DTP_EDITION        | internal                 | internal (sign-in, roles) or public (no sign-in)|
| DTP_ACCESS_FILE    | config/access.toml       | who holds which role (with [auth] configured)   |
| DTP_AUDIT_LOG      | data/audit.jsonl         | the append-only audit trail (JSON Lines)        |
| DTP_PDF_FONT       | (none: system IPAex)     | Japanese .ttf the briefing PDF embeds          |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
    try:
        suppress = int(os.environ.get("DTP_SUPPRESS_BELOW", "5"))
    except ValueError:
        suppress = 5
    return Settings(
        raw_dir=_path(os.environ.get("DTP_RAW_DIR", "data/raw")),
        warehouse=_path(os.environ.get("DTP_WAREHOUSE", "data/warehouse.duckdb")),
        suppress_below=max(suppress, 1),
        pdf_font=_path(os.environ["DTP_PDF_FONT"]) if os.environ.get("DTP_PDF_FONT") else None,
    )


EDITIONS = ("internal", "public")


class EditionError(ValueError):
    """DTP_EDITION holds something other than ``internal`` or ``public``."""


def edition() -> str:
    """``internal`` (default: sign-in and roles) or ``public`` (no sign-in, publication data
    only). Anything else raises :class:`EditionError`: the dashboard then serves no data."""
    value = os.environ.get("DTP_EDITION", "internal").strip().lower() or "internal"
    if value not in EDITIONS:
        raise EditionError(f"DTP_EDITION must be one of {', '.join(EDITIONS)}")
    return value


def access_file() -> Path:
    return _path(os.environ.get("DTP_ACCESS_FILE", "config/access.toml"))


def audit_log() -> Path:
    return _path(os.environ.get("DTP_AUDIT_LOG", "data/audit.jsonl"))
