"""The roll-up edition's view and shared blocks (``DTP_EDITION=rollup``, issue 17).

:func:`controls` draws the sidebar (language, the organisation filter) and returns the
:class:`RollupView`; the URL keeps ``lang`` and ``org`` (comma-separated codes, validated
against the roll-up's own organisations; anything else is named in the one notice of
``dashboard.state``), pages keep their own (``fy``, ``metric``) with ``state.url_select``.

The blocks say what every cell is: a value with its status as symbol and word against the
organisation's own plan target (never colour alone), ``[c]`` for a withheld cell with its flag
explained (F free; C withheld by the sender; S withheld by the receiver because a part is,
with the bounds the free parts imply).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, fmt, state, ui
from dashboard.rollup import queries as rq
from pipelines.schema import METRIC_BY_CODE
from release import i18n
from release.organisation import ALL

K_ORGS = "rollup_orgs"
K_MONTH = "rollup_month"
FLAGS = ("F", "C", "S")
WITHHELD = fmt.SUPPRESSED  # "[c]"


@dataclass(frozen=True)
class RollupView(state.FyLabels):
    """What the roll-up pages show: the language, the file, the organisations chosen."""

    lang: str
    rollup: rq.Rollup
    orgs: rq.Orgs  # None = every organisation
    all_orgs: tuple[str, ...]
    all_fys: tuple[int, ...]
    org_names: dict[str, str] = field(default_factory=dict)
    in_progress_fy: int | None = None

    # the names ``state.fy_select`` and the audit page use, as on the ministry's View
    @property
    def fys(self) -> list[int]:
        return list(self.all_fys)

    @property
    def codes(self) -> tuple[str, ...]:
        return self.orgs if self.orgs is not None else self.all_orgs

    @property
    def filtered(self) -> bool:
        return self.orgs is not None

    def in_progress(self, fy: int) -> bool:
        return fy == self.in_progress_fy

    def org_label(self, code: str) -> str:
        if code == ALL:
            return self.t("rollup_all")
        return self.org_names.get(code) or code

    @property
    def month(self) -> str:
        """The month the pages show (``?month=``, default the latest)."""
        return self.rollup.shown_month

    def month_label(self, month: str) -> str:
        return month_label(month, self.lang)


def month_label(month: str, lang: str) -> str:
    """``2026-11`` → 2026年11月 / Nov 2026."""
    y, m = int(month[:4]), int(month[5:7])
    return i18n.t("rollup_month_label", lang, y=y, mon=i18n.t(f"month_{m}", lang))


# --- the controls -----------------------------------------------------------------------------

def _write_lang(lang: str) -> None:
    """The URL's ``lang`` as the session's own (page parameters stay for their widgets)."""
    cur = {k: ",".join(st.query_params.get_all(k)) for k in st.query_params}
    want = {k: v for k, v in cur.items() if k in state.PAGE_PARAMS}
    if lang != i18n.DEFAULT_LANG:
        want["lang"] = lang
    if want != cur:
        st.query_params.from_dict(want)
    written = st.session_state.setdefault(state._WRITTEN, {})
    written.pop("lang", None)
    if "lang" in want:
        written["lang"] = want["lang"]


def controls() -> RollupView:
    """Sidebar controls of the roll-up edition, the view, and its URL. Raises
    ``rq.NotARollup`` / ``queries.WarehouseMissing`` / ``WarehouseUnreadable`` (the app says
    so)."""
    ss = st.session_state
    ss[state._CLAIMED] = set()
    state._read_url()  # lang; unknown parameters noted
    pending = ss.pop(state._PENDING, None)  # bureau / FY span: the ministry edition's
    if pending:
        state.ignore(*pending)
    lang = state._language(i18n.DEFAULT_LANG)
    try:
        r = rq.current()
    except rq.WarehouseUnreadable:
        ss[state._VIEW] = None
        state.show_notices(lang)
        raise
    _write_lang(lang)
    sb = st.sidebar
    sb.markdown(f"**{i18n.t('controls', lang)}**")
    months = list(reversed(r.months))  # newest first
    month = state.url_select("month", K_MONTH, i18n.t("rollup_month", lang), months,
                             months[0], format_func=lambda m: month_label(m, lang),
                             container=sb)
    r = r.at(month)
    fys = rq.fiscal_years(r)
    if not fys:
        raise rq.WarehouseUnreadable("no fiscal years")
    orgs = rq.organisations(r)
    codes = tuple(orgs["organisation"].to_list())
    names = dict(zip(codes, orgs["name_en" if lang == "en" else "name_ja"].to_list(),
                     strict=True))
    chosen = state.url_multiselect(
        "org", K_ORGS, i18n.t("rollup_orgs", lang), codes,
        format_func=lambda c: names.get(c) or c,
        placeholder=i18n.t("rollup_orgs_placeholder", lang), container=sb)
    sel: rq.Orgs = tuple(c for c in codes if c in chosen) or None
    if sel is not None and len(sel) == len(codes):
        sel = None
    sb.caption(i18n.t("rollup_all_orgs", lang) if sel is None
               else i18n.t("rollup_n_orgs", lang, n=len(sel)))
    v = RollupView(lang=lang, rollup=r, orgs=sel, all_orgs=codes, all_fys=tuple(fys),
                   org_names=names, in_progress_fy=rq.in_progress_fy(r))
    ss[state._VIEW] = v  # state.view() for the URL-kept widgets and the audit page
    state.show_notices(lang)
    sb.caption(i18n.t("share_hint", lang))
    return v


def view() -> RollupView:
    v = st.session_state.get(state._VIEW)
    if not isinstance(v, RollupView):
        v = controls()
    return v


def header(v: RollupView, title: str) -> None:
    """Title; the organisations' as-of dates, the threshold and when the roll-up was built."""
    st.title(title, anchor=False)
    dates = sorted({d for d in rq.organisations(v.rollup)["as_of_date"].to_list() if d})
    as_of = (fmt.date(dates[0], v.lang) if len(dates) == 1 else
             f"{fmt.date(dates[0], v.lang)} – {fmt.date(dates[-1], v.lang)}") if dates else "–"
    st.caption(v.t("rollup_month_shown", month=v.month_label(v.month)) + "　｜　"
               + f"{v.t('as_of')}: {as_of}　｜　"
               + v.t("rollup_header", n=len(v.all_orgs), t=v.rollup.threshold,
                     built=fmt.timestamp(v.rollup.built_at, v.lang)))
    gone = rq.missing(v.rollup)
    if gone:
        st.warning(v.t("rollup_not_sent", month=v.month_label(v.month),
                       orgs=", ".join(v.org_label(c) for c in gone)), icon=":material/schedule:")


