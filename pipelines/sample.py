"""Deterministic synthetic data set shaped like the Ministry of Internal Affairs and Communications.

``generate(out_dir, staff, seed)`` writes every file of the raw-data contract
(``shared/contract/raw-data.md``) plus ``SAMPLE_MANIFEST.json``; the same arguments give
byte-identical files. ``is_sample(raw_dir)`` tells whether a folder still holds exactly such a
generated set (any edited, missing or added contract file makes it "provided" data).

The story (FY2016 .. FY2026, FY2026 in progress as of ``AS_OF`` = 2026-11-20):

* about ``staff`` people on the roster each FY (slowly growing), 12 bureaus of uneven size,
  grades by years of service (係長 after ~8 years, 課長補佐 after ~15, some 室長・課長 and a few
  審議官級), annual retirement/leaving replaced by ~4 % hires; a handful of political
  appointees (政務) in 大臣官房, external specialists and private-sector exchange staff, and
  secondments (other ministries, Digital Agency from FY2021, PPC, NISC, private sector);
* ``hiring.csv`` holds the ministry's own recruitment (新規採用・中途採用) from FY2016 on;
  specialists, exchange staff and political appointees are appointments, not hires, so they
  are on the roster (hire_fiscal_year = first FY) but not in hiring.csv. Digital-talent
  candidates per FY reproduce the plan's published figures (§2: 1, 1, 0, 2, 1, 0, 8 for
  FY2016..FY2022);
* training, IPA exam sittings and phishing drills follow the plan's §3 and §5 programmes with
  rates that improve over the years. Each phishing drill mails a random part of the eligible
  staff (groups rotate between rounds), which keeps the sample small.

Everything is vectorised with NumPy (loops run per FY, bureau or grade, never per person) and
every count scales with ``staff`` (4000 is about MIC's size); the plan's published hire counts
do not scale. Identifiers are pseudonymous: ``E`` + a seeded random number, ``T``/``C`` +
a running number, drills ``PD<FY>-<round>``.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.fiscal import fy_end, fy_start
from pipelines.schema import BY_NAME, TABLES

DEFAULT_STAFF = 4000
DEFAULT_SEED = 20210401
MIN_STAFF = 100
MANIFEST = "SAMPLE_MANIFEST.json"
GENERATOR = "pipelines.sample"

FIRST_FY, LAST_FY = 2016, 2026
FYS = tuple(range(FIRST_FY, LAST_FY + 1))
AS_OF = date(2026, 11, 20)
REF_STAFF = 4000  # the head count the absolute numbers below were set for

CONTRACT_FILES = tuple(t.file for t in TABLES)

# --- reference data -------------------------------------------------------------------------
# code, name_ja, name_en, share of staff
BUREAUS = (
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
)
B_CODES = tuple(b[0] for b in BUREAUS)
B_IDX = {c: i for i, c in enumerate(B_CODES)}
B_SHARE = np.array([b[3] for b in BUREAUS]) / sum(b[3] for b in BUREAUS)

# unit_code, bureau, name_ja, name_en, security, systems, crisis, weight within the bureau
UNITS = (
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
)
U_CODES = tuple(u[0] for u in UNITS)
U_IDX = {c: i for i, c in enumerate(U_CODES)}
U_BUREAU = np.array([B_IDX[u[1]] for u in UNITS], dtype=np.int16)
U_DIGITAL = np.array([u[4] or u[5] for u in UNITS], dtype=bool)
DIGITAL_POSTS = np.flatnonzero(U_DIGITAL)

# course_code, name_ja, name_en, provider, category, level
COURSES = (
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
)
C_IDX = {c[0]: i for i, c in enumerate(COURSES)}

# exam_code, name_ja, name_en, ITSS level
EXAMS = (
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
)
E_IDX = {e[0]: i for i, e in enumerate(EXAMS)}

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
TARGET_FY_FROM, TARGET_FY_TO = 2016, 2030

# --- the story's rates, by FY 2016..2026 ----------------------------------------------------
def _by_fy(*values: float) -> dict[int, float]:
    assert len(values) == len(FYS)
    return dict(zip(FYS, values, strict=True))


HIRE_A_RATE = _by_fy(0.40, 0.47, 0.55, 0.63, 0.58, 0.74, 0.86, 0.94, 1.0, 1.0, 0.95)
NEW_HIRE_RATE = _by_fy(0.98, 1.0, 1.0, 1.0, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
ELEARN_BASE = _by_fy(0.962, 0.967, 0.971, 0.975, 0.970, 0.978, 0.982, 0.985, 0.988, 0.990, 0.99)
# (bureau, FY) pairs where every eligible person completed the e-learning
ELEARN_PERFECT = {("CSO", 2022), ("CSO", 2023), ("CSO", 2024), ("CSO", 2025),
                  ("FDMA", 2024), ("LTB", 2025), ("MS", 2025)}
DIGITAL_COURSE_RATE = _by_fy(0.040, 0.046, 0.053, 0.044, 0.040, 0.058, 0.070, 0.083, 0.097,
                             0.110, 0.080)
SIT_RATE = _by_fy(0.012, 0.014, 0.016, 0.019, 0.015, 0.022, 0.026, 0.030, 0.034, 0.038, 0.030)
PREP_RATE = _by_fy(0.15, 0.18, 0.22, 0.26, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.50)
PROMO_RATE = _by_fy(0.85, 0.87, 0.90, 0.92, 0.88, 0.93, 0.95, 0.97, 1.0, 1.0, 0.98)
FOLLOWUP_RATE = _by_fy(0.80, 0.83, 0.86, 0.88, 0.85, 0.90, 0.92, 0.94, 0.96, 0.97, 0.97)
OPEN_RATE = _by_fy(0.25, 0.22, 0.19, 0.17, 0.15, 0.13, 0.12, 0.10, 0.09, 0.08, 0.075)
REPORT_RATE = _by_fy(0.30, 0.36, 0.42, 0.48, 0.52, 0.58, 0.62, 0.66, 0.70, 0.75, 0.77)
SPECIALISTS = _by_fy(5, 8, 10, 13, 16, 20, 25, 29, 33, 37, 40)  # at 4000 staff
EXCHANGE = _by_fy(10, 12, 14, 15, 16, 18, 20, 23, 25, 28, 30)
POLITICAL = _by_fy(6, 7, 5, 8, 6, 7, 6, 8, 5, 7, 6)
# yearly probability that a home career employee starts a secondment to ...
SECOND_START = {
    "other_ministry": 0.019,
    "private_sector": 0.002,
    "ppc": 0.0016,
    "nisc": 0.002,
}
DA_START = _by_fy(0, 0, 0, 0, 0, 0.0015, 0.004, 0.005, 0.0055, 0.006, 0.0065)
DRILL_SAMPLE = 0.16  # share of the eligible staff one drill mail goes to
EXIT_HAZARD = 0.02  # yearly probability of leaving before retirement

GRADES = ("staff", "chief", "deputy_director", "director", "executive")
ETYPES = ("career", "specialist", "exchange", "political")
PLACEMENTS = ("home", "digital_agency", "ppc", "nisc", "other_ministry", "private_sector")
P_IDX = {p: i for i, p in enumerate(PLACEMENTS)}
TRACKS = ("digital_candidate", "technical", "administrative")
NO = 9999  # "never" for thresholds and FYs

# --- dates as days since 1970-01-01 ---------------------------------------------------------
_EPOCH = date(1970, 1, 1).toordinal()


def _day(d: date) -> int:
    return d.toordinal() - _EPOCH


def _fy_start(fy: int) -> int:
    return _day(fy_start(fy))


def _fy_end(fy: int) -> int:
    return _day(fy_end(fy))


AS_OF_DAY = _day(AS_OF)


def _fy_hi(fy: int) -> int:
    """Last day on which something of FY ``fy`` can have happened."""
    return min(_fy_end(fy), AS_OF_DAY)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> int:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7 + 7 * (n - 1))
    return _day(d)


def _spring_exam(fy: int) -> int:  # third Sunday of April
    return _nth_weekday(fy, 4, 6, 3)


def _autumn_exam(fy: int) -> int:  # second Sunday of October
    return _nth_weekday(fy, 10, 6, 2)


def _drill_days(fy: int) -> list[int]:
    """Drill dates (second Wednesday of the month): 2, 3, then 4 a year; 2 so far in FY2026."""
    months = {2016: [(2016, 9), (2017, 2)], 2017: [(2017, 7), (2017, 11), (2018, 2)],
              LAST_FY: [(2026, 6), (2026, 11)]}
    ym = months.get(fy, [(fy, 6), (fy, 9), (fy, 12), (fy + 1, 2)])
    return [_nth_weekday(y, m, 2, 2) for y, m in ym]


# --- random helpers -------------------------------------------------------------------------
def _rng(seed: int, name: str) -> np.random.Generator:
    """An independent stream per part, so changing one part leaves the others unchanged."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _pick(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices with weight > 0, drawn with probability ∝ weight (sorted).

    Efraimidis–Spirakis: the k smallest Exp(1)/w keys.
    """
    weights = np.asarray(weights, dtype=float)
    pos = weights > 0
    keys = rng.exponential(size=len(weights)) / np.where(pos, weights, 1.0)
    k = min(int(k), int(pos.sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    keys[~pos] = np.inf
    return np.sort(np.argpartition(keys, k - 1)[:k])


def _uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


def _weekday_back(days: np.ndarray) -> np.ndarray:
    """Move Saturdays and Sundays back to the Friday before (classroom courses)."""
    dow = (days + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    return days - np.where(dow == 5, 1, np.where(dow == 6, 2, 0))


def _choice(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _scaled(staff: int, value: float, minimum: int = 0) -> int:
    return max(minimum, int(round(value * staff / REF_STAFF)))


# --- population -------------------------------------------------------------------------------
class _People:
    """Column store of everyone who is on the roster in some FY (index = person)."""

    FIELDS = {
        "kind": np.int8,  # 0 career on staff before FY2016, 1 hire, 2 political, 3 specialist,
        #                   4 exchange
        "start": np.int16,  # first roster FY
        "leave": np.int16,  # first FY no longer on the roster
        "hire_fy": np.int16,  # roster hire_fiscal_year
        "entry": np.int32,  # first day on staff (days since epoch)
        "track": np.int8,  # hires: index in TRACKS, else -1
        "bureau0": np.int8,
        "unit0": np.int16,  # fixed first unit (-1: draw one)
        "bonus": np.int8,  # years of prior experience (mid-career hires)
        "c_thr": np.int16,
        "d_thr": np.int16,
        "dir_thr": np.int16,
        "exe_thr": np.int16,
        "fixed_grade": np.int8,  # non-career: grade index, else -1
        "dt0": np.bool_,  # digital talent from the start
        "dc_sec": np.int16,  # digital candidates: FY of the planned secondment
        "risk": np.float32,  # phishing susceptibility
    }

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {f: [] for f in self.FIELDS}
        self.n = 0

    def add(self, n: int, **cols: object) -> slice:
        for f, dt in self.FIELDS.items():
            v = cols[f]
            arr = np.broadcast_to(np.asarray(v), (n,)).astype(dt)
            self.parts[f].append(arr)
        s = slice(self.n, self.n + n)
        self.n += n
        return s

    def col(self, f: str) -> np.ndarray:
        return np.concatenate(self.parts[f]) if self.parts[f] else np.empty(0, self.FIELDS[f])

    def freeze(self) -> None:
        for f in self.FIELDS:
            setattr(self, f, self.col(f))


def _career_params(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    apt = rng.random(n)
    d_thr = np.where(apt > 0.75, NO, 15 + rng.integers(-1, 3, n))  # a quarter stay 係長・主査
    dir_thr = np.where(apt < 0.45, d_thr + 6 + rng.integers(0, 5, n), NO)
    exe_thr = np.where(apt < 0.05, np.maximum(dir_thr + 4, 29 + rng.integers(0, 5, n)), NO)
    return {
        "c_thr": 8 + rng.integers(-1, 2, n),
        "d_thr": d_thr,
        "dir_thr": dir_thr,
        "exe_thr": exe_thr,
        "fixed_grade": -1,
    }


def _risk(rng: np.random.Generator, n: int) -> np.ndarray:
    r = rng.lognormal(0.0, 0.6, n)
    return r / np.exp(0.6**2 / 2)


def _headcount(staff: int, fy: int) -> int:
    return int(round(staff * (0.975 + 0.005 * (fy - FIRST_FY))))


def _hire_days(rng: np.random.Generator, fy: int, n: int, midyear: np.ndarray) -> np.ndarray:
    """April 1 for the spring intake; mid-year hires on a month's first day or any day."""
    days = np.full(n, _fy_start(fy), dtype=np.int64)
    k = int(midyear.sum())
    if k:
        months = [(fy, m) for m in range(5, 13)] + [(fy + 1, m) for m in range(1, 4)]
        firsts = np.array([_day(date(y, m, 1)) for y, m in months])
        firsts = firsts[firsts <= AS_OF_DAY]
        d = firsts[rng.integers(0, len(firsts), k)]
        d = d + np.where(rng.random(k) < 0.7, 0, _weekday_back(d + rng.integers(2, 28, k)) - d)
        days[midyear] = np.minimum(d, _fy_hi(fy))
    return days


