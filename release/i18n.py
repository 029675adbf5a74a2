"""Every string the dashboard shows, in Japanese and English, in one table (``STRINGS``), with
the labels of the contract's enum values and the lookups (``t``, ``enum_label`` …).

Metric names and definitions are not repeated here: they come from ``pipelines.schema.METRICS``
(one source of truth with the pipeline and the dictionary page). Era names come from
``pipelines.fiscal``; numbers, dates and FY labels are formatted by ``dashboard.fmt``.
``tests/test_i18n.py`` fails on a key the code uses but the table lacks, and on a key no code
uses.
"""

from __future__ import annotations

from pipelines.schema import METRIC_BY_CODE

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"
LANG_NAMES = {"ja": "日本語", "en": "English"}

# key: (Japanese, English); ``{name}`` placeholders are filled by ``t(..., name=...)``.
STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("総務省デジタル人材確保・育成計画", "MIC Digital Talent Plan"),
    "section_plan": ("計画の進捗", "Plan progress"),
    "section_analysis": ("分析", "Analysis"),
    # pages
    "page_overview": ("概要", "Overview"),
    "page_hiring": ("採用", "Hiring"),
    "page_training": ("研修", "Training"),
    "page_certification": ("資格", "Certification"),
    "page_security": ("情報セキュリティ", "Security literacy"),
    "page_workforce": ("人材配置", "Workforce & careers"),
    # sidebar controls
    "controls": ("表示条件", "View"),
    "language": ("言語 / Language", "Language / 言語"),
    "bureaus": ("局・部・庁", "Bureaus"),
    "bureaus_placeholder": ("全局", "All bureaus"),
    "bureaus_help": ("何も選ばないと全局(省全体)を表示します。",
                     "Leave empty to show all bureaus (the whole ministry)."),
    "fy_span": ("年度の範囲", "Fiscal years"),
    "all_bureaus": ("全局(省全体)", "All bureaus (ministry-wide)"),
    "n_bureaus": ("{n}局を選択中", "{n} bureau(s) selected"),
    "share_hint": ("このページのURLで同じ表示を共有できます。",
                   "Share this page's URL to show exactly this view."),
    "ignored_params": ("URLの次の指定は無効なため無視しました: {names}",
                       "Ignored invalid URL parameters: {names}"),
    # header
    "as_of": ("データ基準日", "Data as of"),
    "last_run": ("最終更新", "Last pipeline run"),
    "run_id": ("実行ID", "Run ID"),
    "sample_banner": ("サンプルデータ / Sample data — 表示している数値は合成データです。",
                      "サンプルデータ / Sample data — the figures shown are synthetic."),
    "no_warehouse": ("データベースがまだありません。", "There is no warehouse yet."),
    "no_warehouse_help": (
        "`make run` でサンプルデータから作成するか、`python -m pipelines build` を実行してください"
        "(参照先: `{path}`)。",
        "Build it with `make run` (from the sample data) or `python -m pipelines build` "
        "(looking for `{path}`)."),
    "bad_warehouse": ("データベースを読み込めませんでした。再作成してください。",
                      "The warehouse could not be read; please rebuild it."),
    # status
    "status_met": ("達成", "met"),
    "status_below": ("未達", "below"),
    "status_above": ("超過", "above"),
    "status_in_progress": ("集計中", "in progress"),
    "status_no_data": ("データなし", "no data"),
    "status_no_target": ("目標なし", "no target"),
    "status_suppressed": ("秘匿", "suppressed"),
    "status_legend": ("凡例", "Legend"),
    # overview
    "overview_fy": ("表示する年度", "Fiscal year shown"),
    "overview_intro": (
        "計画の数値目標ごとの達成状況です。カードの「詳しく見る」から各ページへ移動できます。",
        "Progress against each of the plan's numeric targets. Follow “Details” on a card "
        "to its page."),
    "target": ("目標", "Target"),
    "vs_prev": ("前年度比", "vs previous FY"),
    "details": ("詳しく見る", "Details"),
    "scorecard": ("計画スコアカード", "Plan scorecard"),
    "scorecard_caption": ("指標 × 年度の達成状況(記号と値)。",
                          "Status per metric and FY (symbol and value)."),
    "metric": ("指標", "Metric"),
    "section": ("計画の節", "Plan section"),
    "no_targets": ("plan_targets に目標がありません。", "plan_targets holds no targets."),
    "ministry_suffix": ("(省全体)", " (ministry-wide)"),
    # targets
    "target_range": ("{lo}〜{hi}", "{lo}–{hi}"),
    "target_min": ("{lo}以上", "at least {lo}"),
    "target_max": ("{hi}以下", "at most {hi}"),
    "target_growth": ("前年度より増加", "more than the previous FY"),
    "target_band": ("目標 {text}", "Target {text}"),
    "target_ministry_only": (
        "目標({text})は省全体の値に対するもので、局別には適用されません。",
        "The target ({text}) applies to the whole ministry, not to single bureaus."),
    "no_bureau_breakdown": (
        "この指標には局別の内訳がないため、局の選択にかかわらず省全体の値を表示しています。",
        "This metric has no bureau breakdown: it shows the whole ministry whatever bureaus "
        "are selected."),
    # plan generations (issue 18): the plans' periods on every time chart
    "plan_implicit": ("計画", "The plan"),
    "plan_revised_label": ("改定: {title}", "Revised: {title}"),
    "target_set_by": ("({plan})", "(set by {plan})"),
    "plan_in_force": ("その年度の計画", "Plan in force"),
    # 計画の振り返り Plan review (issue 18)
    "page_plan_review": ("計画の振り返り", "Plan review"),
    "review_intro": (
        "計画(改定を含む一つの世代)ごとに、その計画が効力を持った年度の達成状況を振り返ります。"
        "各年度はその年度に効力を持つ計画の目標で判定しています。",
        "One plan (with its revisions) at a time: how the years it was in force went. Each "
        "year is judged by the targets of the plan in force that year."),
    "review_no_plans": ("計画がありません(目標が登録されていません)。",
                        "There is no plan (no targets were loaded)."),
    "review_select": ("計画", "Plan"),
    "review_period": ("計画期間: {period}", "Plan period: {period}"),
    "review_plan_line": ("{title}(策定・改定 {adopted}、{fys})",
                         "{title} (adopted {adopted}, {fys})"),
    "review_ended": ("この計画の期間は終了しています。最終状況は最終年度の判定です。",
                     "This plan has ended: the final status is its last year's."),
    "review_in_force": ("この計画は現在も効力があります(状況は現時点まで)。",
                        "This plan is still in force: statuses are to date."),
    "review_by_metric": ("指標ごとの振り返り", "By metric"),
    "review_no_targets": ("この計画には目標がありません。", "This plan has no targets."),
    "review_metric": ("指標", "Metric"),
    "review_met": ("達成(年度数)", "Years met"),
    "review_below": ("未達(年度数)", "Years below"),
    "review_above": ("超過(年度数)", "Years above"),
    "review_first": ("最初の値", "First value"),
    "review_last": ("最後の値", "Last value"),
    "review_targets": ("目標の推移(改定)", "Target across revisions"),
    "review_final": ("最終状況", "Final status"),
    "review_to_date": ("{status}(現時点)", "{status} (to date)"),
    "review_no_target": ("目標なし", "no target"),
    "review_revised_on": ("(改定 {date})", "(revised {date})"),
    "review_handover": ("前の計画({previous})の最終年度と、この計画の初年度",
                        "The previous plan ({previous}): its final year against this plan's "
                        "first"),
    "review_prev_final": ("前計画の最終年度 {fy}", "Previous plan, final year {fy}"),
    "review_new_first": ("この計画の初年度 {fy}", "This plan, first year {fy}"),
    "review_download": ("振り返りをCSVでダウンロード", "Download the review (CSV)"),
    "review_download_role": (
        "振り返りのCSVは保護前の集計値を含むため、企画担当以上の権限でダウンロードできます。",
        "The review's CSV holds unprotected aggregated figures: planner role and up."),
    "review_brief_help": (
        "表示中の言語・局・年度の範囲の幹部説明資料に、この計画の振り返りを加えて作成します(押した時点で作成)。",
        "The executive briefing for the language, bureaus and years shown, with this plan's "
        "review added (made when you click)."),
    # 計画の改定案 / Draft revision (issue 26: views/plan_draft.py)
    "page_plan_draft": ("計画の改定案", "Draft revision"),
    "draft_intro": (
        "計画の改定案を作り、各年度・各局の判定がどう変わるか、今年度の目標達成の見込みとあわせて確かめます。"
        "判定は現行のデータと同じ規則で計算しています。承認されるまで、現行のデータは変わりません。",
        "Draft a revision of a plan and see how each year's and each bureau's status would change, "
        "with this year's chance of meeting the draft target. Statuses are judged by the same rule "
        "as the live data. Nothing changes in the live data before a second person approves."),
    "draft_no_plans": ("改定できる計画がありません(目標が登録されていません)。",
                       "There is no plan to revise (no targets are registered)."),
    "draft_plan": ("改定する計画", "Plan to revise"),
    "draft_plan_id": ("改定案のID", "Revision ID"),
    "draft_plan_id_help": ("英数字・_・-(32文字まで)", "Letters, digits, _ and - (up to 32)"),
    "draft_adopted_on": ("改定日(予定)", "Adoption date"),
    "draft_fy_from": ("適用開始年度", "First FY it applies to"),
    "draft_fy_from_help": ("0 のままなら改定日の年度から適用します(年度途中の改定もその年度から)。",
                           "Leave at 0 to apply from the FY of the adoption date (a mid-year "
                           "revision applies to that whole FY)."),
    "draft_title_ja": ("計画名(日本語)", "Title in Japanese"),
    "draft_title_en": ("計画名(英語)", "Title in English"),
    "draft_title_suffix": ("{title}(改定案)", "{title} (draft revision)"),
    "draft_targets": ("改定案の目標", "The draft's targets"),
    "draft_targets_help": (
        "指標ごとに年度の範囲・種類・下限・上限を編集します。行の追加・削除もできます。率は0〜1の小数で入力します(95% は 0.95)。"
        "適用開始年度より前の年度は適用されません。",
        "Edit each metric's FY range, kind, minimum and maximum; add or delete rows. Rates are "
        "fractions 0–1 (95% is 0.95). Years before the first FY of the revision do not apply."),
    "draft_col_metric": ("指標", "Metric"),
    "draft_col_fy_from": ("開始年度", "From FY"),
    "draft_col_fy_to": ("終了年度", "To FY"),
    "draft_col_kind": ("種類", "Kind"),
    "draft_col_min": ("下限", "Min"),
    "draft_col_max": ("上限", "Max"),
    "draft_row": ("{n}行目: {error}", "Row {n}: {error}"),
    "draft_row_incomplete": ("指標・開始年度・終了年度・種類を入力してください。",
                             "give the metric, both FYs and the kind."),
    "draft_invalid": ("この改定案はまだ使えません: {error}", "This draft cannot be used yet: {error}"),
    "draft_err_target_form": ("目標の形式が正しくありません。", "the target is not well formed."),
    "draft_err_target_fys": ("年度は4桁の西暦で入力してください。", "FYs are four-digit years."),
    "draft_err_target_number": ("下限・上限は数値で入力してください。", "min and max must be numbers."),
    "draft_err_unknown_metric": ("指標 {metric} はありません。", "there is no metric {metric}."),
    "draft_err_unknown_kind": ("種類 {kind} はありません。", "there is no kind {kind}."),
    "draft_err_kind_values": (
        "種類が「範囲」なら下限と上限、「以上」なら下限だけ、「以下」なら上限だけ、「前年度より増加」ならどちらも空欄にします。",
        "a range takes min and max, a minimum the min alone, a maximum the max alone, growth "
        "neither."),
    "draft_err_kind_rate": ("{metric} は率です。目標は0〜1の小数で入力してください(95% は 0.95)。",
                            "{metric} is a rate: its target is a fraction 0–1 (95% is 0.95)."),
    "draft_err_kind_count": ("{metric} は件数・人数です。目標に負の値は使えません。",
                             "{metric} is a count: its target cannot be negative."),
    "draft_err_min_max": ("下限が上限を超えています。", "the minimum is above the maximum."),
    "draft_err_fy_order": ("開始年度が終了年度より後です。", "the first FY is after the last."),
    "draft_err_unknown_plan": ("計画 {plan} はありません。", "there is no plan {plan}."),
    "draft_err_plan_id_form": ("改定案のIDは英数字・_・-の32文字以内です。",
                               "the revision ID is up to 32 letters, digits, _ and -."),
    "draft_err_plan_id_taken": ("ID {plan} は既にある計画のIDです。", "{plan} is already a plan's ID."),
    "draft_err_title_empty": ("計画名を入力してください。", "give the titles."),
    "draft_err_adopted_early": ("改定日は改定する計画の策定日({adopted})より後にしてください。",
                                "the adoption date must be after the plan's ({adopted})."),
    "draft_err_adopted_taken": ("その日には計画 {plan} が策定・改定されています(1日に1つ)。",
                                "plan {plan} was adopted that day (one adoption a day)."),
    "draft_err_fy_outside": ("{fy}年度は期間(FY{fy_from}〜FY{fy_to})の外です。",
                             "FY{fy} is outside the period (FY{fy_from}–FY{fy_to})."),
    "draft_err_drop_none": ("{metric} には取り下げる目標がありません。",
                            "{metric} has no target to drop."),
    "draft_err_overlap": ("{metric} の目標の年度が重なっています(指標・年度ごとに1つ)。",
                          "{metric} has targets whose FYs overlap (one per metric and FY)."),
    "draft_summary": ("この改定案で、{rows}件(指標×年度×局)の計画・目標・判定が変わり、うち{flips}件は判定が変わります。",
                      "This draft changes the plan, target or status of {rows} rows (metric × "
                      "FY × bureau); {flips} of them change status."),
    "draft_no_change": ("この改定案で変わる判定・目標はありません。",
                        "This draft changes no status or target."),
    "draft_flips": ("判定が変わる年度・局", "Years and bureaus whose status would change"),
    "draft_flip_line": ("{metric}・{fy}・{bureau}: {before} → {after}",
                        "{metric}, {fy}, {bureau}: {before} → {after}"),
    "draft_no_flips": ("判定が変わる年度・局はありません。", "No year or bureau changes status."),
    "draft_other": ("目標や計画だけが変わる行({n}件)", "Rows whose target or plan alone changes ({n})"),
    "draft_bureau_note": ("局を選ぶと、その局の行だけを表示します(何も選ばなければ省全体と全局)。",
                          "Pick bureaus to see their rows only (none: the ministry and every bureau)."),
    "draft_c_metric": ("指標", "Metric"),
    "draft_c_fy": ("年度", "FY"),
    "draft_c_bureau": ("局", "Bureau"),
    "draft_c_value": ("値", "Value"),
    "draft_c_target": ("目標(現行 → 改定案)", "Target (current → draft)"),
    "draft_c_status": ("判定(現行 → 改定案)", "Status (current → draft)"),
    "draft_c_plan": ("計画(現行 → 改定案)", "Plan (current → draft)"),
    "draft_c_p_meet": ("目標達成の見込み(現行 → 改定案)", "Chance of meeting it (current → draft)"),
    "draft_c_outlook": ("見込み(現行 → 改定案)", "Outlook (current → draft)"),
    "draft_c_needed": ("あと必要(改定案)", "Still needed (draft)"),
    "draft_c_projected": ("年度末見込み", "Projected year-end"),
    "draft_c_ytd": ("今年度これまで", "So far"),
    "draft_in_force": ("年度ごとの計画(現行 → 改定案)", "Plan in force per FY (current → draft)"),
    "draft_c_current": ("現行", "Current"),
    "draft_c_draft": ("改定案", "Draft"),
    "draft_c_changed": ("変更", "Changes"),
    "draft_pace": ("今年度({fy})の見込み(改定案の目標で)", "This year ({fy}) under the draft's targets"),
    "draft_pace_none": ("今年度の見込みはありません。", "There is no outlook for this year."),
    "draft_chart": ("現行と改定案の目標", "Current and draft targets"),
    "draft_chart_metric": ("グラフの指標", "Metric for the chart"),
    "draft_chart_caption": (
        "{metric}({scope})。値の色と記号は改定案での判定、灰色の線・帯は現行の目標、緑は改定案の目標です。",
        "{metric} ({scope}). Colours and symbols are the statuses under the draft; grey lines or "
        "bands the current targets, green the draft's."),
    "draft_revision_line": ("改定案: {title}", "Draft: {title}"),
    "draft_files": ("改定案のファイル", "The draft's files"),
    "draft_files_note": (
        "plans.csv と plan_targets.csv は現行の行に改定案の行を加えたもので、データ契約の形式そのままです(そのまま提出できます)。impact.csv は変わる行の一覧です。",
        "plans.csv and plan_targets.csv hold the live rows plus the draft's, exactly in the data "
        "contract's format (ready to deliver); impact.csv lists the rows that change."),
    "draft_download": ("{file} をダウンロード", "Download {file}"),
    "draft_propose": ("データ更新として提案", "Propose as a data delivery"),
    "draft_propose_note": ("提案のメモ", "Note for the approver"),
    "draft_propose_help": (
        "改定案の2つのファイルをデータ更新として提案します(ほかのファイルは現行のまま)。別の担当者が承認すると反映されます。",
        "Proposes the draft's two files as a data delivery (every other file stays as it is "
        "live). It goes live when a second person approves it."),
    "draft_proposed": ("データ更新 {id} として提案しました(状態: {state})。承認されるまで現行のデータは変わりません。",
                       "Proposed as data delivery {id} (state: {state}). The live data stay as "
                       "they are until it is approved."),
    "draft_propose_failed": ("提案できませんでした: {error}", "Could not propose: {error}"),
    "draft_kept": ("改定案は入力のたびにあなた専用に保存され、次に開いたときに続きから作業できます。",
                   "Your draft is kept for you as you type: come back to it any time."),
    "draft_restored": ("保存していた改定案を開きました。", "Opened your kept draft."),
    "draft_discard": ("改定案を破棄して最初から", "Discard the draft and start again"),
    "date_axis": ("%Y年%-m月", "%b %Y"),
    "fy": ("年度", "FY"),
    "value": ("値", "Value"),
    "count": ("人数", "People"),
    "rate": ("割合", "Rate"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "status": ("状況", "Status"),
    "table_title": ("数値表", "Table"),
    "no_rows": ("選択した条件に該当するデータがありません。",
                "No data for the selected bureaus and years."),
    "caption": ("{definition}(計画{section})", "{definition} (plan {section})"),
    "snapshot_fy": ("年度", "Fiscal year"),
    # hiring
    "hiring_intro": ("§2 デジタル人材候補の採用(毎年度1〜2名程度)。",
                     "§2 Hiring of digital-talent candidates (about one or two a year)."),
    "published": ("公表値", "published"),
    "published_mismatch": ("公表値と不一致(公表 {pub})", "differs from published ({pub})"),
    "published_note": (
        "「公表値」は計画で公表された数値がある年度です。データと公表値が異なる年度には ⚠ を付けています。",
        "“published” marks the FYs with a figure published in the plan; ⚠ flags a "
        "difference between the data and the published figure."),
    "published_filtered": ("公表値は省全体の数値のため、局を選択している間は表示しません。",
                           "Published figures are ministry-wide and are not marked while "
                           "bureaus are selected."),
    "cumulative": ("累計採用数", "Cumulative hires"),
    "cumulative_caption": (
        "デジタル人材候補の採用数の累計({first}から)。(計画§2)",
        "Running total of digital-talent hires since {first} (plan §2)."),
    "by_track": ("採用区分別の採用者数", "Hires by track"),
    "by_track_caption": ("採用年度ごとの採用者数(全区分、採用1人1行)。(計画§2)",
                         "Hires per FY of hire, all tracks (plan §2)."),
    "by_bureau": ("局別の採用者数", "Hires by bureau"),
    "by_bureau_caption": ("初任配属局ごとの採用者数({track})。(計画§2)",
                          "Hires per bureau of first assignment ({track}) (plan §2)."),
    "track_filter": ("採用区分", "Track"),
    "all_tracks": ("全区分", "All tracks"),
    "total_hires": ("採用者数(全区分)", "All hires"),
    # training
    "training_intro": ("§3 研修の受講拡大と、§4(1) キャリアパスに応じた研修。",
                       "§3 More training participants, and §4(1) training along the "
                       "career path."),
    "by_level": ("統一研修のレベル別受講者数", "Unified-training participants by level"),
    "by_level_caption": (
        "デジタル庁の情報システム統一研修(A〜D)を年度内に修了した職員数(コース群ごとの重複なし人数の合計)。(計画§3)",
        "Employees who completed Digital Agency unified training (levels A–D) in the FY "
        "(sum of distinct people per course group) (plan §3)."),
    "by_provider": ("実施主体別の受講者数", "Participants by provider"),
    "by_provider_caption": (
        "統一研修・情報システム研修会・省独自研修・試験対策講座の修了者数(実施主体×区分ごとの重複なし人数の合計)。(計画§3)",
        "Completers of unified, IT-seminar, MIC digital and exam-prep courses (sum of "
        "distinct people per provider and category) (plan §3)."),
    "new_hire_rates": ("新規採用者の研修受講率(採用年度別)", "New hires trained, by hire cohort"),
    "career_training": ("キャリアパスに応じた研修の修了状況(§4(1))",
                        "Training along the career path (§4(1))"),
    "career_training_caption": (
        "係員級(政務を除く)のうち統一研修A・Bレベル、係長級のうちC・Dレベルを当該年度までに修了した者の割合。(計画§4(1))",
        "Share of non-political staff-grade employees who have completed unified level A or "
        "B, and of chief-grade employees who have completed C or D, by the FY (plan §4(1))."),
    "staff_ab": ("係員級: A・Bレベル修了", "Staff grade: level A–B completed"),
    "chief_cd": ("係長級: C・Dレベル修了", "Chief grade: level C–D completed"),
    # certification
    "cert_intro": ("§3 IPA試験(情報処理技術者試験等)の資格取得者の増加。",
                   "§3 More staff holding IPA IT qualifications."),
    "passes_by_exam": ("試験別の合格件数", "Passes by exam"),
    "passes_by_exam_caption": ("試験日が当該年度に属する合格件数(試験別)。(計画§3)",
                               "Passes whose exam date falls in the FY, by exam (plan §3)."),
    "passes_by_level": ("ITSSレベル別の合格件数", "Passes by ITSS level"),
    "passes_by_level_caption": ("試験日が当該年度に属する合格件数(ITスキル標準のレベル別)。(計画§3)",
                                "Passes whose exam date falls in the FY, by IT Skill Standard "
                                "level (plan §3)."),
    "itss_level": ("レベル{n}", "Level {n}"),
    "pass_rate_prep": ("試験対策講座の受講有無別の合格率", "Pass rate with and without the "
                       "preparation course"),
    "pass_rate_prep_caption": (
        "受験1回あたりの合格率。試験対策講座を受講した受験とそれ以外を比べています。(計画§3)",
        "Passes per sitting, for sittings with and without the exam-preparation course "
        "(plan §3)."),
    "with_prep": ("対策講座あり", "With preparation course"),
    "without_prep": ("対策講座なし", "Without preparation course"),
    "sittings": ("受験件数", "Sittings"),
    "passes": ("合格件数", "Passes"),
    # security
    "security_intro": ("§5 情報セキュリティ教育、不審メール提出訓練、新規採用・昇任時の研修。",
                       "§5 Security education, phishing drills, and training on joining and "
                       "on promotion."),
    "elearning_by_bureau": ("局別の情報セキュリティ教育受講率",
                            "Security e-learning completion by bureau"),
    "elearning_trend": ("情報セキュリティ教育受講率の推移", "Security e-learning over time"),
    "drill_rounds": ("訓練回ごとの開封率・報告率", "Opened and reported, per drill round"),
    "drill_rounds_caption": (
        "各回の訓練メールのうち開封等された割合と報告された割合(送付日順)。(計画§5)",
        "Share of each drill round's mails that were opened and that were reported, by "
        "date sent (plan §5)."),
    "round": ("第{n}回", "round {n}"),
    "sent": ("送付数", "Mails sent"),
    "opened": ("開封等", "Opened"),
    "reported": ("報告", "Reported"),
    "selection_total": ("選択中の局の合計", "Selected bureaus"),
    "ministry_total": ("省全体", "Ministry-wide"),
    # workforce
    "workforce_intro": ("§1 体制の整備と人材の拡充、§4 キャリアパス(出向・ポスト経験)。",
                        "§1 Organisation and staffing, §4 career paths (secondments and "
                        "posts)."),
    "headcount_grade": ("局×職位別の在籍者数", "Headcount by bureau and grade"),
    "headcount_grade_caption": (
        "4月1日時点の在籍者数(出向中の職員は本籍局に計上)。(計画§1)",
        "Staff on the roster on April 1, by home bureau and grade (secondees counted in "
        "their home bureau) (plan §1)."),
    "secondees_by_dest": ("出向先別の出向者数", "Secondees by destination"),
    "career_posts": ("キャリアパス上のポストの在籍者(§4(2))", "Staff in career-path posts (§4(2))"),
    "career_posts_caption": (
        "セキュリティ・情報システム(業務改革)・事案対処(危機管理)の経験ポストにいる職員数(職位別)。(計画§4(2))",
        "Staff in posts giving security, information-systems / BPR and incident-response / "
        "crisis experience, by grade (plan §4(2))."),
    "external": ("外部専門人材・官民交流", "External specialists and private-sector exchange"),
    "external_caption": (
        "高度専門人材(外部からの登用)、民間からの交流採用者、民間企業への出向者の人数(4月1日時点)。(計画§1)",
        "Specialists appointed from outside, exchange staff from the private sector, and staff "
        "placed in private companies, on April 1 (plan §1)."),
    "ext_specialist": ("外部専門人材", "External specialists"),
    "ext_exchange": ("官民交流(受入れ)", "Exchange staff (incoming)"),
    "ext_private": ("民間企業への出向", "Placed in private companies"),
    "headcount": ("在籍者数", "Headcount"),
    "bureau": ("局", "Bureau"),
    "grade": ("職位", "Grade"),
    "post_type": ("ポスト", "Post"),
    "other_bureau": ("(局不明)", "(no bureau)"),
    # analyst pages (data, dictionary, quality)
    "qa_col_file": ("ファイル", "File"),
    "qa_col_rows": ("行数", "Rows"),
    "qa_col_encoding": ("文字コード", "Encoding"),
    "page_data": ("データ", "Data"),
    "page_dictionary": ("定義", "Dictionary"),
    "page_quality": ("データ品質", "Data quality"),
    "data_yes": ("はい", "yes"),
    "data_no": ("いいえ", "no"),
    "data_blank": ("(空欄)", "(blank)"),
    # data page
    "data_intro": (
        "表示中の局・年度で絞り込んだデータを、CSV・Excel・Parquetでダウンロードできます。"
        "ファイルは押した時点の条件で作成されます。",
        "Download the data for the bureaus and years selected, as CSV, Excel or Parquet. "
        "Files are made when you click, from the filters on screen."),
    "data_dataset": ("データセット", "Dataset"),
    "data_kind_kpi": ("指標", "metrics"),
    "data_kind_mart": ("集計表", "aggregated"),
    "data_kind_staging": ("個票(仮名ID)", "row-level, pseudonymous"),
    "data_kind_daily": ("日別累計(非公表)", "daily steps, not for publication"),
    "data_publication": ("公表用 / for publication", "公表用 / for publication"),
    "data_publication_help": (
        "府省外に出す表のための秘匿処理(公表用データと同じ): 人数が1〜{m}のセル({t}未満)と、"
        "分子と分母の差が1〜{m}の率を `[c]` に置き換え、指標と集計表・省全体と局・公表値の"
        "あいだの足し算から逆算できないよう別のセルも秘匿します。`[c]` から計算される率・達成"
        "状況も `[c]` です。個票データは選べません。",
        "Disclosure control for tables leaving the ministry (the same as the publication "
        "pack): counts of 1–{m} people (below {t}) and rates whose numerator and denominator "
        "differ by 1–{m} become `[c]`, and further cells are suppressed so that no sum between "
        "metrics and tables, ministry and bureaus, or the published figures gives them away. "
        "Rates and statuses computed from a `[c]` are `[c]`. Row-level datasets are not offered."),
    "public_preparing": (
        "公表用の集計値を準備しています…(このページは自動で更新されます)",
        "Preparing the published figures… (this page refreshes by itself)"),
    "public_failed": (
        "公表用の集計値を準備できませんでした。ページを再読み込みすると再試行します(管理者向けログ: {log})",
        "The published figures could not be prepared. Reloading this page tries again "
        "(log for administrators: {log})"),
    "public_note": (
        "公表用データ: 人数が{t}未満のセルなどは `[c]`(秘匿)と表示しています。",
        "Publication data: cells of fewer than {t} people and the like are shown as `[c]` "
        "(withheld)."),
    "data_publication_wait": ("公表用の秘匿処理をしています…",
                              "Applying disclosure control…"),
    "data_publication_on": (
        "公表用: 秘匿処理をした表です(秘匿したセル {n} 件、しきい値 {t})。",
        "For publication: disclosure control applied ({n} cells suppressed, threshold {t})."),
    "data_rowlevel_hidden": (
        "公表用では個票データ(stg_*)は選べません。集計表か指標を選んでください。",
        "Row-level datasets (stg_*) are not offered for publication: choose an aggregated "
        "table or the metrics."),
    "data_filters": ("このデータの絞り込み", "Filters of this dataset"),
    "data_filter_help": ("何も選ばないとすべての値を含みます。", "Leave empty to include every value."),
    "data_global": ("サイドバーの条件: {bureaus}、{fys}", "Sidebar filters: {bureaus}, {fys}"),
    "data_bureau_note": (
        "局を選択しているときは、その局の行だけを含みます(省全体の行・局が空欄の行は含みません)。",
        "With bureaus selected, only their rows are included (not the ministry-wide rows or "
        "rows without a bureau)."),
    "data_rows": ("該当行数", "Rows"),
    "data_preview": ("先頭 {n} 行のプレビュー(全 {total} 行)", "Preview of the first {n} of {total} rows"),
    "data_download": ("ダウンロード", "Download"),
    "data_csv": ("CSV", "CSV"),
    "data_xlsx": ("Excel (XLSX)", "Excel (XLSX)"),
    "data_parquet": ("Parquet", "Parquet"),
    "data_encoding": ("CSVの文字コード", "CSV encoding"),
    "data_enc_utf8": ("UTF-8(BOM付き、推奨)", "UTF-8 with BOM (recommended)"),
    "data_enc_cp932": ("Shift_JIS(CP932)", "Shift_JIS (CP932)"),
    "data_cp932_note": (
        "CP932で表せない文字は 〓 に置き換わります(〜 などは近い文字に置換)。文字を失いたくない場合は UTF-8 を使ってください。",
        "Characters CP932 cannot hold become 〓 (look-alikes such as 〜 are mapped). Use UTF-8 "
        "to keep every character."),
    "data_xlsx_split": (
        "Excelの行数上限(1,048,576行)を超えるため、データは複数のシートに分かれます。",
        "More rows than an Excel sheet holds (1,048,576): the data is split over several "
        "sheets."),
    "data_files_note": (
        "ファイル名にはデータセット、絞り込みの概要、データ基準日が入ります。Excelの about シートに"
        "定義・全条件・実行ID・作成日時を記載します。=、+、-、@ で始まる文字列は数式として実行されません。",
        "File names carry the dataset, a filter summary and the as-of date. The Excel file's "
        "about sheet states the definition, every filter, the run ID and when it was made. "
        "Text starting with =, +, -, @ never runs as a formula."),
    # dictionary page
    "dict_intro": (
        "ウェアハウスの全データセットと列の型・意味、指標の定義、読み込んだ計画目標です。"
        "列の意味と指標の定義はパイプラインと同じ定義(pipelines/schema.py)から表示しています。",
        "Every dataset of the warehouse with its columns' types and meanings, every metric's "
        "definition and the plan targets as loaded. Meanings and definitions come from the "
        "pipeline's own schema (pipelines/schema.py)."),
    "dict_datasets": ("データセットと列", "Datasets and columns"),
    "dict_metrics": ("指標の定義", "Metric definitions"),
    "dict_targets": ("計画目標(plan_targets、読み込んだまま)", "Plan targets (plan_targets, as loaded)"),
    "dict_kind_kpi": ("指標", "Metrics"),
    "dict_kind_mart": ("集計表(マート)", "Aggregated tables (marts)"),
    "dict_kind_staging": ("個票(ステージング、仮名ID)", "Row-level tables (staging, pseudonymous)"),
    "dict_kind_daily": ("日別累計(非公表: 1日の段差が個人の日付を示しうる)",
                        "Daily cumulative steps (not for publication: a day's step can date one person's event)"),
    "dict_kind_reference": ("参照表(読み込んだまま)", "Reference tables (as loaded)"),
    "dict_kind_run": ("実行記録・品質", "Run metadata and quality"),
    "dict_rows": ("{n} 行", "{n} rows"),
    "dict_column": ("列", "Column"),
    "dict_type": ("型", "Type"),
    "dict_meaning_ja": ("意味", "Meaning (JA)"),
    "dict_meaning_en": ("意味(英語)", "Meaning"),
    "dict_source": ("元の列(契約)", "From (contract)"),
    "dict_values": ("とりうる値", "Allowed values"),
    "dict_missing": ("(ウェアハウスにない)", "(not in the warehouse)"),
    "dict_export_only": ("VARCHAR(ダウンロード・プレビューのみ)", "VARCHAR (downloads and preview only)"),
    "dict_code": ("コード", "Code"),
    "dict_kind": ("種類", "Kind"),
    "dict_rate": ("率", "rate"),
    "dict_count": ("件数", "count"),
    "dict_by_bureau": ("局別", "By bureau"),
    "dict_name_ja": ("名称", "Name (JA)"),
    "dict_name_en": ("名称(英語)", "Name (EN)"),
    "dict_def_ja": ("定義", "Definition (JA)"),
    "dict_def_en": ("定義(英語)", "Definition (EN)"),
    "dict_no_targets": ("plan_targets は空です。", "plan_targets is empty."),
    # quality page
    "qa_intro": (
        "最新のパイプライン実行で読み込んだファイル、実施したデータ検査の結果、公表値との照合です。",
        "What the latest pipeline run read, every data check it made, and the reconciliation "
        "with published figures."),
    "qa_latest": ("最新の実行", "Latest run"),
    "qa_started": ("開始", "Started"),
    "qa_finished": ("終了", "Finished"),
    "qa_origin": ("データの出所", "Data origin"),
    "qa_origin_sample": ("サンプル(合成データ)", "sample (synthetic)"),
    "qa_origin_provided": ("提供データ", "provided"),
    "qa_raw_dir": ("入力フォルダ", "Input folder"),
    "qa_files": ("入力ファイル", "Input files"),
    "qa_checks": ("データ検査(Great Expectations)", "Data checks (Great Expectations)"),
    "qa_summary": ("検査 {n} 件: 合格 {ok} 件、不合格 {bad} 件、警告 {warn} 件",
                   "{n} checks: {ok} passed, {bad} failed, {warn} warnings"),
    "qa_suite": ("{suite} — ✔ {ok} / ✘ {bad}", "{suite} — ✔ {ok} / ✘ {bad}"),
    "qa_pass": ("✔ 合格", "✔ pass"),
    "qa_fail": ("✘ 不合格", "✘ fail"),
    "qa_warn": ("⚠ 警告", "⚠ warning"),
    "qa_result": ("結果", "Result"),
    "qa_no_checks": ("この実行の検査結果はありません。", "No check results for this run."),
    "qa_published": ("公表値との照合", "Published figures check"),
    "qa_published_none": ("published.csv がないため照合していません。",
                          "No published.csv: nothing to reconcile."),
    "qa_published_ok": ("公表値 {n} 件はすべてデータと一致しています。",
                        "All {n} published figures match the data."),
    "qa_published_bad": ("⚠ 公表値と一致しない数値が {n} 件あります。",
                         "⚠ {n} published figures differ from the data."),
    "qa_match": ("✔ 一致", "✔ matches"),
    "qa_mismatch": ("⚠ 不一致", "⚠ differs"),
    "qa_history": ("過去の実行", "Earlier runs"),
    "qa_no_history": ("過去の実行の記録はありません。", "No earlier runs are kept."),
    "qa_history_files": ("過去の実行の入力ファイル", "Input files of earlier runs"),
    # formats (dashboard/fmt.py)
    "fy_label": ("{era} ({fy})", "FY{fy}"),
    "fy_in_progress": ("・集計中", " (in progress)"),
    # the FY axis of a chart: short ticks (R6, FY24), the eras and the year in progress in
    # its title (issues 25, 29)
    "fy_axis": ("年度", "Fiscal year"),
    "fy_axis_eras": ("年度（{eras}）", "Fiscal year ({eras})"),
    "fy_axis_in_progress": ("{title}・{tick}は集計中", "{title} ({tick} in progress)"),
    "change_points": ("{pts}ポイント", "{pts} pts"),
    "timestamp_jst": ("{time} JST", "{time} JST"),
    "date": ("{y}年{m}月{d}日", "{y:04d}-{m:02d}-{d:02d}"),
    # the about sheet of an Excel download (release/exports.py)
    "about_dataset": ("データセット", "Dataset"),
    "about_title": ("名称", "Name"),
    "about_definition": ("定義", "Definition"),
    "about_filters": ("適用した絞り込み", "Filters applied"),
    "about_none": ("なし(全件)", "none (all rows)"),
    "about_as_of": ("データ基準日", "As-of date"),
    "about_run_id": ("パイプライン実行ID", "Pipeline run ID"),
    "about_origin": ("データの出所", "Data origin"),
    "about_generated": ("ファイル作成日時", "File generated at"),
    "about_rows": ("行数", "Rows"),
    "about_suppression": ("秘匿処理(公表用)", "Disclosure control (for publication)"),
    "about_supp_on": (
        "適用(公表用データと同じ): 人数1〜{m}({t}未満)と、分子と分母の差が1〜{m}の"
        "セルを[c]に置換。指標と集計表・省全体と局・公表値のあいだの足し算から逆算"
        "できないよう二次秘匿あり(線形計画法で確認)。[c]から計算される率・達成状況"
        "も[c]。秘匿したセル {n} 件(うち省全体 {d} 件)",
        "applied (the same as the publication pack): counts of 1–{m} people (below "
        "{t}) and numerator/denominator differences of 1–{m} replaced by [c]; secondary "
        "suppression so that no sum between metrics and tables, ministry and bureaus, or the "
        "published figures gives a cell back (checked by linear programming); rates and "
        "statuses made from a [c] are [c]. {n} cells suppressed ({d} of them ministry-wide)"),
    "about_supp_off": (
        "なし(内部用。府省外に出す表は「公表用」で作成すること)",
        "not applied (internal use; use 'for publication' for tables leaving the "
        "ministry)"),
    "about_formula": ("数式対策", "Formula safety"),
    "about_formula_text": (
        "=、+、-、@、タブ、改行(全角・小書き・ダッシュ類を含む)で始まる文字列は"
        "文字列として記録(数式として実行されない)",
        "text starting with =, +, -, @, tab, CR or LF (full-width, small and dash forms "
        "included) is stored as text and never runs as a formula"),
    "about_sheets": ("データシート", "Data sheets"),
    "about_columns": ("列", "Columns"),
    "about_column": ("列名", "Column"),
    "about_type": ("型", "Type"),
    "about_meaning": ("意味", "Meaning"),
    "about_origin_sample": ("サンプル(合成データ)", "sample (synthetic data)"),
    "about_origin_provided": ("提供データ", "provided data"),
    # sign-in, roles, audit, serving (dashboard/access.py, signin.py, audit.py)
    "page_audit": ("監査ログ", "Audit log"),
    "auth_local_mode": ("ローカルモード(サインインなし)。このPCからのみ利用できます。",
                        "Local mode, no sign-in. Only this computer can open the dashboard."),
    "auth_public": ("公開版: 公表用に保護した集計値のみを表示します。",
                    "Public edition: aggregated figures in publication form only."),
    "auth_signed_in": ("サインイン中: {user}(権限: {role})", "Signed in: {user} (role: {role})"),
    "auth_sign_out": ("サインアウト", "Sign out"),
    "auth_sign_in": ("サインイン", "Sign in"),
    "auth_sign_in_intro": ("このダッシュボードは職員の人事データを扱います。組織のアカウントでサインインしてください。",
                           "This dashboard holds staff personnel data. Sign in with your organisation account."),
    "auth_denied_title": ("アクセス権がありません", "No access"),
    "auth_denied": ("{user} には、このダッシュボードを利用する権限が登録されていません。",
                    "{user} holds no role for this dashboard."),
    "auth_contact": ("利用を希望する場合の連絡先: {contact}", "To ask for access, contact: {contact}"),
    "auth_no_contact": ("利用を希望する場合は、システム管理者に連絡してください。",
                        "To ask for access, contact the system administrator."),
    "auth_misconfigured": ("設定に誤りがあるため、データを表示できません。", "The dashboard is not configured correctly, so it shows no data."),
    "auth_misconfigured_why": ("理由: {reason}", "Reason: {reason}"),
    "auth_local_exposed": ("サインイン(.streamlit/secrets.toml の [auth])が設定されていないため、このサーバーはローカルモードです。ローカルモードでは 127.0.0.1 以外で待ち受けている間はデータを表示しません。server.address を 127.0.0.1 にするか、サインインを設定してください。",
                           "Sign-in ([auth] in .streamlit/secrets.toml) is not configured, so this server runs in local mode, which shows no data while the server listens on anything but 127.0.0.1. Set server.address to 127.0.0.1, or configure sign-in."),
    "role_viewer": ("閲覧者", "viewer"),
    "role_planner": ("企画担当", "planner"),
    "role_analyst": ("分析担当", "analyst"),
    "role_admin": ("管理者", "admin"),
    "role_public": ("公開", "public"),
    "settings_error": ("設定エラー: {error}", "Setting error: {error}"),
    "error_friendly": ("表示中に問題が発生しました。時間をおいて再度お試しください。続く場合は管理者に連絡してください(時刻: {ts})。",
                       "Something went wrong while showing this page. Please try again; if it persists, tell the administrator (time: {ts})."),
    "data_viewer_publication": ("あなたの権限では、集計データを公表用(秘匿処理済み)の形でのみダウンロードできます。",
                                "Your role downloads aggregated data in publication form (protected) only."),
    "data_denied_dataset": ("このデータセットを利用する権限がありません: {name}", "You hold no role for this dataset: {name}"),
    "data_budget_over": ("{fmt} の上限({rows}行)を超えています({n}行)。局・年度・絞り込みで行数を減らすか、Parquet でダウンロードしてください。",
                         "More rows ({n}) than {fmt} allows ({rows}). Narrow the bureaus, fiscal years or filters, or download Parquet."),
    "data_budget_parquet_over": ("Parquet の上限({rows}行)も超えています。局・年度・絞り込みで行数を減らしてください。",
                                 "Parquet's limit ({rows} rows) is exceeded too. Narrow the bureaus, fiscal years or filters."),
    "data_budget_note": ("ダウンロードの上限: CSV {csv}行、XLSX {xlsx}行、Parquet {parquet}行、いずれも {mb} MB まで。",
                         "Download limits: CSV {csv} rows, XLSX {xlsx} rows, Parquet {parquet} rows; each at most {mb} MB."),
    "audit_intro": ("サインイン、アクセス拒否、ページ表示、ダウンロード、ダイジェストのメール送信の記録(追記のみ)。", "Sign-ins, denials, page views, downloads and digest mails sent (append-only)."),
    "audit_user": ("利用者", "User"),
    "audit_event": ("イベント", "Event"),
    "audit_dates": ("期間", "Dates"),
    "audit_rows": ("{n}件", "{n} events"),
    "audit_empty": ("記録はまだありません。", "Nothing recorded yet."),
    "audit_bad": ("読めない行が {n} 行ありました(表示していません)。", "{n} line(s) could not be read (not shown)."),
    "audit_csv": ("CSVでダウンロード", "Download CSV"),
    # executive briefing pack (dashboard/brief.py) and chart text alternatives
    "brief_pptx": ("幹部説明資料 (PowerPoint)", "Executive briefing (PowerPoint)"),
    "brief_pdf": ("幹部説明資料 (PDF)", "Executive briefing (PDF)"),
    "brief_help": (
        "表示中の言語・局・年度の範囲で、編集できるグラフ入りの説明資料を作成します(押した時点で作成)。",
        "A briefing with editable charts for the language, bureaus and years shown (made when "
        "you click)."),
    "brief_role": ("説明資料は保護前の集計値を含むため、企画担当以上の権限で作成できます。",
                   "The briefing holds unprotected aggregated figures: planner role and up."),
    "brief_no_font": ("PDFの作成に必要な日本語フォントがありません: {error}",
                      "The PDF needs a Japanese font that is not installed: {error}"),
    "brief_title": ("幹部説明資料", "Executive briefing"),
    "brief_plan_en": ("MIC Digital Talent Recruitment and Development Plan",
                      "MIC Digital Talent Recruitment and Development Plan"),
    "brief_made": ("作成日時", "Made"),
    "brief_full_names": ("名称の全文(表紙で省略したもの)", "Names in full (shortened on the title page)"),
    "brief_summary": ("指標の概況({fy})", "Metrics at a glance ({fy})"),
    "brief_summary_note": (
        "値は直近の集計済み年度のもの。目標・状況は metrics.md の判定による(kpi 表)。前年度比は前年度の値との差。",
        "Values are for the latest completed FY. Target and status follow metrics.md (the kpi "
        "table). The change is on the previous FY's value."),
    "brief_s2": ("§2 デジタル人材の採用", "§2 Hiring of digital talent"),
    "brief_s3": ("§3 研修と資格取得", "§3 Training and certification"),
    "brief_s4": ("§4 キャリアパスと出向", "§4 Careers and secondments"),
    "brief_s5": ("§5 情報セキュリティ・リテラシー", "§5 Security literacy"),
    "target_line": ("目標", "Target"),
    "brief_target_lower": ("目標(下限)", "Target (lower)"),
    "brief_target_upper": ("目標(上限)", "Target (upper)"),
    "brief_rates": ("研修・教育の受講率", "Training completion rates"),
    "brief_drill_rates": ("訓練メールの開封率・報告率", "Drill mails opened and reported"),
    "brief_definition": ("定義", "Definition"),
    "chart_numbers": ("グラフの数値(表)", "The chart's numbers (table)"),
    "chart_category": ("項目", "Item"),
    "brief_clause": ("計画の記載", "Plan clause"),
    # pace of the year in progress (kpi_pace)
    "status_on_track": ("達成見込み", "on track"),
    "status_at_risk": ("要注意", "at risk"),
    "pace_header": ("今年度のペース", "Pace of the year in progress"),
    "pace_metric": ("指標", "Metric"),
    "pace_so_far": ("今年度これまで", "So far"),
    "pace_growth_line": ("前年度 {value}(上回れば達成)", "Last FY {value} (beat it to meet)"),
    "pace_projection_path": ("年度末までの見込み", "Path to the projection"),
    "pace_projected": ("年度末見込み", "Projected year-end"),
    "pace_caption": ("{fy}の累計({date}まで、年度の{day}日目)を、前年度まで最大3年度の累計と年度の日付でそろえて比べています。年度末見込みは、前年度までの同時期以降の実績の平均を今年度の実績に加えたもので、90%区間は{method}です。見込みであって約束ではありません。",
                     "{fy} so far (to {date}, day {day} of the year) against up to three earlier years, aligned by fiscal day. The year-end projection adds the earlier years' average progress after the same day to this year's; its 90% interval is {method}. A projection, not a promise."),
    "pace_method_count": ("前年度までの実績のばらつきも含めた負の二項分布による区間",
                          "a negative binomial interval that includes how much the earlier years differed"),
    "pace_method_rate": ("Wilson法による区間と前年度までのばらつきの広い方",
                         "the wider of the Wilson score interval and the earlier years' spread"),
    "pace_no_reference": ("比べられる前年度がないため、年度末の見込みは出せません。",
                          "No earlier year to compare with: no projection."),
    "pace_not_current": ("今年度のペースは、表示期間に今年度({fy})を含めると表示されます。",
                         "The pace shows when the FY span includes the year in progress ({fy})."),
    "pace_multi_bureau": ("見込みは局ごとに計算しています(複数局の合計の見込みはありません)。グラフは選択した局の合計です。",
                          "Projections are made per bureau (there is none for a sum of bureaus); the chart shows the selected bureaus together."),
    "pace_col_bureau": ("局", "Bureau"),
    "pace_col_same_day": ("同じ日まで", "By the same day"),
    "pace_col_full": ("年度末", "Year-end"),
    "pace_col_after": ("同時期以降", "After that day"),
    "pace_col_projected": ("年度末見込み(90%区間)", "Projected year-end (90% interval)"),
    "pace_col_p_meet": ("目標達成の見込み", "Chance of meeting the target"),
    "pace_col_needed": ("あと必要", "Still needed"),
    "pace_col_status": ("見込み", "Outlook"),
    "pace_interval": ("{proj}({low}〜{high})", "{proj} ({low}–{high})"),
    "pace_card": ("年度末見込み {text}", "Projected {text}"),
    "pace_track": ("過去{n}年の同じ日の見込み: 90%区間に収まった{n}回中{inside}回",
                   "The same day's projection in the past {n} years: the year ended inside its 90% interval {inside} times out of {n}"),
    "pace_track_band": ("、「達成見込み{band}」とした年の達成{n}回中{met}回",
                        "; of the years given a chance of {band}, {met} of {n} met the target"),
    "pace_track_band_none": ("、「達成見込み{band}」とした年はまだありません",
                             "; no earlier year was given a chance of {band}"),
    "pace_track_few": ("過去の同じ日の見込みは{n}年分しかなく、どこまで当たるかを言うには足りません。",
                       "Only {n} earlier year(s) to check the same day's projection against: too few to say how far to trust it."),
    "pace_track_help": ("同じ方法で、過去の各年度の同じ日に出したはずの見込みと、その年度の実績を比べたものです(省全体、件数の指標)。",
                        "The projection the same method would have made on this day of each earlier year, against how that year ended (ministry-wide, count metrics)."),
    "track_projected": ("その日の見込み(90%区間)", "Projected on that day (90% interval)"),
    "track_inside": ("年度末の実績(区間内)", "Year-end (inside)"),
    "track_outside": ("年度末の実績(区間外)", "Year-end (outside)"),
    "track_header": ("過去の年度の同じ日の見込みと実績", "The same day's projection in earlier years, and the outcome"),
    "track_caption": ("各年度の同じ日({day}日目)に同じ方法で出したはずの年度末見込みと90%区間(◇と縦線)、その年度の実績(●区間内、×区間外)。省全体。",
                      "For each earlier year: the year-end projection and 90% interval the same method would have made on the same day (day {day}; ◇ and bar), and how the year ended (● inside, × outside). Ministry-wide."),
    "track_col_outcome": ("実績", "Outcome"),
    "track_col_inside": ("区間内", "Inside"),
    "track_col_met": ("目標達成", "Target met"),
    "pace_band_low": ("30%未満", "below 30%"),
    "pace_band_mid": ("30〜70%", "30–70%"),
    "pace_band_high": ("70%以上", "70% or more"),
    "key_messages": ("今年度の見込み", "This year's outlook"),
    "key_messages_note": ("見込みは前年度までの同時期以降の実績から機械的に計算したもので、約束ではありません。要注意の指標から順に最大3件を表示しています。",
                          "Projections are computed by rule from the earlier years' progress after the same day: a projection, not a promise. Up to three, the most at risk first."),
    "msg_count": ("{metric}:今年度これまで{ytd}。前年までの同時期以降の実績から年度末見込み{proj}(90%区間{low}〜{high})、目標({target})達成の見込み{p}",
                  "{metric}: {ytd} so far this year. From earlier years' progress after the same day, the year-end projection is {proj} (90% interval {low}–{high}); chance of meeting the target ({target}): {p}"),
    "msg_rate": ("{metric}:今年度これまで{ytd}。前年までの同時期以降の実績から年度末見込み{proj}(90%区間{low}〜{high})、目標({target})に{verdict}",
                 "{metric}: {ytd} so far this year. From earlier years' progress after the same day, the year-end projection is {proj} (90% interval {low}–{high}); {verdict} the target ({target})"),
    "msg_on_track": ("届く見込み", "on track to meet"),
    "msg_at_risk": ("届かない見込み", "at risk of missing"),
    "msg_none": ("今年度の見込みを出せる指標はまだありません。",
                 "No metric has a projection for this year yet."),
    # the executive digest e-mail (dashboard/digest.py, issue 25): publication form only
    "digest_title": ("デジタル人材確保・育成計画 ダイジェスト", "Digital Talent Plan digest"),
    "digest_subject": ("【デジタル人材計画】{what}({as_of}時点)", "[Digital Talent Plan] {what} (data as of {as_of})"),
    "digest_subject_flips": ("達成状況の変化 {n}件", "{n} target status change(s)"),
    "digest_subject_outlooks": ("見込みの変化 {n}件", "{n} outlook change(s)"),
    "digest_subject_none": ("変化なし", "no change"),
    "digest_flips": ("目標の達成状況", "target status"),
    "digest_outlooks": ("今年度の見込み", "this year's outlook"),
    "digest_detail_sep": ("、", "; "),
    "digest_link": ("ダッシュボードで見る", "Open the dashboard"),
    "digest_changes": ("前回のダイジェスト以降の変化", "Changes since your last digest"),
    "digest_since": ("(バージョン {old} → {new})", " (version {old} → {new})"),
    "digest_change_line": ("{metric}({where}):{before} → {after}({detail})",
                           "{metric} ({where}): {before} → {after} ({detail})"),
    "digest_value": ("値", "value"),
    "digest_target": ("目標", "target"),
    "digest_projection": ("年度末見込み", "projected"),
    "digest_sep": ("・", ", "),
    "digest_list_sep": ("、", ", "),
    "digest_no_change": ("前回のダイジェスト以降、公表形式で示せる達成状況・見込みの変化はありません。",
                         "No target status or outlook that the publication form shows has changed since your last digest."),
    "digest_withheld": ("公表形式では秘匿({c})のため、このメールには載せていない見込み:{metrics}。",
                        "Withheld in publication form ({c}), so not in this mail: the outlook of {metrics}."),
    "digest_so_far": ("{metric}:今年度これまで{ytd}(目標 {target}){needed}。見込みは公表形式では秘匿({c})です。",
                      "{metric}: {ytd} so far this year (target {target}){needed}; the outlook is withheld in publication form ({c})."),
    "digest_needed": ("、目標まであと{n}", ", {n} more to reach it"),
    "digest_see_app": ("ダッシュボードでご確認ください(上のリンク)。", " See the dashboard (link above)."),
    "digest_publication": ("このメールの数値はすべて公表形式です(秘匿処理済み。しきい値 {t}:1〜{m}人のセルと、そこから分かるセルは {c})。",
                           "Every figure in this mail is in publication form (disclosure control applied: threshold {t}; cells of 1 to {m} people, and those they would reveal, are {c})."),
    "digest_pdf": ("公表形式の幹部説明資料(PDF)を添付しています。", "The briefing pack in publication form is attached (PDF)."),
    "digest_why": ("このメールは配信登録({frequency})により自動送信しています。配信の変更はダッシュボードの担当者へ。",
                   "You receive this automatic mail because you are subscribed ({frequency}). To change it, contact the dashboard's administrators."),
    "digest_freq_on_change": ("更新のたび", "on every change"),
    "digest_freq_monthly": ("月1回", "monthly"),
    "unit_digital_hires": ("名", " "),  # English: no unit
    "unit_training_participants": ("名", " "),  # English: no unit
    "unit_ipa_passes": ("件", " "),  # English: no unit
    "unit_phishing_drills_held": ("回", " "),  # English: no unit
    "month_4": ("4月", "Apr"), "month_5": ("5月", "May"), "month_6": ("6月", "Jun"),
    "month_7": ("7月", "Jul"), "month_8": ("8月", "Aug"), "month_9": ("9月", "Sep"),
    "month_10": ("10月", "Oct"), "month_11": ("11月", "Nov"), "month_12": ("12月", "Dec"),
    "month_1": ("1月", "Jan"), "month_2": ("2月", "Feb"), "month_3": ("3月", "Mar"),
    # the roll-up edition (DTP_EDITION=rollup, issue 17)
    "app_title_rollup": ("デジタル人材確保・育成計画 政府全体ロールアップ",
                         "Digital Talent Plans: government-wide roll-up"),
    "section_rollup": ("府省の計画", "Ministries' plans"),
    "page_rollup_compare": ("組織別の比較", "Organisations side by side"),
    "page_rollup_government": ("政府全体", "Government-wide"),
    "page_rollup_pace": ("今年度のペース", "Pace of the year"),
    "page_rollup_data": ("データ", "Data"),
    # the roll-up month after month (issue 24)
    "page_rollup_months": ("月ごとの推移", "Month by month"),
    "page_rollup_submissions": ("提出状況", "Submissions"),
    "rollup_month": ("月", "Month"),
    "rollup_month_label": ("{y}年{mon}", "{mon} {y}"),
    "rollup_month_shown": ("{month}のパック", "Packs of {month}"),
    "rollup_not_sent": ("{month}に未提出: {orgs}", "Not sent for {month}: {orgs}"),
    "rollup_not_sent_cell": ("未提出", "not sent"),
    "rollup_months_intro": (
        "{fy}の値を、各月に届いたパックで並べています(政府全体はその月に提出した組織の合計)。未提出の月は前月の値で埋めず「未提出」と示します。",
        "{fy} as each month's packs showed it (government-wide: the total over the "
        "organisations that sent that month). A month not sent is shown as 'not sent', never "
        "filled from an earlier month."),
    "rollup_months_title": ("{metric}: 月ごとの{fy}", "{metric}: {fy} month by month"),
    "rollup_months_caption": ("{metric}の月ごとの推移(秘匿された値と未提出の月は描画せず、表に記載)。",
                              "{metric} by month (withheld values and months not sent are not "
                              "drawn; the table shows them)."),
    "rollup_submissions_intro": (
        "どの組織がどの月のパックを、いつ(受理日時)、どの基準日で、誰が送ったか。同じ月の再提出は前のものを置き換え、前のものも記録に残ります。",
        "Which organisation sent which month's pack, when it was accepted, its as-of date and "
        "who sent it. A second pack of the same month replaces the first; both are kept."),
    "rollup_sent_matrix": ("組織別・月別の提出", "Each organisation's months"),
    "rollup_sent_cell": ("基準日 {date}", "as of {date}"),
    "rollup_every_submission": ("受理したパック(新しい順)", "Every pack accepted (newest first)"),
    "rollup_accepted_at": ("受理日時", "Accepted"),
    "rollup_submitted_by": ("提出者", "Sent by"),
    "rollup_superseded": ("置き換え済み", "replaced"),
    "rollup_in_use": ("使用中", "in use"),
    "rollup_state": ("状態", "State"),
    "page_rollup_inbox": ("パックの提出", "Submit a pack"),
    "role_submitter": ("提出者", "submitter"),
    "inbox_no_store": ("提出の受付は設定されていません(DTP_ROLLUP_STORE)。",
                       "Submissions are not set up here (DTP_ROLLUP_STORE)."),
    "inbox_any_org": ("すべての組織(ローカルモード)", "any organisation (local mode)"),
    "inbox_intro": (
        "自組織の公表用パック(python -m pipelines publish --organisation CODE の出力フォルダ)をzipにしてアップロードします。検証し、前月との違いを確認してから受け付けます。提出できる組織: {orgs}",
        "Upload your organisation's publication pack (the folder written by python -m "
        "pipelines publish --organisation CODE) as one zip. It is validated and compared with "
        "your previous month before you accept it. You may submit for: {orgs}"),
    "inbox_upload_title": ("パックのアップロード", "Upload the pack"),
    "inbox_upload": ("パック(zip)", "Pack (zip)"),
    "inbox_upload_help": ("パックのフォルダをそのままzipにしたもの(1階層まで)。",
                          "The pack's folder zipped as it is (at most one folder deep)."),
    "inbox_rejected": ("{name} は受け付けられません(コマンドラインの `rollup accept` と同じ検査):",
                       "{name} cannot be accepted (the same checks as `rollup accept` on the "
                       "command line):"),
    "inbox_refused": ("{name} は {org} のパックです。あなたが提出できるのは {orgs} のパックだけです。受け付けません。",
                      "{name} is a pack of {org}. You may submit packs of {orgs} only: "
                      "refused."),
    "inbox_checked_title": ("検証結果", "Validation"),
    "inbox_valid": ("{name}: {org}、{month}分(基準日 {date})。検証を通過しました。",
                    "{name}: {org}, {month} (as of {date}). It passed validation."),
    "inbox_replaces": ("{month}分はすでに受理済み({at} UTC)です。受け付けると置き換えます(前のものも記録に残ります)。",
                       "A pack of {month} was already accepted ({at} UTC). Accepting this one "
                       "replaces it (the earlier one is kept on record)."),
    "inbox_changes_title": ("前月との違い", "Changes against the previous month"),
    "inbox_first_month": ("この組織の前月のパックはありません(最初の提出)。",
                          "No earlier month of this organisation (its first pack)."),
    "inbox_changes_against": ("{month}分のパックとの比較です。状況の変化を先頭に示します。",
                              "Compared with its pack of {month}; status changes first."),
    "inbox_changes_summary": (
        "状況の変化 {flip}件 · 新たに秘匿 {withheld}件 · 新たに公開 {shown}件 · 値の変化 {value}件",
        "{flip} status changes · {withheld} newly withheld · {shown} newly shown · {value} "
        "values changed"),
    "inbox_change": ("変化", "Change"),
    "inbox_kind_flip": ("状況の変化", "status changed"),
    "inbox_kind_withheld": ("新たに秘匿", "newly withheld"),
    "inbox_kind_shown": ("新たに公開", "newly shown"),
    "inbox_kind_value": ("値の変化", "value changed"),
    "inbox_kind_added": ("新しい行", "new row"),
    "inbox_kind_removed": ("なくなった行", "row gone"),
    "inbox_bureau": ("局", "Bureau"),
    "inbox_ministry": ("(組織全体)", "(whole organisation)"),
    "inbox_before": ("前月", "Before"),
    "inbox_after": ("今回", "Now"),
    "inbox_no_change": ("前月から変わったセルはありません。", "No cell changed since the previous month."),
    "inbox_accept": ("受け付ける", "Accept into the roll-up"),
    "inbox_accepted": ("{org}の{month}分を受け付けました。ロールアップを作り直しています(数秒後に反映)。",
                       "{org}'s pack of {month} was accepted. The roll-up is being rebuilt "
                       "(shown in a few seconds)."),
    "rollup_no_submissions": ("受理記録はありません(パックを直接ロールアップしたファイル)。",
                              "No acceptance records (a file rolled up from packs directly)."),
    "rollup_orgs": ("府省・組織", "Organisations"),
    "rollup_orgs_placeholder": ("全組織", "All organisations"),
    "rollup_all_orgs": ("全組織", "All organisations"),
    "rollup_n_orgs": ("{n}組織を選択中", "{n} organisation(s) selected"),
    "rollup_group": ("表示する組織", "Organisations shown"),
    "rollup_shown": ("{m}組織のうち{first}〜{last}番目の{n}組織を並べて表示しています。ほかの組織は"
                     "「表示する組織」で切り替えるか、サイドバーで組織を選んでください。",
                     "Showing {n} of {m} organisations side by side ({first}–{last}): switch "
                     "to others with “Organisations shown”, or choose organisations in the "
                     "sidebar."),
    "rollup_all": ("政府全体", "Government-wide"),
    "rollup_org": ("組織", "Organisation"),
    "rollup_value": ("値", "Value"),
    "rollup_ratio": ("分子 / 分母", "Numerator / denominator"),
    "rollup_flag": ("フラグ", "Flag"),
    "rollup_plan": ("計画", "Plan"),
    "rollup_bounds": ("公開部分から分かる範囲", "Bounds from the free parts"),
    "rollup_projected": ("年度末見込み(90%区間)", "Projected year-end (90% interval)"),
    "rollup_outlook": ("見通し", "Outlook"),
    "rollup_threshold": ("秘匿の閾値", "Suppression threshold"),
    "rollup_built": ("ロールアップ作成", "Roll-up built"),
    "rollup_header": ("{n}組織 · 秘匿の閾値 {t} · ロールアップ作成 {built}",
                      "{n} organisations · suppression threshold {t} · roll-up built {built}"),
    "rollup_flag_F": ("公開(秘匿なし)", "free (not withheld)"),
    "rollup_flag_C": ("送付元の府省が秘匿([c]: 少人数、またはそこから逆算できる値)",
                      "withheld by the sending organisation ([c]: a small count, or a figure "
                      "it could be worked out from)"),
    "rollup_flag_S": ("受け手(ロールアップ)が秘匿: 合計の一部が秘匿のため。公開部分から分かる範囲を併記",
                      "withheld by the receiver (this roll-up) because a part of the total is "
                      "withheld; the bounds the free parts imply are given"),
    "rollup_flag_P": ("(P) 公表方針: 組織自身が省全体の値を公表しているため秘匿しない値"
                      "(ALL の行では全組織がそう宣言しているとき)",
                      "(P) disclosure policy: a ministry-wide value the organisation publishes "
                      "itself, never withheld (on an ALL row: every organisation declares it)"),
    "rollup_flags": ("フラグ(SDMXの秘匿区分)", "Flags (SDMX confidentiality status)"),
    "rollup_at_least": ("{lo}以上", "at least {lo}"),
    "rollup_between": ("{lo}〜{hi}", "{lo}–{hi}"),
    "rollup_compare_intro": (
        "各府省が公表用パック(保護済み)だけを送り、ここで並べています。各組織の値はその組織自身の計画の目標で判定しています。",
        "Each organisation sends only its protected publication pack; they are shown side by "
        "side here. Each organisation's figures are judged against its own plan's target."),
    "rollup_matrix": ("{fy}: 指標別・組織別", "{fy}: every metric by organisation"),
    "rollup_matrix_caption": (
        "各セル: 値と状況(記号と文字)。[c] は秘匿(括弧内はフラグ)、「–」はその年度のデータなし。政府全体は全組織の合計で、目標はありません。",
        "Each cell: the value and its status (symbol and word). [c] is withheld (its flag in "
        "brackets), '–' means no data for that year. Government-wide is the total over every "
        "organisation and has no target."),
    "rollup_metric_title": ("{metric}: 組織別の推移", "{metric}: each organisation by year"),
    "rollup_chart_caption": (
        "{metric}の組織別の推移(秘匿された値は描画せず、表では [c])。",
        "{metric} by organisation and fiscal year (a withheld value is not drawn; the table "
        "shows [c])."),
    "rollup_chart_withheld": ("秘匿された値はグラフに描いていません。", "Withheld values are not drawn."),
    "rollup_own_target": ("目標・状況は各組織自身の計画(その年度に有効な計画)によるものです。",
                          "Targets and statuses are each organisation's own, from the plan in "
                          "force that year."),
    "rollup_government_intro": (
        "政府全体 = {n}組織の合計(件数は和、率は Σ分子 ÷ Σ分母)。すべての部分が公開されている場合だけ値を示します。",
        "Government-wide = the total over {n} organisations (counts: the sum; rates: Σ "
        "numerator ÷ Σ denominator), shown only where every part is free."),
    "rollup_total_all_orgs": ("政府全体の合計は組織の絞り込みにかかわらず全組織のものです。下の内訳は選択した組織だけを示します。",
                              "The government-wide total is always over every organisation; "
                              "the parts below show the selected organisations only."),
    "rollup_total_title": ("政府全体の合計", "Government-wide totals"),
    "rollup_total_metric": ("{metric}: 政府全体", "{metric}: government-wide"),
    "rollup_bounds_note_count": (
        "件数の S: 公開部分の和が下限です(秘匿部分は0以上、上限はありません)。",
        "Counts flagged S: the sum of the free parts is a lower bound (a withheld part is at "
        "least 0; there is no upper bound)."),
    "rollup_bounds_note_rate": (
        "率の S: 分母がすべて公開なら、秘匿された分子を0とした値と分母いっぱいとした値の間にあります。",
        "Rates flagged S: when every denominator is free, the rate lies between the values "
        "with each withheld numerator at 0 and at its denominator."),
    "rollup_parts": ("内訳: 組織別", "Its parts: each organisation"),
    "rollup_pace_intro": (
        "今年度の進み具合と年度末見込み(各組織のパックにある場合)。見込みは組織ごとのもので、政府全体では合算しません。",
        "This year's progress and year-end projection, where an organisation's pack has one. "
        "A projection belongs to one organisation and is never summed government-wide."),
    "rollup_pace_none": ("今年度のペースを含むパックはありません。",
                         "No pack holds the pace of the year in progress."),
    "rollup_pace_note": ("見通しは記号と文字で示します(↗ 達成見込み、⚠ 要注意)。[c] は送付元の秘匿です。",
                         "The outlook is shown as symbol and word (↗ on track, ⚠ at risk). "
                         "[c] is withheld by the sender."),
    "rollup_data_intro": (
        "ロールアップの表をダウンロードできます。すべて公表用(保護済み)の値で、秘匿されたセルは空欄、理由は flag 列(F/C/S)にあります。",
        "Download the roll-up's tables. Every figure is in publication form (protected); a "
        "withheld cell is empty and the flag column (F/C/S) says why."),
    "rollup_data_filtered": ("選択中の組織: {orgs}(政府全体の行は常に含みます)",
                             "Selected organisations: {orgs} (the government-wide rows are "
                             "always included)"),
    "rollup_data_note": ("行単位のデータはロールアップに存在しません。",
                         "No row-level data exists in the roll-up."),
    "rollup_ds_rollup_kpi": ("指標(組織別・政府全体)", "Metrics (by organisation and government-wide)"),
    "rollup_ds_rollup_kpi_def": (
        "各組織の公表用 kpi の行(局別を含む)と政府全体の行。flag: F 公開、C 送付元が秘匿、S 受け手が秘匿(value_low / value_high は公開部分から分かる範囲)。",
        "Each organisation's published kpi rows (bureaus included) and the government-wide rows. "
        "flag: F free, C withheld by the sender, S withheld by the receiver (value_low / "
        "value_high: the bounds the free parts imply)."),
    "rollup_ds_rollup_kpi_pace": ("今年度のペース(組織別)", "Pace of the year (by organisation)"),
    "rollup_ds_rollup_kpi_pace_def": (
        "各組織の kpi_pace の行(パックにある場合)。秘匿された行は空欄で flag C。",
        "Each organisation's kpi_pace rows, where its pack has them; withheld: empty, flag C."),
    "rollup_col_organisation": ("組織コード(ALL = 政府全体)", "organisation code (ALL = government-wide)"),
    "rollup_col_flag": ("SDMX 秘匿区分: F 公開、C 送付元が秘匿、S 受け手が秘匿",
                        "SDMX confidentiality: F free, C withheld by the sender, S withheld by "
                        "the receiver"),
    "rollup_col_value_low": ("S の行: 公開部分から分かる下限", "S rows: lower bound from the free parts"),
    "rollup_col_value_high": ("S の行: 公開部分から分かる上限", "S rows: upper bound from the free parts"),
    "rollup_download_role": ("ダウンロードの権限がありません。", "Your role does not include downloads."),
    "rollup_budget_over": ("{fmt} の上限({rows}行)を超えています({n}行)。組織を絞り込んでください。",
                           "More rows ({n}) than {fmt} allows ({rows}). Choose fewer organisations."),
    "rollup_brief_role": ("説明資料の作成権限がありません。", "Your role does not include the briefing pack."),
    "rollup_brief_help": (
        "表示中の組織・年度・指標で説明資料を作成します(公表用の値のみ)。",
        "Makes the briefing pack of this view (organisations, fiscal year, metric; "
        "publication-form figures only)."),
    "rollup_missing": ("ロールアップのファイルがありません(参照先: `{path}`)。",
                       "There is no roll-up file (looking for `{path}`)."),
    "rollup_unreadable": ("ロールアップのファイル `{path}` を読み込めませんでした。作り直してください。",
                          "The roll-up file `{path}` could not be read; please make it again."),
    "rollup_not_rollup_warehouse": (
        "DTP_EDITION=rollup ですが、`{path}` は府省のデータベースで、ロールアップではありません。",
        "DTP_EDITION=rollup, but `{path}` is a ministry warehouse, not a roll-up."),
    "rollup_not_rollup": ("DTP_EDITION=rollup ですが、`{path}` はロールアップのファイルではありません。",
                          "DTP_EDITION=rollup, but `{path}` is not a roll-up file."),
    "rollup_make_help": (
        "`python -m pipelines rollup --out FILE PACK_DIR...` で作成したファイルを DTP_WAREHOUSE に指定してください(府省のデータベースは DTP_EDITION=internal で表示します)。",
        "Set DTP_WAREHOUSE to a file made by `python -m pipelines rollup --out FILE "
        "PACK_DIR...` (a ministry warehouse is shown with DTP_EDITION=internal)."),
    "rollup_file_in_ministry_edition": (
        "`{path}` はロールアップのファイルです。DTP_EDITION=rollup で表示してください。",
        "`{path}` is a roll-up file: serve it with DTP_EDITION=rollup."),
    # data deliveries (issue 22): the changes' summary line (pipelines/delivery/changes.py)
    "dlv_sum_none": ("変更なし", "no change"),
    "dlv_sum_flips": ("達成状況の変化 {n}件", "{n} statuses change"),
    "dlv_sum_flip_one": ("達成状況の変化 1件", "1 status changes"),
    "dlv_sum_to_below": ("(うち{n}件が{word}に)", ", {n} of them to {word} (未達)"),
    "dlv_sum_to_below_one": ("({word}に)", ", to {word} (未達)"),
    "dlv_sum_values": ("値の変化 {n}件(達成状況の変化なし)", "{n} values change, no status changes"),
    "dlv_sum_no_kpi": ("指標の変化なし", "no kpi change"),
    "dlv_sum_value": ("{metric} {fy}年度 {before} → {after}", "{metric} FY{fy} {before} → {after}"),
    "dlv_sum_as_of": ("基準日 {before} → {after}", "as of {before} → {after}"),
    "dlv_sum_sep": ("。", "; "),
    # data deliveries: refusals of the flow (pipelines/delivery/flow.py), page and CLI alike
    "dlv_unknown": ("データ更新 {id} はありません。", "delivery {id} does not exist"),
    "dlv_refuse_state": ("データ更新 {id} は「{state}」のため、この操作はできません。",
                         "delivery {id} is {state}: this cannot be done now"),
    "dlv_refuse_own": ("自分が登録したデータ更新 {id} は承認できません(別の担当者が承認します)。",
                       "you proposed delivery {id}: another person must approve it"),
    "dlv_refuse_moved": (
        "データ更新 {id} の検証後に公開中のデータが変わりました。もう一度検証してください(validate again)。",
        "the live warehouse changed after delivery {id} was validated: validate again"),
    "dlv_refuse_candidate": ("データ更新 {id} の候補ファイルが見つからないか変更されています。もう一度検証してください。",
                             "delivery {id}'s candidate is missing or changed: validate again"),
    "dlv_refuse_reason": ("理由を入力してください。", "a reason is required"),
    "dlv_refuse_not_yours": ("データ更新 {id} は登録者または管理者だけが操作できます。",
                             "only the uploader or an admin may do this to delivery {id}"),
    # the データ更新 / Data deliveries page (dashboard/views/deliveries.py, dashboard/deliveries.py)
    "page_deliveries": ("データ更新", "Data deliveries"),
    "role_steward": ("データ管理者", "data steward"),
    "dlv_intro": (
        "契約で定めたCSVファイル(一部でも可、またはそれらを1つにまとめた .zip)を登録すると、別プロセスで検証と候補データベースの作成が行われます。結果と公開中のデータからの変化を確認し、別の担当者が承認すると公開されます。登録しなかったファイルは公開中のものを引き継ぎます。",
        "Upload any of the contract's CSV files (or one .zip of them): a separate process validates them and builds a candidate. See the result and what would change against the live data; once another person approves, it goes live. Files you do not upload are carried over from the live version."),
    "dlv_local_mode": ("ローカルモード: 自分で登録したデータ更新を自分で承認できます(four_eyes: false)。",
                       "Local mode: you may approve your own delivery (four_eyes: false)."),
    "dlv_upload": ("データを登録", "Upload a delivery"),
    "dlv_files": ("CSVファイルまたは .zip", "CSV files or one .zip"),
    "dlv_files_help": ("1ファイル {mb} MB まで。ファイル名は契約のとおり(例: hiring.csv)。",
                       "Up to {mb} MB a file; file names as in the contract (e.g. hiring.csv)."),
    "dlv_note": ("メモ(任意)", "Note (optional)"),
    "dlv_submit": ("登録して検証", "Upload and validate"),
    "dlv_store_error": ("データ更新の保存場所を使えません: {error}", "The delivery store cannot be used: {error}"),
    "dlv_no_files": ("ファイルが選ばれていません。", "No file was chosen."),
    "dlv_uploaded": ("データ更新 {id} を登録しました。検証を別プロセスで実行しています。",
                     "Delivery {id} taken: it is being validated in a separate process."),
    "dlv_upload_refused": ("登録できませんでした(何も保存していません):", "Not taken (nothing was stored):"),
    "dlv_denied": ("この操作の権限がありません。", "You may not do this."),
    "dlv_failed": ("実行できませんでした: {error}", "Could not be done: {error}"),
    "dlv_approved": ("データ更新 {id} を承認し、版 {n} として公開しました。",
                     "Delivery {id} approved: live as version {n}."),
    "dlv_rejected": ("データ更新 {id} を差し戻しました。", "Delivery {id} rejected."),
    "dlv_withdrawn": ("データ更新 {id} を取り下げました。", "Delivery {id} withdrawn."),
    "dlv_deleted": ("データ更新 {id} を削除しました。", "Delivery {id} deleted."),
    "dlv_rerun_started": ("データ更新 {id} の検証をやり直しています。", "Delivery {id} is being validated again."),
    "dlv_restored": ("版 {n} を復元しました(新しい版 {new})。", "Version {n} restored (as version {new})."),
    "dlv_list": ("データ更新の一覧", "Deliveries"),
    "dlv_none": ("データ更新はまだありません。", "No delivery yet."),
    "dlv_pick": ("表示するデータ更新", "Delivery shown"),
    "dlv_gone": ("このデータ更新はもうありません。", "This delivery is gone."),
    "dlv_detail": ("データ更新 {id}", "Delivery {id}"),
    "dlv_interrupted": ("検証が中断されました(サーバーの再起動など)。公開中のデータは変わっていません。やり直せます。",
                        "The validation was interrupted (e.g. a server restart). The live data did not change; run it again."),
    "dlv_reason_was": ("理由: {reason}", "Reason: {reason}"),
    "dlv_report": ("検証結果", "Validation report"),
    "dlv_report_csv": ("検証結果 CSV", "Report CSV"),
    "dlv_changes": ("公開中のデータからの変化", "What changes against the live data"),
    "dlv_flips": ("達成状況が変わるもの(未達になるものが先):", "Status changes (to 未達/below first):"),
    "dlv_all_kpi": ("変化する指標のすべて({n}件)", "Every changed kpi cell ({n})"),
    "dlv_pace": ("今年度のペースの見通し({n}件)", "Pace outlook of the year ({n})"),
    "dlv_file_changes": ("ファイルごとの行の変化・基準日・公表値", "Rows per file, as-of date, published figures"),
    "dlv_as_of_date": ("データ基準日: {before} → {after}", "As-of date: {before} → {after}"),
    "dlv_as_of_fy": ("基準年度: {before} → {after}", "As-of FY: {before} → {after}"),
    "dlv_approve": ("承認して公開", "Approve and go live"),
    "dlv_reason": ("理由", "Reason"),
    "dlv_reject": ("差し戻す", "Reject"),
    "dlv_withdraw": ("取り下げる", "Withdraw"),
    "dlv_rerun": ("検証をやり直す", "Run again"),
    "dlv_delete": ("削除", "Delete"),
    "dlv_versions": ("公開の版", "Live versions"),
    "dlv_no_versions": ("記録された版はまだありません。", "No version recorded yet."),
    "dlv_version_n": ("版", "Version"),
    "dlv_restore": ("この版を復元", "Restore this version"),
    "dlv_restore_admins": ("版の復元は管理者が行います(python -m pipelines versions restore でも可)。",
                           "Admins restore versions (also: python -m pipelines versions restore)."),
    "dlv_uploaded_file": ("登録", "uploaded"),
    "dlv_carried_file": ("引継ぎ", "carried over"),
    "dlv_col_id": ("ID", "ID"),
    "dlv_col_state": ("状態", "State"),
    "dlv_col_by": ("登録者", "Uploaded by"),
    "dlv_col_at": ("日時(UTC)", "Time (UTC)"),
    "dlv_col_files": ("登録ファイル", "Files uploaded"),
    "dlv_col_summary": ("変化の要約", "What changes"),
    "dlv_col_file": ("ファイル", "File"),
    "dlv_col_rows": ("行数", "Rows"),
    "dlv_col_source": ("由来", "Source"),
    "dlv_col_column": ("列", "Column"),
    "dlv_col_rule": ("規則", "Rule"),
    "dlv_col_report_rows": ("行(表計算ソフトの行番号)", "Rows (as a spreadsheet numbers them)"),
    "dlv_col_count": ("件数", "Count"),
    "dlv_col_severity": ("重大度", "Severity"),
    "dlv_col_message": ("内容", "Message"),
    "dlv_col_metric": ("指標", "Metric"),
    "dlv_col_fy": ("年度", "FY"),
    "dlv_col_bureau": ("局", "Bureau"),
    "dlv_col_before": ("変更前", "Before"),
    "dlv_col_after": ("変更後", "After"),
    "dlv_col_diff": ("差", "Difference"),
    "dlv_col_status_before": ("状況(前)", "Status before"),
    "dlv_col_status_after": ("状況(後)", "Status after"),
    "dlv_col_target_before": ("目標(前)", "Target before"),
    "dlv_col_target_after": ("目標(後)", "Target after"),
    "dlv_col_plan": ("適用計画", "Plan in force"),
    "dlv_col_outlook": ("見通し", "Outlook"),
    "dlv_col_projected": ("年度末の見込み", "Projected"),
    "dlv_col_p_meet": ("達成の見込み", "Chance to meet"),
    "dlv_col_rows_before": ("行数(前)", "Rows before"),
    "dlv_col_rows_after": ("行数(後)", "Rows after"),
    "dlv_col_added": ("追加", "Added"),
    "dlv_col_removed": ("削除", "Removed"),
    "dlv_col_changed": ("変更", "Changed"),
    "dlv_col_kind": ("種類(★公開中)", "Kind (★ live)"),
    "dlv_col_approver": ("承認・実行者", "Approved / done by"),
    "dlv_col_note": ("備考", "Note"),
    "dlv_kind_delivery": ("データ更新", "delivery"),
    "dlv_kind_cli": ("CLIでの作成", "CLI build"),
    "dlv_kind_restore": ("復元", "restore"),
    "dlv_state_validating": ("検証中", "validating"),
    "dlv_state_valid": ("承認待ち", "valid, awaiting approval"),
    "dlv_state_rejected": ("差し戻し", "rejected"),
    "dlv_state_approved": ("承認済み(公開)", "approved (live)"),
    "dlv_state_withdrawn": ("取り下げ", "withdrawn"),
    "dlv_state_superseded": ("他の更新が先に公開", "superseded"),
    "dlv_state_interrupted": ("中断", "interrupted"),
    "dlv_phase_queued": ("順番待ち", "queued"),
    "dlv_phase_intake": ("ファイルを準備中", "preparing the files"),
    "dlv_phase_read": ("CSVを読込中", "reading the CSV files"),
    "dlv_phase_validate": ("検証中", "validating"),
    "dlv_phase_warehouse": ("候補データベースを作成中", "building the candidate"),
    "dlv_phase_changes": ("変化を計算中", "computing the changes"),
    "dlv_phase_done": ("完了", "done"),
    "dlv_refuse_running": ("データ更新 {id} の検証は実行中です。", "delivery {id} is being validated already"),
}

