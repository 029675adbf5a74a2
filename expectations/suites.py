"""Great Expectations suites as code: every rule of the raw-data contract.

One suite per raw file (``<name>.csv``). Rules that involve several rows or files (FY
consistency, drills sharing FY/round/date, overlapping targets, cross-file references) are
computed as a boolean flag column ``__chk__<rule>`` with Polars and checked by GX like any other
column, so that every rule is reported the same way: file, column, rule, count and rows.

``import great_expectations`` is slow (~2 s): it happens inside :func:`validate` only, never on
the dashboard's import path.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipelines.fiscal import fy_expr
from pipelines.raw import ROW, TYPE_FLAG, RawFile
from pipelines.schema import CATEGORIES, IMPLICIT_PLAN, STATUSES, RawTable

CHK = "__chk__"
EXAMPLES = 3  # rows quoted in a message
PARTIAL = 20  # rows GX returns per failed rule


@dataclass
class Rule:
    column: str  # the column a reader should look at (shown in the message, values taken from it)
    text: str  # what the rule demands, e.g. "must be one of staff, chief, …"
    kind: str  # GX expectation class name
    kwargs: dict[str, Any]
    code: str  # short rule id stored in validation_results
    show: tuple[str, ...] = ()  # columns quoted as examples when one column does not tell it


@dataclass
class RuleResult:
    suite: str
    file: str
    rule: Rule
    success: bool
    element_count: int
    unexpected_count: int
    rows: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)

    def message(self) -> str:
        n = self.unexpected_count
        head = f"{self.file}: {self.rule.column}: {self.rule.text}"
        if n == 0:
            return head
        noun = "row" if n == 1 else "rows"
        rows = self.rows[:EXAMPLES]
        msg = f"{head} — {n:,} {noun}"
        if rows:
            lbl = "row" if len(rows) == 1 else "rows"
            msg += f", e.g. {lbl} {', '.join(str(r) for r in rows)}"
            more = "" if n <= len(rows) else ", …"
            vals = [v for v in self.values[: len(rows)] if v is not None]
            if vals and isinstance(vals[0], Cells):  # several cells per row: no label needed
                msg += f" ({'; '.join(vals)}{'; …' if more else ''})"
            elif vals:
                vlbl = "value" if len(vals) == 1 and not more else "values"
                msg += f" ({vlbl} {', '.join(_show(v) for v in vals)}{more})"
        return msg


class Cells(str):
    """Several cells of one row, already formatted: ``fiscal_year=2020, round=1``."""


def _show(v: Any) -> str:
    s = str(v)
    return repr(s if len(s) <= 40 else s[:37] + "...")


def _enum_text(values: tuple[str, ...]) -> str:
    shown = ", ".join(values[:6]) + (", …" if len(values) > 6 else "")
    return f"must be one of {shown}"


_TYPE_TEXT = {
    "int": "must be a whole number",
    "float": "must be a number",
    "date": "must be a date written YYYY-MM-DD",
    "bool": "must be true or false (or 1/0)",
}


def _flag(name: str, column: str, text: str, show: tuple[str, ...] = ()) -> Rule:
    return Rule(column, text, "ExpectColumnValuesToBeInSet",
                {"column": CHK + name, "value_set": [True]}, name, show)


# --- flag columns for multi-row and cross-file rules ------------------------------------------


def _in(frame: pl.DataFrame, on: list[str], other: pl.DataFrame | pl.Series,
        other_on: list[str]) -> pl.Series:
    """Per row of ``frame``: does (on…) occur as (other_on…) in ``other``? Nulls count as found
    (a missing value is reported by the required rule, not here). ``other`` may be a Series of
    the distinct values already (one key)."""
    if len(on) == 1:  # one key: a hash-set membership test, much cheaper than a join
        col = frame[on[0]]
        values = other if isinstance(other, pl.Series) else other[other_on[0]].unique()
        return (col.is_in(values.implode()) | col.is_null()).alias("found")
    keys = [f"__k{i}" for i in range(len(on))]
    probe = frame.select([pl.col(c).alias(k) for c, k in zip(on, keys, strict=True)])
    # a semi join needs no distinct keys on the other side (no unique() of millions of rows)
    hits = probe.with_row_index("__i").join(
        other.select([pl.col(o).alias(k) for o, k in zip(other_on, keys, strict=True)]),
        on=keys, how="semi", nulls_equal=False)["__i"]
    found = pl.int_range(0, probe.height, dtype=pl.UInt32, eager=True).is_in(hits.implode())
    any_null = probe.select(pl.any_horizontal(pl.all().is_null())).to_series()
    return (found | any_null).alias("found")


def _agrees_with_drill(drills: pl.DataFrame) -> pl.Series:
    """Per row: do its (fiscal_year, round, sent_on) equal those most rows of its drill_id
    have? Flags the odd rows out, not all rows of a drill (a drill mails every employee).
    Rows with a missing or mistyped cell, a round outside 1..4 or a fiscal_year that is not
    the FY of sent_on are left to those rules (one bad cell, one message)."""
    cols = ["fiscal_year", "round", "sent_on"]
    frame = drills.select(ROW, "drill_id", *cols)
    own_rules_ok = pl.col("round").is_between(1, 4) & (pl.col("fiscal_year") == fy_expr("sent_on"))
    complete = frame.drop_nulls().filter(own_rules_ok)
    # fast path (millions of rows): drills whose rows all agree need no further look
    odd = (complete.group_by("drill_id")
           .agg(pl.any_horizontal([pl.col(c).min() != pl.col(c).max() for c in cols]).alias("x"))
           .filter(pl.col("x"))["drill_id"])
    if odd.is_empty():
        return pl.repeat(True, frame.height, eager=True)
    complete = complete.filter(pl.col("drill_id").is_in(odd.implode()))
    usual = (complete.group_by("drill_id", *cols)
             .agg(pl.len().alias("__n"), pl.col(ROW).min().alias("__first"))
             .sort(["drill_id", "__n", "__first"], descending=[False, True, False])
             .unique("drill_id", keep="first")
             .select("drill_id", *[pl.col(c).alias(f"__usual_{c}") for c in cols]))
    joined = frame.join(usual, on="drill_id", how="left", maintain_order="left")
    same = pl.all_horizontal([pl.col(c) == pl.col(f"__usual_{c}") for c in cols])
    return joined.select(pl.when(own_rules_ok).then(same).fill_null(True)).to_series()


def _flag_unique(files: dict[str, RawFile]) -> None:
    """``__chk__unique``: the row's key occurs once (rows with a missing key part are left to
    the required rule)."""
    for f in files.values():
        key = list(f.table.key)
        if not key:
            continue
        f.frame = f.frame.with_columns(
            (~_duplicated(f.frame, key) | pl.any_horizontal([pl.col(k).is_null() for k in key]))
            .alias(CHK + "unique"))


def _duplicated(frame: pl.DataFrame, key: list[str]) -> pl.Series:
    """Per row: does its key occur more than once? Exact, but cheap on millions of string IDs:
    a 64-bit hash per row, sorted, shows in one pass whether any two hashes are equal (no hash
    table of the strings, nor of the hashes: 0.4 s -> 0.1 s for 4 M record IDs); only the rows
    whose hash occurs twice are compared by value (a hash collision is not a duplicate)."""
    hashes = frame.select(key).hash_rows()
    ordered = hashes.sort()
    same = ordered.slice(1) == ordered.slice(0, max(len(ordered) - 1, 0))
    if not same.any():
        return pl.repeat(False, frame.height, eager=True)
    candidate = hashes.is_in(ordered.slice(1).filter(same).implode())
    rows = candidate.arg_true()
    exact = frame.select(key)[rows].is_duplicated()
    return candidate.scatter(rows, exact)


def derive(files: dict[str, RawFile]) -> dict[str, list[Rule]]:
    """Add ``__chk__`` flag columns to the frames and return the rules that check them."""
    _flag_unique(files)
    extra: dict[str, list[Rule]] = {name: [] for name in files}

    def add(name: str, flag: str, series: pl.Series | pl.Expr, column: str, text: str,
            show: tuple[str, ...] = ()) -> None:
        f = files[name]  # a rule that cannot be evaluated (null) passes: see its comment
        f.frame = f.frame.with_columns(series.fill_null(True).alias(CHK + flag))
        extra[name].append(_flag(flag, column, text, show))

    fr = {n: f.frame for n, f in files.items()}
    roster_ids = fr["roster"]["employee_id"].unique()  # once, for the three fact files

    # courses: level for unified_it only
    # (a category outside the enum is reported by the enum rule only)
    add("courses", "level_for_unified_it",
        pl.when(pl.col("category").is_in(CATEGORIES))
        .then((pl.col("category") == "unified_it") == pl.col("level").is_not_null()),
        "level", "must be A–D when category is unified_it, and empty otherwise",
        ("category", "level"))

    # plan targets: span, values the kind needs, overlaps
    add("plan_targets", "fy_span", pl.col("fy_from") <= pl.col("fy_to"),
        "fy_to", "must not be before fy_from", ("fy_from", "fy_to"))
    kind_ok = (
        pl.when(pl.col("kind") == "range")
        .then(pl.col("target_min").is_not_null() & pl.col("target_max").is_not_null()
              & (pl.col("target_min") <= pl.col("target_max")).fill_null(False))
        .when(pl.col("kind") == "min").then(pl.col("target_min").is_not_null())
        .when(pl.col("kind") == "max").then(pl.col("target_max").is_not_null())
        .otherwise(True)
    )
    add("plan_targets", "target_values", kind_ok, "target_min",
        "must hold what the kind needs (range: target_min ≤ target_max; min: target_min; "
        "max: target_max)", ("kind", "target_min", "target_max"))
    _plan_rules(files, extra, add)

    # hiring
    add("hiring", "hire_fy", pl.col("hire_fiscal_year") == fy_expr("hire_date"),
        "hire_fiscal_year", "must equal the fiscal year of hire_date (April 1 – March 31)",
        ("hire_date", "hire_fiscal_year"))
    # the hire FY is the FY of hire_date (a wrong hire_fiscal_year is reported above, once)
    hires = fr["hiring"].select(
        "employee_id", pl.coalesce(fy_expr("hire_date"), "hire_fiscal_year").alias("fy"))
    add("hiring", "in_roster",
        _in(hires, ["employee_id", "fy"], fr["roster"], ["employee_id", "fiscal_year"]),
        "employee_id", "must appear in roster.csv in the fiscal year of hire_date",
        ("employee_id", "hire_date"))

    # roster
    add("roster", "hire_before_fy", pl.col("hire_fiscal_year") <= pl.col("fiscal_year"),
        "hire_fiscal_year", "must not be after fiscal_year", ("fiscal_year", "hire_fiscal_year"))
    # checked only when both bureaus are known: an unknown code is reported by its own rule
    bureaus = fr["bureaus"]["bureau_code"].drop_nulls().implode()
    unit_bureau = fr["roster"].select("unit_code", "bureau_code").join(
        fr["units"].select("unit_code", pl.col("bureau_code").alias("unit_bureau")).unique(
            "unit_code", keep="first", maintain_order=True),
        on="unit_code", how="left", maintain_order="left")
    known = (pl.col("unit_bureau").is_in(bureaus) & pl.col("bureau_code").is_in(bureaus))
    add("roster", "unit_bureau",
        unit_bureau.select(
            pl.when(known).then(pl.col("unit_bureau") == pl.col("bureau_code"))).to_series(),
        "unit_code", "must be a unit of the row's bureau_code (see units.csv)",
        ("unit_code", "bureau_code"))

    # training
    completed = pl.col("status") == "completed"
    # a cell that is present but not a date counts as given (the type rule reports it)
    given = pl.col("completed_on").is_not_null() | ~pl.col(TYPE_FLAG + "completed_on")
    add("training", "completed_on_given",
        pl.when(pl.col("status").is_in(STATUSES)).then(completed == given),
        "completed_on", "must be given when status is completed, and empty otherwise",
        ("status", "completed_on"))
    add("training", "completed_fy", fy_expr("completed_on") == pl.col("fiscal_year"),
        "completed_on", "must fall in the row's fiscal_year (April 1 – March 31)",
        ("fiscal_year", "completed_on"))

    # phishing drills
    add("phishing_drills", "sent_fy", fy_expr("sent_on") == pl.col("fiscal_year"),
        "fiscal_year", "must equal the fiscal year of sent_on (April 1 – March 31)",
        ("fiscal_year", "sent_on"))
    add("phishing_drills", "drill_shared", _agrees_with_drill(fr["phishing_drills"]), "drill_id",
        "all rows of a drill_id must share fiscal_year, round and sent_on (these rows differ "
        "from the drill's other rows)", ("drill_id", "fiscal_year", "round", "sent_on"))

    # cross-file: people in facts appear in the roster
    for name in ("training", "certification", "phishing_drills"):
        add(name, "in_roster", _in(fr[name], ["employee_id"], roster_ids, ["employee_id"]),
            "employee_id", "must appear in roster.csv (in some fiscal year)")
    return extra


def _plan_rules(files: dict[str, RawFile], extra: dict[str, list[Rule]], add: Any) -> None:
    """plans.csv's rules and the plan_targets rules that depend on it (raw-data.md, plans.csv).
    Without plans.csv every target belongs to the implicit plan ``plan``: targets may not
    overlap at all, as before plans existed."""
    plans = files.get("plans")
    pt = files["plan_targets"].frame
    plan_id = pl.col("plan_id").cast(pl.String)  # (a missing one is reported as missing)
    targets = pt.select(ROW, plan_id.fill_null(IMPLICIT_PLAN) if plans is None else plan_id,
                        "metric", "fy_from", "fy_to")
    pairs = targets.join(targets, on=["plan_id", "metric"], suffix="_o").filter(
        (pl.col(ROW) != pl.col(ROW + "_o"))
        & (pl.col("fy_from") <= pl.col("fy_to_o"))
        & (pl.col("fy_from_o") <= pl.col("fy_to"))
    )
    overlapping = targets[ROW].is_in(pairs[ROW].implode())
    if plans is None:
        add("plan_targets", "no_overlap", ~overlapping, "metric",
            "must have at most one target per metric and FY (the FY spans of these rows "
            "overlap)", ("metric", "fy_from", "fy_to"))
        extra["plan_targets"].append(Rule(
            "plan_id", f"must be empty or {IMPLICIT_PLAN} (without plans.csv there is one "
            f"implicit plan)", "ExpectColumnValuesToBeInSet",
            {"column": "plan_id", "value_set": [IMPLICIT_PLAN]}, "in_plans"))
        return

    pf = plans.frame
    add("plan_targets", "plan_id_given", pl.col("plan_id").is_not_null(), "plan_id",
        "is required when plans.csv is present (empty cell, or no plan_id column)")
    ids = sorted(pf["plan_id"].drop_nulls().unique().to_list())
    extra["plan_targets"].append(Rule(
        "plan_id", "must be a plan_id listed in plans.csv", "ExpectColumnValuesToBeInSet",
        {"column": "plan_id", "value_set": ids}, "in_plans"))
    add("plan_targets", "no_overlap", ~overlapping, "metric",
        "must have at most one target per plan, metric and FY (the FY spans of these rows "
        "overlap)", ("plan_id", "metric", "fy_from", "fy_to"))
    # the first row of a plan_id (a duplicate is reported by plans.csv's unique rule)
    period = pf.select(pl.col("plan_id").cast(pl.String), pl.col("fy_from").alias("p_from"),
                       pl.col("fy_to").alias("p_to"), "adopted_on").unique(
        "plan_id", keep="first", maintain_order=True)
    inside = pt.select(pl.col("plan_id").cast(pl.String), "fy_from", "fy_to").join(
        period, on="plan_id", how="left", maintain_order="left").select(
        pl.when(pl.col("p_from") <= pl.col("p_to"))  # (else the plan's span is reported)
        .then((pl.col("fy_from") >= pl.col("p_from")) & (pl.col("fy_to") <= pl.col("p_to")))
    ).to_series()
    add("plan_targets", "in_plan_period", inside, "fy_from",
        "fy_from..fy_to must lie inside the period of the target's plan (fy_from..fy_to in "
        "plans.csv)", ("plan_id", "fy_from", "fy_to"))

    add("plans", "fy_span", pl.col("fy_from") <= pl.col("fy_to"),
        "fy_to", "must not be before fy_from", ("fy_from", "fy_to"))
    add("plans", "adopted_unique",
        ~_duplicated(pf, ["adopted_on"]) | pl.col("adopted_on").is_null(), "adopted_on",
        "must be unique across plans (another plan was adopted on the same day)",
        ("plan_id", "adopted_on"))
    extra["plans"].append(Rule(
        "revises", "must be a plan_id listed in plans.csv", "ExpectColumnValuesToBeInSet",
        {"column": "revises", "value_set": ids}, "revises_known"))
    revised = period.select("plan_id", pl.col("adopted_on").alias("revised_on"))
    earlier = pf.select(pl.col("revises").cast(pl.String).alias("plan_id"), "adopted_on").join(
        revised, on="plan_id", how="left", maintain_order="left").select(
        pl.col("revised_on") < pl.col("adopted_on")).to_series()
    add("plans", "revises_earlier", earlier, "revises",
        "must name a plan adopted before this one (its adopted_on is not earlier)",
        ("plan_id", "adopted_on", "revises"))


def table_rules(table: RawTable, files: dict[str, RawFile]) -> list[Rule]:
    rules: list[Rule] = []
    for c in table.columns:
        if c.required:
            rules.append(Rule(c.name, "is required (empty cell)", "ExpectColumnValuesToNotBeNull",
                              {"column": c.name}, "required"))
        if c.dtype != "str":
            rules.append(_flag_type(c.name, c.dtype))
        if c.enum:
            rules.append(Rule(c.name, _enum_text(c.enum), "ExpectColumnValuesToBeInSet",
                              {"column": c.name, "value_set": list(c.enum)}, "enum"))
        if c.pattern is not None:
            rules.append(Rule(c.name, f"must match {c.pattern}", "ExpectColumnValuesToMatchRegex",
                              {"column": c.name, "regex": c.pattern}, "pattern"))
        if c.min is not None or c.max is not None:
            rules.append(Rule(c.name, f"must be between {c.min:g} and {c.max:g}",
                              "ExpectColumnValuesToBeBetween",
                              {"column": c.name, "min_value": c.min, "max_value": c.max},
                              "range"))
    refs = {"bureau_code": "bureaus", "unit_code": "units", "course_code": "courses",
            "exam_code": "exams"}
    for col, ref in refs.items():
        if col in table.column_names and table.name != ref:
            values = sorted(files[ref].frame[col].drop_nulls().unique().to_list())
            rules.append(Rule(col, f"must be listed in {ref}.csv",
                              "ExpectColumnValuesToBeInSet",
                              {"column": col, "value_set": values}, f"in_{ref}"))
    # uniqueness is flagged by Polars (hash-based, exact; see derive) and checked by GX: GX's own
    # unique expectations on millions of string IDs cost ~10x more (pandas hashing)
    if len(table.key) == 1:
        rules.append(Rule(table.key[0], "must be unique", "ExpectColumnValuesToBeInSet",
                          {"column": CHK + "unique", "value_set": [True]}, "unique"))
    elif table.key:
        rules.append(Rule(table.key[-1], f"({', '.join(table.key)}) must be unique",
                          "ExpectColumnValuesToBeInSet",
                          {"column": CHK + "unique", "value_set": [True]}, "unique", table.key))
    return rules


def _flag_type(col: str, dtype: str) -> Rule:
    return Rule(col, _TYPE_TEXT[dtype], "ExpectColumnValuesToBeInSet",
                {"column": TYPE_FLAG + col, "value_set": [True]}, "type")


# identifiers with millions of distinct values: categoricals would cost more than they save
_IDS = {"record_id", "employee_id", "drill_id"}


def _to_pandas(frame: pl.DataFrame, columns: set[str]):  # noqa: ANN202
    """Compact pandas frame for GX of the ``columns`` its rules read: codes and enums as
    categoricals, identifiers as Arrow-backed strings (no Python object per cell), index =
    spreadsheet row."""
    import pandas as pd

    frame = frame.select(ROW, *[c for c in frame.columns if c in columns])
    casts = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String and name not in _IDS:
            casts.append(pl.col(name).cast(pl.Categorical))
        elif dtype == pl.Boolean and not name.startswith("__"):
            casts.append(pl.col(name).cast(pl.Int8))
    ids = [c for c in frame.columns if c in _IDS]
    pdf = frame.with_columns(casts).drop(ids).to_pandas()
    for c in ids:
        # (large_string: GX's row-index lists fail on Arrow string views)
        pdf[c] = pd.arrays.ArrowExtensionArray(frame[c].to_arrow())
    return pdf.set_index(ROW, drop=True)


# files of more rows than this are validated a column at a time (see _batches)
SPLIT_ROWS = 50_000


def _batches(rules: list[Rule], rows: int) -> list[tuple[str, list[int]]]:
    """Which rules run on which batch: (a label for the suite name, rule positions).

    GX's pandas engine copies the whole batch frame to drop a column's nulls before each rule.
    A large file is therefore validated a column at a time (its flag columns, one byte a row,
    together): each copy is one column, not the file (GX on a roster of 3.3 M rows 1.14 s ->
    0.78 s). A small file is one batch: GX's cost there is per batch, not per row."""
    if rows <= SPLIT_ROWS:
        return [("", list(range(len(rules))))]
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rules):
        column = r.kwargs["column"]
        groups.setdefault("flags" if column.startswith("__") else column, []).append(i)
    return [(f" [{c}]", pos) for c, pos in groups.items()]