def _build_people(staff: int, seed: int) -> _People:
    rng = _rng(seed, "people")
    pp = _People()

    def survivors(leave: list[np.ndarray], fy: int) -> int:
        return int(sum((lv > fy).sum() for lv in leave))

    pol_leave: list[np.ndarray] = []
    spec_leave: list[np.ndarray] = []
    exch_leave: list[np.ndarray] = []
    career_leave: list[np.ndarray] = []

    for fy in FYS:
        # non-career appointments: keep the targets, tenure limited
        n_pol = max(1, _scaled(staff, POLITICAL[fy])) - survivors(pol_leave, fy)
        if n_pol > 0:
            lv = fy + rng.choice([1, 1, 1, 2, 2, 3], n_pol)
            pp.add(n_pol, kind=2, start=fy, leave=lv, hire_fy=fy, entry=_fy_start(fy),
                   track=-1, bureau0=B_IDX["MS"], unit0=-1, bonus=0, c_thr=NO, d_thr=NO,
                   dir_thr=NO, exe_thr=NO,
                   fixed_grade=np.where(rng.random(n_pol) < 0.7, 4, 3), dt0=False,
                   dc_sec=NO, risk=1.0)
            pol_leave.append(lv)
        n_spec = _scaled(staff, SPECIALISTS[fy]) - survivors(spec_leave, fy)
        if n_spec > 0:
            lv = fy + rng.choice([2, 3, 3, 4, 5], n_spec)
            b = _choice(rng, n_spec, [0.4, 0.15, 0.2, 0.15, 0.1])
            bureau = np.array([B_IDX[c] for c in ("MS", "AMB", "CSO", "ICB", "TBB")])[b]
            unit = np.array([U_IDX[c] for c in ("MS-CYB", "AMB-BPR", "CSO-OFF", "ICB-NET",
                                                "TBB-FEE")])[b]
            pp.add(n_spec, kind=3, start=fy, leave=lv, hire_fy=fy, entry=_fy_start(fy),
                   track=-1, bureau0=bureau, unit0=unit, bonus=0, c_thr=NO, d_thr=NO,
                   dir_thr=NO, exe_thr=NO,
                   fixed_grade=np.where(rng.random(n_spec) < 0.55, 2, 3), dt0=True,
                   dc_sec=NO, risk=_risk(rng, n_spec) * 0.5)
            spec_leave.append(lv)
        n_exch = _scaled(staff, EXCHANGE[fy]) - survivors(exch_leave, fy)
        if n_exch > 0:
            lv = fy + rng.choice([2, 2, 3], n_exch)
            b = _choice(rng, n_exch, [0.3, 0.3, 0.2, 0.1, 0.1])
            bureau = np.array([B_IDX[c] for c in ("ICB", "TBB", "GSB", "MS", "STB")])[b]
            pp.add(n_exch, kind=4, start=fy, leave=lv, hire_fy=fy, entry=_fy_start(fy),
                   track=-1, bureau0=bureau, unit0=-1, bonus=0, c_thr=NO, d_thr=NO,
                   dir_thr=NO, exe_thr=NO, fixed_grade=_choice(rng, n_exch, [0.25, 0.5, 0.25]),
                   dt0=False, dc_sec=NO, risk=_risk(rng, n_exch))
            exch_leave.append(lv)
        non_career = (survivors(pol_leave, fy) + survivors(spec_leave, fy)
                      + survivors(exch_leave, fy))

        n_dc = DIGITAL_HIRES[fy]
        if fy == FIRST_FY:
            n_hire = max(n_dc + 2, int(round(staff * 0.041)))
            # career staff already on the roster on 2016-04-01
            n_stock = _headcount(staff, fy) - n_hire - non_career
            retire = 36 + rng.integers(0, 5, n_stock)
            mid = rng.random(n_stock) < 0.12
            bonus = np.where(mid, rng.integers(2, 11, n_stock), 0)
            retire = retire - bonus
            # years of service now, from the steady state of a constant leaving hazard
            h = EXIT_HAZARD
            u = rng.random(n_stock)
            span = retire - 1
            s = np.floor(-np.log1p(-u * (1 - np.exp(-h * span))) / h).astype(np.int64) + 1
            s = np.clip(s, 1, span)
            hire_fy = fy - s
            leave = np.minimum(fy + rng.geometric(h, n_stock), hire_fy + retire)
            entry = np.array([_fy_start(y) for y in range(fy - 50, fy)])[hire_fy - (fy - 50)]
            pp.add(n_stock, kind=0, start=fy, leave=leave, hire_fy=hire_fy,
                   entry=entry, track=-1,
                   bureau0=_choice(rng, n_stock, B_SHARE), unit0=-1, bonus=bonus,
                   **_career_params(rng, n_stock), dt0=False, dc_sec=NO,
                   risk=_risk(rng, n_stock))
            career_leave.append(leave)
        else:
            alive = survivors(career_leave, fy)
            n_hire = max(n_dc + 2, _headcount(staff, fy) - alive - non_career)

        # this FY's recruitment
        n_other = n_hire - n_dc
        track = np.concatenate([np.zeros(n_dc, int),
                                np.where(rng.random(n_other) < 0.28, 1, 2)])
        track = track[rng.permutation(n_hire)]
        dc = track == 0
        mid = ~dc & (rng.random(n_hire) < 0.12)
        bonus = np.where(mid, rng.integers(2, 13, n_hire), 0)
        midyear = mid & (rng.random(n_hire) < 0.6)
        if fy == 2019 or fy == LAST_FY:
            midyear[-1] = True
        days = _hire_days(rng, fy, n_hire, midyear)
        if fy == 2019:
            days[-1] = _fy_end(fy)  # one hire on a March 31
        if fy == LAST_FY:
            days[-1] = _day(date(2026, 11, 1))
        w_tech = B_SHARE * np.array([0.3, 0.2, 0.3, 0.3, 0.3, 0.3, 2, 2.5, 3, 1.2, 2, 0.8])
        bureau = np.where(
            dc,
            np.array([B_IDX[c] for c in ("MS", "CSO", "ICB", "TBB")])[
                _choice(rng, n_hire, [0.4, 0.2, 0.2, 0.2])],
            np.where(track == 1, _choice(rng, n_hire, w_tech), _choice(rng, n_hire, B_SHARE)),
        )
        retire = 38 - bonus + rng.integers(-1, 3, n_hire)
        leave = np.where(dc, fy + retire,
                         np.minimum(fy + rng.geometric(EXIT_HAZARD, n_hire), fy + retire))
        dc_sec = np.where(dc, fy + 3 + rng.integers(0, 2, n_hire), NO)
        pp.add(n_hire, kind=1, start=fy, leave=leave, hire_fy=fy, entry=days, track=track,
               bureau0=bureau, unit0=-1, bonus=bonus, **_career_params(rng, n_hire),
               dt0=dc, dc_sec=dc_sec, risk=_risk(rng, n_hire) * np.where(dc, 0.3, 1.0))
        career_leave.append(leave)
    pp.freeze()
    return pp


