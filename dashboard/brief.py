"""幹部説明資料 The executive briefing pack: PowerPoint with native (editable) charts, and PDF.

One entry point, :func:`build` (the Overview's and the Plan review page's buttons and
``python -m dashboard brief`` call it; it is where an access gate wraps the pack). The pack
follows a view (:class:`~dashboard.state.View`: language, bureaus, FY span) and holds
aggregated figures only:

* a title slide (plan name, as-of date, filters, run id, the sample-data notice);
* a summary slide: the 14 metrics of ``kpi`` for the latest completed FY of the span, with
  target, status (word and symbol) and the change on the year before;
* one slide per plan section (§2 hiring, §3 training and certification, §4 careers and
  secondments, §5 security literacy) with charts that hold their data (python-pptx chart
  objects; the target band or line as line series) and an FY axis labelled as on the pages.
  The slide notes hold each metric's definition and the plan clause of the plan in force for
  the summary's FY;
* with a plan (``--plan ID``, the Plan review page): the review of its generation
  (dashboard/review.py, the page's rows: ministry-wide kpi, each FY judged by the plan in
  force) as a table slide, and the previous plan's final year against its first.

Every number comes from :mod:`dashboard.queries` (``kpi`` and the marts), nothing is
recomputed; labels come from :mod:`release.i18n` and ``pipelines.schema``. :func:`content`
gathers the pack once; :func:`pptx_bytes` and :func:`pdf_bytes` only lay it out.

The PDF embeds a Japanese TrueType font, which must be on the machine (``DTP_PDF_FONT``, else
IPAex Gothic from Debian's ``fonts-ipaexfont-gothic``); without one :class:`FontMissing` says so.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dashboard import charts, fmt, messages, queries, review
from dashboard.state import View
from pipelines.schema import METRIC_BY_CODE, METRICS
from pipelines.settings import get_settings
from release import i18n

KINDS = ("pptx", "pdf")
MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pdf": "application/pdf"}
PPTX_FONT = "Meiryo"  # Office's Japanese UI font (Yu Gothic is the other choice)
PDF_FONTS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",  # Debian fonts-ipaexfont-gothic
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",  # Debian's alternatives link
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/Library/Fonts/ipaexg.ttf",
    "C:/Windows/Fonts/ipaexg.ttf",
)
PALETTE = charts.CATEGORY
TARGET_COLOUR = charts.TARGET_COLOUR


class FontMissing(Exception):
    """No Japanese TrueType font for the PDF."""


class NoData(Exception):
    """The warehouse holds no fiscal year: there is nothing to brief on."""


class UnknownPlan(ValueError):
    """``--plan`` names no plan of the warehouse (the message lists the plans it has)."""


# --- the content, gathered once ---

@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    title: str
    kind: str  # "bar" | "stacked" | "line"
    categories: tuple[str, ...]  # FY labels, as on the pages
    series: tuple[Series, ...]
    targets: tuple[Series, ...]  # target lines (a range target = lower and upper line)
    is_rate: bool
    caption: str  # the text alternative: what the chart shows
    ticks: tuple[str, ...] = ()  # short FY labels for a narrow axis (R6, FY24), as on the pages
    axis_title: str = ""  # what the short labels stand for (年度（R＝令和）・R8は集計中)


def fy_axis(v: View, fys: Sequence[int]) -> dict:
    """The short FY labels of a chart and its axis title, as the dashboard's charts have
    them (fmt.fy_short, fmt.fy_axis_title): ``Chart(**fy_axis(v, fys), …)``."""
    now = next((f for f in fys if v.in_progress(f)), None)
    return {"ticks": tuple(fmt.fy_short(f, v.lang) for f in fys),
            "axis_title": fmt.fy_axis_title(list(fys), v.lang, now)}


@dataclass(frozen=True)
class SummaryRow:
    code: str
    name: str
    section: str
    value: float | None
    value_text: str
    target_text: str
    status: str
    status_text: str
    change_text: str


@dataclass(frozen=True)
class Section:
    title: str
    charts: tuple[Chart, ...]
    notes: tuple[str, ...]
    pace: tuple[str, ...] = ()  # each event metric's pace in the year in progress


@dataclass(frozen=True)
class PlanReview:
    """The Plan review of one plan generation (review.review's rows, as text)."""
    plan_id: str
    plan_title: str
    title: str
    lines: tuple[str, ...]  # period, each plan of the generation, ended / in force, scope
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    handover_title: str = ""
    handover_header: tuple[str, ...] = ()
    handover: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Pack:
    lang: str
    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]  # (label, text) on the title slide
    sample_notice: str | None
    summary_title: str
    summary_fy: int
    summary_header: tuple[str, ...]
    summary: tuple[SummaryRow, ...]
    summary_notes: tuple[str, ...]
    sections: tuple[Section, ...]
    messages_title: str = ""
    messages: tuple[str, ...] = ()  # the Overview's key messages (dashboard/messages.py)
    # beside each message, its projection's track record (messages.track_record; "" if none)
    message_tracks: tuple[str, ...] = ()
    review: PlanReview | None = None  # the Plan review of a plan generation (``plan=``)


def _targets(rows: Sequence[dict], lang: str) -> tuple[Series, ...]:
    """Target lines from the rows' own target columns (the target that applies to them)."""
    kinds = {r["target_kind"] for r in rows if r["target_kind"] in ("range", "min", "max")}
    out: list[Series] = []
    if kinds & {"range", "min"}:
        key = "brief_target_lower" if "range" in kinds else "target_line"
        out.append(Series(i18n.t(key, lang), tuple(
            r["target_min"] if r["target_kind"] in ("range", "min") else None for r in rows)))
    if kinds & {"range", "max"}:
        key = "brief_target_upper" if "range" in kinds else "target_line"
        out.append(Series(i18n.t(key, lang), tuple(
            r["target_max"] if r["target_kind"] in ("range", "max") else None for r in rows)))
    return tuple(out)


def _kpi_chart(v: View, kpi: pl.DataFrame, codes: Sequence[str], kind: str,
               title: str | None = None) -> Chart:
    """One chart of kpi series over the view's FYs; the target lines of the first metric (or of
    every metric when they differ)."""
    fys = v.fys
    series: list[Series] = []
    targets: list[Series] = []
    for code in codes:
        rows_by_fy = {r["fiscal_year"]: r for r in
                      kpi.filter(pl.col("metric") == code).iter_rows(named=True)}
        rows = [rows_by_fy.get(f, {"value": None, "target_kind": None, "target_min": None,
                                   "target_max": None}) for f in fys]
        series.append(Series(i18n.metric_name(code, v.lang), tuple(r["value"] for r in rows)))
        for t in _targets(rows, v.lang):
            if all(t.values != o.values for o in targets):
                targets.append(t)
    m = METRIC_BY_CODE[codes[0]]
    title = title or " / ".join(i18n.metric_name(c, v.lang) for c in codes)
    caption = " ".join(i18n.metric_caption(c, v.lang) for c in codes)
    return Chart(title=title, kind=kind, categories=tuple(v.fy_label(f) for f in fys),
                 series=tuple(series), targets=tuple(targets), is_rate=m.is_rate,
                 caption=caption, **fy_axis(v, fys))


