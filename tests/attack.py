"""An attacker on the publication pack, written apart from the protection code.

It reads only what is released — the pack's ``<dataset>.csv`` files (the pace of the year in
progress, ``kpi_pace.csv``, included) and the published figures
(published.csv is public) — and what anyone can read in metrics.md: how each kpi cell is made
from the marts, which ministry rows are exact sums of their bureau rows, that a numerator is
at most its denominator, what a status says about a value against its target. Every ``[c]`` is
an unknown integer ≥ 0 (a secondary suppression may hide a 0); a mart row that is not in the
file is a 0. Every relation becomes a linear (in)equality, and a mixed-integer program
(scipy.optimize.milp, HiGHS) asks, for every protected cell, for its smallest and largest
possible value. A cell is *recovered* when both are equal. Complements (a denominator minus
its numerator, ``sent`` minus ``opened``, …) of 1 to threshold−1 people count as protected
cells too.

The truth (the internal warehouse) is used only to score: which unknowns are protected and
whether a solution the attacker found differs from the truth.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

MARC = "[c]"
COUNTS = {
    "mart_headcount": ("headcount", "digital_talent"),
    "mart_hiring": ("hires",),
    "mart_training": ("enrolments", "completions", "participants"),
    "mart_certification": ("sittings",),
    "mart_drills": ("sent", "opened", "reported"),
    "mart_career_posts": ("headcount",),
    "mart_career_training": ("eligible", "completed"),
}
# dropped on reading: names, and the organisation column of a pack made for the roll-up
NAME_COLUMNS = ("bureau_name", "bureau_name_ja", "bureau_name_en", "organisation")
# kpi metrics whose ministry row is exactly the sum of the bureau rows (everyone counted has
# a bureau: hiring.bureau_code, or the roster itself); the others may count people on no roster
EXACT_MINISTRY = {"digital_hires", "new_hire_a_level_rate", "new_hire_security_rate",
                  "secondees", "digital_talent_staff", "security_elearning_rate",
                  "promotion_training_rate", "ipa_certified_staff"}
TRAINING_CATEGORIES = ("unified_it", "it_seminar", "mic_digital", "exam_prep")

Expr = tuple[dict[int, float], float]  # Σ coef·var + constant


@dataclass
class Problem:
    names: list[tuple] = field(default_factory=list)  # what each unknown is
    eq: list[Expr] = field(default_factory=list)  # expr = 0
    le: list[Expr] = field(default_factory=list)  # expr ≤ 0
    owners: list[str | None] = field(default_factory=list)  # whose pack (joint attacks)
    owner: str | None = None  # the pack whose unknowns are being added

    def var(self, name: tuple) -> int:
        self.names.append(name)
        self.owners.append(self.owner)
        return len(self.names) - 1


def _num(text: str | None) -> float | None:
    return None if text is None or text == "" else float(text)


class Attacker:
    def __init__(self, pack: Path, published: Path | None, problem: Problem | None = None
                 ) -> None:
        self.p = problem if problem is not None else Problem()
        self.cells: dict[tuple, Expr] = {}  # (table, key, column) -> expr
        self.frames: dict[str, pl.DataFrame] = {}
        for name in ("kpi", *COUNTS):
            f = pl.read_csv(pack / f"{name}.csv", infer_schema=False, encoding="utf8-lossy")
            f = f.rename({f.columns[0]: f.columns[0].lstrip("\ufeff")})
            self.frames[name] = f.drop([c for c in NAME_COLUMNS if c in f.columns])
        self.published = (pl.read_csv(published, infer_schema=False)
                          if published is not None and published.exists() else None)
        # the pace of the year in progress (kpi_pace.csv), where the pack has it
        self.pace = None
        if (pack / "kpi_pace.csv").exists():
            f = pl.read_csv(pack / "kpi_pace.csv", infer_schema=False, encoding="utf8-lossy")
            f = f.rename({f.columns[0]: f.columns[0].lstrip("\ufeff")})
            self.pace = f.drop([c for c in NAME_COLUMNS if c in f.columns])
        self.complements: list[tuple[tuple, int]] = []  # (row identity, aux var)
        self._read_cells()
        self._relations()

    # --- cells ----------------------------------------------------------------------------
    def _keys(self, table: str) -> list[str]:
        if table == "kpi":
            return ["metric", "fiscal_year", "bureau_code"]
        return [c for c in self.frames[table].columns if c not in COUNTS[table]]

    def _read_cells(self) -> None:
        for table, f in self.frames.items():
            keys = self._keys(table)
            cols = ("numerator", "denominator") if table == "kpi" else COUNTS[table]
            for row in f.iter_rows(named=True):
                key = tuple(row[k] for k in keys)
                for c in cols:
                    v = row[c]
                    if v == MARC:
                        self.cells[(table, key, c)] = ({self.p.var((table, key, c)): 1.0}, 0.0)
                    elif v not in (None, ""):
                        self.cells[(table, key, c)] = ({}, float(v))

    def cell(self, table: str, key: tuple, column: str) -> Expr:
        return self.cells.get((table, key, column), ({}, 0.0))  # absent mart row = 0

    def rows(self, table: str, where: dict[str, object] | None = None,
             test=None) -> list[dict]:  # noqa: ANN001
        out = []
        for row in self.frames[table].iter_rows(named=True):
            if where and any(row[k] != v for k, v in where.items()):
                continue
            if test is not None and not test(row):
                continue
            out.append(row)
        return out

    def mart_sum(self, table: str, column: str, fy: str, bureau: str | None, test=None  # noqa: ANN001
                 ) -> Expr:
        """Σ of a mart column over its rows of FY ``fy`` (and bureau, unless None = all)."""
        keys = self._keys(table)
        where = {"fiscal_year": fy}
        if bureau is not None:
            where["bureau_code"] = bureau
        total: dict[int, float] = defaultdict(float)
        const = 0.0
        for row in self.rows(table, where, test):
            e, c = self.cell(table, tuple(row[k] for k in keys), column)
            for v, a in e.items():
                total[v] += a
            const += c
        return dict(total), const

    # --- relations ------------------------------------------------------------------------
    @staticmethod
    def lin(*terms: tuple[float, Expr], const: float = 0.0) -> Expr:
        out: dict[int, float] = defaultdict(float)
        for a, (e, c) in terms:
            for v, x in e.items():
                out[v] += a * x
            const += a * c
        return dict(out), const

    def _relations(self) -> None:
        p, lin = self.p, self.lin
        kpi = self.frames["kpi"]
        bureaus = sorted({b for b in kpi["bureau_code"].to_list() if b})
        by_metric = defaultdict(list)
        for row in kpi.iter_rows(named=True):
            by_metric[(row["metric"], row["fiscal_year"])].append(row)

        def k(metric: str, fy: str, b: str | None, col: str) -> Expr:
            return self.cell("kpi", (metric, fy, b), col)

        for (metric, fy), rows in by_metric.items():
            has_b = [r for r in rows if r["bureau_code"]]
            for col in ("numerator", "denominator"):
                if not has_b or all(r[col] is None for r in rows):
                    continue
                diff = lin((1, k(metric, fy, None, col)),
                           *((-1, k(metric, fy, r["bureau_code"], col)) for r in has_b))
                (p.eq if metric in EXACT_MINISTRY else p.le).append(
                    diff if metric in EXACT_MINISTRY else lin((-1, diff)))
            # numerator ≤ denominator, the complement, shown rates, statuses
            for r in rows:
                b = r["bureau_code"]
                num, den = k(metric, fy, b, "numerator"), k(metric, fy, b, "denominator")
                if r["denominator"] is not None:
                    self._complement(("kpi", metric, fy, b), den, num)
                    if r["value"] not in (None, "", MARC) and (num[0] or den[0]):
                        p.eq.append(lin((1, num), (-float(r["value"]), den)))
                self._status(r, num, den, metric, fy, b)
        # kpi cells = sums of mart cells (metrics.md definitions)
        links = [
            ("digital_hires", "numerator", "mart_hiring", "hires",
             lambda r: r["track"] == "digital_candidate"),
            ("new_hire_a_level_rate", "denominator", "mart_hiring", "hires", None),
            ("new_hire_security_rate", "denominator", "mart_hiring", "hires", None),
            ("ipa_passes", "numerator", "mart_certification", "sittings",
             lambda r: r["result"] == "pass"),
            ("phishing_open_rate", "numerator", "mart_drills", "opened", None),
            ("phishing_open_rate", "denominator", "mart_drills", "sent", None),
            ("phishing_report_rate", "numerator", "mart_drills", "reported", None),
            ("phishing_report_rate", "denominator", "mart_drills", "sent", None),
            ("digital_talent_staff", "numerator", "mart_headcount", "digital_talent", None),
            ("secondees", "numerator", "mart_headcount", "headcount",
             lambda r: r["placement"] in ("digital_agency", "ppc", "nisc")),
            ("security_elearning_rate", "denominator", "mart_headcount", "headcount",
             lambda r: r["employment_type"] != "political" and r["placement"] == "home"),
        ]
        fys = sorted({fy for _, fy in by_metric})
        for metric, col, table, mcol, test in links:
            for fy in fys:
                for b in [*bureaus, None]:
                    total = self.mart_sum(table, mcol, fy, b, test)
                    p.eq.append(lin((1, k(metric, fy, b, col)), (-1, total)))
        nonpol = lambda r: r["employment_type"] != "political"  # noqa: E731
        for fy in fys:
            for b in bureaus:
                for grade in ("staff", "chief"):
                    el = self.cell("mart_career_training", (fy, b, grade), "eligible")
                    hc = self.mart_sum("mart_headcount", "headcount", fy, b,
                                       lambda r, g=grade: r["grade"] == g and nonpol(r))
                    p.eq.append(lin((1, el), (-1, hc)))
                # inequalities
                tp = k("training_participants", fy, b, "numerator")
                parts = [r for r in self.rows("mart_training", {"fiscal_year": fy,
                                                                "bureau_code": b})
                         if r["category"] in TRAINING_CATEGORIES]
                pk = self._keys("mart_training")
                cells = [self.cell("mart_training", tuple(r[x] for x in pk), "participants")
                         for r in parts]
                for c in cells:
                    p.le.append(lin((1, c), (-1, tp)))
                p.le.append(lin((1, tp), *((-1, c) for c in cells)))
                staff = self.mart_sum("mart_headcount", "headcount", fy, b, nonpol)
                p.le.append(lin((1, k("ipa_certified_staff", fy, b, "numerator")), (-1, staff)))
                promo = self.mart_sum("mart_headcount", "headcount", fy, b, lambda r: nonpol(r)
                                      and r["grade"] in ("chief", "deputy_director"))
                p.le.append(lin((1, k("promotion_training_rate", fy, b, "denominator")),
                                (-1, promo)))
                for r in self.rows("mart_career_posts", {"fiscal_year": fy, "bureau_code": b}):
                    post = self.cell("mart_career_posts", tuple(r[x] for x in self._keys(
                        "mart_career_posts")), "headcount")
                    hc = self.mart_sum("mart_headcount", "headcount", fy, b,
                                       lambda x, g=r["grade"]: x["grade"] == g)
                    p.le.append(lin((1, post), (-1, hc)))
        # within-row orderings of the marts, with their complements
        for table, big, small in (("mart_drills", "sent", "opened"),
                                  ("mart_drills", "sent", "reported"),
                                  ("mart_headcount", "headcount", "digital_talent"),
                                  ("mart_career_training", "eligible", "completed"),
                                  ("mart_training", "enrolments", "completions"),
                                  ("mart_training", "completions", "participants")):
            keys = self._keys(table)
            for r in self.frames[table].iter_rows(named=True):
                key = tuple(r[x] for x in keys)
                self._complement((table, key, big, small), self.cell(table, key, big),
                                 self.cell(table, key, small))
        self._pace_relations(k)
        # the published figures are public
        if self.published is not None:
            for r in self.published.iter_rows(named=True):
                if r["metric"] == "digital_hires":
                    p.eq.append(lin((1, k("digital_hires", r["fiscal_year"], None,
                                          "numerator")), const=-float(r["value"])))

    def _pace_relations(self, k) -> None:  # noqa: ANN001
        """kpi_pace (metrics.md): ytd is kpi's value of the as-of FY; for counts, needed =
        max(0, target_min − ytd) and the interval's lower end is ytd + a quantile ≥ 0."""
        if self.pace is None:
            return
        p, lin = self.p, self.lin
        kpi = {(r["metric"], r["fiscal_year"], r["bureau_code"]): r
               for r in self.frames["kpi"].iter_rows(named=True)}
        for r in self.pace.iter_rows(named=True):
            fy, b, metric = r["fiscal_year"], r["bureau_code"], r["metric"]
            row = kpi.get((metric, fy, b))
            if row is None:
                continue
            num, den = k(metric, fy, b, "numerator"), k(metric, fy, b, "denominator")
            is_rate = row["denominator"] is not None
            ytd = r["ytd"]
            if ytd not in (None, "", MARC):
                p.eq.append(lin((1, num), (-float(ytd), den)) if is_rate
                            else lin((1, num), const=-float(ytd)))
            if is_rate:
                continue
            low = r["projected_low"]
            if low not in (None, "", MARC):
                p.le.append(lin((1, num), const=-float(low)))  # ytd ≤ low
            needed, lo = r["needed"], _num(row["target_min"])
            if needed not in (None, "", MARC) and lo is not None:
                if float(needed) > 0:
                    p.eq.append(lin((1, num), const=-(lo - float(needed))))
                else:
                    p.le.append(lin((-1, num), const=lo))  # ytd ≥ target_min

    def _complement(self, ident: tuple, big: Expr, small: Expr) -> None:
        """big − small = aux ≥ 0 (the aux is scored as a protected cell when small)."""
        aux = self.p.var(("complement", *ident))
        self.p.eq.append(self.lin((1, big), (-1, small), (-1, ({aux: 1.0}, 0.0))))
        self.complements.append((ident, aux))

    def _status(self, r: dict, num: Expr, den: Expr, metric: str, fy: str,
                b: str | None) -> None:
        status, kind = r["status"], r["target_kind"]
        if r["value"] != MARC or status in (None, "", MARC, "no_target", "in_progress",
                                            "no_data"):
            return
        p, lin, eps = self.p, self.lin, 1e-6
        lo, hi = _num(r["target_min"]), _num(r["target_max"])
        is_rate = r["denominator"] is not None

        def at_least(t: float) -> Expr:  # t·den − num ≤ 0  (value ≥ t)
            return lin((t, den), (-1, num)) if is_rate else lin((-1, num), const=t)

        def more_than(t: float) -> Expr:  # value > t
            return (lin((t, den), (-1, num), const=eps) if is_rate
                    else lin((-1, num), const=np.floor(t) + 1))

        def at_most(t: float) -> Expr:
            return lin((1, num), (-t, den)) if is_rate else lin((1, num), const=-t)

        def less_than(t: float) -> Expr:
            return (lin((1, num), (-t, den), const=eps) if is_rate
                    else lin((1, num), const=-(np.ceil(t) - 1)))

        if kind == "min" and lo is not None:
            p.le.append(at_least(lo) if status == "met" else less_than(lo))
        elif kind == "max" and hi is not None:
            p.le.append(at_most(hi) if status == "met" else more_than(hi))
        elif kind == "range" and lo is not None and hi is not None:
            if status == "met":
                p.le += [at_least(lo), at_most(hi)]
            elif status == "below":
                p.le.append(less_than(lo))
            elif status == "above":
                p.le.append(more_than(hi))
        elif kind == "growth" and ("kpi", (metric, str(int(fy) - 1), b),
                                   "numerator") in self.cells:
            prev = self.cell("kpi", (metric, str(int(fy) - 1), b), "numerator")
            if status == "met":
                p.le.append(lin((1, prev), (-1, num), const=1))
            elif status == "below":
                p.le.append(lin((1, num), (-1, prev)))


