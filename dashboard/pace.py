"""The plan pages' "pace of the year in progress" block: the year-to-date chart of one event
metric (this year against up to three earlier years, the target, the projected year-end with
its 90 % interval), its text alternative and, with several bureaus selected, each bureau's own
projection. Numbers come from ``kpi_pace`` / ``kpi_pace_curve`` through ``queries``."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, fmt, messages, queries, state, ui
from dashboard.state import View
from pipelines.fiscal import fy_end, fy_start
from pipelines.pace import EVENT_METRICS
from pipelines.schema import METRIC_BY_CODE
from pipelines.settings import edition
from release import i18n

YEAR_END = 400  # a fiscal day after every FY's last (364 or 365): the value at the year-end


def _at(frame: pl.DataFrame, day: int) -> dict[int, tuple[float | None, float | None]]:
    """Per FY of a curve, its value on fiscal day ``day`` and at the year-end (the last step on
    or before each), in one pass: {fy: (same_day, year_end)}, None where it has no step yet."""
    ends = frame.group_by("fiscal_year").agg(
        pl.col("value").filter(pl.col("fy_day") <= day).last().alias("same"),
        pl.col("value").filter(pl.col("fy_day") <= YEAR_END).last().alias("full"))
    return {k: (same, full) for k, same, full in ends.iter_rows()}


def block(v: View, codes: list[str], key: str) -> None:
    """The block for the page's event metrics (a selector when there are several)."""
    codes = [c for c in codes if c in EVENT_METRICS]
    fy = v.run.as_of_fy
    if not codes or fy is None:
        return
    st.header(v.t("pace_header"), anchor=False)
    if fy not in v.fys:
        st.info(v.t("pace_not_current", fy=v.fy_label(fy)))
        return
    code = codes[0]
    if len(codes) > 1:
        c1, _ = st.columns([1, 2])
        code = state.url_select("pace", f"{key}_metric", v.t("pace_metric"), codes, codes[0],
                                container=c1,
                                format_func=lambda c: i18n.metric_name(c, v.lang))
    m = METRIC_BY_CODE[code]
    rows = queries.pace(v.run, v.bureaus).filter(pl.col("metric") == code)
    single = rows.row(0, named=True) if rows.height == 1 else None
    if edition() == "public":  # the public edition has no day-by-day curves: the table only
        _table(v, rows, m.is_rate)
        return
    curve = queries.pace_curve(v.run, v.bureaus, code)
    day = int(single["fy_day"]) if single else int(
        (v.run.as_of_date - fy_start(fy)).days) if v.run.as_of_date else 0
    at = _at(curve, day)
    curves, names = [], {}
    parts = curve.partition_by("fiscal_year", as_dict=True, maintain_order=True)
    for k in sorted(at):
        part = parts[(k,)]
        end = (single or {}).get("fy_day") if k == fy else (fy_end(k) - fy_start(k)).days
        if end is None:
            end = part["fy_day"].max()
        curves.append(charts.Curve(k, part["fy_day"].to_list(), part["value"].to_list(), end))
        names[k] = v.fy_label(k)
    prev = None
    if single and single["target_kind"] == "growth":
        prev = at.get(fy - 1, (None, None))[1]
    projection = None
    if single and single["projected"] is not None:
        projection = (single["projected"], single["projected_low"], single["projected_high"])
    target = (single["target_kind"], single["target_min"], single["target_max"]) if single \
        else (None, None, None)
    fig = ui.plot(charts.pace_chart, curves, fy, is_rate=m.is_rate, lang=v.lang, names=names,
                  target=target, previous=prev, projection=projection)
    caption = v.t("pace_caption", fy=v.fy_label(fy), date=fmt.date(v.run.as_of_date, v.lang),
                  day=day + 1,
                  method=v.t("pace_method_rate" if m.is_rate else "pace_method_count"))
    table = _curve_table(v, at, fy, single, m.is_rate)
    ui.chart(fig, key=f"{key}_chart_{code}", caption=caption,
             alt=f"{v.t('pace_header')}: {i18n.metric_name(code, v.lang)}", table=table)
    if single is None:
        st.caption("ℹ️ " + v.t("pace_multi_bureau"))
        _table(v, rows, m.is_rate)
    elif single["reference_years"] == 0:
        st.caption("ℹ️ " + v.t("pace_no_reference"))
    else:
        st.html(_summary(v, single, m.is_rate))
        history = queries.pace_history(v.run).to_dicts()
        track = messages.track_record(single, history, v.lang)
        if track:
            st.caption(track, help=v.t("pace_track_help"))
            _track_chart(v, [h for h in history if h["metric"] == code
                             and h["projected"] is not None], key, code, day)


