"""Plotly figure builders: one theme, status colours, target bands and lines, the plan period.

Pure functions of plain lists (no Streamlit, no SQL). Values are passed to Plotly as Python
lists, so a figure's JSON holds the exact numbers (tests read bar heights back from it).
Colours are the Okabe–Ito palette, safe for colour-blind readers; a status is always also a
symbol and a word.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio

from dashboard import fmt
from pipelines.fiscal import fy_end, fy_start
from release import i18n

# categories (tracks, levels, bureaus …): the Okabe & Ito (2008) "Color Universal Design"
# palette, blue and orange first, so that the status greens and vermillions are not the first
# colours a category chart shows
CATEGORY = ("#0072B2", "#E69F00", "#56B4E9", "#CC79A7", "#009E73", "#F0E442", "#D55E00",
            "#000000", "#7F7F7F", "#9ECAE9", "#F4C28C", "#B4DEC9")
STATUS_COLOURS = {
    "met": "#009E73",  # bluish green
    "below": "#D55E00",  # vermillion
    "above": "#E69F00",  # orange
    "in_progress": "#56B4E9",  # sky blue
    "no_data": "#999999",
    "no_target": "#0072B2",  # a plain bar: blue
    "on_track": "#009E73",
    "at_risk": "#D55E00",
}
# the same statuses as text on white (badges, table text): darker, WCAG AA contrast ≥ 4.5:1
# (#009E73 on white is 3.4:1) — issue 9
STATUS_TEXT_COLOURS = {
    "met": "#00704F",  # 6.1:1
    "below": "#B34700",  # 5.5:1
    "above": "#8A5A00",  # 5.9:1
    "in_progress": "#1F6A99",  # 5.9:1
    "no_data": "#666666",  # 5.7:1
    "no_target": "#666666",
    "on_track": "#00704F",
    "at_risk": "#B34700",
}
STATUS_MARKERS = {"met": "circle", "below": "triangle-down", "above": "triangle-up",
                  "in_progress": "circle-open", "no_data": "x-thin-open",
                  "no_target": "circle"}
TARGET_COLOUR = "#009E73"
FONT = "IPAexGothic, 'IPAexゴシック', 'Noto Sans CJK JP', 'Hiragino Sans', Meiryo, sans-serif"

pio.templates["dtp"] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=13, color="#222222"),
        colorway=list(CATEGORY),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel=dict(font=dict(family=FONT, size=13), bgcolor="white"),
        # tick labels upright, or turned a quarter (never slanted over each other: issue 29)
        xaxis=dict(showgrid=False, linecolor="#888888", ticks="outside", tickcolor="#888888",
                   automargin=True, autotickangles=[0, 90],
                   title=dict(standoff=6, font=dict(size=11, color="#444444"))),
        yaxis=dict(gridcolor="#E5E5E5", zerolinecolor="#888888", rangemode="tozero",
                   automargin=True),
        # the legend under the chart, at the bottom of its box (the plot area gives way), so
        # that it never meets the plan labels above the plot (issues 25, 29)
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left",
                    x=0, title=dict(text=""), traceorder="normal"),
        margin=dict(l=10, r=10, t=24, b=10),
        bargap=0.25,
        # a bar's value is readable (10 px at least) or left out, never shrunk to 5 px
        uniformtext=dict(minsize=10, mode="hide"),
    )
)
# no Plotly toolbar: on a touch screen it stays over the chart's first rows (issue 29);
# Streamlit's own element toolbar (full screen) stays
CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Point:
    """One FY of a kpi series, as the charts need it."""
    fy: int
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    status: str = "no_target"
    target_kind: str | None = None
    target_min: float | None = None
    target_max: float | None = None
    plan: str | None = None  # the title of the plan in force, which set the FY's target


@dataclass(frozen=True)
class PlanBand:
    """One plan of the warehouse's ``plans`` table as a time chart draws it."""
    plan_id: str
    title: str  # in the page's language (CSV text: drawn through ``plain``)
    fy_from: int
    fy_to: int
    revision: bool  # revises another plan: drawn as a boundary, not a band of its own


# the template as a plain dict: Plotly validates a dict into the figure's template in a third
# of the time it takes to deep-copy the registered Template object (issue 19)
_TEMPLATE = pio.templates["dtp"].to_plotly_json()


def _base(height: int, title: str | None = None) -> go.Figure:
    layout: dict = {"template": _TEMPLATE, "height": height, "separators": ".,"}
    if title:
        layout["title"] = dict(text=title, x=0, font=dict(size=15))
    return go.Figure(layout=layout)


def _fy_axis(fig: go.Figure, fys: Sequence[int], ticks: Sequence[str], lang: str) -> None:
    """Every FY drawn has its tick, short enough for a phone (R6, FY24): the eras and the FY
    in progress are said once, in the axis title; the full labels (``ticks``: 令和6年度 (2024)
    …) stay in the figure's meta for its text table, and in the hover text."""
    fys = list(fys)
    now = next((f for f, t in zip(fys, ticks, strict=True)
                if t == fmt.fy_tick(f, lang, True)), None)
    fig.update_xaxes(tickmode="array", tickvals=fys,
                     ticktext=[fmt.fy_short(f, lang) for f in fys],
                     title=dict(text=fmt.fy_axis_title(fys, lang, now)),
                     range=[min(fys) - 0.6, max(fys) + 0.6] if fys else None)
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    fig.layout.meta = {**meta, "fy_labels": {str(f): t for f, t in
                                             zip(fys, ticks, strict=True)}}


