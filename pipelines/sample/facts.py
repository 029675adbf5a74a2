"""The sample's facts: training enrolments, phishing-drill mails and IPA exam sittings, FY by
FY, following the plan's §3 and §5 programmes."""

from __future__ import annotations

import numpy as np

from pipelines.sample.people import Kind, People, grade_in
from pipelines.sample.reference import B_CODES, B_IDX, C_IDX, E_IDX, EXAMS, U_DIGITAL
from pipelines.sample.story import (
    AS_OF_DAY,
    DIGITAL_COURSE_RATE,
    DRILL_SAMPLE,
    ELEARN_BASE,
    ELEARN_PERFECT,
    ETYPE,
    FIRST_FY,
    FOLLOWUP_RATE,
    GRADE,
    HIRE_A_RATE,
    NEW_HIRE_RATE,
    NO,
    NONE,
    OPEN_RATE,
    PLACE,
    PREP_RATE,
    PROMO_RATE,
    REPORT_RATE,
    SIT_RATE,
    TRACK,
    autumn_exam_day,
    choice,
    drill_days,
    fy_first_day,
    fy_hi_day,
    fy_last_day,
    per_grade,
    pick_weighted,
    spring_exam_day,
    uniform_days,
    weekday_back,
)

INCOMPLETE = -1  # the completion day of an incomplete enrolment


class TrainingRows:
    """Collects training rows as NumPy columns."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {"p": [], "c": [], "fy": [], "day": []}

    def add(self, person: np.ndarray, course: np.ndarray | int, fy: int, day: np.ndarray) -> None:
        """day < 0 or after the as-of date: incomplete."""
        n = len(person)
        day = np.asarray(day, dtype=np.int64)
        day = np.where(day > AS_OF_DAY, INCOMPLETE, day)
        self.cols["p"].append(np.asarray(person, dtype=np.int64))
        self.cols["c"].append(np.broadcast_to(np.asarray(course, dtype=np.int16), (n,)))
        self.cols["fy"].append(np.full(n, fy, dtype=np.int16))
        self.cols["day"].append(np.broadcast_to(day, (n,)).astype(np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


def _with_incomplete(rng: np.random.Generator, done: np.ndarray, days: np.ndarray,
                     keep_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Completed rows plus a share of the non-completers as incomplete enrolments."""
    keep = done | (rng.random(len(done)) < keep_share)
    return keep, np.where(done, days, INCOMPLETE)


def hire_training(rng: np.random.Generator, pp: People, fy: int, rows: TrainingRows) -> None:
    hires = np.flatnonzero((pp.kind == Kind.HIRE) & (pp.start == fy))
    n = len(hires)
    if not n:
        return
    hi = fy_hi_day(fy)
    day = pp.entry[hires].astype(np.int64)
    dc = pp.track[hires] == TRACK["digital_candidate"]
    # new-hire course within days of joining
    done = np.zeros(n, dtype=bool)
    done[rng.permutation(n)[: int(round(NEW_HIRE_RATE[fy] * n))]] = True
    d = np.minimum(day + rng.integers(0, 11, n), hi)
    rows.add(hires, C_IDX["NEWHIRE"], fy, np.where(done, d, INCOMPLETE))
    # unified training level A in the hire FY (digital candidates always)
    order = np.argsort(rng.random(n) - 2.0 * dc, kind="stable")
    done = np.zeros(n, dtype=bool)
    done[order[: int(round(HIRE_A_RATE[fy] * n))]] = True
    d = np.minimum(day + rng.integers(10, 160, n), hi)
    keep, d = _with_incomplete(rng, done, d, 0.5)
    rows.add(hires[keep], C_IDX["UIT-A"], fy, d[keep])


