"""The sample's story: its period and as-of date, the rates that change by FY, the contract's
codes as array indices, dates as day numbers, and the seeded random streams."""

from __future__ import annotations

import zlib
from datetime import date, timedelta

import numpy as np

from pipelines.fiscal import fy_end, fy_start
from pipelines.schema import EMPLOYMENT_TYPES, GRADES, PLACEMENTS, TRACKS

FIRST_FY, LAST_FY = 2016, 2026
FYS = tuple(range(FIRST_FY, LAST_FY + 1))
AS_OF = date(2026, 11, 20)
REF_STAFF = 4000  # the head count the absolute numbers below were set for

# --- the story's rates, by FY 2016..2026 ----------------------------------------------------
def by_fy(*values: float) -> dict[int, float]:
    assert len(values) == len(FYS)
    return dict(zip(FYS, values, strict=True))


HIRE_A_RATE = by_fy(0.40, 0.47, 0.55, 0.63, 0.58, 0.74, 0.86, 0.94, 1.0, 1.0, 0.95)
NEW_HIRE_RATE = by_fy(0.98, 1.0, 1.0, 1.0, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
ELEARN_BASE = by_fy(0.962, 0.967, 0.971, 0.975, 0.970, 0.978, 0.982, 0.985, 0.988, 0.990, 0.99)
# (bureau, FY) pairs where every eligible person completed the e-learning
ELEARN_PERFECT = {("CSO", 2022), ("CSO", 2023), ("CSO", 2024), ("CSO", 2025),
                  ("FDMA", 2024), ("LTB", 2025), ("MS", 2025)}
DIGITAL_COURSE_RATE = by_fy(0.040, 0.046, 0.053, 0.044, 0.040, 0.058, 0.070, 0.083, 0.097,
                             0.110, 0.080)
SIT_RATE = by_fy(0.012, 0.014, 0.016, 0.019, 0.015, 0.022, 0.026, 0.030, 0.034, 0.038, 0.030)
PREP_RATE = by_fy(0.15, 0.18, 0.22, 0.26, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.50)
PROMO_RATE = by_fy(0.85, 0.87, 0.90, 0.92, 0.88, 0.93, 0.95, 0.97, 1.0, 1.0, 0.98)
FOLLOWUP_RATE = by_fy(0.80, 0.83, 0.86, 0.88, 0.85, 0.90, 0.92, 0.94, 0.96, 0.97, 0.97)
OPEN_RATE = by_fy(0.25, 0.22, 0.19, 0.17, 0.15, 0.13, 0.12, 0.10, 0.09, 0.08, 0.075)
REPORT_RATE = by_fy(0.30, 0.36, 0.42, 0.48, 0.52, 0.58, 0.62, 0.66, 0.70, 0.75, 0.77)
SPECIALISTS = by_fy(5, 8, 10, 13, 16, 20, 25, 29, 33, 37, 40)  # at 4000 staff
EXCHANGE = by_fy(10, 12, 14, 15, 16, 18, 20, 23, 25, 28, 30)
POLITICAL = by_fy(6, 7, 5, 8, 6, 7, 6, 8, 5, 7, 6)
# yearly probability that a home career employee starts a secondment to ...
SECOND_START = {
    "other_ministry": 0.019,
    "private_sector": 0.002,
    "ppc": 0.0016,
    "nisc": 0.002,
}
DA_START = by_fy(0, 0, 0, 0, 0, 0.0015, 0.004, 0.005, 0.0055, 0.006, 0.0065)
DRILL_SAMPLE = 0.16  # share of the eligible staff one drill mail goes to
EXIT_HAZARD = 0.02  # yearly probability of leaving before retirement

NO = 9999  # "never" for thresholds and FYs
NONE = -1  # no code (no unit, no track, no fixed grade) in an index column

# The contract's codes (pipelines/schema.py) as the small integers the NumPy columns hold:
# a column of grades holds GRADE["chief"], never a bare 1.
GRADE = {g: i for i, g in enumerate(GRADES)}
ETYPE = {e: i for i, e in enumerate(EMPLOYMENT_TYPES)}
PLACE = {p: i for i, p in enumerate(PLACEMENTS)}
TRACK = {t: i for i, t in enumerate(TRACKS)}


def per_grade(values: dict[str, float]) -> np.ndarray:
    """One value per grade, indexable by a grade column."""
    return np.array([values[g] for g in GRADES])


# --- dates as days since 1970-01-01 ---------------------------------------------------------
_EPOCH = date(1970, 1, 1).toordinal()


def day_no(d: date) -> int:
    return d.toordinal() - _EPOCH


def fy_first_day(fy: int) -> int:
    return day_no(fy_start(fy))


def fy_last_day(fy: int) -> int:
    return day_no(fy_end(fy))


AS_OF_DAY = day_no(AS_OF)


def fy_hi_day(fy: int) -> int:
    """Last day on which something of FY ``fy`` can have happened."""
    return min(fy_last_day(fy), AS_OF_DAY)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> int:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7 + 7 * (n - 1))
    return day_no(d)


def spring_exam_day(fy: int) -> int:  # third Sunday of April
    return nth_weekday(fy, 4, 6, 3)


def autumn_exam_day(fy: int) -> int:  # second Sunday of October
    return nth_weekday(fy, 10, 6, 2)


def drill_days(fy: int) -> list[int]:
    """Drill dates (second Wednesday of the month): 2, 3, then 4 a year; 2 so far in FY2026."""
    months = {2016: [(2016, 9), (2017, 2)], 2017: [(2017, 7), (2017, 11), (2018, 2)],
              LAST_FY: [(2026, 6), (2026, 11)]}
    ym = months.get(fy, [(fy, 6), (fy, 9), (fy, 12), (fy + 1, 2)])
    return [nth_weekday(y, m, 2, 2) for y, m in ym]


# --- random helpers -------------------------------------------------------------------------
def stream(seed: int, name: str) -> np.random.Generator:
    """An independent stream per part, so changing one part leaves the others unchanged."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def pick_weighted(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices with weight > 0, drawn with probability ∝ weight (sorted).

    Efraimidis–Spirakis: the k smallest Exp(1)/w keys.
    """
    weights = np.asarray(weights, dtype=float)
    pos = weights > 0
    keys = rng.exponential(size=len(weights)) / np.where(pos, weights, 1.0)
    k = min(int(k), int(pos.sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    keys[~pos] = np.inf
    return np.sort(np.argpartition(keys, k - 1)[:k])


def uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


def weekday_back(days: np.ndarray) -> np.ndarray:
    """Move Saturdays and Sundays back to the Friday before (classroom courses)."""
    dow = (days + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    return days - np.where(dow == 5, 1, np.where(dow == 6, 2, 0))


def choice(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def scaled(staff: int, value: float, minimum: int = 0) -> int:
    return max(minimum, int(round(value * staff / REF_STAFF)))

