"""データ更新 / Data deliveries (issue 22; stewards and admins): upload any of the contract's
files (or one .zip), see the validation (run in a separate process: this page only reads its
state on disk, so anyone can leave and come back), what would change, and approve, reject,
withdraw; the live versions and, for admins, restore. Every action is re-checked when it is
carried out (``dashboard.deliveries`` → ``access.authorize_delivery`` → the flow)."""

from __future__ import annotations

import streamlit as st

from dashboard import access, deliveries, signin, ui
from pipelines.delivery import flow, versions
from pipelines.delivery.store import StoreError
from release import i18n

principal = access.require_page(access.DELIVERIES_PAGE)
lang = signin.lang()


def t(key: str, **kw: object) -> str:
    return i18n.t(key, lang, **kw)


K_MSG, K_PICK = "dlv_msg", "dlv_pick"
store = deliveries.store()
st.caption(t("dlv_intro"))
try:
    store.open()
except (StoreError, OSError) as exc:  # e.g. DTP_DELIVERIES holds another warehouse's store
    st.error(t("dlv_store_error", error=str(exc)), icon=":material/error:")
    st.stop()
if not access.four_eyes(principal):
    st.info(t("dlv_local_mode"), icon=":material/person:")


K_NEXT = "dlv_pick_next"  # the delivery to show after the rerun (set before its widget)


def show_outcome(out: deliveries.Outcome) -> None:
    st.session_state[K_MSG] = (out.ok, out.lines)
    if out.delivery:
        st.session_state[K_NEXT] = out.delivery


msg = st.session_state.pop(K_MSG, None)
if msg:
    ok, lines = msg
    # plain text: a refused upload's lines name the uploaded files (hostile names)
    (st.success if ok else st.error)("\n\n".join(ui.md(x) for x in lines))

# --- upload ------------------------------------------------------------------------------------
st.header(t("dlv_upload"), anchor=False)
with st.form("dlv_upload_form", clear_on_submit=True):
    uploaded = st.file_uploader(t("dlv_files"), accept_multiple_files=True, key="dlv_files",
                                help=t("dlv_files_help", mb=deliveries.upload_limit_mb()))
    note = st.text_area(t("dlv_note"), key="dlv_note", max_chars=2000)
    sent = st.form_submit_button(t("dlv_submit"), type="primary", icon=":material/upload:")
if sent:
    if not uploaded:
        st.session_state[K_MSG] = (False, (t("dlv_no_files"),))
    else:
        show_outcome(deliveries.upload(principal, [(f.name, f.getvalue()) for f in uploaded],
                                       note, lang))
    st.rerun()

# --- deliveries --------------------------------------------------------------------------------
st.header(t("dlv_list"), anchor=False)
items = flow.list_deliveries(store)
if not items:
    st.info(t("dlv_none"))
