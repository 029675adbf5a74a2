"""The publication form of the aggregated datasets, and the publication pack.

* :func:`publication_rows` is the one entry point for "this dataset, these filters, in
  publication form": the data page (publication downloads and preview; viewers' downloads),
  the public edition and the pack all take their rows from :func:`release` through it, so
  the same filters give the same rows everywhere. Filters are applied *after* protection, to
  the whole protected release, so two filtered downloads can never be set against each other
  to undo a suppression.
* :func:`write_pack` is ``python -m pipelines publish``: one ``<dataset>.csv`` per dataset
  (UTF-8 with BOM, numbers unformatted, ``[c]`` for a protected cell), the same tables in one
  XLSX, ``publication.json`` and a README in Japanese and English.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.origin import sha256  # (also publication.sha256 for its callers)
from release import disclosure, exports, i18n, public
from release.disclosure import BY_NAME, DATASETS, METHOD, SUPPRESSED, Release, Suppression
from release.folders import replace_folder
from release.organisation import Organisation

XLSX_NAME = "publication.xlsx"
PLANS_NAME = "plans.csv"  # the plan generations (public reference data): the roll-up reads them
IMPLICIT_PLAN = "plan"  # the one plan of a data set without plans.csv (raw-data.md)
PLAN_COLUMNS = ("plan_id", "title_ja", "title_en", "fy_from", "fy_to", "adopted_on", "revises")
META_NAME = "publication.json"  # method, threshold, as-of, organisation, sha256 of every file
SIG_NAME = "publication.sig"  # the sender's Ed25519 signature over publication.json (optional)
ORG_COLUMN = "organisation"  # the first column of every table of a pack with an organisation
PUBLIC_NAME = "public.duckdb"  # the public edition's data file (release/public.py)


def release(path: str | os.PathLike, threshold: int) -> Release:
    """The protected release of ``path``: the one stored in a public-edition file
    (``public.read_release``), else the warehouse's (``disclosure.release``, cached)."""
    if public.is_public(path):
        return public.read_release(path)
    return disclosure.release(path, threshold)


@dataclass(frozen=True)
class RowFilter:
    """Which rows of a publication dataset (None = no filter on that key)."""

    bureaus: tuple[str, ...] | None = None
    fy_from: int | None = None
    fy_to: int | None = None
    values: tuple[tuple[str, tuple[object, ...]], ...] = ()


def _with_names(frame: pl.DataFrame, name: str, rel: Release, langs: Mapping[str, str]
                ) -> pl.DataFrame:
    """``frame`` with bureau-name columns (``{column: "ja" | "en"}``) after bureau_code."""
    ds = BY_NAME[name]
    if not ds.bureau_column or rel.bureaus is None or not langs:
        return frame
    names = rel.bureaus.select("bureau_code", "name_ja", "name_en")
    out = frame.join(names.rename({"bureau_code": ds.bureau_column}), on=ds.bureau_column,
                     how="left", maintain_order="left")
    cols = []
    for column, lang in langs.items():
        e = pl.col(f"name_{lang}")
        if ds.margin_by:  # rows without a bureau are the whole ministry's
            whole = pl.lit(i18n.t("ministry_total", lang))
            e = pl.when(pl.col(ds.bureau_column).is_null()).then(whole).otherwise(e)
        cols.append(e.alias(column))
    out = out.with_columns(cols)
    order: list[str] = []
    for c in frame.columns:
        order += [c, *langs] if c == ds.bureau_column else [c]
    return out.select(order)


def filter_rows(frame: pl.DataFrame, name: str, f: RowFilter) -> pl.DataFrame:
    """The rows of ``frame`` that ``f`` keeps (same meaning as the data page's SQL filters)."""
    ds = BY_NAME[name]
    conds: list[pl.Expr] = []
    if ds.fy_column and f.fy_from is not None and f.fy_to is not None:
        conds.append(pl.col(ds.fy_column).is_between(f.fy_from, f.fy_to))
    if ds.bureau_column and f.bureaus is not None:
        conds.append(pl.col(ds.bureau_column).is_in(list(f.bureaus)).fill_null(False))
    for column, values in f.values:
        if column not in ds.filters:
            raise ValueError(f"{column!r} is not a filter of {name}")
        present = [v for v in values if v is not None]
        cond = pl.col(column).is_in(present) if present else pl.lit(False)
        if len(present) < len(values):
            cond = cond | pl.col(column).is_null()
        conds.append(cond.fill_null(False))
    return frame.filter(*conds) if conds else frame


