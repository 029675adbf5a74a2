"""情報セキュリティ Security literacy (§5): e-learning by bureau and over time, drills held,
open and report rates per drill round, follow-up and promotion training."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, fmt, pace, queries, state, ui
from release import i18n

CODE = "security_elearning_rate"
v = state.view()
st.caption(v.t("security_intro"))
ticks = ui.ticks(v, v.fys)

st.header(v.t("elearning_by_bureau"), anchor=False)
c1, _ = st.columns([1, 3])
fy = state.fy_select(v, key="security_fy", container=c1)
rows = queries.kpi_by_bureau(v.run, v.bureaus, CODE).filter(pl.col("fiscal_year") == fy)
total = queries.kpi_series(v.run, v.bureaus, CODE).filter(pl.col("fiscal_year") == fy)
labels, values, statuses, texts, hover = [], [], [], [], []
for r in (total.to_dicts() + rows.to_dicts()):
    is_total = "bureau_code" not in r
    labels.append(f"<b>{v.t('selection_total' if v.filtered else 'ministry_total')}</b>"
                  if is_total else charts.plain(r["name_en"] if v.lang == "en" else r["name_ja"]))
    values.append(r["value"])
    statuses.append(r["status"])
    texts.append(f"{fmt.value(r['value'], True)} "
                 f"{i18n.STATUS_SYMBOLS[r['status']] if r['status'] != 'no_target' else ''}")
    hover.append(f" ({fmt.value(r['numerator'], False)} / "
                 f"{fmt.value(r['denominator'], False)})<br>"
                 f"{i18n.status_text(r['status'], v.lang)}")
fig = charts.dots(labels, values, statuses, texts, hover,
                  name=i18n.metric_name(CODE, v.lang))
target = total.filter(pl.col("target_kind").is_not_null())
if target.height:
    t = target.row(0, named=True)
    y = t["target_min"] if t["target_kind"] in ("min", "range") else t["target_max"]
    if y is not None:
        charts.target_vline(fig, y, v.t("target_band", text=fmt.target(
            t["target_kind"], t["target_min"], t["target_max"], True, v.lang)))
ui.chart(fig, key="chart_elearning_by_bureau",
         caption=f"{v.fy_label(fy)} — {ui.metric_caption(v, CODE)}")

left, right = ui.pair(v)
with left:
    st.header(v.t("elearning_trend"), anchor=False)
    ui.kpi_chart(v, CODE, key="chart_elearning_trend", title=False)
with right:
    ui.kpi_chart(v, "phishing_drills_held", key="chart_drills_held", kind="bar")

pace.block(v, ["security_elearning_rate", "phishing_drills_held", "phishing_open_rate",
                "phishing_report_rate", "phishing_followup_rate", "promotion_training_rate"],
           key="pace_security")

st.header(v.t("drill_rounds"), anchor=False)
dr = queries.drills(v.run, v.bureaus, v.fy_from, v.fy_to)
if dr.height:
    hover = [f"{v.fy_label(r['fiscal_year'])} {v.t('round', n=r['round'])} · {r['sent_on']}"
             f"<br>{v.t('sent')} {fmt.value(r['sent'], False)} · "
             f"{v.t('opened')} {fmt.value(r['opened'], False)} · "
             f"{v.t('reported')} {fmt.value(r['reported'], False)}"
             for r in dr.iter_rows(named=True)]
    fig = ui.plot(
        charts.date_lines, dr["sent_on"].to_list(),
        {i18n.metric_name("phishing_open_rate", v.lang):
             [o / s if s else None for o, s in zip(dr["opened"], dr["sent"], strict=True)],
         i18n.metric_name("phishing_report_rate", v.lang):
             [r / s if s else None for r, s in zip(dr["reported"], dr["sent"], strict=True)]},
        hover, lang=v.lang)
    ui.chart(fig, key="chart_drill_rounds", caption=v.t("drill_rounds_caption"))
else:
    st.info(v.t("no_rows"))

left, right = ui.pair(v)
with left:
    ui.kpi_chart(v, "phishing_followup_rate", key="chart_followup")
with right:
    ui.kpi_chart(v, "promotion_training_rate", key="chart_promotion")

ui.kpi_table(v, [CODE, "phishing_drills_held", "phishing_open_rate", "phishing_report_rate",
                 "phishing_followup_rate", "promotion_training_rate"], key="table_security")
