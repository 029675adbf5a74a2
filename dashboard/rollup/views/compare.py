"""組織別の比較 Organisations side by side (the roll-up edition's first page, issue 17).

One FY (``?fy=``): every metric × organisation, each value with its status against that
organisation's own plan target (symbol and word), [c] where withheld, the government-wide
total beside them. One metric (``?metric=``): each organisation over the FYs (chart with its
text alternative) and the rows behind it, target and flag included. The briefing pack of the
view (PPTX, PDF): the role is checked again when its bytes are made, and it is audited.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import access, audit, state
from dashboard.rollup import brief as rollup_brief
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

v = rui.view()
principal = access.require_page("compare")
st.caption(v.t("rollup_compare_intro"))

left, mid, packs = st.columns([1, 1, 2], vertical_alignment="bottom")
fy = state.fy_select(v, key="rollup_fy", container=left)
codes = [m.code for m in METRICS]
metric = state.url_select("metric", "rollup_metric", v.t("metric"), codes, codes[0],
                          format_func=lambda c: i18n.metric_name(c, v.lang), container=mid)


def pack_bytes(kind: str) -> bytes:
    """The lazy ``data=`` of a pack button: the role is checked again when the bytes are made,
    and the download is audited before they leave."""
    who = access.authorize_rollup_brief(principal)
    data = rollup_brief.build(v, kind, fy=fy, metric=metric)
    audit.record("download", who, strict=True, page="compare", dataset="rollup_briefing_pack",
                 format=kind, rows=len(METRICS), publication=True,
                 filters={**rui.filters(v), "lang": v.lang, "fy": fy, "metric": metric},
                 run_id=v.rollup.run_id)
    return data


with packs:
    for kind, col in zip(rollup_brief.KINDS, st.columns(2), strict=True):
        problem = None if access.may_rollup_brief(principal) else v.t("rollup_brief_role")
        if problem is None and kind == "pdf":
            try:
                rollup_brief.pdf_font()
            except rollup_brief.FontMissing as exc:
                problem = v.t("brief_no_font", error=str(exc))
        col.download_button(v.t(f"brief_{kind}"), data=lambda kind=kind: pack_bytes(kind),
                            file_name=rollup_brief.file_name(v, kind), key=f"rollup_brief_{kind}",
                            mime=rollup_brief.MIME[kind], on_click="ignore",
                            disabled=problem is not None, help=problem or v.t("rollup_brief_help"),
                            icon=":material/slideshow:" if kind == "pptx"
                            else ":material/picture_as_pdf:", width="stretch")

# at most rui.SIDE_BY_SIDE organisations at once (a group select beyond): their rows only are
# read (bound parameters), the government-wide ones beside them
shown = rui.side_by_side(v, "rollup_compare_group")
kpi = rq.kpi(v.rollup, shown if len(shown) < len(v.all_orgs) else None)
total = rq.government(v.rollup)
rows = {(r["organisation"], r["metric"], r["fiscal_year"]): r for r in kpi.iter_rows(named=True)}
rows |= {(r["organisation"], r["metric"], r["fiscal_year"]): r
         for r in total.iter_rows(named=True)}

# --- one FY: every metric × organisation ------------------------------------------------------
st.header(v.t("rollup_matrix", fy=v.fy_label(fy)), anchor=False)
columns = [*shown, rq.ALL]
table, colours = [], []
for m in METRICS:
    line = {v.t("metric"): i18n.metric_name(m.code, v.lang)}
    col_line = [""]
    for org in columns:
        r = rows.get((org, m.code, fy))
        line[v.org_label(org)] = rui.cell(r, m.is_rate, v.lang)
        col_line.append(rui.colour(rui.status_of(r)) if org != rq.ALL else "")
    table.append(line)
    colours.append(col_line)
frame = pl.DataFrame(table)
st.dataframe(rui.styled(frame, colours), key="rollup_matrix", hide_index=True, width="stretch",
             height=rui.table_height(frame.height),
             column_config={v.t("metric"): st.column_config.TextColumn(pinned=True)})
rui.legend(v)
st.caption(v.t("rollup_matrix_caption"))

# --- one metric: each organisation over the FYs -----------------------------------------------
m = METRIC_BY_CODE[metric]
st.header(v.t("rollup_metric_title", metric=i18n.metric_name(metric, v.lang)), anchor=False)
series = kpi.filter(pl.col("metric") == metric)
if series.height == 0:
    st.info(v.t("no_rows"))
    st.stop()
rui.metric_chart(v, metric, series, key="rollup_metric_chart", orgs=shown)
detail = []
for r in series.sort("fiscal_year", "organisation").iter_rows(named=True):
    detail.append({
        v.t("fy"): v.fy_label(r["fiscal_year"]),
        v.t("rollup_org"): v.org_label(r["organisation"]),
        v.t("rollup_value"): rui.cell({**r, "status": None}, m.is_rate, v.lang),
        v.t("rollup_ratio"): rui.ratio_text(r, m.is_rate),
        v.t("target"): rui.target_text(r, m.is_rate, v.lang),
        v.t("status"): i18n.status_text(rui.status_of(r), v.lang),
        v.t("rollup_flag"): f"{r['flag']} — {rui.flag_text(r['flag'], v.lang)}",
        v.t("rollup_plan"): r["plan_id"] or "–",
    })
st.markdown(f"**{v.t('table_title')}**")
st.dataframe(pl.DataFrame(detail), key="rollup_metric_table", hide_index=True, width="stretch")
st.caption(v.t("rollup_own_target"))