def _track_chart(v: View, rows: list[dict], key: str, code: str, day: int) -> None:
    """The track record as one small chart: per earlier FY, the interval projected on this day
    and where the year ended (kpi_pace_history); its numbers in the table under it."""
    if len(rows) < messages.TRACK_MIN_YEARS:
        return
    names = {r["fiscal_year"]: v.fy_label(r["fiscal_year"]) for r in rows}
    yes, no = "✓", "×"
    table = [{v.t("fy"): names[r["fiscal_year"]],
              v.t("track_projected"): messages.interval(r, False, v.lang),
              v.t("pace_col_p_meet"): fmt.MISSING if r["p_meet"] is None
              else f"{r['p_meet'] * 100:.0f}%",
              v.t("track_col_outcome"): fmt.value(r["outcome"], False),
              v.t("track_col_inside"): yes if r["inside"] else no,
              v.t("track_col_met"): fmt.MISSING if r["met"] is None else yes if r["met"] else no}
             for r in rows]
    st.subheader(v.t("track_header"), anchor=False)
    fig = ui.plot(charts.track_chart, rows, names, lang=v.lang)
    ui.chart(fig, key=f"{key}_track_{code}", caption=v.t("track_caption", day=day + 1),
             alt=f"{v.t('track_header')}: {i18n.metric_name(code, v.lang)}", table=table)


def _summary(v: View, row: dict, is_rate: bool) -> str:
    """The outlook as a badge (symbol and word, never colour alone) and the projection."""
    import html

    parts = [v.t("pace_card", text=messages.interval(row, is_rate, v.lang))]
    if row.get("p_meet") is not None:
        parts.append(f"{v.t('pace_col_p_meet')} {row['p_meet'] * 100:.0f}%")
    if row.get("needed") is not None:
        parts.append(f"{v.t('pace_col_needed')} {fmt.value(row['needed'], False)}")
    text = html.escape(" · ".join(parts))
    return (f'{ui.badge(row["pace_status"], v.lang)} '
            f'<span class="dtp-card-foot">{text}</span>')


def _curve_table(v: View, at: dict[int, tuple[float | None, float | None]], fy: int,
                 row: dict | None, is_rate: bool) -> list[dict]:
    """The chart's numbers, as rows: per FY the value by the same fiscal day and at the
    year-end (the projection for the year in progress); ``at`` as ``_at`` gives them."""
    out = []
    for k in sorted(at, reverse=True):
        same, full = at[k]
        if k == fy:
            out.append({v.t("fy"): v.fy_label(k), v.t("pace_col_same_day"):
                        fmt.value(same, is_rate),
                        v.t("pace_col_after"): fmt.value((row or {}).get("expected_remainder"),
                                                         is_rate),
                        v.t("pace_col_full"): messages.interval(row or {}, is_rate, v.lang),
                        v.t("pace_col_status"): i18n.status_text(row["pace_status"], v.lang)
                        if row else fmt.MISSING})
        else:
            after = None if full is None or same is None else full - same
            out.append({v.t("fy"): v.fy_label(k), v.t("pace_col_same_day"):
                        fmt.value(same, is_rate), v.t("pace_col_after"):
                        fmt.value(after, is_rate), v.t("pace_col_full"):
                        fmt.value(full, is_rate), v.t("pace_col_status"): ""})
    return out


def _table(v: View, rows: pl.DataFrame, is_rate: bool) -> None:
    """Each row's own projection (bureaus of a multi-bureau selection; the public edition)."""
    cols: dict[str, list] = {v.t("pace_col_bureau"): [], v.t("pace_col_same_day"): [],
                             v.t("pace_col_projected"): [], v.t("pace_col_status"): []}
    for r in rows.iter_rows(named=True):
        cols[v.t("pace_col_bureau")].append(  # a kpi_pace row without a bureau: the ministry
            v.t("ministry_total") if r["bureau_code"] is None else v.bureau_label(r["bureau_code"]))
        cols[v.t("pace_col_same_day")].append(fmt.value(r["ytd"], is_rate))
        cols[v.t("pace_col_projected")].append(messages.interval(r, is_rate, v.lang))
        cols[v.t("pace_col_status")].append(i18n.status_text(r["pace_status"], v.lang))
    ui.data_table(v, pl.DataFrame(cols), key=f"pace_table_{rows['metric'][0]}"
                  if rows.height else "pace_table", title=False)
