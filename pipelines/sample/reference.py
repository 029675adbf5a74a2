"""The sample's reference data: MIC's bureaus, units, courses, IPA exams, the plan's
generations and their targets, and its published figures, and those as the contract's
reference tables."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl


class Bureau(NamedTuple):
    code: str
    name_ja: str
    name_en: str
    share: float  # of the staff


class Unit(NamedTuple):
    code: str
    bureau: str
    name_ja: str
    name_en: str
    security: bool  # career-path posts (§4(2))
    systems: bool
    crisis: bool
    weight: float  # within the bureau


class Course(NamedTuple):
    code: str
    name_ja: str
    name_en: str
    provider: str
    category: str
    level: str | None


class Exam(NamedTuple):
    code: str
    name_ja: str
    name_en: str
    itss_level: int

BUREAUS = tuple(Bureau(*row) for row in (
    ("MS", "大臣官房", "Minister's Secretariat", 0.12),
    ("AMB", "行政管理局", "Administrative Management Bureau", 0.05),
    ("AEB", "行政評価局", "Administrative Evaluation Bureau", 0.11),
    ("LAB", "自治行政局", "Local Administration Bureau", 0.06),
    ("LFB", "自治財政局", "Local Public Finance Bureau", 0.05),
    ("LTB", "自治税務局", "Local Tax Bureau", 0.03),
    ("GSB", "国際戦略局", "Global Strategy Bureau", 0.04),
    ("ICB", "情報流通行政局", "Information and Communications Bureau", 0.08),
    ("TBB", "総合通信基盤局", "Telecommunications Bureau", 0.22),
    ("STB", "統計局", "Statistics Bureau", 0.17),
    ("CSO", "サイバーセキュリティ統括官", "Director-General for Cybersecurity", 0.015),
    ("FDMA", "消防庁", "Fire and Disaster Management Agency", 0.055),
))
B_CODES = tuple(b.code for b in BUREAUS)
B_IDX = {c: i for i, c in enumerate(B_CODES)}
B_SHARE = np.array([b.share for b in BUREAUS]) / sum(b.share for b in BUREAUS)

UNITS = tuple(Unit(*row) for row in (
    ("MS-GA", "MS", "大臣官房総務課", "General Affairs Division, Minister's Secretariat",
     False, False, True, 0.25),
    ("MS-PER", "MS", "大臣官房秘書課", "Personnel Division, Minister's Secretariat",
     False, False, False, 0.20),
    ("MS-ACC", "MS", "大臣官房会計課", "Accounts Division, Minister's Secretariat",
     False, False, False, 0.22),
    ("MS-PLN", "MS", "大臣官房企画課", "Policy Planning Division, Minister's Secretariat",
     False, False, False, 0.15),
    ("MS-CYB", "MS", "大臣官房企画課サイバーセキュリティ・情報化推進室",
     "Cybersecurity and Informatization Promotion Office, Policy Planning Division",
     True, True, False, 0.08),
    ("MS-PR", "MS", "大臣官房広報室", "Public Relations Office, Minister's Secretariat",
     False, False, False, 0.10),
    ("AMB-PC", "AMB", "行政管理局企画調整課", "Planning and Coordination Division, AMB",
     False, False, False, 0.35),
    ("AMB-BPR", "AMB", "行政管理局管理官室（業務改革総括）",
     "Office of the Counsellor (Business Process Reform), AMB", False, True, False, 0.20),
    ("AMB-ORG", "AMB", "行政管理局管理官室（機構・定員審査）",
     "Office of the Counsellor (Organisation and Staffing Review), AMB",
     False, False, False, 0.45),
    ("AEB-GA", "AEB", "行政評価局総務課", "General Affairs Division, AEB",
     False, False, False, 0.20),
    ("AEB-EVA", "AEB", "行政評価局評価監視官室", "Office of Evaluation and Inspection, AEB",
     False, False, False, 0.30),
    ("AEB-REG", "AEB", "管区行政評価局", "Regional Administrative Evaluation Bureaus",
     False, False, False, 0.50),
    ("LAB-AD", "LAB", "自治行政局行政課", "Local Administration Division, LAB",
     False, False, False, 0.35),
    ("LAB-RES", "LAB", "自治行政局住民制度課", "Resident Registration System Division, LAB",
     False, False, False, 0.30),
    ("LAB-ELC", "LAB", "自治行政局選挙部選挙課", "Election Division, LAB",
     False, False, False, 0.35),
    ("LFB-FP", "LFB", "自治財政局財政課", "Finance Division, LFB", False, False, False, 0.40),
    ("LFB-ADJ", "LFB", "自治財政局調整課", "Coordination Division, LFB",
     False, False, False, 0.30),
    ("LFB-BND", "LFB", "自治財政局地方債課", "Local Bond Division, LFB",
     False, False, False, 0.30),
    ("LTB-PL", "LTB", "自治税務局企画課", "Planning Division, LTB", False, False, False, 0.35),
    ("LTB-PRF", "LTB", "自治税務局都道府県税課", "Prefectural Tax Division, LTB",
     False, False, False, 0.30),
    ("LTB-MUN", "LTB", "自治税務局市町村税課", "Municipal Tax Division, LTB",
     False, False, False, 0.35),
    ("GSB-GA", "GSB", "国際戦略局総務課", "General Affairs Division, GSB",
     False, False, False, 0.30),
    ("GSB-TEC", "GSB", "国際戦略局技術政策課", "Technology Policy Division, GSB",
     False, False, False, 0.40),
    ("GSB-INT", "GSB", "国際戦略局国際戦略課", "International Strategy Division, GSB",
     False, False, False, 0.30),
    ("ICB-GA", "ICB", "情報流通行政局総務課", "General Affairs Division, ICB",
     False, False, False, 0.25),
    ("ICB-POL", "ICB", "情報流通行政局情報通信政策課", "ICT Policy Division, ICB",
     False, False, False, 0.25),
    ("ICB-NET", "ICB", "情報流通行政局情報通信政策課総合通信管理室",
     "Integrated Communications Management Office, ICT Policy Division, ICB",
     True, True, False, 0.08),
    ("ICB-BRD", "ICB", "情報流通行政局放送政策課", "Broadcasting Policy Division, ICB",
     False, False, False, 0.42),
    ("TBB-GA", "TBB", "総合通信基盤局総務課", "General Affairs Division, TBB",
     False, False, False, 0.10),
    ("TBB-TEL", "TBB", "総合通信基盤局電気通信事業部事業政策課",
     "Telecommunications Business Policy Division, TBB", False, False, False, 0.15),
    ("TBB-RAD", "TBB", "総合通信基盤局電波部電波政策課", "Radio Policy Division, TBB",
     False, False, False, 0.13),
    ("TBB-FEE", "TBB", "総合通信基盤局電波部電波利用料企画室",
     "Radio Spectrum User Fee Planning Office, TBB", True, True, False, 0.04),
    ("TBB-REG", "TBB", "総合通信局", "Regional Bureaus of Telecommunications",
     False, False, False, 0.58),
    ("STB-GA", "STB", "統計局総務課", "General Affairs Division, Statistics Bureau",
     False, False, False, 0.20),
    ("STB-CEN", "STB", "統計局統計調査部国勢統計課", "Population Census Division, STB",
     False, False, False, 0.30),
    ("STB-ECO", "STB", "統計局統計調査部経済統計課", "Economic Statistics Division, STB",
     False, False, False, 0.30),
    ("STB-DAT", "STB", "統計局統計情報利用推進課",
     "Statistical Information Utilisation Division, STB", False, False, False, 0.20),
    ("CSO-OFF", "CSO", "サイバーセキュリティ統括官室",
     "Office of the Director-General for Cybersecurity", True, False, False, 1.00),
    ("FDMA-GA", "FDMA", "消防庁総務課", "General Affairs Division, FDMA",
     False, False, False, 0.30),
    ("FDMA-PRV", "FDMA", "消防庁予防課", "Fire Prevention Division, FDMA",
     False, False, False, 0.25),
    ("FDMA-DPD", "FDMA", "消防庁国民保護・防災部防災課", "Disaster Management Division, FDMA",
     False, False, True, 0.30),
    ("FDMA-OPS", "FDMA", "消防庁国民保護・防災部国民保護運用室",
     "Civil Protection Operations Office, FDMA", False, False, True, 0.15),
))
U_CODES = tuple(u.code for u in UNITS)
U_IDX = {c: i for i, c in enumerate(U_CODES)}
U_BUREAU = np.array([B_IDX[u.bureau] for u in UNITS], dtype=np.int16)
U_DIGITAL = np.array([u.security or u.systems for u in UNITS], dtype=bool)
DIGITAL_POSTS = np.flatnonzero(U_DIGITAL)

COURSES = tuple(Course(*row) for row in (
    ("UIT-A", "情報システム統一研修（Aレベル）", "Unified Information Systems Training, level A",
     "digital_agency", "unified_it", "A"),
    ("UIT-B", "情報システム統一研修（Bレベル）", "Unified Information Systems Training, level B",
     "digital_agency", "unified_it", "B"),
    ("UIT-C", "情報システム統一研修（Cレベル）", "Unified Information Systems Training, level C",
     "digital_agency", "unified_it", "C"),
    ("UIT-D", "情報システム統一研修（Dレベル）", "Unified Information Systems Training, level D",
     "digital_agency", "unified_it", "D"),
    ("ITSEM", "情報システム研修会", "Information Systems Seminar",
     "digital_agency", "it_seminar", None),
    ("NISC-P", "政府機関職員向けサイバーセキュリティ研修（実務者）",
     "Cybersecurity training for government officials (practitioners)",
     "nisc", "it_seminar", None),
    ("NISC-C", "CSIRT要員向け研修", "Training for CSIRT members", "nisc", "it_seminar", None),
    ("MIC-DX", "総務省デジタル人材育成研修", "MIC digital-skills training",
     "mic", "mic_digital", None),
    ("MIC-DAT", "データ利活用研修", "Data utilisation training", "mic", "mic_digital", None),
    ("MIC-BPR", "業務改革（BPR）研修", "Business process reform (BPR) training",
     "mic", "mic_digital", None),
    ("MIC-WS", "デジタルツール導入ワークショップ", "Digital tool workshop",
     "mic", "mic_digital", None),
    ("EXP-IP", "IPA試験対策講座（ITパスポート・情報セキュリティマネジメント）",
     "IPA exam preparation (IT Passport, Information Security Management)",
     "mic", "exam_prep", None),
    ("EXP-FE", "IPA試験対策講座（基本情報・応用情報技術者）",
     "IPA exam preparation (Fundamental / Applied IT Engineer)", "mic", "exam_prep", None),
    ("EXP-HI", "IPA試験対策講座（高度試験・情報処理安全確保支援士）",
     "IPA exam preparation (advanced exams, Registered Security Specialist)",
     "mic", "exam_prep", None),
    ("SEC-EL", "情報セキュリティ教育及び自己点検", "Information security education and self-check",
     "mic", "security_elearning", None),
    ("PHISHFU", "不審メール追加訓練", "Follow-up training after opening a drill mail",
     "mic", "phishing_followup", None),
    ("NEWHIRE", "新規採用職員研修（情報システム・サイバーセキュリティ）",
     "New-hire training (information systems and cybersecurity)", "mic", "new_hire", None),
    ("PROM-CH", "新任係長研修", "Training for newly promoted section chiefs",
     "mic", "promotion", None),
    ("PROM-DD", "新任課長補佐研修", "Training for newly promoted deputy directors",
     "mic", "promotion", None),
    ("EXEC", "サイバーセキュリティ・情報化審議官等研修",
     "Executive training on cybersecurity and informatization", "other", "executive", None),
))
C_IDX = {c.code: i for i, c in enumerate(COURSES)}

EXAMS = tuple(Exam(*row) for row in (
    ("IP", "ITパスポート試験", "IT Passport Examination", 1),
    ("SG", "情報セキュリティマネジメント試験", "Information Security Management Examination", 2),
    ("FE", "基本情報技術者試験", "Fundamental Information Technology Engineer Examination", 2),
    ("AP", "応用情報技術者試験", "Applied Information Technology Engineer Examination", 3),
    ("SC", "情報処理安全確保支援士試験", "Registered Information Security Specialist Examination",
     4),
    ("ST", "ITストラテジスト試験", "Information Technology Strategist Examination", 4),
    ("SA", "システムアーキテクト試験", "Systems Architect Examination", 4),
    ("PM", "プロジェクトマネージャ試験", "Project Manager Examination", 4),
    ("NW", "ネットワークスペシャリスト試験", "Network Specialist Examination", 4),
    ("DB", "データベーススペシャリスト試験", "Database Specialist Examination", 4),
    ("ES", "エンベデッドシステムスペシャリスト試験", "Embedded Systems Specialist Examination", 4),
    ("SM", "ITサービスマネージャ試験", "IT Service Manager Examination", 4),
    ("AU", "システム監査技術者試験", "Systems Auditor Examination", 4),
))
E_IDX = {e.code: i for i, e in enumerate(EXAMS)}

SRC = "総務省デジタル人材確保・育成計画 §2"
PUBLISHED_DIGITAL_HIRES = {2016: 1, 2017: 1, 2018: 0, 2019: 2, 2020: 1, 2021: 0, 2022: 8}
DIGITAL_HIRES = {**PUBLISHED_DIGITAL_HIRES, 2023: 3, 2024: 2, 2025: 2, 2026: 1}

# metric, kind, min, max, section, note_ja, note_en
PLAN_TARGETS = (
    ("digital_hires", "range", 1.0, 2.0, "§2", "毎年度…１～２名程度採用する",
     "Hire about one or two digital-talent candidates every year"),
    ("new_hire_a_level_rate", "min", 1.0, None, "§3",
     "Aレベルの研修…職員の採用時の一律受講を促していく",
     "Encourage every new hire to take the level-A training on joining"),
    ("training_participants", "growth", None, None, "§3", "受講者数の拡大を目指す",
     "Increase the number of participants"),
    ("ipa_certified_staff", "growth", None, None, "§3", "資格取得者の増加を目指す",
     "Increase the number of certified staff"),
    ("security_elearning_rate", "min", 1.0, None, "§5",
     "情報セキュリティ教育及び自己点検: 政務等を除く全職員",
     "Security education and self-check: all staff except political appointees"),
    ("phishing_drills_held", "min", 4.0, None, "§5", "不審メール提出訓練: 毎年４回",
     "Suspicious-mail drills: four times a year"),
    ("phishing_followup_rate", "min", 1.0, None, "§5",
     "添付ファイルを開封等した者に対しては追加訓練を実施",
     "Extra training for everyone who opened the attachment or link"),
    ("new_hire_security_rate", "min", 1.0, None, "§5", "新規採用職員への研修: 各年度新規採用職員",
     "Training for new hires: every new hire of the year"),
    ("promotion_training_rate", "min", 1.0, None, "§5", "課長補佐研修など: 昇任した職員",
     "Deputy-director training etc.: every promoted employee"),
    ("secondees", "min", 1.0, None, "§1 §2 §4",
     "デジタル庁やNISCといった他府省の情報部門へ出向",
     "Second staff to the IT units of other bodies such as the Digital Agency and NISC"),
)

# The plan's generations (raw-data.md, plans.csv), all synthetic: an earlier plan for the
# years before 令和3年度 (so those years keep their targets), the 令和3年度 plan (FY2021-FY2024,
# the targets above) and its revision, and a successor plan from FY2025 with raised targets.
class Plan(NamedTuple):
    plan_id: str
    title_ja: str
    title_en: str
    fy_from: int
    fy_to: int
    adopted_on: str
    revises: str | None
    source: str


_SOURCE = "合成データ(架空の計画) / synthetic sample"
PLANS = (
    Plan("h28", "デジタル人材確保・育成計画(平成28年度)", "Digital talent plan (FY2016)",
         2016, 2020, "2016-09-30", None, _SOURCE),
    Plan("r3", "デジタル人材確保・育成計画(令和3年度)", "Digital talent plan (FY2021)",
         2021, 2024, "2021-07-30", None, _SOURCE),
    Plan("r3-rev1", "デジタル人材確保・育成計画(令和5年度改定)",
         "Digital talent plan (FY2021), revised in FY2023", 2023, 2024, "2023-07-28", "r3",
         _SOURCE),
    Plan("r7", "デジタル人材確保・育成計画(令和7年度)", "Digital talent plan (FY2025)",
         2025, 2029, "2025-06-27", None, _SOURCE),
)
# each plan's targets: the plan's own list (a plan in force sets all of its FYs' targets)
PLAN_TARGETS_BY_PLAN = {
    "h28": PLAN_TARGETS,
    "r3": PLAN_TARGETS,
    # the revision raises the hires target (FY2023 had 3 hires: "above" the 1-2 it replaced)
    "r3-rev1": tuple(
        ("digital_hires", "range", 2.0, 4.0, "§2", "毎年度…２～４名程度採用する(令和5年度改定)",
         "Hire about two to four digital-talent candidates every year (revised FY2023)")
        if t[0] == "digital_hires" else t for t in PLAN_TARGETS),
    # the successor raises the hires and secondment targets and adds two drill targets
    "r7": tuple(
        ("digital_hires", "range", 2.0, 4.0, "§2", "毎年度…２～４名程度採用する",
         "Hire about two to four digital-talent candidates every year")
        if t[0] == "digital_hires" else
        ("secondees", "min", 50.0, None, "§1 §2 §4", "他府省の情報部門への出向者を50名以上とする",
         "At least 50 staff seconded to the IT units of other bodies")
        if t[0] == "secondees" else t for t in PLAN_TARGETS) + (
        ("phishing_report_rate", "min", 0.75, None, "§5", "不審メールの報告率75%以上",
         "Report at least 75 % of drill mails"),
        ("phishing_open_rate", "max", None, 0.10, "§5", "不審メールの開封率10%以下",
         "Open at most 10 % of drill mails"),
    ),
}


def reference_tables() -> dict[str, pl.DataFrame]:
    t: dict[str, pl.DataFrame] = {}
    t["bureaus"] = pl.DataFrame({"bureau_code": B_CODES, "name_ja": [b.name_ja for b in BUREAUS],
                                 "name_en": [b.name_en for b in BUREAUS]})
    t["units"] = pl.DataFrame(
        [(u.code, u.bureau, u.name_ja, u.name_en, u.security, u.systems, u.crisis) for u in UNITS],
        orient="row",
        schema={"unit_code": pl.String, "bureau_code": pl.String, "name_ja": pl.String,
                "name_en": pl.String, "security_post": pl.Boolean,
                "systems_post": pl.Boolean, "crisis_post": pl.Boolean})
    t["courses"] = pl.DataFrame(
        [tuple(c) for c in COURSES], orient="row",
        schema={"course_code": pl.String, "name_ja": pl.String, "name_en": pl.String,
                "provider": pl.String, "category": pl.String, "level": pl.String})
    t["exams"] = pl.DataFrame(
        [tuple(e) for e in EXAMS], orient="row",
        schema={"exam_code": pl.String, "name_ja": pl.String, "name_en": pl.String,
                "itss_level": pl.Int64})
    t["plans"] = pl.DataFrame(
        [tuple(p) for p in PLANS], orient="row",
        schema={"plan_id": pl.String, "title_ja": pl.String, "title_en": pl.String,
                "fy_from": pl.Int64, "fy_to": pl.Int64, "adopted_on": pl.String,
                "revises": pl.String, "source": pl.String})
    periods = {p.plan_id: (p.fy_from, p.fy_to) for p in PLANS}
    t["plan_targets"] = pl.DataFrame(
        [(plan, m, *periods[plan], k, lo, hi, s, ja, en)
         for plan, targets in PLAN_TARGETS_BY_PLAN.items()
         for m, k, lo, hi, s, ja, en in targets], orient="row",
        schema={"plan_id": pl.String, "metric": pl.String, "fy_from": pl.Int64,
                "fy_to": pl.Int64,
                "kind": pl.String, "target_min": pl.Float64, "target_max": pl.Float64,
                "plan_section": pl.String, "note_ja": pl.String, "note_en": pl.String})
    t["published"] = pl.DataFrame(
        [("digital_hires", fy, float(v), SRC) for fy, v in PUBLISHED_DIGITAL_HIRES.items()],
        orient="row",
        schema={"metric": pl.String, "fiscal_year": pl.Int64, "value": pl.Float64,
                "source": pl.String})
    # the disclosure policy: the plan publishes the ministry's digital hires every year
    # (raw-data.md, public_figures.csv; docs/DISCLOSURE.md)
    t["public_figures"] = pl.DataFrame(
        [("digital_hires", "ministry", None, SRC)], orient="row",
        schema={"metric": pl.String, "level": pl.String, "fy_from": pl.Int64,
                "source": pl.String})
    return t