def _grade(pp: _People, idx: np.ndarray, fy: int) -> np.ndarray:
    eff = fy - pp.hire_fy[idx].astype(np.int64) + pp.bonus[idx]
    g = ((eff >= pp.c_thr[idx]).astype(np.int8) + (eff >= pp.d_thr[idx])
         + (eff >= pp.dir_thr[idx]) + (eff >= pp.exe_thr[idx]))
    fixed = pp.fixed_grade[idx]
    return np.where(fixed >= 0, fixed, g).astype(np.int8)


def _draw_units(rng: np.random.Generator, bureau: np.ndarray, empty: float) -> np.ndarray:
    out = np.full(len(bureau), -1, dtype=np.int16)
    for b in range(len(B_CODES)):
        m = bureau == b
        k = int(m.sum())
        if not k:
            continue
        units = np.flatnonzero(np.equal(U_BUREAU, b))
        w = np.array([UNITS[u][7] for u in units])
        out[m] = units[_choice(rng, k, w)]
    out[rng.random(len(bureau)) < empty] = -1
    return out


# --- roster -----------------------------------------------------------------------------------
def _build_roster(pp: _People, seed: int) -> dict[int, dict[str, np.ndarray]]:
    rng = _rng(seed, "roster")
    n = pp.n
    bureau = pp.bureau0.astype(np.int16).copy()
    unit = np.full(n, -1, dtype=np.int16)
    place = np.zeros(n, dtype=np.int8)
    sec_left = np.zeros(n, dtype=np.int8)
    dt = np.zeros(n, dtype=bool)
    career = pp.kind <= 1
    dests = list(SECOND_START)
    roster: dict[int, dict[str, np.ndarray]] = {}
    for fy in FYS:
        act = (pp.start <= fy) & (pp.leave > fy)
        new = act & (pp.start == fy)
        # newcomers
        bureau[new] = pp.bureau0[new]
        unit[new] = np.where(pp.unit0[new] >= 0, pp.unit0[new],
                             _draw_units(rng, bureau[new], 0.03))
        unit[new & (pp.kind == 2)] = -1  # political appointees: no division
        place[new] = 0
        dt[new] = pp.dt0[new]
        if fy == FIRST_FY:  # secondments already running on 2016-04-01
            stock = new & (pp.kind == 0) & (FIRST_FY - pp.hire_fy >= 3)
            u = rng.random(n)
            lo = 0.0
            for d in dests:
                share = SECOND_START[d] * 2.5
                m = stock & (u >= lo) & (u < lo + share)
                place[m] = P_IDX[d]
                lo += share
            seconded = stock & (place > 0)
            sec_left[seconded] = rng.integers(1, 4, n)[seconded]
            unit[seconded] = -1
        cont = act & ~new & career
        # returns from secondment
        away = cont & (place > 0)
        sec_left[away] -= 1
        back = away & (sec_left <= 0)
        place[back] = 0
        unit[back] = _draw_units(rng, bureau[back], 0.03)
        home = cont & (place == 0) & ~back
        service = fy - pp.hire_fy.astype(np.int64)
        # digital candidates: planned secondment to the Digital Agency (NISC before it existed)
        dc_go = home & (pp.dc_sec == fy)
        place[dc_go] = P_IDX["digital_agency"] if fy >= 2021 else P_IDX["nisc"]
        sec_left[dc_go] = 2
        unit[dc_go] = -1
        # other secondments
        elig = home & ~dc_go & (service >= 3) & (pp.leave - fy > 2)
        u = rng.random(n)
        lo = 0.0
        went = np.zeros(n, dtype=bool)
        for d, p in [*SECOND_START.items(), ("digital_agency", DA_START[fy])]:
            m = elig & (u >= lo) & (u < lo + p)
            place[m] = P_IDX[d]
            went |= m
            lo += p
        sec_left[went] = rng.integers(2, 4, n)[went]
        unit[went] = -1
        # job rotation (人事異動) of those who stay
        stay = home & ~dc_go & ~went
        rot = stay & (rng.random(n) < 0.33)
        move = rot & (rng.random(n) < 0.10)
        bureau[move] = _choice(rng, int(move.sum()), B_SHARE)
        dig = rot & dt & (rng.random(n) < 0.5)
        post = DIGITAL_POSTS[rng.integers(0, len(DIGITAL_POSTS), n)]
        unit[dig] = post[dig]
        bureau[dig] = U_BUREAU[post[dig]]
        other = rot & ~dig
        unit[other] = _draw_units(rng, bureau[other], 0.03)
        # designation as government digital talent
        in_post = (unit >= 0) & U_DIGITAL[np.maximum(unit, 0)]
        p_des = (0.0015 + 0.0007 * (fy - FIRST_FY)) * np.where(in_post, 10, 1)
        p_des = np.where(np.isin(place, [P_IDX["digital_agency"], P_IDX["nisc"]]), 0.3, p_des)
        dt |= act & career & (rng.random(n) < p_des)

        idx = np.flatnonzero(act)
        roster[fy] = {
            "idx": idx,
            "bureau": bureau[idx].copy(),
            "unit": unit[idx].copy(),
            "grade": _grade(pp, idx, fy),
            "etype": np.select([pp.kind[idx] <= 1, pp.kind[idx] == 2, pp.kind[idx] == 3],
                               [0, 3, 1], 2).astype(np.int8),
            "dt": dt[idx].copy(),
            "place": place[idx].copy(),
        }
    return roster


