"""What each warehouse table holds: the data dictionary and the data page's dataset list.

Columns that come from the contract take their type and meaning from ``pipelines.schema``
(``TABLES``); only the columns the warehouse derives (marts, ``kpi``, run metadata) are
described here, once, in ``DERIVED``. The SQL allowlist of ``dashboard.datasets`` (which tables
and columns may appear in a query) is this catalogue too, so a column cannot be downloadable
without being documented. ``tests/test_analyst_pages.py`` checks the catalogue against a real
warehouse in both directions.

A download (and the data page's preview) holds one column the warehouse table does not:
``bureau_name``, the bureau's name in the page's language right after ``bureau_code``
(``Dataset.export_columns``; a ``ColumnDoc`` with ``export_only``, listed by the dictionary).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.schema import BY_NAME, TABLES, Column

KINDS = ("kpi", "mart", "staging", "daily", "reference", "run")


@dataclass(frozen=True)
class RateSpec:
    """A rate column and the count columns it is made of (either may be None)."""

    column: str
    numerator: str | None = None
    denominator: str | None = None


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    ja: str
    en: str
    source: str = ""  # "roster.grade": the contract column it comes from
    values: tuple[str, ...] = ()  # the allowed values (enums of the contract)
    export_only: bool = False  # added to downloads and the preview; not in the warehouse table

    def meaning(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja


@dataclass(frozen=True)
class Dataset:
    name: str  # the warehouse table
    kind: str
    ja: str
    en: str
    definition_ja: str
    definition_en: str
    columns: tuple[ColumnDoc, ...]
    fy_column: str | None = None
    bureau_column: str | None = None
    filters: tuple[str, ...] = ()  # the dataset's own categorical columns (page filters)
    counts: tuple[str, ...] = ()  # counts of people (disclosure control)
    rates: tuple[RateSpec, ...] = ()
    margin_by: tuple[str, ...] = ()  # rows with bureau NULL are the total of each such group
    exempt: tuple[tuple[str, tuple[str, ...]], ...] = ()  # rows that count events, not people
    order: tuple[str, ...] = field(default_factory=tuple)

    @property
    def row_level(self) -> bool:
        """Row-level data, or day-level steps that date one person's event (``daily``): for
        analysts only, never in publication form."""
        return self.kind in ("staging", "daily")

    @property
    def aggregated(self) -> bool:
        return self.kind in ("kpi", "mart")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def export_columns(self) -> tuple[ColumnDoc, ...]:
        """The columns of a download and of the data page's preview: the table's, with the
        bureau's name right after the bureau code."""
        if not self.bureau_column:
            return self.columns
        name = BUREAU_NAME_TOTAL if self.margin_by else BUREAU_NAME
        out: list[ColumnDoc] = []
        for c in self.columns:
            out += [c, name] if c.name == self.bureau_column else [c]
        return tuple(out)

    def column(self, name: str) -> ColumnDoc:
        return next(c for c in self.columns if c.name == name)

    def title(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja

    def definition(self, lang: str) -> str:
        return self.definition_en if lang == "en" else self.definition_ja


def _from_contract(table: str, column: str, name: str | None = None, ja: str = "",
                   en: str = "") -> ColumnDoc:
    """A column taken from the contract; ``ja``/``en`` add how the warehouse derived it."""
    c: Column = BY_NAME[table].column(column)
    return ColumnDoc(name or column, c.ja + ja, c.en + en, f"{table}.{column}", c.enum or ())


def contract_columns(table: str, *columns: str) -> tuple[ColumnDoc, ...]:
    """Columns taken from the contract as they are (type and meaning from pipelines.schema)."""
    return tuple(_from_contract(table, c) for c in columns)


# --- columns the warehouse derives: described here, once ---------------------------------------
DERIVED: dict[str, tuple[str, str]] = {
    "fiscal_year": ("年度", "Fiscal year"),
    "bureau_code": ("局コード(空欄は省全体)", "Bureau code (empty = whole ministry)"),
    "bureau_of_fy": ("当該年度の在籍局(年度Nの在籍者名簿による。名簿にない職員は空欄)",
                     "Bureau in the roster of that FY (empty if the employee is not on it)"),
    "headcount": ("在籍者数(人)", "Headcount (people)"),
    "digital_talent_count": ("うち政府デジタル人材(人)", "Of whom designated digital talent"),
    "hires": ("採用者数(人)", "Hires (people)"),
    "enrolments": ("受講件数(未修了を含む)", "Enrolments (including incomplete)"),
    "completions": ("修了件数", "Completions"),
    "participants": ("修了者数(人、重複なし)", "Distinct employees who completed"),
    "sittings": ("受験件数", "Exam sittings"),
    "sent": ("送付数(人)", "Drill mails sent (people)"),
    "opened": ("開封等した人数", "People who opened the attachment or link"),
    "reported": ("報告した人数", "People who reported the mail"),
    "post_type": ("キャリアパス上のポストの種類(security / systems / crisis)",
                  "Kind of career-path post (security / systems / crisis)"),
    "career_grade": ("職位(staff=係員はA・Bレベル、chief=係長はC・Dレベルが対象)",
                     "Grade (staff: levels A–B; chief: levels C–D)"),
    "eligible": ("対象者数(政務を除く在籍者)", "Eligible non-political staff"),
    "completed": ("年度N以前に該当レベルの統一研修を修了した人数",
                  "Of them, completed the level in FY N or before"),
    "sent_on": ("送付日", "Date sent"),
    "metric": ("指標コード(定義は「指標」)", "Metric code (see Metrics)"),
    "value": ("値(率は0〜1、分母が0のときは空欄)",
              "Value (rates as 0–1; empty if the denominator is 0)"),
    "numerator": ("分子(件数の指標では件数)", "Numerator (the count, for counts)"),
    "denominator": ("分母(件数の指標では空欄)", "Denominator (empty for counts)"),
    "target_kind": ("目標の種類(range / min / max / growth)",
                    "Kind of target (range / min / max / growth)"),
    "target_min": ("この行に適用される目標下限", "Target minimum that applies to this row"),
    "target_max": ("この行に適用される目標上限", "Target maximum that applies to this row"),
    "plan_id": ("その年度に効力を持つ計画のID(その年度を期間に含む計画のうち"
                "策定・改定日が最新のもの。なければ空欄)",
                "The plan in force for the FY (of the plans covering it, the latest adopted; "
                "empty if none)"),
    "implicit": ("plans.csvがないときの暗黙の計画(ID plan、期間は目標の範囲)",
                 "The implicit plan of a data set without plans.csv (ID plan, period = the "
                 "targets' span)"),
    "generation": ("計画の世代: 改定をたどった元の計画のID(改定でない計画は自身)",
                   "The plan's generation: the plan its chain of revisions started from "
                   "(itself if it revises none)"),
    # kpi_pace, kpi_pace_curve
    "as_of": ("データ基準日", "As-of date"),
    "fy_day": ("年度の日(4月1日=0)", "Fiscal day (April 1 = 0)"),
    "ytd": ("今年度これまでの値(kpiの値と同じ)", "Value so far (equals kpi's value)"),
    "reference_years": ("比べた前年度の数(0〜3、0なら見込みなし)",
                        "Earlier years compared (0–3; 0: no projection)"),
    "expected_remainder": ("前年度までの同じ日以降の実績の平均",
                           "Mean progress after the same day in the earlier years"),
    "projected": ("年度末見込み(率は0〜1に収める)", "Projected year-end (rates kept in 0–1)"),
    "projected_low": ("年度末見込みの90%区間の下限", "Lower end of the 90% interval"),
    "projected_high": ("年度末見込みの90%区間の上限", "Upper end of the 90% interval"),
    "p_meet": ("目標達成の確率(件数の指標で目標がある場合)",
               "Chance of meeting the target (counts with a target)"),
    "needed": ("年度末までにあと必要な数(件数でrange/min目標の場合)",
               "Still needed by March 31 (counts with a range/min target)"),
    "pace_status": ("見込み(on_track / at_risk / no_target / no_data)",
                    "Outlook (on_track / at_risk / no_target / no_data)"),
    # kpi_pace_history
    "history_fiscal_year": ("見込みを振り返る年度", "The earlier FY looked back on"),
    "history_fy_day": ("基準日と同じ年度の日(4月1日=0)",
                       "The as-of date's fiscal day (April 1 = 0)"),
    "history_ytd": ("その年度の同じ日までの値", "That FY's value by the same day"),
    "history_reference_years": ("その年度から見た前年度の数(1〜3)",
                                "Its own earlier years compared (1–3)"),
    "history_p_meet": ("その日に示したはずの目標達成の確率(目標がない年度は空欄)",
                       "Chance of meeting that FY's target as it would have been shown "
                       "(empty without a target)"),
    "outcome": ("その年度の実績(年度末の値)", "What that FY ended at"),
    "inside": ("実績が90%区間に収まったか", "The outcome fell inside the 90% interval"),
    "met": ("実績がその年度の目標を達成したか(目標がない年度は空欄)",
            "The outcome met that FY's target (empty without a target)"),
    "cumulative_numerator": ("その日までの累計(率は分子)",
                             "Cumulative count to that day (rates: numerator)"),
    "cumulative_value": ("その日までの累計値(率はkpiの分母で割った値)",
                         "Cumulative value to that day (rates: over kpi's denominator)"),
    "status": ("達成状況(met / below / above / in_progress / no_target / no_data)",
               "Status (met / below / above / in_progress / no_target / no_data)"),
    # run metadata
    "run_id": ("パイプライン実行ID", "Pipeline run ID"),
    "started_at": ("開始日時(UTC)", "Started at (UTC)"),
    "finished_at": ("終了日時(UTC)", "Finished at (UTC)"),
    "as_of_date": ("データ基準日(採用日・修了日・試験日・送付日の最大)",
                   "As-of date (latest hire, completion, exam or drill date)"),
    "as_of_fy": ("基準日の年度", "FY of the as-of date"),
    "data_origin": ("データの出所(sample=サンプル、provided=提供データ)",
                    "Data origin (sample or provided)"),
    "raw_dir": ("入力フォルダ", "Input folder"),
    "rules_checked": ("検査したルール数", "Rules checked"),
    "warnings": ("警告数", "Warnings"),
    "file": ("入力ファイル", "Input file"),
    "sha256": ("ファイルのSHA-256", "SHA-256 of the file"),
    "rows": ("行数", "Rows"),
    "encoding": ("文字コード", "Encoding"),
    "suite": ("検査対象(ファイル)", "Suite (file checked)"),
    "rule": ("ルール", "Rule"),
    "column_name": ("列", "Column"),
    "severity": ("重大度(error / warning)", "Severity (error / warning)"),
    "success": ("合格", "Passed"),
    "element_count": ("検査した値の数", "Values checked"),
    "unexpected_count": ("違反した値の数", "Values that broke the rule"),
    "examples": ("違反の例(行番号と値)", "Examples (row and value)"),
    "message": ("メッセージ", "Message"),
    "published_value": ("公表値", "Published value"),
    "warehouse_value": ("データから計算した値", "Value computed from the data"),
    "difference": ("差(計算値 − 公表値)", "Difference (computed − published)"),
    "matches": ("一致", "Matches"),
    "source": ("出典", "Source"),
}


# the bureau's name, added to downloads (export_only): name_ja or name_en by the page's language
BUREAU_NAME = ColumnDoc(
    "bureau_name", "局名(画面の表示言語による。局コードが空欄の行は空欄)",
    "Bureau name (in the page's language; empty where the bureau code is)",
    "bureaus.name_ja / name_en", export_only=True)
BUREAU_NAME_TOTAL = ColumnDoc(  # datasets whose rows with no bureau are the ministry's total
    "bureau_name", "局名(画面の表示言語による。局コードが空欄の省全体の行は「省全体」)",
    "Bureau name (in the page's language; 'Ministry-wide' on the whole-ministry rows)",
    "bureaus.name_ja / name_en", export_only=True)


def derived(name: str, key: str | None = None) -> ColumnDoc:
    """A column the warehouse derives, described by ``DERIVED[key or name]``."""
    ja, en = DERIVED[key or name]
    return ColumnDoc(name, ja, en)


def _bureau_of_fy() -> ColumnDoc:
    return derived("bureau_code", "bureau_of_fy")


_FY = derived("fiscal_year")
_BUREAU = derived("bureau_code")
_METRIC_CODES = BY_NAME["plan_targets"].column("metric").enum or ()

KPI = Dataset(
    name="kpi", kind="kpi",
    ja="計画指標(指標×年度×局)", en="Plan metrics (metric × FY × bureau)",
    definition_ja="計画の数値目標に対応する指標の値。1行=指標・年度・局(空欄は省全体)。"
    "定義は「指標」の表、目標・達成状況は計画目標(plan_targets)による。",
    definition_en="The plan metrics: one row per metric, FY and bureau (empty = whole "
    "ministry). Definitions in the Metrics table; targets and status from plan_targets.",
    columns=(ColumnDoc("metric", *DERIVED["metric"], values=_METRIC_CODES), _FY, _BUREAU,
             derived("value"), derived("numerator"), derived("denominator"),
             derived("target_kind"), derived("target_min"), derived("target_max"),
             derived("status"), derived("plan_id")),
    fy_column="fiscal_year", bureau_column="bureau_code", filters=("metric", "status"),
    counts=("numerator", "denominator"),
    rates=(RateSpec("value", "numerator", "denominator"),),
    margin_by=("metric", "fiscal_year"),
    exempt=(("metric", ("phishing_drills_held",)),),  # drills, not people
    order=("metric", "fiscal_year", "bureau_code"),
)

# metrics.md "Pace of the year in progress"; its publication form: release/disclosure.py
PACE_COLUMNS = ("ytd", "expected_remainder", "projected", "projected_low", "projected_high",
                "p_meet", "needed", "pace_status")
PACE = Dataset(
    name="kpi_pace", kind="kpi",
    ja="今年度のペース(指標×局、基準日の年度)", en="Pace of the year in progress (metric × bureau)",
    definition_ja="基準日の年度について、日付のある指標ごとに、これまでの値、前年度まで最大3年度の"
    "同じ日以降の実績の平均、年度末見込みと90%区間(件数は前年度の実績のばらつきを含む負の二項分布、"
    "率はWilson法と前年度のばらつきの広い方)、"
    "目標達成の見込み、あと必要な数、見込みの判定。見込みであって約束ではない。",
    definition_en="For the FY of the as-of date, each metric whose events carry a date: the "
    "value so far, the mean progress after the same day in up to three earlier years, the "
    "projected year-end with its 90% interval (counts: a negative binomial that includes how "
    "much the earlier years differed; rates: the wider of Wilson's and the earlier years' "
    "spread), the "
    "chance of meeting the target, what is still needed, and the outlook. A projection, not "
    "a promise.",
    columns=(ColumnDoc("metric", *DERIVED["metric"], values=_METRIC_CODES), _BUREAU, _FY,
             *(derived(c) for c in ("as_of", "fy_day", "ytd", "reference_years",
                                    "expected_remainder", "projected", "projected_low",
                                    "projected_high", "p_meet", "needed", "pace_status"))),
    fy_column="fiscal_year", bureau_column="bureau_code", filters=("metric", "pace_status"),
    margin_by=("metric", "fiscal_year"),
    order=("metric", "bureau_code"),
)
PACE_CURVE = Dataset(
    name="kpi_pace_curve", kind="daily",
    ja="年度内の累計(指標×年度×局×年度の日)", en="Year-to-date curves (metric × FY × bureau × day)",
    definition_ja="日付のある指標の、基準日の年度と前3年度の累計。値が変わった年度の日(4月1日=0)"
    "ごとに1行。1日単位の段差は個人の採用日等を示しうるため、公表用には出さない。",
    definition_en="Cumulative progress of the metrics whose events carry a date, in the as-of "
    "FY and the three before it: one row per fiscal day (April 1 = 0) on which it changed. A "
    "day's step can date one person's event: never in publication form.",
    columns=(ColumnDoc("metric", *DERIVED["metric"], values=_METRIC_CODES), _FY, _BUREAU,
             derived("fy_day"), derived("numerator", "cumulative_numerator"),
             derived("value", "cumulative_value")),
    fy_column="fiscal_year", bureau_column="bureau_code", filters=("metric",),
    order=("metric", "fiscal_year", "bureau_code", "fy_day"),
)

# metrics.md "The projection's track record": same-day values of earlier years are points of
# the daily curve, so the history is analysts' data like the curves, never in publication form
PACE_HISTORY = Dataset(
    name="kpi_pace_history", kind="daily",
    ja="見込みの実績(指標×過去の年度、省全体)", en="Track record of the projection (metric × FY)",
    definition_ja="件数の指標について、過去の各年度の基準日と同じ日に、同じ方法で出したはずの年度末見込み"
    "・90%区間・目標達成の確率と、その年度の実績(区間に収まったか、目標を達成したか)。省全体のみ。"
    "同じ日までの値は日々の累計の一点のため、公表用には出さない。",
    definition_en="For the count metrics, per earlier FY: the projection, 90% interval and "
    "chance of meeting the target that the same method would have shown on the as-of date's "
    "fiscal day of that year, and what then happened (inside the interval, target met). "
    "Ministry-wide only. A value by a given day is a point of the daily curve: never in "
    "publication form.",
    columns=(ColumnDoc("metric", *DERIVED["metric"], values=_METRIC_CODES),
             derived("fiscal_year", "history_fiscal_year"), derived("fy_day", "history_fy_day"),
             derived("ytd", "history_ytd"),
             derived("reference_years", "history_reference_years"),
             *(derived(c) for c in ("projected", "projected_low", "projected_high")),
             derived("p_meet", "history_p_meet"),
             *(derived(c) for c in ("outcome", "inside", "met"))),
    fy_column="fiscal_year", filters=("metric",),
    order=("metric", "fiscal_year"),
)

MARTS: tuple[Dataset, ...] = (
    Dataset(
        name="mart_headcount", kind="mart", ja="在籍者数(年度×局×職位×任用区分×勤務先)",
        en="Headcount (FY × bureau × grade × employment type × placement)",
        definition_ja="年度Nの在籍者名簿(4月1日時点)の人数。",
        definition_en="Staff on the roster of FY N (as on April 1).",
        columns=(_FY, _BUREAU, *contract_columns("roster", "grade", "employment_type",
                                                 "placement"),
                 derived("headcount"), derived("digital_talent", "digital_talent_count")),
        fy_column="fiscal_year", bureau_column="bureau_code",
        filters=("grade", "employment_type", "placement"),
        counts=("headcount", "digital_talent"),
        order=("fiscal_year", "bureau_code", "grade", "employment_type", "placement")),
    Dataset(
        name="mart_hiring", kind="mart", ja="採用者数(年度×局×採用区分)",
        en="Hires (FY × bureau × track)",
        definition_ja="採用年度・初任配属局・採用区分別の採用者数。",
        definition_en="Hires by FY of hire, bureau of first assignment and track.",
        columns=(_FY, _from_contract("hiring", "bureau_code"),
                 *contract_columns("hiring", "track"), derived("hires")),
        fy_column="fiscal_year", bureau_column="bureau_code", filters=("track",),
        counts=("hires",),
        order=("fiscal_year", "bureau_code", "track")),
    Dataset(
        name="mart_training", kind="mart", ja="研修(年度×局×実施主体×区分×レベル)",
        en="Training (FY × bureau × provider × category × level)",
        definition_ja="受講年度・受講年度の在籍局・コースの実施主体・区分・レベル別の受講件数、"
        "修了件数、修了者数。",
        definition_en="Enrolments, completions and distinct completing employees by FY, bureau "
        "(roster of the FY), provider, category and level.",
        columns=(_FY, _bureau_of_fy(), *contract_columns("courses", "provider", "category",
                                                         "level"),
                 derived("enrolments"), derived("completions"), derived("participants")),
        fy_column="fiscal_year", bureau_column="bureau_code",
        filters=("provider", "category", "level"),
        counts=("enrolments", "completions", "participants"),
        order=("fiscal_year", "bureau_code", "provider", "category", "level")),
    Dataset(
        name="mart_certification", kind="mart", ja="IPA試験(年度×局×試験×結果×対策講座)",
        en="IPA exams (FY × bureau × exam × result × preparation course)",
        definition_ja="試験日の年度・その年度の在籍局・試験・ITSSレベル・合否・対策講座受講の有無別の"
        "受験件数。",
        definition_en="Sittings by FY of the exam date, bureau (roster of the FY), exam, ITSS "
        "level, result and preparation course.",
        columns=(_FY, _bureau_of_fy(), *contract_columns("certification", "exam_code"),
                 *contract_columns("exams", "itss_level"),
                 *contract_columns("certification", "result", "prep_course"),
                 derived("sittings")),
        fy_column="fiscal_year", bureau_column="bureau_code",
        filters=("exam_code", "itss_level", "result", "prep_course"),
        counts=("sittings",),
        order=("fiscal_year", "bureau_code", "exam_code", "result", "prep_course")),
    Dataset(
        name="mart_drills", kind="mart", ja="不審メール訓練(訓練×局)",
        en="Phishing drills (drill × bureau)",
        definition_ja="訓練ごと・年度の在籍局別の送付数、開封等した人数、報告した人数。",
        definition_en="Mails sent, opened and reported per drill and bureau (roster of the FY).",
        columns=(_FY, *contract_columns("phishing_drills", "round", "drill_id"),
                 derived("sent_on"), _bureau_of_fy(), derived("sent"), derived("opened"),
                 derived("reported")),
        fy_column="fiscal_year", bureau_column="bureau_code", filters=("round",),
        counts=("sent", "opened", "reported"),
        order=("fiscal_year", "round", "drill_id", "bureau_code")),
    Dataset(
        name="mart_career_posts", kind="mart", ja="キャリアパス上のポスト(年度×局×職位×種類)",
        en="Career-path posts (FY × bureau × grade × kind)",
        definition_ja="計画§4(2)のポスト(セキュリティ/情報システム・業務改革/事案対処・危機管理)に"
        "在籍する人数。",
        definition_en="Staff in the plan's §4(2) posts (security / systems / crisis) by FY, "
        "bureau and grade.",
        columns=(_FY, _BUREAU, *contract_columns("roster", "grade"), derived("post_type"),
                 derived("headcount")),
        fy_column="fiscal_year", bureau_column="bureau_code", filters=("grade", "post_type"),
        counts=("headcount",),
        order=("fiscal_year", "bureau_code", "grade", "post_type")),
    Dataset(
        name="mart_career_training", kind="mart", ja="キャリアパス研修(年度×局×職位)",
        en="Career-path training (FY × bureau × grade)",
        definition_ja="計画§4(1): 係員級(政務を除く)のうち統一研修A・Bレベル、係長級のうち"
        "C・Dレベルを年度N以前に修了した人数。",
        definition_en="Plan §4(1): non-political staff-grade employees who completed "
        "unified-training level A or B, and chief-grade who completed C or D, in FY N or before.",
        columns=(_FY, _BUREAU, derived("grade", "career_grade"), derived("eligible"),
                 derived("completed")),
        fy_column="fiscal_year", bureau_column="bureau_code", filters=("grade",),
        counts=("eligible", "completed"),
        order=("fiscal_year", "bureau_code", "grade")),
)

STAGING: tuple[Dataset, ...] = (
    Dataset(
        name="stg_roster", kind="staging", ja="在籍者名簿(年度×職員)",
        en="Roster (FY × employee)",
        definition_ja=BY_NAME["roster"].ja + "。所属課室のポスト区分を付加。職員IDは仮名。",
        definition_en=BY_NAME["roster"].en
        + "; with the unit's career-path post flags. Pseudonymous IDs.",
        columns=(*contract_columns("roster", "fiscal_year", "employee_id", "bureau_code",
                                   "unit_code", "grade", "employment_type", "hire_fiscal_year",
                                   "digital_talent", "placement"),
                 _from_contract("units", "security_post", ja="(所属課室)", en=" (of the unit)"),
                 _from_contract("units", "systems_post", ja="(所属課室)", en=" (of the unit)"),
                 _from_contract("units", "crisis_post", ja="(所属課室)", en=" (of the unit)")),
        fy_column="fiscal_year", bureau_column="bureau_code",
        filters=("grade", "employment_type", "placement", "digital_talent"),
        order=("fiscal_year", "bureau_code", "employee_id")),
    Dataset(
        name="stg_hiring", kind="staging", ja="採用者(1人1行)", en="Hires (one row per person)",
        definition_ja=BY_NAME["hiring"].ja + "。職員IDは仮名。",
        definition_en=BY_NAME["hiring"].en + ". Pseudonymous IDs.",
        columns=contract_columns("hiring", "employee_id", "hire_date", "hire_fiscal_year",
                                 "bureau_code", "track"),
        fy_column="hire_fiscal_year", bureau_column="bureau_code", filters=("track",),
        order=("hire_date", "employee_id")),
    Dataset(
        name="stg_training", kind="staging", ja="研修受講(受講1件1行)",
        en="Training enrolments (one per row)",
        definition_ja=BY_NAME["training"].ja
        + "。コースの実施主体・区分・レベルと受講年度の在籍局を付加。職員IDは仮名。",
        definition_en=BY_NAME["training"].en + "; with the course's provider, category and "
        "level and the bureau in the roster of the FY. Pseudonymous IDs.",
        columns=(*contract_columns("training", "record_id", "employee_id", "course_code",
                                   "fiscal_year", "status", "completed_on"),
                 *contract_columns("courses", "provider", "category", "level"),
                 _bureau_of_fy()),
        fy_column="fiscal_year", bureau_column="bureau_code",
        filters=("status", "provider", "category", "level", "course_code"),
        order=("fiscal_year", "record_id")),
    Dataset(
        name="stg_certification", kind="staging", ja="IPA試験受験(受験1回1行)",
        en="IPA exam sittings (one per row)",
        definition_ja=BY_NAME["certification"].ja
        + "。試験日の年度、ITSSレベル、その年度の在籍局を付加。職員IDは仮名。",
        definition_en=BY_NAME["certification"].en + "; with the FY of the exam date, the ITSS "
        "level and the bureau in the roster of that FY. Pseudonymous IDs.",
        columns=(*contract_columns("certification", "record_id", "employee_id", "exam_code",
                                   "exam_date"),
                 ColumnDoc("fiscal_year", "試験日の年度", "FY of the exam date"),
                 *contract_columns("certification", "result", "prep_course"),
                 *contract_columns("exams", "itss_level"), _bureau_of_fy()),
        fy_column="fiscal_year", bureau_column="bureau_code",
        filters=("exam_code", "itss_level", "result", "prep_course"),
        order=("fiscal_year", "record_id")),
    Dataset(
        name="stg_phishing_drills", kind="staging", ja="不審メール訓練(送付1通1行)",
        en="Phishing drills (one row per mail)",
        definition_ja=BY_NAME["phishing_drills"].ja + "。その年度の在籍局を付加。職員IDは仮名。",
        definition_en=BY_NAME["phishing_drills"].en + "; with the bureau in the roster of the "
        "FY. Pseudonymous IDs.",
        columns=(*contract_columns("phishing_drills", "drill_id", "fiscal_year", "round",
                                   "sent_on", "employee_id", "opened", "reported"),
                 _bureau_of_fy()),
        fy_column="fiscal_year", bureau_column="bureau_code",
        filters=("round", "opened", "reported"),
        order=("fiscal_year", "round", "drill_id", "employee_id")),
)

REFERENCE: tuple[Dataset, ...] = tuple(
    Dataset(name=t.name, kind="reference", ja=t.ja, en=t.en,
            definition_ja=f"{t.file} の内容(読み込んだまま)。",
            definition_en=f"The contents of {t.file}, as loaded.",
            columns=tuple(_from_contract(t.name, c.name) for c in t.columns)
            # plans: the implicit plan when there is no plans.csv, and each plan's generation
            + ((derived("implicit"), derived("generation")) if t.name == "plans" else ()))
    for t in TABLES if not t.fact
)

RUN_TABLES: tuple[Dataset, ...] = (
    Dataset(name="pipeline_runs", kind="run", ja="パイプライン実行履歴", en="Pipeline runs",
            definition_ja="ウェアハウスを作成した実行(過去の実行も保持)。",
            definition_en="Builds of the warehouse, earlier ones kept.",
            columns=tuple(derived(c) for c in (
                "run_id", "started_at", "finished_at", "as_of_date", "as_of_fy", "data_origin",
                "raw_dir", "rules_checked", "warnings"))),
    Dataset(name="pipeline_run_files", kind="run", ja="実行ごとの入力ファイル",
            en="Input files of each run",
            definition_ja="各実行が読んだファイル、SHA-256、行数、文字コード。",
            definition_en="The files each run read, with SHA-256, rows and encoding.",
            columns=tuple(derived(c) for c in ("run_id", "file", "sha256", "rows", "encoding"))),
    Dataset(name="validation_results", kind="run", ja="データ検査の結果", en="Validation results",
            definition_ja="最新の実行で検査した全ルールの結果(Great Expectations)と警告。",
            definition_en="Every rule checked by the latest run (Great Expectations), and its "
            "warnings.",
            columns=tuple(derived(c) for c in (
                "run_id", "suite", "rule", "column_name", "severity", "success",
                "element_count", "unexpected_count", "examples", "message"))),
    Dataset(name="published_check", kind="run", ja="公表値との照合", en="Published figures check",
            definition_ja="published.csv の公表値とデータから計算した値の比較。",
            definition_en="Published figures (published.csv) against the values computed from "
            "the data.",
            columns=(ColumnDoc("metric", *DERIVED["metric"]), _FY,
                     *(derived(c) for c in ("published_value", "warehouse_value", "difference",
                                            "matches", "source")))),
)

DOWNLOADABLE: tuple[Dataset, ...] = (KPI, PACE, *MARTS, *STAGING, PACE_CURVE, PACE_HISTORY)
ALL: tuple[Dataset, ...] = (*DOWNLOADABLE, *REFERENCE, *RUN_TABLES)
BY_TABLE: dict[str, Dataset] = {ds.name: ds for ds in ALL}
DOWNLOADS: dict[str, Dataset] = {ds.name: ds for ds in DOWNLOADABLE}

# URL query parameters of the data page (registered with dashboard.state as page parameters):
# the dataset, the publication switch, and one ``f_<column>`` per categorical filter column.
FILTER_PREFIX = "f_"
URL_PARAMS: frozenset[str] = frozenset(
    {"dataset", "pub"} | {FILTER_PREFIX + c for ds in DOWNLOADABLE for c in ds.filters})