def publication_rows(path: str | os.PathLike, name: str, f: RowFilter, threshold: int,
                     lang: str | None = None) -> tuple[pl.DataFrame, Release, Suppression]:
    """THE publication form of dataset ``name``: its protected rows that ``f`` keeps (with
    ``bureau_name`` in ``lang`` when given), the release and what is suppressed in them."""
    if name not in BY_NAME:
        raise ValueError(f"{name!r} is not a publication dataset (kpi and the marts only)")
    rel = release(path, threshold)
    rows = filter_rows(rel.tables[name], name, f)
    out = _with_names(rows, name, rel, {"bureau_name": lang} if lang else {})
    return out, rel, rel.suppression(name, rows)


# --- the pack ---------------------------------------------------------------------------------

def pack_frame(rel: Release, name: str, organisation: Organisation | None = None
               ) -> pl.DataFrame:
    """A dataset as the pack writes it: the organisation's code first (when it has one), the
    table's columns and the bureau's names."""
    out = _with_names(rel.tables[name], name, rel,
                      {"bureau_name_ja": "ja", "bureau_name_en": "en"})
    if organisation is None:
        return out
    return out.select(pl.lit(organisation.code).alias(ORG_COLUMN), pl.all())


def metadata(rel: Release, organisation: Organisation | None = None,
             files: Mapping[str, str] | None = None) -> dict:
    """publication.json: the method and its parameters, the run, the organisation and the
    sha256 of every other file of the pack (the roll-up rejects a file changed since)."""
    return {"method": METHOD, "threshold": rel.threshold, "rounding_base": 1,
            "max_perturbation": 0, "run_id": rel.run_id,
            "as_of_date": rel.as_of_date.isoformat() if rel.as_of_date else None,
            "organisation": organisation.as_json() if organisation else None,
            "public_figures": [{k: r.get(k) for k in ("metric", "level", "fy_from", "source")}
                               for r in rel.public_figures],
            "files": dict(sorted(files.items())) if files is not None else None}


def _readme(rel: Release, sizes: Mapping[str, int], organisation: Organisation | None = None
            ) -> str:
    t, m = rel.threshold, rel.threshold - 1
    as_of = rel.as_of_date.isoformat() if rel.as_of_date else "—"
    org_ja = org_en = []
    if organisation is not None:
        org_ja = [f"- 組織: {organisation.name_ja or organisation.code}(コード "
                  f"{organisation.code}。各表の先頭列 `{ORG_COLUMN}`)"]
        org_en = [f"- Organisation: {organisation.name_en or organisation.code} (code "
                  f"{organisation.code}; the first column `{ORG_COLUMN}` of every table)"]
    lines = [
        (f"# {organisation.name_ja or organisation.code} デジタル人材確保・育成計画 公表用データ / "
         f"{organisation.name_en or organisation.code} Digital Talent Plan: publication data"
         if organisation is not None else
         "# 総務省デジタル人材確保・育成計画 公表用データ / MIC Digital Talent Plan: "
         "publication data"), "",
        "## 日本語", "", *org_ja,
        f"- データ基準日: {as_of}(パイプライン実行ID {rel.run_id})",
        f"- 秘匿処理: セル秘匿(一次秘匿+連結表を通じた二次秘匿)。しきい値 {t}: 人数が1〜{m}の"
        f"セルは `[c]`。率の分子と分母の差(例: 14人中13人)が1〜{m}のときも、どちらかを"
        "`[c]` にします。0 はそのまま表示します。",
        "- 二次秘匿: 省全体の行と局の行、計画指標(kpi)と各集計表(mart_*)、公表値(計画§2の"
        "採用数)のあいだの足し算の関係をすべて使っても、`[c]` のセルの値が1つに定まらない"
        "ように、必要なだけ追加で `[c]` にしています(線形計画法で確認)。",
        "- `[c]` の読み方: 値が秘匿されていることを示します(0 の場合もあります)。`[c]` から"
        "計算される率・達成状況も `[c]` です。率は公表した分子÷分母と一致します。",
        *_policy_lines(rel, "ja"),
        "- 丸め・ノイズ付加はしていません(publication.json の rounding_base = 1、"
        "max_perturbation = 0)。",
        f"- ファイル: 表ごとの CSV(UTF-8 BOM付き、数値は書式なし)と、同じ内容の "
        f"{XLSX_NAME}。{PUBLIC_NAME} は同じデータを公開版ダッシュボード用にまとめたもの"
        f"(`DTP_EDITION=public DTP_WAREHOUSE=…/{PUBLIC_NAME}`: 人事データ本体を公開サーバーに"
        "置かずに済みます)。", "",
        "## English", "", *org_en,
        f"- As-of date: {as_of} (pipeline run {rel.run_id})",
        f"- Disclosure control: cell suppression (primary, plus secondary suppression across "
        f"linked tables). Threshold {t}: counts of 1 to {m} people are `[c]`. When a rate's "
        f"denominator minus its numerator (e.g. 13 of 14) is 1 to {m}, one of them is `[c]` "
        "too. Zeros are shown.",
        "- Secondary suppression: further cells are `[c]` so that no suppressed cell can be "
        "worked out to a single value from any sum between the files — ministry rows vs bureau "
        "rows, plan metrics (kpi) vs the tables (mart_*), and the published figures (plan §2 "
        "hires) — checked by linear programming.",
        "- Reading `[c]`: the value is withheld (it may be 0). Rates and statuses computed "
        "from a `[c]` are `[c]` as well; every rate shown equals the numerator over the "
        "denominator shown.",
        *_policy_lines(rel, "en"),
        "- No rounding or noise (publication.json: rounding_base = 1, max_perturbation = 0).",
        f"- Files: one CSV per table (UTF-8 with BOM, numbers unformatted) and the same tables "
        f"in {XLSX_NAME}. {PUBLIC_NAME} holds the same release for the public edition of "
        f"the dashboard (`DTP_EDITION=public DTP_WAREHOUSE=…/{PUBLIC_NAME}`), so the public "
        "server never holds the personnel warehouse.", "",
        "| file | rows | 名称 / name |", "|---|---|---|",
    ]
    lines += [f"| {n}.csv | {sizes[n]:,} | {BY_NAME[n].ja} / {BY_NAME[n].en} |" for n in sizes]
    return "\n".join(lines) + "\n"