# --- facts -----------------------------------------------------------------------------------
class _Rows:
    """Collects training rows as NumPy columns."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {"p": [], "c": [], "fy": [], "day": []}

    def add(self, person: np.ndarray, course: np.ndarray | int, fy: int, day: np.ndarray) -> None:
        """day < 0 or after the as-of date: incomplete."""
        n = len(person)
        day = np.asarray(day, dtype=np.int64)
        day = np.where(day > AS_OF_DAY, -1, day)
        self.cols["p"].append(np.asarray(person, dtype=np.int64))
        self.cols["c"].append(np.broadcast_to(np.asarray(course, dtype=np.int16), (n,)))
        self.cols["fy"].append(np.full(n, fy, dtype=np.int16))
        self.cols["day"].append(np.broadcast_to(day, (n,)).astype(np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


def _with_incomplete(rng: np.random.Generator, done: np.ndarray, days: np.ndarray,
                     keep_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Completed rows plus a share of the non-completers as incomplete enrolments."""
    keep = done | (rng.random(len(done)) < keep_share)
    return keep, np.where(done, days, -1)


def _hire_training(rng: np.random.Generator, pp: _People, fy: int, rows: _Rows) -> None:
    hires = np.flatnonzero((pp.kind == 1) & (pp.start == fy))
    n = len(hires)
    if not n:
        return
    hi = _fy_hi(fy)
    day = pp.entry[hires].astype(np.int64)
    dc = pp.track[hires] == 0
    # new-hire course within days of joining
    done = np.zeros(n, dtype=bool)
    done[rng.permutation(n)[: int(round(NEW_HIRE_RATE[fy] * n))]] = True
    d = np.minimum(day + rng.integers(0, 11, n), hi)
    rows.add(hires, C_IDX["NEWHIRE"], fy, np.where(done, d, -1))
    # unified training level A in the hire FY (digital candidates always)
    order = np.argsort(rng.random(n) - 2.0 * dc, kind="stable")
    done = np.zeros(n, dtype=bool)
    done[order[: int(round(HIRE_A_RATE[fy] * n))]] = True
    d = np.minimum(day + rng.integers(10, 160, n), hi)
    keep, d = _with_incomplete(rng, done, d, 0.5)
    rows.add(hires[keep], C_IDX["UIT-A"], fy, d[keep])


