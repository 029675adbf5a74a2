"""Differently shaped ministries for the roll-up (``python -m pipelines sample --organisation
CODE --seed S``): the MIC-shaped sample regrouped into the organisation's own bureaus, at its
own size and with its own plan targets.

* ``MIC``: the sample as it is (12 bureaus, ~4,000 staff).
* ``MOE`` (環境省, 5 bureaus, ~1,500 staff) and ``MAFF`` (農林水産省, 8 bureaus, ~3,000 staff):
  named profiles.
* any other code: a made-up organisation whose number of bureaus (3 to 10) and size follow
  from the seed.

MIC's 12 bureaus are dealt out to the organisation's bureaus (every one gets at least one;
which goes where follows from the seed), so bureau sizes differ from MIC's; units keep their
codes and move with their bureau. Count targets scale with the size, rate targets move by a
profile's own step, so every organisation is judged against its own plan. Only MIC keeps
MIC's published figures (published.csv is optional). ``organisation.csv`` names the
organisation for ``publish``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.sample.reference import B_CODES

MIC_STAFF = 4000


@dataclass(frozen=True)
class Profile:
    code: str
    name_ja: str
    name_en: str
    staff: int
    bureaus: tuple[tuple[str, str, str], ...]  # (code, name_ja, name_en)
    rate_step: float = 0.0  # added to rate targets' minimum (kept within 0..1)
    count_factor: float = 1.0  # on top of the size ratio


PROFILES = {
    "MIC": Profile("MIC", "総務省", "Ministry of Internal Affairs and Communications", MIC_STAFF,
                   ()),
    "MOE": Profile("MOE", "環境省", "Ministry of the Environment", 1500, (
        ("MS", "大臣官房", "Minister's Secretariat"),
        ("GEB", "地球環境局", "Global Environment Bureau"),
        ("EMB", "環境管理局", "Environmental Management Bureau"),
        ("NEB", "自然環境局", "Nature Conservation Bureau"),
        ("ERB", "環境再生・資源循環局", "Environmental Regeneration and Material Cycles Bureau"),
    ), rate_step=-0.05, count_factor=1.5),
    "MAFF": Profile("MAFF", "農林水産省", "Ministry of Agriculture, Forestry and Fisheries", 3000, (
        ("MS", "大臣官房", "Minister's Secretariat"),
        ("CAB", "消費・安全局", "Food Safety and Consumer Affairs Bureau"),
        ("EXB", "輸出・国際局", "Export and International Affairs Bureau"),
        ("AGB", "農産局", "Crop Production Bureau"),
        ("LIB", "畜産局", "Livestock Industry Bureau"),
        ("MPB", "経営局", "Management Improvement Bureau"),
        ("RDB", "農村振興局", "Rural Development Bureau"),
        ("FOR", "林野庁", "Forestry Agency"),
    ), rate_step=-0.1, count_factor=0.8),
}


def profile(code: str, seed: int) -> Profile:
    """The named profile, or a made-up one that follows from ``code`` and ``seed``."""
    if code in PROFILES:
        return PROFILES[code]
    rng = np.random.default_rng(int.from_bytes(
        hashlib.sha256(f"{code}|{seed}".encode()).digest()[:8], "little"))
    n = int(rng.integers(3, 11))
    bureaus = tuple((f"B{i + 1:02d}", f"第{i + 1}局", f"Bureau {i + 1}") for i in range(n))
    return Profile(code, f"組織{code}", f"Organisation {code}", int(rng.integers(800, 3001)),
                   bureaus, rate_step=-0.05 * int(rng.integers(0, 3)),
                   count_factor=float(rng.choice([0.5, 1.0, 2.0])))


def bureau_map(p: Profile, seed: int) -> dict[str, str]:
    """MIC's bureau code → the organisation's (each of its bureaus gets at least one)."""
    n = len(p.bureaus)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(B_CODES))
    target = np.empty(len(B_CODES), dtype=int)
    target[order[:n]] = np.arange(n)
    target[order[n:]] = rng.integers(0, n, len(B_CODES) - n)
    return {mic: p.bureaus[int(t)][0] for mic, t in zip(B_CODES, target, strict=True)}


def reshape(tables: dict[str, pl.DataFrame], p: Profile, staff: int, seed: int
            ) -> dict[str, pl.DataFrame]:
    """The MIC-shaped tables as organisation ``p``'s (MIC: unchanged)."""
    if not p.bureaus:
        return tables
    mapping = bureau_map(p, seed)
    out = {}
    for name, frame in tables.items():
        if name == "bureaus":
            frame = pl.DataFrame({"bureau_code": [b[0] for b in p.bureaus],
                                  "name_ja": [b[1] for b in p.bureaus],
                                  "name_en": [b[2] for b in p.bureaus]}, schema=frame.schema)
        elif "bureau_code" in frame.columns:
            frame = frame.with_columns(pl.col("bureau_code").replace_strict(
                mapping, default=pl.col("bureau_code")))
        out[name] = frame
    out["plan_targets"] = _targets(out["plan_targets"], p, staff)
    if "published" in out:
        out["published"] = out["published"].clear()
    if "public_figures" in out:  # each publishes its own digital hires in its own plan
        out["public_figures"] = out["public_figures"].with_columns(
            pl.lit(f"{p.name_ja} デジタル人材確保・育成計画").alias("source"))
    return out


def _targets(t: pl.DataFrame, p: Profile, staff: int) -> pl.DataFrame:
    factor = staff / MIC_STAFF * p.count_factor
    rate = pl.col("metric").str.ends_with("_rate")
    scaled = {c: pl.when(rate).then(
        (pl.col(c) + p.rate_step).clip(0.5, 1.0).round(2)).otherwise(
        (pl.col(c) * factor).round(0).clip(lower_bound=1.0)).alias(c)
        for c in ("target_min", "target_max")}
    out = t.with_columns(*scaled.values())
    return out.with_columns(  # a range stays a range
        pl.when(pl.col("target_max").is_not_null() & pl.col("target_min").is_not_null())
        .then(pl.max_horizontal("target_min", "target_max")).otherwise(pl.col("target_max"))
        .alias("target_max"))


def write_organisation(out_dir: Path, p: Profile) -> None:
    (out_dir / "organisation.csv").write_text(
        "organisation_code,name_ja,name_en\n"
        f'{p.code},{p.name_ja},"{p.name_en}"\n', encoding="utf-8")
