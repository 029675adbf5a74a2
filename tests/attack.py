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

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from pipelines.sample.cut import cut  # noqa: F401  (the tests' attack.cut)

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
        meta = pack / "publication.json"
        as_of = json.loads(meta.read_text(encoding="utf-8")).get("as_of_date") if (
            meta.exists()) else None
        self.as_of = dt.date.fromisoformat(as_of) if as_of else None
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
        if not hasattr(self, "_index"):
            self._index: dict[tuple, list[dict]] = defaultdict(list)
        if (table,) not in self._index:  # rows by FY and by (FY, bureau), read once
            for row in self.frames[table].iter_rows(named=True):
                self._index[(table,)].append(row)
                fy, b = row.get("fiscal_year"), row.get("bureau_code")
                self._index[(table, fy)].append(row)
                self._index[(table, fy, b)].append(row)
        where = dict(where or {})
        fy, b = where.pop("fiscal_year", None), where.pop("bureau_code", None)
        key = (table,) if fy is None else (table, fy) if b is None else (table, fy, b)
        if fy is None and b is not None:
            key, where = (table,), {"bureau_code": b, **where}
        out = []
        for row in self._index.get(key, []):
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
        self._caps(k, fys, [*bureaus, None])
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

    def _caps(self, k, fys: list[str], bureaus: list[str | None]) -> None:  # noqa: ANN001
        """Bounds from one course or one drill (metrics.md): a person counted in the
        e-learning (follow-up) numerator completed that course, so the numerator is at most
        the course's participants; the follow-up denominator counts distinct openers, so it
        lies between the largest drill's ``opened`` and their sum — equal to the one drill's
        ``opened`` while only one drill has been held."""
        p, lin = self.p, self.lin
        drill_keys = self._keys("mart_drills")
        for fy in fys:
            for b in bureaus:
                for metric, category in (("security_elearning_rate", "security_elearning"),
                                         ("phishing_followup_rate", "phishing_followup")):
                    if ("kpi", (metric, fy, b), "numerator") not in self.cells:
                        continue
                    cap = self.mart_sum("mart_training", "participants", fy, b,
                                        lambda r, c=category: r["category"] == c)
                    p.le.append(lin((1, k(metric, fy, b, "numerator")), (-1, cap)))
                if ("kpi", ("phishing_followup_rate", fy, b), "denominator") not in self.cells:
                    continue
                den = k("phishing_followup_rate", fy, b, "denominator")
                where = {"fiscal_year": fy} | ({"bureau_code": b} if b is not None else {})
                drills: dict[str, list[Expr]] = defaultdict(list)
                for r in self.rows("mart_drills", where):
                    drills[r["drill_id"]].append(
                        self.cell("mart_drills", tuple(r[x] for x in drill_keys), "opened"))
                if not drills:
                    continue
                per_drill = [lin(*((1, c) for c in cs)) for cs in drills.values()]
                for opened in per_drill:
                    p.le.append(lin((1, opened), (-1, den)))  # each drill's openers ≤ den
                p.le.append(lin((1, den), *((-1, o) for o in per_drill)))  # den ≤ Σ

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
            proj, rem = r["projected"], r["expected_remainder"]
            if proj not in (None, "", MARC) and rem not in (None, "", MARC):
                p.eq.append(lin((1, num), const=-(float(proj) - float(rem))))  # ytd
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
    # small cells (true count 1..threshold-1, [c] or complement) whose feasible range holds
    # fewer than ``threshold`` consecutive values: (name, value, low, high)
    narrowed: list[tuple] = field(default_factory=list)
    # cells whose integer programs hit the time limit before either proof: (name, value,
    # witnessed low, high, proven low, high) — never counted as protected
    unresolved: list[tuple] = field(default_factory=list)


def attack(pack: Path, published: Path | None, warehouse: Path, threshold: int,
           intervals: bool = False) -> Result:
    a = Attacker(pack, published)
    return solve_all(a.p, truth(warehouse, a.p.names), threshold, intervals,
                     caps=published_caps(a.p, published, [a]))


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
    return solve_all(p, x_true, threshold, intervals=False)