def _career_posts_chart(v: View) -> Chart:
    cp = queries.career_posts(v.run, v.bureaus, v.fy_from, v.fy_to)
    series = []
    for post in ("security", "systems", "crisis"):
        d = dict(cp.filter(pl.col("post_type") == post).group_by("fiscal_year")
                 .agg(pl.sum("headcount")).iter_rows())
        series.append(Series(i18n.enum_label("post_type", post, v.lang),
                             tuple(float(d.get(f, 0)) for f in v.fys)))
    return Chart(title=v.t("career_posts"), kind="stacked",
                 categories=tuple(v.fy_label(f) for f in v.fys), series=tuple(series),
                 targets=(), is_rate=False, caption=v.t("career_posts_caption"),
                 **fy_axis(v, v.fys))


def _notes(v: View, codes: Sequence[str], plan: pl.DataFrame) -> tuple[str, ...]:
    """Each metric's definition and plan clause; ``plan`` holds the targets of the plan in
    force for the summary's FY that cover it (``_clauses``), so a clause of an earlier plan or
    of a later revision never stands in for it."""
    out = []
    note_col = "note_en" if v.lang == "en" else "note_ja"
    for code in codes:
        m = METRIC_BY_CODE[code]
        clauses = plan.filter(pl.col("metric") == code)
        clause = "; ".join(f"{r['plan_section']} {r[note_col]}".strip()
                           for r in clauses.iter_rows(named=True)) or m.section
        definition = m.definition_en if v.lang == "en" else m.definition_ja
        out.append(f"{i18n.metric_name(code, v.lang)} — {v.t('brief_definition')}: "
                   f"{definition} {v.t('brief_clause')}: {clause}")
    return tuple(out)


def _clauses(run: queries.Run, fy: int) -> pl.DataFrame:
    """The targets of the plan in force for ``fy`` (kpi.plan_id) that cover it: where the
    notes take each metric's plan clause. No plan in force: none (the notes say the section)."""
    targets = queries.plan_targets(run)
    in_force = queries.plan_in_force(run).get(fy)
    if in_force is None:
        return targets.clear()
    return targets.filter((pl.col("plan_id") == in_force) & (pl.col("fy_from") <= fy)
                          & (pl.col("fy_to") >= fy))


def plan_of(v: View, plan: str) -> review.Generation:
    """The generation ``plan`` names (a plan's or a revision's id); :class:`UnknownPlan`
    listing the warehouse's plans otherwise."""
    gen = review.find(v.run, v.lang, plan)
    if gen is None:
        have = ", ".join(p["plan_id"] for g in review.generations(v.run, v.lang)
                         for p in g.plans)
        raise UnknownPlan(f"unknown plan {plan!r} (the warehouse has: {have or 'none'})")
    return gen


def _frame_rows(frame: pl.DataFrame) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(str(c) for c in row) for row in frame.iter_rows())


def plan_review(v: View, plan: str) -> PlanReview:
    """The Plan review of ``plan``'s generation, as the page shows it (review.review)."""
    gen = plan_of(v, plan)
    r = review.review(v.run, v.lang, gen)
    period = f"{fmt.fy_label(gen.fy_from, v.lang)} – {fmt.fy_label(gen.fy_to, v.lang)}"
    lines = [v.t("review_period", period=period)]
    for p in gen.plans:
        lines.append(("・" if v.lang == "ja" else "- ") + v.t(
            "review_plan_line", title=review.title(p, v.lang),
            adopted=fmt.date(p["adopted_on"], v.lang) if p["adopted_on"] else "–",
            fys=f"{fmt.fy_label(p['fy_from'], v.lang)} – {fmt.fy_label(p['fy_to'], v.lang)}"))
    lines.append(v.t("review_ended") if r.ended else v.t("review_in_force"))
    lines.append(f"{v.t('bureaus')}: {v.t('all_bureaus')}")  # kpi's ministry-wide rows
    handover = r.previous is not None and r.handover.height > 0
    return PlanReview(
        plan_id=gen.plan_id, plan_title=gen.title,
        title=f"{v.t('page_plan_review')} — {gen.title}",
        lines=tuple(lines), header=tuple(r.rows.columns), rows=_frame_rows(r.rows),
        handover_title=v.t("review_handover", previous=r.previous.title) if handover else "",
        handover_header=tuple(r.handover.columns) if handover else (),
        handover=_frame_rows(r.handover) if handover else ())