# --- the truth (for scoring only) ---------------------------------------------------------------

def truth(warehouse: Path, names: list[tuple]) -> np.ndarray:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = {t: con.sql(f"SELECT * FROM {t}").pl() for t in ("kpi", *COUNTS)}
    finally:
        con.close()
    idx: dict[tuple, dict] = {}
    for t, f in tables.items():
        keys = (["metric", "fiscal_year", "bureau_code"] if t == "kpi"
                else [c for c in f.columns if c not in COUNTS[t]])
        for row in f.iter_rows(named=True):
            idx[(t, tuple(_text(row[k]) for k in keys))] = row
    out = np.zeros(len(names))
    for i, name in enumerate(names):
        if name[0] == "complement":
            ident = name[1:]
            if ident[0] == "kpi":
                row = idx.get(("kpi", tuple(ident[1:])), {})
                out[i] = (row.get("denominator") or 0) - (row.get("numerator") or 0)
            else:
                table, key, big, small = ident
                row = idx.get((table, key), {})
                out[i] = (row.get(big) or 0) - (row.get(small) or 0)
        else:
            table, key, col = name
            out[i] = idx.get((table, key), {}).get(col) or 0
    return out


def _text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


# --- solving ------------------------------------------------------------------------------------

@dataclass
class Result:
    protected: int  # [c] cells + complements of 1..threshold-1
    recovered: list[tuple]  # (name, value) the attacker pins to one value
    infeasible_at_truth: list[str]  # relations the truth breaks (the attacker's model is wrong)


