"""A draft revision of a plan (issue 26): the revision's rows in the contract's form and what
they would change, before anyone adopts them.

A :class:`Draft` names the plan it revises, the new plan's id, adoption date, titles, and the
targets it sets (:class:`Target`) or drops. :func:`compose` turns it into the raw set's two
plan files — the live rows plus the revision's (raw-data.md, plans.csv / plan_targets.csv) —
and :func:`compute` judges the live ``kpi`` rows again with them, inside DuckDB, with the
build's own text (``sql.JUDGE``: the plan in force per FY, then ``sql.RULES``' status macros)
and the pace of the year in progress with the build's ``sql.PACE_BASE`` and
``pace.project`` under the draft's targets. Nothing here writes to the warehouse: the caller
passes a read-only connection with the warehouse attached as ``wh`` and in use
(``release.connection.connect``); only temp tables are made, and dropped again.

The revision's period runs from ``fy_from`` (default: the FY of the adoption date, not before
the revised plan's first FY) to the end of the revised plan. It carries every target of that
plan for those FYs; a :class:`Target` replaces the metric's targets over its FYs (or adds
one), a drop removes the metric's carried targets. Without plans.csv in the live raw set the
implicit plan ``plan`` is the one revised; its plans.csv row is then written too (titles from
the caller, adopted on April 1 of its first FY).

Bad drafts raise :class:`DraftError`, naming the argument (CLI) and a key (the page's words).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines import pace, sql
from pipelines.fiscal import fiscal_year, fy_start
from pipelines.schema import BY_NAME, METRIC_BY_CODE, METRICS, PLAN_ID_PATTERN, TARGET_KINDS

PLAN_COLUMNS = BY_NAME["plans"].column_names
TARGET_COLUMNS = BY_NAME["plan_targets"].column_names
IMPACT_COLUMNS = ["metric", "fiscal_year", "bureau_code", "value", "plan_before", "plan_after",
                  "status_before", "status_after", "p_meet_before", "p_meet_after"]
_ORDER = {m.code: i for i, m in enumerate(METRICS)}
# DraftError keys (the page's words: release/i18n.py ``draft_err_<key>``)
ERROR_KEYS = ("target_form", "target_fys", "target_number", "unknown_metric", "unknown_kind",
              "kind_values", "kind_rate", "kind_count", "min_max", "fy_order", "unknown_plan",
              "plan_id_form", "plan_id_taken", "title_empty", "adopted_early", "adopted_taken",
              "fy_outside", "drop_none", "overlap")


class DraftError(ValueError):
    """A draft that cannot be a revision. ``argument``: the CLI argument at fault (``--target``,
    ``--adopted-on`` …); ``key``: what is wrong (the page words it, release/i18n.py
    ``draft_err_<key>``); ``params``: the values it names; the message is the CLI's line."""

    def __init__(self, argument: str, key: str, message: str, **params: object) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument, self.key, self.params = argument, key, params


@dataclass(frozen=True)
class Target:
    metric: str
    fy_from: int
    fy_to: int
    kind: str
    target_min: float | None = None
    target_max: float | None = None

    @property
    def spec(self) -> str:
        """The CLI's form, METRIC:FY_FROM-FY_TO:KIND:MIN:MAX."""
        def num(v: float | None) -> str:
            return "" if v is None else f"{v:g}"
        return (f"{self.metric}:{self.fy_from}-{self.fy_to}:{self.kind}:"
                f"{num(self.target_min)}:{num(self.target_max)}")


