"""データ品質 Data quality: the latest pipeline run (time, input files with SHA-256 and rows,
as-of date, origin), every expectation result grouped by file, the published-figure
reconciliation with differences flagged, and the earlier runs kept in the warehouse."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import access, fmt, queries, state, ui

v = state.view()
access.require_page("quality")  # not in the public edition
run = v.run
st.caption(v.t("qa_intro"))


def ts(value: object) -> str:
    return fmt.timestamp(value, v.lang)  # type: ignore[arg-type]


def origin(value: str | None) -> str:
    return v.t(f"qa_origin_{value}") if value in ("sample", "provided") else str(value or "–")


# --- the latest run ---------------------------------------------------------------------------
runs = queries.runs(run)
latest = runs.filter(pl.col("run_id") == run.run_id)
info = latest.row(0, named=True) if latest.height else {}
st.header(v.t("qa_latest"), anchor=False)
facts = [
    (v.t("run_id"), f"`{run.run_id}`"),
    (v.t("qa_started"), ts(run.started_at)),
    (v.t("qa_finished"), ts(run.finished_at)),
    (v.t("as_of"), fmt.date(run.as_of_date, v.lang)
     + (f" ({v.fy_label(run.as_of_fy)})" if run.as_of_fy is not None else "")),
    (v.t("qa_origin"), origin(run.data_origin)),
    (v.t("qa_raw_dir"), f"`{ui.shown_path(info['raw_dir']) if info.get('raw_dir') else '–'}`"),
]
st.markdown("\n".join(f"- **{k}**: {val}" for k, val in facts))

files = queries.run_files(run)
st.markdown(f"**{v.t('qa_files')}**")
file_labels = {"file": v.t("qa_col_file"), "sha256": "SHA-256", "rows": v.t("qa_col_rows"),
               "encoding": v.t("qa_col_encoding")}
st.dataframe(files.filter(pl.col("run_id") == run.run_id).drop("run_id").rename(
    file_labels, strict=False), hide_index=True, width="stretch", key="qa_files")

# --- expectation results, by file -------------------------------------------------------------
st.header(v.t("qa_checks"), anchor=False)
checks = queries.validation_results(run)
if checks.height == 0:
    st.info(v.t("qa_no_checks"))
else:
    warn = pl.col("severity") == "warning"
    ok = int(checks.filter(pl.col("success")).height)
    n_warn = int(checks.filter(~pl.col("success") & warn).height)
    bad = checks.height - ok - n_warn
    summary = v.t("qa_summary", n=checks.height, ok=ok, bad=bad, warn=n_warn)
    (st.error if bad else st.warning if n_warn else st.success)(summary)
    result = (pl.when(pl.col("success")).then(pl.lit(v.t("qa_pass")))
              .when(warn).then(pl.lit(v.t("qa_warn"))).otherwise(pl.lit(v.t("qa_fail"))))
    shown = checks.with_columns(result.alias(v.t("qa_result")))
    for (suite,), group in shown.group_by("suite", maintain_order=True):
        passed = int(group["success"].sum())
        failed = group.height - passed
        with st.expander(v.t("qa_suite", suite=suite, ok=passed, bad=failed),
                         expanded=failed > 0):
            st.dataframe(
                group.select(v.t("qa_result"), "rule", "column_name", "severity",
                             "element_count", "unexpected_count", "examples", "message"),
                hide_index=True, width="stretch", key=f"qa_suite_{suite}")

# --- published figures ------------------------------------------------------------------------
st.header(v.t("qa_published"), anchor=False)
pub = queries.published_checks(run)
if pub.height == 0:
    st.info(v.t("qa_published_none"))
else:
    mismatches = pub.filter(~pl.col("matches")).height
    if mismatches:
        st.warning(v.t("qa_published_bad", n=mismatches))
    else:
        st.success(v.t("qa_published_ok", n=pub.height))
    flag = pl.when(pl.col("matches")).then(pl.lit(v.t("qa_match"))).otherwise(
        pl.lit(v.t("qa_mismatch")))
    st.dataframe(pub.select(flag.alias(v.t("qa_result")), pl.exclude("matches")),
                 hide_index=True, width="stretch", key="qa_published")

# --- earlier runs -----------------------------------------------------------------------------
st.header(v.t("qa_history"), anchor=False)
earlier = runs.filter(pl.col("run_id") != run.run_id)
if earlier.height == 0:
    st.caption(v.t("qa_no_history"))
else:
    earlier = earlier.with_columns(pl.col("raw_dir").map_elements(
        ui.shown_path, return_dtype=pl.String))  # no absolute paths in the browser
    st.dataframe(earlier, hide_index=True, width="stretch", key="qa_runs")
    with st.expander(v.t("qa_history_files")):
        st.dataframe(files.filter(pl.col("run_id") != run.run_id), hide_index=True,
                     width="stretch", key="qa_runs_files")
