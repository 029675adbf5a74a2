import datetime as dt

import pytest

from pipelines.fiscal import era_label, fiscal_year, fy_end, fy_start


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (dt.date(2021, 3, 31), 2020),
        (dt.date(2021, 4, 1), 2021),
        (dt.date(2022, 2, 20), 2021),  # February belongs to the FY begun the April before
        (dt.date(2019, 12, 31), 2019),
    ],
)
def test_fiscal_year_boundaries(day, fy):
    assert fiscal_year(day) == fy


def test_fy_span():
    assert fy_start(2024) == dt.date(2024, 4, 1)
    assert fy_end(2024) == dt.date(2025, 3, 31)


@pytest.mark.parametrize(
    ("fy", "label"),
    [(2016, "平成28年度"), (2018, "平成30年度"), (2019, "令和元年度"), (2020, "令和2年度"),
     (2024, "令和6年度")],
)
def test_era_labels(fy, label):
    assert era_label(fy) == label


def test_fy2019_is_never_heisei_31_or_reiwa_1():
    assert "平成31" not in era_label(2019) and "令和1年度" not in era_label(2019)


def test_python_polars_and_sql_agree_on_the_fy():
    """The three forms of the one FY rule give the same FY, boundaries included."""
    import duckdb
    import polars as pl

    from pipelines.fiscal import SQL_MACROS, fy_expr

    days = [dt.date(2021, 3, 31), dt.date(2021, 4, 1), dt.date(2019, 4, 30),
            dt.date(2020, 1, 1), dt.date(2024, 12, 31), dt.date(2025, 3, 1)]
    frame = pl.DataFrame({"d": days}).with_columns(fy=fy_expr("d"))
    with duckdb.connect() as con:
        con.execute(SQL_MACROS)
        sql_fys = [con.execute("SELECT fy_of(?::DATE)", [d]).fetchone()[0] for d in days]
        ends = [con.execute("SELECT fy_end(?)", [fy]).fetchone()[0] for fy in (2019, 2024)]
    assert frame["fy"].to_list() == sql_fys == [fiscal_year(d) for d in days]
    assert frame["fy"].to_list() == [2020, 2021, 2019, 2019, 2024, 2024]
    assert ends == [fy_end(2019), fy_end(2024)]
