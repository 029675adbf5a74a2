"""Streamlit building blocks shared by the pages: header, chart with caption, notes, badges."""

from __future__ import annotations

import html
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import polars as pl
import pyarrow as pa
import streamlit as st

from dashboard import charts, fmt, queries
from dashboard.state import View, view
from pipelines.schema import METRIC_BY_CODE
from pipelines.settings import edition, get_settings
from release import i18n

CSS = """
<style>
.dtp-sample {background:#FFF4D6; border-left:6px solid #E69F00; padding:.45rem .8rem;
  border-radius:4px; font-weight:600; margin:.2rem 0 .6rem 0;}
.dtp-badge {display:inline-block; padding:.05rem .5rem; border-radius:1rem; font-size:.85rem;
  font-weight:600; border:2px solid; background:#fff; white-space:nowrap;}
.dtp-meta {color:#555; font-size:.85rem;}
.dtp-card-foot {font-size:.85rem; color:#333; margin:.1rem 0;}
.dtp-messages {margin:.2rem 0 .4rem 1.1rem; padding:0;}
.dtp-messages li {margin:.35rem 0; line-height:1.6;}
/* a wider sidebar when it is open; collapsed, it takes nothing at any width (issue 29: the
   rule held a 340-px band, 300 px of it blank, and squeezed a tablet's content to 428 px) */
@media (min-width: 768px) {
  section[data-testid="stSidebar"][data-collapsed="false"] {min-width: 340px;}}
/* phones and tablets (issue 29): KPI values wrap, never cut to "100…"; touch targets 44 px */
[data-testid="stMetricValue"], [data-testid="stMetricValue"] > div
  {white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere;}
[data-testid="stMetricLabel"] p {white-space: normal;}
@media (max-width: 1024px), (pointer: coarse) {
  [data-testid="stExpandSidebarButton"], [data-testid="stMainMenuButton"],
  [data-testid="stSidebarCollapseButton"] button, [data-testid="stBaseButton-headerNoPadding"]
    {min-width: 44px; min-height: 44px;}
  [data-testid="stPageLink-NavLink"], [data-testid="stSidebarNavLink"],
  [data-testid="stExpander"] summary, [data-baseweb="select"] > div,
  .stButton button, .stDownloadButton button, [data-testid="stLinkButton"] a
    {min-height: 44px;}
  [data-testid="stTooltipHoverTarget"] button, [data-testid="stTooltipIcon"] button,
  [data-testid="stSelectbox"] button, [data-testid="stMultiSelect"] button[aria-label="Open"]
    {min-width: 44px; min-height: 44px; justify-content: center;}
}
/* the FY span's end labels in the sidebar wrap (「令和8年度 (2026)・集計中」 ran 27 px past a
   phone's 300-px sidebar) */
[data-testid="stSidebar"] [data-testid="stSliderThumbValue"]
  {white-space: normal; width: max-content; max-width: 6rem; text-align: center;
   line-height: 1.25;}
/* Streamlit's multiselect offers "Select all" in English on every page; no selection already
   means the whole ministry here */
[data-testid="stMultiSelectDropdown"] [data-key="__select_all__"] {display: none;}
/* the scorecard: a table where it fits, a list on a phone */
.dtp-scorecard-list {display: none;}
@media (max-width: 640px) {
  .st-key-scorecard_table {display: none;}
  .dtp-scorecard-list {display: block; margin: 0; padding: 0; list-style: none;}
  .dtp-scorecard-list > li {border-top: 1px solid #ddd; padding: .4rem 0;}
  .dtp-scorecard-list ul {display: flex; flex-wrap: wrap; gap: .2rem .8rem; margin: .2rem 0 0 0;
    padding: 0; list-style: none; font-size: .9rem;}
}
/* WCAG 2.1 AA (issue 9): captions (text at opacity .6, #828180) are 3.9:1 on white, inline
   code 3.0:1; now 7.0:1 and 7.9:1 */
[data-testid="stCaptionContainer"] {opacity: 1;}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {color: #595959;}
[data-testid="stMarkdownContainer"] code, [data-testid="stCaptionContainer"] code
  {color: #1b5e20;}
/* section headings are h2 under the page's h1 (heading order), sized as Streamlit's h3 */
[data-testid="stMainBlockContainer"] [data-testid="stHeading"] h2
  {font-size: 1.5rem; padding: 1rem 0 0.5rem 0;}
</style>
"""


