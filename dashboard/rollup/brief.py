"""The roll-up edition's briefing pack (PPTX, PDF) for the view on screen (issue 17).

The layout functions are the ministry pack's own (``dashboard.brief``: text boxes, native
PowerPoint charts, tables, the PDF's charts and tables and its embedded Japanese font); only
the content differs:

* title slide: the organisations shown, their as-of dates, the threshold, when the roll-up was
  built and the pack made;
* the chosen FY: every metric × organisation (value, status as symbol and word against that
  organisation's own target; ``[c]`` withheld, with its flag) and the government-wide total;
* the chosen metric: each organisation over the FYs (chart; a withheld cell has no mark);
* the government-wide total, every metric over the latest FYs (flag S: withheld by the
  receiver, with the bounds the free parts imply);
* the pace of the year in progress of each organisation where its pack had one.

Every number comes from ``dashboard.rollup.queries`` (rollup_kpi, rollup_kpi_pace); nothing is
recomputed. One entry point, :func:`build` (the compare page's buttons, after
``access.authorize_rollup_brief``).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import polars as pl

from dashboard import brief, fmt, messages
from dashboard.brief import KINDS, MIME, Chart, FontMissing, Series, pdf_font
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

__all__ = ["KINDS", "MIME", "FontMissing", "build", "content", "file_name", "pdf_font"]

GOV_FYS = 6  # the government-wide slide: the latest FYs that fit a slide


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Pack:
    lang: str
    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    summary: Table
    chart: Chart
    chart_notes: tuple[str, ...]
    government: Table
    pace_title: str
    pace: tuple[str, ...]


def content(v: rui.RollupView, fy: int | None = None, metric: str | None = None,
            made_at: dt.datetime | None = None) -> Pack:
    fy = fy if fy in v.fys else v.latest_complete_fy
    metric = metric if metric in METRIC_BY_CODE else METRICS[0].code
    kpi = rq.kpi(v.rollup, v.orgs)
    total = rq.government(v.rollup)
    rows = {(r["organisation"], r["metric"], r["fiscal_year"]): r
            for r in pl.concat([kpi, total], how="vertical_relaxed").iter_rows(named=True)}
    columns = [*v.codes, rq.ALL]
    flags = tuple(f"{f}: {rui.flag_text(f, v.lang)}" for f in rui.FLAGS)

    summary = Table(
        title=v.t("rollup_matrix", fy=v.fy_label(fy)),
        header=(v.t("metric"), *(v.org_label(c) for c in columns)),
        rows=tuple((i18n.metric_name(m.code, v.lang),
                    *(rui.cell(rows.get((c, m.code, fy)), m.is_rate, v.lang) for c in columns))
                   for m in METRICS),
        widths=(3.0, *([2.0] * len(columns))),
        notes=(v.t("rollup_matrix_caption"), v.t("rollup_own_target"), *flags))

    m = METRIC_BY_CODE[metric]
    series = []
    for org in v.codes:
        by_fy = {r["fiscal_year"]: r for r in kpi.filter(
            (pl.col("organisation") == org) & (pl.col("metric") == metric)).iter_rows(named=True)}
        series.append(Series(v.org_label(org), tuple(
            by_fy[f]["value"] if f in by_fy and by_fy[f]["flag"] == "F" else None
            for f in v.fys)))
    name = i18n.metric_name(metric, v.lang)
    chart = Chart(title=v.t("rollup_metric_title", metric=name),
                  kind="line" if m.is_rate else "bar",
                  categories=tuple(v.fy_label(f) for f in v.fys), series=tuple(series),
                  targets=(), is_rate=m.is_rate,
                  caption=v.t("rollup_chart_caption", metric=name),
                  **brief.fy_axis(v, v.fys))
    chart_notes = (i18n.metric_caption(metric, v.lang), v.t("rollup_chart_withheld"))

    gov_fys = v.fys[-GOV_FYS:]
    government = Table(
        title=v.t("rollup_total_title"),
        header=(v.t("metric"), *(v.fy_label(f) for f in gov_fys)),
        rows=tuple((i18n.metric_name(x.code, v.lang),
                    *(_total_cell(rows.get((rq.ALL, x.code, f)), x.is_rate, v.lang)
                      for f in gov_fys)) for x in METRICS),
        widths=(3.0, *([1.6] * len(gov_fys))),
        notes=(v.t("rollup_government_intro", n=len(v.all_orgs)), *flags,
               v.t("rollup_bounds_note_count"), v.t("rollup_bounds_note_rate")))

    pace = rq.pace(v.rollup, v.orgs)
    pace_lines = tuple(
        f"{v.org_label(r['organisation'])} — " + (
            f"{i18n.metric_name(r['metric'], v.lang)}: {rui.WITHHELD} (C)" if r["flag"] != "F"
            else messages.pace_line(r, v.lang))
        for r in pace.iter_rows(named=True)) if pace.height else ()

    orgs = rq.organisations(v.rollup)
    as_of = "; ".join(f"{v.org_label(r['organisation'])} {fmt.date(r['as_of_date'], v.lang)}"
                      for r in orgs.iter_rows(named=True)
                      if r["organisation"] in v.codes and r["as_of_date"] is not None)
    made = made_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    facts = (
        (v.t("rollup_orgs"), v.t("rollup_all_orgs") if v.orgs is None
         else ", ".join(v.org_label(c) for c in v.codes)),
        (v.t("as_of"), as_of),
        (v.t("rollup_threshold"), str(v.rollup.threshold)),
        (v.t("rollup_built"), fmt.timestamp(v.rollup.built_at, v.lang)),
        (v.t("brief_made"), fmt.timestamp(made, v.lang)),
    )
    return Pack(lang=v.lang, title=v.t("app_title_rollup"), subtitle=v.t("brief_title"),
                facts=facts, summary=summary, chart=chart, chart_notes=chart_notes,
                government=government,
                pace_title=v.t("page_rollup_pace") + (
                    f" ({v.fy_label(v.in_progress_fy)})" if v.in_progress_fy else ""),
                pace=pace_lines)


def _total_cell(row: dict | None, is_rate: bool, lang: str) -> str:
    text = rui.cell(row, is_rate, lang)
    bounds = rui.bounds_text(row, is_rate, lang) if row else ""
    return f"{text} {bounds}".strip()


# --- PowerPoint (dashboard.brief's layout functions) -------------------------------------------

def pptx_bytes(pack: Pack) -> bytes:
    from pptx import Presentation
    from pptx.util import Emu, Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 16:9 as the ministry's
    blank = prs.slide_layouts[6]
    margin = Inches(0.5)
    inner = prs.slide_width - 2 * margin

    s = prs.slides.add_slide(blank)
    brief._text(s, margin, Inches(0.5), inner, Inches(0.8), [pack.title], 30, bold=True)
    brief._text(s, margin, Inches(1.25), inner, Inches(0.6), [pack.subtitle], 22)
    brief._text(s, margin, Inches(2.4), inner, Inches(3.0),
                brief.fact_lines(pack.facts, 55)[0], 14, colour="333333")  # 14 pt: 63 em
    s.notes_slide.notes_text_frame.text = "\n".join(f"{k}: {val}" for k, val in pack.facts)

    for table in (pack.summary, pack.government):
        s = prs.slides.add_slide(blank)
        brief._text(s, margin, Inches(0.3), inner, Inches(0.6), [table.title], 22, bold=True)
        brief._pptx_table(s, table.header, table.rows, margin, Inches(1.0), inner,
                          table.widths, 10)
        s.notes_slide.notes_text_frame.text = "\n".join(table.notes)

    s = prs.slides.add_slide(blank)
    brief._text(s, margin, Inches(0.3), inner, Inches(0.6), [pack.chart.title], 22, bold=True)
    brief._pptx_chart(s, pack.chart, margin, Inches(1.0), inner, Inches(5.9))
    s.notes_slide.notes_text_frame.text = "\n".join(pack.chart_notes)

    if pack.pace:
        s = prs.slides.add_slide(blank)
        brief._text(s, margin, Inches(0.3), inner, Inches(0.6), [pack.pace_title], 22,
                    bold=True)
        brief._text(s, margin, Inches(1.0), inner, Inches(6.0), list(pack.pace), 10)
        s.notes_slide.notes_text_frame.text = "\n".join(pack.pace)

    for slide in prs.slides:
        brief._set_fonts(slide.shapes._spTree)
        brief._set_fonts(slide.notes_slide.notes_text_frame._txBody)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------

def pdf_bytes(pack: Pack) -> bytes:
    doc = brief.PdfDoc(pack.title, pack.subtitle, pack.lang)
    pdf, H, M, inner = doc.pdf, doc.H, doc.M, doc.inner
    heading, notes = doc.heading, doc.notes

    doc.title_page(pack.title, pack.subtitle)
    pdf.set_font("jp", size=11)
    pdf.set_text_color(51, 51, 51)
    pdf.set_xy(M, 56)
    facts, clipped = brief.fact_lines(pack.facts)
    pdf.multi_cell(inner, 6.4, brief._glyphs("\n".join(facts)))

    for table in (pack.summary, pack.government):
        pdf.add_page()
        heading(table.title)
        pdf.set_text_color(34, 34, 34)
        pdf.set_font("jp", size=7.5)
        pdf.set_xy(M, 22)
        brief._pdf_table(pdf, table.header, table.rows, table.widths, inner, 6.4)
        notes(table.notes, H - 20)

    pdf.add_page()
    heading(pack.chart.title)
    brief._pdf_chart(pdf, pack.chart, M, 22, inner, 140, pack.lang)
    notes(pack.chart_notes, 168)

    if pack.pace:
        pdf.add_page()
        heading(pack.pace_title)
        pdf.set_text_color(34, 34, 34)
        pdf.set_font("jp", size=8)
        pdf.set_xy(M, 22)
        pdf.multi_cell(inner, 4.2, brief._glyphs("\n".join(pack.pace)))
    if clipped:
        brief.full_names_page(doc, pack.facts, pack.lang)
    return bytes(pdf.output())


# --- the one entry point -----------------------------------------------------------------------

def build(v: rui.RollupView, kind: str, fy: int | None = None, metric: str | None = None
          ) -> bytes:
    """The pack of the view as ``kind`` ("pptx" or "pdf")."""
    if kind not in KINDS:
        raise ValueError(f"not a pack format: {kind!r}")
    pack = content(v, fy=fy, metric=metric)
    return pptx_bytes(pack) if kind == "pptx" else pdf_bytes(pack)


def file_name(v: rui.RollupView, kind: str) -> str:
    scope = "all" if v.orgs is None else "-".join(v.orgs)
    built = v.rollup.built_at.date().isoformat() if v.rollup.built_at else "na"
    return f"rollup_briefing_{v.lang}_{scope}_{built}.{kind}"
