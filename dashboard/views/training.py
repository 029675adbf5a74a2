"""研修 Training (§3, §4(1)): participants by level and provider, new-hire training rates,
training_participants with its growth status, and training along the career path."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, pace, queries, state, ui
from pipelines.schema import LEVELS, PROVIDERS
from release import i18n

v = state.view()
st.caption(v.t("training_intro"))
ticks = ui.ticks(v, v.fys)
tr = queries.training(v.run, v.bureaus, v.fy_from, v.fy_to)


left, right = ui.pair(v)
with left:
    st.header(v.t("by_level"), anchor=False)
    uit = tr.filter(pl.col("category") == "unified_it")
    groups = {}
    for lv in LEVELS:
        groups[i18n.enum_label("level", lv, v.lang)] = ui.per_fy(
            uit.filter(pl.col("level") == lv), v.fys, "participants")
    ui.chart(ui.plot(charts.stacked_bars, v.fys, groups, ticks, lang=v.lang), key="chart_by_level",
             caption=v.t("by_level_caption"))
with right:
    st.header(v.t("by_provider"), anchor=False)
    dig = tr.filter(pl.col("category").is_in(["unified_it", "it_seminar", "mic_digital",
                                               "exam_prep"]))
    groups = {}
    for pr in PROVIDERS:
        rows = dig.filter(pl.col("provider") == pr)
        if rows.height:
            groups[i18n.enum_label("provider", pr, v.lang)] = ui.per_fy(rows, v.fys,
                                                                         "participants")
    ui.chart(ui.plot(charts.stacked_bars, v.fys, groups, ticks, lang=v.lang),
             key="chart_by_provider", caption=v.t("by_provider_caption"))
ui.bureau_notes(v, "training_participants")

left, right = ui.pair(v)
with left:
    ui.kpi_chart(v, "training_participants", key="chart_training_participants", kind="bar")
with right:
    st.header(v.t("new_hire_rates"), anchor=False)
    series = {}
    for code in ("new_hire_a_level_rate", "new_hire_security_rate"):
        s = ui.in_span(v, queries.kpi_series(v.run, v.bureaus, code))
        series[i18n.metric_name(code, v.lang)] = ui.points(s)
    ui.chart(ui.plot(charts.rate_lines, series, ticks, lang=v.lang), key="chart_new_hire_rates",
             caption=" / ".join(ui.metric_caption(v, c) for c in
                                ("new_hire_a_level_rate", "new_hire_security_rate")))

pace.block(v, ["training_participants", "new_hire_a_level_rate", "new_hire_security_rate"],
           key="pace_training")

st.header(v.t("career_training"), anchor=False)
ct = queries.career_training(v.run, v.bureaus, v.fy_from, v.fy_to)
groups, extra = {}, {}
for grade, key in (("staff", "staff_ab"), ("chief", "chief_cd")):
    d = {r["fiscal_year"]: r for r in ct.filter(pl.col("grade") == grade).iter_rows(named=True)}
    groups[v.t(key)], extra[v.t(key)] = ui.ratio_per_fy(d, v.fys, "completed", "eligible")
ui.chart(ui.plot(charts.lines, v.fys, groups, ticks, lang=v.lang, percent=True, hover_extra=extra),
         key="chart_career_training", caption=v.t("career_training_caption"))

ui.kpi_table(v, ["training_participants", "new_hire_a_level_rate", "new_hire_security_rate"],
             key="table_training")
