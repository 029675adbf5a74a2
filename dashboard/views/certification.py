"""資格 Certification (§3): certified staff and passes per FY, passes by exam and ITSS level,
pass rate with and without the preparation course."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, fmt, pace, queries, state, ui

v = state.view()
st.caption(v.t("cert_intro"))
ticks = ui.ticks(v, v.fys)

left, right = ui.pair(v)
with left:
    ui.kpi_chart(v, "ipa_certified_staff", key="chart_ipa_certified_staff", kind="bar")
with right:
    ui.kpi_chart(v, "ipa_passes", key="chart_ipa_passes", kind="bar")

pace.block(v, ["ipa_passes"], key="pace_certification")

cert = queries.certification(v.run, v.bureaus, v.fy_from, v.fy_to)
passes = cert.filter(pl.col("result") == "pass")
ex = queries.exams(v.run)
names = dict(zip(ex["exam_code"].to_list(),
                 map(charts.plain, ex["name_en" if v.lang == "en" else "name_ja"].to_list()),
                 strict=True))

left, right = ui.pair(v)
with left:
    st.header(v.t("passes_by_exam"), anchor=False)
    groups = {}
    for code in ex["exam_code"].to_list():
        rows = passes.filter(pl.col("exam_code") == code)
        if rows.height:
            groups[names[code]] = ui.per_fy(rows, v.fys, "sittings")
    ui.chart(ui.plot(charts.stacked_bars, v.fys, groups, ticks, lang=v.lang, height=420),
             key="chart_passes_by_exam", caption=v.t("passes_by_exam_caption"))
with right:
    st.header(v.t("passes_by_level"), anchor=False)
    groups = {}
    for lv in sorted(set(ex["itss_level"].to_list())):
        groups[v.t("itss_level", n=lv)] = ui.per_fy(passes.filter(pl.col("itss_level") == lv),
                                                    v.fys, "sittings")
    ui.chart(ui.plot(charts.stacked_bars, v.fys, groups, ticks, lang=v.lang, height=420),
             key="chart_passes_by_level", caption=v.t("passes_by_level_caption"))

st.header(v.t("pass_rate_prep"), anchor=False)
agg = cert.group_by("fiscal_year", "prep_course").agg(
    pl.col("sittings").sum().alias("sittings"),
    pl.col("sittings").filter(pl.col("result") == "pass").sum().alias("passes"))
groups, extra, rows = {}, {}, []
for prep, key in ((True, "with_prep"), (False, "without_prep")):
    d = {r["fiscal_year"]: r for r in agg.filter(pl.col("prep_course") == prep)
         .iter_rows(named=True)}
    groups[v.t(key)], extra[v.t(key)] = ui.ratio_per_fy(d, v.fys, "passes", "sittings")
ui.chart(ui.plot(charts.lines, v.fys, groups, ticks, lang=v.lang, percent=True, hover_extra=extra),
         key="chart_pass_rate_prep", caption=v.t("pass_rate_prep_caption"))

ui.kpi_table(v, ["ipa_certified_staff", "ipa_passes"], key="table_certification")
tbl = agg.sort("fiscal_year", "prep_course", descending=[False, True]).with_columns(
    (pl.col("passes") / pl.col("sittings")).alias("rate"))
ui.data_table(v, pl.DataFrame({
    v.t("fy"): [v.fy_label(f) for f in tbl["fiscal_year"].to_list()],
    v.t("pass_rate_prep"): [v.t("with_prep") if p else v.t("without_prep")
                            for p in tbl["prep_course"].to_list()],
    v.t("sittings"): tbl["sittings"].to_list(),
    v.t("passes"): tbl["passes"].to_list(),
    v.t("rate"): [fmt.value(r, True) for r in tbl["rate"].to_list()],
}), key="table_pass_rate", title=False)
