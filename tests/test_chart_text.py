"""Every chart has a text alternative (issue 9): its caption, and the figure's own numbers as an
HTML table in an expander right after it (``ui.chart`` / ``ui.figure_table``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.fmt import fy_label
from release import i18n

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ("hiring", "training", "certification", "security", "workforce")


def open_page(wh: Path, monkeypatch: pytest.MonkeyPatch, page: str, **params: str) -> AppTest:
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_chart_has_its_numbers_as_a_table(tiny_warehouse, monkeypatch, page):
    at = open_page(tiny_warehouse, monkeypatch, page)
    label = i18n.t("chart_numbers", "ja")
    tables = [e for e in at.expander if e.label == label]
    assert len(tables) == len(at.get("plotly_chart")) > 0
    for e in tables:
        assert len(e.table) == 1 and e.table[0].value.shape[0] > 0


def test_hiring_table_holds_the_bars(tiny_warehouse, monkeypatch):
    at = open_page(tiny_warehouse, monkeypatch, "hiring", lang="en")
    frame = next(e for e in at.expander if e.label == i18n.t("chart_numbers", "en")).table[0].value
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        want = con.execute("SELECT fiscal_year, value FROM kpi WHERE metric = 'digital_hires' "
                           "AND bureau_code IS NULL ORDER BY 1").fetchall()
        as_of_date, as_of_fy = con.execute(
            "SELECT as_of_date, as_of_fy FROM pipeline_runs").fetchall()[-1]
    open_fy = as_of_fy if as_of_date < dt.date(as_of_fy + 1, 3, 31) else None
    rows = [tuple(r) for r in frame.itertuples(index=False)]
    assert [r[0] for r in rows] == [fy_label(fy, "en", fy == open_fy) for fy, _ in want]
    assert [r[1] for r in rows] == [f"{int(v):,}" for _, v in want]


def _hover_texts(fig) -> list[str]:  # noqa: ANN001
    """Each point's hover line as Plotly would fill it in (customdata into the template)."""
    import re

    out = []
    for tr in fig.data:
        for i in range(len(tr.x if tr.x is not None else tr.y)):
            row = tr.customdata[i]
            text = re.sub(r"%\{customdata\[(\d)\]\}", lambda m, r=row: str(r[int(m.group(1))]),
                          tr.hovertemplate)
            out.append(text)
    return out


@pytest.mark.parametrize("percent", [False, True])
def test_hover_shows_protected_and_missing_points_as_text_never_nan(percent):
    """A protected cell (NaN in the public edition) reads [c] on hover, a missing one a dash;
    hover values are formatted by fmt, not by Plotly (which would print NaN)."""
    from dashboard import charts

    fys = [2021, 2022, 2023]
    ticks = {f: fy_label(f, "ja") for f in fys}
    ys = [0.5 if percent else 12, float("nan"), None]
    figs = [charts.stacked_bars(fys, {"a": ys}, ticks, lang="ja", percent=percent),
            charts.lines(fys, {"a": ys}, ticks, lang="ja", percent=percent),
            charts.hbars(["x", "y", "z"], {"a": ys}, percent=percent)]
    if percent:
        figs += [charts.date_lines([dt.date(2023, 5, d) for d in (1, 2, 3)], {"a": ys},
                                   ["r1", "r2", "r3"], lang="ja"),
                 charts.dots(["x", "y", "z"], ys, ["met", "met", "met"], ["", "", ""],
                             ["", "", ""], name="a")]
    for fig in figs:
        assert not [t for tr in fig.data for t in [tr.hovertemplate]
                    if "%{y:" in t or "%{x:" in t], "a number formatted by Plotly"
        texts = _hover_texts(fig)
        assert ("50.0%" if percent else "12") in texts[0]
        assert "[c]" in texts[1] and "nan" not in texts[1].lower()
        assert "–" in texts[2]
