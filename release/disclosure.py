"""Disclosure control for everything released together: ``kpi``, every mart and the published
figures, protected jointly (docs/DISCLOSURE.md says why this method).

Method: cell suppression with secondary suppression across linked tables (UK Government
Statistical Service guidance), the secondary pattern chosen by an interval audit (linear
programming, HiGHS):

1. *Primary*: every count of people from 1 to ``threshold - 1`` is ``[c]``; so is every
   *complement* in that range (a rate's denominator minus its numerator, a mart's ``sent``
   minus ``opened``…: 13 of 14 says one person did not). 0 is shown. Counts of events
   (``phishing_drills_held``) and figures already public (published.csv, when the warehouse
   agrees with them) are never suppressed.
2. *Linked tables*: every additive relation between released cells is one linear equation —
   a ministry row is the sum of its bureau rows (plus people on no roster), a kpi bureau cell
   is a sum of mart cells (``digital_hires`` = ``mart_hiring`` digital-candidate hires, the
   phishing rates = sums over drills of ``mart_drills``, …), an eligible count is a sum of
   headcount cells, a complement is denominator minus numerator. The protector takes every
   equation's constant as known (people on no roster included), which is more than an
   attacker knows; marts are completed with their zero cells so that a zero can be hidden too.
3. *Audit and secondary suppression*: for every hidden cell and every small complement, the
   smallest and largest value consistent with all shown cells and all equations (cells ≥ 0)
   are found by LP. While some cell is pinned to one integer, one more cell of an equation
   that pins it is hidden (a part before a total; the smallest non-zero value first) and the
   audit runs again. At the end no protected cell has fewer than two feasible values.
4. *Derived values*: a rate is shown only when both its counts are (so it follows from the
   published counts); a status is ``[c]`` when its value, or for a growth target the previous
   FY's value, is ``[c]``.

Pure Polars/NumPy/SciPy, no Streamlit: the data page, the public edition and
``python -m pipelines publish`` all use :func:`protect` through :func:`release`.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipelines.settings import MIN_SUPPRESS_BELOW, SettingsError, suppress_below
from release.catalogue import KPI, MARTS, PACE, PACE_COLUMNS, Dataset
from release.connection import connect

SUPPRESSED = "[c]"  # the marker UK Civil Service Statistics use for a suppressed cell
METHOD = "cell_suppression_linked_tables"

# kpi cells that are sums of mart cells (per FY and bureau; the ministry row sums every bureau)
# (metric, "numerator" | "denominator", mart, mart column, mart rows counted)
KPI_LINKS: tuple[tuple[str, str, str, str, pl.Expr | None], ...] = (
    ("digital_hires", "numerator", "mart_hiring", "hires",
     pl.col("track") == "digital_candidate"),
    ("new_hire_a_level_rate", "denominator", "mart_hiring", "hires", None),
    ("new_hire_security_rate", "denominator", "mart_hiring", "hires", None),
    ("ipa_passes", "numerator", "mart_certification", "sittings", pl.col("result") == "pass"),
    ("phishing_open_rate", "numerator", "mart_drills", "opened", None),
    ("phishing_open_rate", "denominator", "mart_drills", "sent", None),
    ("phishing_report_rate", "numerator", "mart_drills", "reported", None),
    ("phishing_report_rate", "denominator", "mart_drills", "sent", None),
    ("digital_talent_staff", "numerator", "mart_headcount", "digital_talent", None),
    ("secondees", "numerator", "mart_headcount", "headcount",
     pl.col("placement").is_in(["digital_agency", "ppc", "nisc"])),
    ("security_elearning_rate", "denominator", "mart_headcount", "headcount",
     (pl.col("employment_type") != "political") & (pl.col("placement") == "home")),
)
# mart cells that are sums of other mart cells: (target, column, source, column, keys, rows)
MART_LINKS: tuple[tuple[str, str, str, str, tuple[str, ...], pl.Expr | None], ...] = (
    ("mart_career_training", "eligible", "mart_headcount", "headcount",
     ("fiscal_year", "bureau_code", "grade"), pl.col("employment_type") != "political"),
)
# complements that count people: (table, larger column, smaller column)
COMPLEMENTS: tuple[tuple[str, str, str], ...] = (
    ("kpi", "denominator", "numerator"),
    ("mart_drills", "sent", "opened"),
    ("mart_drills", "sent", "reported"),
    ("mart_headcount", "headcount", "digital_talent"),
    ("mart_career_training", "eligible", "completed"),
    ("mart_training", "enrolments", "completions"),
)
DATASETS: tuple[Dataset, ...] = (KPI, PACE, *MARTS)
BY_NAME: dict[str, Dataset] = {ds.name: ds for ds in DATASETS}


def check_threshold(value: object) -> int:
    """The threshold as an int; ``SettingsError`` unless it is an integer ≥ 2."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SettingsError(f"the suppression threshold must be an integer of at least "
                            f"{MIN_SUPPRESS_BELOW}, got {value!r}")
    return suppress_below(str(value), "the suppression threshold")


