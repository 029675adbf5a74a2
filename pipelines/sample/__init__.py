"""Deterministic synthetic data set shaped like the Ministry of Internal Affairs and Communications.

``generate(out_dir, staff, seed)`` writes every file of the raw-data contract
(``shared/contract/raw-data.md``) plus ``SAMPLE_MANIFEST.json``; the same arguments give
byte-identical files. ``pipelines.origin.is_sample(raw_dir)`` tells whether a folder still holds
exactly such a generated set (any edited, missing or added contract file makes it "provided"
data).

Modules: ``story`` (period, rates by FY, codes as indices, days, random streams),
``reference`` (bureaus, units, courses, exams, targets), ``people`` (everyone and their
careers), ``roster`` (each FY's posts and placements), ``facts`` (training, drills, exams),
``tables`` (the contract's tables and files).

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

from pipelines.origin import MANIFEST, is_sample
from pipelines.sample.story import AS_OF
from pipelines.sample.tables import DEFAULT_SEED, DEFAULT_STAFF, MIN_STAFF, build, generate

__all__ = ["AS_OF", "DEFAULT_SEED", "DEFAULT_STAFF", "MANIFEST", "MIN_STAFF", "build", "generate",
           "is_sample"]