def content(v: View, made_at: dt.datetime | None = None, plan: str | None = None) -> Pack:
    """Everything the pack shows, read through :mod:`dashboard.queries` for the view; with
    ``plan`` (a plan's id) also the review of its generation (:class:`UnknownPlan` if none)."""
    run = v.run
    reviewed = plan_review(v, plan) if plan is not None else None
    kpi = queries.kpi(run, v.bureaus)
    fy = v.latest_complete_fy
    plan = _clauses(run, fy)
    rows = {(r["metric"], r["fiscal_year"]): r for r in kpi.iter_rows(named=True)}

    summary = []
    for m in METRICS:
        r = rows.get((m.code, fy))
        prev = rows.get((m.code, fy - 1))
        value = r["value"] if r else None
        status = r["status"] if r else "no_data"
        if r and r["target_kind"]:
            target = fmt.target(r["target_kind"], r["target_min"], r["target_max"],
                                     m.is_rate, v.lang)
        elif r and r["m_target_kind"]:
            target = fmt.target(r["m_target_kind"], r["m_target_min"], r["m_target_max"],
                                     m.is_rate, v.lang) + v.t("ministry_suffix")
        else:
            target = i18n.status_word("no_target", v.lang)
        name = i18n.metric_name(m.code, v.lang)
        if r and r.get("ministry_only"):
            name += v.t("ministry_suffix")
        summary.append(SummaryRow(
            code=m.code, name=name, section=m.section, value=value,
            value_text=fmt.value(value, m.is_rate), target_text=target,
            status=status, status_text=i18n.status_text(status, v.lang),
            change_text=fmt.change(value, prev["value"] if prev else None, m.is_rate,
                                        v.lang) or "–"))

    # the year in progress: a projection belongs to one kpi_pace row (the ministry, or the one
    # selected bureau); several bureaus have no common projection
    pace_rows = [] if v.bureaus is not None and len(v.bureaus) > 1 or not run.in_progress(
        run.as_of_fy or 0) else queries.pace(run, v.bureaus).to_dicts()
    key_messages = tuple(messages.key_messages(pace_rows, v.lang))
    history = queries.pace_history(run).to_dicts() if pace_rows else []
    tracks = tuple(messages.track_record(r, history, v.lang) or ""
                   for r in messages.ranked(pace_rows))
    if run.in_progress(run.as_of_fy or 0) and not key_messages:
        key_messages = (v.t("pace_multi_bureau") if v.bureaus is not None and len(v.bureaus) > 1
                        else v.t("msg_none"),)

    def pace_of(codes: Sequence[str]) -> tuple[str, ...]:
        lines = []
        for r in (r for c in codes for r in pace_rows if r["metric"] == c):
            lines.append(messages.pace_line(r, v.lang))
            track = messages.track_record(r, history, v.lang)
            if track:
                lines.append("  " + track)
        return tuple(lines)

    sections = (
        Section(v.t("brief_s2"), (_kpi_chart(v, kpi, ["digital_hires"], "bar"),),
                _notes(v, ["digital_hires"], plan), pace_of(["digital_hires"])),
        Section(v.t("brief_s3"), (
            _kpi_chart(v, kpi, ["training_participants"], "bar"),
            _kpi_chart(v, kpi, ["ipa_certified_staff"], "bar"),
            _kpi_chart(v, kpi, ["ipa_passes"], "bar"),
            _kpi_chart(v, kpi, ["new_hire_a_level_rate"], "line")),
            _notes(v, ["training_participants", "ipa_certified_staff", "ipa_passes",
                       "new_hire_a_level_rate"], plan),
            pace_of(["training_participants", "ipa_passes", "new_hire_a_level_rate"])),
        Section(v.t("brief_s4"), (
            _kpi_chart(v, kpi, ["secondees"], "bar"),
            _kpi_chart(v, kpi, ["digital_talent_staff"], "bar"),
            _career_posts_chart(v)),
            _notes(v, ["secondees", "digital_talent_staff"], plan)
            + (f"{v.t('career_posts')} — {v.t('career_posts_caption')}",)),
        Section(v.t("brief_s5"), (
            _kpi_chart(v, kpi, ["security_elearning_rate", "new_hire_security_rate",
                                "phishing_followup_rate", "promotion_training_rate"], "line",
                       v.t("brief_rates")),
            _kpi_chart(v, kpi, ["phishing_drills_held"], "bar"),
            _kpi_chart(v, kpi, ["phishing_open_rate", "phishing_report_rate"], "line",
                       v.t("brief_drill_rates"))),
            _notes(v, ["security_elearning_rate", "new_hire_security_rate",
                       "phishing_followup_rate", "promotion_training_rate",
                       "phishing_drills_held", "phishing_open_rate", "phishing_report_rate"],
                   plan),
            pace_of(["security_elearning_rate", "new_hire_security_rate",
                     "phishing_followup_rate", "promotion_training_rate",
                     "phishing_drills_held", "phishing_open_rate", "phishing_report_rate"])),
    )

    bureaus = (v.t("all_bureaus") if v.bureaus is None
               else "、".join(v.bureau_label(c) for c in v.bureaus) if v.lang == "ja"
               else ", ".join(v.bureau_label(c) for c in v.bureaus))
    as_of = fmt.date(run.as_of_date, v.lang)
    if run.as_of_fy is not None:
        as_of += f" ({v.fy_label(run.as_of_fy)})"
    made = made_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    facts = (
        (v.t("as_of"), as_of),
        (v.t("bureaus"), bureaus),
        (v.t("fy_span"), f"{v.fy_label(v.fy_from)} – {v.fy_label(v.fy_to)}"),
        (v.t("run_id"), run.run_id),
        (v.t("brief_made"), fmt.timestamp(made, v.lang)),
    ) + (((v.t("page_plan_review"), reviewed.plan_title),) if reviewed is not None else ())
    m_header = (v.t("metric"), v.t("section"), v.fy_label(fy), v.t("target"), v.t("status"),
                v.t("vs_prev"))
    return Pack(
        lang=v.lang, title=i18n.STRINGS["app_title"][0] if v.lang == "ja"
        else v.t("brief_plan_en"),
        subtitle=v.t("brief_title"), facts=facts,
        sample_notice=v.t("sample_banner") if run.is_sample else None,
        summary_title=v.t("brief_summary", fy=v.fy_label(fy)), summary_fy=fy,
        summary_header=m_header, summary=tuple(summary),
        summary_notes=(v.t("brief_summary_note"),
                       f"{v.t('status_legend')}: " + " ".join(
                           i18n.status_text(s, v.lang) for s in
                           ("met", "below", "above", "in_progress", "no_data", "no_target"))),
        sections=sections,
        messages_title=v.t("key_messages") + (
            f" ({v.fy_label(run.as_of_fy)})" if run.as_of_fy is not None else ""),
        messages=key_messages, message_tracks=tracks if len(tracks) == len(key_messages)
        else (), review=reviewed)


# --- PowerPoint ---

def _set_fonts(root: object) -> None:
    """Latin and East Asian typeface of every run and default on a slide or chart part."""
    from pptx.oxml.ns import qn

    for tag in ("a:rPr", "a:defRPr", "a:endParaRPr"):
        for rpr in root.iter(qn(tag)):
            for face in ("a:latin", "a:ea"):
                el = rpr.find(qn(face))
                if el is None:
                    el = rpr.makeelement(qn(face), {})
                    # latin/ea come before cs, sym and hyperlinks in a:rPr
                    after = [c for c in rpr if c.tag in (qn("a:cs"), qn("a:sym"),
                                                         qn("a:hlinkClick"),
                                                         qn("a:hlinkMouseOver"),
                                                         qn("a:rtl"), qn("a:extLst"))]
                    if after:
                        after[0].addprevious(el)
                    elif face == "a:ea" and rpr.find(qn("a:latin")) is not None:
                        rpr.find(qn("a:latin")).addnext(el)
                    else:
                        rpr.append(el)
                el.set("typeface", PPTX_FONT)


def _text(slide, x, y, w, h, lines: Sequence[str], size: int, bold: bool = False,
          colour: str = "222222"):
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    box = slide.shapes.add_textbox(x, y, w, h)
    tf = box.text_frame
    tf.word_wrap = True
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = p.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor.from_string(colour)
    return box


