"""The sample's people: everyone who is on the roster in some FY, with their careers (kind,
entry, bureau, promotion thresholds, leaving), built FY by FY from the story's rates."""

from __future__ import annotations

from datetime import date
from enum import IntEnum

import numpy as np

from pipelines.sample.reference import B_IDX, B_SHARE, DIGITAL_HIRES, U_IDX
from pipelines.sample.story import (
    AS_OF_DAY,
    EXCHANGE,
    EXIT_HAZARD,
    FIRST_FY,
    FYS,
    GRADE,
    LAST_FY,
    NO,
    NONE,
    POLITICAL,
    SPECIALISTS,
    TRACK,
    choice,
    day_no,
    fy_first_day,
    fy_hi_day,
    fy_last_day,
    scaled,
    stream,
    weekday_back,
)


class Kind(IntEnum):
    """How a person came to be on the roster."""

    STOCK = 0  # career staff already on the roster on April 1 of the first FY
    HIRE = 1  # the ministry's own recruitment (hiring.csv)
    POLITICAL = 2  # political appointees (政務): appointed, not hired
    SPECIALIST = 3  # external specialists: appointed, not hired
    EXCHANGE = 4  # private-sector exchange staff: appointed, not hired


CAREER = (Kind.STOCK, Kind.HIRE)


class People:
    """Column store of everyone who is on the roster in some FY (index = person)."""

    FIELDS = {
        "kind": np.int8,  # Kind
        "start": np.int16,  # first roster FY
        "leave": np.int16,  # first FY no longer on the roster
        "hire_fy": np.int16,  # roster hire_fiscal_year
        "entry": np.int32,  # first day on staff (days since epoch)
        "track": np.int8,  # hires: TRACK[...], else NONE
        "bureau0": np.int8,
        "unit0": np.int16,  # fixed first unit (NONE: draw one)
        "bonus": np.int8,  # years of prior experience (mid-career hires)
        "c_thr": np.int16,
        "d_thr": np.int16,
        "dir_thr": np.int16,
        "exe_thr": np.int16,
        "fixed_grade": np.int8,  # non-career: GRADE[...], else NONE
        "dt0": np.bool_,  # digital talent from the start
        "dc_sec": np.int16,  # digital candidates: FY of the planned secondment
        "risk": np.float32,  # phishing susceptibility
    }

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {f: [] for f in self.FIELDS}
        self.n = 0

    def add(self, n: int, **cols: object) -> slice:
        for f, dt in self.FIELDS.items():
            v = cols[f]
            arr = np.broadcast_to(np.asarray(v), (n,)).astype(dt)
            self.parts[f].append(arr)
        s = slice(self.n, self.n + n)
        self.n += n
        return s

    def col(self, f: str) -> np.ndarray:
        return np.concatenate(self.parts[f]) if self.parts[f] else np.empty(0, self.FIELDS[f])

    def freeze(self) -> None:
        for f in self.FIELDS:
            setattr(self, f, self.col(f))