def elearning(rng: np.random.Generator, pp: People, r: dict[str, np.ndarray], fy: int,
               rows: TrainingRows, bureau_off: np.ndarray) -> None:
    m = (r["etype"] != ETYPE["political"]) & (r["place"] == PLACE["home"])
    idx, b = r["idx"][m], r["bureau"][m]
    n = len(idx)
    noise = rng.normal(0, 0.004, len(B_CODES))
    p_b = np.clip(ELEARN_BASE[fy] + bureau_off + noise, 0.955, 0.996)
    for code, f in ELEARN_PERFECT:
        if f == fy:
            p_b[B_IDX[code]] = 1.0
    done = rng.random(n) < p_b[b]
    # self-paced all year; most finish Jun..Jan, a rush in Feb/March, some on March 31
    fs, fe = fy_first_day(fy), fy_last_day(fy)
    u = rng.random(n)
    lo = np.where(u < 0.72, fs + 61, np.where(u < 0.99, fe - 58, fe))
    hi = np.where(u < 0.72, fe - 59, fe)
    entry = pp.entry[idx].astype(np.int64)
    lo = np.maximum(lo, entry)
    hi = np.maximum(hi, lo)
    d = uniform_days(rng, lo, hi)
    keep, d = _with_incomplete(rng, done, d, 0.7)
    rows.add(idx[keep], C_IDX["SEC-EL"], fy, d[keep])


def digital_courses(rng: np.random.Generator, pp: People, r: dict[str, np.ndarray], fy: int,
                     staff: int, rows: TrainingRows) -> None:
    idx = r["idx"]
    elig = ((r["etype"] != ETYPE["political"]) & (r["place"] == PLACE["home"])
            & (pp.entry[idx] < fy_first_day(fy)))
    in_post = (r["unit"] != NONE) & U_DIGITAL[np.maximum(r["unit"], 0)]
    gfac = per_grade({"staff": 1.0, "chief": 1.0, "deputy_director": 0.6, "director": 0.3,
                      "executive": 0.1})[r["grade"]]
    w = (1 + 4 * r["dt"] + 2 * in_post) * gfac * elig
    chosen = pick_weighted(rng, w, int(round(staff * DIGITAL_COURSE_RATE[fy])))
    grade = r["grade"][chosen]
    group = np.minimum(grade, GRADE["deputy_director"])  # staff / chief / deputy and above
    avail = {"MIC-DX": 2021, "MIC-DAT": 2021, "MIC-BPR": 2022, "MIC-WS": 2023}
    mix = {
        GRADE["staff"]: {"UIT-A": .22, "UIT-B": .33, "ITSEM": .15, "NISC-P": .05,
                         "MIC-DX": .10, "MIC-DAT": .05, "MIC-BPR": .03, "MIC-WS": .07},
        GRADE["chief"]: {"UIT-C": .30, "UIT-D": .15, "UIT-B": .05, "ITSEM": .12, "NISC-P": .08,
                         "NISC-C": .03, "MIC-DX": .10, "MIC-DAT": .07, "MIC-BPR": .05,
                         "MIC-WS": .05},
        GRADE["deputy_director"]: {"UIT-D": .10, "ITSEM": .25, "NISC-P": .15, "NISC-C": .10,
                                   "MIC-DX": .15, "MIC-DAT": .10, "MIC-BPR": .10,
                                   "MIC-WS": .05},
    }
    course = np.zeros(len(chosen), dtype=np.int16)
    for g, m in mix.items():
        sel = group == g
        codes = list(m)
        p = np.array([m[c] * (fy >= avail.get(c, 0)) * (3 if c == "MIC-WS" and fy in (2024, 2025)
                                                         else 1) for c in codes])
        course[sel] = np.array([C_IDX[c] for c in codes])[choice(rng, int(sel.sum()), p)]
    n = len(chosen)
    d = weekday_back(uniform_days(rng, np.full(n, fy_first_day(fy) + 14), np.full(n,
                                                                             fy_last_day(fy) - 5)))
    done = rng.random(n) < 0.93
    rows.add(idx[chosen], course, fy, np.where(done, d, INCOMPLETE))