@dataclass(frozen=True)
class Suppression:
    """What disclosure control did to one file, for its about sheet."""

    threshold: int
    columns: tuple[str, ...]  # columns that may hold the marker (written as numbers elsewhere)
    cells: int = 0  # cells suppressed (primary and secondary)
    dropped_totals: int = 0  # of them in ministry-wide rows


@dataclass(frozen=True)
class Release:
    """The publication form of every aggregated dataset, protected together."""

    tables: dict[str, pl.DataFrame]  # catalogue columns; counts, rates, status as text
    threshold: int
    run_id: str | None = None
    as_of_date: dt.date | None = None
    data_origin: str | None = None
    primary: int = 0  # cells (and complements) below the threshold
    secondary: int = 0  # cells hidden so that no hidden cell can be worked out
    unprotectable: int = 0  # hidden cells pinned whatever else is hidden (0 expected)
    published: tuple[tuple[int, float], ...] = ()  # published digital_hires (FY, value) shown
    bureaus: pl.DataFrame | None = None  # bureau_code, name_ja, name_en
    stats: dict[str, int] = field(default_factory=dict)

    def suppression(self, name: str, frame: pl.DataFrame | None = None) -> Suppression:
        """What is suppressed in ``frame`` (default: the whole dataset ``name``)."""
        ds = BY_NAME[name]
        frame = self.tables[name] if frame is None else frame
        cols = tuple(c for c in text_columns(ds) if c in frame.columns)
        if not cols or frame.height == 0:
            return Suppression(self.threshold, cols)
        hidden = pl.sum_horizontal((pl.col(c) == SUPPRESSED).fill_null(False) for c in cols)
        total = (pl.col(ds.bureau_column).is_null() if ds.margin_by and ds.bureau_column
                 else pl.lit(False))
        n = frame.select(hidden.alias("n"), total.alias("t"))
        return Suppression(self.threshold, cols, int(n["n"].sum()),
                           int(n.filter(pl.col("t"))["n"].sum()))


def text_columns(ds: Dataset) -> tuple[str, ...]:
    """The columns a release writes as text: counts, rates and (kpi) value and status."""
    if ds.name == PACE.name:
        return PACE_COLUMNS
    out = list(ds.counts) + [r.column for r in ds.rates if r.column not in ds.counts]
    if ds.name == "kpi":
        out.append("status")
    return tuple(out)


# --- reading ------------------------------------------------------------------------------------

def read_inputs(path: str | os.PathLike) -> tuple[dict[str, pl.DataFrame], dict]:
    """kpi, every mart and the published figures of a warehouse, and its latest run."""
    con = connect(str(path))
    try:
        tables = {ds.name: con.sql(
            "SELECT " + ", ".join(f'"{c}"' for c in ds.column_names) + f' FROM "{ds.name}"'
        ).pl() for ds in DATASETS}
        tables["published"] = con.sql(
            "SELECT metric, fiscal_year, value FROM published").pl()
        tables["bureaus"] = con.sql(
            "SELECT bureau_code, name_ja, name_en FROM bureaus ORDER BY bureau_code").pl()
        run = con.sql("SELECT run_id, as_of_date, data_origin FROM pipeline_runs "
                      "ORDER BY started_at DESC LIMIT 1").pl()
    finally:
        con.close()
    return tables, (run.row(0, named=True) if run.height else {})


