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

from dashboard import analyst, queries, state, xlsx
from dashboard.catalogue import DOWNLOADS, FILTER_PREFIX, Dataset
from dashboard.queries import DataFilter
from pipelines.settings import edition, get_settings

PREVIEW_ROWS = 100

v = state.view()
ss = st.session_state
threshold = get_settings().suppress_below
public = edition() == "public"  # publication datasets only, nothing else


def _url_values(param: str) -> list[str] | None:
    raw = st.query_params.get_all(param)
    if not raw:
        return None
    return [p.strip() for p in ",".join(raw).split(",") if p.strip()]


def _notice(param: str) -> None:
    msg = v.t("ignored_params", names=param)
    st.toast(msg, icon="⚠️")
    st.caption("⚠️ " + msg)


def url_toggle(param: str, key: str, label: str, help: str) -> bool:  # noqa: A002
    """A toggle kept in the URL as ``param=1`` while on."""
    state.claim(param)
    shadow = f"_keep_{key}"
    if key not in ss:
        value = ss.get(shadow)
        if value is None:
            raw = _url_values(param)
            value = raw in (["1"], ["true"])
            if raw is not None and raw not in (["1"], ["true"], ["0"], ["false"]):
                _notice(param)
        ss[key] = bool(value)
    value = st.toggle(label, key=key, help=help)
    ss[shadow] = value
    if value:
        if st.query_params.get(param) != "1":
            st.query_params[param] = "1"
    elif param in st.query_params:
        del st.query_params[param]
    return value


def url_multiselect(param: str, key: str, label: str, options: list[Any],
                    format_func: Any) -> list[Any]:
    """A multiselect kept in the URL as ``param=a,b``; values not among ``options`` are
    dropped with a notice. Empty = no filter."""
    state.claim(param)
    shadow = f"_keep_{key}"
    by_token = {analyst.token(o): o for o in options}
    if key not in ss:
        value = ss.get(shadow)
        if value is None:
            raw = _url_values(param) or []
            value = [by_token[t] for t in raw if t in by_token]
            if len(value) != len(raw):
                _notice(param)
        ss[key] = [o for o in dict.fromkeys(value) if o in options]
    else:
        ss[key] = [o for o in ss[key] if o in options]
    value = st.multiselect(label, options, key=key, format_func=format_func,
                           placeholder=v.t("data_filter_help"))
    ss[shadow] = value
    text = ",".join(analyst.token(o) for o in value)
    if value:
        if st.query_params.get(param) != text:
            st.query_params[param] = text
    elif param in st.query_params:
        del st.query_params[param]
    return value


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
            options = queries.data_options(v.run, ds.name, column)
            with grid[i % 3]:
                picked = url_multiselect(
                    FILTER_PREFIX + column, f"data_f_{column}",
                    f"{short(ds.column(column).meaning(v.lang))} ({column})", options,
                    lambda o, c=column: analyst.value_label(c, o, v.lang))
            if picked:
                chosen.append((column, tuple(picked)))
    return tuple(chosen)


st.caption(v.t("data_intro"))
top = st.columns([3, 2])
with top[1]:
    if public:
        publication = True
        st.caption(v.t("data_publication_help", t=threshold, m=threshold - 1))
    else:
        publication = url_toggle("pub", "data_pub", v.t("data_publication"),
                                 v.t("data_publication_help", t=threshold, m=threshold - 1))
names = [n for n, ds in DOWNLOADS.items() if ds.aggregated or not publication]
with top[0]:
    name = state.page_select("dataset", "data_dataset", v.t("data_dataset"), names, "kpi",
                             format_func=dataset_label)
ds = DOWNLOADS[name]
if publication and not public:
    top[1].caption(v.t("data_rowlevel_hidden"))
st.caption(ds.definition(v.lang))

values = page_filters(ds)
f = DataFilter(name, v.bureaus if ds.bureau_column else None,
               v.fy_from if ds.fy_column else None, v.fy_to if ds.fy_column else None, values)
bureau_text = (v.t("all_bureaus") if v.bureaus is None
               else ", ".join(v.bureau_label(c) for c in v.bureaus))
st.caption(v.t("data_global", bureaus=bureau_text,
               fys=f"{v.fy_label(v.fy_from)} – {v.fy_label(v.fy_to)}"))
if v.filtered and ds.bureau_column:
    st.caption("ℹ️ " + v.t("data_bureau_note"))

if publication:
    with st.spinner(v.t("data_publication_wait")):
        shown, _, supp = analyst.publication_form(v.run.path, f, threshold, v.lang)
    total, preview = shown.height, shown.head(PREVIEW_ROWS)
else:
    supp = None
    total = queries.data_count(v.run, f)
    preview = queries.data_preview(v.run, f, v.lang, PREVIEW_ROWS)

st.metric(v.t("data_rows"), f"{total:,}")
if supp is not None:
    st.info(v.t("data_publication_on", n=f"{supp.cells:,}", t=threshold),
            icon=":material/shield:")
st.caption(v.t("data_preview", n=f"{min(PREVIEW_ROWS, total):,}", total=f"{total:,}"))
dates = {c: st.column_config.DateColumn(c, format="YYYY-MM-DD")
         for c, t in preview.schema.items() if t == pl.Date}
st.dataframe(preview, hide_index=True, width="stretch", key="data_preview", column_config=dates)

st.subheader(v.t("data_download"), anchor=False)
encoding = st.radio(v.t("data_encoding"), ["utf-8-sig", "cp932"], key="data_enc",
                    horizontal=True,
                    format_func=lambda e: v.t("data_enc_utf8" if e == "utf-8-sig"
                                              else "data_enc_cp932"))
if encoding == "cp932":
    st.caption(v.t("data_cp932_note"))
buttons = st.columns(len(analyst.FORMATS))
for col, kind in zip(buttons, analyst.FORMATS, strict=True):
    with col:
        st.download_button(
            v.t(f"data_{kind}"),
            data=analyst.download(kind, v.run.path, f, lang=v.lang, publication=publication,
                                  threshold=threshold, bureau_names=v.bureau_names,
                                  encoding=encoding),
            file_name=analyst.file_name(kind, ds, f, v.run.as_of_date, publication),
            mime=analyst.MIME[kind], key=f"data_dl_{kind}", on_click="ignore",
            icon=":material/download:", width="stretch")
if total > xlsx.XLSX_MAX_ROWS - 1:
    st.caption("ℹ️ " + v.t("data_xlsx_split"))
st.caption(v.t("data_files_note"))