SIDE_BY_SIDE = 50  # organisations drawn side by side at once (a matrix of 1,700 columns
# takes seconds to draw and cannot be read): more are shown a group of 50 at a time


def side_by_side(v: RollupView, key: str, container: object = None) -> tuple[str, ...]:
    """The organisations a side-by-side view draws: every chosen one (the sidebar; all of
    them when none is chosen) up to ``SIDE_BY_SIDE``; beyond, one group of ``SIDE_BY_SIDE``
    at a time (a select of the groups) with the note "showing N of M"."""
    codes = v.codes
    if len(codes) <= SIDE_BY_SIDE:
        return codes
    where = container or st
    groups = range(0, len(codes), SIDE_BY_SIDE)

    def label(start: int) -> str:
        last = min(start + SIDE_BY_SIDE, len(codes))
        return f"{start + 1}–{last} ({codes[start]} – {codes[last - 1]})"

    start = where.selectbox(v.t("rollup_group"), list(groups), format_func=label, key=key)
    shown = codes[start:start + SIDE_BY_SIDE]
    st.caption(v.t("rollup_shown", n=len(shown), m=len(codes), first=start + 1,
                   last=start + len(shown)))
    return shown


def filters(v: RollupView) -> dict[str, object]:
    """The view as an audit line's ``filters``."""
    return {"organisations": list(v.orgs) if v.orgs else None, "month": v.month}


