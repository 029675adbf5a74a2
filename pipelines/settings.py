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
| DTP_DELIVERIES     | data/deliveries          | the delivery store (issue 22): deliveries,     |
|                    |                          | every live version, files by sha256 (0700);    |
|                    |                          | for a warehouse elsewhere than the default     |
|                    |                          | path: `<its file>.deliveries` beside it        |
| DTP_VERSIONS_KEEP  | 24                       | live versions kept (the newest N; an integer   |
|                    |                          | >= 2)                                          |
| DTP_REJECTED_DAYS  | 30                       | rejected/withdrawn deliveries deleted after N   |
|                    |                          | days (0: never)                                |
| DTP_UPLOAD_MAX_MB  | 1024                     | largest delivery file (and unpacked zip), MB;  |
|                    |                          | keep equal to server.maxUploadSize             |
| DTP_DRAFTS         | data/drafts              | planners' draft plan revisions, one file per   |
|                    |                          | user (folder 0700, files 0600)                 |
| DTP_ROLLUP_STORE   | (none: no inbox)         | the roll-up store the roll-up edition's inbox  |
|                    |                          | accepts packs into (issue 24); its file        |
|                    |                          | DTP_WAREHOUSE is rebuilt from it after each    |
|                    |                          | pack accepted                                  |
| DTP_RELEASES       | data/releases            | the release register (internal): every release |
|                    |                          | `publish` made, protected together             |
| DTP_PUBLIC_CACHE   | public-cache/ next to    | the public edition's protected files made from |
|                    | DTP_WAREHOUSE            | a warehouse (release.public; 0700, a worker)   |

The executive digest (``python -m dashboard digest``; :func:`mail_settings`):

| name                   | default                  | meaning                                    |
|------------------------|--------------------------|--------------------------------------------|
| DTP_SUBSCRIPTIONS      | config/subscriptions.toml| who gets the digest (lang, bureaus, freq.) |
| DTP_DIGEST_STATE       | data/digest-state.json   | what was last sent to whom (version)       |
| DTP_DIGEST_AUTO        | on                       | a new live version of DTP_WAREHOUSE starts |
|                        |                          | the digest (off: only by command / timer)  |
| DTP_PUBLIC_URL         | (none: no link)          | the dashboard's address, for the mail link |
| DTP_SMTP_HOST          | localhost                | the mail server                            |
| DTP_SMTP_PORT          | 25                       | its port (1..65535)                        |
| DTP_SMTP_SECURITY      | starttls                 | starttls, ssl (implicit TLS) or none       |
| DTP_SMTP_USER          | (none: no login)         | the SMTP login                             |
| DTP_SMTP_PASSWORD_FILE | (none)                   | a file holding the password (never the     |
|                        |                          | password itself in the environment)        |
| DTP_MAIL_FROM          | (required to send)       | the From address                           |
| DTP_PACK_MAX_FILE_MB | 64                     | roll-up intake: largest file of a pack (MiB)   |
| DTP_PACK_MAX_MB    | 256                      | roll-up intake: largest pack, all files (MiB)  |
| DTP_PACK_MAX_ROWS  | 200000                   | roll-up intake: most rows of a pack's table    |
| DTP_ROLLUP_KEYS    | (none: no signature rule)| the central keys file (TOML: organisation →    |
|                    |                          | Ed25519 public keys): registered organisations' |
|                    |                          | packs must be signed (rollup, accept, inbox)   |

The pack limits (:func:`pack_limits`) are checked with ``lstat``/``fstat`` before any file of a
pack is parsed; how they were chosen is in docs/ROLLUP.md ("Limits"). The central body raises
them with the variables above.
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


def releases_dir() -> Path:
    """The release register (release/register.py; docs/DISCLOSURE.md "Over time")."""
    return _path(os.environ.get("DTP_RELEASES", "data/releases"))


def audit_log() -> Path:
    return _path(os.environ.get("DTP_AUDIT_LOG", "data/audit.jsonl"))


# --- the executive digest (issue 25) ----------------------------------------------------------

SMTP_SECURITY = ("starttls", "ssl", "none")


def subscriptions_file() -> Path:
    return _path(os.environ.get("DTP_SUBSCRIPTIONS", "config/subscriptions.toml"))


def digest_state() -> Path:
    return _path(os.environ.get("DTP_DIGEST_STATE", "data/digest-state.json"))


def digest_auto() -> bool:
    """Whether a new live version starts the digest (``DTP_DIGEST_AUTO``: on by default,
    ``off`` / ``0`` / ``false`` / ``no`` turns it off)."""
    return os.environ.get("DTP_DIGEST_AUTO", "on").strip().lower() not in (
        "off", "0", "false", "no")


def public_url() -> str | None:
    """The dashboard's address as readers open it (``https://…``), for the digest's link;
    None when unset. Anything but an http(s) URL is a :class:`SettingsError`."""
    value = os.environ.get("DTP_PUBLIC_URL", "").strip()
    if not value:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment or any(c.isspace() for c in value):
        raise SettingsError(f"DTP_PUBLIC_URL must be an http(s) address without a query, "
                            f"got {value!r}")
    return value


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    security: str  # starttls | ssl | none
    user: str | None
    password_file: Path | None
    sender: str | None  # DTP_MAIL_FROM

    def password(self) -> str | None:
        """The password, read from its file when needed (one line; the newline dropped)."""
        if self.password_file is None:
            return None
        try:
            return self.password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"DTP_SMTP_PASSWORD_FILE {self.password_file}: cannot be read "
                                f"({type(exc).__name__})") from None