def _elearning(rng: np.random.Generator, pp: _People, r: dict[str, np.ndarray], fy: int,
               rows: _Rows, bureau_off: np.ndarray) -> None:
    m = (r["etype"] != 3) & (r["place"] == 0)
    idx, b = r["idx"][m], r["bureau"][m]
    n = len(idx)
    noise = rng.normal(0, 0.004, len(B_CODES))
    p_b = np.clip(ELEARN_BASE[fy] + bureau_off + noise, 0.955, 0.996)
    for code, f in ELEARN_PERFECT:
        if f == fy:
            p_b[B_IDX[code]] = 1.0
    done = rng.random(n) < p_b[b]
    # self-paced all year; most finish Jun..Jan, a rush in Feb/March, some on March 31
    fs, fe = _fy_start(fy), _fy_end(fy)
    u = rng.random(n)
    lo = np.where(u < 0.72, fs + 61, np.where(u < 0.99, fe - 58, fe))
    hi = np.where(u < 0.72, fe - 59, fe)
    entry = pp.entry[idx].astype(np.int64)
    lo = np.maximum(lo, entry)
    hi = np.maximum(hi, lo)
    d = _uniform_days(rng, lo, hi)
    keep, d = _with_incomplete(rng, done, d, 0.7)
    rows.add(idx[keep], C_IDX["SEC-EL"], fy, d[keep])


def _digital_courses(rng: np.random.Generator, pp: _People, r: dict[str, np.ndarray], fy: int,
                     staff: int, rows: _Rows) -> None:
    idx = r["idx"]
    elig = (r["etype"] != 3) & (r["place"] == 0) & (pp.entry[idx] < _fy_start(fy))
    in_post = (r["unit"] >= 0) & U_DIGITAL[np.maximum(r["unit"], 0)]
    gfac = np.array([1.0, 1.0, 0.6, 0.3, 0.1])[r["grade"]]
    w = (1 + 4 * r["dt"] + 2 * in_post) * gfac * elig
    chosen = _pick(rng, w, int(round(staff * DIGITAL_COURSE_RATE[fy])))
    grade = r["grade"][chosen]
    group = np.minimum(grade, 2)  # staff / chief / deputy and above
    avail = {"MIC-DX": 2021, "MIC-DAT": 2021, "MIC-BPR": 2022, "MIC-WS": 2023}
    mix = {
        0: {"UIT-A": .22, "UIT-B": .33, "ITSEM": .15, "NISC-P": .05, "MIC-DX": .10,
            "MIC-DAT": .05, "MIC-BPR": .03, "MIC-WS": .07},
        1: {"UIT-C": .30, "UIT-D": .15, "UIT-B": .05, "ITSEM": .12, "NISC-P": .08,
            "NISC-C": .03, "MIC-DX": .10, "MIC-DAT": .07, "MIC-BPR": .05, "MIC-WS": .05},
        2: {"UIT-D": .10, "ITSEM": .25, "NISC-P": .15, "NISC-C": .10, "MIC-DX": .15,
            "MIC-DAT": .10, "MIC-BPR": .10, "MIC-WS": .05},
    }
    course = np.zeros(len(chosen), dtype=np.int16)
    for g, m in mix.items():
        sel = group == g
        codes = list(m)
        p = np.array([m[c] * (fy >= avail.get(c, 0)) * (3 if c == "MIC-WS" and fy in (2024, 2025)
                                                         else 1) for c in codes])
        course[sel] = np.array([C_IDX[c] for c in codes])[_choice(rng, int(sel.sum()), p)]
    n = len(chosen)
    d = _weekday_back(_uniform_days(rng, np.full(n, _fy_start(fy) + 14), np.full(n,
                                                                             _fy_end(fy) - 5)))
    done = rng.random(n) < 0.93
    rows.add(idx[chosen], course, fy, np.where(done, d, -1))


