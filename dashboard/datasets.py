"""Reading the catalogued datasets: the Data page's filtered rows, previews and downloads,
and the Dictionary page's tables, columns and row counts.

* Table and column names come only from the catalogue (``release.catalogue``: the documented
  warehouse tables) and are checked here before they are quoted into SQL; every value is a
  bound parameter.
* Reads go through ``dashboard.queries``' connection and cache (read-only ATTACH per batch,
  cached by run id), so this module follows the same rules.
* Unlike the plan pages, these datasets include the row-level ``stg_`` tables (pseudonymous
  IDs); row-level datasets are previewed and downloaded, never loaded whole into the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard.queries import Run, Selection, _one, _q, _run_batch
from release import catalogue, i18n


@dataclass(frozen=True)
class DataFilter:
    """The rows of one downloadable dataset the data page shows (hashable: a cache key)."""

    dataset: str
    bureaus: Selection = None  # None = no bureau filter (includes ministry-wide rows)
    fy_from: int | None = None
    fy_to: int | None = None
    values: tuple[tuple[str, tuple[object, ...]], ...] = ()  # (column, allowed values)


def _dataset(name: str) -> catalogue.Dataset:
    ds = catalogue.DOWNLOADS.get(name)
    if ds is None:
        raise ValueError(f"not a downloadable dataset: {name!r}")
    return ds


def _ident(ds: catalogue.Dataset, column: str) -> str:
    if column not in ds.column_names:
        raise ValueError(f"{ds.name} has no column {column!r}")
    return f'"{column}"'


def _data_where(f: DataFilter) -> tuple[str, dict]:
    """WHERE clause (constant text built from allowlisted names) and its bound values."""
    ds = _dataset(f.dataset)
    clauses: list[str] = []
    params: dict[str, object] = {}
    if ds.fy_column and f.fy_from is not None and f.fy_to is not None:
        clauses.append(f"{_ident(ds, ds.fy_column)} BETWEEN $fy_from AND $fy_to")
        params.update(fy_from=int(f.fy_from), fy_to=int(f.fy_to))
    if ds.bureau_column and f.bureaus is not None:
        clauses.append(f"{_ident(ds, ds.bureau_column)} IN (SELECT unnest($bureaus))")
        params["bureaus"] = tuple(f.bureaus)
    for i, (column, values) in enumerate(f.values):
        ident = _ident(ds, column)
        if column not in ds.filters:
            raise ValueError(f"{column!r} is not a filter of {ds.name}")
        present = tuple(v for v in values if v is not None)
        parts = [f"{ident} IN (SELECT unnest($v{i}))"] if present else []
        if present:
            params[f"v{i}"] = present
        if len(present) < len(values):
            parts.append(f"{ident} IS NULL")
        clauses.append("(" + " OR ".join(parts or ["FALSE"]) + ")")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _data_select(f: DataFilter, lang: str) -> tuple[str, dict]:
    """The rows of a download or preview: the export columns (``bureau_name`` = the bureau's
    name in ``lang``, the ministry-wide label on a total row; a left join keeps every row)."""
    ds = _dataset(f.dataset)
    where, params = _data_where(f)
    cols, join = [], ""
    for c in ds.export_columns:
        if not c.export_only:
            cols.append(_ident(ds, c.name))
            continue
        # bureau_name, the one column a download adds
        code = f'"{ds.name}".{_ident(ds, ds.bureau_column or "")}'
        name = "__bn.__name"
        if ds.margin_by:  # rows without a bureau are the whole ministry's
            name = f"CASE WHEN {code} IS NULL THEN $ministry ELSE {name} END"
            params["ministry"] = i18n.t("ministry_total", lang)
        cols.append(f'{name} AS "{c.name}"')
        column = "name_en" if lang == "en" else "name_ja"
        join = (f" LEFT JOIN (SELECT bureau_code AS __code, {column} AS __name FROM bureaus)"
                f" __bn ON __bn.__code = {code}")
    order = ", ".join(_ident(ds, c) + " NULLS FIRST" for c in ds.order) or "ALL"
    return f'SELECT {", ".join(cols)} FROM "{ds.name}"{join}{where} ORDER BY {order}', params


def data_count(run: Run, f: DataFilter) -> int:
    where, params = _data_where(f)
    sql = f'SELECT count(*) AS n FROM "{_dataset(f.dataset).name}"{where}'
    return int(_one(run, sql, **params)["n"][0])


def data_preview(run: Run, f: DataFilter, lang: str, limit: int = 100) -> pl.DataFrame:
    """The first ``limit`` rows in the dataset's order (never the whole table)."""
    sql, params = _data_select(f, lang)
    return _one(run, sql + " LIMIT $limit", **params, limit=int(limit))


def data_options(run: Run, dataset: str, column: str) -> list:
    """The values a categorical column takes (NULL last), for the page's filters."""
    ds = _dataset(dataset)
    ident = _ident(ds, column)
    sql = f'SELECT DISTINCT {ident} AS v FROM "{ds.name}" ORDER BY 1 NULLS LAST'
    return _one(run, sql)["v"].to_list()


def data_for_download(path: str, f: DataFilter, lang: str) -> tuple[pl.DataFrame, dict]:
    """Every filtered row and the run it was read from, in one connection, uncached.

    Called by a download button's callable on click (outside the script run, so no
    Streamlit cache). The run is read together with the rows, so a download states the run
    it really came from even if the warehouse was rebuilt since the page was drawn.
    """
    sql, params = _data_select(f, lang)
    rows, meta = _run_batch(path, [
        _q(sql, **params),
        _q("SELECT run_id, as_of_date, data_origin FROM pipeline_runs "
           "ORDER BY started_at DESC LIMIT 1")])
    return rows, (meta.row(0, named=True) if meta.height else {})


def table_columns(run: Run) -> pl.DataFrame:
    """Every table and column of the warehouse with its type, as loaded."""
    return _one(run, "SELECT table_name, column_name, data_type, ordinal_position "
                     "FROM information_schema.columns WHERE table_catalog = current_database() "
                     "AND table_schema = current_schema() "
                     "ORDER BY table_name, ordinal_position")


def table_rows(run: Run) -> dict[str, int]:
    """Row count of every catalogued table present in the warehouse."""
    present = set(table_columns(run)["table_name"].to_list())
    names = [ds.name for ds in catalogue.ALL if ds.name in present]
    if not names:
        return {}
    sql = " UNION ALL ".join(f"SELECT '{n}' AS t, count(*) AS n FROM \"{n}\"" for n in names)
    frame = _one(run, sql)
    return dict(zip(frame["t"].to_list(), frame["n"].to_list(), strict=True))