@dataclass(frozen=True)
class Draft:
    revises: str
    plan_id: str
    adopted_on: dt.date
    title_ja: str
    title_en: str
    targets: tuple[Target, ...] = ()
    drops: tuple[str, ...] = ()
    fy_from: int | None = None  # None: the FY of adopted_on (not before the plan's first FY)
    source: str | None = None
    # the targets are the revision's whole list (the page's table): nothing else is carried
    whole: bool = False


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_target(spec: str) -> Target:
    """``METRIC:FY_FROM-FY_TO:KIND:MIN:MAX`` (MIN or MAX may be empty) → a Target whose values
    are checked by :func:`check_target`."""
    parts = spec.split(":")
    if len(parts) != 5:
        raise DraftError("--target", "target_form", f"{spec!r} is not "
                         "METRIC:FY_FROM-FY_TO:KIND:MIN:MAX", spec=spec)
    metric, fys, kind, lo, hi = (p.strip() for p in parts)
    m = re.fullmatch(r"(\d{4})-(\d{4})", fys)
    if m is None:
        raise DraftError("--target", "target_fys", f"{spec!r}: FY_FROM-FY_TO must be two "
                         "four-digit years, e.g. 2026-2030", spec=spec)
    values = []
    for text, name in ((lo, "MIN"), (hi, "MAX")):
        if text and not _NUMBER.match(text):
            raise DraftError("--target", "target_number", f"{spec!r}: {name} {text!r} is not "
                             "a number", spec=spec, value=text)
        values.append(float(text) if text else None)
    target = Target(metric, int(m.group(1)), int(m.group(2)), kind, *values)
    check_target(target)
    return target


def check_target(t: Target) -> None:
    """The target on its own: a known metric, a kind that fits it with the values that kind
    needs (range MIN and MAX, min MIN, max MAX, growth neither; a rate's bounds are fractions
    0..1, a count's are not negative), MIN ≤ MAX, FY_FROM ≤ FY_TO."""
    spec = t.spec
    metric = METRIC_BY_CODE.get(t.metric)
    if metric is None:
        raise DraftError("--target", "unknown_metric", f"unknown metric {t.metric!r} (known: "
                         f"{', '.join(METRIC_BY_CODE)})", metric=t.metric)
    if t.kind not in TARGET_KINDS:
        raise DraftError("--target", "unknown_kind", f"{spec}: kind {t.kind!r} is not one of "
                         f"{', '.join(TARGET_KINDS)}", metric=t.metric, kind=t.kind)
    for v in (t.target_min, t.target_max):
        if v is not None and not math.isfinite(v):
            raise DraftError("--target", "target_number", f"{spec}: {v} is not a number",
                             spec=spec, value=str(v))
    needs = {"range": (True, True), "min": (True, False), "max": (False, True),
             "growth": (False, False)}[t.kind]
    given = (t.target_min is not None, t.target_max is not None)
    if given != needs:
        words = {(True, True): "MIN and MAX", (True, False): "MIN alone",
                 (False, True): "MAX alone", (False, False): "neither MIN nor MAX"}
        raise DraftError("--target", "kind_values", f"{spec}: a {t.kind} target takes "
                         f"{words[needs]}", metric=t.metric, kind=t.kind)
    for v in (t.target_min, t.target_max):
        if v is None:
            continue
        if metric.is_rate and not 0 <= v <= 1:
            raise DraftError("--target", "kind_rate", f"{spec}: {t.metric} is a rate, its "
                             f"target a fraction 0..1 (not {v:g})", metric=t.metric, value=v)
        if not metric.is_rate and v < 0:
            raise DraftError("--target", "kind_count", f"{spec}: {t.metric} is a count, its "
                             f"target not negative (not {v:g})", metric=t.metric, value=v)
    if t.target_min is not None and t.target_max is not None and t.target_min > t.target_max:
        raise DraftError("--target", "min_max", f"{spec}: MIN {t.target_min:g} > MAX "
                         f"{t.target_max:g}", metric=t.metric, lo=t.target_min, hi=t.target_max)
    if t.fy_from > t.fy_to:
        raise DraftError("--target", "fy_order", f"{spec}: FY_FROM {t.fy_from} > FY_TO "
                         f"{t.fy_to}", metric=t.metric, fy_from=t.fy_from, fy_to=t.fy_to)


# --- the live plan files ------------------------------------------------------------------------