def fy_labels(fig: go.Figure) -> dict[int, str]:
    """The full label of each FY of a chart over FYs (its ticks are short), else {}."""
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    return {int(k): v for k, v in (meta.get("fy_labels") or {}).items()}


def plan_period(fig: go.Figure, fys: Sequence[int], lang: str) -> None:
    """Mark ``fig`` as a chart over FYs: ``add_plans`` draws the plans' periods on it."""
    fig.update_layout(meta={"time_axis": "fy"})


def _date_plan_period(fig: go.Figure, dates: Sequence[dt.date], lang: str) -> None:
    """Mark ``fig`` as a chart over dates: ``add_plans`` draws the plans' periods on it."""
    fig.update_layout(meta={"time_axis": "date"})


PLAN_SHADES = ("#888888", "#56B4E9")  # alternate generations: grey, sky blue (light, below)


def _append(fig: go.Figure, shapes: Sequence[dict] = (), annotations: Sequence[dict] = ()
            ) -> None:
    """Add shapes and annotations in one assignment each: Plotly's ``add_shape``, ``add_vrect``,
    ``add_vline`` and ``add_annotation`` validate every item already on the figure again at each
    call (a chart with plans and targets: 50–90 ms → 2–10 ms; issue 19)."""
    if shapes:
        fig.layout.shapes = (*fig.layout.shapes, *shapes)
    if annotations:
        fig.layout.annotations = (*fig.layout.annotations, *annotations)


def _vline(x: object, **kw: object) -> dict:
    """What ``fig.add_vline(x, …)`` adds: a line across the plot area's height."""
    return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", **kw)


# Text that must fit every width a chart is drawn at. The labels above the plot are packed in
# rows for the narrowest plot area a chart gets (MIN_PLOT: a 390-px phone, or half a 768-px
# tablet): a packing without overlaps there has none at any wider size (the FYs move apart, the
# labels keep their size), and a label that ends inside the plot there does everywhere.
MIN_PLOT = 250  # px
PLAN_FONT = 10  # px, the plan labels
PLAN_ROW = 15  # px between rows of plan labels
PLAN_EM = 14  # the longest plan label, in em (140 px)
LEGEND_EM = 17  # a legend entry's line (at 13 px: 221 px, with its symbol inside MIN_PLOT+)