def _promotion_training(rng: np.random.Generator, pp: _People, r: dict[str, np.ndarray],
                        fy: int, rows: _Rows) -> None:
    idx = r["idx"]
    before = pp.entry[idx] < _fy_start(fy)
    prev = _grade(pp, idx, fy - 1)
    g = r["grade"]
    promoted = before & (r["etype"] != 3) & (g > prev) & ((g == 1) | (g == 2))
    p = idx[promoted]
    n = len(p)
    if n:
        done = np.zeros(n, dtype=bool)
        done[rng.permutation(n)[: int(round(PROMO_RATE[fy] * n))]] = True
        d = _weekday_back(_uniform_days(rng, np.full(n, _fy_start(fy) + 19),
                                        np.full(n, _fy_start(fy) + 182)))
        course = np.where(g[promoted] == 1, C_IDX["PROM-CH"], C_IDX["PROM-DD"])
        rows.add(p, course, fy, np.where(done, d, -1))
    new_exec = before & (r["etype"] == 0) & (g == 4) & (prev < 4)
    e = idx[new_exec]
    if len(e):
        d = _weekday_back(_uniform_days(rng, np.full(len(e), _fy_start(fy) + 61),
                                        np.full(len(e), _fy_start(fy) + 182)))
        rows.add(e, C_IDX["EXEC"], fy, np.where(rng.random(len(e)) < 0.9, d, -1))


def _drills(rng: np.random.Generator, pp: _People, r: dict[str, np.ndarray], fy: int,
            rows: _Rows, bureau_mult: np.ndarray) -> dict[str, np.ndarray]:
    m = (r["etype"] != 3) & (r["place"] == 0)
    idx, b = r["idx"][m], r["bureau"][m]
    entry = pp.entry[idx]
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("drill", "p", "opened", "reported")}
    first_open = np.full(len(idx), NO * 1000, dtype=np.int64)
    for rnd, sent in enumerate(_drill_days(fy), start=1):
        got = (entry <= sent) & (rng.random(len(idx)) < DRILL_SAMPLE)
        p_open = np.clip(OPEN_RATE[fy] * bureau_mult[b] * pp.risk[idx], 0, 0.95)
        opened = got & (rng.random(len(idx)) < p_open)
        rep = rng.random(len(idx)) < REPORT_RATE[fy] * np.where(opened, 0.6, 1.06)
        first_open = np.where(opened & (first_open > sent), sent, first_open)
        parts["drill"].append(np.full(int(got.sum()), (fy - FIRST_FY) * 4 + rnd - 1, np.int16))
        parts["p"].append(idx[got])
        parts["opened"].append(opened[got])
        parts["reported"].append(rep[got])
    # follow-up training for those who opened a drill mail
    o = first_open < NO * 1000
    n = int(o.sum())
    done = rng.random(n) < FOLLOWUP_RATE[fy]
    d = np.minimum(first_open[o] + rng.integers(1, 31, n), _fy_end(fy))
    rows.add(idx[o], C_IDX["PHISHFU"], fy, np.where(done, d, -1))
    return {k: np.concatenate(v) for k, v in parts.items()}


SPRING_EXAMS = ({"AP", "SC", "ST", "AU", "DB", "ES"}, {"AP", "SC", "ST", "SA", "ES"})
AUTUMN_EXAMS = ({"AP", "SC", "SA", "NW", "SM", "PM"}, {"AP", "SC", "PM", "NW", "DB", "SM", "AU"})


def _certification(rng: np.random.Generator, pp: _People, r: dict[str, np.ndarray], fy: int,
                   staff: int, rows: _Rows) -> dict[str, np.ndarray]:
    idx = r["idx"]
    elig = r["etype"] != 3
    in_post = (r["unit"] >= 0) & U_DIGITAL[np.maximum(r["unit"], 0)]
    gfac = np.array([1.2, 1.0, 0.6, 0.3, 0.1])[r["grade"]]
    w = (1 + 3 * r["dt"] + 1.5 * in_post) * gfac * elig
    k = int(round(staff * SIT_RATE[fy]))
    who = rng.choice(len(idx), size=k, p=w / w.sum())
    person = idx[who]
    dtp = r["dt"][who]
    codes = [e[0] for e in EXAMS]
    p_dt = {"IP": .10, "SG": .20, "FE": .20, "AP": .20, "SC": .12}
    p_no = {"IP": .40, "SG": .28, "FE": .15, "AP": .09, "SC": .03}
    exam = np.zeros(k, dtype=np.int16)
    for sel, pm in ((dtp, p_dt), (~dtp, p_no)):
        rest = (1 - sum(pm.values())) / 8
        p = np.array([pm.get(c, rest) for c in codes])
        exam[sel] = _choice(rng, int(sel.sum()), p)
    # dates: IP always CBT; SG and FE CBT from FY2020; the rest on the spring/autumn dates
    era = int(fy >= 2023)
    spring_ok = np.array([c in SPRING_EXAMS[era] or (c in ("SG", "FE") and fy < 2020)
                          for c in codes])[exam]
    autumn_ok = np.array([c in AUTUMN_EXAMS[era] or (c in ("SG", "FE") and fy < 2020)
                          for c in codes])[exam]
    cbt = np.array([c == "IP" or (c in ("SG", "FE") and fy >= 2020) for c in codes])[exam]
    entry = pp.entry[person].astype(np.int64)
    cbt_day = _uniform_days(rng, np.maximum(_fy_start(fy) + 7, entry + 14),
                            np.full(k, _fy_hi(fy)))
    spring = np.where(spring_ok & autumn_ok, rng.random(k) < 0.5, spring_ok)
    paper_day = np.where(spring, _spring_exam(fy), _autumn_exam(fy))
    day = np.where(cbt, cbt_day, paper_day)
    ok = (day >= entry + 14) & (day <= _fy_hi(fy))
    if fy == 2020:  # the spring 2020 examination was cancelled (COVID-19)
        ok &= ~(~cbt & spring)
    person, exam, day, dtp = person[ok], exam[ok], day[ok], dtp[ok]
    # one sitting per person, exam and date
    key = (person * 64 + exam) * 100000 + day
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    person, exam, day, dtp = person[first], exam[first], day[first], dtp[first]
    n = len(person)
    # the exam-preparation course, taken in the same FY before the exam
    prep = rng.random(n) < PREP_RATE[fy]
    lo = np.maximum(np.maximum(_fy_start(fy), pp.entry[person].astype(np.int64)), day - 75)
    prep &= lo <= day - 1
    level = np.array([e[3] for e in EXAMS])[exam]
    prep_course = np.where(level <= 1, C_IDX["EXP-IP"],
                           np.where(level <= 3, C_IDX["EXP-FE"], C_IDX["EXP-HI"]))
    prep_course = np.where(exam == E_IDX["SG"], C_IDX["EXP-IP"], prep_course)
    pd_ = _uniform_days(rng, lo[prep], day[prep] - 1)
    rows.add(person[prep], prep_course[prep], fy, pd_)
    # and some who took a preparation course without sitting an exam this FY
    extra = _pick(rng, w, int(round(0.3 * prep.sum())))
    ne = len(extra)
    if ne:
        ed = _weekday_back(_uniform_days(
            rng, np.maximum(_fy_start(fy) + 14, pp.entry[idx[extra]].astype(np.int64)),
            np.full(ne, _fy_end(fy) - 5)))
        ec = np.array([C_IDX["EXP-IP"], C_IDX["EXP-FE"], C_IDX["EXP-HI"]])[
            _choice(rng, ne, [0.5, 0.35, 0.15])]
        rows.add(idx[extra], ec, fy, np.where(rng.random(ne) < 0.85, ed, -1))
    lvl_factor = np.array([1.35, 1.3, 0.85, 0.75, 0.55])[level]
    p_pass = np.where(prep, 0.55, 0.30) * lvl_factor * np.where(dtp, 1.1, 1.0)
    result = rng.random(n) < np.clip(p_pass, 0, 0.95)
    return {"p": person, "exam": exam, "day": day, "pass": result, "prep": prep}


