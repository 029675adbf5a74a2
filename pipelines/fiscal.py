"""Fiscal years (April–March) and their Japanese era labels."""

from __future__ import annotations

import datetime as dt

HEISEI_LAST_FY = 2018  # FY2018 = 平成30年度; FY2019 = 令和元年度 (never 平成31年度)


def fiscal_year(day: dt.date) -> int:
    """FY N runs from April 1 of N to March 31 of N+1."""
    return day.year if day.month >= 4 else day.year - 1


def fy_start(fy: int) -> dt.date:
    return dt.date(fy, 4, 1)


def fy_end(fy: int) -> dt.date:
    return dt.date(fy + 1, 3, 31)


def era_label(fy: int) -> str:
    """Japanese label of an FY: 平成28年度 … 平成30年度, 令和元年度, 令和2年度 …"""
    if fy >= 2019:
        n = fy - 2018
        return "令和元年度" if n == 1 else f"令和{n}年度"
    if fy >= 1989:
        n = fy - 1988
        return "平成元年度" if n == 1 else f"平成{n}年度"
    return f"{fy}年度"


def fy_label(fy: int, lang: str = "ja", in_progress: bool = False) -> str:
    """`令和4年度 (2022)` in Japanese, `FY2022` in English; marks the FY in progress."""
    if lang == "en":
        return f"FY{fy}" + (" (in progress)" if in_progress else "")
    return f"{era_label(fy)} ({fy})" + ("・集計中" if in_progress else "")
