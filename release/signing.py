"""Signed packs (issue 28): the sha256 list of ``publication.json`` shows that a file was
damaged after publishing; a signature shows that the organisation itself published it.

* ``python -m pipelines keys new --out DIR`` makes an Ed25519 key pair (``cryptography``):
  ``DIR/signing-key.pem`` (the private key, PKCS#8 PEM, created with mode 0600 and never
  overwritten) and ``DIR/public-key.txt`` (one line, ``ed25519:<base64>``, for the central
  keys file);
* ``publish --sign KEY`` writes ``publication.sig`` (``ed25519:<base64>``) over the exact bytes
  of ``publication.json``, whose ``files`` pin every other file by sha256;
* the central body's keys file (TOML) lists each organisation's public keys, several while a
  key rotates::

      [organisations]
      MOE = ["ed25519:…", "ed25519:…"]

* ``rollup --keys FILE`` (``release.intake``): a pack of an organisation with registered keys
  is refused unless its ``publication.sig`` verifies with one of them; other organisations'
  packs are checked as before. Without a keys file nothing changes.

The private key never enters the pack, the warehouse, the roll-up or a log line: only its
path is printed.
"""

from __future__ import annotations

import base64
import binascii
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "ed25519:"
PRIVATE_NAME = "signing-key.pem"
PUBLIC_NAME = "public-key.txt"


class SigningError(ValueError):
    """A key, keys file or signature that cannot be used (a clear message, no key material)."""


def _public_text(key: object) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode("ascii")


def new_key(out_dir: str | os.PathLike) -> tuple[Path, str]:
    """A new key pair in ``out_dir``: (the private key's path, the public key's line)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = out / PRIVATE_NAME
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise SigningError(f"{private} exists: a key is never overwritten (choose another "
                           "--out)") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(private, 0o600)
    line = _public_text(key.public_key())
    (out / PUBLIC_NAME).write_text(line + "\n", encoding="ascii")
    return private, line


def load_private(path: str | os.PathLike) -> object:
    """The Ed25519 private key at ``path``; :class:`SigningError` (never its content)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SigningError(f"{p}: cannot read the signing key ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SigningError(f"{p}: not an unencrypted Ed25519 private key in PEM (make one "
                           "with python -m pipelines keys new --out DIR)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{p}: not an Ed25519 key")
    return key


def sign(key: object, data: bytes) -> bytes:
    """``publication.sig``'s bytes: one line, ``ed25519:<base64 of the 64-byte signature>``."""
    return (PREFIX + base64.b64encode(key.sign(data)).decode("ascii") + "\n").encode("ascii")


def public_key_of(key: object) -> str:
    return _public_text(key.public_key())


def _decode(text: object, size: int) -> bytes | None:
    if not isinstance(text, str) or not text.startswith(PREFIX):
        return None
    try:
        raw = base64.b64decode(text[len(PREFIX):].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


@dataclass(frozen=True)
class Keys:
    """The central keys file: organisation code → its public keys (text form)."""

    path: Path
    by_org: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def load_keys(path: str | os.PathLike) -> Keys:
    """The keys file at ``path`` (TOML ``[organisations] CODE = ["ed25519:…", …]``);
    :class:`SigningError` naming the file and the entry otherwise."""
    from release.organisation import OrganisationError, check_code

    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SigningError(f"{p}: cannot read the keys file ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SigningError(f"{p}: not a TOML keys file ({exc})") from None
    orgs = doc.get("organisations")
    if not isinstance(orgs, dict):
        raise SigningError(f"{p}: no [organisations] table (CODE = [\"ed25519:…\"])")
    out: dict[str, tuple[str, ...]] = {}
    for code, keys in orgs.items():
        try:
            check_code(code)
        except OrganisationError as exc:
            raise SigningError(f"{p}: organisations: {exc}") from None
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, list) or not keys:
            raise SigningError(f"{p}: organisations.{code}: a list of public keys")
        for i, k in enumerate(keys):
            if _decode(k, 32) is None:
                raise SigningError(f"{p}: organisations.{code}[{i}]: not an Ed25519 public key "
                                   f"({PREFIX}<base64 of 32 bytes>)")
        out[code] = tuple(keys)
    return Keys(p, out)


def verify(keys: tuple[str, ...], data: bytes, signature: bytes) -> str | None:
    """The registered key (text form) whose signature ``signature`` is over ``data``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        sig = _decode(signature.decode("ascii").strip(), 64)
    except UnicodeDecodeError:
        return None
    if sig is None:
        return None
    for k in keys:
        try:
            Ed25519PublicKey.from_public_bytes(_decode(k, 32)).verify(sig, data)
        except InvalidSignature:
            continue
        return k
    return None


def verify_pack(folder: Path, code: str, meta: bytes, has_sig: bool, keys: Keys,
                limits: object, problems: list[str]) -> str | None:
    """The intake's signature step: for an organisation with registered keys, its
    ``publication.sig`` must verify over ``publication.json``'s bytes."""
    from release.intake import _Unreadable, read_file
    from release.publication import META_NAME, SIG_NAME

    registered = keys.by_org.get(code)
    if not registered:
        return None
    path = folder / SIG_NAME
    if not has_sig:
        problems.append(f"{path}: missing — {code} has {len(registered)} registered key(s) in "
                        f"{keys.path}, so its packs must be signed (publish --sign KEY)")
        return None
    try:
        sig = read_file(path, 1024)
    except _Unreadable as exc:
        problems.append(f"{path}: {exc}")
        return None
    found = verify(registered, meta, sig)
    if found is None:
        problems.append(f"{path}: does not verify over {META_NAME} with any key registered for "
                        f"{code} in {keys.path} (edited after signing, or signed with another "
                        "key)")
    return found


__all__ = ["Keys", "SigningError", "load_keys", "load_private", "new_key", "public_key_of",
           "sign", "verify", "verify_pack"]
