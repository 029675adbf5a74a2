"""月ごとの推移 Month by month (the roll-up edition, issue 24): one metric (``?metric=``) of the
fiscal year in progress at the month shown (``?month=``), as each month's packs showed it —
the government-wide value (the total over the organisations that sent that month) and each
organisation's own — from April (or the store's first month) to the month shown. A month an
organisation did not send is "not sent", never filled from an earlier month; a withheld cell
is [c] with its flag, and not drawn."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboard import access, state
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui
from pipelines.fiscal import fiscal_year
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

v = rui.view()
access.require_page("months")


def fy_of(month: str) -> int:
    return fiscal_year(dt.date(int(month[:4]), int(month[5:7]), 1))


fy = fy_of(v.month)
months = tuple(m for m in v.rollup.months if m <= v.month and fy_of(m) == fy)
st.caption(v.t("rollup_months_intro", fy=v.fy_label(fy)))

codes = [m.code for m in METRICS]
metric = state.url_select("metric", "rollup_months_metric", v.t("metric"), codes, codes[0],
                          format_func=lambda c: i18n.metric_name(c, v.lang),
                          container=st.columns([1, 2])[0])
m = METRIC_BY_CODE[metric]
name = i18n.metric_name(metric, v.lang)
st.header(v.t("rollup_months_title", metric=name, fy=v.fy_label(fy)), anchor=False)

rows = rq.by_month(v.rollup, metric, fy, months)
sent = set(rq.submissions(v.rollup).filter(pl.col("current"))
           .select(pl.concat_str("month", pl.lit("|"), "organisation"))
           .to_series().to_list())
by_key = {(r["month"], r["organisation"]): r for r in rows.iter_rows(named=True)}
series = [rq.ALL, *rui.side_by_side(v, "rollup_months_group")]  # ≤ rui.SIDE_BY_SIDE at once
table = []
for org in series:
    line = {v.t("rollup_org"): v.org_label(org)}
    for mo in months:
        r = by_key.get((mo, org))
        if r is None and org != rq.ALL and f"{mo}|{org}" not in sent:
            line[v.month_label(mo)] = v.t("rollup_not_sent_cell")
        else:
            line[v.month_label(mo)] = rui.cell(r, m.is_rate, v.lang)
    table.append(line)
st.dataframe(pl.DataFrame(table), key="rollup_months_table", hide_index=True, width="stretch",
             height=rui.table_height(len(table)),
             column_config={v.t("rollup_org"): st.column_config.TextColumn(pinned=True)})
rui.month_chart(v, metric, months, series, by_key, key="rollup_months_chart")
st.caption(v.t("rollup_months_caption", metric=name) + " " + i18n.metric_caption(metric, v.lang))
rui.flags(v)
