"""定義 Dictionary: every warehouse dataset with its columns (type as loaded, meaning in Japanese
and English; columns only a download adds, such as ``bureau_name``, marked as such), every
metric's definition, and the plan targets as loaded.

Meanings come from ``release.catalogue`` (contract columns from ``pipelines.schema.TABLES``)
and definitions from ``pipelines.schema.METRICS``: nothing is typed twice.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import datasets, queries, state
from pipelines.schema import METRICS
from release import catalogue

v = state.view()
st.caption(v.t("dict_intro"))

types = datasets.table_columns(v.run)
type_of = {(r["table_name"], r["column_name"]): r["data_type"]
           for r in types.iter_rows(named=True)}
rows = datasets.table_rows(v.run)

tab_data, tab_metrics, tab_targets = st.tabs(
    [v.t("dict_datasets"), v.t("dict_metrics"), v.t("dict_targets")])

with tab_data:
    for kind in catalogue.KINDS:
        st.header(v.t(f"dict_kind_{kind}"), anchor=False)
        for ds in (d for d in catalogue.ALL if d.kind == kind):
            n = rows.get(ds.name)
            head = f"**{ds.name}** — {ds.title(v.lang)}"
            if n is not None:
                head += "　" + v.t("dict_rows", n=f"{n:,}")
            with st.expander(head):
                st.markdown(ds.definition(v.lang))
                if v.lang == "ja":
                    st.caption(ds.definition_en)
                cols = ds.export_columns  # the table's columns and what a download adds
                table = pl.DataFrame({
                    v.t("dict_column"): [c.name for c in cols],
                    v.t("dict_type"): [v.t("dict_export_only") if c.export_only
                                       else type_of.get((ds.name, c.name), v.t("dict_missing"))
                                       for c in cols],
                    v.t("dict_meaning_ja"): [c.ja for c in cols],
                    v.t("dict_meaning_en"): [c.en for c in cols],
                    v.t("dict_values"): [", ".join(c.values) for c in cols],
                    v.t("dict_source"): [c.source for c in cols],
                })
                st.dataframe(table, hide_index=True, width="stretch", key=f"dict_{ds.name}")

with tab_metrics:
    metrics = pl.DataFrame({
        v.t("dict_code"): [m.code for m in METRICS],
        v.t("section"): [m.section for m in METRICS],
        v.t("dict_kind"): [v.t("dict_rate" if m.is_rate else "dict_count") for m in METRICS],
        v.t("dict_by_bureau"): [m.by_bureau for m in METRICS],
        v.t("dict_name_ja"): [m.ja for m in METRICS],
        v.t("dict_name_en"): [m.en for m in METRICS],
        v.t("dict_def_ja"): [m.definition_ja for m in METRICS],
        v.t("dict_def_en"): [m.definition_en for m in METRICS],
    })
    st.dataframe(metrics, hide_index=True, width="stretch", key="dict_metrics")

with tab_targets:
    targets = queries.plan_targets(v.run)
    if targets.height == 0:
        st.info(v.t("dict_no_targets"))
    else:
        st.dataframe(targets, hide_index=True, width="stretch", key="dict_targets")
        st.caption(catalogue.BY_TABLE["plan_targets"].definition(v.lang))
