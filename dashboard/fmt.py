"""Formatting values for display: numbers, rates, targets, changes, dates and FY labels.

Words come from the one string table (``release.i18n``); era names from ``pipelines.fiscal``.
"""

from __future__ import annotations

import datetime as dt
import math

from pipelines.fiscal import era_label
from release.i18n import status_word, t

MISSING = "–"  # shown for a value that does not exist (NULL)
SUPPRESSED = "[c]"  # a protected cell (disclosure.SUPPRESSED; fmt must not import disclosure)


def fy_label(fy: int, lang: str = "ja", in_progress: bool = False) -> str:
    """`令和4年度 (2022)` in Japanese, `FY2022` in English; marks the FY in progress."""
    text = t("fy_label", lang, fy=fy, era=era_label(fy))
    return text + (t("fy_in_progress", lang) if in_progress else "")


def fy_tick(fy: int, lang: str, in_progress: bool = False) -> str:
    """Axis tick: the same label on two lines in Japanese (令和4年度<br>(2022))."""
    return fy_label(fy, lang, in_progress).replace(" (", "<br>(", 1)


ERA_LETTERS = (("R", "令和", 2018), ("H", "平成", 1988))  # letter, era, the year before its 1st


def fy_short(fy: int, lang: str) -> str:
    """A chart's FY tick: ``R4`` (令和4年度), ``H28``, in Japanese; ``FY22`` in English."""
    if lang == "en":
        return f"FY{fy % 100:02d}"
    for letter, _, base in ERA_LETTERS:
        if fy > base:
            return f"{letter}{fy - base}"
    return str(fy)


def fy_axis_title(fys: list[int], lang: str, in_progress: int | None = None) -> str:
    """The title of an FY axis with short ticks: the eras its letters stand for (R＝令和) and
    the FY in progress."""
    if lang == "en":
        title = t("fy_axis", lang)
    else:
        eras = [f"{letter}＝{era}" for letter, era, base in reversed(ERA_LETTERS)
                if any(fy_short(f, lang).startswith(letter) for f in fys)]
        title = t("fy_axis_eras", lang, eras="・".join(eras)) if eras else t("fy_axis", lang)
    if in_progress is not None:
        title = t("fy_axis_in_progress", lang, title=title, tick=fy_short(in_progress, lang))
    return title


def value(number: float | None, is_rate: bool, digits: int = 1) -> str:
    """A count with thousands separators, or a rate as a percentage."""
    if number is None:
        return MISSING
    if number != number:  # NaN: a protected cell (public edition) or anything made from one
        return SUPPRESSED
    if is_rate:
        return f"{number * 100:.{digits}f}%"
    if float(number).is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def projection(number: float | None, is_rate: bool) -> str:
    """A projected year-end as people write it: a count is a whole number (「155.67」 of
    training participants is 156), a rate as ``value``. The stored value keeps its digits."""
    if not is_rate and number is not None and number == number:
        number = float(math.floor(number + 0.5))
    return value(number, is_rate)


def target(kind: str | None, lo: float | None, hi: float | None, is_rate: bool,
           lang: str) -> str:
    if kind is None:
        return status_word("no_target", lang)
    if kind == "range":
        return t("target_range", lang, lo=value(lo, is_rate, 0), hi=value(hi, is_rate, 0))
    if kind == "min":
        return t("target_min", lang, lo=value(lo, is_rate, 0))
    if kind == "max":
        return t("target_max", lang, hi=value(hi, is_rate, 0))
    return t("target_growth", lang)


def change(cur: float | None, prev: float | None, is_rate: bool, lang: str) -> str | None:
    """The change from the previous FY: percentage points for rates."""
    if cur is None or prev is None or cur != cur or prev != prev:  # None or NaN ([c])
        return None
    diff = cur - prev
    if is_rate:
        return t("change_points", lang, pts=f"{diff * 100:+.1f}")
    if float(diff).is_integer():
        return f"{int(diff):+,}"
    return f"{diff:+,.2f}"


def timestamp(ts: dt.datetime | None, lang: str) -> str:
    """Pipeline timestamps are stored in UTC; shown in Japan time."""
    if ts is None:
        return MISSING
    jst = ts + dt.timedelta(hours=9)
    return t("timestamp_jst", lang, time=jst.strftime("%Y-%m-%d %H:%M"))


def date(day: dt.date | None, lang: str) -> str:
    if day is None:
        return MISSING
    return t("date", lang, y=day.year, m=day.month, d=day.day)
