"""The sample's roster: each FY's bureau, unit, grade, employment type, placement
(secondments) and digital-talent designation of everyone on staff."""

from __future__ import annotations

import numpy as np

from pipelines.sample.people import CAREER, Kind, People, grade_in
from pipelines.sample.reference import B_CODES, B_SHARE, DIGITAL_POSTS, U_BUREAU, U_DIGITAL, UNITS
from pipelines.sample.story import (
    DA_START,
    ETYPE,
    FIRST_FY,
    FYS,
    NONE,
    PLACE,
    SECOND_START,
    choice,
    stream,
)


def _draw_units(rng: np.random.Generator, bureau: np.ndarray, empty: float) -> np.ndarray:
    out = np.full(len(bureau), NONE, dtype=np.int16)
    for b in range(len(B_CODES)):
        m = bureau == b
        k = int(m.sum())
        if not k:
            continue
        units = np.flatnonzero(np.equal(U_BUREAU, b))
        w = np.array([UNITS[u].weight for u in units])
        out[m] = units[choice(rng, k, w)]
    out[rng.random(len(bureau)) < empty] = NONE
    return out


def build_roster(pp: People, seed: int) -> dict[int, dict[str, np.ndarray]]:
    rng = stream(seed, "roster")
    n = pp.n
    bureau = pp.bureau0.astype(np.int16).copy()
    unit = np.full(n, NONE, dtype=np.int16)
    place = np.full(n, PLACE["home"], dtype=np.int8)
    sec_left = np.zeros(n, dtype=np.int8)
    dt = np.zeros(n, dtype=bool)
    career = np.isin(pp.kind, CAREER)
    dests = list(SECOND_START)
    roster: dict[int, dict[str, np.ndarray]] = {}
    for fy in FYS:
        act = (pp.start <= fy) & (pp.leave > fy)
        new = act & (pp.start == fy)
        # newcomers
        bureau[new] = pp.bureau0[new]
        unit[new] = np.where(pp.unit0[new] != NONE, pp.unit0[new],
                             _draw_units(rng, bureau[new], 0.03))
        unit[new & (pp.kind == Kind.POLITICAL)] = NONE  # political appointees: no division
        place[new] = PLACE["home"]
        dt[new] = pp.dt0[new]
        if fy == FIRST_FY:  # secondments already running on 2016-04-01
            stock = new & (pp.kind == Kind.STOCK) & (FIRST_FY - pp.hire_fy >= 3)
            u = rng.random(n)
            lo = 0.0
            for d in dests:
                share = SECOND_START[d] * 2.5
                m = stock & (u >= lo) & (u < lo + share)
                place[m] = PLACE[d]
                lo += share
            seconded = stock & (place != PLACE["home"])
            sec_left[seconded] = rng.integers(1, 4, n)[seconded]
            unit[seconded] = NONE
        cont = act & ~new & career
        # returns from secondment
        away = cont & (place != PLACE["home"])
        sec_left[away] -= 1
        back = away & (sec_left <= 0)
        place[back] = PLACE["home"]
        unit[back] = _draw_units(rng, bureau[back], 0.03)
        home = cont & (place == PLACE["home"]) & ~back
        service = fy - pp.hire_fy.astype(np.int64)
        # digital candidates: planned secondment to the Digital Agency (NISC before it existed)
        dc_go = home & (pp.dc_sec == fy)
        place[dc_go] = PLACE["digital_agency"] if fy >= 2021 else PLACE["nisc"]
        sec_left[dc_go] = 2
        unit[dc_go] = NONE
        # other secondments
        elig = home & ~dc_go & (service >= 3) & (pp.leave - fy > 2)
        u = rng.random(n)
        lo = 0.0
        went = np.zeros(n, dtype=bool)
        for d, p in [*SECOND_START.items(), ("digital_agency", DA_START[fy])]:
            m = elig & (u >= lo) & (u < lo + p)
            place[m] = PLACE[d]
            went |= m
            lo += p
        sec_left[went] = rng.integers(2, 4, n)[went]
        unit[went] = NONE
        # job rotation (人事異動) of those who stay
        stay = home & ~dc_go & ~went
        rot = stay & (rng.random(n) < 0.33)
        move = rot & (rng.random(n) < 0.10)
        bureau[move] = choice(rng, int(move.sum()), B_SHARE)
        dig = rot & dt & (rng.random(n) < 0.5)
        post = DIGITAL_POSTS[rng.integers(0, len(DIGITAL_POSTS), n)]
        unit[dig] = post[dig]
        bureau[dig] = U_BUREAU[post[dig]]
        other = rot & ~dig
        unit[other] = _draw_units(rng, bureau[other], 0.03)
        # designation as government digital talent
        in_post = (unit != NONE) & U_DIGITAL[np.maximum(unit, 0)]
        p_des = (0.0015 + 0.0007 * (fy - FIRST_FY)) * np.where(in_post, 10, 1)
        p_des = np.where(np.isin(place, [PLACE["digital_agency"], PLACE["nisc"]]), 0.3, p_des)
        dt |= act & career & (rng.random(n) < p_des)

        idx = np.flatnonzero(act)
        roster[fy] = {
            "idx": idx,
            "bureau": bureau[idx].copy(),
            "unit": unit[idx].copy(),
            "grade": grade_in(pp, idx, fy),
            "etype": np.select(
                [np.isin(pp.kind[idx], CAREER), pp.kind[idx] == Kind.POLITICAL,
                 pp.kind[idx] == Kind.SPECIALIST],
                [ETYPE["career"], ETYPE["political"], ETYPE["specialist"]],
                ETYPE["exchange"]).astype(np.int8),
            "dt": dt[idx].copy(),
            "place": place[idx].copy(),
        }
    return roster