# --- tables ----------------------------------------------------------------------------------
def _labels(values: tuple[str, ...] | list[str], codes: np.ndarray, null: int = -1) -> pl.Series:
    lab = pl.Series(list(values) + [None], dtype=pl.String)
    codes = np.asarray(codes, dtype=np.int64)
    return lab.gather(np.where(codes == null, len(values), codes))


def _dates(days: np.ndarray) -> pl.Series:
    """Days since 1970-01-01 to a Date column; negative = missing."""
    d = pl.DataFrame({"d": np.asarray(days, dtype=np.int64)})
    return d.select(pl.when(pl.col("d") >= 0).then(pl.col("d")).cast(pl.Int32).cast(pl.Date)
                    ).to_series()


def _ids(rng: np.random.Generator, n: int) -> pl.Series:
    """Pseudonymous IDs: E + a seeded random number (not in hire order)."""
    width = max(6, len(str(3 * n)))
    nums = rng.choice(10**width, size=n, replace=False) if n else np.empty(0, np.int64)
    return pl.select(
        pl.concat_str(pl.lit("E"), pl.Series(nums).cast(pl.String).str.zfill(width))
    ).to_series()


def _running(prefix: str, n: int, minwidth: int) -> pl.Series:
    width = max(minwidth, len(str(n)))
    return pl.select(pl.concat_str(
        pl.lit(prefix), pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(width)
    )).to_series()


def _reference_tables() -> dict[str, pl.DataFrame]:
    t: dict[str, pl.DataFrame] = {}
    t["bureaus"] = pl.DataFrame({"bureau_code": B_CODES, "name_ja": [b[1] for b in BUREAUS],
                                 "name_en": [b[2] for b in BUREAUS]})
    t["units"] = pl.DataFrame(
        [u[:7] for u in UNITS], orient="row",
        schema={"unit_code": pl.String, "bureau_code": pl.String, "name_ja": pl.String,
                "name_en": pl.String, "security_post": pl.Boolean,
                "systems_post": pl.Boolean, "crisis_post": pl.Boolean})
    t["courses"] = pl.DataFrame(
        list(COURSES), orient="row",
        schema={"course_code": pl.String, "name_ja": pl.String, "name_en": pl.String,
                "provider": pl.String, "category": pl.String, "level": pl.String})
    t["exams"] = pl.DataFrame(
        list(EXAMS), orient="row",
        schema={"exam_code": pl.String, "name_ja": pl.String, "name_en": pl.String,
                "itss_level": pl.Int64})
    t["plan_targets"] = pl.DataFrame(
        [(m, TARGET_FY_FROM, TARGET_FY_TO, k, lo, hi, s, ja, en)
         for m, k, lo, hi, s, ja, en in PLAN_TARGETS], orient="row",
        schema={"metric": pl.String, "fy_from": pl.Int64, "fy_to": pl.Int64,
                "kind": pl.String, "target_min": pl.Float64, "target_max": pl.Float64,
                "plan_section": pl.String, "note_ja": pl.String, "note_en": pl.String})
    t["published"] = pl.DataFrame(
        [("digital_hires", fy, float(v), SRC) for fy, v in PUBLISHED_DIGITAL_HIRES.items()],
        orient="row",
        schema={"metric": pl.String, "fiscal_year": pl.Int64, "value": pl.Float64,
                "source": pl.String})
    return t