# Labels of the contract's enum values (the schema holds the codes only).
ENUM_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "grade": {
        "staff": ("係員", "Staff"),
        "chief": ("係長", "Section chief"),
        "deputy_director": ("課長補佐", "Deputy director"),
        "director": ("課室長", "Director"),
        "executive": ("幹部", "Executive"),
    },
    "track": {
        "digital_candidate": ("デジタル人材候補", "Digital-talent candidates"),
        "technical": ("技術系", "Technical"),
        "administrative": ("事務系", "Administrative"),
    },
    "provider": {
        "digital_agency": ("デジタル庁", "Digital Agency"),
        "nisc": ("NISC", "NISC"),
        "mic": ("総務省", "MIC"),
        "other": ("その他", "Other"),
    },
    "placement": {
        "home": ("省内", "Home"),
        "digital_agency": ("デジタル庁", "Digital Agency"),
        "ppc": ("個人情報保護委員会", "PPC"),
        "nisc": ("NISC", "NISC"),
        "other_ministry": ("他府省", "Other ministries"),
        "private_sector": ("民間企業", "Private sector"),
    },
    "post_type": {
        "security": ("セキュリティ", "Security"),
        "systems": ("情報システム・業務改革", "Systems / BPR"),
        "crisis": ("事案対処・危機管理", "Incident response / crisis"),
    },
    "level": {lv: (f"{lv}レベル", f"Level {lv}") for lv in ("A", "B", "C", "D")},
    "kind": {  # plan_targets.kind (the draft revision's table)
        "range": ("範囲", "Range"),
        "min": ("以上", "Minimum"),
        "max": ("以下", "Maximum"),
        "growth": ("前年度より増加", "Growth"),
    },
}