def attack_releases(releases: list[tuple[str, Path, Path]], published: Path | None,
                    threshold: int, intervals: bool = True, stop_after: int | None = None,
                    integer: bool = True, time_limit: float = 60.0) -> Result:
    """Several releases of one organisation (``releases``: label, pack, its warehouse for
    scoring; oldest first), attacked as one problem: each pack's relations, and between two
    successive packs, for every count both show or withhold — a FY completed at the earlier
    as-of date has the same value in both; the year in progress only accumulates (events
    and roster stocks alike: later ≥ earlier)."""
    p = Problem()
    packs: list[Attacker] = []
    for label, pack_dir, _ in releases:
        p.owner = label
        packs.append(Attacker(pack_dir, published, p))
    lin = Attacker.lin
    for a, b in zip(packs, packs[1:], strict=False):
        assert a.as_of is not None and b.as_of is not None and a.as_of <= b.as_of
        open_fy = a.as_of.year if a.as_of.month >= 4 else a.as_of.year - 1
        year_done = a.as_of >= dt.date(open_fy + 1, 3, 31)
        keys = {(t, key, c) for (t, key, c) in (*a.cells, *b.cells)}
        for table, key, col in sorted(keys, key=str):
            fy_pos = 1 if table == "kpi" else a._keys(table).index("fiscal_year")
            fy = int(key[fy_pos])
            diff = lin((1, b.cell(table, key, col)), (-1, a.cell(table, key, col)))
            if not diff[0]:
                continue
            if fy < open_fy or year_done:
                p.eq.append(diff)  # a completed FY: the same figure
            else:
                p.le.append(lin((-1, diff)))  # the year in progress: later ≥ earlier
    x_true = np.zeros(len(p.names))
    for label, _, warehouse in releases:
        idx = [i for i, o in enumerate(p.owners) if o == label]
        x_true[idx] = truth(warehouse, [p.names[i] for i in idx])
    return solve_all(p, x_true, threshold, intervals, stop_after,
                     published_caps(p, published, packs), integer, time_limit)


def published_caps(p: Problem, published: Path | None,
                   packs: Sequence[Attacker] = ()) -> dict[int, float]:
    """Unknowns a public ministry figure bounds by itself: a bureau's digital hires (its kpi
    numerator, its mart_hiring digital-candidate row) lie in [0, the total] when the total is
    published (published.csv) or shown (a declared public figure, public_figures.csv)."""
    totals: dict[str, float] = {}
    if published is not None and published.exists():
        totals = {r["fiscal_year"]: float(r["value"]) for r in pl.read_csv(
            published, infer_schema=False).iter_rows(named=True)
            if r["metric"] == "digital_hires"}
    for a in packs:
        for (table, key, col), (e, c) in a.cells.items():
            if (table == "kpi" and key[0] == "digital_hires" and key[2] is None
                    and col == "numerator" and not e):
                totals[key[1]] = max(totals.get(key[1], 0.0), c)  # the strictest
    caps = {}
    for i, name in enumerate(p.names):
        if name[0] == "kpi" and name[1][0] == "digital_hires" and name[1][1] in totals:
            caps[i] = totals[name[1][1]]
        elif (name[0] == "mart_hiring" and name[1][2] == "digital_candidate"
              and name[1][0] in totals):
            caps[i] = totals[name[1][0]]
    return caps


def pace_between_days(packs: list[Path]) -> list[tuple]:
    """What successive months' ``kpi_pace`` tell of the reference years between two fiscal
    days: the mean remainder after day d is ``expected_remainder`` (or projected − ytd), so
    two months' difference is the reference years' mean count of events between the two
    days — the daily curve the pack leaves out. Returns (metric, bureau, day1, day2, mean
    events between) for every row shown in two successive packs."""
    def remainders(pack: Path) -> dict[tuple, tuple[int, float]]:
        f = pl.read_csv(pack / "kpi_pace.csv", infer_schema=False, encoding="utf8-lossy")
        f = f.rename({f.columns[0]: f.columns[0].lstrip("\ufeff")})
        out = {}
        for r in f.iter_rows(named=True):
            rem = _num(r["expected_remainder"]) if r["expected_remainder"] != MARC else None
            if rem is None and r["projected"] not in (None, "", MARC) and r["ytd"] not in (
                    None, "", MARC) and not r["metric"].endswith("_rate"):
                rem = float(r["projected"]) - float(r["ytd"])
            if rem is not None:
                out[(r["metric"], r["bureau_code"])] = (int(r["fy_day"]), rem)
        return out

    found = []
    for a, b in zip(packs, packs[1:], strict=False):
        ra, rb = remainders(a), remainders(b)
        for key in sorted(set(ra) & set(rb), key=str):
            (d1, x1), (d2, x2) = ra[key], rb[key]
            if d1 < d2:
                found.append((*key, d1, d2, x1 - x2))
    return found