@functools.lru_cache(maxsize=4)
def _cached(path: str, ino: int, mtime_ns: int, size: int, threshold: int) -> Release:
    tables, run = read_inputs(path)
    return protect(tables, threshold, run)


def release(path: str | os.PathLike, threshold: int) -> Release:
    """The protected release of the warehouse at ``path`` (cached per file version). A
    public-edition file holds its release already: ``publication.release`` reads either."""
    st = os.stat(path)
    return _cached(str(path), st.st_ino, st.st_mtime_ns, st.st_size, check_threshold(threshold))


# --- the cells and the equations ------------------------------------------------------------------

class _Cells:
    """Every released count (and every complement) as one numbered cell."""

    def __init__(self) -> None:
        self.value: list[float] = []
        self.total: list[bool] = []  # a ministry-wide cell (hidden last)
        self.virtual: list[bool] = []  # a complement: never shown, derivable
        self.fixed: list[bool] = []  # public anyway (published) or an event count

    def add(self, values: Sequence[float | None], total: Sequence[bool] | bool = False,
            virtual: bool = False, fixed: Sequence[bool] | bool = False) -> list[int]:
        ids = []
        n = len(values)
        totals = [total] * n if isinstance(total, bool) else list(total)
        fixeds = [fixed] * n if isinstance(fixed, bool) else list(fixed)
        for v, t, f in zip(values, totals, fixeds, strict=True):
            if v is None:
                ids.append(-1)
                continue
            ids.append(len(self.value))
            self.value.append(float(v))
            self.total.append(bool(t))
            self.virtual.append(virtual)
            self.fixed.append(bool(f))
        return ids


def _densify(frame: pl.DataFrame, ds: Dataset, bureaus: list[str], fys: list[int]
             ) -> pl.DataFrame:
    """The mart with a zero row for every bureau, FY and combination of its other keys, so
    that a zero can be hidden (otherwise a missing row says 0, and e.g. an FY whose hires
    were all digital candidates would give its total hires away through the published
    figure); ``__orig`` marks the rows it really has. A drill belongs to one FY, so drills
    are completed over bureaus only."""
    others = [c for c in ds.column_names if c not in ds.counts and c != ds.bureau_column]
    per_fy = ds.name == "mart_drills"
    if per_fy or not ds.fy_column:
        combos = frame.select(others).unique().sort(others, nulls_last=True)
    else:
        rest = [c for c in others if c != ds.fy_column]
        fy = pl.DataFrame({ds.fy_column: fys}, schema={ds.fy_column: frame.schema[ds.fy_column]})
        combos = (fy.join(frame.select(rest).unique().sort(rest, nulls_last=True), how="cross")
                  if rest else fy)
    codes = pl.DataFrame({ds.bureau_column: bureaus},
                         schema={ds.bureau_column: frame.schema[ds.bureau_column]})
    grid = combos.join(codes, how="cross")
    out = grid.join(frame.with_columns(pl.lit(True).alias("__orig")),
                    on=[*others, ds.bureau_column], how="left", nulls_equal=True,
                    maintain_order="left")
    # rows with no bureau (people on no roster) exist only where the mart has them
    extra = frame.filter(pl.col(ds.bureau_column).is_null()).with_columns(
        pl.lit(True).alias("__orig"))
    out = pl.concat([out, extra], how="diagonal_relaxed")
    return out.with_columns(pl.col(c).fill_null(0) for c in ds.counts).with_columns(
        pl.col("__orig").fill_null(False)).select(*ds.column_names, "__orig")


Equation = tuple[list[int], list[float]]  # sum(coef * cell) = a known constant