STATUS_SYMBOLS = {
    "met": "✔",
    "below": "▼",
    "above": "▲",
    "in_progress": "…",
    "no_data": "–",
    "no_target": "·",
    "suppressed": "[c]",  # public edition: withheld by disclosure control
    # kpi_pace's pace_status (the year in progress)
    "on_track": "↗",
    "at_risk": "⚠",
}


def _lang(lang: str) -> int:
    return 1 if lang == "en" else 0


def t(key: str, lang: str, **fmt: object) -> str:
    text = STRINGS[key][_lang(lang)]
    return text.format(**fmt) if fmt else text


def enum_label(kind: str, code: str | None, lang: str) -> str:
    if code is None:
        return t("other_bureau", lang)
    pair = ENUM_LABELS.get(kind, {}).get(code)
    return pair[_lang(lang)] if pair else str(code)


def metric_name(code: str, lang: str) -> str:
    m = METRIC_BY_CODE[code]
    return m.en if lang == "en" else m.ja


def metric_caption(code: str, lang: str, section: str | None = None) -> str:
    """One line: the metric's definition (from the schema catalogue) and its plan section."""
    m = METRIC_BY_CODE[code]
    definition = m.definition_en if lang == "en" else m.definition_ja
    return t("caption", lang, definition=definition.rstrip("。."), section=section or m.section)


def status_word(status: str, lang: str) -> str:
    return t(f"status_{status}", lang)


def status_text(status: str, lang: str) -> str:
    """Status as symbol and word (never colour alone); a status without a target is its word
    alone (「目標なし」, not 「· 目標なし」: a dot that means nothing, issue 29)."""
    if status == "no_target":
        return status_word(status, lang)
    return f"{STATUS_SYMBOLS.get(status, '?')} {status_word(status, lang)}"