def _tracks(tf, tracks: Sequence[str]) -> None:
    """Under each key message of a text frame, its projection's track record, smaller."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    for para, track in reversed(list(zip(list(tf.paragraphs), tracks, strict=False))):
        if not track:
            continue
        new = tf.add_paragraph()  # appended last, then moved after its message
        para._p.addnext(new._p)
        run = new.add_run()
        run.text = track
        run.font.size = Pt(10)
        run.font.color.rgb = RGBColor.from_string("1F6A99")


def _targets_as_lines(chart, n_data: int) -> None:
    """Move the series after the first ``n_data`` of a bar chart into a line chart on the same
    axes (python-pptx makes single-type charts; a combo chart is plain DrawingML)."""
    from pptx.oxml.ns import qn

    plot_area = chart._chartSpace.chart.plotArea
    bar = plot_area.find(qn("c:barChart"))
    moved = bar.findall(qn("c:ser"))[n_data:]
    if not moved:
        return
    line = bar.makeelement(qn("c:lineChart"), {})
    for tag, val in (("c:grouping", "standard"), ("c:varyColors", "0")):
        el = line.makeelement(qn(tag), {"val": val})
        line.append(el)
    for ser in moved:
        bar.remove(ser)
        for tag in ("c:invertIfNegative", "c:shape", "c:pictureOptions"):
            el = ser.find(qn(tag))
            if el is not None:
                ser.remove(el)
        ser.append(ser.makeelement(qn("c:smooth"), {"val": "0"}))
        line.append(ser)
    line.append(line.makeelement(qn("c:marker"), {"val": "1"}))
    for ax in bar.findall(qn("c:axId")):
        line.append(line.makeelement(qn("c:axId"), {"val": ax.get("val")}))
    bar.addnext(line)


def _runs(values: Sequence[float | None]) -> list[tuple[int, int, float]]:
    """Consecutive FYs with the same target: (first index, last index, value)."""
    out: list[tuple[int, int, float]] = []
    for i, val in enumerate(values):
        val = _shown(val)
        if val is None:
            continue
        if out and out[-1][1] == i - 1 and out[-1][2] == val:
            out[-1] = (out[-1][0], i, val)
        else:
            out.append((i, i, val))
    return out


def _manual_layout(parent, x: float, y: float, w: float, h: float, inner: bool = False) -> None:
    """An explicit layout (fractions of the chart frame) on a plot area or legend, so that an
    office client does not lay them out its own way (LibreOffice put legends over the axis)."""
    from pptx.oxml.ns import qn

    old = parent.find(qn("c:layout"))
    layout = parent.makeelement(qn("c:layout"), {})
    manual = layout.makeelement(qn("c:manualLayout"), {})
    layout.append(manual)
    if inner:
        manual.append(manual.makeelement(qn("c:layoutTarget"), {"val": "inner"}))
    for tag, val in (("c:xMode", "edge"), ("c:yMode", "edge")):
        manual.append(manual.makeelement(qn(tag), {"val": val}))
    for tag, val in (("c:x", x), ("c:y", y), ("c:w", w), ("c:h", h)):
        manual.append(manual.makeelement(qn(tag), {"val": f"{val:.4f}"}))
    if old is not None:
        old.addprevious(layout)
        parent.remove(old)
    elif parent.tag == qn("c:plotArea"):
        parent.insert(0, layout)
    else:  # c:legend: after legendPos and legendEntry
        after = [c for c in parent if c.tag in (qn("c:legendPos"), qn("c:legendEntry"))]
        (after[-1].addnext if after else (lambda el: parent.insert(0, el)))(layout)


def _hide_legend_entries(legend, indexes: Sequence[int]) -> None:
    """Leave series out of the legend (the second and later pieces of a stepped target)."""
    from pptx.oxml.ns import qn

    pos = legend.find(qn("c:legendPos"))
    for idx in sorted(indexes, reverse=True):
        entry = legend.makeelement(qn("c:legendEntry"), {})
        entry.append(entry.makeelement(qn("c:idx"), {"val": str(idx)}))
        entry.append(entry.makeelement(qn("c:delete"), {"val": "1"}))
        if pos is not None:
            pos.addnext(entry)
        else:
            legend.insert(0, entry)


def _legend_rows(names: Sequence[str], width_pt: float, size: float) -> int:
    """How many rows a legend of ``names`` takes across ``width_pt`` (an estimate in em)."""
    rows, used = 1, 0.0
    for name in names:
        w = charts._em(name) * size + 3 * size
        if used and used + w > width_pt * 0.92:
            rows, used = rows + 1, 0.0
        used += w
    return rows


FACT_EM = 70  # a title page fact, on one line (11 pt across the slide: 80 em)
LEGEND_EM = 36  # a chart's legend entry (a series named after a long organisation name)


def clip(text: str, limit: float) -> str:
    """``text`` cut to ``limit`` em with "…" (a bureau's or organisation's name may run to
    a thousand characters: the full text goes to the notes or the appendix)."""
    if charts._em(text) <= limit:
        return text
    out = ""
    for c in text:
        if charts._em(out + c) > limit - 1:
            break
        out += c
    return out.rstrip() + "…"


def fact_lines(facts: Sequence[tuple[str, str]], limit: float = FACT_EM
               ) -> tuple[list[str], bool]:
    """The title page's ``label: value`` lines, each value clipped to fit its line; and
    whether any was clipped (then the full text is in the notes / the PDF's appendix)."""
    lines, cut = [], False
    for k, val in facts:
        short = clip(val, limit - charts._em(k) - 2)
        cut = cut or short != val
        lines.append(f"{k}: {short}")
    return lines, cut


def full_names_page(doc: PdfDoc, facts: Sequence[tuple[str, str]], lang: str) -> None:
    """The PDF's appendix: the title page's facts in full (those clipped there)."""
    doc.pdf.add_page()
    doc.heading(i18n.t("brief_full_names", lang))
    pdf = doc.pdf
    pdf.set_text_color(51, 51, 51)
    pdf.set_font("jp", size=9)
    pdf.set_xy(doc.M, 24)
    pdf.multi_cell(doc.inner, 4.8, _glyphs("\n".join(f"{k}: {val}" for k, val in facts)))


def fit_size(text: str, width_pt: float, size: float, least: float = 12) -> float:
    """The largest font size up to ``size`` at which ``text`` fits ``width_pt`` on one line
    (estimated in em, generously: charts._em)."""
    return max(least, min(size, math.floor(width_pt / max(charts._em(text), 1) * 2) / 2))


def _pptx_chart(slide, spec: Chart, x, y, w, h) -> None:
    """A native chart, laid out explicitly (issue 29): the title at the top, the legend under
    it (outside the plot), the plot area below with short upright FY labels and the era in the
    axis title; a target drawn as steps (one flat series per run of FYs with the same target,
    a dash at each FY), never as a ramp from one year's target to the next."""
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
    from pptx.oxml.ns import qn
    from pptx.util import Emu, Pt

    number = "0.0%" if spec.is_rate else "#,##0"
    data = CategoryChartData(number_format=number)
    data.categories = spec.ticks or spec.categories
    n = len(spec.categories)
    for s in spec.series:  # a name clipped for the legend (an organisation's may be long)
        data.add_series(clip(s.name, LEGEND_EM), [_shown(v) for v in s.values])  # [c]: a gap
    pieces: list[tuple[int, str]] = []  # (target index, name) of each stepped piece
    for k, t in enumerate(spec.targets):
        for a, b, val in _runs(t.values):
            data.add_series(t.name, [val if a <= i <= b else None for i in range(n)])
            pieces.append((k, t.name))
    kind = {"bar": XL_CHART_TYPE.COLUMN_CLUSTERED, "stacked": XL_CHART_TYPE.COLUMN_STACKED,
            "line": XL_CHART_TYPE.LINE_MARKERS}[spec.kind]
    frame = slide.shapes.add_chart(kind, x, y, w, h, data)
    frame.name = spec.title
    frame._element.nvGraphicFramePr.cNvPr.set("descr", spec.caption)  # alt text
    chart = frame.chart
    chart.has_title = True
    chart.chart_title.text_frame.text = spec.title
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(12)
    chart.font.size = Pt(9)
    w_pt, h_pt = Emu(w).pt, Emu(h).pt
    title_h = 34 / h_pt  # the title (12 pt) and the room LibreOffice leaves above it
    entries = [s.name for s in spec.series] + [t.name for t in spec.targets]
    chart.has_legend = len(entries) > 1
    legend_h = 0.0
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(9)
        legend_h = (_legend_rows(entries, w_pt, 9) * 13 + 6) / h_pt
        seen: set[int] = set()
        _hide_legend_entries(chart.legend._element, [
            len(spec.series) + i for i, (k, _) in enumerate(pieces)
            if k in seen or seen.add(k)])
        _manual_layout(chart.legend._element, 0.02, title_h, 0.96, legend_h)
    # the plot itself (inner): room on the left for the value labels, below for the FY labels
    # and the axis title; both office clients place those outside the inner plot area
    top = title_h + legend_h + 10 / h_pt
    left = 48 / w_pt
    bottom = 1 - (44 if spec.axis_title else 26) / h_pt
    _manual_layout(chart._chartSpace.chart.plotArea, left, top, 0.98 - left, bottom - top,
                   inner=True)
    chart.value_axis.tick_labels.number_format = "0%" if spec.is_rate else "#,##0"
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.minimum_scale = 0
    chart.value_axis.has_major_gridlines = True
    chart.value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xDD, 0xDD, 0xDD)
    cat = chart.category_axis
    cat.tick_labels.font.size = Pt(9)
    body = cat._element.find(qn("c:txPr")).find(qn("a:bodyPr"))
    body.set("rot", "0")  # upright: short labels fit, and never turn into the legend
    body.set("vert", "horz")
    if spec.axis_title:
        cat.has_title = True
        cat.axis_title.text_frame.text = spec.axis_title
        cat.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(9)
        cat.axis_title.text_frame.paragraphs[0].runs[0].font.bold = False
    if spec.kind != "line" and pieces:
        _targets_as_lines(chart, len(spec.series))
    data_plot = chart.plots[0]
    if spec.kind != "line" and len(spec.series) == 1:
        data_plot.has_data_labels = True
        data_plot.data_labels.number_format = number
        data_plot.data_labels.number_format_is_linked = False
        data_plot.data_labels.font.size = Pt(9)
    if spec.kind == "bar":
        data_plot.gap_width = 60
    for i, ser in enumerate(list(data_plot.series)[:len(spec.series)]):
        colour = RGBColor.from_string(PALETTE[i % len(PALETTE)].lstrip("#"))
        if spec.kind == "line":
            ser.format.line.color.rgb = colour
            ser.format.line.width = Pt(2.25)
            ser.marker.style = XL_MARKER_STYLE.CIRCLE
            ser.marker.format.fill.solid()
            ser.marker.format.fill.fore_color.rgb = colour
            ser.smooth = False
        else:
            ser.format.fill.solid()
            ser.format.fill.fore_color.rgb = colour
    target_sers = (chart.plots[1].series if spec.kind != "line" and pieces
                   else list(data_plot.series)[len(spec.series):])
    green = RGBColor.from_string(TARGET_COLOUR.lstrip("#"))
    for ser in target_sers:
        ser.format.line.color.rgb = green
        ser.format.line.width = Pt(2)
        ser.marker.style = XL_MARKER_STYLE.DASH  # a one-FY piece is a dash, not nothing
        ser.marker.size = 10
        ser.marker.format.fill.solid()
        ser.marker.format.fill.fore_color.rgb = green
        ser.marker.format.line.color.rgb = green
        ser.smooth = False
    _set_fonts(chart._chartSpace)