class _Model:
    """One component's relations as a HiGHS model over its unknowns (0 ≤ x ≤ 10⁷: finite, so
    a push up is never unbounded and proves width): the same model serves every solve, LP
    (warm simplex) or integer program, only the objective and integrality change."""

    def __init__(self, rows: list[tuple[dict[int, float], float, bool]], members: list[int],
                 time_limit: float) -> None:
        import highspy
        from scipy.sparse import csr_array

        self.hs = highspy
        self.pos = {v: k for k, v in enumerate(members)}
        self.n = n = len(members)
        data, ri, ci, lo, hi = [], [], [], [], []
        for k_, (e, c, is_eq) in enumerate(rows):
            for i, x in e.items():
                data.append(x)
                ri.append(k_)
                ci.append(self.pos[i])
            lo.append(-c if is_eq else -np.inf)
            hi.append(-c)
        self.a = csr_array((data, (ri, ci)), shape=(len(rows), n))
        self.lo, self.hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        a = self.a.tocsc()
        a.sort_indices()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, 1e7)
        lp.row_lower_ = self.lo
        lp.row_upper_ = self.hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        self.h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("mip_rel_gap", 0.0)  # integer objectives: prove the optimum itself
        h.passModel(lp)
        self.time_limit = time_limit
        self.idx = np.arange(n, dtype=np.int32)
        self.integer = False

    def _kind(self, integer: bool) -> None:
        if integer != self.integer:
            kind = self.hs.HighsVarType.kInteger if integer else self.hs.HighsVarType.kContinuous
            self.h.changeColsIntegrality(self.n, self.idx, np.array([kind] * self.n))
            self.integer = integer

    def solve(self, weights: dict[int, float], integer: bool
              ) -> tuple[np.ndarray | None, float | None, bool]:
        """Minimise Σ weight·x: (a feasible point or None, a proven lower bound of the
        objective or None, whether the point is integral — an integer witness)."""
        h, hs = self.h, self.hs
        self._kind(integer)
        c = np.zeros(self.n)
        for i, w in weights.items():
            c[self.pos[i]] = w
        h.changeColsCost(self.n, self.idx, c)
        h.setOptionValue("time_limit", h.getRunTime() + self.time_limit)  # a cumulative clock
        h.run()
        status, info = h.getModelStatus(), h.getInfo()
        x = None
        if info.primal_solution_status == 2:  # feasible
            x = np.asarray(h.getSolution().col_value)
        bound = None
        if status == hs.HighsModelStatus.kOptimal:
            bound = info.mip_dual_bound if integer else info.objective_function_value
        elif integer and status == hs.HighsModelStatus.kTimeLimit:
            bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else None
        # a witness is checked here, not taken on the solver's word
        whole = x is not None and bool(np.all(np.abs(x - np.round(x)) < 1e-6))
        if whole:
            r = self.a @ np.round(x)
            whole = bool(np.all(r >= self.lo - 1e-6) and np.all(r <= self.hi + 1e-6)
                         and np.all(np.round(x) >= 0))
        return x, bound, whole