def promotion_training(rng: np.random.Generator, pp: People, r: dict[str, np.ndarray],
                        fy: int, rows: TrainingRows) -> None:
    idx = r["idx"]
    before = pp.entry[idx] < fy_first_day(fy)
    prev = grade_in(pp, idx, fy - 1)
    g = r["grade"]
    promoted = (before & (r["etype"] != ETYPE["political"]) & (g > prev)
                & ((g == GRADE["chief"]) | (g == GRADE["deputy_director"])))
    p = idx[promoted]
    n = len(p)
    if n:
        done = np.zeros(n, dtype=bool)
        done[rng.permutation(n)[: int(round(PROMO_RATE[fy] * n))]] = True
        d = weekday_back(uniform_days(rng, np.full(n, fy_first_day(fy) + 19),
                                        np.full(n, fy_first_day(fy) + 182)))
        course = np.where(g[promoted] == GRADE["chief"], C_IDX["PROM-CH"], C_IDX["PROM-DD"])
        rows.add(p, course, fy, np.where(done, d, INCOMPLETE))
    new_exec = (before & (r["etype"] == ETYPE["career"]) & (g == GRADE["executive"])
                & (prev < GRADE["executive"]))
    e = idx[new_exec]
    if len(e):
        d = weekday_back(uniform_days(rng, np.full(len(e), fy_first_day(fy) + 61),
                                        np.full(len(e), fy_first_day(fy) + 182)))
        rows.add(e, C_IDX["EXEC"], fy, np.where(rng.random(len(e)) < 0.9, d, INCOMPLETE))


def phishing_drills(rng: np.random.Generator, pp: People, r: dict[str, np.ndarray], fy: int,
            rows: TrainingRows, bureau_mult: np.ndarray) -> dict[str, np.ndarray]:
    m = (r["etype"] != ETYPE["political"]) & (r["place"] == PLACE["home"])
    idx, b = r["idx"][m], r["bureau"][m]
    entry = pp.entry[idx]
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("drill", "p", "opened", "reported")}
    first_open = np.full(len(idx), NO * 1000, dtype=np.int64)
    for rnd, sent in enumerate(drill_days(fy), start=1):
        got = (entry <= sent) & (rng.random(len(idx)) < DRILL_SAMPLE)
        p_open = np.clip(OPEN_RATE[fy] * bureau_mult[b] * pp.risk[idx], 0, 0.95)
        opened = got & (rng.random(len(idx)) < p_open)
        rep = rng.random(len(idx)) < REPORT_RATE[fy] * np.where(opened, 0.6, 1.06)
        first_open = np.where(opened & (first_open > sent), sent, first_open)
        parts["drill"].append(np.full(int(got.sum()), (fy - FIRST_FY) * 4 + rnd - 1, np.int16))
        parts["p"].append(idx[got])
        parts["opened"].append(opened[got])
        parts["reported"].append(rep[got])
    # follow-up training for those who opened a drill mail
    o = first_open < NO * 1000
    n = int(o.sum())
    done = rng.random(n) < FOLLOWUP_RATE[fy]
    d = np.minimum(first_open[o] + rng.integers(1, 31, n), fy_last_day(fy))
    rows.add(idx[o], C_IDX["PHISHFU"], fy, np.where(done, d, INCOMPLETE))
    return {k: np.concatenate(v) for k, v in parts.items()}


SPRING_EXAMS = ({"AP", "SC", "ST", "AU", "DB", "ES"}, {"AP", "SC", "ST", "SA", "ES"})
AUTUMN_EXAMS = ({"AP", "SC", "SA", "NW", "SM", "PM"}, {"AP", "SC", "PM", "NW", "DB", "SM", "AU"})