def _plain(text: object) -> str:
    """A value from a CSV file as plain text in Markdown (no markup, one line)."""
    return re.sub(r"[\r\n`*_\[\]<>|#\\]", " ", str(text))


def _policy_lines(rel: Release, lang: str) -> list[str]:
    """The disclosure policy (public_figures.csv) and the protection over time, for the
    README."""
    t = rel.threshold
    if lang == "ja":
        out = [f"- 保護の範囲: `[c]` のうち1〜{t - 1}人のセル(と差)は、公表したすべての値から"
               f"{t}通り未満の値に絞り込めません。それ以外の `[c]` も1つの値に定まりません。"
               "毎月の公表は、これまでの公表(公表登録簿)とあわせて保護しています。"]
        for r in rel.public_figures:
            since = f"{r['fy_from']}年度以降" if r.get("fy_from") else "全年度"
            out.append(f"- 公表方針: {_plain(r['metric'])} の省全体の値は組織自身が公表しているため"
                       f"({_plain(r['source'])})、{since}秘匿しません。局別の値は保護します。")
        return out
    out = [f"- Protection: a `[c]` count of 1 to {t - 1} (or such a difference) cannot be "
           f"narrowed to fewer than {t} values from everything published, and no other `[c]` "
           "to a single value. Each month's release is protected together with every earlier "
           "release (the release register)."]
    for r in rel.public_figures:
        since = f"from FY{r['fy_from']}" if r.get("fy_from") else "in every FY"
        out.append(f"- Disclosure policy: the ministry-wide value of {_plain(r['metric'])} is "
                   f"published by the organisation itself ({_plain(r['source'])}), so it is "
                   f"never suppressed {since}; bureau values stay protected.")
    return out


@dataclass(frozen=True)
class Pack:
    out_dir: Path
    files: tuple[str, ...]
    release: Release


