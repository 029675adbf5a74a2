"""概要 Overview: one card per plan target, and the plan scorecard (metrics × FYs)."""

from __future__ import annotations

import html

import pandas as pd
import polars as pl
import streamlit as st

from dashboard import access, brief, charts, fmt, messages, nav, queries, state, ui
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

v = state.view()
st.caption(v.t("overview_intro"))

targets = queries.plan_targets(v.run)
target_metrics = set(targets["metric"].to_list())
codes = [m.code for m in METRICS if m.code in target_metrics]
if not codes:
    st.info(v.t("no_targets"))
    st.stop()

principal = access.require_page("overview")

# --- this year's outlook: at most three key messages by rule (dashboard/messages.py) --------
# a projection belongs to one row of kpi_pace: the ministry's, or one selected bureau's
pace_rows = {} if v.bureaus is not None and len(v.bureaus) > 1 else {
    r["metric"]: r for r in queries.pace(v.run, v.bureaus).iter_rows(named=True)}
if v.run.in_progress(v.run.as_of_fy or 0):
    with st.container(border=True, key="key_messages"):
        st.header(v.t("key_messages"), anchor=False)
        if v.bureaus is not None and len(v.bureaus) > 1:
            st.caption("ℹ️ " + v.t("pace_multi_bureau"))
        else:
            picked = messages.ranked(pace_rows.values())
            history = queries.pace_history(v.run).to_dicts() if picked else []

            def track(r: dict) -> str:  # the projection's track record, beside its chance
                line = messages.track_record(r, history, v.lang)
                return f"<br><span class=\"dtp-card-foot\">{html.escape(line)}</span>" \
                    if line else ""

            if picked:
                items = "".join(f"<li>{ui.badge(r['pace_status'], v.lang)} "
                                f"{html.escape(messages.message(r, v.lang))}{track(r)}</li>"
                                for r in picked)
                st.html(f'<ul class="dtp-messages">{items}</ul>')
            else:
                st.caption(v.t("msg_none"))
            st.caption(v.t("key_messages_note"))

# the answers first (on a phone, the first key message within the first screen: issue 29),
# then the FY of the cards and the briefing packs
left, _, packs = st.columns([1, 1, 2], vertical_alignment="bottom")
fy = state.fy_select(v, key="overview_fy", container=left)
with packs:
    for kind, col in zip(brief.KINDS, st.columns(2), strict=True):
        with col:
            ui.brief_button(v, principal, kind, page="overview", key=f"brief_{kind}",
                            help_text=v.t("brief_help"))
kpi = queries.kpi(v.run, v.bureaus)
rows = {(r["metric"], r["fiscal_year"]): r for r in kpi.iter_rows(named=True)}


def section_of(code: str, fy: int) -> str:
    plan = rows.get((code, fy), {}).get("plan_id")  # the plan in force set the FY's target
    t = targets.filter((pl.col("metric") == code) & (pl.col("fy_from") <= fy)
                       & (pl.col("fy_to") >= fy) & (pl.col("plan_id") == plan))
    return t["plan_section"][0] if t.height else METRIC_BY_CODE[code].section