def brief_button(v: View, who: object, kind: str, *, page: str, key: str, help_text: str,
                 plan: str | None = None) -> None:
    """幹部説明資料 for the view on screen (the Overview's, the plan review's): disabled with the
    reason where the role or the PDF font is missing; the bytes are made on click by
    ``downloads.brief_pack`` (the role checked again, then the audit line)."""
    from dashboard import access, brief, downloads

    problem = None if access.may_brief(who) else v.t("brief_role")
    if problem is None and kind == "pdf":
        try:
            brief.pdf_font()
        except brief.FontMissing as exc:
            problem = v.t("brief_no_font", error=str(exc))
    st.download_button(v.t(f"brief_{kind}"),
                       data=downloads.brief_pack(v, kind, who, page=page, plan=plan),
                       file_name=brief.file_name(v, kind, plan), mime=brief.MIME[kind],
                       key=key, on_click="ignore", disabled=problem is not None,
                       help=problem or help_text, icon=":material/slideshow:"
                       if kind == "pptx" else ":material/picture_as_pdf:", width="stretch")


def run_page(page: object, url_path: str, lang: str) -> None:
    """Run a page of ``st.navigation``; an error in it is a friendly message with the time in
    the browser and the details in the server log (both editions)."""
    import datetime as dt
    import logging

    try:
        page.run()
    except Exception:  # noqa: BLE001 — the browser gets a friendly message, the log the details
        now = dt.datetime.now().astimezone().replace(microsecond=0)
        logging.getLogger("dtp.app").exception("page %s failed (%s)", url_path, now.isoformat())
        st.error(i18n.t("error_friendly", lang, ts=now.strftime("%Y-%m-%d %H:%M:%S %z")),
                 icon=":material/error:")


def style() -> None:
    st.html(CSS)


def header(v: View, title: str, internals: bool = True) -> None:
    """Title, as-of date, last run and (for sample data) the banner — on every page.
    ``internals=False`` (public edition) leaves out the run id."""
    st.title(title, anchor=False)
    run = v.run
    as_of_fy = (f" · {v.fy_label(run.as_of_fy)}" if run.as_of_fy is not None else "")
    if edition() == "public":  # no run internals: the as-of date and how figures are protected
        st.caption(f"{v.t('as_of')}: {fmt.date(run.as_of_date, v.lang)}{as_of_fy}　｜　"
                   + v.t("public_note", t=get_settings().suppress_below))
    else:
        st.caption(f"{v.t('as_of')}: {fmt.date(run.as_of_date, v.lang)}{as_of_fy}　｜　"
                   f"{v.t('last_run')}: {fmt.timestamp(run.finished_at, v.lang)}"
                   + (f"　｜　{v.t('run_id')}: `{run.run_id}`" if internals else ""))
    if run.is_sample:
        st.html(f'<div class="dtp-sample" role="status">⚠ {html.escape(v.t("sample_banner"))}'
                "</div>")


def no_warehouse(lang: str, unreadable: bool = False) -> None:
    st.title(i18n.t("app_title", lang), anchor=False)
    if unreadable:
        st.error(i18n.t("bad_warehouse", lang), icon=":material/error:")
    else:
        st.info(i18n.t("no_warehouse", lang), icon=":material/database:")
    st.markdown(i18n.t("no_warehouse_help", lang, path=shown_path(queries.warehouse_path())))


K_PUBLIC_VISITED = "_public_file_visited"


def public_gate(lang: str) -> bool:
    """The public edition on a warehouse: True when its protected file is ready. Otherwise the
    page says the figures are being prepared (the worker process makes them) and polls every
    2 s, or, if the worker failed, says so in one line with its log for administrators (the
    next visit tries again). Nothing of the warehouse is read meanwhile."""
    retry = not st.session_state.get(K_PUBLIC_VISITED)  # a new visit retries a failed worker
    st.session_state[K_PUBLIC_VISITED] = True
    status = queries.public_status(retry=retry)
    if status.state == "ready":
        return True
    st.title(i18n.t("app_title", lang), anchor=False)
    if status.state == "failed":
        st.error(i18n.t("public_failed", lang,
                        log=shown_path(status.log) if status.log else "DTP_PUBLIC_CACHE"),
                 icon=":material/error:")
        return False
    st.info(i18n.t("public_preparing", lang), icon=":material/hourglass_top:")

    def poll() -> None:
        if queries.public_status().state != "preparing":
            st.rerun(scope="app")

    st.fragment(poll, run_every=2.0)()
    return False


