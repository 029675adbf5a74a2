"""The page list, in one place: app.py builds ``st.navigation`` from it and the overview links to
it. Analyst pages go in ``ANALYSIS_PAGES`` (the navigation shows that section once it has a
page)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageDef:
    file: str  # relative to dashboard/app.py (the roll-up pages: rollup/views/)
    title_key: str  # i18n key
    icon: str
    url_path: str
    default: bool = False


PLAN_PAGES: tuple[PageDef, ...] = (
    PageDef("views/overview.py", "page_overview", ":material/dashboard:", "overview", True),
    PageDef("views/hiring.py", "page_hiring", ":material/person_add:", "hiring"),
    PageDef("views/training.py", "page_training", ":material/school:", "training"),
    PageDef("views/certification.py", "page_certification", ":material/workspace_premium:",
            "certification"),
    PageDef("views/security.py", "page_security", ":material/shield:", "security"),
    PageDef("views/workforce.py", "page_workforce", ":material/groups:", "workforce"),
    PageDef("views/plan_review.py", "page_plan_review", ":material/history:", "review"),
    # planners and up (access.PAGE_ROLE), not in the public edition (issue 26)
    PageDef("views/plan_draft.py", "page_plan_draft", ":material/edit_note:", "draft"),
)

# the default page's internal url_path is this prefix + its own; its own path is an alias (app.py)
HOME_ALIAS_OF = "home-"

# データ Data · 定義 Dictionary · データ品質 Data quality (issue 4) are added here.
ANALYSIS_PAGES: tuple[PageDef, ...] = (
    PageDef("views/data.py", "page_data", ":material/download:", "data"),
    PageDef("views/dictionary.py", "page_dictionary", ":material/menu_book:", "dictionary"),
    PageDef("views/quality.py", "page_quality", ":material/fact_check:", "quality"),
    PageDef("views/audit.py", "page_audit", ":material/policy:", "audit"),  # admins (issue 7)
    # stewards and admins (issue 22); opens without a warehouse too (the first delivery)
    PageDef("views/deliveries.py", "page_deliveries", ":material/upload_file:", "deliveries"),
)

# where each plan metric is shown in detail (the overview cards link there)
METRIC_PAGE: dict[str, str] = {
    "digital_hires": "views/hiring.py",
    "new_hire_a_level_rate": "views/training.py",
    "new_hire_security_rate": "views/training.py",
    "training_participants": "views/training.py",
    "ipa_certified_staff": "views/certification.py",
    "ipa_passes": "views/certification.py",
    "security_elearning_rate": "views/security.py",
    "phishing_drills_held": "views/security.py",
    "phishing_open_rate": "views/security.py",
    "phishing_report_rate": "views/security.py",
    "phishing_followup_rate": "views/security.py",
    "promotion_training_rate": "views/security.py",
    "secondees": "views/workforce.py",
    "digital_talent_staff": "views/workforce.py",
}

# The roll-up edition (DTP_EDITION=rollup, issue 17): these pages instead of the plan pages
# (none of which it offers); the analysis section keeps the audit page (admins) only.
ROLLUP_PAGES: tuple[PageDef, ...] = (
    PageDef("rollup/views/compare.py", "page_rollup_compare", ":material/compare_arrows:",
            "compare", True),
    PageDef("rollup/views/government.py", "page_rollup_government",
            ":material/account_balance:", "government"),
    PageDef("rollup/views/pace.py", "page_rollup_pace", ":material/speed:", "pace"),
    PageDef("rollup/views/months.py", "page_rollup_months", ":material/calendar_month:",
            "months"),
    PageDef("rollup/views/submissions.py", "page_rollup_submissions", ":material/inbox:",
            "submissions"),
    PageDef("rollup/views/data.py", "page_rollup_data", ":material/download:", "rollup-data"),
    PageDef("rollup/views/inbox.py", "page_rollup_inbox", ":material/move_to_inbox:", "inbox"),
)
