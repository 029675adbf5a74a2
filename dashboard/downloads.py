"""The data page's logic without Streamlit: filters → rows → disclosure control → file bytes;
and the lazy CSVs of the plan review (``review_csv``) and audit (``audit_csv``) pages and the
Plan review page's briefing pack (``brief_pack``).

``download(...)`` returns the zero-argument callable a ``st.download_button`` runs when it is
clicked: the filter values are captured by closure when the page is drawn, and the warehouse
is read only on the click (in Streamlit's download thread, so nothing here may rely on a
script-run context or on ``st.session_state``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import polars as pl

from dashboard import access, audit, datasets, fmt
from dashboard.datasets import DataFilter
from dashboard.state import View
from pipelines.schema import METRICS
from release import exports as ex
from release import i18n, xlsx
from release.catalogue import DOWNLOADS, Dataset
from release.disclosure import Suppression
from release.publication import RowFilter, publication_rows

FORMATS = ("csv", "xlsx", "parquet")
MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
ENUM_KINDS = {"grade", "track", "provider", "placement", "post_type", "level"}

# The download budget (README "Downloads"): rows per file by format, and bytes for any file.
# Past it the page asks to narrow the filters and offers Parquet; the callable checks again.
BUDGET_ROWS = {"csv": 1_000_000, "xlsx": 200_000, "parquet": 5_000_000}
BUDGET_BYTES = 256 * 1024 * 1024


class OverBudget(ValueError):
    """A download larger than the budget of its format."""


def within_budget(kind: str, rows: int) -> bool:
    return rows <= BUDGET_ROWS[kind]


# --- values as text -----------------------------------------------------------------------------

def token(value: object) -> str:
    """A filter value as it is written in the URL."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def value_label(column: str, value: object, lang: str) -> str:
    if value is None:
        return i18n.t("data_blank", lang)
    if isinstance(value, bool):
        return i18n.t("data_yes" if value else "data_no", lang)
    if column in ENUM_KINDS:
        label = i18n.enum_label(column, str(value), lang)
        return str(value) if label == str(value) else f"{label} ({value})"
    named = {"metric": i18n.metric_name, "status": i18n.status_word}.get(column)
    if named is not None:
        try:
            return f"{named(str(value), lang)} ({value})"
        except KeyError:  # e.g. training's status (completed / incomplete) has no label
            return str(value)
    return str(value)


# --- publication (disclosure control) ------------------------------------------------------------

def row_filter(f: DataFilter) -> RowFilter:
    """The data page's filter as a filter on a publication dataset."""
    return RowFilter(f.bureaus, f.fy_from, f.fy_to, f.values)


def publication_form(path: str, f: DataFilter, threshold: int, lang: str
                ) -> tuple[pl.DataFrame, dict, Suppression]:
    """The publication form of ``f``'s rows (``release.publication.publication_rows``, the
    one entry point) and the run it came from."""
    frame, rel, supp = publication_rows(path, f.dataset, row_filter(f), threshold, lang)
    run = {"run_id": rel.run_id, "as_of_date": rel.as_of_date, "data_origin": rel.data_origin}
    return frame, run, supp


# --- what the file says about itself -------------------------------------------------------------

def summary_parts(ds: Dataset, f: DataFilter) -> list[str]:
    """Short ASCII-ish pieces for the file name: bureaus, FYs, page filters."""
    parts: list[str] = []
    if f.bureaus is not None:
        parts.append("+".join(f.bureaus) if len(f.bureaus) <= 3 else f"{len(f.bureaus)}bureaus")
    if ds.fy_column and f.fy_from is not None:
        parts.append(f"FY{f.fy_from}" if f.fy_from == f.fy_to else f"FY{f.fy_from}-{f.fy_to}")
    for column, values in f.values:
        toks = [token(v) for v in values]
        parts.append(f"{column}-" + ("+".join(toks) if len(toks) <= 3 else f"{len(toks)}values"))
    return parts