def _pptx_table(slide, header: Sequence[str], rows: Sequence[Sequence[str]], x, y, w,
                widths: Sequence[float], size: int) -> None:
    from pptx.util import Emu, Inches, Pt

    n = len(rows) + 1
    table = slide.shapes.add_table(n, len(header), x, y, w, Inches(0.32) * n).table
    for i, wd in enumerate(widths):
        table.columns[i].width = Emu(int(w * wd / sum(widths)))
    for j, head in enumerate(header):
        table.cell(0, j).text = head
    for i, row in enumerate(rows, start=1):
        for j, text in enumerate(row):
            table.cell(i, j).text = text
    for i in range(n):
        table.rows[i].height = Inches(0.32)
        for j in range(len(header)):
            cell = table.cell(i, j)
            cell.margin_top = cell.margin_bottom = Inches(0.02)
            for p in cell.text_frame.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(size)


def _pptx_review(prs, layout, rv: PlanReview, margin, inner) -> None:
    """The Plan review: the by-metric table, then the handover (previous plan's final year
    against this one's first) on a slide of its own."""
    from pptx.util import Inches

    s = prs.slides.add_slide(layout)
    _text(s, margin, Inches(0.3), inner, Inches(0.6), [rv.title], 22, bold=True)
    _text(s, margin, Inches(0.9), inner, Inches(0.25) * len(rv.lines), list(rv.lines), 11,
          colour="333333")
    top = Inches(1.0) + Inches(0.25) * len(rv.lines)
    # metric, met, below, above, first, last, target across revisions, final status
    _pptx_table(s, rv.header, rv.rows, margin, top, inner,
                (2.6, 0.75, 0.75, 0.75, 1.45, 1.45, 3.0, 1.58), 9)
    s.notes_slide.notes_text_frame.text = "\n".join(rv.lines)
    if rv.handover:
        s = prs.slides.add_slide(layout)
        _text(s, margin, Inches(0.3), inner, Inches(0.6), [rv.handover_title], 22, bold=True)
        _pptx_table(s, rv.handover_header, rv.handover, margin, Inches(1.1), inner,
                    (3.0, 4.6, 4.6), 11)
        s.notes_slide.notes_text_frame.text = rv.title


