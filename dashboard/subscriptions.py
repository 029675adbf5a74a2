"""Who gets the executive digest, and what each of them was last sent.

* **The subscriptions file** (``DTP_SUBSCRIPTIONS``, TOML, default
  ``config/subscriptions.toml``; ``config/subscriptions.example.toml`` is the committed
  example). Checked like the access file (``dashboard/access.py``): anything it does not know
  makes the whole file invalid, with one line naming the file, the recipient and the key —
  never a digest to a half-read list::

      [[recipient]]
      email = "taro.suzuki@example.go.jp"
      lang = "ja"                 # ja | en
      bureaus = ["ICB"]           # optional: the codes of ?bureau=; none = ministry-wide
      frequency = "on_change"     # on_change | monthly

  An address appears once (compared case-insensitively). Whether a bureau code exists is
  checked against the warehouse when the digest runs (:func:`check_bureaus`).
* **The digest state** (``DTP_DIGEST_STATE``, JSON, default ``data/digest-state.json``): per
  recipient, the version of the data last sent, its run id, when, and the message id. It is
  rewritten after every mail sent (temporary file, fsync, ``os.replace``), so a run cut off
  half-way resends nothing already sent; :func:`locked` keeps two digest runs from
  interleaving.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import tempfile
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipelines import settings
from release import i18n

FREQUENCIES = ("on_change", "monthly")
KEYS = ("email", "lang", "bureaus", "frequency")
REQUIRED = ("email", "lang", "frequency")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # the form of a bureau code in ?bureau=
# an address as one mailbox: no display name, no comments, no quoting, ASCII, one "@", a
# domain of letters/digits/hyphens labels (header injection needs none of CR, LF, ",", "<")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
STATE_FORMAT = 1


class SubscriptionsError(ValueError):
    """The subscriptions file is missing or invalid (one line: file, recipient, key)."""


class StateError(RuntimeError):
    """The digest state cannot be read, written or locked."""


@dataclass(frozen=True)
class Recipient:
    email: str
    lang: str
    bureaus: tuple[str, ...] | None  # None: ministry-wide
    frequency: str

    @property
    def key(self) -> str:
        """The address as the state keys it (case-insensitive)."""
        return self.email.casefold()


def valid_address(text: str) -> bool:
    """One plain mailbox ``local@domain`` (what an SMTP envelope and a To: header take as is)."""
    if not isinstance(text, str) or len(text) > 254 or text.count("@") != 1:
        return False
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels) \
        and not labels[-1].isdigit()


def parse(text: str, name: str = "subscriptions.toml") -> tuple[Recipient, ...]:
    """The recipients of ``text``; :class:`SubscriptionsError` on anything unexpected."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SubscriptionsError(f"{name}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"recipient"})
    if unknown:
        raise SubscriptionsError(f"{name}: unknown key(s) {', '.join(unknown)}; allowed: "
                                 "[[recipient]] tables")
    entries = data.get("recipient", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SubscriptionsError(f"{name}: recipient must be written as [[recipient]] tables")
    out: list[Recipient] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries, start=1):
        where = f"{name}: recipient {i}"
        bad = sorted(set(entry) - set(KEYS))
        if bad:
            raise SubscriptionsError(f"{where}: unknown key(s) {', '.join(bad)}; allowed: "
                                     f"{', '.join(KEYS)}")
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise SubscriptionsError(f"{where}: missing {', '.join(missing)}")
        email = entry["email"]
        if not isinstance(email, str) or not valid_address(email.strip()):
            raise SubscriptionsError(f"{where}: email {email!r} is not an e-mail address "
                                     "(one plain address, like name@example.go.jp)")
        email = email.strip()
        where = f"{name}: recipient {i} ({email})"
        if email.casefold() in seen:
            raise SubscriptionsError(f"{where}: the same address as recipient "
                                     f"{seen[email.casefold()]}")
        seen[email.casefold()] = i
        lang = entry["lang"]
        if lang not in i18n.LANGS:
            raise SubscriptionsError(f"{where}: lang must be one of {', '.join(i18n.LANGS)}, "
                                     f"got {lang!r}")
        frequency = entry["frequency"]
        if frequency not in FREQUENCIES:
            raise SubscriptionsError(f"{where}: frequency must be one of "
                                     f"{', '.join(FREQUENCIES)}, got {frequency!r}")
        bureaus = entry.get("bureaus")
        if bureaus is not None:
            if not isinstance(bureaus, list) or not bureaus or not all(
                    isinstance(b, str) and _CODE.match(b) for b in bureaus):
                raise SubscriptionsError(
                    f"{where}: bureaus must be a non-empty list of bureau codes (letters, "
                    f"digits, - and _), got {bureaus!r}; leave it out for ministry-wide")
            bureaus = tuple(dict.fromkeys(bureaus))
        out.append(Recipient(email, lang, bureaus, frequency))
    return tuple(out)