def _career_params(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    apt = rng.random(n)
    d_thr = np.where(apt > 0.75, NO, 15 + rng.integers(-1, 3, n))  # a quarter stay 係長・主査
    dir_thr = np.where(apt < 0.45, d_thr + 6 + rng.integers(0, 5, n), NO)
    exe_thr = np.where(apt < 0.05, np.maximum(dir_thr + 4, 29 + rng.integers(0, 5, n)), NO)
    return {
        "c_thr": 8 + rng.integers(-1, 2, n),
        "d_thr": d_thr,
        "dir_thr": dir_thr,
        "exe_thr": exe_thr,
        "fixed_grade": NONE,
    }


def _risk(rng: np.random.Generator, n: int) -> np.ndarray:
    r = rng.lognormal(0.0, 0.6, n)
    return r / np.exp(0.6**2 / 2)


def _headcount(staff: int, fy: int) -> int:
    return int(round(staff * (0.975 + 0.005 * (fy - FIRST_FY))))


def _hire_days(rng: np.random.Generator, fy: int, n: int, midyear: np.ndarray) -> np.ndarray:
    """April 1 for the spring intake; mid-year hires on a month's first day or any day."""
    days = np.full(n, fy_first_day(fy), dtype=np.int64)
    k = int(midyear.sum())
    if k:
        months = [(fy, m) for m in range(5, 13)] + [(fy + 1, m) for m in range(1, 4)]
        firsts = np.array([day_no(date(y, m, 1)) for y, m in months])
        firsts = firsts[firsts <= AS_OF_DAY]
        d = firsts[rng.integers(0, len(firsts), k)]
        d = d + np.where(rng.random(k) < 0.7, 0, weekday_back(d + rng.integers(2, 28, k)) - d)
        days[midyear] = np.minimum(d, fy_hi_day(fy))
    return days


def build_people(staff: int, seed: int) -> People:
    rng = stream(seed, "people")
    pp = People()

    def survivors(leave: list[np.ndarray], fy: int) -> int:
        return int(sum((lv > fy).sum() for lv in leave))

    pol_leave: list[np.ndarray] = []
    spec_leave: list[np.ndarray] = []
    exch_leave: list[np.ndarray] = []
    career_leave: list[np.ndarray] = []

    for fy in FYS:
        # non-career appointments: keep the targets, tenure limited
        n_pol = max(1, scaled(staff, POLITICAL[fy])) - survivors(pol_leave, fy)
        if n_pol > 0:
            lv = fy + rng.choice([1, 1, 1, 2, 2, 3], n_pol)
            pp.add(n_pol, kind=Kind.POLITICAL, start=fy, leave=lv, hire_fy=fy,
                   entry=fy_first_day(fy), track=NONE, bureau0=B_IDX["MS"], unit0=NONE, bonus=0,
                   c_thr=NO, d_thr=NO, dir_thr=NO, exe_thr=NO,
                   fixed_grade=np.where(rng.random(n_pol) < 0.7, GRADE["executive"],
                                        GRADE["director"]), dt0=False,
                   dc_sec=NO, risk=1.0)
            pol_leave.append(lv)
        n_spec = scaled(staff, SPECIALISTS[fy]) - survivors(spec_leave, fy)
        if n_spec > 0:
            lv = fy + rng.choice([2, 3, 3, 4, 5], n_spec)
            b = choice(rng, n_spec, [0.4, 0.15, 0.2, 0.15, 0.1])
            bureau = np.array([B_IDX[c] for c in ("MS", "AMB", "CSO", "ICB", "TBB")])[b]
            unit = np.array([U_IDX[c] for c in ("MS-CYB", "AMB-BPR", "CSO-OFF", "ICB-NET",
                                                "TBB-FEE")])[b]
            pp.add(n_spec, kind=Kind.SPECIALIST, start=fy, leave=lv, hire_fy=fy,
                   entry=fy_first_day(fy), track=NONE, bureau0=bureau, unit0=unit, bonus=0,
                   c_thr=NO, d_thr=NO, dir_thr=NO, exe_thr=NO,
                   fixed_grade=np.where(rng.random(n_spec) < 0.55, GRADE["deputy_director"],
                                        GRADE["director"]), dt0=True,
                   dc_sec=NO, risk=_risk(rng, n_spec) * 0.5)
            spec_leave.append(lv)
        n_exch = scaled(staff, EXCHANGE[fy]) - survivors(exch_leave, fy)
        if n_exch > 0:
            lv = fy + rng.choice([2, 2, 3], n_exch)
            b = choice(rng, n_exch, [0.3, 0.3, 0.2, 0.1, 0.1])
            bureau = np.array([B_IDX[c] for c in ("ICB", "TBB", "GSB", "MS", "STB")])[b]
            grades = np.array([GRADE[g] for g in ("staff", "chief", "deputy_director")])
            pp.add(n_exch, kind=Kind.EXCHANGE, start=fy, leave=lv, hire_fy=fy,
                   entry=fy_first_day(fy), track=NONE, bureau0=bureau, unit0=NONE, bonus=0,
                   c_thr=NO, d_thr=NO, dir_thr=NO, exe_thr=NO,
                   fixed_grade=grades[choice(rng, n_exch, [0.25, 0.5, 0.25])], dt0=False,
                   dc_sec=NO, risk=_risk(rng, n_exch))
            exch_leave.append(lv)
        non_career = (survivors(pol_leave, fy) + survivors(spec_leave, fy)
                      + survivors(exch_leave, fy))

        n_dc = DIGITAL_HIRES[fy]
        if fy == FIRST_FY:
            n_hire = max(n_dc + 2, int(round(staff * 0.041)))
            # career staff already on the roster on 2016-04-01
            n_stock = _headcount(staff, fy) - n_hire - non_career
            retire = 36 + rng.integers(0, 5, n_stock)
            mid = rng.random(n_stock) < 0.12
            bonus = np.where(mid, rng.integers(2, 11, n_stock), 0)
            retire = retire - bonus
            # years of service now, from the steady state of a constant leaving hazard
            h = EXIT_HAZARD
            u = rng.random(n_stock)
            span = retire - 1
            s = np.floor(-np.log1p(-u * (1 - np.exp(-h * span))) / h).astype(np.int64) + 1
            s = np.clip(s, 1, span)
            hire_fy = fy - s
            leave = np.minimum(fy + rng.geometric(h, n_stock), hire_fy + retire)
            entry = np.array([fy_first_day(y) for y in range(fy - 50, fy)])[hire_fy - (fy - 50)]
            pp.add(n_stock, kind=Kind.STOCK, start=fy, leave=leave, hire_fy=hire_fy,
                   entry=entry, track=NONE,
                   bureau0=choice(rng, n_stock, B_SHARE), unit0=NONE, bonus=bonus,
                   **_career_params(rng, n_stock), dt0=False, dc_sec=NO,
                   risk=_risk(rng, n_stock))
            career_leave.append(leave)
        else:
            alive = survivors(career_leave, fy)
            n_hire = max(n_dc + 2, _headcount(staff, fy) - alive - non_career)

        # this FY's recruitment
        n_other = n_hire - n_dc
        track = np.concatenate([np.full(n_dc, TRACK["digital_candidate"]),
                                np.where(rng.random(n_other) < 0.28, TRACK["technical"],
                                         TRACK["administrative"])])
        track = track[rng.permutation(n_hire)]
        dc = track == TRACK["digital_candidate"]
        mid = ~dc & (rng.random(n_hire) < 0.12)
        bonus = np.where(mid, rng.integers(2, 13, n_hire), 0)
        midyear = mid & (rng.random(n_hire) < 0.6)
        if fy == 2019 or fy == LAST_FY:
            midyear[-1] = True
        days = _hire_days(rng, fy, n_hire, midyear)
        if fy == 2019:
            days[-1] = fy_last_day(fy)  # one hire on a March 31
        if fy == LAST_FY:
            days[-1] = day_no(date(2026, 11, 1))
        # one digital candidate a year joins mid-career in the winter of the three FYs before
        # the last, so that the year in progress still has hires to expect (kpi_pace)
        winter = {LAST_FY - 3: date(LAST_FY - 2, 1, 4), LAST_FY - 2: date(LAST_FY - 2, 12, 2),
                  LAST_FY - 1: date(LAST_FY, 2, 2)}
        if fy in winter and dc.any():
            days[np.flatnonzero(dc)[0]] = day_no(winter[fy])
        w_tech = B_SHARE * np.array([0.3, 0.2, 0.3, 0.3, 0.3, 0.3, 2, 2.5, 3, 1.2, 2, 0.8])
        bureau = np.where(
            dc,
            np.array([B_IDX[c] for c in ("MS", "CSO", "ICB", "TBB")])[
                choice(rng, n_hire, [0.4, 0.2, 0.2, 0.2])],
            np.where(track == TRACK["technical"], choice(rng, n_hire, w_tech),
                     choice(rng, n_hire, B_SHARE)),
        )
        retire = 38 - bonus + rng.integers(-1, 3, n_hire)
        leave = np.where(dc, fy + retire,
                         np.minimum(fy + rng.geometric(EXIT_HAZARD, n_hire), fy + retire))
        dc_sec = np.where(dc, fy + 3 + rng.integers(0, 2, n_hire), NO)
        pp.add(n_hire, kind=Kind.HIRE, start=fy, leave=leave, hire_fy=fy, entry=days,
               track=track, bureau0=bureau, unit0=NONE, bonus=bonus, **_career_params(rng, n_hire),
               dt0=dc, dc_sec=dc_sec, risk=_risk(rng, n_hire) * np.where(dc, 0.3, 1.0))
        career_leave.append(leave)
    pp.freeze()
    return pp


def grade_in(pp: People, idx: np.ndarray, fy: int) -> np.ndarray:
    """GRADE[...] of people ``idx`` in FY ``fy``: a career grade is the number of promotion
    thresholds its years of service have passed (GRADES run staff → executive)."""
    eff = fy - pp.hire_fy[idx].astype(np.int64) + pp.bonus[idx]
    g = ((eff >= pp.c_thr[idx]).astype(np.int8) + (eff >= pp.d_thr[idx])
         + (eff >= pp.dir_thr[idx]) + (eff >= pp.exe_thr[idx]))
    fixed = pp.fixed_grade[idx]
    return np.where(fixed >= 0, fixed, g).astype(np.int8)