def solve_all(p: Problem, x_true: np.ndarray, threshold: int, intervals: bool = True,
              stop_after: int | None = None, caps: dict[int, float] | None = None,
              integer: bool = True, time_limit: float = 60.0) -> Result:
    """For every protected unknown of ``p``, its smallest and largest feasible value: pinned
    (both equal) is *recovered*; a small count (1..threshold−1, a cell or a complement) whose
    range holds fewer than ``threshold`` values is *narrowed* (``intervals``: the protection
    interval rule; without it only pins are looked for). ``caps``: unknowns that public
    figures alone bound to ``[0, cap]`` (a bureau's digital hires under a published total):
    a range as wide as that is not narrowed by the release. ``stop_after``: return once that
    many cells are found (a control needs one).

    ``integer``: the exact attack (counts are integers); False: its LP relaxation (a range
    at least as wide). Each connected component of the relations is solved on its own
    (a cell's range depends on nothing else). A cell is *protected* once two integer points
    satisfying every relation (witnesses) lie ``need`` apart — the truth is one, the others
    come from pushes of many open cells at once (integer programs, or LP vertices that happen
    to be integral); it is *narrowed*/*recovered* once a proven bound (the LP relaxation's
    optimum, or the integer program's dual bound) leaves it fewer values. A cell whose
    integer programs hit ``time_limit`` seconds before either is *unresolved* (reported, never
    counted as protected). The truth is given to the integer programs as a first incumbent:
    it speeds the search and changes no proven bound."""
    from scipy.sparse import coo_array
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
    narrowed: list[tuple] = []
    unresolved: list[tuple] = []
    todo_by: dict[int, list[int]] = defaultdict(list)
    for i in protected:
        todo_by[in_comp[i]].append(i)
    # the range each cell must span: t − 1 for a small count (t values), else 1
    caps = caps or {}
    need = {i: min((threshold - 1 if 1 <= x_true[i] < threshold else 1) if intervals else 1,
                   max(caps.get(i, np.inf), 1)) for i in protected}
    lo_seen = {i: float(x_true[i]) for i in protected}  # witnessed (integer points)
    hi_seen = dict(lo_seen)
    lo_proven = {i: 0.0 for i in protected}  # proven bounds of the integer range
    hi_proven = {i: 1e7 for i in protected}

    def wide(i: int) -> bool:
        return hi_seen[i] - lo_seen[i] >= need[i] - 0.5

    def narrow(i: int) -> bool:
        return hi_proven[i] - lo_proven[i] < need[i] - 0.5

    for comp in sorted(todo_by, key=lambda c: len(by_comp.get(c, []))):
        if stop_after is not None and len(recovered) + len(narrowed) >= stop_after:
            break
        todo = todo_by[comp]
        rows = by_comp.get(comp, [])
        if not rows:
            continue  # in no relation: anything ≥ 0
        members = sorted({i for j in rows for i in cons[j][0]})
        model = _Model([cons[j] for j in rows], members, time_limit)

        def witness(x: np.ndarray, cells: list[int], pos: dict = model.pos) -> None:
            for i in cells:
                v = float(np.round(x[pos[i]]))
                lo_seen[i], hi_seen[i] = min(lo_seen[i], v), max(hi_seen[i], v)

        def push(cells: list[int], as_integer: bool, model: _Model = model) -> list[int]:
            """Push ``cells`` all down, then all up, while that witnesses some."""
            for _ in range(4):
                before = len(cells)
                for sign in (1.0, -1.0):
                    x, _, whole = model.solve({i: sign for i in cells}, as_integer)
                    if x is not None and (whole or not integer):
                        witness(x, cells)
                    cells = [i for i in cells if not wide(i)]
                if not cells or len(cells) == before:
                    break
            return cells

        open_ = push(push(list(todo), False), integer) if integer else list(todo)
        for i in open_:
            if wide(i):
                continue
            for as_integer in ((False, True) if integer else (False,)):
                for sign in (1.0, -1.0):  # smallest, then largest
                    x, bound, whole = model.solve({i: sign}, as_integer)
                    if x is not None and (whole or not integer):
                        witness(x, open_ if whole else [i])
                    if bound is not None:
                        if sign > 0:
                            lo_proven[i] = max(lo_proven[i], np.ceil(bound - 1e-6))
                        else:
                            hi_proven[i] = min(hi_proven[i], np.floor(-bound + 1e-6))
                    if wide(i) or narrow(i):
                        break
                if wide(i) or narrow(i):
                    break
            if wide(i):
                continue
            who = (p.owners[i],) if p.owners[i] is not None else ()
            if not integer:  # the relaxation's optimum is the range (both proven)
                lo_proven[i], hi_proven[i] = lo_seen[i], hi_seen[i]
            if narrow(i):
                if hi_proven[i] == lo_proven[i]:
                    recovered.append((*who, p.names[i], float(x_true[i])))
                else:
                    narrowed.append((*who, p.names[i], float(x_true[i]), lo_proven[i],
                                     hi_proven[i]))
            else:
                unresolved.append((*who, p.names[i], float(x_true[i]), lo_seen[i], hi_seen[i],
                                   lo_proven[i], hi_proven[i]))
    return Result(len(protected), recovered, broken, narrowed, unresolved)