def attack(pack: Path, published: Path | None, warehouse: Path, threshold: int) -> Result:
    a = Attacker(pack, published)
    return solve_all(a.p, truth(warehouse, a.p.names), threshold)


def attack_rollup(rollup: Path, parts: list[tuple[str, Path, Path | None, Path]],
                  threshold: int) -> Result:
    """Every organisation's pack (``parts``: organisation, pack, published.csv, its warehouse
    for scoring) and the roll-up file at once: one joint problem. The roll-up adds, for every
    figure it shows, an equation: an organisation's row equals the shown value, and an
    ``ALL`` row's numerator / denominator equals the sum of the organisations' cells (so
    ``ALL`` − the others is in the model), and its ``value_low`` / ``value_high`` bounds as
    inequalities."""
    p = Problem()
    attackers: dict[str, Attacker] = {}
    for org, pack_dir, published, _ in parts:
        p.owner = org
        attackers[org] = Attacker(pack_dir, published, p)
    lin = Attacker.lin
    con = duckdb.connect(str(rollup), read_only=True)
    try:
        rows = con.sql("SELECT * FROM rollup_kpi").pl()
    finally:
        con.close()
    for r in rows.iter_rows(named=True):
        key = (r["metric"], str(r["fiscal_year"]), r["bureau_code"])
        is_rate = r["metric"].endswith("_rate")
        if r["organisation"] != "ALL":
            a = attackers[r["organisation"]]
            for col in ("numerator", "denominator"):
                if r[col] is not None:
                    p.eq.append(lin((1, a.cell("kpi", key, col)), const=-float(r[col])))
            continue
        cells = {col: [a.cell("kpi", key, col) for a in attackers.values()]
                 for col in ("numerator", "denominator")}
        for col in ("numerator", "denominator"):
            if r[col] is not None:
                p.eq.append(lin(*((1, c) for c in cells[col]), const=-float(r[col])))
        num = cells["numerator"]
        if r["value"] is not None and not is_rate:
            p.eq.append(lin(*((1, c) for c in num), const=-float(r["value"])))
        if r["value_low"] is not None:
            if is_rate and r["denominator"] is not None:
                p.le.append(lin(*((-1, c) for c in num),
                                const=float(r["value_low"]) * float(r["denominator"]) - 1e-6))
            elif not is_rate:
                p.le.append(lin(*((-1, c) for c in num), const=float(r["value_low"])))
        if r["value_high"] is not None and is_rate and r["denominator"] is not None:
            p.le.append(lin(*((1, c) for c in num),
                            const=-float(r["value_high"]) * float(r["denominator"]) - 1e-6))
    x_true = np.zeros(len(p.names))
    for org, _, _, warehouse in parts:
        idx = [i for i, o in enumerate(p.owners) if o == org]
        x_true[idx] = truth(warehouse, [p.names[i] for i in idx])
    return solve_all(p, x_true, threshold)