PER_ROW = 3
for start in range(0, len(codes), PER_ROW):
    cols = st.columns(PER_ROW)
    for col, code in zip(cols, codes[start:start + PER_ROW], strict=False):
        m = METRIC_BY_CODE[code]
        r = rows.get((code, fy))
        prev = rows.get((code, fy - 1))
        value = r["value"] if r else None
        status = r["status"] if r else "no_data"
        trend = [rows[(code, f)]["value"] for f in v.fys
                 if f <= fy and (code, f) in rows and rows[(code, f)]["value"] is not None]
        sec = ui.md(section_of(code, fy))  # text from plan_targets.csv, shown as Markdown
        with col.container(border=True, key=f"card_{code}"):
            st.metric(i18n.metric_name(code, v.lang), fmt.value(value, m.is_rate),
                      delta=fmt.change(value, prev["value"] if prev else None, m.is_rate,
                                            v.lang),
                      delta_color="off", delta_description=v.t("vs_prev"),
                      help=i18n.metric_caption(code, v.lang, sec),
                      chart_data=trend if len(trend) > 1 else None, chart_type="line")
            if r and r["target_kind"]:
                target = fmt.target(r["target_kind"], r["target_min"], r["target_max"],
                                         m.is_rate, v.lang)
            elif r and r["m_target_kind"]:
                target = fmt.target(r["m_target_kind"], r["m_target_min"],
                                         r["m_target_max"], m.is_rate, v.lang)
                target += v.t("ministry_suffix")
            else:
                target = i18n.status_word("no_target", v.lang)
            st.html(f'{ui.badge(status, v.lang)} <span class="dtp-card-foot">'
                    f'{v.t("target")}: {target}</span>')
            p = pace_rows.get(code) if v.run.in_progress(fy) else None
            if p is not None and p["pace_status"] in ("on_track", "at_risk"):
                text = html.escape(v.t("pace_card", text=messages.interval(p, m.is_rate, v.lang)))
                st.html(f'{ui.badge(p["pace_status"], v.lang)} '
                        f'<span class="dtp-card-foot">{text}</span>')
            note = ""
            if v.filtered and not m.by_bureau:
                note = " · " + v.t("ministry_total")
            st.caption(f"{v.fy_label(fy)} · {v.t('section')} {sec}{note}")
            st.page_link(nav.METRIC_PAGE[code], label=v.t("details"),
                         icon=":material/arrow_forward:")

# --- the plan scorecard ---------------------------------------------------------------------
st.header(v.t("scorecard"), anchor=False)
labels = [v.fy_label(f) for f in v.fys]
table, colours = [], []
for code in codes:
    m = METRIC_BY_CODE[code]
    line = {v.t("metric"): i18n.metric_name(code, v.lang),
            v.t("section"): section_of(code, fy)}
    col_line = ["", ""]
    for f, label in zip(v.fys, labels, strict=True):
        r = rows.get((code, f))
        s = r["status"] if r else "no_data"
        line[label] = (f"{i18n.STATUS_SYMBOLS[s]} "
                       f"{fmt.value(r['value'] if r else None, m.is_rate)}")
        col_line.append(charts.STATUS_TEXT_COLOURS.get(s, "#666666"))
    table.append(line)
    colours.append(col_line)
frame = pd.DataFrame(table)
styled = frame.style.apply(
    lambda _: pd.DataFrame([[f"color: {c}; font-weight: 600" if c else "" for c in row]
                            for row in colours], index=frame.index, columns=frame.columns),
    axis=None)
with st.container(key="scorecard_table"):
    st.dataframe(styled, key="scorecard", hide_index=True, width="stretch",
                 column_config={v.t("metric"): st.column_config.TextColumn(pinned=True)})
# on a phone the same cells as a list (the table needs a sideways swipe for every year)
items = []
for line, col_line in zip(table, colours, strict=True):
    cells = "".join(
        f'<li>{html.escape(label)}: <span style="color:{c or "#222"}">'
        f"{html.escape(line[label])}</span></li>"
        for label, c in zip(labels, col_line[2:], strict=True))
    items.append(f"<li><b>{html.escape(line[v.t('metric')])}</b> "
                 f'<span class="dtp-meta">{html.escape(v.t("section"))} '
                 f"{html.escape(str(line[v.t('section')]))}</span><ul>{cells}</ul></li>")
st.html(f'<ul class="dtp-scorecard-list">{"".join(items)}</ul>')
legend = " ".join(ui.badge(s, v.lang) for s in ("met", "below", "above", "in_progress",
                                                 "no_data", "no_target"))
st.html(f'<div class="dtp-meta">{v.t("status_legend")}: {legend}</div>')
st.caption(v.t("scorecard_caption"))