def write_pack(warehouse: str | os.PathLike, out_dir: str | os.PathLike, threshold: int,
               organisation: Organisation | None = None, sign_key: object | None = None,
               releases: str | os.PathLike | None = None) -> Pack:
    """Write the publication pack into ``out_dir`` (replaced as a whole, never half-written);
    with ``organisation``, every file carries it (``pipelines rollup`` needs it); with
    ``sign_key`` (``release.signing.load_private``), ``publication.sig`` signs the exact bytes
    of ``publication.json`` (the key itself is never written). With ``releases`` (the release
    register), the release is protected together with every earlier release of the
    organisation there and recorded in it; a release that cannot be protected with them
    raises ``disclosure.Refused`` and nothing is written."""
    inputs: dict[str, pl.DataFrame] = {}
    if releases is not None:
        rel, inputs = disclosure.linked_release(
            warehouse, threshold, Path(releases), organisation.code if organisation else None)
    else:
        rel = release(warehouse, threshold)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        frames = {ds.name: pack_frame(rel, ds.name, organisation) for ds in DATASETS}
        for name, frame in frames.items():
            (tmp / f"{name}.csv").write_bytes(exports.to_csv(frame).data)
        plans = _plans(warehouse, organisation)
        if plans is not None:
            (tmp / PLANS_NAME).write_bytes(exports.to_csv(plans).data)
        from release import xlsx

        about = [("method", METHOD), ("threshold", str(rel.threshold)),
                 ("rounding_base", "1"), ("max_perturbation", "0"),
                 ("run_id", rel.run_id or ""),
                 ("as_of_date", rel.as_of_date.isoformat() if rel.as_of_date else ""),
                 ("[c]", "suppressed / 秘匿")]
        if organisation is not None:
            about[:0] = [("organisation", organisation.code),
                         ("organisation_name_ja", organisation.name_ja or ""),
                         ("organisation_name_en", organisation.name_en or "")]
        (tmp / XLSX_NAME).write_bytes(xlsx.to_workbook(
            frames, about, numeric={n: _numeric(n) for n in frames}))
        (tmp / "README.md").write_text(
            _readme(rel, {n: f.height for n, f in frames.items()}, organisation),
            encoding="utf-8")
        public.write(rel, warehouse, tmp / PUBLIC_NAME, organisation)
        files = {p.name: sha256(p) for p in tmp.iterdir() if p.is_file()}
        meta = (json.dumps(metadata(rel, organisation, files), ensure_ascii=False, indent=2)
                + "\n").encode("utf-8")
        (tmp / META_NAME).write_bytes(meta)
        if sign_key is not None:
            from release import signing

            (tmp / SIG_NAME).write_bytes(signing.sign(sign_key, meta))
        if releases is not None and rel.as_of_date is not None:
            from release import register

            files = {p.name: sha256(p) for p in tmp.iterdir() if p.is_file()}
            shown = {**rel.tables}
            if rel.bureaus is not None:
                shown["bureaus"] = rel.bureaus
            register.record(
                Path(releases), organisation.code if organisation else None,
                run_id=rel.run_id, as_of=rel.as_of_date, threshold=rel.threshold,
                shown=shown, inputs={n: inputs[n] for n in (
                    *(ds.name for ds in DATASETS if ds.name != disclosure.PACE.name),
                    "published", "public_figures") if n in inputs},
                files=files, counts={"primary": rel.primary, "secondary": rel.secondary,
                                     "unprotectable": rel.unprotectable,
                                     "unprotectable_by_fy": rel.stats.get(
                                         "unprotectable_by_fy", {})})
        replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Pack(out, tuple(sorted(p.name for p in out.iterdir())), rel)


def _plans(warehouse: str | os.PathLike, organisation: Organisation | None
           ) -> pl.DataFrame | None:
    """The plans (titles and periods: public, like plan_targets), read through the one locked
    connection; None for a file without a plans table."""
    from release.connection import connect

    con = connect(str(warehouse))
    try:
        if not con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'plans'"
                       ).fetchall()[0][0]:
            return None
        has_implicit = con.sql("SELECT count(*) FROM duckdb_columns() WHERE table_name = "
                               "'plans' AND column_name = 'implicit'").fetchall()[0][0]
        implicit = ("implicit" if has_implicit
                    else f"plan_id = '{IMPLICIT_PLAN}' AND adopted_on IS NULL")
        frame = con.sql("SELECT " + ", ".join(PLAN_COLUMNS) + f", {implicit} AS __implicit "
                        "FROM plans ORDER BY adopted_on NULLS FIRST, plan_id").pl()
    finally:
        con.close()
    # the implicit plan of a data set without plans.csv (raw-data.md): id ``plan``, the targets'
    # span, no adoption date; its titles from the strings table (the dashboard's name for it)
    frame = frame.with_columns(
        pl.when(pl.col("__implicit")).then(pl.lit(i18n.t("plan_implicit", lang)))
        .otherwise(pl.col(f"title_{lang}")).alias(f"title_{lang}") for lang in ("ja", "en")
    ).drop("__implicit")
    if organisation is not None:
        frame = frame.select(pl.lit(organisation.code).alias(ORG_COLUMN), pl.all())
    return frame


def _numeric(name: str) -> tuple[str, ...]:
    from release.disclosure import text_columns

    return tuple(c for c in text_columns(BY_NAME[name]) if c != "status")


__all__ = ["META_NAME", "ORG_COLUMN", "SUPPRESSED", "Pack", "RowFilter", "filter_rows",
           "metadata", "pack_frame", "publication_rows", "release", "sha256", "write_pack"]
