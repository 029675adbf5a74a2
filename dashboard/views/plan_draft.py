"""計画の改定案 Draft revision (issue 26): a planner picks the plan to revise (URL ``?plan=``,
default the plan in force), sets the adoption date, titles and the revision's targets in an
editable table, and sees at once — judged by the build's own rule through
``queries.draft_impact`` (pipelines/revision.py; nothing is judged here) — every metric × FY ×
bureau whose status would change (first), the plan in force per FY before → after, this year's
outlook and chance of meeting the draft target, what is still needed, and a chart of the
current and draft targets (URL ``?metric=``). The draft is kept per user on disk
(``revision.save_draft``: DTP_DRAFTS, 0600); its files are downloaded (``downloads.draft_csv``)
or proposed as a data delivery (``pipelines.delivery``), both re-checked and audited. Nothing
here writes to the warehouse. Planners and up (``access.may_draft``)."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import streamlit as st

from dashboard import access, charts, downloads, fmt, queries, state, ui
from pipelines import revision, settings
from pipelines.fiscal import fiscal_year
from pipelines.schema import METRIC_BY_CODE, METRICS, TARGET_KINDS
from release import i18n

v = state.view()
principal = access.require_page("draft")
st.caption(v.t("draft_intro"))

live = queries.draft_live(v.run)
if not live.plans.height:
    st.info(v.t("draft_no_plans"))
    st.stop()

ss = st.session_state
folder = settings.drafts_dir()
plans = {r["plan_id"]: r for r in live.plans.iter_rows(named=True)}
COLUMNS = ("metric", "fy_from", "fy_to", "kind", "target_min", "target_max")
FLIP_LINES = 5  # status changes also listed as text above their table


def title(pid: str | None) -> str:
    return ui.plan_title(plans[pid], v.lang) if pid in plans else "–"


# --- the kept draft (per user, on disk): opened once per session ------------------------------
if "_draft_loaded" not in ss:
    ss["_draft_loaded"] = True
    kept = revision.load_draft(folder, principal.user)
    if kept is not None and kept.get("plan_id") in plans:  # it went live: start afresh
        revision.discard_draft(folder, principal.user)
        kept = None
    if kept is not None and kept.get("revises") in plans:
        ss["_draft_restore"] = kept
        ss["draft_plan"] = kept["revises"]
        st.toast(v.t("draft_restored"), icon=":material/restore:")

chosen = state.url_select("plan", "draft_plan", v.t("draft_plan"), list(plans),
                          live.in_force_default(), format_func=title)
base = plans[chosen]


def start(pid: str, kept: dict | None) -> None:
    """The page's fields for a draft of ``pid``: the kept one, else the plan's own targets from
    the FY of the default adoption date on."""
    p = plans[pid]
    adopted = p["adopted_on"] or dt.date(p["fy_from"], 4, 1)
    day = max(live.as_of_date or adopted, adopted + dt.timedelta(days=1))
    fy_from = min(max(fiscal_year(day), p["fy_from"]), p["fy_to"])
    n = 1
    while f"{pid}-rev{n}"[:32] in plans:
        n += 1
    rows = [{c: r[c] for c in COLUMNS} | {"fy_from": max(r["fy_from"], fy_from)}
            for r in live.targets.filter((pl.col("plan_id") == pid)
                                         & (pl.col("fy_to") >= fy_from)).iter_rows(named=True)]
    fields = {"draft_plan_id": f"{pid}-rev{n}"[:32], "draft_adopted_on": day, "draft_fy_from": 0,
              "draft_title_ja": i18n.t("draft_title_suffix", "ja", title=ui.plan_title(p, "ja")),
              "draft_title_en": i18n.t("draft_title_suffix", "en", title=ui.plan_title(p, "en"))}
    if kept is not None:
        fields |= {"draft_plan_id": kept.get("plan_id", fields["draft_plan_id"]),
                   "draft_adopted_on": dt.date.fromisoformat(kept["adopted_on"]),
                   "draft_fy_from": kept.get("fy_from") or 0,
                   "draft_title_ja": kept.get("title_ja", ""),
                   "draft_title_en": kept.get("title_en", "")}
        rows = [{c: t.get(c) for c in COLUMNS} for t in kept.get("targets", [])]
    ss.update(fields)
    ss["_draft_for"] = pid
    ss["_draft_start"] = fields["draft_fy_from"] or min(max(
        fiscal_year(fields["draft_adopted_on"]), p["fy_from"]), p["fy_to"])
    ss["_draft_rows"] = pl.DataFrame(rows, schema={
        "metric": pl.String, "fy_from": pl.Int64, "fy_to": pl.Int64, "kind": pl.String,
        "target_min": pl.Float64, "target_max": pl.Float64}, orient="row").to_pandas()
    ss["_draft_gen"] = ss.get("_draft_gen", 0) + 1  # a new table widget for the new rows
    # the first draft text of a fresh start is its default (not kept); a kept one is kept
    if kept is None:
        ss.pop("_draft_default", None)
    else:
        ss["_draft_default"] = ""


if ss.get("_draft_for") != chosen:
    kept = ss.pop("_draft_restore", None)
    start(chosen, kept if kept and kept.get("revises") == chosen else None)

c1, c2, c3 = st.columns(3)
c1.text_input(v.t("draft_plan_id"), key="draft_plan_id", help=v.t("draft_plan_id_help"),
              max_chars=32)
c2.date_input(v.t("draft_adopted_on"), key="draft_adopted_on", format="YYYY-MM-DD",
              min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
c3.number_input(v.t("draft_fy_from"), key="draft_fy_from", min_value=0, max_value=2100,
                step=1, help=v.t("draft_fy_from_help"))
t1, t2 = st.columns(2)
t1.text_input(v.t("draft_title_ja"), key="draft_title_ja", max_chars=200)
t2.text_input(v.t("draft_title_en"), key="draft_title_en", max_chars=200)

st.header(v.t("draft_targets"), anchor=False)
st.caption(v.t("draft_targets_help"))
edited = st.data_editor(
    ss["_draft_rows"], key=f"draft_targets_{ss['_draft_gen']}", num_rows="dynamic",
    hide_index=True, width="stretch",
    column_config={
        "metric": st.column_config.SelectboxColumn(
            v.t("draft_col_metric"), options=[m.code for m in METRICS], required=True,
            format_func=lambda c: i18n.metric_name(c, v.lang) if c in METRIC_BY_CODE else c,
            width="large"),
        "fy_from": st.column_config.NumberColumn(v.t("draft_col_fy_from"), min_value=1900,
                                                 max_value=2100, step=1, format="%d",
                                                 required=True),
        "fy_to": st.column_config.NumberColumn(v.t("draft_col_fy_to"), min_value=1900,
                                               max_value=2100, step=1, format="%d",
                                               required=True),
        "kind": st.column_config.SelectboxColumn(
            v.t("draft_col_kind"), options=list(TARGET_KINDS), required=True,
            format_func=lambda k: i18n.enum_label("kind", k, v.lang)),
        "target_min": st.column_config.NumberColumn(v.t("draft_col_min"), format="%g"),
        "target_max": st.column_config.NumberColumn(v.t("draft_col_max"), format="%g"),
    })


def _cell(x: object) -> object:
    return None if x is None or (isinstance(x, float) and x != x) else x


def targets_of(frame: object) -> tuple[tuple[revision.Target, ...], str | None]:
    """The table's rows as targets (an empty row skipped), or the first row's problem."""
    out = []
    for n, raw in enumerate(frame.to_dict("records"), start=1):  # type: ignore[attr-defined]
        r = {c: _cell(raw.get(c)) for c in COLUMNS}
        if all(r[c] is None for c in COLUMNS):
            continue
        if any(r[c] is None for c in ("metric", "fy_from", "fy_to", "kind")):
            return (), v.t("draft_row", n=n, error=v.t("draft_row_incomplete"))
        t = revision.Target(str(r["metric"]), int(r["fy_from"]), int(r["fy_to"]), str(r["kind"]),
                            None if r["target_min"] is None else float(r["target_min"]),
                            None if r["target_max"] is None else float(r["target_max"]))
        try:
            revision.check_target(t)
        except revision.DraftError as exc:
            return (), v.t("draft_row", n=n, error=error_text(exc))
        out.append(t)
    return tuple(out), None


def error_text(exc: revision.DraftError) -> str:
    p = {k: (ui.md(i18n.metric_name(str(val), v.lang)) if k == "metric"
             and val in METRIC_BY_CODE else ui.md(val)) for k, val in exc.params.items()}
    try:
        return v.t(f"draft_err_{exc.key}", **p)
    except (KeyError, IndexError):
        return ui.md(str(exc))


targets, problem = targets_of(edited)
adopted = ss["draft_adopted_on"]
fy_from = int(ss["draft_fy_from"] or 0) or None
# the revision applies from its first FY: a row's earlier years are left out, not an error
start_fy = fy_from or max(fiscal_year(adopted), base["fy_from"]) if adopted else None
prev_start = ss.get("_draft_start")
if start_fy is not None and prev_start is not None and prev_start != start_fy:
    # the revision now starts in another FY: rows that began at its first FY follow it, and
    # no row reaches before it (the table starts again from what was typed)
    moved = edited.copy()
    moved.loc[moved["fy_from"] == prev_start, "fy_from"] = start_fy
    moved = moved[moved["fy_to"].isna() | (moved["fy_to"] >= start_fy)]
    moved.loc[moved["fy_from"] < start_fy, "fy_from"] = start_fy
    ss["_draft_rows"] = moved.reset_index(drop=True)
    ss["_draft_gen"] += 1
    ss["_draft_start"] = start_fy
    st.rerun()
if start_fy is not None:
    targets = tuple(t if t.fy_from >= start_fy else revision.Target(
        t.metric, start_fy, t.fy_to, t.kind, t.target_min, t.target_max)
        for t in targets if t.fy_to >= start_fy)
draft = revision.Draft(chosen, (ss["draft_plan_id"] or "").strip(), adopted,
                       ss["draft_title_ja"], ss["draft_title_en"], targets, (), fy_from,
                       whole=True)

# keep the draft as typed (per user, 0600), whenever it changed
payload = revision.draft_json(draft) | {"targets": [
    {c: _cell(r.get(c)) for c in COLUMNS} for r in edited.to_dict("records")
    if any(_cell(r.get(c)) is not None for c in COLUMNS)]}
text = json.dumps(payload, sort_keys=True, default=str)
if ss.get("_draft_saved") != text:
    ss.setdefault("_draft_default", text)  # as the draft started: nothing to keep
    try:
        if text == ss["_draft_default"]:
            revision.discard_draft(folder, principal.user)
        else:
            revision.save_draft(folder, principal.user, payload)
        ss["_draft_saved"] = text
    except OSError:
        pass  # the draft stays in this session; nothing else depends on the file
k1, k2 = st.columns([3, 1], vertical_alignment="center")
k1.caption(v.t("draft_kept"))
if k2.button(v.t("draft_discard"), key="draft_discard", icon=":material/delete:"):
    revision.discard_draft(folder, principal.user)
    for key in ("_draft_for", "_draft_saved", "_draft_restore", "_draft_default"):
        ss.pop(key, None)
    st.rerun()

if problem is None:
    try:
        impact = queries.draft_impact(v.run, draft)
    except revision.DraftError as exc:
        problem = error_text(exc)
if problem is not None:
    st.error(v.t("draft_invalid", error=problem), icon=":material/error:")
    st.stop()

# --- what it changes ------------------------------------------------------------------------
ch = impact.changes
if v.bureaus is not None:
    ch = ch.filter(pl.col("bureau_code").is_in(list(v.bureaus)))
flips = ch.filter(pl.col("status_changed"))
st.divider()
if impact.changes.height:
    st.info(v.t("draft_summary", rows=f"{ch.height:,}", flips=f"{flips.height:,}"),
            icon=":material/difference:")
else:
    st.info(v.t("draft_no_change"), icon=":material/check:")


def arrow(a: str, b: str) -> str:
    return a if a == b else f"{a} → {b}"


def rows_table(frame: pl.DataFrame) -> pl.DataFrame:
    out = []
    for r in frame.iter_rows(named=True):
        rate = METRIC_BY_CODE[r["metric"]].is_rate
        cur = fmt.target(r["kind_before"], r["min_before"], r["max_before"], rate, v.lang)
        new = fmt.target(r["kind_after"], r["min_after"], r["max_after"], rate, v.lang)
        out.append({
            v.t("draft_c_metric"): i18n.metric_name(r["metric"], v.lang),
            v.t("draft_c_fy"): v.fy_label(r["fiscal_year"]),
            v.t("draft_c_bureau"): v.t("ministry_total") if r["bureau_code"] is None
            else v.bureau_label(r["bureau_code"]),
            v.t("draft_c_value"): fmt.value(r["value"], rate),
            v.t("draft_c_status"): arrow(i18n.status_text(r["status_before"], v.lang),
                                         i18n.status_text(r["status_after"], v.lang)),
            v.t("draft_c_target"): arrow(cur, new),
            v.t("draft_c_plan"): arrow(title(r["plan_before"]), plan_title(r["plan_after"])),
        })
    return pl.DataFrame(out)


def plan_title(pid: str | None) -> str:
    return ss["draft_title_ja" if v.lang == "ja" else "draft_title_en"] \
        if pid == draft.plan_id else title(pid)


st.header(v.t("draft_flips"), anchor=False)
st.caption(v.t("draft_bureau_note"))
if flips.height:
    # the first ones as text too (read aloud, and what a glance needs), then the whole table
    st.markdown("\n".join("- " + v.t(
        "draft_flip_line", metric=ui.md(i18n.metric_name(r["metric"], v.lang)),
        fy=ui.md(v.fy_label(r["fiscal_year"])),
        bureau=ui.md(v.t("ministry_total") if r["bureau_code"] is None
                     else v.bureau_label(r["bureau_code"])),
        before=ui.md(i18n.status_text(r["status_before"], v.lang)),
        after=ui.md(i18n.status_text(r["status_after"], v.lang)))
        for r in flips.head(FLIP_LINES).iter_rows(named=True)))
    st.dataframe(rows_table(flips), hide_index=True, width="stretch", key="draft_flips")
else:
    st.caption(v.t("draft_no_flips"))
rest = ch.filter(~pl.col("status_changed"))
if rest.height:
    with st.expander(v.t("draft_other", n=f"{rest.height:,}")):
        st.dataframe(rows_table(rest), hide_index=True, width="stretch", key="draft_rest")

st.header(v.t("draft_in_force"), anchor=False)
st.dataframe(pl.DataFrame([{
    v.t("draft_c_fy"): v.fy_label(fy), v.t("draft_c_current"): title(a),
    v.t("draft_c_draft"): plan_title(b), v.t("draft_c_changed"): "→" if a != b else ""}
    for fy, (a, b) in impact.in_force.items() if v.fy_from <= fy <= v.fy_to]),
    hide_index=True, width="stretch", key="draft_in_force")

# --- the year in progress under the draft's targets ----------------------------------------
if impact.as_of_fy is not None and v.run.in_progress(impact.as_of_fy):
    st.header(v.t("draft_pace", fy=v.fy_label(impact.as_of_fy)), anchor=False)
    keys = ["metric", "bureau_code"]
    pace = impact.pace_after.join(
        impact.pace_before.select(*keys, pl.col("p_meet").alias("p_before"),
                                  pl.col("pace_status").alias("s_before")),
        on=keys, how="left", nulls_equal=True).join(
        impact.after.filter(pl.col("fiscal_year") == impact.as_of_fy).select(
            *keys, "target_kind", "target_min", "target_max"), on=keys, how="left",
        nulls_equal=True)
    pace = pace.filter(pl.col("bureau_code").is_null() if v.bureaus is None
                       else pl.col("bureau_code").is_in(list(v.bureaus)))
    rows = []
    for r in pace.sort(pl.col("metric").replace_strict(
            {m.code: i for i, m in enumerate(METRICS)}, return_dtype=pl.Int32),
            "bureau_code", nulls_last=False).iter_rows(named=True):
        rate = METRIC_BY_CODE[r["metric"]].is_rate
        if r["target_kind"] is None and r["s_before"] in (None, "no_target"):
            continue

        def pct(p: float | None) -> str:
            return fmt.MISSING if p is None else f"{p * 100:.0f}%"
        rows.append({
            v.t("draft_c_metric"): i18n.metric_name(r["metric"], v.lang),
            v.t("draft_c_bureau"): v.t("ministry_total") if r["bureau_code"] is None
            else v.bureau_label(r["bureau_code"]),
            v.t("draft_c_ytd"): fmt.value(r["ytd"], rate),
            v.t("draft_c_projected"): fmt.projection(r["projected"], rate),
            v.t("draft_c_target"): fmt.target(r["target_kind"], r["target_min"],
                                              r["target_max"], rate, v.lang),
            v.t("draft_c_p_meet"): arrow(pct(r["p_before"]), pct(r["p_meet"])),
            v.t("draft_c_outlook"): arrow(i18n.status_text(r["s_before"] or "no_data", v.lang),
                                          i18n.status_text(r["pace_status"], v.lang)),
            v.t("draft_c_needed"): fmt.MISSING if r["needed"] is None
            else fmt.value(r["needed"], rate),
        })
    if rows:
        st.dataframe(pl.DataFrame(rows), hide_index=True, width="stretch", key="draft_pace")
    else:
        st.caption(v.t("draft_pace_none"))

# --- the chart: current and draft targets together -------------------------------------------
st.header(v.t("draft_chart"), anchor=False)
changed_metrics = flips["metric"].unique(maintain_order=True).to_list() or \
    ch["metric"].unique(maintain_order=True).to_list()
default_metric = changed_metrics[0] if changed_metrics else METRICS[0].code
metric = state.url_select("metric", "draft_metric", v.t("draft_chart_metric"),
                          [m.code for m in METRICS], default_metric,
                          format_func=lambda c: i18n.metric_name(c, v.lang))
m = METRIC_BY_CODE[metric]
one = v.bureaus[0] if v.bureaus is not None and len(v.bureaus) == 1 and m.by_bureau else None
scope = v.t("ministry_total") if one is None else v.bureau_label(one)


def series(frame: pl.DataFrame) -> list[charts.Point]:
    s = frame.filter((pl.col("metric") == metric) & pl.col("bureau_code").eq_missing(one)
                     & pl.col("fiscal_year").is_between(v.fy_from, v.fy_to)
                     ).sort("fiscal_year")
    return [charts.Point(r["fiscal_year"], r["value"], r["numerator"], r["denominator"],
                         r["status"], r["target_kind"], r["target_min"], r["target_max"],
                         plan_title(r["plan_id"]) if r["plan_id"] else None)
            for r in s.iter_rows(named=True)]


cur_pts, new_pts = series(impact.before), series(impact.after)
if new_pts:
    fig = charts.draft_chart(cur_pts, new_pts, ui.ticks(v, [p.fy for p in new_pts]),
                             is_rate=m.is_rate, lang=v.lang, fy_from=impact.files.fy_from,
                             names=(v.t("draft_c_current"), v.t("draft_c_draft")),
                             revision=v.t("draft_revision_line", title=plan_title(
                                 draft.plan_id)))
    ui.chart(fig, "draft_chart", caption=v.t("draft_chart_caption",
                                             metric=i18n.metric_name(metric, v.lang),
                                             scope=scope))

# --- hand-over: the files, or a data delivery -------------------------------------------------
st.header(v.t("draft_files"), anchor=False)
st.caption(v.t("draft_files_note"))
ok = access.may_draft(principal)
files = {"plans.csv": impact.files.plans, "plan_targets.csv": impact.files.targets,
         "impact.csv": impact.impact_csv}
for col, (name, frame) in zip(st.columns(len(files)), files.items(), strict=True):
    col.download_button(
        v.t("draft_download", file=name), key=f"draft_dl_{name.split('.')[0]}",
        data=downloads.draft_csv(frame, principal, name=name.split(".")[0], revises=chosen,
                                 plan_id=draft.plan_id, run_id=v.run.run_id),
        file_name=f"{draft.plan_id}_{name}" if name == "impact.csv" else name,
        mime="text/csv", on_click="ignore", disabled=not ok, icon=":material/download:",
        width="stretch")

# proposed as a data delivery (pipelines/delivery: the two plan files, every other file carried
# over from the live raw set; validated and built in a separate process; a second person
# approves it on the delivery side). Its upload audit line is written by the flow.
note = st.text_input(v.t("draft_propose_note"), key="draft_note", max_chars=500)
if st.button(v.t("draft_propose"), key="draft_propose", help=v.t("draft_propose_help"),
             disabled=not ok, icon=":material/send:", type="primary"):
    from pipelines.delivery import flow, intake, store

    try:
        now = access.authorize_draft(principal, "propose")
        data = {n: revision.csv_text(f).encode("utf-8") for n, f in files.items()
                if n != "impact.csv"}
        text = note.strip() or v.t("draft_revision_line", title=plan_title(draft.plan_id))
        d = flow.propose(store.Store(), data, text, now.user, roles=now.roles, run="spawn")
        ss["_draft_proposed"] = d.id
    except access.AccessDenied:
        st.stop()
    except flow.Refused as exc:
        st.error(v.t("draft_propose_failed", error=ui.md(i18n.t(exc.key, v.lang,
                                                                   **exc.params))))
    except (intake.Rejected, store.StoreError, OSError) as exc:
        st.error(v.t("draft_propose_failed", error=ui.md(str(exc))))
if ss.get("_draft_proposed"):
    from pipelines.delivery import flow, store

    try:
        state_now = flow.get(store.Store(), ss["_draft_proposed"]).state
    except (flow.Refused, store.StoreError, OSError):
        state_now = "?"
    st.success(v.t("draft_proposed", id=ui.md(ss["_draft_proposed"]), state=ui.md(state_now)),
               icon=":material/outgoing_mail:")
