"""Signed packs (issue 28 item 6): ``keys new``, ``publish --sign KEY``, the central keys file
and ``rollup --keys FILE``. A signed pack passes; edited-and-rehashed, unsigned, or signed with
another organisation's key: refused (exit 1, the pack named, the previous roll-up unchanged).
Without a keys file nothing changes. The private key is never in the pack or the output."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.__main__ import main
from release import intake, signing


@pytest.fixture(scope="module")
def signed(rollup_packs, tmp_path_factory) -> dict:
    """Keys for MOE and XYZ, each organisation's pack published again and signed, the keys
    file registering both."""
    src = rollup_packs[0].parent
    root = tmp_path_factory.mktemp("signed")
    out: dict = {"root": root, "keys": {}, "packs": {}}
    for code in ("MOE", "XYZ"):
        assert main(["keys", "new", "--out", str(root / f"keys-{code}"),
                     "--organisation", code]) == 0
        key = root / f"keys-{code}" / "signing-key.pem"
        public = (root / f"keys-{code}" / "public-key.txt").read_text(encoding="ascii").strip()
        out["keys"][code] = (key, public)
        assert main(["publish", "--warehouse", str(src / f"{code}.duckdb"), "--out",
                     str(root / f"pack-{code}"), "--organisation", code, "--raw",
                     str(src / f"raw-{code}"), "--threshold", "5", "--sign", str(key)]) == 0
        out["packs"][code] = root / f"pack-{code}"
    out["file"] = write_keys(root / "keys.toml", {c: [p] for c, (_, p) in out["keys"].items()})
    return out


def write_keys(path: Path, orgs: dict[str, list[str]]) -> Path:
    lines = ["# the central body's keys file", "[organisations]"]
    lines += [f"{code} = [{', '.join(json.dumps(k) for k in keys)}]" for code, keys in
              orgs.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rollup(packs, keys: Path | None, out: Path) -> int:
    return main(["rollup", "--out", str(out), *(["--keys", str(keys)] if keys else []),
                 *map(str, packs)])


def copies(signed, tmp_path) -> dict[str, Path]:
    return {c: Path(shutil.copytree(p, tmp_path / f"pack-{c}"))
            for c, p in signed["packs"].items()}


def test_keys_new_writes_a_private_key_only_its_owner_reads(signed, capsys):
    key, public = signed["keys"]["MOE"]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert public.startswith("ed25519:")
    assert main(["keys", "new", "--out", str(key.parent)]) == 1  # never overwritten
    assert "never overwritten" in capsys.readouterr().err


def test_signed_packs_pass_and_the_key_is_nowhere_else(signed, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / "gov.duckdb"
    assert rollup(signed["packs"].values(), signed["file"], out) == 0
    logs = capsys.readouterr()
    for code, (key, _) in signed["keys"].items():
        pem = key.read_bytes()
        body = b"".join(pem.splitlines()[1:-1])  # the base64 of the key
        pack = signed["packs"][code]
        assert (pack / "publication.sig").is_file()
        assert not list(pack.glob("*.pem"))
        for f in pack.iterdir():
            assert body not in f.read_bytes(), f
        assert body not in out.read_bytes()
        assert body.decode() not in logs.out + logs.err
        assert intake.check_pack(pack, keys=signing.load_keys(signed["file"])).signed_by \
            == signed["keys"][code][1]


def _edit_and_rehash(pack: Path) -> None:
    text = (pack / "kpi.csv").read_text(encoding="utf-8-sig")
    (pack / "kpi.csv").write_text(text.replace(",[c],", ",3,", 1), encoding="utf-8-sig")
    meta = json.loads((pack / "publication.json").read_text(encoding="utf-8"))
    meta["files"]["kpi.csv"] = hashlib.sha256((pack / "kpi.csv").read_bytes()).hexdigest()
    (pack / "publication.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2),
                                           encoding="utf-8")


def _sign_with(key: Path) -> Callable[[Path], None]:
    def change(pack: Path) -> None:
        k = signing.load_private(key)
        (pack / "publication.sig").write_bytes(
            signing.sign(k, (pack / "publication.json").read_bytes()))
    return change


CASES = {
    "edited and rehashed": (_edit_and_rehash, "does not verify over publication.json"),
    "unsigned": (lambda p: (p / "publication.sig").unlink(),
                 "publication.sig: missing — XYZ has 1 registered key(s)"),
    "another organisation's key": ("MOE", "does not verify over publication.json"),
    "garbage signature": (lambda p: (p / "publication.sig").write_bytes(b"\x1b[2Jnot a sig"),
                          "does not verify"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_pack_that_is_not_its_organisations_is_refused(case, signed, tmp_path, capsys):
    packs = copies(signed, tmp_path)
    out = tmp_path / "gov.duckdb"
    assert rollup(packs.values(), signed["file"], out) == 0
    before = out.read_bytes()
    change, message = CASES[case]
    if isinstance(change, str):
        change = _sign_with(signed["keys"][change][0])
    change(packs["XYZ"])
    capsys.readouterr()
    assert rollup(packs.values(), signed["file"], out) == 1
    err = capsys.readouterr().err
    assert "Roll-up rejected" in err and message in err and str(packs["XYZ"]) in err, err
    assert "Traceback" not in err and "\x1b" not in err
    assert out.read_bytes() == before


def test_without_a_keys_file_nothing_changes(signed, rollup_packs, tmp_path, monkeypatch):
    monkeypatch.delenv("DTP_ROLLUP_KEYS", raising=False)
    packs = copies(signed, tmp_path)
    (packs["XYZ"] / "publication.sig").unlink()
    (packs["MOE"] / "publication.sig").write_bytes(b"anything")
    assert rollup(packs.values(), None, tmp_path / "a.duckdb") == 0
    assert rollup(rollup_packs, None, tmp_path / "b.duckdb") == 0  # unsigned packs as before


def test_only_registered_organisations_must_sign_and_keys_rotate(signed, rollup_packs,
                                                                 tmp_path):
    only_moe = write_keys(tmp_path / "moe.toml", {"MOE": [signed["keys"]["MOE"][1]]})
    unsigned_xyz = next(p for p in rollup_packs if p.name.endswith("XYZ"))
    assert rollup([signed["packs"]["MOE"], unsigned_xyz], only_moe, tmp_path / "a.duckdb") == 0
    old, _ = signing.new_key(tmp_path / "old")
    rotated = write_keys(tmp_path / "rotated.toml", {
        "MOE": [signed["keys"]["MOE"][1]],
        "XYZ": [signing.public_key_of(signing.load_private(old)), signed["keys"]["XYZ"][1]]})
    assert rollup(signed["packs"].values(), rotated, tmp_path / "b.duckdb") == 0


def test_the_settings_keys_file_applies_to_every_intake(signed, rollup_packs, tmp_path,
                                                        monkeypatch):
    """DTP_ROLLUP_KEYS: rollup, rollup accept and the inbox (all through check_pack)."""
    monkeypatch.setenv("DTP_ROLLUP_KEYS", str(signed["file"]))
    unsigned_moe = next(p for p in rollup_packs if p.name.endswith("MOE"))
    with pytest.raises(intake.Rejected, match="publication.sig: missing"):
        intake.check_pack(unsigned_moe)
    assert intake.check_pack(signed["packs"]["MOE"]).signed_by == signed["keys"]["MOE"][1]
    assert main(["rollup", "accept", str(unsigned_moe), "--store", str(tmp_path / "s")]) == 1
    monkeypatch.setenv("DTP_ROLLUP_KEYS", str(tmp_path / "nope.toml"))
    with pytest.raises(intake.Rejected, match="DTP_ROLLUP_KEYS"):
        intake.check_pack(signed["packs"]["MOE"])


@pytest.mark.parametrize(("text", "message"), [
    ("[organisations]\nMOE = ['ed25519:AAAA']\n", "not an Ed25519 public key"),
    ("[orgs]\n", "no [organisations] table"),
    ("[organisations]\nall = []\n", "organisations"),
    ("not toml = = \n", "not a TOML keys file"),
])
def test_a_bad_keys_file_is_one_line(signed, tmp_path, capsys, text, message):
    bad = tmp_path / "keys.toml"
    bad.write_text(text, encoding="utf-8")
    assert rollup(signed["packs"].values(), bad, tmp_path / "r.duckdb") == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "r.duckdb").exists()


def test_publish_with_a_key_that_is_not_one(rollup_packs, tmp_path, capsys):
    bad = tmp_path / "key.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    wh = rollup_packs[0].parent / "MOE.duckdb"
    assert main(["publish", "--warehouse", str(wh), "--out", str(tmp_path / "p"),
                 "--organisation", "MOE", "--sign", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "not an unencrypted Ed25519 private key" in err and "nope" not in err
    assert not (tmp_path / "p").exists()