else:
    st.dataframe(deliveries.deliveries_table(items, lang), hide_index=True, width="stretch",
                 key="dlv_table")
    ids = [d.id for d in items]
    if st.session_state.get(K_NEXT) in ids:
        st.session_state[K_PICK] = st.session_state.pop(K_NEXT)
    if st.session_state.get(K_PICK) not in ids:
        st.session_state[K_PICK] = ids[0]
    by_id = {d.id: d for d in items}
    picked = st.selectbox(t("dlv_pick"), ids, key=K_PICK,
                          format_func=lambda i: f"{i} — {by_id[i].by}")
    busy = by_id[picked].state == "validating"

    def panel() -> None:
        try:
            d = flow.get(store, picked)
        except flow.UnknownDelivery:
            st.info(t("dlv_gone"))
            return
        if busy and d.state != "validating":
            st.rerun(scope="app")  # done: the whole page shows its result (and stops polling)
        st.subheader(t("dlv_detail", id=d.id), anchor=False)
        st.markdown(f"**{t('dlv_col_state')}**: {deliveries.state_label(d.state, lang)}　｜　"
                    f"**{t('dlv_col_by')}**: {ui.md(d.by)}　｜　"
                    f"**{t('dlv_col_at')}**: {d.created_at}")
        if d.note:
            st.text(d.note)
        if d.state == "validating":
            share, text = deliveries.progress(d, lang)
            st.progress(share, text=text)
        elif d.state == "interrupted":
            st.warning(t("dlv_interrupted"), icon=":material/warning:")
        if d.reason and d.state == "rejected":
            st.text(t("dlv_reason_was", reason=d.reason))
        st.dataframe(deliveries.files_table(d, lang), hide_index=True, width="stretch",
                     key=f"dlv_files_{d.id}")
        report = flow.report_of(store, d.id)
        if report.height:
            st.markdown(f"**{t('dlv_report')}**")
            st.dataframe(deliveries.report_table(report, lang), hide_index=True,
                         width="stretch", key=f"dlv_report_{d.id}")
            st.download_button(t("dlv_report_csv"), data=deliveries.report_csv(report),
                               file_name=f"delivery_{d.id}_report.csv", mime="text/csv",
                               key=f"dlv_report_dl_{d.id}", on_click="ignore",
                               icon=":material/download:")
        changes = flow.changes_of(store, d.id)
        if changes is not None:
            st.markdown(f"**{t('dlv_changes')}**")
            st.info(changes.summary(lang), icon=":material/difference:")
            flips = deliveries.kpi_table(changes, lang, flips_only=True)
            if flips.height:
                st.markdown(t("dlv_flips"))
                st.dataframe(flips, hide_index=True, width="stretch", key=f"dlv_flips_{d.id}")
            with st.expander(t("dlv_all_kpi", n=changes.kpi.height)):
                table = deliveries.kpi_table(changes, lang)
                if table.height:
                    st.dataframe(table, hide_index=True, width="stretch",
                                 key=f"dlv_kpi_{d.id}")
            pace = deliveries.pace_table(changes, lang)
            if pace.height:
                with st.expander(t("dlv_pace", n=pace.height)):
                    st.dataframe(pace, hide_index=True, width="stretch", key=f"dlv_pace_{d.id}")
            with st.expander(t("dlv_file_changes")):
                st.dataframe(deliveries.file_changes_table(changes, lang), hide_index=True,
                             width="stretch", key=f"dlv_fch_{d.id}")
                dates = {r["item"]: r for r in changes.dates.iter_rows(named=True)}
                for item, key in (("as_of_date", "dlv_as_of_date"), ("as_of_fy", "dlv_as_of_fy")):
                    if item in dates:
                        st.text(t(key, before=dates[item]["before"] or "–",
                                  after=dates[item]["after"] or "–"))
                if changes.published.height:
                    st.dataframe(changes.published, hide_index=True, width="stretch",
                                 key=f"dlv_pub_{d.id}")
        actions(d)

    def actions(d: flow.Delivery) -> None:
        own = d.by.casefold() == principal.user.casefold()
        cols = st.columns(4)
        if d.state == "valid":
            blocked = own and access.four_eyes(principal)
            if cols[0].button(t("dlv_approve"), type="primary", key=f"dlv_approve_{d.id}",
                              disabled=blocked, icon=":material/check:",
                              help=t("dlv_refuse_own", id=d.id) if blocked else None):
                show_outcome(deliveries.approve(principal, d.id, lang))
                st.rerun(scope="app")
            reason = cols[1].text_input(t("dlv_reason"), key=f"dlv_reason_{d.id}")
            if cols[1].button(t("dlv_reject"), key=f"dlv_reject_{d.id}",
                              icon=":material/block:"):
                show_outcome(deliveries.reject(principal, d.id, reason, lang))
                st.rerun(scope="app")
        if d.state in flow.OPEN and (own or principal.has("admin")) and cols[2].button(
                t("dlv_withdraw"), key=f"dlv_withdraw_{d.id}", icon=":material/undo:"):
            show_outcome(deliveries.withdraw(principal, d.id, lang))
            st.rerun(scope="app")
        if d.state == "interrupted" and cols[3].button(
                t("dlv_rerun"), key=f"dlv_rerun_{d.id}", icon=":material/replay:"):
            show_outcome(deliveries.rerun(principal, d.id, lang))
            st.rerun(scope="app")
        if d.state in ("rejected", "withdrawn", "superseded") and access.may_delete_delivery(
                principal, d.by) and cols[3].button(t("dlv_delete"), key=f"dlv_delete_{d.id}",
                                                    icon=":material/delete:"):
            show_outcome(deliveries.delete(principal, d.id, lang))
            st.rerun(scope="app")

    # while a validation runs, only this part reruns (every 2 s), reading its state on disk
    st.fragment(panel, run_every=2.0 if busy else None)()

# --- versions ----------------------------------------------------------------------------------
st.header(t("dlv_versions"), anchor=False)
kept = versions.list_versions(store)
if not kept:
    st.info(t("dlv_no_versions"))
else:
    live = versions.live_version(store)
    st.dataframe(deliveries.versions_table(kept, live.number if live else None, lang),
                 hide_index=True, width="stretch", key="dlv_versions")
    if access.may_restore(principal):
        cols = st.columns([1, 3, 1])
        number = cols[0].selectbox(t("dlv_version_n"), [v.number for v in kept],
                                   key="dlv_restore_n")
        why = cols[1].text_input(t("dlv_reason"), key="dlv_restore_reason")
        if cols[2].button(t("dlv_restore"), key="dlv_restore", icon=":material/history:"):
            show_outcome(deliveries.restore(principal, int(number), why, lang))
            st.rerun()
    else:
        st.caption(t("dlv_restore_admins"))
