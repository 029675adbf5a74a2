"""The key messages of the year in progress, made by rule from ``kpi_pace`` (with each row's
target from ``kpi``): the Overview shows them above the cards, the briefing pack on its first
slide / page. No Streamlit here.

Rule: rows with a projection and a target whose outlook is known (``on_track`` / ``at_risk``);
``at_risk`` first, then the lowest chance of meeting the target (counts: ``p_meet``; rates: how
far the projection falls short of, or clears, the target); at most three.
"""

from __future__ import annotations

from collections.abc import Iterable

from dashboard import fmt
from pipelines.schema import METRIC_BY_CODE
from release import i18n

MAX_MESSAGES = 3


def _margin(row: dict) -> float:
    """How far the projection clears (+) or misses (−) the target, in the metric's units."""
    kind, lo, hi, proj = row["target_kind"], row["target_min"], row["target_max"], \
        row["projected"]
    if kind == "min":
        return proj - lo
    if kind == "max":
        return hi - proj
    if kind == "range":
        return min(proj - lo, hi - proj)
    return 0.0


def _risk(row: dict) -> tuple:
    at_risk = row["pace_status"] == "at_risk"
    p = row.get("p_meet")
    return (0 if at_risk else 1, p if p is not None else 0.5 + _margin(row), row["metric"])


def ranked(rows: Iterable[dict]) -> list[dict]:
    """The rows the messages are made of, most at risk first (at most three)."""
    usable = [r for r in rows if r["pace_status"] in ("on_track", "at_risk")
              and r["projected"] is not None and r["projected"] == r["projected"]]
    return sorted(usable, key=_risk)[:MAX_MESSAGES]


def unit(code: str, lang: str) -> str:
    """A count's unit in a sentence (名, 件, 回; none in English and for rates)."""
    return i18n.t(f"unit_{code}", lang).strip() if f"unit_{code}" in i18n.STRINGS else ""


def target_text(row: dict, lang: str) -> str:
    """The row's target as a sentence writes it (a count's range with its unit)."""
    m = METRIC_BY_CODE[row["metric"]]
    target = fmt.target(row["target_kind"], row["target_min"], row["target_max"], m.is_rate,
                        lang)
    if row["target_kind"] == "range" and not m.is_rate:
        target += unit(m.code, lang)
    return target


def message(row: dict, lang: str) -> str:
    """One row as a sentence in plain words (the numbers formatted as everywhere else)."""
    code = row["metric"]
    m = METRIC_BY_CODE[code]
    u = unit(code, lang)

    def num(x: float | None) -> str:
        return fmt.projection(x, m.is_rate) + ("" if m.is_rate else u)

    target = target_text(row, lang)
    common = dict(metric=i18n.metric_name(code, lang), ytd=num(row["ytd"]),
                  proj=num(row["projected"]),
                  low=fmt.projection(row["projected_low"], m.is_rate),
                  high=num(row["projected_high"]), target=target)
    if not m.is_rate and row.get("p_meet") is not None:
        return i18n.t("msg_count", lang, p=f"{row['p_meet'] * 100:.0f}%", **common)
    verdict = i18n.t("msg_on_track" if row["pace_status"] == "on_track" else "msg_at_risk", lang)
    return i18n.t("msg_rate", lang, verdict=verdict, **common)


def key_messages(rows: Iterable[dict], lang: str) -> list[str]:
    """At most three sentences, the most at-risk metrics first, each opening with its outlook
    as a symbol and a word."""
    return [f"{i18n.status_text(r['pace_status'], lang)} {message(r, lang)}"
            for r in ranked(rows)]


def interval(row: dict, is_rate: bool, lang: str) -> str:
    """"2 (1–4)": the projection and its 90 % interval, or a dash without a projection."""
    if row.get("projected") is None:
        return fmt.MISSING
    return i18n.t("pace_interval", lang, proj=fmt.projection(row["projected"], is_rate),
                  low=fmt.projection(row["projected_low"], is_rate),
                  high=fmt.projection(row["projected_high"], is_rate))


def pace_line(row: dict, lang: str) -> str:
    """One metric's pace in a line (a briefing slide): outlook, so far, projection, chance."""
    m = METRIC_BY_CODE[row["metric"]]
    parts = [f"{i18n.metric_name(m.code, lang)}: {i18n.status_text(row['pace_status'], lang)}",
             f"{i18n.t('pace_so_far', lang)} {fmt.value(row['ytd'], m.is_rate)}"]
    if row.get("projected") is not None:
        parts.append(i18n.t("pace_card", lang, text=interval(row, m.is_rate, lang)))
    p = row.get("p_meet")
    if p is not None:  # NaN: withheld in publication form (the public edition's file)
        parts.append(f"{i18n.t('pace_col_p_meet', lang)} "
                     + (f"{p * 100:.0f}%" if p == p else fmt.SUPPRESSED))
    return " · ".join(parts)


# --- the projection's track record (kpi_pace_history) ---------------------------------------
TRACK_MIN_YEARS = 3  # fewer earlier years than this: too few to say how far to trust it
# the chance bands a year's p_meet is compared in: [lo, hi), the last one closed
BANDS = ((0.0, 0.3, "pace_band_low"), (0.3, 0.7, "pace_band_mid"), (0.7, 1.0, "pace_band_high"))


def _band(p: float) -> tuple[float, float, str]:
    return next(b for b in BANDS if p < b[1] or b is BANDS[-1])


def track_record(row: dict, history: Iterable[dict], lang: str) -> str | None:
    """One plain line beside a projection: on the same fiscal day of the earlier years
    (``kpi_pace_history`` of the row's metric), how often the year ended inside the 90 %
    interval projected then, and of the years given a chance in the same band as this year's,
    how many met their target. None where there is no record to give (rates, a bureau's row,
    no projection, a withheld chance)."""
    if row.get("bureau_code") is not None or row.get("projected") is None:
        return None
    past = [h for h in history if h["metric"] == row["metric"] and h["projected"] is not None]
    if not past:
        return None
    n = len(past)
    if n < TRACK_MIN_YEARS:
        return i18n.t("pace_track_few", lang, n=n)
    text = i18n.t("pace_track", lang, n=n, inside=sum(bool(h["inside"]) for h in past))
    p = row.get("p_meet")
    if p is not None and p == p:  # NaN: withheld
        lo, hi, key = _band(p)
        judged = [h for h in past if h["p_meet"] is not None and h["met"] is not None
                  and _band(h["p_meet"])[2] == key]
        band = i18n.t(key, lang)
        text += (i18n.t("pace_track_band", lang, band=band, n=len(judged),
                        met=sum(bool(h["met"]) for h in judged)) if judged
                 else i18n.t("pace_track_band_none", lang, band=band))
    return text