@dataclass(frozen=True)
class Live:
    """What the warehouse holds of the plans, and its run."""

    plans: pl.DataFrame  # the plans table (with implicit, generation)
    targets: pl.DataFrame  # plan_targets, the contract's columns (plan_id filled)
    as_of_date: dt.date | None
    as_of_fy: int | None
    run_id: str | None

    @property
    def implicit(self) -> bool:
        return bool(self.plans.height) and bool(self.plans["implicit"].any())

    def plan(self, plan_id: str) -> dict | None:
        rows = self.plans.filter(pl.col("plan_id") == plan_id)
        return rows.row(0, named=True) if rows.height else None

    def in_force_default(self) -> str | None:
        """The plan in force for the as-of FY (the page's default), else the latest adopted."""
        if not self.plans.height:
            return None
        fy = self.as_of_fy
        covering = self.plans.filter((pl.col("fy_from") <= fy) & (pl.col("fy_to") >= fy)) \
            if fy is not None else self.plans.clear()
        pick = covering if covering.height else self.plans
        return pick.sort(["adopted_on", "plan_id"], descending=[True, False],
                         nulls_last=True)["plan_id"][0]


def read_live(con: duckdb.DuckDBPyConnection) -> Live:
    plans = con.sql("SELECT plan_id, title_ja, title_en, fy_from, fy_to, adopted_on, revises, "
                    "source, implicit, generation FROM plans "
                    "ORDER BY adopted_on NULLS FIRST, plan_id").pl()
    targets = con.sql(f"SELECT {', '.join(TARGET_COLUMNS)} FROM plan_targets "
                      "ORDER BY plan_id, metric, fy_from").pl()
    run = con.sql("SELECT run_id, as_of_date, as_of_fy FROM pipeline_runs "
                  "ORDER BY started_at DESC LIMIT 1").fetchall()
    run_id, as_of, as_of_fy = run[0] if run else (None, None, None)
    return Live(plans, targets, as_of, as_of_fy, run_id)


# --- the revision's rows ------------------------------------------------------------------------

@dataclass(frozen=True)
class Files:
    plans: pl.DataFrame  # plans.csv: the live rows and the revision's (contract columns)
    targets: pl.DataFrame  # plan_targets.csv: likewise
    fy_from: int  # the revision's period
    fy_to: int


def _implicit_adopted(row: dict) -> dt.date:
    return fy_start(row["fy_from"])