def _sum_equations(totals: pl.DataFrame, parts: pl.DataFrame, keys: list[str]
                   ) -> list[Equation]:
    """One equation per total row: total − Σ parts joined on ``keys`` = constant.
    ``totals`` has ``keys`` + ``__t`` (cell id); ``parts`` has ``keys`` + ``__p``."""
    if totals.height == 0:
        return []
    grouped = parts.group_by(keys, maintain_order=True).agg(pl.col("__p"))
    joined = totals.join(grouped, on=keys, how="left", nulls_equal=True, maintain_order="left")
    out = []
    for t, ps in joined.select("__t", "__p").iter_rows():
        if t < 0:
            continue
        ps = [p for p in (ps or []) if p >= 0]
        out.append(([t, *ps], [1.0] + [-1.0] * len(ps)))
    return out


# --- the audit ------------------------------------------------------------------------------------

def _highs():  # noqa: ANN202
    """A silent HiGHS instance (the first one prints a banner on the C stdout otherwise)."""
    import highspy

    global _BANNER_DONE
    if _BANNER_DONE:
        h = highspy.Highs()
    else:
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
                h.setOptionValue("output_flag", False)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_DONE = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)  # the same pattern every time: deterministic solves
    h.setOptionValue("random_seed", 0)
    return h


_BANNER_DONE = False


class _Lp:
    """The equations of one component over its unknown cells (x ≥ 0), for repeated solves
    (one HiGHS model; only the objective changes between solves)."""

    def __init__(self, eqs: list[Equation], unknown: list[int], value: np.ndarray) -> None:
        import highspy
        from scipy.sparse import csc_array

        self.col = {v: i for i, v in enumerate(unknown)}
        rows, cols, data, b = [], [], [], []
        for r, (ids, coefs) in enumerate(eqs):
            rhs = 0.0
            for i, a in zip(ids, coefs, strict=True):
                if i in self.col:
                    rows.append(r)
                    cols.append(self.col[i])
                    data.append(a)
                    rhs += a * value[i]
            b.append(rhs)
        self.n = n = len(unknown)
        a = csc_array((data, (rows, cols)), shape=(len(eqs), n))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(eqs)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.row_lower_ = lp.row_upper_ = np.asarray(b)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        self.h = _highs()
        self.h.passModel(lp)
        self._ok = highspy.HighsModelStatus.kOptimal
        self._all = np.arange(n, dtype=np.int32)

    def solve(self, weights: Mapping[int, float]) -> np.ndarray | None:
        """A vertex minimising Σ weight·x (None if unbounded or failed)."""
        c = np.zeros(self.n)
        for t, w in weights.items():
            c[self.col[t]] = w
        self.h.changeColsCost(self.n, self._all, c)
        self.h.run()
        if self.h.getModelStatus() != self._ok:
            return None
        return np.asarray(self.h.getSolution().col_value)

    def movable(self, t: int, value: np.ndarray) -> bool:
        """True if some solution puts cell ``t`` at least 1 away from its true value."""
        j = self.col[t]
        for sign in (-1.0, 1.0):  # maximise first: usually unbounded or far
            x = self.solve({t: sign})
            if x is None:
                if sign < 0:
                    return True  # not optimal when maximising: unbounded above
                continue
            if abs(x[j] - value[t]) >= 1 - 1e-6:
                return True
        return False


