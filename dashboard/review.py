"""計画の振り返り / Plan review (issue 18): one plan generation — a plan and its revisions
(``plans.generation``) — at a time, per metric: the years it was in force that met, fell below
or went above the target, the first and last value, the target history across revisions, the
final status (or "to date" while in force); and the previous generation's final year against
this one's first. Read through :mod:`dashboard.queries` only (kpi's own statuses and plan in
force: nothing is re-judged here); the page (views/plan_review.py) and the briefing pack
(brief.py) show the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard import fmt, queries
from dashboard.queries import Run
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n


@dataclass(frozen=True)
class Generation:
    plan_id: str  # the generation's first plan (what the page and --plan name)
    title: str
    fy_from: int
    fy_to: int
    plans: tuple[dict, ...]  # its plans (the first, then revisions), rows of ``plans``


@dataclass(frozen=True)
class Review:
    generation: Generation
    years: tuple[int, ...]  # the FYs in the data in which one of its plans was in force
    ended: bool  # its period is over and its last year complete
    rows: pl.DataFrame  # one row per metric, the page's columns (text, in the language)
    previous: Generation | None
    handover: pl.DataFrame  # previous generation's final year vs this one's first


def title(row: dict, lang: str) -> str:
    """A plan's title in ``lang``; the implicit plan (no plans.csv) is named by i18n."""
    if row.get("implicit") or not row.get("title_ja"):
        return i18n.t("plan_implicit", lang)
    return row["title_en" if lang == "en" else "title_ja"]


def generations(run: Run, lang: str) -> list[Generation]:
    """Every generation, in adoption order of its first plan."""
    plans = queries.plans(run)
    out: list[Generation] = []
    for gen in plans["generation"].unique(maintain_order=True).to_list():
        members = tuple(plans.filter(pl.col("generation") == gen).iter_rows(named=True))
        first = next((p for p in members if p["plan_id"] == gen), members[0])
        out.append(Generation(gen, title(first, lang), min(p["fy_from"] for p in members),
                              max(p["fy_to"] for p in members), members))
    return out


def find(run: Run, lang: str, plan_id: str) -> Generation | None:
    """The generation a plan belongs to (a revision's id finds its generation)."""
    for g in generations(run, lang):
        if any(p["plan_id"] == plan_id for p in g.plans):
            return g
    return None


def _target(kind: str | None, lo: float | None, hi: float | None, is_rate: bool,
            lang: str) -> str:
    return fmt.target(kind, lo, hi, is_rate, lang) if kind else i18n.t("review_no_target", lang)


def _history(targets: pl.DataFrame, metric: str, is_rate: bool, lang: str) -> str:
    """The metric's target through the generation's plans, in adoption order: "1–2 → 2–4
    (revised 2023-07-28)"; a revision that drops the target says so."""
    steps: list[str] = []
    for plan_id in targets["plan_id"].unique(maintain_order=True).to_list():
        rows = targets.filter(pl.col("plan_id") == plan_id)
        adopted = rows["adopted_on"][0]
        mine = rows.filter(pl.col("metric") == metric)
        text = " / ".join(dict.fromkeys(
            _target(r["kind"], r["target_min"], r["target_max"], is_rate, lang)
            for r in mine.iter_rows(named=True))) or i18n.t("review_no_target", lang)
        if steps and text == steps[-1].split(" (")[0]:
            continue
        when = "" if not steps or adopted is None else " " + i18n.t(
            "review_revised_on", lang, date=fmt.date(adopted, lang))
        steps.append(text + when)
    return " → ".join(steps)


def _fy_in_force(in_force: dict[int, str | None], plan_ids: set[str]) -> list[int]:
    return sorted(fy for fy, pid in in_force.items() if pid in plan_ids)


def review(run: Run, lang: str, gen: Generation) -> Review:
    in_force = queries.plan_in_force(run)
    ids = {p["plan_id"] for p in gen.plans}
    years = _fy_in_force(in_force, ids)
    kpi = queries.kpi_of_years(run, min(years), max(years)).filter(
        pl.col("plan_id").is_in(list(ids))) if years else pl.DataFrame()
    targets = queries.plan_targets_of(run, sorted(ids))
    codes = [m.code for m in METRICS if m.code in set(targets["metric"].to_list())]
    last = years[-1] if years else None
    ended = bool(years) and (run.as_of_fy or 0) >= gen.fy_to and not run.in_progress(last) \
        and last == gen.fy_to
    rows = []
    for code in codes:
        m = METRIC_BY_CODE[code]
        s = kpi.filter(pl.col("metric") == code).sort("fiscal_year") if years else kpi
        statuses = s["status"].to_list() if s.height else []
        first_r = s.row(0, named=True) if s.height else None
        last_r = s.row(-1, named=True) if s.height else None
        final = i18n.status_text(last_r["status"], lang) if last_r else "–"
        rows.append({
            i18n.t("review_metric", lang): i18n.metric_name(code, lang),
            i18n.t("review_met", lang): statuses.count("met"),
            i18n.t("review_below", lang): statuses.count("below"),
            i18n.t("review_above", lang): statuses.count("above"),
            i18n.t("review_first", lang): _at(first_r, m.is_rate, lang),
            i18n.t("review_last", lang): _at(last_r, m.is_rate, lang),
            i18n.t("review_targets", lang): _history(targets, code, m.is_rate, lang),
            i18n.t("review_final", lang): final if ended else
            i18n.t("review_to_date", lang, status=final),
        })
    previous = None
    handover = pl.DataFrame()
    if years:  # the plan in force last before this one's first year (a gap year skipped)
        earlier = [fy for fy, pid in in_force.items() if fy < years[0] and pid is not None]
        previous = find(run, lang, in_force[max(earlier)]) if earlier else None
    if previous is not None:
        prev_ids = {p["plan_id"] for p in previous.plans}
        prev_last = max(_fy_in_force(in_force, prev_ids))
        both = queries.kpi_of_years(run, prev_last, years[0])
        out = []
        for code in codes:
            m = METRIC_BY_CODE[code]
            a = both.filter((pl.col("metric") == code) & (pl.col("fiscal_year") == prev_last))
            b = both.filter((pl.col("metric") == code) & (pl.col("fiscal_year") == years[0]))
            ra = a.row(0, named=True) if a.height else None
            rb = b.row(0, named=True) if b.height else None
            out.append({
                i18n.t("review_metric", lang): i18n.metric_name(code, lang),
                i18n.t("review_prev_final", lang, fy=fmt.fy_label(prev_last, lang)):
                    _judged(ra, m.is_rate, lang),
                i18n.t("review_new_first", lang, fy=fmt.fy_label(years[0], lang)):
                    _judged(rb, m.is_rate, lang),
            })
        handover = pl.DataFrame(out)
    return Review(gen, tuple(years), ended, pl.DataFrame(rows), previous, handover)


def _at(row: dict | None, is_rate: bool, lang: str) -> str:
    if row is None:
        return "–"
    return f"{fmt.value(row['value'], is_rate)} ({fmt.fy_label(row['fiscal_year'], lang)})"


def _judged(row: dict | None, is_rate: bool, lang: str) -> str:
    """A year's value, target and status: "8 (target 1–2, ▲ above)"."""
    if row is None:
        return "–"
    target = _target(row["target_kind"], row["target_min"], row["target_max"], is_rate, lang)
    return (f"{fmt.value(row['value'], is_rate)} — {target}, "
            f"{i18n.status_text(row['status'], lang)}")