def compose(live: Live, draft: Draft, implicit_titles: tuple[str, str] = ("計画", "The plan"),
            ) -> Files:
    """The two plan files with the revision added; :class:`DraftError` for a bad draft."""
    base = live.plan(draft.revises)
    if base is None:
        known = ", ".join(live.plans["plan_id"].to_list()) or "none: no plan has targets"
        raise DraftError("--revises", "unknown_plan", f"no plan {draft.revises!r} in the "
                         f"warehouse (plans: {known})", plan=draft.revises)
    if not re.match(PLAN_ID_PATTERN, draft.plan_id):
        raise DraftError("--plan-id", "plan_id_form", f"{draft.plan_id!r} must be 1-32 of "
                         "A-Z a-z 0-9 _ -", plan=draft.plan_id)
    if live.plan(draft.plan_id) is not None:
        raise DraftError("--plan-id", "plan_id_taken", f"{draft.plan_id!r} is already a plan",
                         plan=draft.plan_id)
    for arg, text in (("--title-ja", draft.title_ja), ("--title-en", draft.title_en)):
        if not (text or "").strip():
            raise DraftError(arg, "title_empty", "must not be empty")
    plans = live.plans.to_dicts()
    for p in plans:
        if p["implicit"]:
            p["title_ja"], p["title_en"] = implicit_titles
            p["adopted_on"] = _implicit_adopted(p)
    base = next(p for p in plans if p["plan_id"] == draft.revises)
    if draft.adopted_on <= base["adopted_on"]:
        raise DraftError("--adopted-on", "adopted_early", f"{draft.adopted_on} is not after "
                         f"the adoption of {draft.revises} ({base['adopted_on']})",
                         date=draft.adopted_on, plan=draft.revises, adopted=base["adopted_on"])
    same_day = [p["plan_id"] for p in plans if p["adopted_on"] == draft.adopted_on]
    if same_day:
        raise DraftError("--adopted-on", "adopted_taken", f"{draft.adopted_on}: plan "
                         f"{same_day[0]} was adopted that day (one adoption per day)",
                         date=draft.adopted_on, plan=same_day[0])
    p_from, p_to = base["fy_from"], base["fy_to"]
    if draft.fy_from is None:
        fy_from, arg = max(fiscal_year(draft.adopted_on), p_from), "--adopted-on"
    else:
        fy_from, arg = draft.fy_from, "--fy-from"
    if not p_from <= fy_from <= p_to:
        raise DraftError(arg, "fy_outside", f"FY{fy_from} is outside the period of "
                         f"{draft.revises} (FY{p_from}-FY{p_to})", fy=fy_from, plan=draft.revises,
                         fy_from=p_from, fy_to=p_to)
    fy_to = p_to

    rows = [r for r in live.targets.to_dicts() if r["plan_id"] == draft.revises
            and r["fy_to"] >= fy_from and r["fy_from"] <= fy_to]
    rows = [r | {"plan_id": draft.plan_id, "fy_from": max(r["fy_from"], fy_from),
                 "fy_to": min(r["fy_to"], fy_to)} for r in rows]
    for code in draft.drops:
        if code not in METRIC_BY_CODE:
            raise DraftError("--drop", "unknown_metric", f"unknown metric {code!r}", metric=code)
        if not any(r["metric"] == code for r in rows):
            raise DraftError("--drop", "drop_none", f"{draft.revises} has no target for "
                             f"{code} in FY{fy_from}-FY{fy_to}", metric=code)
    rows = [r for r in rows if r["metric"] not in draft.drops]
    carried = rows
    if draft.whole:
        rows = []
    seen: list[Target] = []
    for t in draft.targets:
        check_target(t)
        if not (fy_from <= t.fy_from and t.fy_to <= fy_to):
            raise DraftError("--target", "fy_outside", f"{t.spec}: FY{t.fy_from}-FY{t.fy_to} "
                             f"is outside the revision's period (FY{fy_from}-FY{fy_to})",
                             fy=t.fy_from if t.fy_from < fy_from else t.fy_to,
                             plan=draft.plan_id, fy_from=fy_from, fy_to=fy_to)
        clash = next((s for s in seen if s.metric == t.metric and s.fy_from <= t.fy_to
                      and t.fy_from <= s.fy_to), None)
        if clash is not None:
            raise DraftError("--target", "overlap", f"{t.spec} overlaps {clash.spec} (one "
                             "target per metric and FY)", metric=t.metric)
        seen.append(t)
        replaced = [r for r in rows if r["metric"] == t.metric and r["fy_from"] <= t.fy_to
                    and t.fy_from <= r["fy_to"]]
        # its section from the target it replaces; its notes too while it says the same
        ref = replaced or [r for r in carried if r["metric"] == t.metric
                           and r["fy_from"] <= t.fy_to and t.fy_from <= r["fy_to"]]
        section = ref[0]["plan_section"] if ref else METRIC_BY_CODE[t.metric].section
        same = next((r for r in ref if (r["kind"], r["target_min"], r["target_max"])
                     == (t.kind, t.target_min, t.target_max)), None)
        kept = []
        for r in rows:
            if r not in replaced:
                kept.append(r)
                continue
            if r["fy_from"] < t.fy_from:
                kept.append(r | {"fy_to": t.fy_from - 1})
            if r["fy_to"] > t.fy_to:
                kept.append(r | {"fy_from": t.fy_to + 1})
        rows = kept + [{"plan_id": draft.plan_id, "metric": t.metric, "fy_from": t.fy_from,
                        "fy_to": t.fy_to, "kind": t.kind, "target_min": t.target_min,
                        "target_max": t.target_max, "plan_section": section,
                        "note_ja": same["note_ja"] if same else None,
                        "note_en": same["note_en"] if same else None}]
    rows.sort(key=lambda r: (_ORDER[r["metric"]], r["fy_from"]))
    revision = {"plan_id": draft.plan_id, "title_ja": draft.title_ja.strip(),
                "title_en": draft.title_en.strip(), "fy_from": fy_from, "fy_to": fy_to,
                "adopted_on": draft.adopted_on, "revises": draft.revises,
                "source": draft.source or None}
    plan_rows = [{c: p[c] for c in PLAN_COLUMNS} for p in plans] + [revision]
    plan_schema = {"plan_id": pl.String, "title_ja": pl.String, "title_en": pl.String,
                   "fy_from": pl.Int32, "fy_to": pl.Int32, "adopted_on": pl.Date,
                   "revises": pl.String, "source": pl.String}
    target_schema = {"plan_id": pl.String, "metric": pl.String, "fy_from": pl.Int32,
                     "fy_to": pl.Int32, "kind": pl.String, "target_min": pl.Float64,
                     "target_max": pl.Float64, "plan_section": pl.String,
                     "note_ja": pl.String, "note_en": pl.String}
    live_targets = [{c: r[c] for c in TARGET_COLUMNS} for r in live.targets.to_dicts()]
    return Files(pl.DataFrame(plan_rows, schema=plan_schema, orient="row"),
                 pl.DataFrame(live_targets + rows, schema=target_schema, orient="row"),
                 fy_from, fy_to)


