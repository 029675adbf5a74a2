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
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.settings import MIN_SUPPRESS_BELOW, SettingsError, releases_dir, suppress_below
from release import register
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
    # the disclosure policy (public_figures.csv): metric, level, fy_from, source
    public_figures: tuple[dict, ...] = ()

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
        declared = con.sql("SELECT count(*) FROM duckdb_tables() "
                           "WHERE table_name = 'public_figures'").fetchall()[0][0]
        tables["public_figures"] = con.sql(
            "SELECT metric, level, fy_from, source FROM public_figures ORDER BY metric"
            if declared else "SELECT NULL::VARCHAR AS metric, NULL::VARCHAR AS level, "
            "NULL::INTEGER AS fy_from, NULL::VARCHAR AS source LIMIT 0").pl()
        tables["bureaus"] = con.sql(
            "SELECT bureau_code, name_ja, name_en FROM bureaus ORDER BY bureau_code").pl()
        run = con.sql("SELECT run_id, as_of_date, data_origin FROM pipeline_runs "
                      "ORDER BY started_at DESC LIMIT 1").pl()
    finally:
        con.close()
    return tables, (run.row(0, named=True) if run.height else {})


@functools.lru_cache(maxsize=4)
def _cached(path: str, ino: int, mtime_ns: int, size: int, threshold: int, releases: str,
            register_version: tuple) -> Release:
    tables, run = read_inputs(path)
    stored = register.find(Path(releases), run.get("run_id"))
    if stored is not None and stored.threshold == threshold:
        return recorded_release(stored, tables, run)
    return protect(tables, threshold, run)


def release(path: str | os.PathLike, threshold: int) -> Release:
    """The protected release of the warehouse at ``path`` (cached per file version and
    register state): the release recorded in the register (``DTP_RELEASES``) for this
    warehouse run when there is one — the very cells its pack showed —, else the warehouse
    protected on its own. A public-edition file holds its release already:
    ``publication.release`` reads either."""
    st = os.stat(path)
    root = releases_dir()
    return _cached(str(path), st.st_ino, st.st_mtime_ns, st.st_size, check_threshold(threshold),
                   str(root), register.signature(root))


def _policy(tables: Mapping[str, pl.DataFrame]) -> tuple[dict, ...]:
    f = tables.get("public_figures")
    return tuple(f.to_dicts()) if f is not None else ()


def recorded_release(stored: register.Recorded, tables: Mapping[str, pl.DataFrame],
                     run: Mapping) -> Release:
    """A release as the register holds it."""
    shown = stored.frames("shown")
    pub = tables.get("published")
    published = tuple(sorted((int(fy), float(v)) for m, fy, v in pub.iter_rows()
                             if v is not None and m == "digital_hires")) if pub is not None else ()
    c = stored.counts
    return Release({ds.name: shown[ds.name] for ds in DATASETS}, stored.threshold,
                   run.get("run_id"), run.get("as_of_date"), run.get("data_origin"),
                   c.get("primary", 0), c.get("secondary", 0), c.get("unprotectable", 0),
                   published, shown.get("bureaus", tables.get("bureaus")),
                   {"recorded": 1, **c}, _policy(tables))


def linked_release(path: str | os.PathLike, threshold: int, releases: Path,
                   organisation: str | None) -> tuple[Release, dict[str, pl.DataFrame]]:
    """The release of the warehouse at ``path`` protected together with every release of
    ``organisation`` in the register ``releases`` (a re-publication of the same warehouse run
    replaces its own record), and the true tables it was made from. Raises
    :class:`Refused` when the register holds a later release or a cell cannot be protected."""
    threshold = check_threshold(threshold)
    tables, run = read_inputs(path)
    as_of = run.get("as_of_date")
    recs = register.releases(releases, organisation)
    later = [r for r in recs if as_of is not None and r.as_of_date > as_of]
    if later:
        raise Refused([f"the register {register.folder(releases, organisation)} already holds "
                       f"release {later[-1].release_id} (as of {later[-1].as_of_date}); a "
                       f"release as of {as_of} cannot come after it"])
    earlier = [Earlier(r.release_id, r.as_of_date, r.frames("inputs"), r.frames("shown"),
                       r.threshold, r.counts)
               for r in recs if r.run_id != run.get("run_id")] if as_of is not None else []
    return protect(tables, threshold, run, earlier), tables


# --- the cells and the equations ------------------------------------------------------------------

class _Cells:
    """Every released count (and every complement) as one numbered cell."""

    def __init__(self) -> None:
        self.value: list[float] = []
        self.total: list[bool] = []  # a ministry-wide cell (hidden last)
        self.virtual: list[bool] = []  # a complement: never shown, derivable
        self.fixed: list[bool] = []  # public anyway (published) or an event count
        self.slack: list[bool] = []  # the gap of an inequality (not a count of people)

    def add(self, values: Sequence[float | None], total: Sequence[bool] | bool = False,
            virtual: bool = False, fixed: Sequence[bool] | bool = False,
            slack: bool = False) -> list[int]:
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
            self.virtual.append(virtual or slack)
            self.fixed.append(bool(f))
            self.slack.append(slack)
        return ids

    def at_most(self, eqs: list[Equation], small: Sequence[int], big: Sequence[int]) -> None:
        """The inequality Σ small ≤ Σ big as an equation with a gap cell ≥ 0 (skipped where
        the data break it: a reader's bound that is false protects nothing)."""
        small = [i for i in small if i >= 0]
        big = [i for i in big if i >= 0]
        if not small or not big:
            return
        gap = sum(self.value[i] for i in big) - sum(self.value[i] for i in small)
        if gap < 0:
            return
        (g,) = self.add([gap], slack=True)
        eqs.append(([*big, *small, g], [1.0] * len(big) + [-1.0] * len(small) + [-1.0]))


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