def validate(files: dict[str, RawFile], progress: Any = None) -> list[RuleResult]:
    """Run every suite; return one result per rule (success or not)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import warnings

    warnings.filterwarnings("ignore", module="great_expectations")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory batch by hashing the whole frame (seconds per million
    # rows) only to label it; our batches are labelled by file name, so skip the hash.
    pandas_execution_engine.HASH_THRESHOLD = 0
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = ctx.data_sources.add_pandas("raw")
    extra = derive(files)
    results: list[RuleResult] = []

    def run(name: str, rules: list[Rule], batch: Any, fmt: str) -> dict[int, Any]:
        """Validate ``rules`` on ``batch``; GX's result per rule, by position in ``rules``."""
        suite = gx.ExpectationSuite(name=name)
        for r in rules:
            suite.add_expectation(getattr(gx.expectations, r.kind)(**r.kwargs))
        suite = ctx.suites.add(suite)
        report = batch.validate(
            suite, result_format={"result_format": fmt, "partial_unexpected_count": PARTIAL})
        pos = {e.id: i for i, e in enumerate(suite.expectations)}
        return {pos[res.expectation_config.id]: res for res in report.results}

    for name, f in files.items():
        rules = table_rules(f.table, files) + extra.get(name, [])
        definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        outcome: dict[int, Any] = {}
        for label, positions in _batches(rules, f.rows):
            columns = {rules[i].kwargs["column"] for i in positions}
            batch = definition.get_batch(
                batch_parameters={"dataframe": _to_pandas(f.frame, columns)})
            part = [rules[i] for i in positions]
            # BASIC (counts only) is much cheaper than SUMMARY; the failed rules alone are run
            # again with SUMMARY for the row numbers of their examples
            got = run(f"{f.table.file}{label}", part, batch, "BASIC")
            failed = sorted(i for i, res in got.items() if not res.success)
            if failed:
                again = run(f"{f.table.file}{label} (failed rules)", [part[i] for i in failed],
                            batch, "SUMMARY")
                got.update({failed[j]: res for j, res in again.items()})
            outcome.update({positions[i]: res for i, res in got.items()})
            # GX's execution engine keeps, for the life of the context, every batch's data (the
            # pandas frame: -700 MB at 300,000 staff) and every resolved metric, a row mask per
            # rule among them (~180 MB by the end): drop both once the batch's rules ran
            del batch
            engine = source.get_execution_engine()
            engine.batch_manager.reset_batch_cache()
            engine.batch_manager.batch_data_cache.clear()
            engine._metric_cache.clear()
            _give_back_memory()
        results.extend(_result(f, rules[i], outcome[i]) for i in range(len(rules)))
        f.text = None  # the cells as written are only needed for messages
        if progress is not None:
            progress(name)
    return results