def _em(text: str) -> float:
    """The width of ``text`` in em (a CJK character 1, any other 0.62: a generous mean)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.62 for c in text)


def abbreviate(text: str, limit: float) -> str:
    """``text`` at most ``limit`` em wide: its head, "…" and its tail (what tells plans apart:
    「(令和3年度)」, "revised in FY2023"). The full text is on hover and in the table."""
    if _em(text) <= limit:
        return text
    budget = limit - 1.0
    tail = ""
    for c in reversed(text):
        if _em(tail) + _em(c) > budget * 0.55:
            break
        tail = c + tail
    head = ""
    for c in text:
        if _em(head) + _em(c) > budget - _em(tail):
            break
        head += c
    return head.rstrip() + "…" + tail.lstrip()


_TOKENS = re.compile(r"&[#\w]+;|[A-Za-z0-9'’.,:/()\-]+|\s+|.")


def _wrap(name: str, limit: float = LEGEND_EM, lines: int = 3) -> str:
    """A legend entry (plain text, entities kept whole) in lines of at most ``limit`` em,
    broken between words or CJK characters; past ``lines`` lines, cut with "…"."""
    if _em(html.unescape(name)) <= limit:
        return name
    out: list[str] = [""]
    for tok in _TOKENS.findall(name):
        w = _em(html.unescape(tok))
        if out[-1] and _em(html.unescape(out[-1])) + w > limit:
            if len(out) == lines:
                out[-1] = out[-1].rstrip() + "…"
                break
            out.append("")
        if tok.isspace() and not out[-1]:
            continue
        out[-1] += tok
    return "<br>".join(line.rstrip() for line in out)


def _pack(spans: Sequence[tuple[float, float]]) -> list[int]:
    """The row of each span (first fit, in order), rows 0, 1, … never holding two that meet."""
    rows: list[list[tuple[float, float]]] = []
    out = []
    for a, b in spans:
        for i, row in enumerate(rows):
            if all(b + 4 <= c or d + 4 <= a for c, d in row):
                row.append((a, b))
                out.append(i)
                break
        else:
            rows.append([(a, b)])
            out.append(len(rows) - 1)
    return out


def add_plans(fig: go.Figure, bands: Sequence[PlanBand], lang: str) -> None:
    """Each plan's period on a time chart (one marked by ``plan_period``), clipped to the FYs
    or dates shown: a shaded band per plan, labelled with its title above the plot area, and a
    dashed boundary, labelled, where a revision took over. The labels are abbreviated (the full
    title on hover) and stacked in rows so that none meets another at any width; the legend is
    under the plot. Then every chart is ``fit`` for narrow screens."""
    axis = (fig.layout.meta or {}).get("time_axis") if isinstance(fig.layout.meta, dict) \
        else None
    xs = [x for t in fig.data for x in (getattr(t, "x", None) or ()) if x is not None]
    if axis is None or not xs:
        fit(fig)
        return
    if axis == "fy":
        lo_x, hi_x = min(xs) - 0.5, max(xs) + 0.5

        def edge(fy: int, end: bool) -> object:
            return fy + 0.5 if end else fy - 0.5

        def num(x: object) -> float:
            return float(x)
    else:
        lo_x, hi_x = min(xs), max(xs)

        def edge(fy: int, end: bool) -> object:
            return fy_end(fy) if end else fy_start(fy)

        def num(x: object) -> float:
            return float(x.toordinal())
    scale = MIN_PLOT / max(num(hi_x) - num(lo_x), 1e-9)  # px per x unit, at the narrowest
    shapes: list[dict] = []
    labels: list[tuple[object, str, str, tuple[float, float], str]] = []
    shade = 0
    for b in bands:
        x0, x1 = max(edge(b.fy_from, False), lo_x), min(edge(b.fy_to, True), hi_x)
        if x0 >= x1:
            continue
        full = i18n.t("plan_revised_label", lang, title=b.title) if b.revision else b.title
        short = abbreviate(full, PLAN_EM)
        width = _em(short) * PLAN_FONT + 4
        start = (num(x0) - num(lo_x)) * scale
        if start + width <= MIN_PLOT:  # from the band's start, rightwards
            labels.append((x0, "left", short, (start, start + width), full))
        else:  # near the right edge: ending there
            labels.append((hi_x, "right", short, (MIN_PLOT - width, MIN_PLOT), full))
        if b.revision:
            shapes.append(_vline(x0, line=dict(color="#555555", width=1.5, dash="dash"),
                                 layer="below"))
            continue
        shapes.append(dict(type="rect", x0=x0, x1=x1, xref="x", y0=0, y1=1, yref="y domain",
                           fillcolor=PLAN_SHADES[shade % 2], opacity=0.10, line=dict(width=0),
                           layer="below"))
        shapes.append(_vline(x0, line=dict(color="#888888", width=1), layer="below"))
        shade += 1
    rows = _pack([span for *_, span, _ in labels])
    # a label already above the plot (a draft's boundary: ``target_vline``) keeps row 0
    above = any(a.yanchor == "bottom" and a.y is not None and a.y >= 1
                and str(a.yref) in ("paper", "y domain") for a in fig.layout.annotations)
    rows = [r + above for r in rows]
    notes = [dict(x=x, xref="x", y=1, yref="paper", yanchor="bottom", xanchor=anchor,
                  yshift=2 + row * PLAN_ROW, showarrow=False, text=plain(short),
                  hovertext=plain(full), font=dict(size=PLAN_FONT, color="#444444"))
             for (x, anchor, short, _, full), row in zip(labels, rows, strict=True)]
    _append(fig, shapes, notes)
    fig.update_layout(margin=dict(t=8 + PLAN_ROW * (max(rows) + 1) if rows else 24))
    fit(fig)


LEGEND_WRAP = 200  # px: the narrowest legend (Plotly wraps it at the plot area's width)
CATEGORY_EM = 13  # a category label's line (bureaus on a horizontal chart), at 13 px


def fit(fig: go.Figure) -> None:
    """What every chart needs on a narrow screen: legend entries and category labels wrapped
    to fit a phone, and a chart tall enough for its legend there (Plotly gives a horizontal
    legend half the chart's height at most, and scrolls the rest out of sight)."""
    entries = []
    for t in fig.data:
        if t.name and t.showlegend is not False:
            wrapped = _wrap(t.name)
            if wrapped != t.name:
                t.name = wrapped
            entries.append(t)
    horizontal = [t for t in fig.data if getattr(t, "orientation", None) == "h"
                  or (t.y is not None and len(t.y) and isinstance(t.y[0], str))]
    height = fig.layout.height or 340
    if horizontal:  # category labels in two lines at most, each category row tall enough
        cats = list(dict.fromkeys(c for t in horizontal for c in t.y))
        labels = [_wrap(c, CATEGORY_EM, lines=2) for c in cats]
        fig.update_yaxes(tickmode="array", tickvals=cats, ticktext=labels)
        lines = max((x.count("<br>") + 1 for x in labels), default=1)
        height = max(height, len(cats) * (17 * lines + 10) + 80)
        fig.update_layout(height=height)
    shown = fig.layout.showlegend
    if shown is False or not entries or (len(entries) == 1 and shown is None
                                          and entries[0].showlegend is not True):
        return
    rows, width = [0.0], 0.0  # the legend at its narrowest: rows of entries
    for t in entries:
        lines = t.name.split("<br>")
        w = 40 + max(_em(html.unescape(line)) for line in lines) * 13
        h = 6 + 17 * len(lines)
        if width and width + w > LEGEND_WRAP:
            rows.append(0.0)
            width = 0.0
        width += w
        rows[-1] = max(rows[-1], h)
    need = sum(rows) + 12
    fig.update_layout(height=int(height + max(0.0, need - 30)),
                      legend=dict(maxheight=int(need + 40)))


def _segments(points: Sequence[Point]) -> list[tuple[int, int, str, float | None, float | None]]:
    """Consecutive FYs with the same target, merged: (fy_from, fy_to, kind, lo, hi)."""
    out: list[tuple[int, int, str, float | None, float | None]] = []
    for p in points:
        if p.target_kind in (None, "growth"):
            continue
        key = (p.target_kind, p.target_min, p.target_max)
        if out and out[-1][1] == p.fy - 1 and out[-1][2:] == key:
            out[-1] = (out[-1][0], p.fy, *key)
        else:
            out.append((p.fy, p.fy, *key))
    return out


LEGEND_ONLY = "legend-only"  # the legendgroup of a trace that only names a mark in the legend


def drawn(fig: go.Figure) -> list:
    """The traces that draw data (not the legend entries of a target)."""
    return [t for t in fig.data if getattr(t, "legendgroup", None) != LEGEND_ONLY]


def add_targets(fig: go.Figure, points: Sequence[Point], is_rate: bool, lang: str,
                name: str | None = None, colour: str = TARGET_COLOUR) -> None:
    """A band for a range target, a dashed line for a min or max target (per FY segment),
    named in the legend under the chart (one entry per distinct target): a label in the plot
    would lie on bars, points or a revision's boundary (issue 25)."""
    shapes: list[dict] = []
    named = {t.name for t in fig.data if t.legendgroup == LEGEND_ONLY}
    for a, b, kind, lo, hi in _segments(points):
        text = i18n.t("target_band", lang,
                      text=fmt.target(kind, lo, hi, is_rate, lang)) + (
            f" ({name})" if name else "")
        if kind == "range" and lo is not None and hi is not None:
            shapes.append(dict(type="rect", x0=a - 0.5, x1=b + 0.5, y0=lo, y1=hi, layer="below",
                               fillcolor=colour, opacity=0.15,
                               line=dict(color=colour, width=1, dash="dot")))
            rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
            mark = dict(fill="toself", fillcolor=f"rgba{(*rgb, 0.15)}",
                        line=dict(color=colour, width=1, dash="dot"))
        else:
            y = lo if kind == "min" else hi
            if y is None:
                continue
            shapes.append(dict(type="line", x0=a - 0.5, x1=b + 0.5, y0=y, y1=y,
                               line=dict(color=colour, width=2, dash="dash")))
            mark = dict(line=dict(color=colour, width=2, dash="dash"))
        if text not in named:
            named.add(text)
            fig.add_scatter(x=[None], y=[None], mode="lines", name=text, showlegend=True,
                            legendgroup=LEGEND_ONLY, hoverinfo="skip", **mark)
    _append(fig, shapes)


def _hover_rows(points: Sequence[Point], ticks: dict[int, str], is_rate: bool, lang: str,
                extra: Sequence[str] | None = None) -> list[list[str]]:
    rows = []
    for i, p in enumerate(points):
        value = fmt.value(p.value, is_rate)
        if is_rate and p.denominator is not None:
            value += f" ({fmt.value(p.numerator, False)} / "\
                     f"{fmt.value(p.denominator, False)})"
        target = fmt.target(p.target_kind, p.target_min, p.target_max, is_rate, lang)
        if p.plan:  # which plan set the year's target (CSV text: plain)
            target += " " + i18n.t("target_set_by", lang, plan=plain(p.plan))
        rows.append([ticks[p.fy].replace("<br>", " "), value, target,
                     i18n.status_text(p.status, lang), extra[i] if extra else ""])
    return rows


def _shown(values: Sequence[float | None], percent: bool) -> list[str]:
    """Each value as hover text shows it, formatted here rather than by Plotly: a protected
    cell (NaN, public edition) reads [c] and a missing one a dash, never "NaN"."""
    return [fmt.value(v, percent) for v in values]


HOVER = ("<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
         + "%{meta[0]}: %{customdata[2]}<br>%{customdata[3]}%{customdata[4]}<extra></extra>")


def kpi_chart(points: Sequence[Point], ticks: dict[int, str], *, is_rate: bool, lang: str,
              kind: str = "bar", name: str = "", height: int = 340,
              bar_text: Sequence[str] | None = None, outline: Sequence[bool] | None = None,
              outline_colour: Sequence[str] | None = None,
              hover_extra: Sequence[str] | None = None, targets: bool = True) -> go.Figure:
    """One kpi series over FYs: bars (counts) or a line (rates), coloured and marked by status,
    the target band/line, the plan period shaded, exact values on hover."""
    fig = _base(height)
    fys = [p.fy for p in points]
    values = [p.value for p in points]
    colours = [STATUS_COLOURS.get(p.status, STATUS_COLOURS["no_target"]) for p in points]
    symbols = [i18n.STATUS_SYMBOLS[p.status] if p.status != "no_target" else "" for p in points]
    custom = _hover_rows(points, ticks, is_rate, lang, hover_extra)
    meta = [i18n.t("target", lang)]
    if kind == "bar":
        text = list(bar_text) if bar_text is not None else [
            (fmt.value(v, is_rate) + (f" {s}" if s else "")) for v, s in
            zip(values, symbols, strict=True)]
        line_w = [2.5 if o else 0 for o in (outline or [False] * len(points))]
        line_c = list(outline_colour) if outline_colour else ["#000000"] * len(points)
        fig.add_bar(x=fys, y=values, name=name, marker=dict(color=colours,
                    line=dict(width=line_w, color=line_c),
                    pattern=dict(shape=["/" if p.status == "in_progress" else ""
                                        for p in points], fgcolor="white")),
                    text=text, textposition="outside", cliponaxis=False, customdata=custom,
                    meta=meta, hovertemplate=HOVER, showlegend=False)
    else:
        fig.add_scatter(x=fys, y=values, name=name, mode="lines+markers",
                        line=dict(color="#0072B2", width=2),
                        marker=dict(color=colours, size=11,
                                    symbol=[STATUS_MARKERS.get(p.status, "circle")
                                            for p in points],
                                    line=dict(width=1.5, color=colours)),
                        customdata=custom, meta=meta, hovertemplate=HOVER, showlegend=False)
    if targets:
        add_targets(fig, points, is_rate, lang)
    plan_period(fig, fys, lang)
    _fy_axis(fig, fys, [ticks[f] for f in fys], lang)
    _value_axis(fig, values, points, is_rate, zoom=kind != "bar")
    return fig


def _value_axis(fig: go.Figure, values: Sequence[float | None], points: Sequence[Point],
                is_rate: bool, zoom: bool = False) -> None:
    """Bars start at zero; rate lines are zoomed to their values (near-100% rates differ by
    tenths of a point, which a 0–100% axis would hide)."""
    tops = [v for v in values if v is not None and v == v]  # NaN: a protected cell
    targets = [p.target_max if p.target_kind == "max" else p.target_min
               for p in points if p.target_kind in ("min", "max", "range")]
    top = max(tops + [t for t in targets if t is not None], default=1) or 1
    if is_rate:
        lo = 0.0
        if zoom and tops:
            low = min(tops + [t for t in targets if t is not None])
            lo = max(0.0, math.floor((low - max(0.02, (1 - low) * 0.25)) * 20) / 20)
        fig.update_yaxes(tickformat=".0%" if lo < 0.8 else ".1%",
                         range=[lo, max(1.0, top) + (1 - lo) * 0.06])
    else:
        fig.update_yaxes(range=[0, top * 1.18 + (0.5 if top < 5 else 0)])
        _count_ticks(fig, top)


def _count_ticks(fig: go.Figure, top: float) -> None:
    """Whole numbers on count axes (no 0.2, 0.4 … for small counts)."""
    fig.update_yaxes(tickformat=",d", dtick=1 if top < 6 else None)


def rate_lines(series: dict[str, Sequence[Point]], ticks: dict[int, str], *, lang: str,
               height: int = 340, colours: Sequence[str] = CATEGORY) -> go.Figure:
    """Several rate series on one chart (e.g. two metrics), each with its own target line."""
    fig = _base(height)
    all_fys: list[int] = []
    all_points: list[Point] = []
    for i, (name, points) in enumerate(series.items()):
        fys = [p.fy for p in points]
        all_fys = sorted(set(all_fys) | set(fys))
        all_points += list(points)
        c = colours[i % len(colours)]
        fig.add_scatter(x=fys, y=[p.value for p in points], name=name, mode="lines+markers",
                        line=dict(color=c, width=2, dash=["solid", "dash", "dot"][i % 3]),
                        marker=dict(size=10, color=c,
                                    symbol=[STATUS_MARKERS.get(p.status, "circle")
                                            for p in points]),
                        customdata=_hover_rows(points, ticks, True, lang,
                                               [f"<br>{name}"] * len(points)),
                        meta=[i18n.t("target", lang)], hovertemplate=HOVER)
    seen: set[tuple] = set()
    for points in series.values():
        key = tuple(_segments(points))
        if key and key not in seen:
            seen.add(key)
            add_targets(fig, points, True, lang)
    plan_period(fig, all_fys, lang)
    _fy_axis(fig, all_fys, [ticks[f] for f in all_fys], lang)
    _value_axis(fig, [p.value for p in all_points], all_points, True, zoom=True)
    return fig


def stacked_bars(fys: Sequence[int], groups: dict[str, Sequence[float]], ticks: dict[int, str],
                 *, lang: str, height: int = 340, unit: str = "", barmode: str = "stack",
                 colours: Sequence[str] | None = None, percent: bool = False,
                 time_axis: bool = True) -> go.Figure:
    """Bars per FY split by a category (stacked or grouped), plan period shaded."""
    fig = _base(height)
    pal = list(colours or CATEGORY)
    labels = [ticks[f].replace("<br>", " ") for f in fys]
    for i, (name, ys) in enumerate(groups.items()):
        fig.add_bar(x=list(fys), y=list(ys), name=name, marker_color=pal[i % len(pal)],
                    customdata=[[lb, v] for lb, v in zip(labels, _shown(ys, percent),
                                                          strict=True)],
                    hovertemplate="<b>%{customdata[0]}</b><br>" + name + ": %{customdata[1]}"
                                  + unit + "<extra></extra>")
    fig.update_layout(barmode=barmode)
    if percent:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    else:
        sums = [sum(v or 0 for v in col) for col in zip(*groups.values(), strict=True)] \
            if barmode == "stack" else [v or 0 for ys in groups.values() for v in ys]
        _count_ticks(fig, max(sums, default=0))
    if time_axis:
        plan_period(fig, list(fys), lang)
        _fy_axis(fig, list(fys), [ticks[f] for f in fys], lang)
    return fig


def lines(fys: Sequence[int], groups: dict[str, Sequence[float | None]], ticks: dict[int, str],
          *, lang: str, height: int = 340, percent: bool = False,
          hover_extra: dict[str, Sequence[str]] | None = None, legend: bool = True
          ) -> go.Figure:
    fig = _base(height)
    labels = [ticks[f].replace("<br>", " ") for f in fys]
    for i, (name, ys) in enumerate(groups.items()):
        extra = (hover_extra or {}).get(name, [""] * len(fys))
        fig.add_scatter(x=list(fys), y=list(ys), name=name, mode="lines+markers",
                        line=dict(color=CATEGORY[i % len(CATEGORY)], width=2,
                                  dash=["solid", "dash", "dot", "dashdot"][i % 4]),
                        marker=dict(size=9, symbol=["circle", "square", "diamond",
                                                    "triangle-up"][i % 4]),
                        customdata=[[lb, ex, v] for lb, ex, v in
                                    zip(labels, extra, _shown(ys, percent), strict=True)],
                        hovertemplate="<b>%{customdata[0]}</b><br>" + name
                                      + ": %{customdata[2]}%{customdata[1]}<extra></extra>")
    if percent:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    else:
        _count_ticks(fig, max((v or 0 for ys in groups.values() for v in ys), default=0))
    plan_period(fig, list(fys), lang)
    _fy_axis(fig, list(fys), [ticks[f] for f in fys], lang)
    if not legend:
        fig.update_layout(showlegend=False)
    return fig


def hbars(labels: Sequence[str], groups: dict[str, Sequence[float]], *,
          height: int | None = None, percent: bool = False, barmode: str = "stack",
          text: Sequence[str] | None = None, colours: Sequence[str] | None = None,
          hover_extra: Sequence[str] | None = None) -> go.Figure:
    """Horizontal bars by category (bureaus), stacked by group."""
    fig = _base(height or max(260, 34 * len(labels) + 90))
    pal = list(colours or CATEGORY)
    for i, (name, xs) in enumerate(groups.items()):
        col = colours if colours and len(colours) == len(labels) and len(groups) == 1 else None
        fig.add_bar(y=list(labels), x=list(xs), name=name, orientation="h",
                    marker_color=col or pal[i % len(pal)],
                    text=list(text) if text is not None and len(groups) == 1 else None,
                    textposition="outside" if text is not None else None, cliponaxis=False,
                    customdata=[[v, ex] for v, ex in
                                zip(_shown(xs, percent), hover_extra or [""] * len(xs),
                                    strict=True)],
                    hovertemplate="<b>%{y}</b><br>" + name
                                  + ": %{customdata[0]}%{customdata[1]}<extra></extra>")
    fig.update_layout(barmode=barmode)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(gridcolor="#E5E5E5", showgrid=True)
    if percent:
        fig.update_xaxes(tickformat=".0%", range=[0, 1.12])
    return fig


CURRENT_TARGET_COLOUR = "#7F7F7F"  # the target in force, beside a draft's (grey)


def draft_chart(current: Sequence[Point], draft: Sequence[Point], ticks: dict[int, str], *,
                is_rate: bool, lang: str, fy_from: int, names: tuple[str, str],
                revision: str) -> go.Figure:
    """A kpi series judged under a draft revision (its statuses and targets: ``draft``) with
    the targets in force now (``current``, grey) and the draft's from its first FY (green),
    and a dashed boundary where the draft takes over."""
    fig = kpi_chart(draft, ticks, is_rate=is_rate, lang=lang,
                    kind="line" if is_rate else "bar", targets=False)
    add_targets(fig, current, is_rate, lang, name=names[0], colour=CURRENT_TARGET_COLOUR)
    add_targets(fig, [p for p in draft if p.fy >= fy_from], is_rate, lang, name=names[1])
    if draft and fy_from <= max(p.fy for p in draft):
        target_vline(fig, fy_from - 0.5, plain(revision))
    return fig


def target_vline(fig: go.Figure, x: float, text: str) -> None:
    """A target on a value axis across: labelled above the plot, ending at the line (a target
    near 100 % is at the chart's right edge)."""
    fig.add_vline(x=x, line=dict(color=TARGET_COLOUR, width=2, dash="dash"),
                  annotation_text=text, annotation_position="top left",
                  annotation=dict(font=dict(size=11, color=TARGET_COLOUR)))


def date_lines(dates: Sequence[dt.date], groups: dict[str, Sequence[float | None]],
               hover: Sequence[str], *, lang: str, height: int = 360) -> go.Figure:
    """Rates over dates (drill rounds), the plan period shaded by its dates."""
    fig = _base(height)
    for i, (name, ys) in enumerate(groups.items()):
        fig.add_scatter(x=list(dates), y=list(ys), name=name, mode="lines+markers",
                        line=dict(color=CATEGORY[i % len(CATEGORY)], width=2,
                                  dash=["solid", "dash"][i % 2]),
                        marker=dict(size=7, symbol=["circle", "square"][i % 2]),
                        customdata=[[h, v] for h, v in zip(hover, _shown(ys, True),
                                                           strict=True)],
                        hovertemplate="<b>%{customdata[0]}</b><br>" + name
                                      + ": %{customdata[1]}<extra></extra>")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_xaxes(tickformat=i18n.t("date_axis", lang))
    fig.update_layout(hovermode="closest")
    _date_plan_period(fig, list(dates), lang)
    return fig


def dots(labels: Sequence[str], values: Sequence[float | None], statuses: Sequence[str],
         texts: Sequence[str], hover: Sequence[str], *, name: str) -> go.Figure:
    """One rate per category (bureaus) as dots coloured and shaped by status, on an axis
    zoomed to the values (a bar would have to start at zero)."""
    fig = _base(max(260, 32 * len(labels) + 90))
    known = [v for v in values if v is not None and v == v]  # NaN: a protected cell
    low = min(known + [1.0])
    lo = max(0.0, math.floor((low - max(0.01, (1 - low) * 0.3)) * 20) / 20)
    hi = 1 + (1 - lo) * 0.12
    fig.add_scatter(y=list(labels), x=list(values), mode="markers+text", name=name,
                    marker=dict(size=14, color=[STATUS_COLOURS.get(s, "#0072B2")
                                                for s in statuses],
                                symbol=[STATUS_MARKERS.get(s, "circle") for s in statuses]),
                    # a value's text beside its dot, on the side with room (left of a dot in
                    # the right part of the axis, which would cut it off at the edge)
                    text=list(texts), textposition=[
                        "middle left" if v is not None and v == v and v > lo + (hi - lo) * 0.55
                        else "middle right" for v in values],
                    textfont=dict(color="#222222", size=12), cliponaxis=False,
                    customdata=[[v, h] for v, h in zip(_shown(values, True), hover,
                                                       strict=True)],
                    hovertemplate="<b>%{y}</b><br>%{customdata[0]}%{customdata[1]}"
                                  "<extra></extra>")
    fig.update_xaxes(tickformat=".0%" if lo < 0.8 else ".1%", range=[lo, hi],
                     showgrid=True, gridcolor="#E5E5E5")
    fig.update_yaxes(autorange="reversed", showgrid=True, gridcolor="#F0F0F0")
    fig.update_layout(showlegend=False)
    return fig


def plain(text: object) -> str:
    """Text from the data (bureau, exam or course names, sources) as Plotly shows it: plain
    text. Plotly reads ``<b>``, ``<a href=…>`` and ``<br>`` in labels and hover text, so the
    markup characters go in as entities (shown as the characters themselves)."""
    return html.escape(str(text), quote=False)


# --- pace of the year in progress ------------------------------------------------------------
# Fiscal days (0 = April 1) of each month's first day in a FY without February 29: the x axis
# of the year-to-date charts.
MONTH_DAYS = (0, 30, 61, 91, 122, 153, 183, 214, 245, 275, 306, 334)
FY_LAST_DAY = 364  # March 31 of a 365-day FY (the projection is drawn there)


@dataclass(frozen=True)
class Curve:
    """One FY's cumulative progress: steps at the fiscal days where it changed."""
    fy: int
    days: Sequence[int]
    values: Sequence[float | None]
    end_day: int  # where the curve stops: March 31, or the as-of day in the year in progress


def pace_chart(curves: Sequence[Curve], current: int, *, is_rate: bool, lang: str,
               names: dict[int, str], target: tuple[str | None, float | None, float | None],
               previous: float | None = None,
               projection: tuple[float, float, float] | None = None,
               height: int = 360) -> go.Figure:
    """Year-to-date progress by fiscal day: the year in progress (bold) against the reference
    years (grey, dashed), drawn as steps (a count moves in whole steps); the target of the year
    in progress; the projected year-end with its 90 % interval at March 31."""
    fig = _base(height)
    greys = ("#555555", "#888888", "#AAAAAA")
    order = sorted(curves, key=lambda c: (c.fy == current, c.fy))
    for c in order:
        days = list(c.days) + [c.end_day]
        values = list(c.values) + [c.values[-1] if c.values else None]
        this = c.fy == current
        colour = "#0072B2" if this else greys[max(0, min(2, current - c.fy - 1))]
        fig.add_scatter(x=days, y=values, name=names[c.fy], mode="lines",
                        line=dict(shape="hv", color=colour, width=3 if this else 1.6,
                                  dash="solid" if this else ["dash", "dot", "dashdot"][
                                      max(0, min(2, current - c.fy - 1))]),
                        customdata=[[names[c.fy], v] for v in _shown(values, is_rate)],
                        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}"
                                      "<extra></extra>")
    kind, lo, hi = target
    text = i18n.t("target_band", lang, text=fmt.target(kind, lo, hi, is_rate, lang))
    line_y = lo if kind == "min" else hi if kind == "max" else previous \
        if kind == "growth" else None
    if kind == "growth" and previous is not None:
        text = i18n.t("pace_growth_line", lang, value=fmt.value(previous, is_rate))
    if kind == "range" and lo is not None and hi is not None:
        fig.add_hrect(y0=lo, y1=hi, fillcolor=TARGET_COLOUR, opacity=0.15, layer="below",
                      line=dict(color=TARGET_COLOUR, width=1, dash="dot"))
        fig.add_annotation(x=0, y=hi, text=text, showarrow=False, xanchor="left",
                           yanchor="bottom", font=dict(size=11, color=TARGET_COLOUR))
    elif line_y is not None:
        fig.add_hline(y=line_y, line=dict(color=TARGET_COLOUR, width=2, dash="dash"))
        fig.add_annotation(x=0, y=line_y, text=text, showarrow=False, xanchor="left",
                           yanchor="bottom", font=dict(size=11, color=TARGET_COLOUR))
    tops = [v for c in curves for v in c.values if v is not None and v == v]
    if projection is not None:
        proj, low, high = projection
        now = next((c for c in curves if c.fy == current), None)
        if now is not None and now.values:
            fig.add_scatter(x=[now.end_day, FY_LAST_DAY], y=[now.values[-1], proj],
                            mode="lines", line=dict(color="#0072B2", width=2, dash="dot"),
                            name=i18n.t("pace_projection_path", lang), hoverinfo="skip")
        shown = [fmt.projection(x, is_rate) for x in (proj, low, high)]  # counts: whole
        fig.add_scatter(x=[FY_LAST_DAY], y=[proj], mode="markers",
                        name=i18n.t("pace_projected", lang),
                        marker=dict(size=12, symbol="diamond", color="#0072B2"),
                        error_y=dict(type="data", symmetric=False, array=[high - proj],
                                     arrayminus=[proj - low], color="#0072B2", thickness=2,
                                     width=8),
                        customdata=[[i18n.t("pace_projected", lang), shown[0], shown[1],
                                     shown[2]]],
                        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]} "
                                      "(90%: %{customdata[2]}–%{customdata[3]})"
                                      "<extra></extra>")
        tops += [high]
    ticks = [i18n.t(f"month_{(i + 3) % 12 + 1}", lang) for i in range(12)]
    fig.update_xaxes(tickmode="array", tickvals=list(MONTH_DAYS), ticktext=ticks,
                     range=[-5, FY_LAST_DAY + 12], showgrid=True, gridcolor="#F0F0F0")
    top = max(tops + [t for t in (lo, hi, previous) if t is not None], default=1) or 1
    if is_rate:
        fig.update_yaxes(tickformat=".0%", range=[0, max(1.0, top) * 1.05])
    else:
        fig.update_yaxes(range=[0, top * 1.15 + (0.5 if top < 5 else 0)])
        _count_ticks(fig, top)
    fig.update_layout(hovermode="closest")
    return fig