def filter_lines(ds: Dataset, f: DataFilter, lang: str, bureau_names: Mapping[str, str],
                 publication: bool) -> tuple[tuple[str, str], ...]:
    """Every filter applied, as (filter, value) lines for the about sheet."""
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    lines: list[tuple[str, str]] = []
    if ds.bureau_column:
        lines.append((t("bureaus"), t("all_bureaus") if f.bureaus is None else ", ".join(
            f"{c} {bureau_names.get(c, '')}".strip() for c in f.bureaus)))
    if ds.fy_column and f.fy_from is not None:
        lines.append((f"{t('fy_span')} ({ds.fy_column})",
                      f"{fmt.fy_label(f.fy_from, lang)} – {fmt.fy_label(f.fy_to, lang)}"))
    for column, values in f.values:
        name = f"{column} ({ds.column(column).meaning(lang)})"
        lines.append((name, ", ".join(value_label(column, v, lang) for v in values)))
    if ds.aggregated:
        lines.append((t("data_publication"), t("data_yes" if publication else "data_no")))
    return tuple(lines)


def export_meta(ds: Dataset, f: DataFilter, lang: str, run: Mapping[str, object],
                bureau_names: Mapping[str, str], publication: bool,
                suppression: Suppression | None, dtypes: Mapping[str, object]
                ) -> xlsx.ExportMeta:
    return xlsx.ExportMeta(
        dataset=ds.name, title=ds.title(lang), definition=ds.definition(lang),
        filters=filter_lines(ds, f, lang, bureau_names, publication),
        as_of=run.get("as_of_date"), run_id=run.get("run_id"),  # type: ignore[arg-type]
        data_origin=run.get("data_origin"),  # type: ignore[arg-type]
        generated_at=dt.datetime.now().astimezone().replace(microsecond=0),
        suppression=suppression,
        columns=tuple((c.name, str(dtypes.get(c.name, "")), c.meaning(lang))
                      for c in ds.export_columns),
        lang=lang)


def file_name(kind: str, ds: Dataset, f: DataFilter, as_of: dt.date | None,
              publication: bool) -> str:
    return ex.file_name(ds.name, summary_parts(ds, f), as_of, kind, suppressed=publication)


# --- the bytes ------------------------------------------------------------------------------------

def rows(path: str, f: DataFilter, publication: bool, threshold: int, lang: str
         ) -> tuple[pl.DataFrame, dict, Suppression | None]:
    """The rows of a download (publication form when ``publication``; bureau names in
    ``lang``) and the run they came from."""
    ds = DOWNLOADS[f.dataset]
    if publication and not ds.aggregated:
        raise ValueError("row-level datasets are not offered for publication")
    if publication:
        return publication_form(path, f, threshold, lang)
    frame, run = datasets.data_for_download(path, f, lang)
    return frame, run, None


def render(kind: str, frame: pl.DataFrame, meta: xlsx.ExportMeta, encoding: str = "utf-8-sig"
           ) -> bytes:
    if kind == "csv":
        return ex.to_csv(frame, encoding).data
    if kind == "xlsx":
        return xlsx.to_xlsx(frame, meta)
    if kind == "parquet":
        return ex.to_parquet(frame)
    raise ValueError(kind)


def audit_filters(f: DataFilter, encoding: str | None = None) -> dict[str, object]:
    out: dict[str, object] = {"bureaus": list(f.bureaus) if f.bureaus is not None else None,
                              "fy_from": f.fy_from, "fy_to": f.fy_to,
                              "values": {c: [token(v) for v in vals] for c, vals in f.values}}
    if encoding:
        out["encoding"] = encoding
    return out