@functools.cache
def _malloc_trim() -> Any:  # noqa: ANN401 - a ctypes function, or None
    """glibc's ``malloc_trim``, looked up once (``find_library`` runs ``ldconfig``)."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


def _give_back_memory() -> None:
    """Return freed heap pages to the system (glibc keeps them after pandas frees a large
    frame; the next batch's frame would then add to the peak instead of reusing them)."""
    import pyarrow as pa

    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    pa.default_memory_pool().release_unused()  # the identifiers handed to GX as Arrow strings


def _result(f: RawFile, rule: Rule, res: Any) -> RuleResult:
    # a rule GX could not evaluate must not pass silently (its result would be empty)
    info = res.exception_info or {}
    for e in [info] if "raised_exception" in info else list(info.values()):
        if isinstance(e, dict) and e.get("raised_exception"):
            raise RuntimeError(f"{f.table.file}: {rule.column}: GX could not check "
                               f"'{rule.text}': {e.get('exception_message')}")
    r = res.result or {}
    rows = _rows(r.get("partial_unexpected_index_list"))
    if rule.code == "required":
        # a cell that failed its type check is reported by the type rule, not as missing
        flag = TYPE_FLAG + rule.column
        if flag in f.frame.columns and r.get("unexpected_count"):
            bad = set(f.frame.filter(~pl.col(flag))[ROW].to_list())
            rows = [x for x in rows if x not in bad]
            count = int(r.get("unexpected_count") or 0) - len(bad)
            r = {**r, "unexpected_count": max(count, 0)}
    values = _values(f, rule.show or (rule.column,), rows)
    unexpected = int(r.get("unexpected_count") or 0)
    success = bool(res.success) if unexpected else True
    return RuleResult(
        suite=f.table.file, file=f.table.file, rule=rule, success=success,
        element_count=int(r.get("element_count") or f.rows), unexpected_count=unexpected,
        rows=sorted(rows), values=values if rule.code not in ("required",) else [],
    )


def _rows(index_list: Any) -> list[int]:
    """Spreadsheet row numbers from GX's index list. With a named index (``__row``) GX gives
    one dict per row, e.g. ``{"grade": "Staff", "__row": 3}``; plain numbers otherwise."""
    rows: list[int] = []
    for i in index_list or []:
        if isinstance(i, dict):
            i = i.get(ROW)
        if isinstance(i, int | float) and not isinstance(i, bool):
            rows.append(int(i))
        elif hasattr(i, "item"):  # numpy scalar
            rows.append(int(i.item()))
    return rows


def _values(f: RawFile, columns: tuple[str, ...], rows: list[int]) -> list[Any]:
    if not rows:
        return []
    picked = sorted(rows)[:EXAMPLES]
    if len(columns) == 1:
        return f.raw_values(columns[0], picked)
    cells = [f.raw_values(c, picked) for c in columns]
    return [Cells(", ".join(f"{c}={'(empty)' if v is None else v}"
                            for c, v in zip(columns, row, strict=True)))
            for row in zip(*cells, strict=True)]