def solve_all(p: Problem, x_true: np.ndarray, threshold: int) -> Result:
    """For every protected unknown of ``p``, its smallest and largest feasible value."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array, csr_array
    from scipy.sparse.csgraph import connected_components

    n = len(p.names)
    # the attacker's relations must hold for the truth, or the attack proves nothing
    broken = []
    for kind, rows in (("eq", p.eq), ("le", p.le)):
        for e, c in rows:
            v = sum(x * x_true[i] for i, x in e.items()) + c
            if (kind == "eq" and abs(v) > 1e-6) or (kind == "le" and v > 1e-6):
                broken.append(f"{kind} {[(p.names[i], x) for i, x in e.items()][:4]} {c} -> {v}")
    protected = [i for i, name in enumerate(p.names)
                 if name[0] != "complement" or 1 <= x_true[i] < threshold]
    # components of unknowns linked by relations
    cons = [(e, c, True) for e, c in p.eq if e] + [(e, c, False) for e, c in p.le if e]
    r, col = [], []
    for j, (e, _, _) in enumerate(cons):
        for i in e:
            r.append(j)
            col.append(i + len(cons))
    size = len(cons) + n
    g = coo_array((np.ones(len(r)), (r, col)), shape=(size, size))
    _, label = connected_components(g, directed=False)
    by_comp: dict[int, list[int]] = defaultdict(list)
    for j in range(len(cons)):
        by_comp[int(label[j])].append(j)
    in_comp = {i: int(label[i + len(cons)]) for i in range(n)}
    recovered: list[tuple] = []
    todo_by: dict[int, list[int]] = defaultdict(list)
    for i in protected:
        todo_by[in_comp[i]].append(i)
    for comp, todo in todo_by.items():
        rows = by_comp.get(comp, [])
        if not rows:
            continue  # in no relation: anything ≥ 0
        members = sorted({i for j in rows for i in cons[j][0]})
        pos = {v: k for k, v in enumerate(members)}
        data, ri, ci, lo, hi = [], [], [], [], []
        for k_, j in enumerate(rows):
            e, c, is_eq = cons[j]
            for i, x in e.items():
                data.append(x)
                ri.append(k_)
                ci.append(pos[i])
            lo.append(-c if is_eq else -np.inf)
            hi.append(-c)
        mat = csr_array((data, (ri, ci)), shape=(len(rows), len(members)))
        constraint = LinearConstraint(mat, lo, hi)
        integrality = np.ones(len(members))
        bounds = Bounds(0, np.inf)

        def solve(cvec: np.ndarray, constraint: LinearConstraint = constraint,
                  integrality: np.ndarray = integrality, bounds: Bounds = bounds):  # noqa: ANN202
            return milp(cvec, constraints=constraint, integrality=integrality, bounds=bounds,
                        options={"time_limit": 60})

        open_ = [i for i in todo]
        for sign in (-1.0, 1.0):
            cvec = np.zeros(len(members))
            for i in open_:
                cvec[pos[i]] = sign
            res = solve(cvec)
            if res.x is not None:
                open_ = [i for i in open_ if abs(res.x[pos[i]] - x_true[i]) < 0.5]
        for i in open_:
            moved = False
            for sign in (-1.0, 1.0):
                cvec = np.zeros(len(members))
                cvec[pos[i]] = sign
                res = solve(cvec)
                if res.x is None:  # unbounded when maximising
                    moved = moved or sign < 0
                elif abs(res.x[pos[i]] - x_true[i]) >= 0.5:
                    moved = True
                if moved:
                    break
            if not moved:
                who = (p.owners[i],) if p.owners[i] is not None else ()
                recovered.append((*who, p.names[i], float(x_true[i])))
    return Result(len(protected), recovered, broken)
