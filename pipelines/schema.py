"""The raw-data contract as data: one source of truth for reading, validation and the dictionary.

Mirrors ``shared/contract/raw-data.md``. Column descriptions are given in Japanese and English
so that the dashboard's dictionary page can show them without a second hand-written copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- enums of the contract (case-sensitive) -------------------------------------------------
PROVIDERS = ("digital_agency", "nisc", "mic", "other")
CATEGORIES = (
    "unified_it",
    "it_seminar",
    "mic_digital",
    "exam_prep",
    "security_elearning",
    "phishing_followup",
    "new_hire",
    "promotion",
    "executive",
)
LEVELS = ("A", "B", "C", "D")
TRACKS = ("digital_candidate", "technical", "administrative")
GRADES = ("staff", "chief", "deputy_director", "director", "executive")
EMPLOYMENT_TYPES = ("career", "specialist", "exchange", "political")
PLACEMENTS = ("home", "digital_agency", "ppc", "nisc", "other_ministry", "private_sector")
STATUSES = ("completed", "incomplete")
RESULTS = ("pass", "fail")
TARGET_KINDS = ("range", "min", "max", "growth")
PLAN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
IMPLICIT_PLAN = "plan"  # without plans.csv every target belongs to this one plan
METRIC_CODES = (
    "digital_hires",
    "new_hire_a_level_rate",
    "new_hire_security_rate",
    "training_participants",
    "ipa_certified_staff",
    "ipa_passes",
    "security_elearning_rate",
    "phishing_drills_held",
    "phishing_open_rate",
    "phishing_report_rate",
    "phishing_followup_rate",
    "promotion_training_rate",
    "secondees",
    "digital_talent_staff",
)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # str | int | float | bool | date
    required: bool
    ja: str
    en: str
    enum: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None  # a regular expression every value must match whole
    # the header may leave the column out (its cells are then empty): plan_targets.plan_id,
    # which only a data set with plans.csv needs
    omittable: bool = False


@dataclass(frozen=True)
class RawTable:
    name: str
    ja: str
    en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    optional: bool = False
    fact: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


FY = "年度(4月1日〜翌年3月31日)"
PUBLIC_LEVELS = ("ministry",)  # public_figures.level: bureau values stay protected

TABLES: tuple[RawTable, ...] = (
    RawTable(
        "bureaus",
        "局・部・庁",
        "Bureaus (局・部・庁)",
        (
            Column("bureau_code", "str", True, "局コード", "Bureau code"),
            Column("name_ja", "str", True, "名称(日本語)", "Name in Japanese"),
            Column("name_en", "str", True, "名称(英語)", "Name in English"),
        ),
        key=("bureau_code",),
    ),
    RawTable(
        "units",
        "課室(キャリアパス上のポストを含む)",
        "Divisions and offices, with the plan's career-path posts",
        (
            Column("unit_code", "str", True, "課室コード", "Unit code"),
            Column("bureau_code", "str", True, "所属局コード", "Bureau code of the unit"),
            Column("name_ja", "str", True, "名称(日本語)", "Name in Japanese"),
            Column("name_en", "str", True, "名称(英語)", "Name in English"),
            Column("security_post", "bool", True, "セキュリティ経験ポスト(§4(2)①)",
              "Post giving cyber-security experience (§4(2)①)"),
            Column("systems_post", "bool", True, "情報システム・業務改革ポスト(§4(2)②)",
              "Information systems / business-process-reform post (§4(2)②)"),
            Column("crisis_post", "bool", True, "事案対処・危機管理ポスト(§4(2)③)",
              "Incident response / crisis management post (§4(2)③)"),
        ),
        key=("unit_code",),
    ),
    RawTable(
        "courses",
        "研修コース",
        "Training courses",
        (
            Column("course_code", "str", True, "コースコード", "Course code"),
            Column("name_ja", "str", True, "名称(日本語)", "Name in Japanese"),
            Column("name_en", "str", True, "名称(英語)", "Name in English"),
            Column("provider", "str", True, "実施主体", "Provider", enum=PROVIDERS),
            Column("category", "str", True, "区分", "Category", enum=CATEGORIES),
            Column("level", "str", False, "統一研修レベル(A〜D)", "Unified-training level (A–D)",
              enum=LEVELS),
        ),
        key=("course_code",),
    ),
    RawTable(
        "exams",
        "IPA試験",
        "IPA examinations",
        (
            Column("exam_code", "str", True, "試験コード", "Exam code"),
            Column("name_ja", "str", True, "名称(日本語)", "Name in Japanese"),
            Column("name_en", "str", True, "名称(英語)", "Name in English"),
            Column("itss_level", "int", True, "ITSSレベル(1〜4)", "IT Skill Standard level (1–4)",
              min=1, max=4),
        ),
        key=("exam_code",),
    ),
    RawTable(
        "plan_targets",
        "計画の数値目標",
        "The plan's numeric targets",
        (
            Column("plan_id", "str", False, "計画ID(plans.csvがあれば必須)",
                   "Plan ID (required when plans.csv is present)", omittable=True),
            Column("metric", "str", True, "指標コード", "Metric code", enum=METRIC_CODES),
            Column("fy_from", "int", True, "適用開始年度", "First FY the target applies to"),
            Column("fy_to", "int", True, "適用終了年度", "Last FY the target applies to"),
            Column("kind", "str", True, "目標の種類", "Kind of target", enum=TARGET_KINDS),
            Column("target_min", "float", False, "目標下限", "Target minimum"),
            Column("target_max", "float", False, "目標上限", "Target maximum"),
            Column("plan_section", "str", True, "計画の節", "Plan section"),
            Column("note_ja", "str", False, "注記(日本語)", "Note in Japanese"),
            Column("note_en", "str", False, "注記(英語)", "Note in English"),
        ),
    ),
    RawTable(
        "plans",
        "計画の世代(策定・改定)",
        "The plan's generations (adoptions and revisions)",
        (
            Column("plan_id", "str", True, "計画ID", "Plan ID", pattern=PLAN_ID_PATTERN),
            Column("title_ja", "str", True, "計画名(日本語)", "Plan title in Japanese"),
            Column("title_en", "str", True, "計画名(英語)", "Plan title in English"),
            Column("fy_from", "int", True, "計画期間の開始年度", "First FY the plan covers"),
            Column("fy_to", "int", True, "計画期間の終了年度", "Last FY the plan covers"),
            Column("adopted_on", "date", True, "策定・改定日", "Date adopted"),
            Column("revises", "str", False, "改定元の計画ID", "Plan ID this plan revises"),
            Column("source", "str", False, "出典文書", "Source document"),
        ),
        key=("plan_id",),
        optional=True,
    ),
    RawTable(
        "published",
        "公表値",
        "Officially published figures",
        (
            Column("metric", "str", True, "指標コード", "Metric code", enum=METRIC_CODES),
            Column("fiscal_year", "int", True, "年度", "Fiscal year"),
            Column("value", "float", True, "公表値", "Published value"),
            Column("source", "str", True, "出典(文書と節)", "Source document and section"),
        ),
        key=("metric", "fiscal_year"),
        optional=True,
    ),
    RawTable(
        "public_figures",
        "組織が公表する指標(公表方針)",
        "Figures the organisation publishes as a rule (disclosure policy)",
        (
            Column("metric", "str", True, "指標コード", "Metric code", enum=METRIC_CODES),
            Column("level", "str", True, "公表する単位(ministry: 省全体の値)",
                   "Level published (ministry: the ministry-wide value)",
                   enum=PUBLIC_LEVELS),
            Column("fy_from", "int", False, "この年度から(空欄: 全年度)",
                   "From this FY on (empty: every FY)"),
            Column("source", "str", True, "公表している文書", "Where the organisation "
                   "publishes it"),
        ),
        key=("metric",),
        optional=True,
    ),
    RawTable(
        "hiring",
        "採用(1人1行)",
        "Hires, one row per person",
        (
            Column("employee_id", "str", True, "職員ID(仮名)", "Pseudonymous employee ID"),
            Column("hire_date", "date", True, "採用日", "Hire date"),
            Column("hire_fiscal_year", "int", True, "採用年度", "Fiscal year of hire"),
            Column("bureau_code", "str", True, "初任配属局", "Bureau of first assignment"),
            Column("track", "str", True, "採用区分", "Hiring track", enum=TRACKS),
        ),
        key=("employee_id",),
        fact=True,
    ),
    RawTable(
        "roster",
        "在籍者(年度×職員、4月1日時点)",
        "Staff roster, one row per employee per FY (as on April 1)",
        (
            Column("fiscal_year", "int", True, "年度", "Fiscal year"),
            Column("employee_id", "str", True, "職員ID(仮名)", "Pseudonymous employee ID"),
            Column("bureau_code", "str", True, "所属局", "Home bureau"),
            Column("unit_code", "str", False, "所属課室", "Unit"),
            Column("grade", "str", True, "職位", "Grade", enum=GRADES),
            Column("employment_type", "str", True, "任用区分", "Employment type",
              enum=EMPLOYMENT_TYPES),
            Column("hire_fiscal_year", "int", True, "採用年度", "Fiscal year of hire"),
            Column("digital_talent", "bool", True, "政府デジタル人材", "Designated government digital talent"),
            Column("placement", "str", True, "勤務先(出向先)", "Placement (secondment destination)",
              enum=PLACEMENTS),
        ),
        key=("fiscal_year", "employee_id"),
        fact=True,
    ),
    RawTable(
        "training",
        "研修受講(受講1件1行)",
        "Training enrolments, one row per enrolment",
        (
            Column("record_id", "str", True, "記録ID", "Record ID"),
            Column("employee_id", "str", True, "職員ID(仮名)", "Pseudonymous employee ID"),
            Column("course_code", "str", True, "コースコード", "Course code"),
            Column("fiscal_year", "int", True, "受講年度", "Fiscal year of the enrolment"),
            Column("status", "str", True, "修了状況", "Status", enum=STATUSES),
            Column("completed_on", "date", False, "修了日", "Completion date"),
        ),
        key=("record_id",),
        fact=True,
    ),
    RawTable(
        "certification",
        "IPA試験受験(受験1回1行)",
        "IPA exam sittings, one row per sitting",
        (
            Column("record_id", "str", True, "記録ID", "Record ID"),
            Column("employee_id", "str", True, "職員ID(仮名)", "Pseudonymous employee ID"),
            Column("exam_code", "str", True, "試験コード", "Exam code"),
            Column("exam_date", "date", True, "試験日", "Exam date"),
            Column("result", "str", True, "合否", "Result", enum=RESULTS),
            Column("prep_course", "bool", True, "試験対策講座の受講", "Took the exam-preparation course"),
        ),
        key=("record_id",),
        fact=True,
    ),
    RawTable(
        "phishing_drills",
        "不審メール提出訓練(送付1通1行)",
        "Phishing drills, one row per drill mail sent",
        (
            Column("drill_id", "str", True, "訓練ID", "Drill ID"),
            Column("fiscal_year", "int", True, "年度", "Fiscal year"),
            Column("round", "int", True, "回次(1〜4)", "Round within the FY (1–4)", min=1, max=4),
            Column("sent_on", "date", True, "送付日", "Date sent"),
            Column("employee_id", "str", True, "職員ID(仮名)", "Pseudonymous employee ID"),
            Column("opened", "bool", True, "開封等", "Opened the attachment or followed the link"),
            Column("reported", "bool", True, "報告", "Reported to the security desk"),
        ),
        key=("drill_id", "employee_id"),
        fact=True,
    ),
)

BY_NAME: dict[str, RawTable] = {t.name: t for t in TABLES}


@dataclass(frozen=True)
class Metric:
    code: str
    section: str
    is_rate: bool
    by_bureau: bool
    ja: str
    en: str
    definition_ja: str
    definition_en: str
    tags: tuple[str, ...] = field(default_factory=tuple)


METRICS: tuple[Metric, ...] = (
    Metric("digital_hires", "§2", False, True, "デジタル人材候補の採用数", "Digital-talent hires",
           "採用区分が政府デジタル人材候補(digital_candidate)で、採用年度がNの採用者数。局別は初任配属局。",
           "Hiring rows with track digital_candidate and hire FY N; bureau = first assignment."),
    Metric("new_hire_a_level_rate", "§3", True, True, "新規採用者のAレベル研修受講率",
           "New hires who completed level-A training",
           "年度Nの採用者(全区分)のうち、年度Nに統一研修Aレベルを修了した者の割合。局別は初任配属局。",
           "Of all hires of FY N (any track), the share who completed a unified_it level-A course "
           "in FY N; bureau = first assignment."),
    Metric("new_hire_security_rate", "§5", True, True, "新規採用職員研修の受講率",
           "New hires who completed new-hire security training",
           "年度Nの採用者のうち、年度Nに新規採用職員研修(new_hire)を修了した者の割合。",
           "Of all hires of FY N, the share who completed a new_hire course in FY N."),
    Metric("training_participants", "§3", False, True, "デジタル研修の受講者数",
           "Digital-training participants",
           "年度Nに統一研修・情報システム研修会・省独自研修・試験対策講座のいずれかを修了した職員数(重複なし)。"
           "局別は年度Nの在籍局。",
           "Distinct employees who completed a unified_it, it_seminar, mic_digital or exam_prep "
           "course in FY N; bureau = roster(N) bureau."),
    Metric("ipa_certified_staff", "§3", False, True, "IPA資格保有職員数", "IPA-certified staff",
           "年度Nの在籍者(政務を除く)のうち、翌年3月31日までにIPA試験に1回以上合格した職員数。",
           "Distinct non-political employees in roster(N) with at least one pass dated on or "
           "before March 31 of N+1."),
    Metric("ipa_passes", "§3", False, True, "IPA試験合格件数", "IPA exam passes",
           "試験日が年度Nに属する合格件数。局別は年度Nの在籍局。",
           "Certification rows with result pass whose exam date falls in FY N."),
    Metric("security_elearning_rate", "§5", True, True, "情報セキュリティ教育(e-learning)受講率",
           "Security e-learning completion rate",
           "年度Nの在籍者のうち政務を除き省内勤務(home)の者で、年度Nに情報セキュリティ教育を修了した者の割合。",
           "Of non-political roster(N) rows placed at home, the share who completed the "
           "security e-learning in FY N."),
    Metric("phishing_drills_held", "§5", False, False, "不審メール提出訓練の実施回数",
           "Phishing drills held",
           "年度Nに実施した訓練の数(訓練IDの重複なし)。局別なし。",
           "Distinct drill IDs in FY N; ministry-wide only."),
    Metric("phishing_open_rate", "§5", True, True, "訓練メールの開封率", "Drill mails opened",
           "年度Nの訓練メールのうち開封等されたものの割合。", "Share of FY N drill mails opened."),
    Metric("phishing_report_rate", "§5", True, True, "訓練メールの報告率", "Drill mails reported",
           "年度Nの訓練メールのうち報告されたものの割合。", "Share of FY N drill mails reported."),
    Metric("phishing_followup_rate", "§5", True, True, "開封者の追加訓練受講率",
           "Follow-up training after opening a drill mail",
           "年度Nに訓練メールを1回以上開封等した職員のうち、年度Nに追加訓練を修了した者の割合。",
           "Of distinct employees who opened a drill mail in FY N, the share who completed the "
           "phishing follow-up training in FY N."),
    Metric("promotion_training_rate", "§5", True, True, "昇任者の研修受講率",
           "Promotion training rate",
           "年度Nに係長級・課長補佐級に昇任した職員(政務を除く)のうち、年度Nに昇任時研修を修了した者の割合。",
           "Of non-political employees promoted to chief or deputy director in FY N, the share "
           "who completed a promotion course in FY N."),
    Metric("secondees", "§1 §4", False, True, "他府省情報部門への出向者数",
           "Secondees to digital/security bodies",
           "年度Nにデジタル庁・個人情報保護委員会事務局・NISCに出向している職員数。局別は本籍局。",
           "Distinct employees in roster(N) placed at the Digital Agency, PPC or NISC; bureau = "
           "home bureau."),
    Metric("digital_talent_staff", "§1", False, True, "政府デジタル人材の職員数",
           "Designated digital-talent staff",
           "年度Nの在籍者のうち政府デジタル人材に指定されている職員数。",
           "Distinct employees in roster(N) designated as government digital talent."),
)
METRIC_BY_CODE: dict[str, Metric] = {m.code: m for m in METRICS}
assert tuple(METRIC_BY_CODE) == METRIC_CODES
