"""政府全体 Government-wide (the roll-up edition, issue 17): the ``ALL`` rows of rollup_kpi,
every metric × FY, each with its flag explained — F a sum (counts) or Σ numerator ÷ Σ
denominator (rates) of free parts; S withheld by the receiver because a part is, with the
bounds the free parts imply — and, for one metric (``?metric=``), the parts the total is made
of: each organisation's row and flag (the organisation filter narrows the parts shown, never
the total, which is always every organisation's)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import access, fmt, state
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

v = rui.view()
access.require_page("government")
st.caption(v.t("rollup_government_intro", n=len(v.all_orgs)))
if v.filtered:
    st.caption("ℹ️ " + v.t("rollup_total_all_orgs"))

total = rq.government(v.rollup)
by_key = {(r["metric"], r["fiscal_year"]): r for r in total.iter_rows(named=True)}

# --- every metric × FY ------------------------------------------------------------------------
st.header(v.t("rollup_total_title"), anchor=False)
table = []
for m in METRICS:
    line = {v.t("metric"): i18n.metric_name(m.code, v.lang)}
    for f in v.fys:
        r = by_key.get((m.code, f))
        line[v.fy_label(f)] = rui.cell(r, m.is_rate, v.lang)
    table.append(line)
st.dataframe(pl.DataFrame(table), key="rollup_total_matrix", hide_index=True, width="stretch",
             height=rui.table_height(len(table)),
             column_config={v.t("metric"): st.column_config.TextColumn(pinned=True)})
rui.flags(v)

# --- one metric: the total, its flag and bounds, and its parts ---------------------------------
codes = [m.code for m in METRICS]
metric = state.url_select("metric", "rollup_gov_metric", v.t("metric"), codes, codes[0],
                          format_func=lambda c: i18n.metric_name(c, v.lang),
                          container=st.columns([1, 2])[0])
m = METRIC_BY_CODE[metric]
st.header(v.t("rollup_total_metric", metric=i18n.metric_name(metric, v.lang)), anchor=False)
rows = []
for r in total.filter(pl.col("metric") == metric).iter_rows(named=True):
    rows.append({
        v.t("fy"): v.fy_label(r["fiscal_year"]),
        v.t("rollup_value"): rui.cell(r, m.is_rate, v.lang),
        v.t("rollup_ratio"): rui.ratio_text(r, m.is_rate),
        v.t("rollup_flag"): f"{r['flag']} — {rui.flag_text(r['flag'], v.lang)}",
        v.t("rollup_bounds"): rui.bounds_text(r, m.is_rate, v.lang) or fmt.MISSING,
    })
if not rows:
    st.info(v.t("no_rows"))
    st.stop()
st.dataframe(pl.DataFrame(rows), key="rollup_total_table", hide_index=True, width="stretch")
st.caption(v.t("rollup_bounds_note_rate") if m.is_rate else v.t("rollup_bounds_note_count"))

st.header(v.t("rollup_parts"), anchor=False)
shown = rui.side_by_side(v, "rollup_parts_group")  # ≤ rui.SIDE_BY_SIDE at once
parts = rq.kpi(v.rollup, shown if len(shown) < len(v.all_orgs) else None).filter(
    pl.col("metric") == metric)
rui.metric_chart(v, metric, parts, key="rollup_parts_chart", orgs=shown)