def pptx_bytes(pack: Pack) -> bytes:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 16:9, 13.333 × 7.5 in
    blank = prs.slide_layouts[6]
    W = prs.slide_width
    margin = Inches(0.5)
    inner = W - 2 * margin

    # title slide: the key messages of the year in progress first, then the view's facts
    s = prs.slides.add_slide(blank)
    size = fit_size(pack.title, Emu(inner).pt * 0.94, 30)  # one line in either language
    _text(s, margin, Inches(0.5), inner, Inches(0.8), [pack.title], size, bold=True)
    _text(s, margin, Inches(1.3), inner, Inches(0.6), [pack.subtitle], 22)
    if pack.messages:
        _text(s, margin, Inches(2.0), inner, Inches(0.5), [pack.messages_title], 18, bold=True)
        _text(s, margin, Inches(2.5), inner, Inches(2.3), list(pack.messages), 14)
        _tracks(s.shapes[-1].text_frame, pack.message_tracks)
    _text(s, margin, Inches(4.9), inner, Inches(1.2), fact_lines(pack.facts)[0], 11,
          colour="333333")
    if pack.sample_notice:
        _text(s, margin, Inches(6.4), inner, Inches(0.6), ["⚠ " + pack.sample_notice], 14,
              bold=True, colour="8A4B00")
    s.notes_slide.notes_text_frame.text = "\n".join(f"{k}: {val}" for k, val in pack.facts)

    # summary slide
    s = prs.slides.add_slide(blank)
    _text(s, margin, Inches(0.3), inner, Inches(0.6), [pack.summary_title], 22, bold=True)
    n = len(pack.summary) + 1
    top = Inches(1.0)
    table = s.shapes.add_table(n, len(pack.summary_header), margin, top, inner,
                               Inches(0.36) * n).table
    widths = (4.3, 0.9, 1.6, 2.3, 1.6, 1.63)
    for i, wd in enumerate(widths):
        table.columns[i].width = Emu(int(Inches(wd)))
    for j, head in enumerate(pack.summary_header):
        table.cell(0, j).text = head
    for i, r in enumerate(pack.summary, start=1):
        for j, text in enumerate((r.name, r.section, r.value_text, r.target_text,
                                  r.status_text, r.change_text)):
            table.cell(i, j).text = text
    for i in range(n):
        table.rows[i].height = Inches(0.36)
        for j in range(len(pack.summary_header)):
            cell = table.cell(i, j)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            for p in cell.text_frame.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(11)
                    if i and j == 4:
                        run.font.bold = True
                        colour = charts.STATUS_TEXT_COLOURS.get(pack.summary[i - 1].status,
                                                                "#666666")
                        run.font.color.rgb = RGBColor.from_string(colour.lstrip("#"))
    s.notes_slide.notes_text_frame.text = "\n".join(pack.summary_notes)

    # each plan section: at most two charts a slide, side by side at the slide's full height
    # (three or four in a quarter each squashed an axis to 14 pt in LibreOffice: issue 29)
    for sec in pack.sections:
        parts = [sec.charts[i:i + 2] for i in range(0, len(sec.charts), 2)]
        for n_part, part in enumerate(parts, start=1):
            s = prs.slides.add_slide(blank)
            title = sec.title + (f" ({n_part}/{len(parts)})" if len(parts) > 1 else "")
            _text(s, margin, Inches(0.3), inner, Inches(0.6), [title], 22, bold=True)
            pace_h = Inches(0.2) * len(sec.pace)
            area_top, area_h = Inches(1.0), Inches(6.3) - pace_h
            bw = inner // len(part)
            for i, spec in enumerate(part):
                _pptx_chart(s, spec, margin + i * bw, area_top, bw - Inches(0.1), area_h)
            if sec.pace:
                _text(s, margin, Inches(7.35) - pace_h, inner, pace_h, list(sec.pace), 9,
                      colour="1F6A99")
            s.notes_slide.notes_text_frame.text = "\n".join(sec.pace + sec.notes)

    if pack.review is not None:
        _pptx_review(prs, blank, pack.review, margin, inner)

    for slide in prs.slides:
        _set_fonts(slide.shapes._spTree)
        _set_fonts(slide.notes_slide.notes_text_frame._txBody)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


# --- PDF ---

def pdf_font() -> Path:
    """The Japanese TrueType font the PDF embeds (``DTP_PDF_FONT`` first)."""
    chosen = get_settings().pdf_font
    if chosen is not None:
        if chosen.is_file():
            return chosen
        raise FontMissing(f"DTP_PDF_FONT names {chosen}, which is not a file")
    for cand in PDF_FONTS:
        p = Path(cand)
        if p.is_file():
            return p
    raise FontMissing(
        "the PDF needs a Japanese TrueType font: install fonts-ipaexfont-gothic "
        "(apt-get install fonts-ipaexfont-gothic) or set DTP_PDF_FONT to a .ttf file; "
        "the PowerPoint file needs no font")


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _fmt_axis(value: float, is_rate: bool) -> str:
    return f"{value * 100:.0f}%" if is_rate else f"{value:,.0f}"


def _shown(value: float | None) -> float | None:
    """A chart value, or None for a gap: absent, or withheld in publication form (NaN, the
    public-edition file's [c])."""
    return None if value is None or value != value else value


def _ticks(peak: float, is_rate: bool) -> tuple[float, float]:
    """A round tick step and the axis top (a multiple of it) for values up to ``peak``."""
    peak = max(peak, 0.1 if is_rate else 1.0)
    head = 1.0 if is_rate else 1.08  # room above the bars for their labels
    raw = peak * head / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if not is_rate:
        step = max(1.0, math.ceil(step))
    return step, step * math.ceil(round(peak * head / step, 9))