# --- what it changes ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Impact:
    files: Files
    before: pl.DataFrame  # the live kpi (metric … status, plan_id)
    after: pl.DataFrame  # the same rows judged with the draft's plans
    pace_before: pl.DataFrame  # the live kpi_pace
    pace_after: pl.DataFrame  # kpi_pace's columns under the draft's targets
    changes: pl.DataFrame  # IMPACT_COLUMNS + targets before/after, status changes first
    as_of_fy: int | None
    in_force: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def impact_csv(self) -> pl.DataFrame:
        return self.changes.select(IMPACT_COLUMNS)


_TEMP = ("kpi", "fy_span", "as_of", "pace_base", "draft_plans", "draft_targets")


def compute(con: duckdb.DuckDBPyConnection, draft: Draft,
            implicit_titles: tuple[str, str] = ("計画", "The plan"),
            live: Live | None = None) -> Impact:
    """Judge the live kpi rows with the draft's plans. ``con``: the warehouse in use (read-only
    is enough) with ``sql.RULES`` created; only temp tables are made, and dropped."""
    live = read_live(con) if live is None else live
    files = compose(live, draft, implicit_titles)
    try:
        con.register("draft_plans_frame", files.plans.to_arrow())
        con.register("draft_targets_frame", files.targets.to_arrow())
        con.execute("CREATE OR REPLACE TEMP TABLE draft_plans AS SELECT * FROM "
                    "draft_plans_frame")
        con.execute("CREATE OR REPLACE TEMP TABLE draft_targets AS SELECT * FROM "
                    "draft_targets_frame")
        con.execute("CREATE OR REPLACE TEMP TABLE fy_span AS SELECT DISTINCT fiscal_year "
                    "FROM wh.kpi")
        con.execute("CREATE OR REPLACE TEMP TABLE as_of (as_of_date DATE, as_of_fy INTEGER)")
        con.execute("INSERT INTO as_of VALUES (?, ?)", [live.as_of_date, live.as_of_fy])
        # the draft's kpi, as the build would judge it: the live rows' values, the draft's plans
        values = ("(SELECT metric, fiscal_year, bureau_code, value, numerator, denominator "
                  "FROM wh.kpi)")
        con.execute("CREATE OR REPLACE TEMP TABLE kpi AS WITH " + sql.JUDGE.format(
            values=values, plans="draft_plans", targets="draft_targets"))
        after = con.sql("SELECT * FROM temp.kpi ORDER BY metric, fiscal_year, "
                        "bureau_code NULLS FIRST").pl()
        before = con.sql("SELECT metric, fiscal_year, bureau_code, value, numerator, "
                         "denominator, target_kind, target_min, target_max, status, plan_id "
                         "FROM wh.kpi ORDER BY metric, fiscal_year, "
                         "bureau_code NULLS FIRST").pl()
        pace_before = con.sql("SELECT * FROM wh.kpi_pace").pl()
        pace_after = _pace(con, live)
    finally:
        for name in _TEMP:
            con.execute(f"DROP TABLE IF EXISTS temp.{name}")
        for name in ("draft_plans_frame", "draft_targets_frame"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
    changes = _changes(before, after, pace_before, pace_after, live.as_of_fy)
    in_force = {}
    a = dict(after.select("fiscal_year", "plan_id").unique().iter_rows())
    for fy, pid in before.select("fiscal_year", "plan_id").unique().iter_rows():
        in_force[fy] = (pid, a.get(fy))
    return Impact(files, before, after, pace_before, pace_after, changes, live.as_of_fy,
                  dict(sorted(in_force.items())))


def _pace(con: duckdb.DuckDBPyConnection, live: Live) -> pl.DataFrame:
    """kpi_pace's rows under the draft's targets: the build's pace_base over the draft kpi
    (``temp.kpi``) and the live year-to-date curves, each row projected by ``pace.project``."""
    if live.as_of_fy is None:
        return pl.DataFrame(schema=con.sql("SELECT * FROM wh.kpi_pace").pl().schema)
    con.execute(sql.PACE_BASE)
    base = con.sql("SELECT * FROM pace_base").pl()
    schema = con.sql("SELECT * FROM wh.kpi_pace").pl().schema
    rows = pace.project_rows(base.to_dicts(), con)  # judged by con's sql.RULES
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema,
                        orient="row") if rows else pl.DataFrame(schema=schema)


