"""計画の振り返り Plan review (issue 18): one plan generation at a time (URL ``?plan=``): per
metric the years met / below / above, first and last value, the target across revisions and
the final status (or "to date"); the previous plan's final year against this one's first; the
review as CSV and the briefing pack with the review as a section (both made on click, the role
re-checked and the download audited: dashboard/downloads.py). The rows come from
dashboard/review.py (the briefing pack shows the same)."""

from __future__ import annotations

import streamlit as st

from dashboard import access, brief, downloads, fmt, review, state, ui
from release import exports

v = state.view()
principal = access.require_page("review")
st.caption(v.t("review_intro"))

gens = review.generations(v.run, v.lang)
if not gens:
    st.info(v.t("review_no_plans"))
    st.stop()
by_id = {g.plan_id: g for g in gens}
# the default: the latest generation that has ended, else the latest
ended = [g for g in gens if (v.run.as_of_fy or 0) > g.fy_to]
default = (ended or gens)[-1].plan_id


def generation_of(raw: str) -> str:
    """A link's ``?plan=``: a generation's id, or a revision's (its generation)."""
    g = review.find(v.run, v.lang, raw)
    return g.plan_id if g is not None else raw


chosen = state.url_select("plan", "review_plan", v.t("review_select"), list(by_id), default,
                          format_func=lambda pid: by_id[pid].title, parse=generation_of)
gen = by_id[chosen]
r = review.review(v.run, v.lang, gen)

st.header(ui.md(gen.title), anchor=False)
period = f"{fmt.fy_label(gen.fy_from, v.lang)} – {fmt.fy_label(gen.fy_to, v.lang)}"
st.markdown(v.t("review_period", period=ui.md(period)))
for p in gen.plans:
    adopted = fmt.date(p["adopted_on"], v.lang) if p["adopted_on"] else "–"
    line = v.t("review_plan_line", title=ui.md(review.title(p, v.lang)), adopted=ui.md(adopted),
               fys=ui.md(f"{fmt.fy_label(p['fy_from'], v.lang)} – "
                         f"{fmt.fy_label(p['fy_to'], v.lang)}"))
    st.markdown("- " + line)
st.caption(v.t("review_ended") if r.ended else v.t("review_in_force"))

st.subheader(v.t("review_by_metric"), anchor=False)
if r.rows.height == 0:
    st.info(v.t("review_no_targets"))
else:
    st.dataframe(r.rows, hide_index=True, width="stretch", key="review_table")

if r.previous is not None and r.handover.height:
    st.subheader(v.t("review_handover", previous=ui.md(r.previous.title)), anchor=False)
    st.dataframe(r.handover, hide_index=True, width="stretch", key="review_handover")


if r.rows.height:
    csv_col, *pack_cols = st.columns(3, vertical_alignment="bottom")
    for kind, col in zip(brief.KINDS, pack_cols, strict=True):
        with col:
            ui.brief_button(v, principal, kind, page="review", key=f"review_brief_{kind}",
                            help_text=v.t("review_brief_help"), plan=gen.plan_id)
    # made on click: the role is checked again then, and the download is audited
    # (downloads.review_csv); unprotected kpi figures, so planners and up (access.py)
    csv_ok = access.may_review_csv(principal)
    csv_col.download_button(v.t("review_download"),
                            data=downloads.review_csv(r.rows, principal, plan_id=gen.plan_id,
                                                      lang=v.lang, run_id=v.run.run_id),
                            key="review_download", on_click="ignore", disabled=not csv_ok,
                            help=None if csv_ok else v.t("review_download_role"),
                            file_name=exports.file_name("plan_review", [gen.plan_id, v.lang],
                                                        v.run.as_of_date, "csv"),
                            mime="text/csv", icon=":material/download:", width="stretch")