def mail_settings() -> MailSettings:
    """The SMTP settings (read afresh). A bad port or security, or a user without a password
    file, is a :class:`SettingsError` naming the variable."""
    port_text = os.environ.get("DTP_SMTP_PORT", "25").strip()
    if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise SettingsError(f"DTP_SMTP_PORT must be a port number (1..65535), got {port_text!r}")
    security = os.environ.get("DTP_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SMTP_SECURITY:
        raise SettingsError(f"DTP_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, "
                            f"got {security!r}")
    user = os.environ.get("DTP_SMTP_USER", "").strip() or None
    pw = os.environ.get("DTP_SMTP_PASSWORD_FILE", "").strip()
    if user and not pw:
        raise SettingsError("DTP_SMTP_USER is set but DTP_SMTP_PASSWORD_FILE is not (the "
                            "password is read from a file)")
    sender = os.environ.get("DTP_MAIL_FROM", "").strip() or None
    return MailSettings(host=os.environ.get("DTP_SMTP_HOST", "").strip() or "localhost",
                        port=int(port_text), security=security, user=user,
                        password_file=_path(pw) if pw else None, sender=sender)


def _int_setting(name: str, default: int, minimum: int) -> int:
    text = os.environ.get(name, str(default)).strip()
    if not text.isascii() or not text.isdigit() or int(text) < minimum:
        raise SettingsError(f"{name} must be an integer of at least {minimum}, got {text!r}")
    return int(text)


def deliveries(warehouse: Path | None = None) -> Path:
    """The delivery store of ``warehouse`` (default: DTP_WAREHOUSE): DTP_DELIVERIES if set;
    else ``data/deliveries`` for the default warehouse ``data/warehouse.duckdb`` and
    ``<file>.deliveries`` beside any other (so tests, benchmarks and scratch warehouses never
    write into the repository's store)."""
    if os.environ.get("DTP_DELIVERIES"):
        return _path(os.environ["DTP_DELIVERIES"])
    w = Path(os.path.realpath(warehouse if warehouse is not None else get_settings().warehouse))
    if w == Path(os.path.realpath(_path("data/warehouse.duckdb"))):
        return _path("data/deliveries")
    return w.with_name(w.name + ".deliveries")


def versions_keep() -> int:
    return _int_setting("DTP_VERSIONS_KEEP", 24, 2)


def rejected_days() -> int:
    return _int_setting("DTP_REJECTED_DAYS", 30, 0)


def upload_max_bytes() -> int:
    return _int_setting("DTP_UPLOAD_MAX_MB", 1024, 1) * 1024 * 1024


def drafts_dir() -> Path:
    """Where each planner's draft revision is kept (the 計画の改定案 page, issue 26)."""
    return _path(os.environ.get("DTP_DRAFTS", "data/drafts"))


def rollup_store() -> Path | None:
    """The roll-up store of the roll-up edition's inbox (DTP_ROLLUP_STORE), or None."""
    text = os.environ.get("DTP_ROLLUP_STORE", "").strip()
    return _path(text) if text else None


# --- the roll-up's intake (release/intake.py; docs/ROLLUP.md "Limits") ---------------------------
# From the largest plausible ministry with 10x headroom: MIC's pack (12 bureaus, FY2016-2026)
# has 1,870 kpi rows and a 0.2 MB kpi.csv, a 7 MB public.duckdb; a ministry with 60 bureaus and
# 20 FYs has ~19,000 kpi rows (~2 MB) and a public.duckdb of ~30 MB.
PACK_MAX_FILE_MB = 64
PACK_MAX_MB = 256
PACK_MAX_ROWS = 200_000
PACK_MAX_FILES = 64  # a pack has ~13 files (one CSV per dataset, XLSX, public file, README)
PACK_MAX_META_BYTES = 1 << 20  # publication.json (and publication.sig): a few KB
# The earliest fiscal year a pack may hold: the ministries as they are now exist since the
# central government reorganisation of 6 January 2001 (FY2000's last quarter), so FY2001 is the
# first fiscal year any of them can report on.
EARLIEST_FY = 2001


@dataclass(frozen=True)
class PackLimits:
    """What the roll-up's intake accepts before it reads a pack (checked with stat first)."""

    max_file_bytes: int = PACK_MAX_FILE_MB << 20
    max_pack_bytes: int = PACK_MAX_MB << 20
    max_rows: int = PACK_MAX_ROWS
    max_files: int = PACK_MAX_FILES
    max_meta_bytes: int = PACK_MAX_META_BYTES
    earliest_fy: int = EARLIEST_FY


def _positive(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name} must be a positive integer, got {text!r}")
    return int(text)


def pack_limits() -> PackLimits:
    """The intake limits, the defaults above raised (or lowered) by DTP_PACK_MAX_FILE_MB,
    DTP_PACK_MAX_MB and DTP_PACK_MAX_ROWS."""
    return PackLimits(max_file_bytes=_positive("DTP_PACK_MAX_FILE_MB", PACK_MAX_FILE_MB) << 20,
                      max_pack_bytes=_positive("DTP_PACK_MAX_MB", PACK_MAX_MB) << 20,
                      max_rows=_positive("DTP_PACK_MAX_ROWS", PACK_MAX_ROWS))


def rollup_keys() -> Path | None:
    """The central keys file of signed packs (DTP_ROLLUP_KEYS; release/signing.py), or None:
    then no pack needs a signature."""
    text = os.environ.get("DTP_ROLLUP_KEYS", "").strip()
    return _path(text) if text else None