def _changes(before: pl.DataFrame, after: pl.DataFrame, pace_before: pl.DataFrame,
             pace_after: pl.DataFrame, as_of_fy: int | None) -> pl.DataFrame:
    keys = ["metric", "fiscal_year", "bureau_code"]
    judged = ["plan_id", "target_kind", "target_min", "target_max", "status"]
    both = before.select(*keys, "value", *judged).join(
        after.select(*keys, *judged), on=keys, how="left", suffix="_after", nulls_equal=True)
    changed = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_after")) for c in judged])
    pm = ["metric", "bureau_code", "p_meet", "pace_status", "needed"]
    out = both.filter(changed).join(
        pace_before.select(pm).rename({"p_meet": "p_meet_before",
                                       "pace_status": "pace_before",
                                       "needed": "needed_before"}),
        on=["metric", "bureau_code"], how="left", nulls_equal=True).join(
        pace_after.select(pm).rename({"p_meet": "p_meet_after", "pace_status": "pace_after",
                                      "needed": "needed_after"}),
        on=["metric", "bureau_code"], how="left", nulls_equal=True)
    current = pl.col("fiscal_year") == (as_of_fy if as_of_fy is not None else -1)
    out = out.with_columns(
        [pl.when(current).then(pl.col(c)).otherwise(None).alias(c)
         for c in ("p_meet_before", "p_meet_after", "pace_before", "pace_after",
                   "needed_before", "needed_after")])
    out = out.rename({"plan_id": "plan_before", "plan_id_after": "plan_after",
                      "status": "status_before", "target_kind": "kind_before",
                      "target_min": "min_before", "target_max": "max_before",
                      "target_kind_after": "kind_after", "target_min_after": "min_after",
                      "target_max_after": "max_after"})
    return out.with_columns(
        (pl.col("status_before") != pl.col("status_after")).fill_null(True)
        .alias("status_changed"),
        pl.col("metric").replace_strict(_ORDER, return_dtype=pl.Int32).alias("_order"),
    ).sort(["status_changed", "_order", "fiscal_year", "bureau_code"],
           descending=[True, False, False, False], nulls_last=[False, False, False, False]
           ).select(*IMPACT_COLUMNS, "kind_before", "min_before", "max_before", "kind_after",
                    "min_after", "max_after", "pace_before", "pace_after", "needed_before",
                    "needed_after", "status_changed")


