"""データ Data: pick a dataset (kpi, a mart, or a row-level staging table), filter it by the
global bureau/FY controls and its own categorical columns (all kept in the URL), see the row
count and a preview, and download exactly those rows as CSV, XLSX or Parquet.

Downloads are lazy: each button gets a callable that captures the filters on screen by closure
and reads the warehouse only when clicked. The publication switch (公表用) applies disclosure
control and offers aggregated datasets only.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import streamlit as st

from dashboard import access, audit, datasets, downloads, state, ui
from dashboard.datasets import DataFilter
from pipelines.settings import get_settings
from release import xlsx
from release.catalogue import DOWNLOADS, FILTER_PREFIX, Dataset

PREVIEW_ROWS = 100

v = state.view()
ss = st.session_state
threshold = get_settings().suppress_below
principal = access.require_page("data")  # the principal of this rerun


def dataset_label(name: str) -> str:
    ds = DOWNLOADS[name]
    return f"{ds.title(v.lang)} — {name} ({v.t('data_kind_' + ds.kind)})"


def short(meaning: str) -> str:
    """A column's meaning without its parenthesised detail, as a filter label."""
    return re.split(r"[(（(]", meaning, maxsplit=1)[0].strip() or meaning


def page_filters(ds: Dataset) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    chosen: list[tuple[str, tuple[Any, ...]]] = []
    with st.expander(v.t("data_filters"), expanded=True):
        grid = st.columns(3)
        for i, column in enumerate(ds.filters):
            options = datasets.data_options(v.run, ds.name, column)
            with grid[i % 3]:
                picked = state.url_multiselect(
                    FILTER_PREFIX + column, f"data_f_{column}",
                    f"{short(ds.column(column).meaning(v.lang))} ({column})", options,
                    lambda o, c=column: downloads.value_label(c, o, v.lang),
                    placeholder=v.t("data_filter_help"), token=downloads.token)
            if picked:
                chosen.append((column, tuple(picked)))
    return tuple(chosen)


st.caption(v.t("data_intro"))
top = st.columns([3, 2])
with top[1]:
    if access.publication_only(principal):
        state.claim("pub")
        publication = True
        st.caption(v.t("data_publication_help", t=threshold, m=threshold - 1)
                   if principal.public else v.t("data_viewer_publication"))
    else:
        publication = state.url_toggle("pub", "data_pub", v.t("data_publication"),
                                       v.t("data_publication_help", t=threshold, m=threshold - 1))
names = access.datasets_for(principal, publication)
asked = st.query_params.get("dataset")
if asked in DOWNLOADS and asked not in names:
    # a link to a dataset this person may not have: say so, record it, show the default
    audit.record("denied", principal, page="data", dataset=asked, publication=publication)
    st.warning(v.t("data_denied_dataset", name=asked), icon=":material/block:")
    del st.query_params["dataset"]
with top[0]:
    name = state.url_select("dataset", "data_dataset", v.t("data_dataset"), names, "kpi",
                            format_func=dataset_label)
ds = DOWNLOADS[name]
if publication and not principal.public:
    top[1].caption(v.t("data_rowlevel_hidden"))
st.caption(ds.definition(v.lang))

values = page_filters(ds)
f = DataFilter(name, v.bureaus if ds.bureau_column else None,
               v.fy_from if ds.fy_column else None, v.fy_to if ds.fy_column else None, values)
bureau_text = (v.t("all_bureaus") if v.bureaus is None
               else ", ".join(ui.md(v.bureau_label(c)) for c in v.bureaus))
st.caption(v.t("data_global", bureaus=bureau_text,
               fys=f"{v.fy_label(v.fy_from)} – {v.fy_label(v.fy_to)}"))
if v.filtered and ds.bureau_column:
    st.caption("ℹ️ " + v.t("data_bureau_note"))

if publication:
    with st.spinner(v.t("data_publication_wait")):
        shown, _, supp = downloads.publication_form(v.run.path, f, threshold, v.lang)
    total, preview = shown.height, shown.head(PREVIEW_ROWS)
else:
    supp = None
    total = datasets.data_count(v.run, f)
    preview = datasets.data_preview(v.run, f, v.lang, PREVIEW_ROWS)

seen = (name, f, publication)
if ss.get("_audit_data_view") != seen:  # which rows this person looked at (the preview)
    ss["_audit_data_view"] = seen
    audit.record("view", principal, page="data", dataset=name, rows=total,
                 filters=downloads.audit_filters(f), publication=publication, run_id=v.run.run_id)
st.metric(v.t("data_rows"), f"{total:,}")
if supp is not None:
    st.info(v.t("data_publication_on", n=f"{supp.cells:,}", t=threshold),
            icon=":material/shield:")
st.caption(v.t("data_preview", n=f"{min(PREVIEW_ROWS, total):,}", total=f"{total:,}"))
dates = {c: st.column_config.DateColumn(c, format="YYYY-MM-DD")
         for c, t in preview.schema.items() if t == pl.Date}
st.dataframe(preview, hide_index=True, width="stretch", key="data_preview", column_config=dates)

st.header(v.t("data_download"), anchor=False)
encoding = st.radio(v.t("data_encoding"), ["utf-8-sig", "cp932"], key="data_enc",
                    horizontal=True,
                    format_func=lambda e: v.t("data_enc_utf8" if e == "utf-8-sig"
                                              else "data_enc_cp932"))
if encoding == "cp932":
    st.caption(v.t("data_cp932_note"))
buttons = st.columns(len(downloads.FORMATS))
for col, kind in zip(buttons, downloads.FORMATS, strict=True):
    ok = downloads.within_budget(kind, total)
    with col:
        st.download_button(
            v.t(f"data_{kind}"),
            data=downloads.download(kind, v.run.path, f, lang=v.lang, publication=publication,
                                  threshold=threshold, bureau_names=v.bureau_names,
                                  principal=principal, encoding=encoding) if ok else b"",
            file_name=downloads.file_name(kind, ds, f, v.run.as_of_date, publication),
            mime=downloads.MIME[kind], key=f"data_dl_{kind}", on_click="ignore",
            icon=":material/download:", width="stretch", disabled=not ok)
for kind in ("csv", "xlsx"):
    if not downloads.within_budget(kind, total):
        st.warning(v.t("data_budget_over", fmt=kind.upper(), n=f"{total:,}",
                       rows=f"{downloads.BUDGET_ROWS[kind]:,}"), icon=":material/filter_alt:")
        break
if not downloads.within_budget("parquet", total):
    st.warning(v.t("data_budget_parquet_over", rows=f"{downloads.BUDGET_ROWS['parquet']:,}"))
st.caption(v.t("data_budget_note", csv=f"{downloads.BUDGET_ROWS['csv']:,}",
               xlsx=f"{downloads.BUDGET_ROWS['xlsx']:,}",
               parquet=f"{downloads.BUDGET_ROWS['parquet']:,}",
               mb=downloads.BUDGET_BYTES // 2**20))
if total > xlsx.XLSX_MAX_ROWS - 1:
    st.caption("ℹ️ " + v.t("data_xlsx_split"))
st.caption(v.t("data_files_note"))