def shown_path(p: object) -> str:
    """A path as the browser may see it: relative to the repository, else the file name only
    (no absolute paths reach the browser)."""
    from pipelines.settings import ROOT

    path = Path(str(p))
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


def badge(status: str, lang: str) -> str:
    colour = charts.STATUS_TEXT_COLOURS.get(status, "#666666")
    text = html.escape(i18n.status_text(status, lang))
    return (f'<span class="dtp-badge" style="border-color:{colour};color:{colour}">'
            f"{text}</span>")


def pair(v: View) -> list:
    """Two time charts side by side when the FY span is short, one under the other when it is
    long (eleven FY labels do not fit half a page)."""
    if len(v.fys) <= 6:
        return list(st.columns(2))
    return [st.container(), st.container()]


def ticks(v: View, fys: Sequence[int]) -> dict[int, str]:
    return {f: v.fy_tick(f) for f in fys}


def points(frame: pl.DataFrame) -> list[charts.Point]:
    titles = plan_titles(view()) if "plan_id" in frame.columns else {}
    return [charts.Point(fy=r["fiscal_year"], value=r["value"], numerator=r["numerator"],
                         denominator=r["denominator"], status=r["status"],
                         target_kind=r["target_kind"], target_min=r["target_min"],
                         target_max=r["target_max"], plan=titles.get(r.get("plan_id")))
            for r in frame.iter_rows(named=True)]


# --- plan generations (issue 18) ---------------------------------------------------------------

def plan_title(row: dict, lang: str) -> str:
    """A plan's title in ``lang`` (the implicit plan of a data set without plans.csv: i18n)."""
    if row.get("implicit") or not row.get("title_ja"):
        return i18n.t("plan_implicit", lang)
    return row["title_en" if lang == "en" else "title_ja"]


def plan_titles(v: View) -> dict[str, str]:
    return {r["plan_id"]: plan_title(r, v.lang)
            for r in queries.plans(v.run).iter_rows(named=True)}


def plan_bands(v: View) -> list[charts.PlanBand]:
    return [charts.PlanBand(r["plan_id"], plan_title(r, v.lang), r["fy_from"], r["fy_to"],
                            r["revises"] is not None)
            for r in queries.plans(v.run).iter_rows(named=True)]


def _plans_by_tick(v: View, fig: go.Figure) -> dict[str, str]:
    """The FY tick labels of a chart over FYs → the title of the plan in force that FY."""
    axis = fig.layout.meta.get("time_axis") if isinstance(fig.layout.meta, dict) else None
    if axis != "fy":
        return {}
    titles, in_force = plan_titles(v), queries.plan_in_force(v.run)
    ticks = _category_names(fig, fig.layout.xaxis)
    return {_table_text(_plain(ticks.get(fy, fy))): titles.get(pid, "–")
            for fy, pid in in_force.items() if pid is not None}


def per_fy(frame: pl.DataFrame, fys: Sequence[int], measure: str) -> list[int]:
    """``measure`` summed per fiscal year over ``frame``, 0 for an FY without rows."""
    d = dict(frame.group_by("fiscal_year").agg(pl.sum(measure)).iter_rows())
    return [whole(d.get(f, 0)) for f in fys]


def whole(x: float | None) -> int | float:
    """A count as an int; NaN (a protected cell in the public edition, or a sum with one
    in it) stays NaN and is shown as [c]."""
    return x if x is None or x != x else int(x)


def ratio_per_fy(rows: dict[int, dict], fys: Sequence[int], num: str, den: str
                 ) -> tuple[list[float | None], list[str]]:
    """num/den per FY from rows keyed by FY (None where den is 0 or missing), and the
    '(num / den)' hover text of each point."""
    values = [rows[f][num] / rows[f][den] if f in rows and rows[f][den] else None for f in fys]
    extra = [f" ({fmt.value(rows[f][num], False)} / "
             f"{fmt.value(rows[f][den], False)})" if f in rows else "" for f in fys]
    return values, extra