class _Region:
    """One HiGHS model that grows with a component of unknown cells: its equations over every
    cell they hold, a known cell fixed at its value (bounds v..v), an unknown one in
    0..10⁷ (finite: pushing up proves a range at once). Hiding a cell only changes its
    bounds, and a component that grows (a hidden cell joins it to others) only adds rows and
    columns, so every solve goes on from the last basis instead of starting afresh (issue 23:
    a register's earlier releases make the components large)."""

    UPPER = 1e7

    def __init__(self, matrix, value: np.ndarray, constant: np.ndarray | None = None,  # noqa: ANN001
                 gap: np.ndarray | None = None) -> None:
        """``constant``: cells known for good (never hidden); ``gap``: unknown cells in one
        equation each that no range is asked of. Neither becomes a column: a constant one
        moves to the equation's bounds, a gap makes its equation an inequality, and an
        equation left with one column bounds that column instead (a third of the columns
        and a fifth of the rows of a register's component, each solve about twice as fast)."""
        import highspy

        self.matrix, self.value = matrix, value
        n = len(value)
        self.constant = np.zeros(n, dtype=bool) if constant is None else constant
        self.gap = np.zeros(n, dtype=bool) if gap is None else gap
        self.h = _highs()
        self.h.setOptionValue("presolve", "off")  # the model changes between solves
        self.row: dict[int, int] = {}  # equation → its row (or −1: it became bounds)
        self.col: dict[int, int] = {}
        self.cells = np.zeros(0, dtype=np.int64)  # the cell of each column
        self.lower = np.zeros(0)  # each column's bounds from its one-column equations
        self.upper = np.zeros(0)
        self._ok = highspy.HighsModelStatus.kOptimal
        self._costed = np.zeros(0, dtype=np.int32)
        self.version = 0  # changes whenever the feasible set does (a row, a column, a bound)
        self._solved = -1  # the version of the last solve
        self.objective: tuple[int | None, int] = (None, -1)  # (cell pushed alone, version)
        self._strategy = -1
        self._known: set[int] = set()  # columns at their value for now

    def grow(self, rows: Sequence[int], unknown: np.ndarray) -> None:
        """Add the equations ``rows`` not in the model yet (and their cells)."""
        new_rows = np.asarray([e for e in rows if e not in self.row], dtype=np.int64)
        if not len(new_rows):
            return
        self.version += 1
        sub = self.matrix[new_rows].tocoo()
        r, c, a = sub.row, sub.col, np.asarray(sub.data, dtype=float)
        is_col = ~self.constant[c] & ~(self.gap[c] & unknown[c])
        cells = _distinct(c[is_col], len(self.value))
        new_cells = np.asarray([x for x in cells.tolist() if x not in self.col], dtype=np.int64)
        U = self.UPPER
        if len(new_cells):
            n0 = len(self.cells)
            self.col.update(zip(new_cells.tolist(), range(n0, n0 + len(new_cells)), strict=True))
            self.cells = np.concatenate([self.cells, new_cells])
            self.lower = np.concatenate([self.lower, np.zeros(len(new_cells))])
            self.upper = np.concatenate([self.upper, np.full(len(new_cells), U)])
            k = len(new_cells)
            v, unk = self.value[new_cells], unknown[new_cells]
            self._known.update(np.arange(n0, n0 + k)[~unk].tolist())
            self.h.addCols(k, np.zeros(k), np.where(unk, 0.0, v), np.where(unk, U, v),
                           0, np.zeros(k, dtype=np.int32), np.zeros(0, dtype=np.int32),
                           np.zeros(0))
        nr = len(new_rows)
        # each row over its columns: the columns' value at the truth, widened by its gap
        act = np.bincount(r[is_col], a[is_col] * self.value[c[is_col]], nr)
        lo, hi = act.copy(), act.copy()
        g = ~is_col & self.gap[c] & unknown[c]
        shift = a[g] * self.value[c[g]]  # the gap's term at the truth; it may be 0..U·a
        np.add.at(lo, r[g], np.minimum(shift, shift - a[g] * U))
        np.add.at(hi, r[g], np.maximum(shift, shift - a[g] * U))
        ncol = np.bincount(r[is_col], minlength=nr)
        keep = np.flatnonzero(ncol > 1)
        for e in np.flatnonzero(ncol <= 1).tolist():  # none (constant) or one column: bounds
            self.row[int(new_rows[e])] = -1
        one = np.flatnonzero(ncol == 1)
        if len(one):
            m1 = is_col & np.isin(r, one)
            for e, cell, coef in zip(r[m1].tolist(), c[m1].tolist(), a[m1].tolist(),
                                     strict=True):
                j = self.col[cell]
                b1, b2 = sorted((lo[e] / coef, hi[e] / coef))
                self.lower[j] = max(self.lower[j], b1)
                self.upper[j] = min(self.upper[j], b2)
                if j not in self._known:
                    self.h.changeColBounds(j, self.lower[j], self.upper[j])
        if not len(keep):
            return
        m2 = is_col & np.isin(r, keep)
        rr = np.searchsorted(keep, r[m2])
        order = np.argsort(rr, kind="stable")
        rr = rr[order]
        idx = np.fromiter((self.col[x] for x in c[m2][order].tolist()), dtype=np.int32,
                          count=len(rr))
        starts = np.searchsorted(rr, np.arange(len(keep))).astype(np.int32)
        r0 = self.h.getNumRow()
        self.row.update(zip(new_rows[keep].tolist(), range(r0, r0 + len(keep)), strict=True))
        self.h.addRows(len(keep), lo[keep], hi[keep], len(idx), starts, idx,
                       a[m2][order])

    def unfix(self, cell: int) -> None:
        """``cell`` is hidden now: free it (0..10⁷, or its one-column equations' bounds)."""
        if cell in self.col:
            j = self.col[cell]
            self._known.discard(j)
            self.h.changeColBounds(j, self.lower[j], self.upper[j])
            self.version += 1

    def unknown_cells(self, unknown: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cells, columns) of the model's unknown cells."""
        cols = np.flatnonzero(unknown[self.cells])
        return self.cells[cols], cols

    def solve(self, weights: Mapping[int, float]) -> np.ndarray | None:
        """A vertex minimising Σ weight·x over the columns (None if the solve failed)."""
        if len(self._costed):
            self.h.changeColsCost(len(self._costed), self._costed,
                                  np.zeros(len(self._costed)))
        cols = np.fromiter((self.col[t] for t in weights), dtype=np.int32, count=len(weights))
        self.h.changeColsCost(len(cols), cols, np.fromiter(weights.values(), dtype=float,
                                                           count=len(weights)))
        self._costed = cols
        # only the objective changed since the last solve: the last vertex is still feasible
        # and the primal simplex goes on from it (twice as fast here); after a freed cell or
        # a new row, the dual simplex
        strategy = 4 if self._solved == self.version else 1
        if strategy != self._strategy:  # (setting an option costs the next run ~1 ms)
            self.h.setOptionValue("simplex_strategy", strategy)
            self._strategy = strategy
        self._solved = self.version
        self.h.run()
        self.objective = (next(iter(weights)) if len(weights) == 1 else None, self.version)
        if self.h.getModelStatus() != self._ok:
            return None
        self._sol = sol = self.h.getSolution()
        return np.asarray(sol.col_value)

    def binding(self, t: int) -> np.ndarray:
        """The known cells whose values bound ``t`` at the last solve, if that solve pushed
        ``t`` alone in the model as it is (else none): relaxing any of them moves ``t``."""
        if self.objective != (t, self.version):
            return np.zeros(0, dtype=np.int64)
        d = np.abs(np.asarray(self._sol.col_dual))
        return self.cells[d > 1e-9]