# --- the files ----------------------------------------------------------------------------------

def csv_text(frame: pl.DataFrame) -> str:
    """A frame as the contract's CSV (UTF-8, header, empty cell = missing, ISO dates)."""
    return frame.write_csv(null_value="", date_format="%Y-%m-%d")


def write(impact: Impact, out: object) -> list[str]:
    """DIR/plans.csv, DIR/plan_targets.csv and DIR/impact.csv, each written whole (temp file,
    then ``os.replace``). Returns the paths."""
    import os
    import tempfile
    from pathlib import Path

    folder = Path(str(out))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("plans.csv", impact.files.plans),
                        ("plan_targets.csv", impact.files.targets),
                        ("impact.csv", impact.impact_csv)):
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(csv_text(frame))
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(str(folder / name))
    return written



# --- a planner's draft, kept on disk (the page) ---------------------------------------------------

def draft_json(d: Draft) -> dict:
    """A draft as plain JSON values (the page keeps it per user; ``from_json`` reads it)."""
    return {"revises": d.revises, "plan_id": d.plan_id, "adopted_on": d.adopted_on.isoformat(),
            "title_ja": d.title_ja, "title_en": d.title_en, "fy_from": d.fy_from,
            "source": d.source, "whole": d.whole, "drops": list(d.drops),
            "targets": [{"metric": t.metric, "fy_from": t.fy_from, "fy_to": t.fy_to,
                         "kind": t.kind, "target_min": t.target_min,
                         "target_max": t.target_max} for t in d.targets]}


def from_json(obj: dict) -> Draft:
    """``draft_json``'s inverse (ValueError, KeyError or TypeError for anything else)."""
    def num(v: object) -> float | None:
        return None if v is None else float(v)  # type: ignore[arg-type]

    targets = tuple(Target(str(t["metric"]), int(t["fy_from"]), int(t["fy_to"]),
                           str(t["kind"]), num(t.get("target_min")), num(t.get("target_max")))
                    for t in obj.get("targets", []))
    return Draft(str(obj["revises"]), str(obj["plan_id"]),
                 dt.date.fromisoformat(str(obj["adopted_on"])), str(obj["title_ja"]),
                 str(obj["title_en"]), targets, tuple(str(m) for m in obj.get("drops", [])),
                 None if obj.get("fy_from") is None else int(obj["fy_from"]),
                 obj.get("source") or None, bool(obj.get("whole", False)))


def _draft_file(folder: object, user: str) -> object:
    import hashlib
    from pathlib import Path

    return Path(str(folder)) / (hashlib.sha256(user.encode("utf-8")).hexdigest()[:40] + ".json")


def save_draft(folder: object, user: str, obj: dict) -> None:
    """Keep ``user``'s draft (JSON) in ``folder`` (0700), its file 0600, written whole."""
    import json
    import os
    import tempfile
    from pathlib import Path

    target = Path(str(_draft_file(folder, user)))
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=".draft.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj | {"user": user}, fh, ensure_ascii=False, default=str)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_draft(folder: object, user: str) -> dict | None:
    """``user``'s kept draft, or None (none kept, unreadable, or another user's file)."""
    import json
    from pathlib import Path

    path = Path(str(_draft_file(folder, user)))
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(obj, dict) or obj.pop("user", None) != user:
        return None
    return obj


def discard_draft(folder: object, user: str) -> None:
    from pathlib import Path

    Path(str(_draft_file(folder, user))).unlink(missing_ok=True)
