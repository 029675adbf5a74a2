"""Where a raw folder's data came from: the generated sample, or provided data.

The sample generator (``pipelines.sample``) writes ``SAMPLE_MANIFEST.json`` beside the CSVs with
the sha256 of every file it wrote; a folder is "sample" only while every contract file in it is
still exactly such a file (any edited, missing or added contract file makes it "provided").
The build reads this module only, never the generator.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from pipelines.schema import TABLES

MANIFEST = "SAMPLE_MANIFEST.json"
GENERATOR = "pipelines.sample"  # the generator named in every manifest it writes
CONTRACT_FILES = tuple(t.file for t in TABLES)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(out_dir: Path, staff: int, seed: int, files: Mapping[str, str]) -> None:
    """``SAMPLE_MANIFEST.json``: the generator, its arguments and every file's sha256."""
    manifest = {"generator": GENERATOR, "staff": int(staff), "seed": int(seed),
                "files": dict(sorted(files.items()))}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8", newline="\n")


def is_sample(raw_dir: Path, known: Mapping[str, str] | None = None) -> bool:
    """True iff raw_dir holds exactly an unmodified generated set (per its manifest).

    ``known`` maps file names to sha256 digests already computed by the caller (the build
    hashes every file as it reads it), so those files are not read a second time."""
    raw_dir = Path(raw_dir)
    known = known or {}
    try:
        manifest = json.loads((raw_dir / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("generator") != GENERATOR or not isinstance(files, dict) or not files:
            return False
        for name, digest in files.items():
            path = raw_dir / name
            if Path(name).name != name or not path.is_file():
                return False
            if (known.get(name) or sha256(path)) != digest:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    present = {p.name for p in raw_dir.iterdir() if p.is_file()}
    return all(f in files for f in CONTRACT_FILES if f in present)