def load(path: Path | None = None) -> tuple[Recipient, ...]:
    """Read and check the subscriptions file (``DTP_SUBSCRIPTIONS``)."""
    p = Path(path or settings.subscriptions_file())
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SubscriptionsError(f"{p}: not found (DTP_SUBSCRIPTIONS; copy "
                                 "config/subscriptions.example.toml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SubscriptionsError(f"{p}: cannot be read ({type(exc).__name__})") from None
    return parse(text, p.name)


def check_bureaus(recipients: Iterable[Recipient], codes: Iterable[str],
                  name: str = "subscriptions.toml") -> None:
    """Every bureau code a recipient names is one of the warehouse's."""
    have = list(codes)
    for r in recipients:
        unknown = [b for b in r.bureaus or () if b not in have]
        if unknown:
            raise SubscriptionsError(
                f"{name}: recipient {r.email}: unknown bureau code(s) {', '.join(unknown)} "
                f"(the warehouse has: {', '.join(have)})")


# --- the digest state ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Sent:
    """The last digest a recipient was sent."""

    version: int | None  # the version store's number of the data sent (None: not in a store)
    run_id: str
    sent_at: dt.datetime
    message_id: str

    def as_json(self) -> dict:
        return {"version": self.version, "run_id": self.run_id,
                "sent_at": self.sent_at.isoformat(timespec="seconds"),
                "message_id": self.message_id}

    @classmethod
    def from_json(cls, obj: Mapping) -> Sent:
        version = obj.get("version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise ValueError("version")
        return cls(version, str(obj["run_id"]), dt.datetime.fromisoformat(obj["sent_at"]),
                   str(obj["message_id"]))


def read_state(path: Path | None = None) -> dict[str, Sent]:
    """Recipient (case-folded address) → the last digest sent; empty when there is no file."""
    p = Path(path or settings.digest_state())
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StateError(f"{p}: cannot be read ({type(exc).__name__}); move it aside to start "
                         "afresh (every recipient then gets the next digest)") from None
    try:
        if obj.get("format") != STATE_FORMAT:
            raise ValueError("format")
        return {str(k): Sent.from_json(v) for k, v in obj["recipients"].items()}
    except (AttributeError, KeyError, TypeError, ValueError):
        raise StateError(f"{p}: not a digest state file (format {STATE_FORMAT})") from None


def write_state(state: Mapping[str, Sent], path: Path | None = None) -> None:
    """Replace the state file as a whole (temporary file beside it, fsync, rename)."""
    p = Path(path or settings.digest_state())
    p.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"format": STATE_FORMAT,
                       "recipients": {k: v.as_json() for k, v in sorted(state.items())}},
                      ensure_ascii=False, indent=1) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def locked(path: Path | None = None, wait: float = 60.0) -> Iterator[None]:
    """Hold ``.<state>.lock`` for a whole digest run (another run waits up to ``wait`` s)."""
    p = Path(path or settings.digest_state())
    p.parent.mkdir(parents=True, exist_ok=True)
    lock = p.with_name(f".{p.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StateError(f"another digest is running ({lock} is held)") from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)
