"""今年度のペース Pace of the year in progress (the roll-up edition, issue 17): each selected
organisation's own kpi_pace rows where its pack had them (rollup_kpi_pace: so far, projected
year-end with its 90% interval, the chance of meeting its own target, the outlook as symbol
and word; withheld rows [c], flag C). No government-wide pace: a projection belongs to one
organisation's row and is never summed."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import access, fmt, messages
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

v = rui.view()
access.require_page("pace")
st.caption(v.t("rollup_pace_intro"))

shown = rui.side_by_side(v, "rollup_pace_group")  # ≤ rui.SIDE_BY_SIDE organisations at once
pace = rq.pace(v.rollup, shown if len(shown) < len(v.all_orgs) else None)
if pace.height == 0:
    st.info(v.t("rollup_pace_none"))
    st.stop()

order = {m.code: i for i, m in enumerate(METRICS)}
for code in sorted(set(pace["metric"].to_list()), key=order.get):
    m = METRIC_BY_CODE[code]
    rows = pace.filter(pl.col("metric") == code)
    fy = rows["fiscal_year"][0]
    st.header(f"{i18n.metric_name(code, v.lang)} — {v.fy_label(fy)}", anchor=False)
    table = []
    for r in rows.iter_rows(named=True):
        held = r["flag"] != "F"
        status = "suppressed" if held else (r["pace_status"] or "no_data")
        table.append({
            v.t("rollup_org"): v.org_label(r["organisation"]),
            v.t("pace_so_far"): rui.WITHHELD if r["ytd"] is None else fmt.value(r["ytd"],
                                                                               m.is_rate),
            v.t("rollup_projected"): rui.WITHHELD if held else messages.interval(
                r, m.is_rate, v.lang),
            v.t("target"): rui.target_text(r, m.is_rate, v.lang),
            v.t("pace_col_p_meet"): fmt.MISSING if r["p_meet"] is None
            else f"{r['p_meet'] * 100:.0f}%",
            v.t("rollup_outlook"): i18n.status_text(status, v.lang),
            v.t("rollup_flag"): f"{r['flag']} — {rui.flag_text(r['flag'], v.lang)}",
        })
    frame = pl.DataFrame(table)
    colours = [["", "", "", "", "", rui.colour("suppressed" if r["flag"] != "F"
                                               else r["pace_status"] or "no_data"), ""]
               for r in rows.iter_rows(named=True)]
    st.dataframe(rui.styled(frame, colours), key=f"rollup_pace_{code}", hide_index=True,
                 width="stretch")
st.caption(v.t("rollup_pace_note"))
