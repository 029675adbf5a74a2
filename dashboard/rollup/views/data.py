"""データ Data (the roll-up edition, issue 17): the roll-up's own datasets for the selected
organisations — rollup_kpi (every organisation's published kpi rows, bureau rows included, and
the government-wide rows) and rollup_kpi_pace — as CSV or XLSX. Made on the click
(``dashboard.rollup.downloads``): the role is checked again then and the download audited. No
row-level dataset exists in the roll-up file, so none is offered."""

from __future__ import annotations

import streamlit as st

from dashboard import access, downloads, ui
from dashboard.rollup import downloads as rd
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui

v = rui.view()
principal = access.require_page("rollup-data")
st.caption(v.t("rollup_data_intro"))
if v.filtered:
    # organisation names come from the packs: text, never Markdown (issue 28)
    st.caption("ℹ️ " + v.t("rollup_data_filtered", orgs=", ".join(
        ui.inert(v.org_label(c)) for c in v.codes)))

as_of = max((d for d in rq.organisations(v.rollup)["as_of_date"].to_list() if d), default=None)
for dataset in rd.DATASETS:
    if dataset == "rollup_kpi_pace" and not v.rollup.has_pace:
        continue
    st.header(rd.title(dataset, v.lang), anchor=False)
    st.caption(rd.definition(dataset, v.lang))
    total = rq.download_count(v.rollup, dataset, v.orgs, v.month)
    for kind, col in zip(rd.FORMATS, st.columns(4), strict=False):
        allowed = access.may_rollup_download(principal, dataset)
        fits = downloads.within_budget(kind, total)  # the ministry edition's budget
        ok = allowed and fits
        col.download_button(
            v.t(f"data_{kind}"), key=f"rollup_dl_{dataset}_{kind}", on_click="ignore",
            data=rd.download(kind, v.rollup.path, dataset, v.orgs, lang=v.lang,
                             names=v.org_names, as_of=as_of, run_id=v.rollup.run_id,
                             principal=principal, month=v.month) if ok else b"",
            file_name=rd.file_name(kind, dataset, v.orgs, as_of), mime=rd.MIME[kind],
            disabled=not ok, help=None if ok else v.t("rollup_download_role") if not allowed
            else v.t("rollup_budget_over", fmt=kind.upper(), n=f"{total:,}",
                     rows=f"{downloads.BUDGET_ROWS[kind]:,}"),
            icon=":material/download:", width="stretch")
    over = [k for k in rd.FORMATS if not downloads.within_budget(k, total)]
    if over:
        st.warning(v.t("rollup_budget_over", fmt=over[0].upper(), n=f"{total:,}",
                       rows=f"{downloads.BUDGET_ROWS[over[0]]:,}"), icon=":material/filter_alt:")
st.caption(v.t("rollup_data_note"))
