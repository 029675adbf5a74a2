"""監査ログ Audit log (admins): the audit trail (``dashboard.audit``) filtered by user, event and
date, newest first, and the filtered lines as CSV. The download is itself an audited download,
and its callable checks the admin role again when the bytes are made."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboard import access, audit, downloads, state

v = state.view()
principal = access.require_page("audit")  # the principal of this rerun
st.caption(v.t("audit_intro"))

log, bad = audit.read()
if bad:
    st.warning(v.t("audit_bad", n=bad))
if log.height == 0:
    st.info(v.t("audit_empty"))
    st.stop()

log = log.with_columns(pl.col("ts").str.to_datetime(time_zone="UTC", strict=False)
                       .alias("_at")).sort("_at", descending=True, nulls_last=True)
days = log["_at"].dt.date().drop_nulls()
cols = st.columns([2, 2, 2])
users = cols[0].multiselect(v.t("audit_user"), sorted(log["user"].drop_nulls().unique()),
                            key="audit_users", placeholder="*")
events = cols[1].multiselect(v.t("audit_event"), list(audit.EVENTS), key="audit_events",
                             placeholder="*")
lo, hi = (days.min(), days.max()) if days.len() else (dt.date.today(), dt.date.today())
span = cols[2].date_input(v.t("audit_dates"), value=(lo, hi), key="audit_dates")

conds = []
if users:
    conds.append(pl.col("user").is_in(users))
if events:
    conds.append(pl.col("event").is_in(events))
if isinstance(span, tuple | list) and len(span) == 2:
    conds.append(pl.col("_at").dt.date().is_between(span[0], span[1]))
shown = (log.filter(*conds) if conds else log).drop("_at")
st.caption(v.t("audit_rows", n=f"{shown.height:,}"))
st.dataframe(shown, hide_index=True, width="stretch", key="audit_table")

filters = {"users": users or None, "events": events or None,
           "dates": [str(d) for d in span] if isinstance(span, tuple | list) else None}


st.download_button(v.t("audit_csv"), data=downloads.audit_csv(shown, principal, filters),
                   on_click="ignore", mime="text/csv", key="audit_dl",
                   file_name=f"audit_{dt.date.today():%Y%m%d}.csv", icon=":material/download:")