# --- cells ------------------------------------------------------------------------------------

def flag_text(flag: str | None, lang: str) -> str:
    return i18n.t(f"rollup_flag_{flag or 'F'}", lang)


def bounds_text(row: dict, is_rate: bool, lang: str) -> str:
    """What the free parts of an S row imply: ``≥ 120`` (a count), ``12.0% – 15.3%`` (a rate)."""
    lo, hi = row.get("value_low"), row.get("value_high")
    if lo is None and hi is None:
        return ""
    if hi is None:
        return i18n.t("rollup_at_least", lang, lo=fmt.value(lo, is_rate))
    return i18n.t("rollup_between", lang, lo=fmt.value(lo, is_rate), hi=fmt.value(hi, is_rate))


def status_of(row: dict | None) -> str:
    """The row's status; a withheld row's is ``suppressed`` ([c])."""
    if row is None:
        return "no_data"
    if row.get("flag") in ("C", "S"):
        return "suppressed"
    return row.get("status") or "no_target"


def cell(row: dict | None, is_rate: bool, lang: str) -> str:
    """A matrix cell: the value and its status as symbol and word; ``[c]`` when withheld."""
    if row is None:
        return fmt.MISSING
    if row.get("flag") in ("C", "S"):
        return f"{WITHHELD} ({row['flag']})"
    text = fmt.value(row["value"], is_rate)
    if row.get("policy") == "P":  # declared public by the organisation(s): see the legend
        text = f"{text} (P)"
    s = row.get("status")
    return text if s in (None, "no_target") else f"{text} {i18n.status_text(s, lang)}"


def target_text(row: dict | None, is_rate: bool, lang: str) -> str:
    if row is None or row.get("target_kind") is None:
        return i18n.status_word("no_target", lang)
    return fmt.target(row["target_kind"], row["target_min"], row["target_max"], is_rate, lang)


def ratio_text(row: dict, is_rate: bool) -> str:
    if not is_rate or row.get("denominator") is None and row.get("numerator") is None:
        return ""
    return f"{_part(row.get('numerator'))} / {_part(row.get('denominator'))}"


def _part(x: float | None) -> str:
    return WITHHELD if x is None else fmt.value(x, False)


def styled(frame: pl.DataFrame, colours: Sequence[Sequence[str]]) -> object:
    """A table whose status cells also carry their colour (the symbol and word say it too)."""
    pdf = frame.to_pandas()
    import pandas as pd

    return pdf.style.apply(lambda _: pd.DataFrame(
        [[f"color: {c}; font-weight: 600" if c else "" for c in row] for row in colours],
        index=pdf.index, columns=pdf.columns), axis=None)


def table_height(rows: int) -> int:
    """Every row of a matrix on screen (no inner scrolling), as ``ui.data_table`` sizes."""
    return min(36 * (rows + 1) + 4, 640)


def colour(status: str) -> str:
    return charts.STATUS_TEXT_COLOURS.get(status, "#666666")


def legend(v: RollupView) -> None:
    """The statuses (symbol, word, colour) and the flags, explained under a table."""
    badges = " ".join(ui.badge(s, v.lang) for s in ("met", "below", "above", "in_progress",
                                                     "no_data", "no_target"))
    st.html(f'<div class="dtp-meta">{html.escape(v.t("status_legend"))}: {badges}</div>')
    flags(v)


def flags(v: RollupView) -> None:
    items = "".join(f"<li><b>{f}</b>: {html.escape(flag_text(f, v.lang))}</li>"
                    for f in (*FLAGS, "P"))
    st.html(f'<div class="dtp-meta">{html.escape(v.t("rollup_flags"))}'
            f'<ul class="dtp-messages">{items}</ul></div>')