def _pdf_chart(pdf, spec: Chart, x: float, y: float, w: float, h: float, lang: str) -> None:
    pdf.set_text_color(34, 34, 34)
    size = 10.0
    pdf.set_font("jp", size=size)
    while pdf.get_string_width(spec.title) > w and size > 6:
        size -= 0.5
        pdf.set_font("jp", size=size)
    pdf.set_xy(x, y)
    pdf.cell(w, 5, spec.title)
    # legend
    lx, ly = x, y + 6
    pdf.set_font("jp", size=7)
    entries = [(clip(s.name, LEGEND_EM), PALETTE[i % len(PALETTE)], False)
               for i, s in enumerate(spec.series)]
    entries += [(t.name, TARGET_COLOUR, True) for t in spec.targets]
    if len(entries) > 1 or spec.targets:
        for name, colour, dashed in entries:
            tw = pdf.get_string_width(name) + 8
            if lx + tw > x + w:
                lx, ly = x, ly + 4
            pdf.set_draw_color(*_rgb(colour))
            pdf.set_fill_color(*_rgb(colour))
            if dashed:
                pdf.set_dash_pattern(dash=1.2, gap=0.8)
                pdf.set_line_width(0.5)
                pdf.line(lx, ly + 1.5, lx + 5, ly + 1.5)
                pdf.set_dash_pattern()
            else:
                pdf.rect(lx, ly + 0.5, 4, 2.2, style="F")
            pdf.set_xy(lx + 5.5, ly)
            pdf.cell(tw - 5.5, 3, name)
            lx += tw + 2
        ly += 4
    # plot area
    px, py = x + 12, ly + 2
    pw, ph = w - 14, y + h - py - 9
    n = len(spec.categories)
    if spec.kind == "stacked":
        tops = [sum(_shown(s.values[i]) or 0 for s in spec.series) for i in range(n)]
    else:
        tops = [v for s in spec.series for v in s.values if _shown(v) is not None]
    tops += [v for t in spec.targets for v in t.values if _shown(v) is not None]
    step, top = _ticks(max(tops, default=0), spec.is_rate)

    def ypos(val: float) -> float:
        return py + ph - ph * (val / top)

    pdf.set_line_width(0.15)
    pdf.set_draw_color(221, 221, 221)
    pdf.set_font("jp", size=6.5)
    pdf.set_text_color(68, 68, 68)
    for k in range(round(top / step) + 1):
        val = k * step
        yy = ypos(val)
        pdf.line(px, yy, px + pw, yy)
        pdf.set_xy(px - 12, yy - 1.5)
        pdf.cell(11, 3, _fmt_axis(val, spec.is_rate), align="R")
    pdf.set_draw_color(136, 136, 136)
    pdf.line(px, py + ph, px + pw, py + ph)
    slot = pw / max(n, 1)
    for i, cat in enumerate(spec.categories):
        parts = cat.split(" (", 1)
        lines = [parts[0], "(" + parts[1]] if len(parts) == 2 else [cat]
        for k, line in enumerate(lines):
            pdf.set_xy(px + i * slot, py + ph + 1 + k * 2.8)
            pdf.cell(slot, 2.8, line, align="C")
    # data
    pdf.set_text_color(34, 34, 34)
    ns = len(spec.series)
    if spec.kind in ("bar", "stacked"):
        base = [0.0] * n
        for j, s in enumerate(spec.series):
            pdf.set_fill_color(*_rgb(PALETTE[j % len(PALETTE)]))
            for i, val in enumerate(s.values):
                if _shown(val) is None:
                    if val is not None and ns == 1:  # withheld (publication form): say so
                        pdf.set_xy(px + i * slot, ypos(0) - 3.2)
                        pdf.cell(slot, 3, fmt.SUPPRESSED, align="C")
                    continue
                if spec.kind == "stacked":
                    bw = slot * 0.6
                    bx = px + i * slot + (slot - bw) / 2
                    y0, y1 = ypos(base[i] + val), ypos(base[i])
                    base[i] += val
                else:
                    bw = slot * 0.7 / ns
                    bx = px + i * slot + slot * 0.15 + j * bw
                    y0, y1 = ypos(val), ypos(0)
                if y1 - y0 > 0:
                    pdf.rect(bx, y0, bw, y1 - y0, style="F")
                if ns == 1:
                    pdf.set_xy(bx - 2, y0 - 3.2)
                    pdf.cell(bw + 4, 3, fmt.value(val, spec.is_rate), align="C")
    else:
        for j, s in enumerate(spec.series):
            colour = _rgb(PALETTE[j % len(PALETTE)])
            pdf.set_draw_color(*colour)
            pdf.set_fill_color(*colour)
            pdf.set_line_width(0.6)
            prev = None
            for i, val in enumerate(s.values):
                if _shown(val) is None:
                    prev = None
                    continue
                pt = (px + (i + 0.5) * slot, ypos(val))
                if prev:
                    pdf.line(*prev, *pt)
                pdf.ellipse(pt[0] - 0.8, pt[1] - 0.8, 1.6, 1.6, style="F")
                prev = pt
    # target lines: dashed, one segment per run of FYs with a target
    pdf.set_draw_color(*_rgb(TARGET_COLOUR))
    pdf.set_line_width(0.5)
    pdf.set_dash_pattern(dash=1.5, gap=1)
    for t in spec.targets:
        for i, val in enumerate(t.values):
            if _shown(val) is None:
                continue
            pdf.line(px + i * slot, ypos(val), px + (i + 1) * slot, ypos(val))
    pdf.set_dash_pattern()
    pdf.set_line_width(0.2)


class PdfDoc:
    """A briefing PDF: 16:9 pages the size of the PowerPoint slide (mm), the Japanese font
    embedded, a page heading and small-print notes (the ministry's and the roll-up's packs)."""

    W, H = 338.67, 190.5
    M = 12.7  # margin
    inner = W - 2 * M

    def __init__(self, title: str, subtitle: str, lang: str) -> None:
        from fpdf import FPDF

        self.pdf = pdf = FPDF(orientation="L", unit="mm", format=(self.H, self.W))
        pdf.set_auto_page_break(False)
        pdf.add_font("jp", fname=str(pdf_font()))
        pdf.set_title(f"{title} {subtitle}")
        pdf.set_lang("ja" if lang == "ja" else "en")
        pdf.set_creator("dtp-dashboard")

    def title_page(self, title: str, subtitle: str) -> None:
        """A new page with the pack's title and subtitle at its top."""
        pdf = self.pdf
        pdf.add_page()
        pdf.set_text_color(34, 34, 34)
        pdf.set_font("jp", size=26)
        pdf.set_xy(self.M, 12)
        pdf.cell(self.inner, 14, title)
        pdf.set_font("jp", size=18)
        pdf.set_xy(self.M, 30)
        pdf.cell(self.inner, 10, subtitle)

    def heading(self, text: str) -> None:
        pdf = self.pdf
        pdf.set_text_color(34, 34, 34)
        pdf.set_font("jp", size=20)
        pdf.set_xy(self.M, 8)
        pdf.cell(self.inner, 12, text)

    def notes(self, lines: Sequence[str], y: float) -> None:
        pdf = self.pdf
        pdf.set_text_color(68, 68, 68)
        pdf.set_font("jp", size=7)
        pdf.set_xy(self.M, y)
        pdf.multi_cell(self.inner, 3.4, _glyphs("\n".join(lines)))