def download(kind: str, path: str, f: DataFilter, *, lang: str, publication: bool,
             threshold: int, bureau_names: Mapping[str, str], principal: access.Principal,
             encoding: str = "utf-8-sig") -> Callable[[], bytes]:
    """The lazy ``data=`` of a download button: every argument is fixed now, by closure.

    When clicked it first asks ``access.authorize_download`` (the role as it is now, not as
    it was when the button was drawn), keeps to the budget, and writes the ``download`` audit
    line with the row count before the bytes leave (no line, no bytes)."""
    names = dict(bureau_names)
    ds = DOWNLOADS[f.dataset]

    def make() -> bytes:
        who = access.authorize_download(principal, f.dataset, publication)
        frame, run, supp = rows(path, f, publication, threshold, lang)
        if not within_budget(kind, frame.height):
            raise OverBudget(f"{frame.height} rows > {BUDGET_ROWS[kind]} for {kind}")
        meta = export_meta(ds, f, lang, run, names, publication, supp, frame.schema)
        data = render(kind, frame, meta, encoding)
        if len(data) > BUDGET_BYTES:
            raise OverBudget(f"{len(data)} bytes > {BUDGET_BYTES}")
        audit.record("download", who, strict=True, page="data", dataset=f.dataset,
                     format=kind, filters=audit_filters(f, encoding if kind == "csv" else None),
                     rows=frame.height, publication=publication, run_id=run.get("run_id"))
        return data

    return make


def review_csv(frame: pl.DataFrame, who: access.Principal, *, plan_id: str, lang: str,
               run_id: str) -> Callable[[], bytes]:
    """The plan review page's lazy CSV (its rows, made when the page was drawn): the role is
    checked again when the bytes are made (``access.authorize_review_csv``), and the download
    leaves its audit line before they leave."""

    def make() -> bytes:
        now = access.authorize_review_csv(who)
        data = ex.to_csv(frame).data
        audit.record("download", now, strict=True, page="review", dataset="plan_review",
                     format="csv", filters={"plan": plan_id, "lang": lang}, rows=frame.height,
                     publication=now.public, run_id=run_id)
        return data

    return make


def brief_pack(v: View, kind: str, who: access.Principal, *, page: str,
               plan: str | None = None) -> Callable[[], bytes]:
    """A page's lazy briefing pack (``brief.build`` of the view, with the review of ``plan``'s
    generation): the role is checked again when the bytes are made
    (``access.authorize_brief``), and the download is audited before they leave."""

    def make() -> bytes:
        from dashboard import brief  # (the pack's libraries load on the first click)

        now = access.authorize_brief(who)
        data = brief.build(v, kind, plan=plan)
        filters = {**audit.view_filters(v), "lang": v.lang, **({"plan": plan} if plan else {})}
        audit.record("download", now, strict=True, page=page, dataset="briefing_pack",
                     format=kind, rows=len(METRICS), publication=False, filters=filters,
                     run_id=v.run.run_id)
        return data

    return make


def audit_csv(frame: pl.DataFrame, who: access.Principal, filters: dict
              ) -> Callable[[], bytes]:
    """The audit page's lazy CSV (here, not in ``audit``, so audit never imports access):
    the admin role is checked again when the bytes are made, and the download leaves its own
    line."""

    def make() -> bytes:
        now = access.authorize_page(who, "audit")
        data = ex.to_csv(frame).data
        audit.record("download", now, strict=True, page="audit", dataset="audit_log",
                     format="csv", filters=filters, rows=frame.height)
        return data

    return make


def draft_csv(frame: pl.DataFrame, who: access.Principal, *, name: str, revises: str,
              plan_id: str, run_id: str) -> Callable[[], bytes]:
    """A draft revision's file (the contract's ``plans.csv`` / ``plan_targets.csv``, exactly as
    a delivery takes them, or its ``impact.csv``), made when the page was drawn: the right is
    checked again when the bytes are made (``access.authorize_draft``) and the download leaves
    its audit line first."""
    from pipelines import revision

    def make() -> bytes:
        now = access.authorize_draft(who, "download")
        data = revision.csv_text(frame).encode("utf-8")
        audit.record("download", now, strict=True, page="draft", dataset=f"draft_{name}",
                     format="csv", filters={"revises": revises, "plan": plan_id},
                     rows=frame.height, publication=False, run_id=run_id)
        return data

    return make