def exam_sittings(rng: np.random.Generator, pp: People, r: dict[str, np.ndarray], fy: int,
                   staff: int, rows: TrainingRows) -> dict[str, np.ndarray]:
    idx = r["idx"]
    elig = r["etype"] != ETYPE["political"]
    in_post = (r["unit"] != NONE) & U_DIGITAL[np.maximum(r["unit"], 0)]
    gfac = per_grade({"staff": 1.2, "chief": 1.0, "deputy_director": 0.6, "director": 0.3,
                      "executive": 0.1})[r["grade"]]
    w = (1 + 3 * r["dt"] + 1.5 * in_post) * gfac * elig
    k = int(round(staff * SIT_RATE[fy]))
    who = rng.choice(len(idx), size=k, p=w / w.sum())
    person = idx[who]
    dtp = r["dt"][who]
    codes = [e.code for e in EXAMS]
    p_dt = {"IP": .10, "SG": .20, "FE": .20, "AP": .20, "SC": .12}
    p_no = {"IP": .40, "SG": .28, "FE": .15, "AP": .09, "SC": .03}
    exam = np.zeros(k, dtype=np.int16)
    for sel, pm in ((dtp, p_dt), (~dtp, p_no)):
        rest = (1 - sum(pm.values())) / 8
        p = np.array([pm.get(c, rest) for c in codes])
        exam[sel] = choice(rng, int(sel.sum()), p)
    # dates: IP always CBT; SG and FE CBT from FY2020; the rest on the spring/autumn dates
    era = int(fy >= 2023)
    spring_ok = np.array([c in SPRING_EXAMS[era] or (c in ("SG", "FE") and fy < 2020)
                          for c in codes])[exam]
    autumn_ok = np.array([c in AUTUMN_EXAMS[era] or (c in ("SG", "FE") and fy < 2020)
                          for c in codes])[exam]
    cbt = np.array([c == "IP" or (c in ("SG", "FE") and fy >= 2020) for c in codes])[exam]
    entry = pp.entry[person].astype(np.int64)
    cbt_day = uniform_days(rng, np.maximum(fy_first_day(fy) + 7, entry + 14),
                            np.full(k, fy_hi_day(fy)))
    spring = np.where(spring_ok & autumn_ok, rng.random(k) < 0.5, spring_ok)
    paper_day = np.where(spring, spring_exam_day(fy), autumn_exam_day(fy))
    day = np.where(cbt, cbt_day, paper_day)
    ok = (day >= entry + 14) & (day <= fy_hi_day(fy))
    if fy == 2020:  # the spring 2020 examination was cancelled (COVID-19)
        ok &= ~(~cbt & spring)
    person, exam, day, dtp = person[ok], exam[ok], day[ok], dtp[ok]
    # one sitting per person, exam and date
    key = (person * 64 + exam) * 100000 + day
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    person, exam, day, dtp = person[first], exam[first], day[first], dtp[first]
    n = len(person)
    # the exam-preparation course, taken in the same FY before the exam
    prep = rng.random(n) < PREP_RATE[fy]
    lo = np.maximum(np.maximum(fy_first_day(fy), pp.entry[person].astype(np.int64)), day - 75)
    prep &= lo <= day - 1
    level = np.array([e.itss_level for e in EXAMS])[exam]
    prep_course = np.where(level <= 1, C_IDX["EXP-IP"],
                           np.where(level <= 3, C_IDX["EXP-FE"], C_IDX["EXP-HI"]))
    prep_course = np.where(exam == E_IDX["SG"], C_IDX["EXP-IP"], prep_course)
    pd_ = uniform_days(rng, lo[prep], day[prep] - 1)
    rows.add(person[prep], prep_course[prep], fy, pd_)
    # and some who took a preparation course without sitting an exam this FY
    extra = pick_weighted(rng, w, int(round(0.3 * prep.sum())))
    ne = len(extra)
    if ne:
        ed = weekday_back(uniform_days(
            rng, np.maximum(fy_first_day(fy) + 14, pp.entry[idx[extra]].astype(np.int64)),
            np.full(ne, fy_last_day(fy) - 5)))
        ec = np.array([C_IDX["EXP-IP"], C_IDX["EXP-FE"], C_IDX["EXP-HI"]])[
            choice(rng, ne, [0.5, 0.35, 0.15])]
        rows.add(idx[extra], ec, fy, np.where(rng.random(ne) < 0.85, ed, INCOMPLETE))
    lvl_factor = np.array([1.35, 1.3, 0.85, 0.75, 0.55])[level]
    p_pass = np.where(prep, 0.55, 0.30) * lvl_factor * np.where(dtp, 1.1, 1.0)
    result = rng.random(n) < np.clip(p_pass, 0, 0.95)
    return {"p": person, "exam": exam, "day": day, "pass": result, "prep": prep}

