"""人材配置 Workforce & careers (§1, §4): headcount by bureau × grade, digital-talent staff,
secondees by destination, career-path posts by grade, external specialists and exchange."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, queries, state, ui
from pipelines.schema import GRADES
from release import i18n

v = state.view()
st.caption(v.t("workforce_intro"))
ticks = ui.ticks(v, v.fys)
hc = queries.headcount(v.run, v.bureaus, v.fy_from, v.fy_to)

st.header(v.t("headcount_grade"), anchor=False)
c1, _ = st.columns([1, 3])
fy = state.fy_select(v, key="workforce_fy", container=c1)
snap = hc.filter(pl.col("fiscal_year") == fy).group_by("bureau_code", "grade").agg(
    pl.sum("headcount"))
totals = dict(snap.group_by("bureau_code").agg(pl.sum("headcount")).iter_rows())
codes = sorted(totals, key=lambda c: -totals[c])
groups = {}
for g in GRADES:
    d = dict(snap.filter(pl.col("grade") == g).select("bureau_code", "headcount").iter_rows())
    groups[i18n.enum_label("grade", g, v.lang)] = [ui.whole(d.get(c, 0)) for c in codes]
fig = ui.plot(charts.hbars, [charts.plain(v.bureau_label(c)) for c in codes], groups)
ui.chart(fig, key="chart_headcount_grade",
         caption=f"{v.fy_label(fy)} — {v.t('headcount_grade_caption')}")

left, right = ui.pair(v)
with left:
    ui.kpi_chart(v, "digital_talent_staff", key="chart_digital_talent", kind="bar")
with right:
    st.header(v.t("secondees_by_dest"), anchor=False)
    groups = {}
    for dest in ("digital_agency", "ppc", "nisc"):
        groups[i18n.enum_label("placement", dest, v.lang)] = ui.per_fy(
            hc.filter(pl.col("placement") == dest), v.fys, "headcount")
    fig = charts.stacked_bars(v.fys, groups, ticks, lang=v.lang)
    sec = ui.in_span(v, queries.kpi_series(v.run, v.bureaus, "secondees"))
    charts.add_targets(fig, ui.points(sec), False, v.lang)
    ui.chart(fig, key="chart_secondees", caption=ui.metric_caption(v, "secondees"))
    ui.bureau_notes(v, "secondees", sec)

left, right = ui.pair(v)
with left:
    st.header(v.t("career_posts"), anchor=False)
    cp = queries.career_posts(v.run, v.bureaus, v.fy_from, v.fy_to).filter(
        pl.col("fiscal_year") == fy)
    posts = ("security", "systems", "crisis")
    groups = {}
    for g in GRADES:
        d = dict(cp.filter(pl.col("grade") == g).select("post_type", "headcount").iter_rows())
        if d:
            groups[i18n.enum_label("grade", g, v.lang)] = [ui.whole(d.get(p, 0))
                                                           for p in posts]
    fig = ui.plot(charts.hbars, [i18n.enum_label("post_type", p, v.lang) for p in posts], groups)
    ui.chart(fig, key="chart_career_posts",
             caption=f"{v.fy_label(fy)} — {v.t('career_posts_caption')}")
with right:
    st.header(v.t("external"), anchor=False)
    series = {
        v.t("ext_specialist"): pl.col("employment_type") == "specialist",
        v.t("ext_exchange"): pl.col("employment_type") == "exchange",
        v.t("ext_private"): pl.col("placement") == "private_sector",
    }
    groups = {}
    for name, cond in series.items():
        groups[name] = ui.per_fy(hc.filter(cond), v.fys, "headcount")
    ui.chart(ui.plot(charts.stacked_bars, v.fys, groups, ticks, lang=v.lang, barmode="group"),
             key="chart_external", caption=v.t("external_caption"))

ui.kpi_table(v, ["digital_talent_staff", "secondees"], key="table_workforce")
