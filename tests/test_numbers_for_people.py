"""Numbers written as people write them (issue 29): a projected count is a whole number
wherever it is printed (the stored value keeps its digits), a status without a target is one
word, the ministry's row of the pace table is 省全体, and a missing value's placeholder in a
CSV is not treated as a formula."""

from __future__ import annotations

import polars as pl

from dashboard import fmt, messages
from release import exports, i18n


def _row(**kw: object) -> dict:
    return {"metric": "training_participants", "bureau_code": None, "ytd": 401.0,
            "projected": 155.67, "projected_low": 147.2, "projected_high": 164.5,
            "target_kind": "growth", "target_min": None, "target_max": None,
            "pace_status": "at_risk", "p_meet": 0.0} | kw


def test_a_projected_count_is_a_whole_number() -> None:
    assert fmt.projection(155.67, False) == "156"
    assert fmt.projection(14.33, False) == "14"
    assert fmt.projection(2.5, False) == "3"  # half up
    assert fmt.projection(0.9781, True) == fmt.value(0.9781, True) == "97.8%"
    assert fmt.projection(None, False) == fmt.MISSING
    assert fmt.projection(float("nan"), False) == fmt.SUPPRESSED
    for lang in ("ja", "en"):
        text = messages.message(_row(), lang) + messages.interval(_row(), False, lang) \
            + messages.pace_line(_row(), lang)
        assert "155.67" not in text and "147.2" not in text and "164.5" not in text
        assert "156" in text and "147" in text and "165" in text  # 164.5 rounds up
    row = _row()
    messages.message(row, "ja")
    assert row["projected"] == 155.67  # the stored value is untouched


def test_a_status_without_a_target_is_one_word() -> None:
    assert i18n.status_text("no_target", "ja") == "目標なし"
    assert i18n.status_text("no_target", "en") == i18n.status_word("no_target", "en")
    line = messages.pace_line(_row(pace_status="no_target"), "ja")
    assert "目標なし" in line and "· 目標なし" not in line
    assert i18n.status_text("met", "ja").startswith("✔ ")  # the others keep their symbol


def test_csv_placeholders_are_not_formulas() -> None:
    frame = pl.DataFrame({"a": ["–", "-", "−", "－", "=1+1", "-1+2", "–x", "12"]})
    assert exports.neutralise(frame)["a"].to_list() == [
        "–", "-", "−", "－", "'=1+1", "'-1+2", "'–x", "12"]
    assert not exports.is_dangerous("–") and exports.is_dangerous("=A1")
