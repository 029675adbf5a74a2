"""採用 Hiring (§2): digital-talent hires per FY against the 1–2 band, published figures,
cumulative hires, hires by track and by bureau, and the numbers as a table."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, fmt, pace, queries, state, ui
from pipelines.schema import TRACKS
from release import i18n

CODE = "digital_hires"
v = state.view()
st.caption(v.t("hiring_intro"))

series = ui.in_span(v, queries.kpi_series(v.run, v.bureaus, CODE))
full = queries.kpi_series(v.run, v.bureaus, CODE)
pts = ui.points(series)
ticks = ui.ticks(v, v.fys)

# published figures (ministry-wide): mark the bars, flag a disagreement
pub = {} if v.filtered else {r["fiscal_year"]: r for r in
                             queries.published_check(v.run, CODE).iter_rows(named=True)}
texts, outline, outline_c, extra = [], [], [], []
for p in pts:
    t = fmt.value(p.value, False)
    if p.status != "no_target":
        t += " " + i18n.STATUS_SYMBOLS[p.status]
    r = pub.get(p.fy)
    if r is not None:
        pv = fmt.value(r["published_value"], False)
        if r["matches"]:
            t += f"<br>{v.t('published')}"
            extra.append(f"<br>{v.t('published')}: {pv} ({charts.plain(r['source'])})")
        else:
            t += f"<br>⚠ {v.t('published_mismatch', pub=pv)}"
            extra.append(f"<br>⚠ {v.t('published_mismatch', pub=pv)} — "
                         f"{charts.plain(r['source'])}")
        outline.append(True)
        outline_c.append("#000000" if r["matches"] else charts.STATUS_COLOURS["below"])
    else:
        extra.append("")
        outline.append(False)
        outline_c.append("#000000")
    texts.append(t)

st.header(i18n.metric_name(CODE, v.lang), anchor=False)
fig = ui.plot(charts.kpi_chart, pts, ticks, is_rate=False, lang=v.lang, kind="bar",
              name=i18n.metric_name(CODE, v.lang), bar_text=texts, outline=outline,
              outline_colour=outline_c, hover_extra=extra, height=380)
ui.chart(fig, key="chart_digital_hires", caption=ui.metric_caption(v, CODE),
         alt=i18n.metric_name(CODE, v.lang))
if pub:
    st.caption("ℹ️ " + v.t("published_note"))
elif v.filtered:
    st.caption("ℹ️ " + v.t("published_filtered"))
ui.bureau_notes(v, CODE, series)
pace.block(v, [CODE], key="pace_hiring")

# cumulative hires, counted from the first FY in the data
cum_all = full.select("fiscal_year", pl.col("value").fill_null(0).cum_sum().alias("cum"))
cum = cum_all.filter(pl.col("fiscal_year").is_between(v.fy_from, v.fy_to))
left, right = ui.pair(v)
with left:
    st.header(v.t("cumulative"), anchor=False)
    first = v.fy_label(v.all_fys[0])
    fig = ui.plot(charts.lines, cum["fiscal_year"].to_list(),
                  {v.t("cumulative"): cum["cum"].to_list()}, ticks, lang=v.lang, legend=False)
    ui.chart(fig, key="chart_cumulative", caption=v.t("cumulative_caption", first=first))

# hires by track and by bureau (mart_hiring)
hires = queries.hiring(v.run, v.bureaus, v.fy_from, v.fy_to)
with right:
    st.header(v.t("by_track"), anchor=False)
    by_track = {}
    for tr in TRACKS:
        by_track[i18n.enum_label("track", tr, v.lang)] = ui.per_fy(
            hires.filter(pl.col("track") == tr), v.fys, "hires")
    fig = ui.plot(charts.stacked_bars, v.fys, by_track, ticks, lang=v.lang)
    ui.chart(fig, key="chart_by_track", caption=v.t("by_track_caption"))

st.header(v.t("by_bureau"), anchor=False)
c1, _ = st.columns([1, 3])
track_opts = ["digital_candidate", "all"]
track = state.url_select("track", "hiring_track", v.t("track_filter"), track_opts,
                          "digital_candidate", container=c1,
                          format_func=lambda x: v.t("all_tracks") if x == "all"
                          else i18n.enum_label("track", x, v.lang))
sub = hires if track == "all" else hires.filter(pl.col("track") == track)
agg = sub.group_by("fiscal_year", "bureau_code").agg(pl.sum("hires"))
codes = list(v.bureaus) if v.bureaus else sorted(
    set(agg["bureau_code"].drop_nulls().to_list()))
by_bureau = {}
for b in codes:
    d = dict(agg.filter(pl.col("bureau_code") == b).select("fiscal_year", "hires").iter_rows())
    by_bureau[charts.plain(v.bureau_label(b))] = [ui.whole(d.get(f, 0)) for f in v.fys]
track_name = v.t("all_tracks") if track == "all" else i18n.enum_label("track", track, v.lang)
fig = ui.plot(charts.stacked_bars, v.fys, by_bureau, ticks, lang=v.lang, height=380)
ui.chart(fig, key="chart_by_bureau", caption=v.t("by_bureau_caption", track=track_name))

# the numbers
by_fy = {p.fy: p for p in pts}
total = dict(hires.group_by("fiscal_year").agg(pl.sum("hires")).iter_rows())
cum_d = dict(cum.iter_rows())
columns = {
    v.t("fy"): [v.fy_label(f) for f in v.fys],
    i18n.metric_name(CODE, v.lang): [by_fy[f].value if f in by_fy else None for f in v.fys],
    v.t("target"): [fmt.target(by_fy[f].target_kind, by_fy[f].target_min,
                                    by_fy[f].target_max, False, v.lang)
                    if f in by_fy and by_fy[f].target_kind else "" for f in v.fys],
    v.t("status"): [i18n.status_text(by_fy[f].status, v.lang)
                    if f in by_fy and by_fy[f].status != "no_target" else "" for f in v.fys],
}
if pub:
    columns[v.t("published")] = [fmt.value(pub[f]["published_value"], False)
                                 if f in pub else "–" for f in v.fys]
columns[v.t("cumulative")] = [cum_d.get(f) for f in v.fys]
columns[v.t("total_hires")] = [fmt.value(ui.whole(total.get(f, 0)), False)
                               for f in v.fys]
ui.data_table(v, pl.DataFrame(columns, strict=False), key="table_hiring")