def build(staff: int = DEFAULT_STAFF, seed: int = DEFAULT_SEED) -> dict[str, pl.DataFrame]:
    """All contract tables as DataFrames (columns in contract order)."""
    if int(staff) < MIN_STAFF:
        raise ValueError(f"staff must be at least {MIN_STAFF} (got {staff})")
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed})")
    staff, seed = int(staff), int(seed)
    pp = _build_people(staff, seed)
    roster = _build_roster(pp, seed)
    ids = _ids(_rng(seed, "ids"), pp.n)

    t = _reference_tables()

    # hiring
    h = np.flatnonzero(pp.kind == 1)
    hiring = pl.DataFrame({
        "employee_id": ids.gather(h),
        "hire_date": _dates(pp.entry[h]),
        "hire_fiscal_year": pp.start[h].astype(np.int64),
        "bureau_code": _labels(B_CODES, pp.bureau0[h]),
        "track": _labels(TRACKS, pp.track[h]),
    })
    t["hiring"] = hiring.sort("hire_date", "employee_id")

    # roster
    cat = {k: np.concatenate([roster[fy][k] for fy in FYS]) for k in roster[FIRST_FY]}
    fy_col = np.concatenate([np.full(len(roster[fy]["idx"]), fy) for fy in FYS])
    t["roster"] = pl.DataFrame({
        "fiscal_year": fy_col.astype(np.int64),
        "employee_id": ids.gather(cat["idx"]),
        "bureau_code": _labels(B_CODES, cat["bureau"]),
        "unit_code": _labels(U_CODES, cat["unit"]),
        "grade": _labels(GRADES, cat["grade"]),
        "employment_type": _labels(ETYPES, cat["etype"]),
        "hire_fiscal_year": pp.hire_fy[cat["idx"]].astype(np.int64),
        "digital_talent": cat["dt"],
        "placement": _labels(PLACEMENTS, cat["place"]),
    }).sort("fiscal_year", "employee_id")

    # training, certification, drills
    rows = _Rows()
    rng_h, rng_e, rng_d, rng_p = (_rng(seed, n) for n in ("hire-tr", "elearn", "dig", "promo"))
    rng_x, rng_c = _rng(seed, "drills"), _rng(seed, "cert")
    rb = _rng(seed, "bureau-effects")
    bureau_off = rb.uniform(-0.01, 0.008, len(B_CODES))
    bureau_mult = rb.uniform(0.85, 1.15, len(B_CODES))
    bureau_mult[B_IDX["CSO"]] = 0.4
    bureau_mult[B_IDX["MS"]] *= 0.8
    drills, certs = [], []
    for fy in FYS:
        r = roster[fy]
        _hire_training(rng_h, pp, fy, rows)
        _elearning(rng_e, pp, r, fy, rows, bureau_off)
        _digital_courses(rng_d, pp, r, fy, staff, rows)
        _promotion_training(rng_p, pp, r, fy, rows)
        drills.append(_drills(rng_x, pp, r, fy, rows, bureau_mult))
        certs.append(_certification(rng_c, pp, r, fy, staff, rows))

    tr = rows.arrays()
    training = pl.DataFrame({
        "p": tr["p"],
        "course_code": _labels([c[0] for c in COURSES], tr["c"]),
        "fiscal_year": tr["fy"].astype(np.int64),
        "completed_on": _dates(tr["day"]),
    }).with_columns(
        employee_id=ids.gather(tr["p"]),
        status=pl.when(pl.col("completed_on").is_null()).then(pl.lit("incomplete"))
        .otherwise(pl.lit("completed")),
    )
    # one enrolment per person, course and FY (a completion wins over an incomplete row)
    training = (training.sort("fiscal_year", "p", "course_code", "completed_on",
                              nulls_last=True)
                .unique(["fiscal_year", "p", "course_code"], keep="first", maintain_order=True)
                .sort("fiscal_year", "completed_on", "course_code", "employee_id",
                      nulls_last=True))
    training = training.with_columns(record_id=_running("T", training.height, 6))
    t["training"] = training

    dr = {k: np.concatenate([d[k] for d in drills]) for k in drills[0]}
    drill_no = dr["drill"].astype(np.int64)
    fy_of = FIRST_FY + drill_no // 4
    rnd = drill_no % 4 + 1
    sent_lookup = np.zeros(len(FYS) * 4, dtype=np.int64)
    for fy in FYS:
        for i, s in enumerate(_drill_days(fy)):
            sent_lookup[(fy - FIRST_FY) * 4 + i] = s
    t["phishing_drills"] = pl.DataFrame({
        "drill_id": pl.select(pl.format("PD{}-{}", pl.Series(fy_of), pl.Series(rnd)))
        .to_series(),
        "fiscal_year": fy_of,
        "round": rnd,
        "sent_on": _dates(sent_lookup[drill_no]),
        "employee_id": ids.gather(dr["p"]),
        "opened": dr["opened"],
        "reported": dr["reported"],
        "_n": drill_no,
    }).sort("_n", "employee_id").drop("_n")

    ce = {k: np.concatenate([c[k] for c in certs]) for k in certs[0]}
    cert = pl.DataFrame({
        "employee_id": ids.gather(ce["p"]),
        "exam_code": _labels([e[0] for e in EXAMS], ce["exam"]),
        "exam_date": _dates(ce["day"]),
        "result": _labels(("fail", "pass"), ce["pass"].astype(np.int64)),
        "prep_course": ce["prep"],
    }).sort("exam_date", "employee_id", "exam_code")
    t["certification"] = cert.with_columns(record_id=_running("C", cert.height, 5))

    return {name: t[name].select(BY_NAME[name].column_names) for name in BY_NAME}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def generate(out_dir: Path, staff: int = DEFAULT_STAFF, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write every contract CSV and SAMPLE_MANIFEST.json into out_dir; return rows per file."""
    out_dir = Path(out_dir)
    tables = build(staff, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    files: dict[str, str] = {}
    for table in TABLES:
        df = tables[table.name]
        path = out_dir / table.file
        df.write_csv(path, include_bom=False, include_header=True, line_terminator="\n",
                     date_format="%Y-%m-%d", null_value="", quote_style="necessary")
        rows[table.file] = df.height
        files[table.file] = _sha256(path)
    manifest = {"generator": GENERATOR, "staff": int(staff), "seed": int(seed),
                "files": dict(sorted(files.items()))}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8", newline="\n")
    return rows


def is_sample(raw_dir: Path, known: Mapping[str, str] | None = None) -> bool:
    """True iff raw_dir holds exactly an unmodified generated set (per its manifest).

    ``known`` maps file names to sha256 digests already computed by the caller (the build
    hashes every file as it reads it), so those files are not read a second time."""
    raw_dir = Path(raw_dir)
    known = known or {}
    try:
        manifest = json.loads((raw_dir / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("generator") != GENERATOR or not isinstance(files, dict) or not files:
            return False
        for name, digest in files.items():
            path = raw_dir / name
            if Path(name).name != name or not path.is_file():
                return False
            if (known.get(name) or _sha256(path)) != digest:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    present = {p.name for p in raw_dir.iterdir() if p.is_file()}
    return all(f in files for f in CONTRACT_FILES if f in present)
