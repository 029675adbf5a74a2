"""提出状況 Submissions (the roll-up edition, issue 24): which organisation sent which month's
pack — a matrix of organisations × months (its as-of date, or "not sent") — and every pack
accepted, newest first: month, organisation, when it was accepted, its as-of date, who sent it,
and whether a later pack of the same month replaced it (both are kept: rollup_submissions)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import access, fmt
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui

v = rui.view()
access.require_page("submissions")
st.caption(v.t("rollup_submissions_intro"))

subs = rq.submissions(v.rollup)
months = list(reversed(v.rollup.months))  # newest first
st.header(v.t("rollup_sent_matrix"), anchor=False)
current = {(r["month"], r["organisation"]): r
           for r in subs.filter(pl.col("current")).iter_rows(named=True)}
table = []
for org in v.codes:
    line = {v.t("rollup_org"): v.org_label(org)}
    for mo in months:
        r = current.get((mo, org))
        line[v.month_label(mo)] = (v.t("rollup_not_sent_cell") if r is None else
                                   v.t("rollup_sent_cell", date=fmt.date(r["as_of_date"],
                                                                          v.lang)))
    table.append(line)
st.dataframe(pl.DataFrame(table), key="rollup_sent_matrix", hide_index=True, width="stretch",
             height=rui.table_height(len(table)),
             column_config={v.t("rollup_org"): st.column_config.TextColumn(pinned=True)})

st.header(v.t("rollup_every_submission"), anchor=False)
shown = subs.filter(pl.col("organisation").is_in(list(v.codes)))
if shown.height == 0:
    st.info(v.t("rollup_no_submissions"))
    st.stop()
st.dataframe(pl.DataFrame([{
    v.t("rollup_month"): v.month_label(r["month"]),
    v.t("rollup_org"): v.org_label(r["organisation"]),
    v.t("rollup_accepted_at"): fmt.timestamp(r["accepted_at"], v.lang),
    v.t("as_of"): fmt.date(r["as_of_date"], v.lang),
    v.t("rollup_submitted_by"): r["submitted_by"] or fmt.MISSING,
    v.t("rollup_state"): v.t("rollup_in_use") if r["current"] else v.t("rollup_superseded"),
} for r in shown.iter_rows(named=True)]), key="rollup_submissions_table", hide_index=True,
    width="stretch")