def _components(eqs: list[Equation], unknown: np.ndarray) -> list[list[int]]:
    """The equations with an unknown cell, grouped by connected unknown cells."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    rows, cols = [], []
    for e, (ids, _) in enumerate(eqs):
        for i in ids:
            if unknown[i]:
                rows.append(e)
                cols.append(i)
    if not rows:
        return []
    n_e, n_c = len(eqs), len(unknown)
    # bipartite graph: equations 0..n_e-1, cells n_e..
    g = coo_array((np.ones(len(rows)), (rows, np.asarray(cols) + n_e)),
                  shape=(n_e + n_c, n_e + n_c))
    _, label = connected_components(g, directed=False)
    groups: dict[int, list[int]] = defaultdict(list)
    for e in sorted(set(rows)):
        groups[int(label[e])].append(e)
    return list(groups.values())


def _component_of(t: int, of_cell: Mapping[int, list[int]], eqs: list[Equation],
                  unknown: np.ndarray) -> list[int]:
    """The equations connected to cell ``t`` through unknown cells."""
    seen_c, seen_e = {t}, set()
    stack = [t]
    while stack:
        c = stack.pop()
        for e in of_cell.get(c, ()):
            if e not in seen_e:
                seen_e.add(e)
                for i in eqs[e][0]:
                    if unknown[i] and i not in seen_c:
                        seen_c.add(i)
                        stack.append(i)
    return sorted(seen_e)


def _secure(cells: _Cells, eqs: list[Equation], hidden: np.ndarray, sensitive: np.ndarray
            ) -> tuple[int, int]:
    """Hide more cells until no hidden cell and no sensitive complement is pinned.
    Returns (cells hidden here, cells that stay pinned whatever is hidden).

    Hiding a cell only widens the others' ranges (one fixed value fewer), so a cell found
    movable stays movable: each cell is proven safe once. Per component, two LPs (push all
    unproven cells up, then down) prove most cells at once; the rest get their own LPs, and
    while one is pinned one more cell is hidden. Rounds repeat until a round hides nothing
    (a cell hidden for one component may join it to another)."""
    value = np.asarray(cells.value)
    virtual = np.asarray(cells.virtual)
    fixed = np.asarray(cells.fixed)
    total = np.asarray(cells.total)
    unknown = hidden | virtual
    of_cell: dict[int, list[int]] = defaultdict(list)
    for e, (ids, _) in enumerate(eqs):
        for i in ids:
            of_cell[i].append(e)
    safe = np.zeros(len(value), dtype=bool)
    given_up: set[int] = set()
    added = 0

    def alone(t: int) -> bool:  # the only unknown of one of its equations: pinned
        return any(sum(unknown[i] for i in eqs[e][0]) == 1 for e in of_cell[t])

    while True:
        progress = False
        for start_eqs in _components(eqs, unknown):
            # cells hidden earlier in this round may have joined it to others: take it afresh
            seed = next(i for i in eqs[start_eqs[0]][0] if unknown[i])
            comp_eqs = _component_of(seed, of_cell, eqs, unknown)
            members = sorted({i for e in comp_eqs for i in eqs[e][0] if unknown[i]})
            todo = [i for i in members if (hidden[i] or sensitive[i]) and not safe[i]
                    and i not in given_up]
            if not todo:
                continue
            if len(members) > 1:
                lp = _Lp([eqs[e] for e in comp_eqs], members, value)
                for sign in (-1.0, 1.0):
                    x = lp.solve({t: sign for t in todo})
                    if x is not None:
                        for t in todo:
                            if abs(x[lp.col[t]] - value[t]) >= 1 - 1e-6:
                                safe[t] = True
                    todo = [t for t in todo if not safe[t]]
            for t in todo:
                while not safe[t]:
                    t_eqs = _component_of(t, of_cell, eqs, unknown)
                    if not alone(t):
                        t_members = sorted({i for e in t_eqs for i in eqs[e][0] if unknown[i]})
                        if _Lp([eqs[e] for e in t_eqs], t_members, value).movable(t, value):
                            safe[t] = True
                            break
                    pick = _candidate(t, of_cell, eqs, unknown, fixed, total, value, t_eqs)
                    if pick is None:
                        given_up.add(t)
                        break
                    hidden[pick] = unknown[pick] = True
                    added += 1
                    progress = True
        if not progress:
            return added, len(given_up)


def _candidate(t: int, of_cell: Mapping[int, list[int]], eqs: list[Equation],
               unknown: np.ndarray, fixed: np.ndarray, total: np.ndarray, value: np.ndarray,
               comp_eqs: list[int]) -> int | None:
    """The shown cell to hide next: in an equation with ``t`` if possible, else anywhere in
    its component; parts before totals, non-zero before zero, smallest first."""
    for pool in (of_cell.get(t, []), comp_eqs):
        cands = {i for e in pool for i in eqs[e][0] if not unknown[i] and not fixed[i]}
        if cands:
            return min(cands, key=lambda i: (total[i], value[i] == 0, value[i], i))
    return None


# --- the protection -----------------------------------------------------------------------------

def protect(tables: Mapping[str, pl.DataFrame], threshold: int, run: Mapping | None = None
            ) -> Release:
    """Protect kpi and every mart together (see the module docstring)."""
    threshold = check_threshold(threshold)
    run = run or {}
    kpi = tables["kpi"].with_row_index("__row")
    bureaus = sorted(b for b in kpi["bureau_code"].unique().to_list() if b is not None)
    fys = sorted(kpi["fiscal_year"].unique().to_list())
    cells = _Cells()

    # published figures that the warehouse agrees with are public already
    pub = tables.get("published")
    published: dict[tuple[str, int], float] = {}
    if pub is not None:
        published = {(m, int(fy)): float(v) for m, fy, v in pub.iter_rows() if v is not None}
    is_total = kpi["bureau_code"].is_null().to_list()
    fixed_num = [
        (b is None and published.get((m, fy)) == n) or m in _exempt_metrics()
        for m, fy, b, n in kpi.select("metric", "fiscal_year", "bureau_code", "numerator")
        .iter_rows()]
    kpi = kpi.with_columns(
        pl.Series("__n", cells.add(kpi["numerator"].to_list(), is_total, fixed=fixed_num)),
        pl.Series("__d", cells.add(kpi["denominator"].to_list(), is_total)))

    marts: dict[str, pl.DataFrame] = {}
    for ds in MARTS:
        dense = _densify(tables[ds.name], ds, bureaus, fys)
        marts[ds.name] = dense.with_columns(
            pl.Series(f"__{c}", cells.add(dense[c].to_list()), dtype=pl.Int64)
            for c in ds.counts)

    eqs: list[Equation] = []
    # ministry row = Σ bureau rows (+ people on no roster: a constant, taken as known)
    for col in ("__n", "__d"):
        tot = kpi.filter(pl.col("bureau_code").is_null()).select(
            "metric", "fiscal_year", pl.col(col).alias("__t"))
        parts = kpi.filter(pl.col("bureau_code").is_not_null()).select(
            "metric", "fiscal_year", pl.col(col).alias("__p"))
        eqs += [e for e in _sum_equations(tot, parts, ["metric", "fiscal_year"])
                if len(e[0]) > 1]
    # kpi cells = sums of mart cells
    for metric, which, mart, column, rows in KPI_LINKS:
        src = marts[mart] if rows is None else marts[mart].filter(rows)
        col = "__n" if which == "numerator" else "__d"
        k = kpi.filter(pl.col("metric") == metric)
        eqs += _sum_equations(
            k.filter(pl.col("bureau_code").is_not_null())
            .select("fiscal_year", "bureau_code", pl.col(col).alias("__t")),
            src.select("fiscal_year", "bureau_code", pl.col(f"__{column}").alias("__p")),
            ["fiscal_year", "bureau_code"])
        eqs += _sum_equations(
            k.filter(pl.col("bureau_code").is_null()).select("fiscal_year",
                                                            pl.col(col).alias("__t")),
            src.select("fiscal_year", pl.col(f"__{column}").alias("__p")), ["fiscal_year"])
    for target, tcol, source, scol, keys, rows in MART_LINKS:
        src = marts[source] if rows is None else marts[source].filter(rows)
        eqs += _sum_equations(
            marts[target].select(*keys, pl.col(f"__{tcol}").alias("__t")),
            src.select(*keys, pl.col(f"__{scol}").alias("__p")), list(keys))
    # complements: larger − smaller − complement = 0
    frames = {"kpi": kpi.rename({"__n": "__numerator", "__d": "__denominator"}), **marts}
    for table, big, small in COMPLEMENTS:
        f = frames[table].filter(pl.col(f"__{big}") >= 0)
        b_ids, s_ids = f[f"__{big}"].to_list(), f[f"__{small}"].to_list()
        vals = [cells.value[b] - cells.value[s] for b, s in zip(b_ids, s_ids, strict=True)]
        v_ids = cells.add(vals, virtual=True)
        eqs += [([b, s, v], [1.0, -1.0, -1.0]) for b, s, v in zip(b_ids, s_ids, v_ids,
                                                                  strict=True)]

    value = np.asarray(cells.value)
    fixed = np.asarray(cells.fixed, dtype=bool)
    _fix_forced_zeros(eqs, value, fixed)
    cells.fixed = fixed.tolist()
    virtual = np.asarray(cells.virtual, dtype=bool)
    small = (value > 0) & (value < threshold) & ~fixed
    hidden = small & ~virtual
    sensitive = small & virtual
    primary = int(hidden.sum())
    secondary, unprotectable = _secure(cells, eqs, hidden, sensitive)

    out = {"kpi": _kpi_text(kpi, hidden, value)}
    out[PACE.name] = pace_text(tables[PACE.name], out["kpi"])
    for ds in MARTS:
        out[ds.name] = _mart_text(marts[ds.name], ds, hidden, value)
    shown_pub = tuple(sorted((fy, v) for (m, fy), v in published.items()
                             if m == "digital_hires"))
    return Release(out, threshold, run.get("run_id"), run.get("as_of_date"),
                   run.get("data_origin"), primary, secondary, unprotectable, shown_pub,
                   tables.get("bureaus"),
                   {"cells": len(cells.value), "equations": len(eqs),
                    "complements_small": int(sensitive.sum())})


def _fix_forced_zeros(eqs: list[Equation], value: np.ndarray, fixed: np.ndarray) -> None:
    """Mark as fixed every cell that the fixed cells force to 0 (a published 0 makes every
    bureau's cell 0, and their mart cells): hiding such a zero protects nothing."""
    changed = True
    while changed:
        changed = False
        for ids, coefs in eqs:
            free = [(i, a) for i, a in zip(ids, coefs, strict=True) if not fixed[i]]
            if not free:
                continue
            rest = sum(a * value[i] for i, a in free)  # what the free cells must add up to
            if rest == 0 and (all(a > 0 for _, a in free) or all(a < 0 for _, a in free)):
                for i, _ in free:
                    fixed[i] = True
                changed = True


def _exempt_metrics() -> set[str]:
    return {v for col, values in KPI.exempt if col == "metric" for v in values}


def _num_text(v: float | None) -> str | None:
    if v is None:
        return None
    if float(v).is_integer():
        return str(int(v))
    return repr(float(v))


def _cell_text(ids: list[int], hidden: np.ndarray, value: np.ndarray) -> list[str | None]:
    return [None if i < 0 else SUPPRESSED if hidden[i] else _num_text(value[i]) for i in ids]


def _kpi_text(kpi: pl.DataFrame, hidden: np.ndarray, value: np.ndarray) -> pl.DataFrame:
    n_ids, d_ids = kpi["__n"].to_list(), kpi["__d"].to_list()
    gone = [(n >= 0 and hidden[n]) or (d >= 0 and hidden[d]) for n, d in zip(n_ids, d_ids,
                                                                           strict=True)]
    vals = [SUPPRESSED if g else _num_text(v) for g, v in zip(gone, kpi["value"].to_list(),
                                                            strict=True)]
    out = kpi.with_columns(pl.Series("numerator", _cell_text(n_ids, hidden, value),
                                     dtype=pl.String),
                           pl.Series("denominator", _cell_text(d_ids, hidden, value),
                                     dtype=pl.String),
                           pl.Series("value", vals, dtype=pl.String),
                           pl.Series("__gone", gone, dtype=pl.Boolean))
    prev = out.select("metric", "bureau_code", (pl.col("fiscal_year") + 1).alias("fiscal_year"),
                      pl.col("__gone").alias("__prev_gone"))
    out = out.join(prev, on=["metric", "bureau_code", "fiscal_year"], how="left",
                   nulls_equal=True, maintain_order="left")
    # a status says how the value compares with a target (growth: with last FY's value)
    depends = pl.col("__gone") | ((pl.col("target_kind") == "growth")
                                  & pl.col("__prev_gone").fill_null(False))
    keep = pl.col("status").is_in(["no_target", "in_progress"])
    out = out.with_columns(pl.when(depends & ~keep).then(pl.lit(SUPPRESSED))
                           .otherwise(pl.col("status")).alias("status"))
    return out.sort("__row").select(KPI.column_names)


def pace_text(pace: pl.DataFrame, kpi: pl.DataFrame) -> pl.DataFrame:
    """kpi_pace in publication form, from kpi's protected form (no new equations: every pace
    figure is withheld where it could say something about a withheld kpi cell).

    * ``ytd`` is kpi's value of the as-of FY and ``needed`` follows from it: ``[c]`` where that
      kpi value is.
    * The projection (``expected_remainder``, ``projected`` and its interval, ``p_meet``,
      ``pace_status``) is made of this FY's and the reference years' values of the same row:
      ``[c]`` where any of them is ``[c]``. Bureau rows' projections add up (for counts) to
      the ministry's less those on no roster, so if one bureau row of a metric is withheld,
      every bureau row's projection is: no difference of shown projections isolates it.
    * ``no_target`` / ``no_data`` outlooks depend on no value and stay."""
    cols = [c for c in pace.columns]
    if pace.height == 0:
        return pace.with_columns(pl.col(c).cast(pl.String) for c in PACE_COLUMNS).select(cols)
    gone = kpi.select("metric", "fiscal_year", "bureau_code",
                      (pl.col("value") == SUPPRESSED).fill_null(False).alias("__gone"))
    fy = pace["fiscal_year"][0]
    cur = gone.filter(pl.col("fiscal_year") == fy).select(
        "metric", "bureau_code", pl.col("__gone").alias("__cur"))
    ref = gone.filter(pl.col("fiscal_year").is_between(fy - 3, fy - 1)).group_by(
        "metric", "bureau_code").agg(pl.col("__gone").any().alias("__ref"))
    out = (pace.join(cur, on=["metric", "bureau_code"], how="left", nulls_equal=True,
                     maintain_order="left")
           .join(ref, on=["metric", "bureau_code"], how="left", nulls_equal=True,
                 maintain_order="left")
           .with_columns(pl.col("__cur").fill_null(False), pl.col("__ref").fill_null(False)))
    out = out.with_columns((pl.col("__cur") | pl.col("__ref")).alias("__row"))
    any_bureau = out.filter(pl.col("bureau_code").is_not_null()).group_by("metric").agg(
        pl.col("__row").any().alias("__bureaus"))
    out = out.join(any_bureau, on="metric", how="left", maintain_order="left").with_columns(
        (pl.col("__row") | (pl.col("bureau_code").is_not_null()
                            & pl.col("__bureaus").fill_null(False))).alias("__proj"))

    def text(column: str, hide: str) -> pl.Expr:  # (a figure that does not exist stays empty)
        shown = pl.col(column).map_elements(_num_text, return_dtype=pl.String)
        return (pl.when(pl.col(hide) & pl.col(column).is_not_null()).then(pl.lit(SUPPRESSED))
                .otherwise(shown).alias(column))

    keep = pl.col("pace_status").is_in(["no_target", "no_data"])
    return out.with_columns(
        text("ytd", "__cur"), text("needed", "__cur"),
        *(text(c, "__proj") for c in ("expected_remainder", "projected", "projected_low",
                                      "projected_high", "p_meet")),
        pl.when(pl.col("__proj") & ~keep).then(pl.lit(SUPPRESSED))
        .otherwise(pl.col("pace_status")).alias("pace_status")).select(cols)


def _mart_text(frame: pl.DataFrame, ds: Dataset, hidden: np.ndarray, value: np.ndarray
               ) -> pl.DataFrame:
    out = frame.with_columns(
        pl.Series(c, _cell_text(frame[f"__{c}"].to_list(), hidden, value), dtype=pl.String)
        for c in ds.counts)
    any_hidden = pl.any_horizontal(pl.col(c) == SUPPRESSED for c in ds.counts)
    # rows the mart really has, and the zero rows that hide something
    out = out.filter(pl.col("__orig") | any_hidden)
    return out.sort([pl.col(c) for c in ds.order], nulls_last=False).select(ds.column_names)