# --- charts -----------------------------------------------------------------------------------

def metric_chart(v: RollupView, code: str, rows: pl.DataFrame, key: str,
                 orgs: Sequence[str] | None = None) -> None:
    """One metric over the FYs, one series per organisation (``orgs``, else the view's; a
    withheld cell: no point, and [c] in the chart's table), with its text alternative
    (caption + the figure's numbers)."""
    m = METRIC_BY_CODE[code]
    fys = v.fys
    ticks = {f: v.fy_tick(f) for f in fys}
    by_org: dict[str, dict[int, dict]] = {}
    for r in rows.iter_rows(named=True):  # one pass, not a filter per organisation
        by_org.setdefault(r["organisation"], {})[r["fiscal_year"]] = r
    groups: dict[str, list[float | None]] = {}
    for org in v.codes if orgs is None else orgs:
        by_fy = by_org.get(org, {})
        groups[charts.plain(v.org_label(org))] = [
            (float("nan") if by_fy[f]["flag"] != "F" else by_fy[f]["value"])
            if f in by_fy else None for f in fys]
    drawn = {k: [None if x is not None and x != x else x for x in ys]  # [c]: no mark
             for k, ys in groups.items()}
    if m.is_rate:
        fig = charts.lines(fys, drawn, ticks, lang=v.lang, percent=True)
    else:
        fig = charts.stacked_bars(fys, drawn, ticks, lang=v.lang, barmode="group")
    charts.add_plans(fig, (), v.lang)  # no plans across organisations: fit for a phone
    name = i18n.metric_name(code, v.lang)
    st.plotly_chart(fig, key=key, theme=None, config=charts.CONFIG, alt=name)
    st.caption(v.t("rollup_chart_caption", metric=name)
               + " " + i18n.metric_caption(code, v.lang))
    table = _chart_table(v, fig, groups, m.is_rate)
    with st.expander(v.t("chart_numbers"), icon=":material/table:"):
        st.table(table, hide_index=True)


def _chart_table(v: RollupView, fig: go.Figure, groups: dict[str, list[float | None]],
                 is_rate: bool) -> object:
    """The chart's numbers, one row per FY: the figure's own values, [c] where withheld."""
    import pandas as pd

    rows = []
    for i, f in enumerate(v.fys):
        line = {ui._table_text(v.t("fy")): ui._table_text(v.fy_label(f))}
        for name, ys in groups.items():
            line[ui._table_text(html.unescape(name))] = ui._escape_markdown(
                fmt.value(ys[i], is_rate))
        rows.append(line)
    return pd.DataFrame(rows)


def month_chart(v: RollupView, code: str, months: Sequence[str], series: Sequence[str],
                by_key: dict[tuple[str, str], dict], key: str) -> None:
    """One metric by month, one line per organisation and the government-wide total (a
    withheld cell or a month not sent: no point; the table above says which)."""
    m = METRIC_BY_CODE[code]
    labels = [v.month_label(mo) for mo in months]
    fig = charts._base(340)
    for i, org in enumerate(series):
        ys = []
        for mo in months:
            r = by_key.get((mo, org))
            ys.append(r["value"] if r is not None and r["flag"] == "F" else None)
        name = charts.plain(v.org_label(org))
        fig.add_scatter(x=labels, y=ys, name=name, mode="lines+markers",
                        line=dict(color=charts.CATEGORY[i % len(charts.CATEGORY)], width=2,
                                  dash=["solid", "dash", "dot", "dashdot"][i % 4]),
                        hovertemplate="<b>%{x}</b><br>" + name + ": %{y}<extra></extra>")
    if m.is_rate:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_xaxes(type="category")
    st.plotly_chart(fig, key=key, theme=None, config=charts.CONFIG,
                    alt=i18n.metric_name(code, v.lang))