def _incidence(eqs: list[Equation]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The equations as (equation, cell, coefficient) triples."""
    rows = np.repeat(np.arange(len(eqs)), [len(ids) for ids, _ in eqs])
    cols = np.fromiter((i for ids, _ in eqs for i in ids), dtype=np.int64)
    data = np.fromiter((a for _, coefs in eqs for a in coefs), dtype=float)
    return rows, cols, data


class _Graph:
    """Equations × cells as sparse matrices, for the components of unknown cells."""

    def __init__(self, eqs: list[Equation], n_cells: int) -> None:
        from scipy.sparse import csr_array

        rows, cols, data = _incidence(eqs)
        self.matrix = csr_array((data, (rows, cols)), shape=(len(eqs), n_cells))
        self.by_cell = self.matrix.T.tocsr()

    label: np.ndarray | None = None  # component of every equation, then every cell

    def track(self, unknown: np.ndarray) -> None:
        """Label the components of ``unknown`` cells once; :meth:`merge` keeps them as cells
        are hidden, and :meth:`component` reads them."""
        from scipy.sparse import coo_array
        from scipy.sparse.csgraph import connected_components

        n_e, n_c = self.matrix.shape
        coo = self.matrix.tocoo()
        keep = unknown[coo.col]
        g = coo_array((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep] + n_e)),
                      shape=(n_e + n_c, n_e + n_c))
        _, self.label = connected_components(g, directed=False)

    def merge(self, cell: int) -> None:
        """``cell`` is now unknown: its equations' components and its own become one."""
        n_e = self.matrix.shape[0]
        bc = self.by_cell
        es = bc.indices[bc.indptr[cell]:bc.indptr[cell + 1]]
        labels = np.unique(np.concatenate([self.label[es], [self.label[n_e + cell]]]))
        if len(labels) > 1:
            self.label[np.isin(self.label, labels)] = labels[0]

    def groups(self, unknown: np.ndarray) -> list[list[int]]:
        """The equations with an unknown cell, by component (tracked labels)."""
        n_e = self.matrix.shape[0]
        cells = np.flatnonzero(unknown)
        has = np.unique(self.label[n_e + cells])
        eq_labels = self.label[:n_e]
        order = np.argsort(eq_labels, kind="stable")
        sorted_labels = eq_labels[order]
        out = []
        for lab in has:
            lo, hi = np.searchsorted(sorted_labels, [lab, lab + 1])
            if hi > lo:
                out.append(np.sort(order[lo:hi]).tolist())
        return out

    def component(self, t: int, unknown: np.ndarray) -> list[int]:
        """The equations connected to cell ``t`` through unknown cells (sorted)."""
        if self.label is not None:
            n_e = self.matrix.shape[0]
            return np.flatnonzero(self.label[:n_e] == self.label[n_e + t]).tolist()
        seen_e = np.zeros(self.matrix.shape[0], dtype=bool)
        seen_c = np.zeros(self.matrix.shape[1], dtype=bool)
        seen_c[t] = True
        frontier = np.array([t])
        m, bc = self.matrix, self.by_cell
        while len(frontier):
            es = _distinct(_gather(bc, frontier), len(seen_e))
            es = es[~seen_e[es]]
            if not len(es):
                break
            seen_e[es] = True
            cs = _distinct(_gather(m, es), len(seen_c))
            cs = cs[unknown[cs] & ~seen_c[cs]]
            seen_c[cs] = True
            frontier = cs
        return np.flatnonzero(seen_e).tolist()

    def members(self, rows: Sequence[int], unknown: np.ndarray) -> list[int]:
        """The unknown cells of equations ``rows`` (sorted)."""
        cs = _distinct(_gather(self.matrix, np.asarray(rows, dtype=np.int64)),
                       self.matrix.shape[1])
        return cs[unknown[cs]].tolist()


def _secure(cells: _Cells, eqs: list[Equation], hidden: np.ndarray, sensitive: np.ndarray,
            need: np.ndarray, proven: np.ndarray | None = None) -> tuple[int, set[int]]:
    """Hide more cells until every hidden cell and every sensitive complement has a feasible
    range (all equations, cells ≥ 0) at least ``need`` wide: ``threshold − 1`` for a count of
    1 to threshold − 1 (it cannot be confined to fewer than ``threshold`` values), 1 for any
    other (not pinned). Returns (cells hidden here, the cells that stay too narrow whatever
    is hidden).

    Hiding a cell only widens the others' ranges (one fixed value fewer), so a cell proven
    wide stays wide: each cell is proven once. Per component, two LPs (push all unproven
    cells up, then down) prove most cells at once (the truth and the two solutions lie in
    each cell's range); the rest get their own LPs (largest, smallest), and while one is too
    narrow one more cell is hidden. Rounds repeat until a round hides nothing (a cell hidden
    for one component may join it to another). ``proven``: cells proven wide before (a
    frozen FY, :func:`_frozen`), left as they are."""
    value = np.asarray(cells.value)
    virtual = np.asarray(cells.virtual)
    fixed = np.asarray(cells.fixed)
    total = np.asarray(cells.total)
    unknown = hidden | virtual
    graph = _Graph(eqs, len(value))
    graph.track(unknown)
    # a gap (of an inequality): in one equation, no range asked of it (_Region)
    gap = (np.asarray(cells.slack, dtype=bool) & ~hidden & ~sensitive
           & (np.diff(graph.by_cell.indptr) == 1))
    safe = np.zeros(len(value), dtype=bool) if proven is None else proven.copy()
    lo, hi = value.copy(), value.copy()  # the range seen so far (the truth is in it)
    given_up: set[int] = set()
    added = 0

    def seen(members: np.ndarray, v: np.ndarray) -> None:
        v = np.round(v, 6)
        lo[members] = np.minimum(lo[members], np.ceil(v - 1e-6))
        hi[members] = np.maximum(hi[members], np.floor(v + 1e-6))
        safe[members] |= hi[members] - lo[members] >= need[members] - 1e-9

    def push(region: _Region, weights: Mapping[int, float]) -> bool:
        """Solve; record every unknown cell's value; False if the solve failed."""
        x = region.solve(weights)
        if x is None:
            return False
        members, cols = region.unknown_cells(unknown)
        seen(members, x[cols])
        return True

    def alone_push(region: _Region, t: int) -> None:
        """Maximise ``t`` (usually far), then minimise it — unless even 0 could not make its
        range wide enough (cells are ≥ 0): a narrow cell costs one solve, not two."""
        if not safe[t]:
            push(region, {t: -1.0})
        if not safe[t] and hi[t] >= need[t] - 1e-9:
            push(region, {t: 1.0})

    def alone(t: int) -> bool:  # the only unknown of one of its equations: pinned
        m, bc = graph.matrix, graph.by_cell
        return any(unknown[m.indices[m.indptr[e]:m.indptr[e + 1]]].sum() == 1
                   for e in bc.indices[bc.indptr[t]:bc.indptr[t + 1]].tolist())

    def pick_for(region: _Region, t: int) -> int | None:
        """The shown cell to free for ``t``: the nearest of those that bound it at its last
        solve, else the nearest (:func:`_candidate`)."""
        bind = region.binding(t)
        return _candidate(t, graph, unknown, fixed, total, value,
                          bind[~unknown[bind] & ~fixed[bind]])

    def hide(region: _Region, pick: int) -> None:
        nonlocal added, progress
        hidden[pick] = unknown[pick] = True
        graph.merge(pick)
        region.unfix(pick)
        added += 1
        progress = True

    n_e = len(eqs)
    while True:
        progress = False
        # the components with a cell still to prove (labels as the round starts; a component
        # joined to one of them during the round is taken with it, or in the next round)
        open_ = (hidden | sensitive) & ~safe
        open_[list(given_up)] = False
        open_labels = set(graph.label[n_e + np.flatnonzero(open_)].tolist())
        for start_eqs in graph.groups(unknown):
            if int(graph.label[start_eqs[0]]) not in open_labels:
                continue
            # cells hidden earlier in this round may have joined it to others: take it afresh
            seed = next(i for i in eqs[start_eqs[0]][0] if unknown[i])
            comp_eqs = graph.component(seed, unknown)
            members = graph.members(comp_eqs, unknown)
            mem = np.asarray(members, dtype=np.int64)
            todo = mem[(hidden[mem] | sensitive[mem]) & ~safe[mem]].tolist()
            todo = [i for i in todo if i not in given_up]
            if not todo:
                continue
            # one model for the component, kept (and grown) while cells are hidden for it
            region = _Region(graph.matrix, value, fixed & ~unknown, gap)
            region.grow(comp_eqs, unknown)
            tried: dict[int, int] = {}  # cell → the model version it was last pushed in
            if len(members) > 1:
                for sign in (-1.0, 1.0):
                    push(region, {t: sign for t in todo})
                    todo = [t for t in todo if not safe[t]]
                # cells the equations alone confine need no LP to say so (most of the cells
                # left here, through a register: an earlier month's cell between figures shown
                # before and after it); a cell is freed for each below
                narrow = _narrow_by_bounds(graph.matrix, comp_eqs, value, unknown, need, todo)
                for t in todo:  # each on its own, in the same model (only the objective)
                    if t not in narrow:
                        alone_push(region, t)
                    tried[t] = region.version
                todo = [t for t in todo if not safe[t]]
                # a cell freed for each narrow one at once (what bounds it, else the nearest),
                # then one solve from the new model for all, not one per freed cell
                picks = {pick_for(region, t) for t in todo}
                for pick in sorted(picks - {None}):
                    hide(region, pick)
                if picks - {None}:  # the freed cells made most of them wide: prove at once
                    # in the model grown by the freed cells' own equations (a freed cell
                    # joins its component to others: without them it would look free)
                    region.grow(graph.component(seed, unknown), unknown)
                    for sign in (-1.0, 1.0):
                        if todo:
                            push(region, {t: sign for t in todo})
                            todo = [t for t in todo if not safe[t]]
            for t in todo:
                while not safe[t]:
                    t_eqs = graph.component(t, unknown)
                    if not alone(t):
                        region.grow(t_eqs, unknown)
                        if tried.get(t) != region.version:  # else: nothing changed since
                            alone_push(region, t)
                            tried[t] = region.version
                        if safe[t]:
                            break
                    pick = pick_for(region, t)
                    if pick is None:
                        given_up.add(t)
                        break
                    hide(region, pick)
        if not progress:
            return added, given_up


def _narrow_by_bounds(matrix, rows: list[int], value: np.ndarray, unknown: np.ndarray,  # noqa: ANN001
                      need: np.ndarray, cells: Sequence[int], rounds: int = 40) -> set[int]:
    """Of ``cells``, those that bound propagation alone proves too narrow: every equation
    bounds each of its cells by the others' bounds (known cells fixed, unknown ones ≥ 0, all
    integers), repeated until nothing changes. The bounds are valid, so a cell they confine
    is narrow without an LP (an earlier month's cell between a shown value before it and one
    after it, issue 23)."""
    if not cells:
        return set()
    part = matrix[np.asarray(rows, dtype=np.int64)]
    b = part @ value
    sub = part.tocoo()
    r, c, a = sub.row, sub.col, np.asarray(sub.data, dtype=float)
    lb = np.where(unknown, 0.0, value)
    ub = np.where(unknown, np.inf, value)
    nr = len(rows)
    for _ in range(rounds):
        lo_t = np.where(a > 0, a * lb[c], a * ub[c])  # each term's smallest and largest
        hi_t = np.where(a > 0, a * ub[c], a * lb[c])
        lo_inf, hi_inf = np.isinf(lo_t), np.isinf(hi_t)
        lo_sum = np.bincount(r, np.where(lo_inf, 0.0, lo_t), nr)
        hi_sum = np.bincount(r, np.where(hi_inf, 0.0, hi_t), nr)
        lo_n = np.bincount(r, lo_inf, nr)
        hi_n = np.bincount(r, hi_inf, nr)
        # the others' smallest / largest sum (finite only if none of the others is infinite)
        o_lo_n = lo_n[r] - lo_inf
        o_hi_n = hi_n[r] - hi_inf
        o_lo = np.where(o_lo_n == 0, lo_sum[r] - np.where(lo_inf, 0.0, lo_t), -np.inf)
        o_hi = np.where(o_hi_n == 0, hi_sum[r] - np.where(hi_inf, 0.0, hi_t), np.inf)
        with np.errstate(invalid="ignore"):
            t_hi = (b[r] - o_lo) / a  # a·x = b − others
            t_lo = (b[r] - o_hi) / a
        new_ub = np.where(a > 0, t_hi, t_lo)
        new_lb = np.where(a > 0, t_lo, t_hi)
        ub2, lb2 = ub.copy(), lb.copy()
        np.minimum.at(ub2, c, np.floor(np.nan_to_num(new_ub, nan=np.inf) + 1e-6))
        np.maximum.at(lb2, c, np.ceil(np.nan_to_num(new_lb, nan=-np.inf) - 1e-6))
        if np.array_equal(ub2, ub) and np.array_equal(lb2, lb):
            break
        lb, ub = lb2, ub2
    cs = np.asarray(cells)
    return set(cs[ub[cs] - lb[cs] < need[cs] - 1e-9].tolist())


def _distinct(a: np.ndarray, n: int) -> np.ndarray:
    """``np.unique`` of integers in 0..n−1 (a mask beyond a few hundred: numpy's hash
    unique costs ~1 ms for 10,000)."""
    if len(a) < 300:
        return np.unique(a)
    mask = np.zeros(n, dtype=bool)
    mask[a] = True
    return np.flatnonzero(mask)


def _gather(csr, rows: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """The column indices of ``rows`` of a CSR matrix, concatenated (no new matrix)."""
    starts = csr.indptr[rows]
    lens = csr.indptr[rows + 1] - starts
    ends = np.cumsum(lens)
    return csr.indices[np.repeat(starts - ends + lens, lens) + np.arange(ends[-1])] \
        if len(rows) else csr.indices[:0]


def _candidate(t: int, graph: _Graph, unknown: np.ndarray, fixed: np.ndarray,
               total: np.ndarray, value: np.ndarray, binding: np.ndarray | None = None
               ) -> int | None:
    """The shown cell to hide next: the nearest to ``t`` — in an equation with ``t`` if
    possible, else in an equation with an unknown cell of those, and so on (the way a range
    narrows: an earlier release's cell is narrowed through the releases after it, issue
    23); parts before totals, non-zero before zero, smallest first. With ``binding`` (the
    cells that bound ``t`` at its last solve), the nearest of those: freeing it is sure to
    move ``t``, and the nearest keeps a month's pattern close to the last one's (freeing
    another bound, the next month finds more to free)."""
    seen_eqs = np.zeros(graph.matrix.shape[0], dtype=bool)
    reached = np.zeros(graph.matrix.shape[1], dtype=bool)
    reached[t] = True
    frontier = np.asarray([t])
    wanted = None
    if binding is not None and len(binding):
        wanted = np.zeros(len(reached), dtype=bool)
        wanted[binding] = True
    nearest = None
    while len(frontier):
        level = _gather(graph.by_cell, frontier)
        level = _distinct(level[~seen_eqs[level]], len(seen_eqs))
        if not len(level):
            break
        seen_eqs[level] = True
        cs = _distinct(_gather(graph.matrix, level), len(reached))
        cands = cs[~unknown[cs] & ~fixed[cs]]
        if wanted is not None and len(cands):
            if nearest is None:
                nearest = _smallest(cands, total, value)
            cands = cands[wanted[cands]]
        if len(cands):
            return _smallest(cands, total, value)
        frontier = cs[unknown[cs] & ~reached[cs]]
        reached[frontier] = True
    return nearest


def _smallest(cands: np.ndarray, total: np.ndarray, value: np.ndarray) -> int:
    """The smallest (total, zero, value, cell): parts before totals, non-zero first."""
    order = np.lexsort((cands, value[cands], value[cands] == 0, total[cands]))
    return int(cands[order[0]])


# --- the protection -----------------------------------------------------------------------------

class Refused(Exception):
    """A release that cannot be protected together with the earlier ones: one line per cell
    (which cell and why); nothing is written."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("; ".join(messages[:3]))
        self.messages = list(messages)


@dataclass(frozen=True)
class Earlier:
    """A release made before (release/register.py): its true kpi and marts (``inputs``) and
    what it showed (``shown``: the publication form, ``[c]`` for a withheld count)."""

    label: str
    as_of_date: dt.date
    inputs: Mapping[str, pl.DataFrame]
    shown: Mapping[str, pl.DataFrame]
    threshold: int | None = None
    counts: Mapping[str, object] | None = None  # as recorded (primary, …, per FY)

    @property
    def open_fy(self) -> int | None:
        """The FY in progress at this release's as-of date (None once its March 31 is in)."""
        return _fy_open(self.as_of_date)

    def completed(self, fy: int) -> bool:
        open_fy = self.open_fy
        return open_fy is None or fy < open_fy


def _fy_open(as_of: dt.date | None) -> int | None:
    """The FY in progress at ``as_of`` (None once its March 31 is in, or without a date)."""
    if as_of is None:
        return None
    fy = as_of.year if as_of.month >= 4 else as_of.year - 1
    return None if as_of >= dt.date(fy + 1, 3, 31) else fy


def _fy_rows(frame: pl.DataFrame, fy: int) -> pl.DataFrame:
    col = "fiscal_year" if "fiscal_year" in frame.columns else None
    f = frame.filter(pl.col(col) == fy) if col else frame
    return f.sort(f.columns, nulls_last=True)


def _frozen(tables: Mapping[str, pl.DataFrame], threshold: int, as_of: dt.date | None,
            earlier: Sequence[Earlier]) -> dict[int, Earlier]:
    """The completed FYs whose protection an earlier release proved on the very same problem,
    so that it holds now without a new audit (issue 23: a register's cost must not grow with
    every completed FY it re-proves). For such an FY f, ``L`` = the latest earlier release
    with f completed: the same threshold, the same published figures of f and disclosure
    policy, and the same true kpi and mart rows of f. The problem of f is then what it was
    at L's publish — the in-progress releases of f all came before L (a release cannot come
    after a later one), a completed FY's cell shown by L is known now and one withheld by L
    stays withheld — and no equation joins two FYs, so f needs nothing hidden or audited.
    Returns {f: L} (L's record also says how many of f's cells it could not protect)."""
    if as_of is None or not earlier:
        return {}
    open_now = _fy_open(as_of)
    out: dict[int, Earlier] = {}
    for fy in sorted(set(tables["kpi"]["fiscal_year"].to_list())):
        if open_now is not None and fy >= open_now:
            continue
        done = [e for e in earlier if e.completed(fy) and e.as_of_date <= as_of]
        if not done:
            continue
        last = max(done, key=lambda e: (e.as_of_date, e.label))
        old = last.inputs
        names = ("kpi", "published", "public_figures", *(ds.name for ds in MARTS))
        if (last.threshold != threshold or any(n not in old or n not in tables for n in names)
                or "unprotectable_by_fy" not in (last.counts or {})):
            continue
        if all(_fy_rows(tables[n], fy).equals(_fy_rows(old[n], fy)) for n in names):
            out[fy] = last
    return out


def _key(cols: Sequence[str]) -> pl.Expr:
    """One text key for a row of a table (the same for the truth and the shown form)."""
    return pl.concat_str([pl.col(c).cast(pl.String).fill_null("∅") for c in cols],
                         separator="|").alias("__key")


def _mart_keys(ds: Dataset) -> list[str]:
    return [c for c in ds.column_names if c not in ds.counts]


@dataclass
class _Model:
    """One release's cells and equations (the current one, or the year in progress of an
    earlier one): kpi and the dense marts with their cell ids, and every count's
    (table, key, column, id) in ``ids``."""

    kpi: pl.DataFrame
    marts: dict[str, pl.DataFrame]
    ids: pl.DataFrame  # __table, __key, __col, __id, __fy


def declared_public(tables: Mapping[str, pl.DataFrame]) -> dict[str, int | None]:
    """The organisation's disclosure policy (public_figures.csv): metric → first FY (None:
    every FY) whose ministry-wide value it publishes as a rule."""
    f = tables.get("public_figures")
    if f is None or f.height == 0:
        return {}
    return {m: (int(y) if y is not None else None)
            for m, lvl, y in f.select("metric", "level", "fy_from").iter_rows()
            if lvl == "ministry"}


def _model(tables: Mapping[str, pl.DataFrame], cells: _Cells, eqs: list[Equation],
           published: Mapping[tuple[str, int], float], fy: int | None = None,
           declared: Mapping[str, int | None] | None = None) -> _Model:
    """Add the cells and equations of ``tables`` (only FY ``fy`` when given) to ``cells`` and
    ``eqs``: the linked-table equations (module docstring) and the bounds a reader knows
    (course caps, distinct openers, participants ≤ completions, …) as equations with a gap
    cell ≥ 0."""
    kpi = tables["kpi"].with_row_index("__row")
    if fy is not None:
        kpi = kpi.filter(pl.col("fiscal_year") == fy)
    bureaus = sorted(b for b in kpi["bureau_code"].unique().to_list() if b is not None)
    fys = sorted(kpi["fiscal_year"].unique().to_list())
    is_total = kpi["bureau_code"].is_null().to_list()
    declared = declared or {}
    public = [b is None and m in declared and (declared[m] is None or y >= declared[m])
              for m, y, b in kpi.select("metric", "fiscal_year", "bureau_code").iter_rows()]
    fixed_num = [
        (b is None and published.get((m, y)) == n) or m in _exempt_metrics() or p
        for (m, y, b, n), p in zip(kpi.select("metric", "fiscal_year", "bureau_code",
                                              "numerator").iter_rows(), public, strict=True)]
    kpi = kpi.with_columns(
        pl.Series("__n", cells.add(kpi["numerator"].to_list(), is_total, fixed=fixed_num)),
        pl.Series("__d", cells.add(kpi["denominator"].to_list(), is_total, fixed=public)))

    marts: dict[str, pl.DataFrame] = {}
    for ds in MARTS:
        # completed over the key combinations of every FY (as the release itself was), then
        # cut to ``fy``: a zero cell that release withheld exists here too
        dense = _densify(tables[ds.name], ds, bureaus, fys)
        if fy is not None and ds.fy_column:
            dense = dense.filter(pl.col(ds.fy_column) == fy)
        marts[ds.name] = dense.with_columns(
            pl.Series(f"__{c}", cells.add(dense[c].to_list()), dtype=pl.Int64)
            for c in ds.counts)

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
        for t, ps in _kpi_parts(kpi, metric, which, src, column):
            eqs.append(([t, *ps], [1.0] + [-1.0] * len(ps)))
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
    _reader_bounds(kpi, marts, cells, eqs)

    parts_ids = [kpi.select(pl.lit("kpi").alias("__table"),
                            _key(["metric", "fiscal_year", "bureau_code"]),
                            pl.lit(c).alias("__col"), pl.col(f"__{c[0]}").alias("__id"),
                            pl.col("fiscal_year").alias("__fy"))
                 for c in ("numerator", "denominator")]
    for ds in MARTS:
        keyed = marts[ds.name].select(_key(_mart_keys(ds)), *(f"__{c}" for c in ds.counts),
                                      pl.col(ds.fy_column).alias("__fy"))
        parts_ids += [keyed.select(pl.lit(ds.name).alias("__table"), "__key",
                                   pl.lit(c).alias("__col"), pl.col(f"__{c}").alias("__id"),
                                   "__fy")
                      for c in ds.counts]
    ids = pl.concat([f.with_columns(pl.col("__id").cast(pl.Int64),
                                    pl.col("__fy").cast(pl.Int64)) for f in parts_ids]
                    ).filter(pl.col("__id") >= 0)
    return _Model(kpi, marts, ids)


def _kpi_parts(kpi: pl.DataFrame, metric: str, which: str, src: pl.DataFrame, column: str
               ) -> list[tuple[int, list[int]]]:
    """For each kpi cell of ``metric`` (``which``: numerator/denominator), the ids of the
    ``src`` cells (column ``column``) of its FY and bureau (every bureau for the ministry)."""
    col = "__n" if which == "numerator" else "__d"
    k = kpi.filter(pl.col("metric") == metric)
    out = []
    for level in ("bureau", "ministry"):
        keys = ["fiscal_year", "bureau_code"] if level == "bureau" else ["fiscal_year"]
        tot = k.filter(pl.col("bureau_code").is_not_null() if level == "bureau"
                       else pl.col("bureau_code").is_null()).select(*keys,
                                                                     pl.col(col).alias("__t"))
        parts = src.select(*keys, pl.col(f"__{column}").alias("__p"))
        for ids, _ in _sum_equations(tot, parts, keys):
            out.append((ids[0], ids[1:]))
    return out


def _reader_bounds(kpi: pl.DataFrame, marts: Mapping[str, pl.DataFrame], cells: _Cells,
                   eqs: list[Equation]) -> None:
    """What a reader of metrics.md knows beyond the sums, as inequalities: a person counted in
    the e-learning (follow-up) numerator completed that course (≤ its participants); the
    follow-up denominator counts distinct openers (≥ each drill's ``opened``, ≤ their sum:
    equal to it while one drill has been held); participants ≤ completions;
    training_participants between its largest mart cell and their sum; certified staff,
    promotions and a grade's career posts within their headcount."""
    training, drills = marts["mart_training"], marts["mart_drills"]
    for metric, category in (("security_elearning_rate", "security_elearning"),
                             ("phishing_followup_rate", "phishing_followup")):
        src = training.filter(pl.col("category") == category)
        for t, ps in _kpi_parts(kpi, metric, "numerator", src, "participants"):
            cells.at_most(eqs, [t], ps)
    for drill in drills["drill_id"].unique(maintain_order=True).to_list():
        src = drills.filter(pl.col("drill_id") == drill)
        for t, ps in _kpi_parts(kpi, "phishing_followup_rate", "denominator", src, "opened"):
            cells.at_most(eqs, ps, [t])
    for t, ps in _kpi_parts(kpi, "phishing_followup_rate", "denominator", drills, "opened"):
        cells.at_most(eqs, [t], ps)
    for big, small in zip(training["__completions"].to_list(),
                          training["__participants"].to_list(), strict=True):
        cells.at_most(eqs, [small], [big])
    courses = training.filter(pl.col("category").is_in(
        ["unified_it", "it_seminar", "mic_digital", "exam_prep"]))
    for t, ps in _kpi_parts(kpi, "training_participants", "numerator", courses,
                            "participants"):
        cells.at_most(eqs, [t], ps)
        for one in ps:
            cells.at_most(eqs, [one], [t])
    staff = marts["mart_headcount"].filter(pl.col("employment_type") != "political")
    for t, ps in _kpi_parts(kpi, "ipa_certified_staff", "numerator", staff, "headcount"):
        cells.at_most(eqs, [t], ps)
    posts = marts["mart_career_posts"].select("fiscal_year", "bureau_code", "grade",
                                              pl.col("__headcount").alias("__t"))
    heads = marts["mart_headcount"].select("fiscal_year", "bureau_code", "grade",
                                           pl.col("__headcount").alias("__p"))
    for ids, _ in _sum_equations(posts, heads, ["fiscal_year", "bureau_code", "grade"]):
        cells.at_most(eqs, [ids[0]], ids[1:])  # a grade's posts ≤ its headcount
    promo = staff.filter(pl.col("grade").is_in(["chief", "deputy_director"]))
    for t, ps in _kpi_parts(kpi, "promotion_training_rate", "denominator", promo, "headcount"):
        cells.at_most(eqs, [t], ps)


def _earlier_shown(e: Earlier) -> pl.DataFrame:
    """Every count an earlier release showed or withheld: __table, __key, __col, __text."""
    parts = [e.shown["kpi"].select(pl.lit("kpi").alias("__table"),
                                   _key(["metric", "fiscal_year", "bureau_code"]),
                                   pl.lit(c).alias("__col"),
                                   pl.col(c).cast(pl.String).alias("__text"),
                                   pl.col("fiscal_year").alias("__fy"))
             for c in ("numerator", "denominator")]
    for ds in MARTS:
        f = e.shown[ds.name]
        parts += [f.select(pl.lit(ds.name).alias("__table"), _key(_mart_keys(ds)),
                           pl.lit(c).alias("__col"), pl.col(c).cast(pl.String).alias("__text"),
                           pl.col(ds.fy_column).alias("__fy"))
                  for c in ds.counts]
    return pl.concat([p.with_columns(pl.col("__fy").cast(pl.Int64)) for p in parts]
                     ).filter(pl.col("__text").is_not_null())


def _cell_name(row: Mapping) -> str:
    key = row["__key"].replace("∅", "ministry").replace("|", " ")
    return f"{row['__table']} {key} {row['__col']}"


def _link_earlier(cur: _Model, earlier: Sequence[Earlier], cells: _Cells,
                  eqs: list[Equation], published: Mapping[tuple[str, int], float],
                  declared: Mapping[str, int | None], frozen: set[int] = frozenset()
                  ) -> tuple[np.ndarray, list[str], pl.DataFrame, dict[int, str]]:
    """Add the earlier releases to the problem. Returns the current cells to withhold from
    the start (withheld before in a completed FY: the pattern is kept), the refusals (a
    completed FY's figure differs from what was shown; a count shown before fell), the
    (__table, __key, __col, __id, __label) of every cell (for messages) and the current
    cells an earlier release showed (id → its label).

    * A completed FY (at the earlier as-of date): a cell shown then is known now (and shown
      again); one withheld then is withheld now.
    * The year in progress then: its cells and equations join the problem (shown ones known,
      withheld ones unknown and audited again), each linked to the same cell of the next
      release that has it: next − then = a gap ≥ 0 (counts only accumulate)."""
    refusals: list[str] = []
    sticky = np.zeros(0, dtype=bool)
    cur_ids = cur.ids.select("__table", "__key", "__col", "__id")
    names = [cur.ids.select("__table", "__key", "__col", "__id", "__fy",
                            pl.lit("this release").alias("__label"))]
    chain: list[tuple[Earlier, pl.DataFrame]] = []  # the in-progress models, oldest first
    sticky_ids: set[int] = set()
    shown_before: dict[int, str] = {}
    for e in sorted(earlier, key=lambda x: (x.as_of_date, x.label)):
        shown = _earlier_shown(e)
        done = shown.filter(pl.col("__fy").map_elements(e.completed, return_dtype=pl.Boolean))
        j = done.join(cur_ids, on=["__table", "__key", "__col"], how="left")
        for r in j.filter(pl.col("__text") != SUPPRESSED).iter_rows(named=True):
            now = cells.value[r["__id"]] if r["__id"] is not None and r["__id"] >= 0 else 0.0
            if float(r["__text"]) != now:
                refusals.append(f"{_cell_name(r)}: release {e.label} showed {r['__text']}, "
                                f"the data now say {_num_text(now)} (a completed FY's figure "
                                "cannot change once published)")
            elif r["__id"] is not None:
                cells.fixed[r["__id"]] = True
                shown_before.setdefault(r["__id"], e.label)
        sticky_ids |= set(j.filter((pl.col("__text") == SUPPRESSED)
                                   & pl.col("__id").is_not_null())["__id"].to_list())
        if e.open_fy is None or e.open_fy in frozen:  # (frozen: proven already, _frozen)
            continue
        m = _model(e.inputs, cells, eqs, published, e.open_fy, declared)
        ids = m.ids.join(shown.select("__table", "__key", "__col", "__text"),
                         on=["__table", "__key", "__col"], how="left")
        # shown (or absent: a mart row not in the file is a 0) = known; [c] = unknown
        for i, text in zip(ids["__id"].to_list(), ids["__text"].to_list(), strict=True):
            if text != SUPPRESSED:
                cells.fixed[i] = True
        names.append(ids.select("__table", "__key", "__col", "__id", "__fy",
                                pl.lit(e.label).alias("__label")))
        chain.append((e, ids))
    # links: each earlier in-progress cell to the same cell of the next release holding it
    for k, (e, ids) in enumerate(chain):
        nxt = next((m_ids for e2, m_ids in chain[k + 1:] if e2.open_fy == e.open_fy), cur_ids)
        j = ids.join(nxt.select("__table", "__key", "__col", pl.col("__id").alias("__next")),
                     on=["__table", "__key", "__col"], how="left")
        for r in j.iter_rows(named=True):
            then, later = r["__id"], r["__next"]
            if later is None or later < 0:
                continue
            gap = cells.value[later] - cells.value[then]
            if gap >= 0:
                (g,) = cells.add([gap], slack=True)
                eqs.append(([later, then, g], [1.0, -1.0, -1.0]))
            elif r["__text"] != SUPPRESSED:
                refusals.append(f"{_cell_name(r)}: release {e.label} showed {r['__text']}, "
                                f"the data now say {_num_text(cells.value[later])} (a count "
                                "of the year in progress cannot fall)")
            else:  # the data broke "only accumulates": the difference, taken as known
                eqs.append(([later, then], [1.0, -1.0]))
    sticky = np.zeros(len(cells.value), dtype=bool)
    if sticky_ids:
        sticky[list(sticky_ids)] = True
    return sticky, refusals, pl.concat(names), shown_before


def protect(tables: Mapping[str, pl.DataFrame], threshold: int, run: Mapping | None = None,
            earlier: Sequence[Earlier] = ()) -> Release:
    """Protect kpi and every mart together (see the module docstring), and together with
    the ``earlier`` releases of the register (docs/DISCLOSURE.md, "Over time"). Raises
    :class:`Refused` when some cell cannot be protected with them."""
    threshold = check_threshold(threshold)
    run = run or {}
    cells = _Cells()
    eqs: list[Equation] = []

    # published figures that the warehouse agrees with are public already
    pub = tables.get("published")
    published: dict[tuple[str, int], float] = {}
    if pub is not None:
        published = {(m, int(fy)): float(v) for m, fy, v in pub.iter_rows() if v is not None}
    declared = declared_public(tables)
    cur = _model(tables, cells, eqs, published, declared=declared)
    kpi, marts = cur.kpi, cur.marts
    n_current = len(cells.value)
    refusals: list[str] = []
    sticky = np.zeros(len(cells.value), dtype=bool)
    names = cur.ids.select("__table", "__key", "__col", "__id", "__fy",
                           pl.lit("this release").alias("__label"))
    n_current_eqs = len(eqs)
    public_anyway = np.asarray(cells.fixed, dtype=bool)
    frozen = _frozen(tables, threshold, run.get("as_of_date"), earlier)
    if earlier:
        sticky, refusals, names, shown_before = _link_earlier(cur, earlier, cells, eqs,
                                                              published, declared, frozen)

    value = np.asarray(cells.value)
    public_anyway = np.concatenate([public_anyway, np.zeros(len(value) - len(public_anyway),
                                                            dtype=bool)])
    fixed = np.asarray(cells.fixed, dtype=bool)
    virtual = np.asarray(cells.virtual, dtype=bool)
    slack = np.asarray(cells.slack, dtype=bool)
    current = np.arange(len(value)) < n_current
    was_hidden = np.zeros(len(value), dtype=bool)  # withheld by an earlier release
    if earlier:
        earlier_ids = names.filter(pl.col("__label") != "this release")["__id"].to_numpy()
        was_hidden[earlier_ids] = ~fixed[earlier_ids]
    small = (value > 0) & (value < threshold)
    if earlier:
        for i, label in shown_before.items():
            if small[i] and not public_anyway[i]:
                refusals.append(f"{_describe(names, i)}: {_num_text(value[i])} is below the "
                                f"threshold {threshold} but release {label} showed it")
    if refusals:
        raise Refused(refusals)
    _fix_forced_zeros(eqs, value, fixed, ~was_hidden)
    cells.fixed = fixed.tolist()
    hidden = ((small & ~fixed & ~virtual) | (sticky & ~fixed) | was_hidden) & ~slack
    sensitive = small & virtual & ~slack
    primary = int((small & ~fixed & ~virtual & current).sum())
    need = np.where(small, threshold - 1, 1).astype(float)
    fy_of = _fy_of(names, eqs, len(value))
    proven = np.isin(fy_of, list(frozen)) & current
    _, given_up = _secure(cells, eqs, hidden, sensitive, need, proven)
    # a frozen FY's cells that its release could not protect are still so (and said so)
    by_fy = defaultdict(int, {str(f): int(e.counts["unprotectable_by_fy"].get(str(f), 0))
                              for f, e in frozen.items()})
    for i in given_up:
        by_fy[str(fy_of[i])] += 1
    secondary = int((hidden & current).sum()) - primary  # incl. kept from earlier releases
    # the public figures alone may bound a cell (a published total of 1 leaves its bureau
    # cells 0 or 1): nothing withheld can do better, and the release says so (unprotectable)
    bounded = _bounded_by_public(given_up, eqs[:n_current_eqs], value, current,
                                 public_anyway, virtual, need)
    if given_up - bounded:
        raise Refused([f"{_describe(names, i)}: withheld, but the releases before and this "
                       f"one confine it to fewer than {int(need[i]) + 1} values whatever "
                       "else is withheld" for i in sorted(given_up - bounded)])

    out = {"kpi": _kpi_text(kpi, hidden, value)}
    out[PACE.name] = pace_text(tables[PACE.name], out["kpi"])
    for ds in MARTS:
        out[ds.name] = _mart_text(marts[ds.name], ds, hidden, value)
    shown_pub = tuple(sorted((fy, v) for (m, fy), v in published.items()
                             if m == "digital_hires"))
    return Release(out, threshold, run.get("run_id"), run.get("as_of_date"),
                   run.get("data_origin"), primary, secondary, sum(by_fy.values()), shown_pub,
                   tables.get("bureaus"),
                   {"cells": len(cells.value), "equations": len(eqs),
                    "complements_small": int((sensitive & current).sum()),
                    "earlier_releases": len(earlier),
                    "withheld": int((hidden & current).sum()),
                    "fy_audited_before": sorted(frozen),
                    "unprotectable_by_fy": {k: v for k, v in sorted(by_fy.items()) if v}},
                   _policy(tables))


def _fy_of(names: pl.DataFrame, eqs: list[Equation], n: int) -> np.ndarray:
    """The FY of every cell: a count's from its table (``names``: every release's), a
    complement's or gap's from its equation (each holds a count, and no equation joins two
    FYs)."""
    out = np.full(n, -1, dtype=np.int64)
    out[names["__id"].to_numpy()] = names["__fy"].to_numpy()
    rows, cols, _ = _incidence(eqs)
    of_eq = np.full(len(eqs), -1, dtype=np.int64)
    np.maximum.at(of_eq, rows, out[cols])
    open_ = out[cols] < 0
    out[cols[open_]] = of_eq[rows[open_]]
    return out


def _bounded_by_public(cells: set[int], eqs: list[Equation], value: np.ndarray,
                       current: np.ndarray, public: np.ndarray, virtual: np.ndarray,
                       need: np.ndarray) -> set[int]:
    """Of ``cells``, those the public figures alone (everything else of this release
    withheld, no earlier release) confine to fewer than ``need`` + 1 values."""
    if not cells:
        return set()
    unknown = (current & ~public) | (virtual & current)
    graph = _Graph(eqs, len(value))
    out = set()
    for t in sorted(cells):
        if not unknown[t]:
            out.add(t)
            continue
        rows = graph.component(t, unknown)
        if not rows:
            continue  # in no equation: unbounded
        region = _Region(graph.matrix, value)
        region.grow(rows, unknown)
        lo = hi = value[t]
        for sign in (-1.0, 1.0):
            x = region.solve({t: sign})
            if x is None:
                continue
            v = x[region.col[t]]
            lo, hi = min(lo, np.ceil(v - 1e-6)), max(hi, np.floor(v + 1e-6))
        if hi - lo < need[t] - 1e-9:
            out.add(t)
    return out


def _describe(names: pl.DataFrame, i: int) -> str:
    row = names.filter(pl.col("__id") == i)
    if row.height == 0:
        return f"cell {i} (a complement or a gap)"
    r = row.row(0, named=True)
    return f"{_cell_name(r)} ({r['__label']})"


def _fix_forced_zeros(eqs: list[Equation], value: np.ndarray, fixed: np.ndarray,
                      may_fix: np.ndarray) -> None:
    """Mark as fixed every cell that the fixed cells force to 0 (a published 0 makes every
    bureau's cell 0, and their mart cells): hiding such a zero protects nothing. Cells an
    earlier release withheld (not ``may_fix``) stay as they were."""
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
                    if may_fix[i]:
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
    """kpi_pace in publication form, from kpi's protected form: nothing that kpi does not
    already show (docs/DISCLOSURE.md, "The pace of the year").

    * ``ytd`` is kpi's value of the as-of FY and ``needed`` follows from it and the target:
      shown where that kpi value is, ``[c]`` where it is.
    * The projection (``expected_remainder``, ``projected`` and its interval, ``p_meet``,
      ``pace_status``) is made of the reference years' events *after the as-of day*: one
      month's ``expected_remainder`` minus the next month's is the reference years' mean
      count between the two fiscal days — the daily curve the pack leaves out — and the
      interval, the chance and even the outlook (a bound on the same mean, month after
      month) narrow it. In publication form they are always ``[c]``; only ``no_target`` and
      ``no_data`` (which depend on no value) are shown. The internal edition keeps them."""
    cols = [c for c in pace.columns]
    if pace.height == 0:
        return pace.with_columns(pl.col(c).cast(pl.String) for c in PACE_COLUMNS).select(cols)
    gone = kpi.select("metric", "fiscal_year", "bureau_code",
                      (pl.col("value") == SUPPRESSED).fill_null(False).alias("__cur"))
    out = pace.join(gone, on=["metric", "fiscal_year", "bureau_code"], how="left",
                    nulls_equal=True, maintain_order="left").with_columns(
        pl.col("__cur").fill_null(False), pl.lit(True).alias("__proj"))

    def text(column: str, hide: str) -> pl.Expr:  # (a figure that does not exist stays empty)
        shown = pl.col(column).map_elements(_num_text, return_dtype=pl.String)
        return (pl.when(pl.col(hide) & pl.col(column).is_not_null()).then(pl.lit(SUPPRESSED))
                .otherwise(shown).alias(column))

    keep = pl.col("pace_status").is_in(["no_target", "no_data"])
    return out.with_columns(
        text("ytd", "__cur"), text("needed", "__cur"),
        *(text(c, "__proj") for c in PROJECTION),
        pl.when(keep | pl.col("pace_status").is_null()).then(pl.col("pace_status"))
        .otherwise(pl.lit(SUPPRESSED))
        .alias("pace_status")).select(cols)


# kpi_pace's figures about the rest of the year: never in publication form (pace_text)
PROJECTION = ("expected_remainder", "projected", "projected_low", "projected_high", "p_meet")


def _mart_text(frame: pl.DataFrame, ds: Dataset, hidden: np.ndarray, value: np.ndarray
               ) -> pl.DataFrame:
    out = frame.with_columns(
        pl.Series(c, _cell_text(frame[f"__{c}"].to_list(), hidden, value), dtype=pl.String)
        for c in ds.counts)
    any_hidden = pl.any_horizontal(pl.col(c) == SUPPRESSED for c in ds.counts)
    # rows the mart really has, and the zero rows that hide something
    out = out.filter(pl.col("__orig") | any_hidden)
    return out.sort([pl.col(c) for c in ds.order], nulls_last=False).select(ds.column_names)