def in_span(v: View, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("fiscal_year").is_between(v.fy_from, v.fy_to))


@dataclass(frozen=True)
class Plot:
    """A chart not built yet: ``builder(*args, **kwargs)``, a figure builder of ``charts`` (a
    pure function of its arguments). ``chart`` builds it once per process for the same
    arguments, warehouse run and language, with its plans and text table, and shows the same
    finished figure to every later session (issue 19)."""
    builder: Callable[..., go.Figure]
    args: tuple
    kwargs: dict = field(default_factory=dict)


def plot(builder: Callable[..., go.Figure], *args: object, **kwargs: object) -> Plot:
    return Plot(builder, args, kwargs)


class _Drawn(go.Figure):
    """A finished figure as ``st.plotly_chart`` takes it, its dict made once: Streamlit reads a
    figure through ``to_dict()`` alone (then ``plotly.io.to_json(validate=False)``, which only
    pops trace uids: there are none), and ``to_dict`` deep-copies and walks every value again
    at each call (~1 ms a chart). Nothing else is read from it: no Plotly state of its own."""

    def __init__(self, fig: go.Figure) -> None:  # no super().__init__(): see above
        object.__setattr__(self, "_drawn", fig.to_dict())

    def to_dict(self) -> dict:
        return self._drawn


# Finished figures and their text tables, per process, keyed by everything they are made of:
# the builder and its arguments (the numbers and labels drawn, exactly: ``repr``), the table
# rows given, the warehouse run (its plans) and the language. What is kept is only read
# afterwards, so sessions share it safely, and it is what the page computed for this visit
# anyway: nothing the principal may not see is served from it.
_BUILT: OrderedDict[str, tuple[go.Figure, pa.Table | pd.DataFrame | None]] = OrderedDict()
_BUILT_LOCK = threading.Lock()
_BUILT_MAX = 256


def _built(v: View, p: Plot, rows: list[dict] | None, lang: str
           ) -> tuple[go.Figure, pa.Table | pd.DataFrame | None]:
    key = repr((p.builder.__module__, p.builder.__qualname__, p.args,
                sorted(p.kwargs.items()), rows, v.run.path, v.run.run_id, v.lang, lang))
    with _BUILT_LOCK:
        hit = _BUILT.get(key)
        if hit is not None:
            _BUILT.move_to_end(key)
            return hit
    fig = p.builder(*p.args, **p.kwargs)
    charts.add_plans(fig, plan_bands(v), v.lang)
    table = figure_table(fig) if rows is None else pd.DataFrame(rows)
    built = _Drawn(fig), (None if table is None else _arrow(_text_table(v, fig, table, lang)))
    with _BUILT_LOCK:
        _BUILT[key] = built
        while len(_BUILT) > _BUILT_MAX:
            _BUILT.popitem(last=False)
    return built


