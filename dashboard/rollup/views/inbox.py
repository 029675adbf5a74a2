"""提出 Submit a pack (the roll-up edition's inbox, issue 24): a submitter (the access file's
``submitter`` list, ``"MOE:group:moe-dtp"``) uploads its organisation's publication pack as one
zip; the page shows the validation in the CLI's words, or what changed against that
organisation's previous month (status flips first, then cells newly withheld and newly shown,
then values), and the submitter accepts it into the roll-up store. Everything that decides is
in ``dashboard.rollup.inbox`` and ``dashboard.access`` (a pack of another organisation is
refused there, server-side)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import access, fmt
from dashboard.rollup import inbox
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui
from pipelines import settings
from pipelines.schema import METRIC_BY_CODE
from release import i18n, intake

K_RECEIVED = "_inbox_received"
KINDS = {"flip": "inbox_kind_flip", "withheld": "inbox_kind_withheld",
         "shown": "inbox_kind_shown", "value": "inbox_kind_value", "added": "inbox_kind_added",
         "removed": "inbox_kind_removed"}

v = rui.view()
principal = access.require_page(access.INBOX_PAGE)
store = settings.rollup_store()
mine = (v.t("inbox_any_org") if access.ANY_ORGANISATION in principal.submits
        else ", ".join(v.org_label(c) for c in principal.submits))
st.caption(v.t("inbox_intro", orgs=mine))

st.header(v.t("inbox_upload_title"), anchor=False)
if store is None:
    st.info(v.t("inbox_no_store"), icon=":material/inbox:")
    st.stop()
up = st.file_uploader(v.t("inbox_upload"), type=["zip"], key="inbox_upload",
                      help=v.t("inbox_upload_help"))
if up is None:
    st.session_state.pop(K_RECEIVED, None)
    st.stop()
got: inbox.Received | None = st.session_state.get(K_RECEIVED)
if got is None or got.upload_id != up.file_id:  # a new upload: checked once
    got = inbox.receive(principal, up.name, up.getvalue(), store)
    got.upload_id = up.file_id
    st.session_state[K_RECEIVED] = got

if got.problems:
    st.error(v.t("inbox_rejected", name=got.name), icon=":material/error:")
    st.code("\n".join(got.problems), language=None, wrap_lines=True)
    st.stop()
if got.refused:
    st.error(v.t("inbox_refused", name=got.name, org=got.organisation or "?", orgs=mine),
             icon=":material/block:")
    st.stop()

st.header(v.t("inbox_checked_title"), anchor=False)
st.success(v.t("inbox_valid", name=got.name, org=v.org_label(got.organisation),
               month=v.month_label(got.month), date=got.as_of_date), icon=":material/check:")
if got.replaces is not None and got.accepted is None:
    st.warning(v.t("inbox_replaces", month=v.month_label(got.month),
                   at=got.replaces.get("accepted_at", "")[:16].replace("T", " ")),
               icon=":material/swap_horiz:")

st.header(v.t("inbox_changes_title"), anchor=False)
changes = got.changes if got.changes is not None else pl.DataFrame()
if got.previous is None:
    st.info(v.t("inbox_first_month"))
else:
    st.caption(v.t("inbox_changes_against", month=v.month_label(got.previous["month"])))
    counts = {k: changes.filter(pl.col("kind") == k).height for k in ("flip", "withheld",
                                                                      "shown", "value")}
    st.markdown(v.t("inbox_changes_summary", **counts))
    if changes.height:
        def _val(row: dict, side: str) -> str:
            flag = row[f"flag_{side}"]
            if flag is None:
                return fmt.MISSING
            if flag != "F":
                return f"{rui.WITHHELD} ({flag})"
            return fmt.value(row[f"value_{side}"], METRIC_BY_CODE[row["metric"]].is_rate)

        def _status(s: str | None) -> str:
            return i18n.status_text(s, v.lang) if s else fmt.MISSING

        st.dataframe(pl.DataFrame([{
            v.t("inbox_change"): v.t(KINDS[r["kind"]]),
            v.t("metric"): i18n.metric_name(r["metric"], v.lang),
            v.t("fy"): v.fy_label(r["fiscal_year"]),
            v.t("inbox_bureau"): r["bureau_code"] or v.t("inbox_ministry"),
            v.t("inbox_before"): _val(r, "before") + " · " + _status(r["status_before"]),
            v.t("inbox_after"): _val(r, "after") + " · " + _status(r["status_after"]),
        } for r in changes.iter_rows(named=True)]), key="inbox_changes", hide_index=True,
            width="stretch")
    else:
        st.info(v.t("inbox_no_change"))

if got.accepted is not None:
    st.success(v.t("inbox_accepted", org=v.org_label(got.organisation),
                   month=v.month_label(got.month)), icon=":material/done_all:")
    st.stop()
if st.button(v.t("inbox_accept"), key="inbox_accept", type="primary",
             icon=":material/move_to_inbox:"):
    try:
        inbox.accept(principal, got, store, rq.path())
    except access.AccessDenied:
        st.error(v.t("inbox_refused", name=got.name, org=got.organisation, orgs=mine),
                 icon=":material/block:")
        st.stop()
    except intake.Rejected as exc:
        st.error(v.t("inbox_rejected", name=got.name), icon=":material/error:")
        st.code("\n".join(exc.messages), language=None, wrap_lines=True)
        st.stop()
    st.rerun()
