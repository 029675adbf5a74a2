"""The データ更新 / Data deliveries page's actions and tables (issue 22): each action re-checks the
principal's right when it is carried out (``access.authorize_delivery``, roles as they are now)
and then calls the flow (``pipelines.delivery.flow``), which refuses a wrong state or one's own
delivery by itself. Nothing here runs a validation: the flow starts a separate process.
Refusals come back as one translated line (:class:`Outcome`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from dashboard import access, fmt
from dashboard.access import AccessDenied, Principal
from pipelines import settings
from pipelines.delivery import flow, intake, versions
from pipelines.delivery.changes import Changes
from pipelines.delivery.store import Store, StoreError
from pipelines.schema import METRIC_BY_CODE
from release import exports, i18n

PHASE_SHARE = {"queued": 0.02, "intake": 0.05, "read": 0.15, "validate": 0.35,
               "warehouse": 0.7, "changes": 0.9, "done": 1.0}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    lines: tuple[str, ...]
    delivery: str | None = None


def store() -> Store:
    return Store()


def _run(p: Principal, action: str, lang: str, call: Callable[[Principal], Outcome]) -> Outcome:
    try:
        now = access.authorize_delivery(p, action)
        return call(now)
    except AccessDenied:
        return Outcome(False, (i18n.t("dlv_denied", lang),))
    except flow.Refused as exc:
        return Outcome(False, (i18n.t(exc.key, lang, **exc.params),))
    except intake.Rejected as exc:
        return Outcome(False, (i18n.t("dlv_upload_refused", lang), *exc.lines))
    except (StoreError, versions.UnknownVersion, OSError, ValueError) as exc:
        return Outcome(False, (i18n.t("dlv_failed", lang, error=str(exc)),))


def upload(p: Principal, files: list[tuple[str, bytes]], note: str, lang: str) -> Outcome:
    """Take the uploaded files; the worker process validates them."""
    def call(now: Principal) -> Outcome:
        d = flow.propose(store(), files, note, now.user, roles=now.roles, run="spawn")
        return Outcome(True, (i18n.t("dlv_uploaded", lang, id=d.id),), d.id)
    return _run(p, "upload", lang, call)


def approve(p: Principal, delivery_id: str, lang: str) -> Outcome:
    def call(now: Principal) -> Outcome:
        v = flow.approve(store(), delivery_id, now.user, four_eyes=access.four_eyes(now),
                         roles=now.roles)
        return Outcome(True, (i18n.t("dlv_approved", lang, id=delivery_id, n=v.number),),
                       delivery_id)
    return _run(p, "approve", lang, call)


def reject(p: Principal, delivery_id: str, reason: str, lang: str) -> Outcome:
    def call(now: Principal) -> Outcome:
        flow.reject(store(), delivery_id, now.user, reason, roles=now.roles)
        return Outcome(True, (i18n.t("dlv_rejected", lang, id=delivery_id),), delivery_id)
    return _run(p, "reject", lang, call)


def withdraw(p: Principal, delivery_id: str, lang: str) -> Outcome:
    def call(now: Principal) -> Outcome:
        flow.withdraw(store(), delivery_id, now.user, admin=now.has("admin"), roles=now.roles)
        return Outcome(True, (i18n.t("dlv_withdrawn", lang, id=delivery_id),), delivery_id)
    return _run(p, "withdraw", lang, call)


def delete(p: Principal, delivery_id: str, lang: str) -> Outcome:
    def call(now: Principal) -> Outcome:
        flow.delete(store(), delivery_id, now.user, admin=now.has("admin"), roles=now.roles)
        return Outcome(True, (i18n.t("dlv_deleted", lang, id=delivery_id),))
    return _run(p, "delete", lang, call)


def rerun(p: Principal, delivery_id: str, lang: str) -> Outcome:
    def call(now: Principal) -> Outcome:
        flow.rerun(store(), delivery_id, now.user, roles=now.roles)
        return Outcome(True, (i18n.t("dlv_rerun_started", lang, id=delivery_id),), delivery_id)
    return _run(p, "rerun", lang, call)


def restore(p: Principal, number: int, reason: str, lang: str) -> Outcome:
    def call(now: Principal) -> Outcome:
        if not reason or not reason.strip():
            raise flow.Refused("dlv_refuse_reason")
        v = versions.restore(store(), number, now.user, reason, roles=now.roles)
        return Outcome(True, (i18n.t("dlv_restored", lang, n=number, new=v.number),))
    return _run(p, "restore", lang, call)


# --- tables ----------------------------------------------------------------------------------

def state_label(state: str, lang: str) -> str:
    return i18n.t(f"dlv_state_{state}", lang)


def progress(d: flow.Delivery, lang: str) -> tuple[float, str]:
    phase = d.progress.get("phase") or "queued"
    detail = d.progress.get("detail") or ""
    text = i18n.t(f"dlv_phase_{phase}", lang) if phase in PHASE_SHARE else phase
    return PHASE_SHARE.get(phase, 0.1), text + (f" — {detail}" if detail else "")


def deliveries_table(items: list[flow.Delivery], lang: str) -> pl.DataFrame:
    return pl.DataFrame({
        i18n.t("dlv_col_id", lang): [d.id for d in items],
        i18n.t("dlv_col_state", lang): [state_label(d.state, lang) for d in items],
        i18n.t("dlv_col_by", lang): [d.by for d in items],
        i18n.t("dlv_col_at", lang): [d.created_at for d in items],
        i18n.t("dlv_col_files", lang): [", ".join(d.uploaded) for d in items],
        i18n.t("dlv_col_summary", lang): [(d.summary or {}).get(lang, "") for d in items],
    }, schema={i18n.t(k, lang): pl.String for k in (
        "dlv_col_id", "dlv_col_state", "dlv_col_by", "dlv_col_at", "dlv_col_files",
        "dlv_col_summary")})


def files_table(d: flow.Delivery, lang: str) -> pl.DataFrame:
    return pl.DataFrame({
        i18n.t("dlv_col_file", lang): [f["file"] for f in d.files],
        i18n.t("dlv_col_rows", lang): [f.get("rows") for f in d.files],
        i18n.t("dlv_col_source", lang): [i18n.t("dlv_uploaded_file" if f.get("uploaded")
                                                 else "dlv_carried_file", lang)
                                         for f in d.files],
        "sha256": [f["sha256"] for f in d.files],
    }, schema={i18n.t("dlv_col_file", lang): pl.String, i18n.t("dlv_col_rows", lang): pl.Int64,
               i18n.t("dlv_col_source", lang): pl.String, "sha256": pl.String})


def report_table(report: pl.DataFrame, lang: str) -> pl.DataFrame:
    names = {"file": "dlv_col_file", "column": "dlv_col_column", "rule": "dlv_col_rule",
             "rows": "dlv_col_report_rows", "count": "dlv_col_count",
             "severity": "dlv_col_severity", "message": "dlv_col_message"}
    return report.rename({c: i18n.t(k, lang) for c, k in names.items() if c in report.columns})


def report_csv(report: pl.DataFrame) -> bytes:
    """The report as CSV (the flow's column names; formula-injection safe)."""
    return exports.to_csv(report).data


def _status(s: str | None, lang: str) -> str:
    return "–" if s is None else i18n.status_text(s, lang)


def _plan_target(kind: str | None, lo: float | None, hi: float | None, rate: bool,
                 lang: str) -> str:
    return fmt.target(kind, lo, hi, rate, lang)


def kpi_table(ch: Changes, lang: str, flips_only: bool = False) -> pl.DataFrame:
    """The changed kpi cells, flips first (the order ``changes.compare`` gives)."""
    rows = ch.kpi.filter(pl.col("flip")) if flips_only else ch.kpi
    out = []
    for r in rows.iter_rows(named=True):
        rate = METRIC_BY_CODE[r["metric"]].is_rate
        out.append({
            i18n.t("dlv_col_metric", lang): i18n.metric_name(r["metric"], lang),
            i18n.t("dlv_col_fy", lang): fmt.fy_label(r["fiscal_year"], lang),
            i18n.t("dlv_col_bureau", lang): r["bureau_code"] or i18n.t("all_bureaus", lang),
            i18n.t("dlv_col_before", lang): fmt.value(r["value_before"], rate),
            i18n.t("dlv_col_after", lang): fmt.value(r["value_after"], rate),
            i18n.t("dlv_col_diff", lang): fmt.change(r["value_after"], r["value_before"], rate,
                                                     lang) or "",
            i18n.t("dlv_col_status_before", lang): _status(r["status_before"], lang),
            i18n.t("dlv_col_status_after", lang): _status(r["status_after"], lang),
            i18n.t("dlv_col_target_before", lang): _plan_target(
                r["target_kind_before"], r["target_min_before"], r["target_max_before"], rate,
                lang),
            i18n.t("dlv_col_target_after", lang): _plan_target(
                r["target_kind_after"], r["target_min_after"], r["target_max_after"], rate,
                lang),
            i18n.t("dlv_col_plan", lang): f"{r['plan_before'] or '–'} → {r['plan_after'] or '–'}",
        })
    return pl.DataFrame(out) if out else pl.DataFrame()


def pace_table(ch: Changes, lang: str) -> pl.DataFrame:
    out = []
    for r in ch.pace.iter_rows(named=True):
        rate = METRIC_BY_CODE[r["metric"]].is_rate

        def outlook(s: str | None) -> str:
            return "–" if s is None else _status(s, lang)

        out.append({
            i18n.t("dlv_col_metric", lang): i18n.metric_name(r["metric"], lang),
            i18n.t("dlv_col_bureau", lang): r["bureau_code"] or i18n.t("all_bureaus", lang),
            i18n.t("dlv_col_outlook", lang): f"{outlook(r['pace_status_before'])} → "
                                             f"{outlook(r['pace_status_after'])}",
            i18n.t("dlv_col_projected", lang): f"{fmt.projection(r['projected_before'], rate)}"
                                               f" → {fmt.projection(r['projected_after'], rate)}",
            i18n.t("dlv_col_p_meet", lang): f"{fmt.value(r['p_meet_before'], True)} → "
                                            f"{fmt.value(r['p_meet_after'], True)}",
        })
    return pl.DataFrame(out) if out else pl.DataFrame()


def file_changes_table(ch: Changes, lang: str) -> pl.DataFrame:
    return ch.files.select(
        pl.col("file").alias(i18n.t("dlv_col_file", lang)),
        pl.col("rows_before").alias(i18n.t("dlv_col_rows_before", lang)),
        pl.col("rows_after").alias(i18n.t("dlv_col_rows_after", lang)),
        pl.col("added").alias(i18n.t("dlv_col_added", lang)),
        pl.col("removed").alias(i18n.t("dlv_col_removed", lang)),
        pl.col("changed").alias(i18n.t("dlv_col_changed", lang)))


def versions_table(items: list[versions.Version], live: int | None,
                   lang: str) -> pl.DataFrame:
    return pl.DataFrame({
        "N": [v.number for v in items],
        i18n.t("dlv_col_kind", lang): [i18n.t(f"dlv_kind_{v.kind.lower()}", lang)
                                       + (" ★" if v.number == live else "") for v in items],
        i18n.t("dlv_col_at", lang): [v.at for v in items],
        i18n.t("as_of", lang): [v.as_of_date or "–" for v in items],
        i18n.t("run_id", lang): [v.run_id or "–" for v in items],
        i18n.t("dlv_col_by", lang): [v.uploader or "–" for v in items],
        i18n.t("dlv_col_approver", lang): [v.approver or "–" for v in items],
        i18n.t("dlv_col_note", lang): [
            (f"← {v.restored_from}: " if v.restored_from else "") + (v.reason or "")
            for v in items],
    })


def upload_limit_mb() -> int:
    return settings.upload_max_bytes() // (1024 * 1024)