def _arrow(table: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """A kept text table as Arrow, what ``st.table`` would convert it to at every visit (the
    same ``pa.Table.from_pandas``); the frame itself if it has no Arrow form."""
    try:
        return pa.Table.from_pandas(table)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return table


def chart(fig: go.Figure | Plot, key: str, caption: str | None = None, alt: str | None = None,
          table: pd.DataFrame | list[dict] | None = None) -> None:
    """A chart with its text alternative: the caption (what it shows) and, in an expander,
    the figure's own numbers as an HTML table (or ``table``, where one row per x value would
    be too long: the year-to-date curves). ``fig`` is a figure, or a ``Plot`` (with ``table``
    as rows, if any: built and kept per process, see ``_built``)."""
    v = view()
    lang = st.session_state.get("lang", i18n.DEFAULT_LANG)
    if isinstance(fig, Plot):
        if isinstance(table, pd.DataFrame):
            raise TypeError("a Plot's table is given as rows (a list of dicts)")
        fig, text = _built(v, fig, table, lang)
    else:
        charts.add_plans(fig, plan_bands(v), v.lang)
        table = figure_table(fig) if table is None else pd.DataFrame(table)
        text = None if table is None else _text_table(v, fig, table, lang)
    st.plotly_chart(fig, key=key, theme=None, config=charts.CONFIG, alt=alt or caption)
    if caption:
        st.caption(caption)
    if text is not None:
        with st.expander(i18n.t("chart_numbers", lang), icon=":material/table:"):
            st.table(text, hide_index=True)


def _text_table(v: View, fig: go.Figure, table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A chart's table as ``st.table`` shows it, with the plan in force per FY."""
    in_force = _plans_by_tick(v, fig)
    # st.table renders its cells and headings as Markdown: the labels (trace names and
    # categories, which may come from the data) go in as plain text; the numbers are our
    # own, and only "[c]" among them needs its brackets escaped
    first = table.columns[0]
    for column in table.columns[1:]:
        table[column] = table[column].map(_escape_markdown)
    table[first] = table[first].map(_table_text)
    table = table.rename(columns=_table_text)
    if in_force:  # which plan was in force (and set the target) each FY
        table[_table_text(i18n.t("plan_in_force", lang))] = [
            _table_text(in_force.get(c, "–")) for c in table[_table_text(first)]]
    return table


def _cell(value: object, percent: bool) -> str:
    if value is None:
        return fmt.MISSING
    if isinstance(value, float) and value != value:  # NaN: a protected cell (public edition)
        return fmt.SUPPRESSED
    if isinstance(value, int | float):
        return f"{value * 100:.1f}%" if percent else (
            f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}")
    return str(value)


def _plain(label: object) -> str:
    return html.unescape(re.sub(r"<br>", " ", re.sub(r"</?b>", "", str(label))))


def _horizontal(trace: object) -> bool:
    """Categories on the y axis (horizontal bars, labelled dots)."""
    if getattr(trace, "orientation", None) == "h":
        return True
    ys = [v for v in trace.y if v is not None]
    xs = [v for v in trace.x if v is not None]
    return bool(ys and xs) and isinstance(ys[0], str) and not isinstance(xs[0], str)


def _category_names(fig: go.Figure, axis: object) -> dict:
    """A category axis's value → its label: an FY's full label (the ticks are short), else the
    tick text."""
    return charts.fy_labels(fig) or dict(zip(axis.tickvals or (), axis.ticktext or (),
                                             strict=False))


def figure_table(fig: go.Figure) -> pd.DataFrame | None:
    """The numbers a figure draws, one row per category (FY, date or label) and one column per
    trace, formatted as its value axis is (a ``%`` axis as percentages). Read from the figure
    itself, so the table and the chart cannot disagree."""
    traces = [t for t in charts.drawn(fig) if getattr(t, "x", None) is not None
              and getattr(t, "y", None) is not None]
    if not traces:
        return None
    horizontal = all(_horizontal(t) for t in traces)
    cat_axis, val_axis = (fig.layout.yaxis, fig.layout.xaxis) if horizontal else (
        fig.layout.xaxis, fig.layout.yaxis)
    percent = "%" in str(val_axis.tickformat or "")
    names = _category_names(fig, cat_axis)
    rows: dict[object, dict[str, str]] = {}
    for i, t in enumerate(traces):
        cats, vals = (t.y, t.x) if horizontal else (t.x, t.y)
        name = _plain(t.name) if t.name else str(i + 1)
        for c, val in zip(cats, vals, strict=False):
            rows.setdefault(c, {})[name] = _cell(val, percent)
    first = i18n.t("fy" if names else "chart_category",
                   st.session_state.get("lang", i18n.DEFAULT_LANG))
    return pd.DataFrame([{first: _plain(names.get(c, c)), **vals} for c, vals in rows.items()])


def metric_caption(v: View, code: str) -> str:
    return i18n.metric_caption(code, v.lang)


def bureau_notes(v: View, code: str, series: pl.DataFrame | None = None) -> None:
    """Say so when a bureau filter cannot apply to a metric or to its target."""
    if not v.filtered:
        return
    m = METRIC_BY_CODE[code]
    if not m.by_bureau:
        st.caption("ℹ️ " + v.t("no_bureau_breakdown"))
        return
    if series is not None:
        rows = series.filter(pl.col("m_target_kind").is_not_null() & ~pl.col("bureau_target"))
        if rows.height:
            r = rows.row(-1, named=True)
            text = fmt.target(r["m_target_kind"], r["m_target_min"], r["m_target_max"],
                                   m.is_rate, v.lang)
            st.caption("ℹ️ " + v.t("target_ministry_only", text=text))


def kpi_chart(v: View, code: str, key: str, kind: str | None = None, title: bool = True,
              **kw: object) -> pl.DataFrame:
    """Subheader, chart, caption and bureau notes for one kpi metric; returns its rows."""
    m = METRIC_BY_CODE[code]
    series = in_span(v, queries.kpi_series(v.run, v.bureaus, code))
    if title:
        st.header(f"{i18n.metric_name(code, v.lang)}", anchor=False)
    if series.height == 0:
        st.info(v.t("no_rows"))
        return series
    fig = plot(charts.kpi_chart, points(series), ticks(v, series["fiscal_year"].to_list()),
               is_rate=m.is_rate, lang=v.lang, kind=kind or ("line" if m.is_rate else "bar"),
               name=i18n.metric_name(code, v.lang), **kw)
    chart(fig, key=key, caption=metric_caption(v, code),
          alt=i18n.metric_name(code, v.lang))
    bureau_notes(v, code, series)
    return series


def kpi_table(v: View, codes: Sequence[str], key: str) -> None:
    """The numbers behind kpi charts: one row per FY, value and status per metric."""
    cols: dict[str, list] = {v.t("fy"): [v.fy_label(f) for f in v.fys]}
    for code in codes:
        m = METRIC_BY_CODE[code]
        s = in_span(v, queries.kpi_series(v.run, v.bureaus, code))
        by_fy = {r["fiscal_year"]: r for r in s.iter_rows(named=True)}
        name = i18n.metric_name(code, v.lang)
        vals, stats = [], []
        for f in v.fys:
            r = by_fy.get(f)
            if r is None:
                vals.append("–")
                stats.append("")
                continue
            text = fmt.value(r["value"], m.is_rate)
            if m.is_rate and r["denominator"] is not None:
                text += (f" ({fmt.value(r['numerator'], False)}/"
                         f"{fmt.value(r['denominator'], False)})")
            vals.append(text)
            stats.append(i18n.status_text(r["status"], v.lang)
                         if r["status"] != "no_target" else "")
        cols[name] = vals
        if any(stats):
            cols[f"{name} — {v.t('status')}"] = stats
    data_table(v, pl.DataFrame(cols), key=key)


def data_table(v: View, frame: pl.DataFrame, key: str, title: bool = True) -> None:
    if title:
        st.markdown(f"**{v.t('table_title')}**")
    # a NaN is a protected cell (public edition) or made from one: shown as [c], not "NaN"
    nan_cols = [c for c, t in frame.schema.items() if t.is_float() and frame[c].is_nan().any()]
    if nan_cols:
        frame = frame.with_columns(pl.Series(c, [
            None if x is None else fmt.value(x, False) for x in frame[c].to_list()],
            dtype=pl.String) for c in nan_cols)
    st.dataframe(frame, key=key, hide_index=True, width="stretch",
                 height=min(36 * (frame.height + 1) + 4, 640))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=])")


# st.table renders labels as Markdown, and its bare-URL autolink runs even on escaped text:
# Markdown characters are escaped, and an invisible word joiner after ":", "." and "@" keeps
# "https://…", "www.…" and addresses from becoming links. Parentheses alone make no link, so
# "FY2021 (in progress)" stays as it is.
_TABLE_SPECIAL = re.compile(r"([\\`*_\[\]<>!#|~$])")
_AUTOLINK = re.compile(r"([:.@])")


def _escape_markdown(text: object) -> str:
    return _TABLE_SPECIAL.sub(r"\\\1", str(text))


def _table_text(text: object) -> str:
    return _AUTOLINK.sub("\\1\u2060", _escape_markdown(text))


def md(text: object) -> str:
    """Text from the data as Markdown shows it: plain text (every Markdown character escaped,
    so no link, image, HTML or Streamlit directive can come from a CSV)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def inert(text: object) -> str:
    """Text from another sender (a roll-up pack's organisation name) as Markdown shows it:
    :func:`md`, and a word joiner after ":", "." and "@" as in tables, because Streamlit's
    Markdown turns a bare ``http://…`` into a link even when its characters are escaped."""
    return _AUTOLINK.sub("\\1\u2060", md(text))