def pdf_bytes(pack: Pack) -> bytes:
    from fpdf.fonts import FontFace

    doc = PdfDoc(pack.title, pack.subtitle, pack.lang)
    pdf, H, M, inner = doc.pdf, doc.H, doc.M, doc.inner
    heading, notes = doc.heading, doc.notes

    # page 1: the key messages of the year in progress first, then the view's facts
    doc.title_page(pack.title, pack.subtitle)
    if pack.messages:
        pdf.set_font("jp", size=14)
        pdf.set_xy(M, 48)
        pdf.cell(inner, 8, pack.messages_title)
        pdf.set_xy(M, 58)
        tracks = pack.message_tracks or ("",) * len(pack.messages)
        for message, track in zip(pack.messages, tracks, strict=True):
            pdf.set_font("jp", size=11)
            pdf.set_text_color(34, 34, 34)
            pdf.set_x(M)
            pdf.multi_cell(inner, 6.2, _glyphs(message))
            if track:  # its projection's track record, smaller
                pdf.set_font("jp", size=8)
                pdf.set_text_color(31, 106, 153)
                pdf.set_x(M)
                pdf.multi_cell(inner, 4.2, _glyphs(track))
    pdf.set_font("jp", size=10)
    pdf.set_text_color(51, 51, 51)
    pdf.set_xy(M, 124)
    facts, clipped = fact_lines(pack.facts)
    pdf.multi_cell(inner, 5.6, _glyphs("\n".join(facts)))
    if pack.sample_notice:
        pdf.set_xy(M, 162)
        pdf.set_text_color(138, 75, 0)
        pdf.set_font("jp", size=12)
        pdf.multi_cell(inner, 7, _glyphs("⚠ " + pack.sample_notice))

    pdf.add_page()
    heading(pack.summary_title)
    pdf.set_font("jp", size=9)
    pdf.set_text_color(34, 34, 34)
    pdf.set_xy(M, 24)
    widths = (110, 22, 40, 58, 42, 41.27)
    with pdf.table(col_widths=widths, line_height=7.4, text_align="LEFT",
                   headings_style=FontFace(fill_color=(235, 235, 235))) as table:
        row = table.row()
        for head in pack.summary_header:
            row.cell(head)
        for r in pack.summary:
            row = table.row()
            for text in (r.name, r.section, r.value_text, r.target_text, r.status_text,
                         r.change_text):
                row.cell(_glyphs(text))
    notes(pack.summary_notes, H - 16)

    for sec in pack.sections:
        pdf.add_page()
        heading(sec.title)
        k = len(sec.charts)
        top, area_h = 22.0, (120.0 if k > 1 else 130.0) - 4.0 * len(sec.pace)
        if k == 1:
            boxes = [(M, top, inner, area_h)]
        else:
            rows_ = (k + 1) // 2
            bw, bh = inner / 2, area_h / rows_
            boxes = [(M + (i % 2) * bw, top + (i // 2) * bh, bw - 4, bh - 2) for i in range(k)]
        for spec, box in zip(sec.charts, boxes, strict=True):
            _pdf_chart(pdf, spec, *box, pack.lang)
        if sec.pace:
            pdf.set_text_color(31, 106, 153)
            pdf.set_font("jp", size=8)
            pdf.set_xy(M, top + area_h + 2)
            pdf.multi_cell(inner, 4.0, _glyphs("\n".join(sec.pace)))
        notes(sec.notes, top + area_h + 4 + 4.0 * len(sec.pace))

    rv = pack.review
    if rv is not None:
        pdf.add_page()
        heading(rv.title)
        pdf.set_text_color(51, 51, 51)
        pdf.set_font("jp", size=9)
        pdf.set_xy(M, 22)
        pdf.multi_cell(inner, 4.6, _glyphs("\n".join(rv.lines)))
        pdf.set_text_color(34, 34, 34)
        pdf.set_font("jp", size=7.5)
        pdf.set_xy(M, pdf.get_y() + 2)
        _pdf_table(pdf, rv.header, rv.rows, (2.6, 0.75, 0.75, 0.75, 1.45, 1.45, 3.0, 1.58),
                   inner, 5.2)
        if rv.handover:
            pdf.add_page()
            heading(rv.handover_title)
            pdf.set_text_color(34, 34, 34)
            pdf.set_font("jp", size=9)
            pdf.set_xy(M, 24)
            _pdf_table(pdf, rv.handover_header, rv.handover, (3.0, 4.6, 4.6), inner, 7.4)
    if clipped:
        full_names_page(doc, pack.facts, pack.lang)
    return bytes(pdf.output())


def _pdf_table(pdf, header: Sequence[str], rows: Sequence[Sequence[str]],
               widths: Sequence[float], width: float, line_height: float) -> None:
    from fpdf.fonts import FontFace

    cols = tuple(width * w / sum(widths) for w in widths)
    with pdf.table(col_widths=cols, line_height=line_height, text_align="LEFT",
                   headings_style=FontFace(fill_color=(235, 235, 235))) as table:
        row = table.row()
        for head in header:
            row.cell(head)
        for r in rows:
            row = table.row()
            for text in r:
                row.cell(_glyphs(text))


# symbols IPAex Gothic lacks, drawn with the nearest glyph it has
_PDF_GLYPHS = str.maketrans({"✔": "✓", "⚠": "※", "↗": "→"})


def _glyphs(text: str) -> str:
    return text.translate(_PDF_GLYPHS)


# --- the one entry point ---

def build(v: View, kind: str, plan: str | None = None) -> bytes:
    """The pack for the view as ``kind`` ("pptx" or "pdf"), with the review of ``plan``'s
    generation when given. The Overview's and the Plan review page's buttons and the CLI all
    come through here (the place for an access check)."""
    if kind not in KINDS:
        raise ValueError(f"not a pack format: {kind!r}")
    pack = content(v, plan=plan)
    return pptx_bytes(pack) if kind == "pptx" else pdf_bytes(pack)


def file_name(v: View, kind: str, plan: str | None = None) -> str:
    as_of = v.run.as_of_date.isoformat() if v.run.as_of_date else "na"
    scope = "all" if v.bureaus is None else "-".join(v.bureaus)
    review_of = "" if plan is None else f"_plan-{plan}"  # plan ids: [A-Za-z0-9_-] (schema)
    return f"briefing_{v.lang}_{scope}_FY{v.fy_from}-{v.fy_to}{review_of}_{as_of}.{kind}"


def view_for(path: Path, lang: str = i18n.DEFAULT_LANG, bureaus: Sequence[str] | None = None,
             fy_from: int | None = None, fy_to: int | None = None) -> View:
    """A view of the warehouse at ``path`` without the dashboard (for the CLI and tests).
    Raises ``ValueError`` naming what is not in the warehouse."""
    run = queries.current_run(path)
    fys = queries.fiscal_years(run)
    if not fys:
        raise NoData(f"{path} holds no fiscal year (no facts in its data): nothing to brief on")
    bdf = queries.bureaus(run)
    codes = bdf["bureau_code"].to_list()
    names = dict(zip(codes, bdf["name_en" if lang == "en" else "name_ja"].to_list(),
                     strict=True))
    sel: tuple[str, ...] | None = None
    if bureaus:
        unknown = [b for b in bureaus if b not in names]
        if unknown:
            raise ValueError(f"unknown bureau code(s): {', '.join(unknown)} "
                             f"(the warehouse has: {', '.join(codes)})")
        sel = tuple(c for c in codes if c in bureaus)
        if len(sel) == len(codes):
            sel = None
    lo = fys[0] if fy_from is None else fy_from
    hi = fys[-1] if fy_to is None else fy_to
    for name, fy in (("--fy-from", lo), ("--fy-to", hi)):
        if fy not in fys:
            raise ValueError(f"{name} {fy}: not a fiscal year of the warehouse "
                             f"({fys[0]}–{fys[-1]})")
    if lo > hi:
        raise ValueError(f"--fy-from {lo} is after --fy-to {hi}")
    return View(lang=lang, run=run, bureaus=sel, fy_from=lo, fy_to=hi, all_fys=tuple(fys),
                bureau_names=names)