OUTSIDE_COLOUR = "#D55E00"  # an outcome outside its interval (vermillion; also an ×)


def track_chart(rows: Sequence[dict], names: dict[int, str], *, lang: str,
                height: int = 260) -> go.Figure:
    """The projection's track record as one small chart (kpi_pace_history of one count metric):
    per earlier FY, the 90 % interval projected on this fiscal day around its projection, and
    where the year ended — a dot inside the interval, an × outside it (never colour alone)."""
    fig = _base(height)
    fys = [r["fiscal_year"] for r in rows]
    proj = [r["projected"] for r in rows]
    lows = [r["projected_low"] for r in rows]
    highs = [r["projected_high"] for r in rows]
    shown = list(zip(_shown(proj, False), _shown(lows, False), _shown(highs, False),
                     strict=True))
    fig.add_scatter(x=fys, y=proj, mode="markers", name=i18n.t("track_projected", lang),
                    marker=dict(symbol="diamond-open", size=10, color="#0072B2"),
                    error_y=dict(type="data", symmetric=False,
                                 array=[h - p for p, h in zip(proj, highs, strict=True)],
                                 arrayminus=[p - lo for p, lo in zip(proj, lows, strict=True)],
                                 color="#0072B2", thickness=2, width=6),
                    customdata=[[names[k], *s] for k, s in zip(fys, shown, strict=True)],
                    hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]} "
                                  "(90%: %{customdata[2]}–%{customdata[3]})<extra></extra>")
    for inside, key, symbol, colour in ((True, "track_inside", "circle", "#222222"),
                                        (False, "track_outside", "x", OUTSIDE_COLOUR)):
        part = [r for r in rows if bool(r["inside"]) == inside]
        if not part:
            continue
        fig.add_scatter(x=[r["fiscal_year"] for r in part], y=[r["outcome"] for r in part],
                        mode="markers", name=i18n.t(key, lang),
                        marker=dict(symbol=symbol, size=9, color=colour),
                        customdata=[[names[r["fiscal_year"]], v] for r, v in zip(
                            part, _shown([r["outcome"] for r in part], False), strict=True)],
                        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}"
                                      "<extra></extra>")
    _fy_axis(fig, fys, [names[k] for k in fys], lang)  # short ticks (R6), full in the table
    top = max([v for v in highs + [r["outcome"] for r in rows] if v is not None], default=1) or 1
    fig.update_yaxes(range=[0, top * 1.15 + (0.5 if top < 5 else 0)])
    _count_ticks(fig, top)
    fig.update_layout(hovermode="closest")
    fit(fig)
    return fig
