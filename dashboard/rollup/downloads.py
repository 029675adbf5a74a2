"""The roll-up edition's downloads (``rollup/views/data.py``): ``rollup_kpi`` and
``rollup_kpi_pace`` of the selected organisations as CSV (``release.exports``) or XLSX
(``release.xlsx``, with its about sheet). Everything in the roll-up file is already in
publication form (each organisation's protected pack; a withheld cell is empty, its flag says
why), so no disclosure control runs here.

``download(...)`` returns the lazy ``data=`` of a download button, as ``dashboard.downloads``
does: the arguments are fixed by closure when the page is drawn; on the click the role is
checked again (``access.authorize_rollup_download``, the access file as it is then), the rows
are read, and the ``download`` audit line is written before the bytes leave (no line, no
bytes), within the ministry edition's download budget (``dashboard.downloads``: rows per
format, bytes per file; the page offers no button past it, and the click checks again). No
Streamlit and no session state here: it runs in Streamlit's download thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import polars as pl

from dashboard import access, audit
from dashboard.downloads import BUDGET_BYTES, BUDGET_ROWS, OverBudget, within_budget
from dashboard.rollup import queries as rq
from release import exports as ex
from release import i18n, xlsx

DATASETS = access.ROLLUP_DATASETS
FORMATS = ("csv", "xlsx")
MIME = {"csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# the columns an about sheet explains (the others are kpi's and kpi_pace's own)
COLUMN_KEYS = {"organisation": "rollup_col_organisation", "flag": "rollup_col_flag",
               "value_low": "rollup_col_value_low", "value_high": "rollup_col_value_high"}


def title(dataset: str, lang: str) -> str:
    return i18n.t(f"rollup_ds_{dataset}", lang)


def definition(dataset: str, lang: str) -> str:
    return i18n.t(f"rollup_ds_{dataset}_def", lang)


def file_name(kind: str, dataset: str, orgs: rq.Orgs, as_of: dt.date | None) -> str:
    parts = ["all"] if orgs is None else (
        ["+".join(orgs)] if len(orgs) <= 3 else [f"{len(orgs)}orgs"])
    return ex.file_name(dataset, parts, as_of, kind, suppressed=True)


def meta(dataset: str, frame: pl.DataFrame, orgs: rq.Orgs, names: dict[str, str], lang: str,
         as_of: dt.date | None, run_id: str, month: str | None = None) -> xlsx.ExportMeta:
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    chosen = t("rollup_all_orgs") if orgs is None else ", ".join(
        f"{c} {names.get(c, '')}".strip() for c in orgs)
    return xlsx.ExportMeta(
        dataset=dataset, title=title(dataset, lang), definition=definition(dataset, lang),
        filters=((t("rollup_orgs"), chosen),
                 *(((t("rollup_month"), month),) if month else ()),
                 (t("data_publication"), t("data_yes"))),
        as_of=as_of, run_id=run_id, data_origin=None,
        generated_at=dt.datetime.now().astimezone().replace(microsecond=0),
        columns=tuple((c, str(dtype), t(COLUMN_KEYS[c]) if c in COLUMN_KEYS else "")
                      for c, dtype in frame.schema.items()),
        lang=lang)


def download(kind: str, path: str, dataset: str, orgs: rq.Orgs, *, lang: str,
             names: dict[str, str], as_of: dt.date | None, run_id: str,
             principal: access.Principal, month: str | None = None) -> Callable[[], bytes]:
    """The lazy ``data=`` of a roll-up download button (every argument fixed now)."""
    if kind not in FORMATS or dataset not in DATASETS:
        raise ValueError(f"not a roll-up download: {dataset} as {kind}")
    chosen: Sequence[str] | None = tuple(orgs) if orgs is not None else None
    names = dict(names)

    def make() -> bytes:
        who = access.authorize_rollup_download(principal, dataset)
        frame = rq.download_rows(path, dataset, chosen, lang, month)
        if not within_budget(kind, frame.height):  # the ministry edition's budget (issue 28)
            raise OverBudget(f"{frame.height} rows > {BUDGET_ROWS[kind]} for {kind}")
        if kind == "csv":
            data = ex.to_csv(frame).data
        else:
            data = xlsx.to_xlsx(frame, meta(dataset, frame, chosen, names, lang, as_of, run_id,
                                            month))
        if len(data) > BUDGET_BYTES:
            raise OverBudget(f"{len(data)} bytes > {BUDGET_BYTES}")
        audit.record("download", who, strict=True, page="rollup-data", dataset=dataset,
                     format=kind, filters={"organisations": list(chosen) if chosen else None,
                                           "month": month},
                     rows=frame.height, publication=True, run_id=run_id)
        return data

    return make
