"""The warehouse's SQL: staging → marts → kpi, by the definitions in metrics.md.

Staging tables are not sorted: sorting millions of rows costs more than the whole load, and
pages never read them row by row (they read marts and kpi).

Every statement here runs once per build inside DuckDB. Raw typed frames arrive as tables
``raw_<name>``; the final tables are described in docs/ARCHITECTURE.md.
"""

from pipelines import fiscal

# The metrics.md rules that the build and the dashboard both apply, as SQL macros: the build
# creates them before the kpi table, the dashboard's connections (dashboard/queries.py) before
# summing selected bureaus. Nowhere else are these rules written.
# - bureau_target(metric): targets of ``*_rate`` metrics apply to bureau rows as well; all
#   other targets to the ministry-wide row only.
# - in_progress(fy, as_of_date, as_of_fy): the as-of FY until its March 31 is in the data.
# - target_verdict(kind, lo, hi, value, prev_value): whether a value meets a target of its kind
#   (`met`, `below`, `above`; NULL: no target, no value, or growth without a previous value).
#   The one reading of a target: kpi's status, kpi_pace's outlook and chance (pipelines/pace.py
#   evaluates it in DuckDB on the projection and on every value the remainder can take) and
#   kpi_pace_history's ``met``.
# - kpi_status(...): the status rule in metrics.md's order; growth compares with the value of
#   FY-1 exactly (``prev_fy``), never with whatever row came before.
RULES = fiscal.SQL_MACROS + r"""
CREATE OR REPLACE TEMP MACRO bureau_target(metric) AS metric LIKE '%\_rate' ESCAPE '\';
CREATE OR REPLACE TEMP MACRO in_progress(fy, as_of_date, as_of_fy) AS
    coalesce(fy = as_of_fy AND as_of_date < fy_end(fy), false);
CREATE OR REPLACE TEMP MACRO target_verdict(kind, lo, hi, value, prev_value) AS
    CASE
      WHEN value IS NULL THEN NULL
      WHEN kind = 'range' THEN
          CASE WHEN value < lo THEN 'below' WHEN value > hi THEN 'above' ELSE 'met' END
      WHEN kind = 'min' THEN CASE WHEN value >= lo THEN 'met' ELSE 'below' END
      WHEN kind = 'max' THEN CASE WHEN value <= hi THEN 'met' ELSE 'above' END
      WHEN kind = 'growth' THEN
          CASE WHEN prev_value IS NULL THEN NULL WHEN value > prev_value THEN 'met'
               ELSE 'below' END
    END;
CREATE OR REPLACE TEMP MACRO kpi_status(kind, lo, hi, value, prev_value, prev_fy, fy,
                                        as_of_date, as_of_fy) AS
    CASE
      WHEN kind IS NULL THEN 'no_target'
      WHEN value IS NULL THEN 'no_data'
      WHEN in_progress(fy, as_of_date, as_of_fy) THEN 'in_progress'
      WHEN kind = 'growth' AND (prev_value IS NULL OR prev_fy IS DISTINCT FROM fy - 1)
          THEN 'no_data'
      ELSE target_verdict(kind, lo, hi, value, prev_value)
    END;
"""

MACROS = RULES + """
CREATE OR REPLACE TEMP MACRO grade_rank(g) AS
    CASE g WHEN 'staff' THEN 1 WHEN 'chief' THEN 2 WHEN 'deputy_director' THEN 3
           WHEN 'director' THEN 4 WHEN 'executive' THEN 5 END;
"""

# The plan's generations (raw-data.md, plans.csv): plans.csv as given, or without it the
# implicit plan ``plan`` over the targets' span (no targets: no plan; its titles and adoption
# date are NULL, the dashboard names it). ``generation``: the plan a chain of revisions started
# from (``revises`` followed back; a plan that revises none is its own generation).
PLANS = """
CREATE TABLE plans AS
WITH RECURSIVE given AS (
    SELECT plan_id, title_ja, title_en, CAST(fy_from AS INTEGER) AS fy_from,
           CAST(fy_to AS INTEGER) AS fy_to, adopted_on, revises, source, false AS implicit
    FROM raw_plans
    UNION ALL
    SELECT 'plan', NULL, NULL, CAST(min(fy_from) AS INTEGER), CAST(max(fy_to) AS INTEGER),
           NULL, NULL, NULL, true
    FROM raw_plan_targets WHERE NOT EXISTS (SELECT 1 FROM raw_plans) HAVING count(*) > 0
),
lineage AS (
    SELECT plan_id, plan_id AS generation, 0 AS depth FROM given WHERE revises IS NULL
    UNION ALL
    SELECT g.plan_id, l.generation, l.depth + 1 FROM given g JOIN lineage l
      ON g.revises = l.plan_id AND g.plan_id <> l.plan_id
    WHERE l.depth < 64  -- (invalid input, cancelled anyway, could hold a cycle)
)
SELECT g.plan_id, g.title_ja, g.title_en, g.fy_from, g.fy_to, g.adopted_on, g.revises,
       g.source, g.implicit,
       coalesce((SELECT min(l.generation) FROM lineage l WHERE l.plan_id = g.plan_id),
                g.plan_id) AS generation
FROM given g ORDER BY g.adopted_on NULLS FIRST, g.plan_id;
"""

REFERENCE = """
CREATE TABLE bureaus AS SELECT * FROM raw_bureaus ORDER BY bureau_code;
CREATE TABLE units AS SELECT * FROM raw_units ORDER BY unit_code;
CREATE TABLE courses AS SELECT * FROM raw_courses ORDER BY course_code;
CREATE TABLE exams AS SELECT * FROM raw_exams ORDER BY exam_code;
CREATE TABLE plan_targets AS
SELECT * REPLACE (coalesce(plan_id, 'plan') AS plan_id) FROM raw_plan_targets
ORDER BY metric, fy_from, plan_id;
""" + PLANS + """
CREATE TABLE published AS SELECT * FROM raw_published ORDER BY metric, fiscal_year;
CREATE TABLE public_figures AS SELECT * FROM raw_public_figures ORDER BY metric;
"""

STAGING = """
CREATE TABLE stg_hiring AS
SELECT employee_id, hire_date, CAST(hire_fiscal_year AS INTEGER) AS hire_fiscal_year,
       bureau_code, track
FROM raw_hiring ORDER BY hire_date, employee_id;

CREATE TABLE stg_roster AS
SELECT CAST(r.fiscal_year AS INTEGER) AS fiscal_year, r.employee_id, r.bureau_code, r.unit_code,
       r.grade, r.employment_type, CAST(r.hire_fiscal_year AS INTEGER) AS hire_fiscal_year,
       r.digital_talent, r.placement,
       coalesce(u.security_post, false) AS security_post,
       coalesce(u.systems_post, false) AS systems_post,
       coalesce(u.crisis_post, false) AS crisis_post
FROM raw_roster r LEFT JOIN raw_units u USING (unit_code);

CREATE TABLE stg_training AS
SELECT t.record_id, t.employee_id, t.course_code, CAST(t.fiscal_year AS INTEGER) AS fiscal_year,
       t.status, t.completed_on, c.provider, c.category, c.level, r.bureau_code
FROM raw_training t
JOIN raw_courses c USING (course_code)
LEFT JOIN stg_roster r ON r.employee_id = t.employee_id AND r.fiscal_year = t.fiscal_year;

CREATE TABLE stg_certification AS
SELECT x.record_id, x.employee_id, x.exam_code, x.exam_date,
       CAST(fy_of(x.exam_date) AS INTEGER) AS fiscal_year, x.result, x.prep_course,
       CAST(e.itss_level AS INTEGER) AS itss_level, r.bureau_code
FROM raw_certification x
JOIN raw_exams e USING (exam_code)
LEFT JOIN stg_roster r ON r.employee_id = x.employee_id AND r.fiscal_year = fy_of(x.exam_date);

CREATE TABLE stg_phishing_drills AS
SELECT d.drill_id, CAST(d.fiscal_year AS INTEGER) AS fiscal_year,
       CAST(d.round AS INTEGER) AS round, d.sent_on, d.employee_id, d.opened, d.reported,
       r.bureau_code
FROM raw_phishing_drills d
LEFT JOIN stg_roster r ON r.employee_id = d.employee_id AND r.fiscal_year = d.fiscal_year;
"""

MARTS = """
CREATE TABLE mart_headcount AS
SELECT fiscal_year, bureau_code, grade, employment_type, placement,
       count(*)::BIGINT AS headcount, count(*) FILTER (WHERE digital_talent)::BIGINT
           AS digital_talent
FROM stg_roster GROUP BY ALL ORDER BY ALL;

CREATE TABLE mart_hiring AS
SELECT hire_fiscal_year AS fiscal_year, bureau_code, track, count(*)::BIGINT AS hires
FROM stg_hiring GROUP BY ALL ORDER BY ALL;

CREATE TABLE mart_training AS
SELECT fiscal_year, bureau_code, provider, category, level,
       count(*)::BIGINT AS enrolments,
       count(*) FILTER (WHERE status = 'completed')::BIGINT AS completions,
       count(DISTINCT employee_id) FILTER (WHERE status = 'completed')::BIGINT AS participants
FROM stg_training GROUP BY ALL ORDER BY ALL;

CREATE TABLE mart_certification AS
SELECT fiscal_year, bureau_code, exam_code, itss_level, result, prep_course,
       count(*)::BIGINT AS sittings
FROM stg_certification GROUP BY ALL ORDER BY ALL;

CREATE TABLE mart_drills AS
SELECT fiscal_year, round, drill_id, sent_on, bureau_code,
       count(*)::BIGINT AS sent,
       count(*) FILTER (WHERE opened)::BIGINT AS opened,
       count(*) FILTER (WHERE reported)::BIGINT AS reported
FROM stg_phishing_drills GROUP BY ALL ORDER BY ALL;

CREATE TABLE mart_career_posts AS
SELECT fiscal_year, bureau_code, grade, post_type, count(*)::BIGINT AS headcount
FROM (
    SELECT fiscal_year, bureau_code, grade, 'security' AS post_type FROM stg_roster
        WHERE security_post
    UNION ALL
    SELECT fiscal_year, bureau_code, grade, 'systems' FROM stg_roster WHERE systems_post
    UNION ALL
    SELECT fiscal_year, bureau_code, grade, 'crisis' FROM stg_roster WHERE crisis_post
) GROUP BY ALL ORDER BY ALL;

CREATE TABLE mart_career_training AS
WITH done AS (
    SELECT employee_id,
           min(fiscal_year) FILTER (WHERE level IN ('A', 'B')) AS first_ab,
           min(fiscal_year) FILTER (WHERE level IN ('C', 'D')) AS first_cd
    FROM stg_training
    WHERE status = 'completed' AND category = 'unified_it'
    GROUP BY employee_id
)
SELECT r.fiscal_year, r.bureau_code, r.grade, count(*)::BIGINT AS eligible,
       count(*) FILTER (WHERE CASE r.grade WHEN 'staff' THEN d.first_ab <= r.fiscal_year
                                           ELSE d.first_cd <= r.fiscal_year END)::BIGINT
           AS completed
FROM stg_roster r LEFT JOIN done d USING (employee_id)
WHERE r.grade IN ('staff', 'chief') AND r.employment_type <> 'political'
GROUP BY ALL ORDER BY ALL;
"""

# --- kpi -------------------------------------------------------------------------------------
# Each metric query yields (metric, fiscal_year, bureau_code, is_total, num, den); GROUPING SETS
# give the ministry-wide row (is_total) and the bureau rows in one pass.

# Completed training, as the metrics below read it: each takes the DISTINCT (employee, FY) of
# its own categories, so this is a view, not a de-duplicated table (a DISTINCT over every
# completion cost 1.0 CPU s at 300,000 staff and removed almost nothing).
COMPLETED = """
CREATE TEMP VIEW done AS
SELECT employee_id, fiscal_year, category, level, completed_on
FROM stg_training WHERE status = 'completed';
"""

# Populations two metrics' definitions share with their pace (PACE_EVENTS below): non-political
# employees promoted to chief or deputy director in FY N (roster N against N−1), and the
# distinct employees who opened a drill mail in FY N, with their roster(N) bureau.
PROMOTED = """
    SELECT cur.fiscal_year, cur.employee_id, cur.bureau_code
    FROM stg_roster cur JOIN stg_roster prev
        ON prev.employee_id = cur.employee_id AND prev.fiscal_year = cur.fiscal_year - 1
    WHERE cur.employment_type <> 'political'
      AND cur.grade IN ('chief', 'deputy_director')
      AND grade_rank(prev.grade) < grade_rank(cur.grade)"""
OPENERS = """
    SELECT DISTINCT d.fiscal_year, d.employee_id, r.bureau_code
    FROM stg_phishing_drills d LEFT JOIN stg_roster r
        ON r.employee_id = d.employee_id AND r.fiscal_year = d.fiscal_year
    WHERE d.opened"""

# The course categories whose completion makes a training participant (metrics.md).
PARTICIPANT_CATEGORIES = "('unified_it', 'it_seminar', 'mic_digital', 'exam_prep')"

METRIC_SQL = {
    "digital_hires": """
        SELECT hire_fiscal_year AS fiscal_year, bureau_code, grouping(bureau_code) = 1 AS is_total,
               count(*) AS num, NULL AS den
        FROM stg_hiring WHERE track = 'digital_candidate'
        GROUP BY GROUPING SETS ((hire_fiscal_year, bureau_code), (hire_fiscal_year))""",
    "new_hire_a_level_rate": """
        WITH a AS (SELECT DISTINCT employee_id, fiscal_year FROM done
                   WHERE category = 'unified_it' AND level = 'A')
        SELECT h.hire_fiscal_year, h.bureau_code, grouping(h.bureau_code) = 1,
               count(a.employee_id), count(*)
        FROM stg_hiring h LEFT JOIN a
            ON a.employee_id = h.employee_id AND a.fiscal_year = h.hire_fiscal_year
        GROUP BY GROUPING SETS ((h.hire_fiscal_year, h.bureau_code), (h.hire_fiscal_year))""",
    "new_hire_security_rate": """
        WITH s AS (SELECT DISTINCT employee_id, fiscal_year FROM done
                   WHERE category = 'new_hire')
        SELECT h.hire_fiscal_year, h.bureau_code, grouping(h.bureau_code) = 1,
               count(s.employee_id), count(*)
        FROM stg_hiring h LEFT JOIN s
            ON s.employee_id = h.employee_id AND s.fiscal_year = h.hire_fiscal_year
        GROUP BY GROUPING SETS ((h.hire_fiscal_year, h.bureau_code), (h.hire_fiscal_year))""",
    "training_participants": f"""
        WITH p AS (
            SELECT DISTINCT d.fiscal_year, d.employee_id, r.bureau_code
            FROM done d LEFT JOIN stg_roster r
                ON r.employee_id = d.employee_id AND r.fiscal_year = d.fiscal_year
            WHERE d.category IN {PARTICIPANT_CATEGORIES})
        SELECT fiscal_year, bureau_code, grouping(bureau_code) = 1,
               count(DISTINCT employee_id), NULL
        FROM p GROUP BY GROUPING SETS ((fiscal_year, bureau_code), (fiscal_year))""",
    "ipa_certified_staff": """
        WITH first_pass AS (
            SELECT employee_id, min(exam_date) AS first_pass
            FROM stg_certification WHERE result = 'pass' GROUP BY employee_id)
        SELECT r.fiscal_year, r.bureau_code, grouping(r.bureau_code) = 1,
               count(DISTINCT r.employee_id), NULL
        FROM stg_roster r JOIN first_pass f USING (employee_id)
        WHERE r.employment_type <> 'political' AND f.first_pass <= fy_end(r.fiscal_year)
        GROUP BY GROUPING SETS ((r.fiscal_year, r.bureau_code), (r.fiscal_year))""",
    "ipa_passes": """
        SELECT fiscal_year, bureau_code, grouping(bureau_code) = 1, count(*), NULL
        FROM stg_certification WHERE result = 'pass'
        GROUP BY GROUPING SETS ((fiscal_year, bureau_code), (fiscal_year))""",
    "security_elearning_rate": """
        WITH e AS (SELECT DISTINCT employee_id, fiscal_year FROM done
                   WHERE category = 'security_elearning')
        SELECT r.fiscal_year, r.bureau_code, grouping(r.bureau_code) = 1,
               count(e.employee_id), count(*)
        FROM stg_roster r LEFT JOIN e USING (employee_id, fiscal_year)
        WHERE r.employment_type <> 'political' AND r.placement = 'home'
        GROUP BY GROUPING SETS ((r.fiscal_year, r.bureau_code), (r.fiscal_year))""",
    "phishing_drills_held": """
        SELECT fiscal_year, NULL, true, count(DISTINCT drill_id), NULL
        FROM stg_phishing_drills GROUP BY fiscal_year""",
    "phishing_open_rate": """
        SELECT fiscal_year, bureau_code, grouping(bureau_code) = 1,
               count(*) FILTER (WHERE opened), count(*)
        FROM stg_phishing_drills
        GROUP BY GROUPING SETS ((fiscal_year, bureau_code), (fiscal_year))""",
    "phishing_report_rate": """
        SELECT fiscal_year, bureau_code, grouping(bureau_code) = 1,
               count(*) FILTER (WHERE reported), count(*)
        FROM stg_phishing_drills
        GROUP BY GROUPING SETS ((fiscal_year, bureau_code), (fiscal_year))""",
    "phishing_followup_rate": f"""
        WITH o AS ({OPENERS}),
        f AS (SELECT DISTINCT employee_id, fiscal_year FROM done
              WHERE category = 'phishing_followup')
        SELECT o.fiscal_year, o.bureau_code, grouping(o.bureau_code) = 1,
               count(f.employee_id), count(*)
        FROM o LEFT JOIN f USING (employee_id, fiscal_year)
        GROUP BY GROUPING SETS ((o.fiscal_year, o.bureau_code), (o.fiscal_year))""",
    "promotion_training_rate": f"""
        WITH promoted AS ({PROMOTED}),
        f AS (SELECT DISTINCT employee_id, fiscal_year FROM done WHERE category = 'promotion')
        SELECT p.fiscal_year, p.bureau_code, grouping(p.bureau_code) = 1,
               count(f.employee_id), count(*)
        FROM promoted p LEFT JOIN f USING (employee_id, fiscal_year)
        GROUP BY GROUPING SETS ((p.fiscal_year, p.bureau_code), (p.fiscal_year))""",
    "secondees": """
        SELECT fiscal_year, bureau_code, grouping(bureau_code) = 1,
               count(DISTINCT employee_id), NULL
        FROM stg_roster WHERE placement IN ('digital_agency', 'ppc', 'nisc')
        GROUP BY GROUPING SETS ((fiscal_year, bureau_code), (fiscal_year))""",
    "digital_talent_staff": """
        SELECT fiscal_year, bureau_code, grouping(bureau_code) = 1,
               count(DISTINCT employee_id), NULL
        FROM stg_roster WHERE digital_talent
        GROUP BY GROUPING SETS ((fiscal_year, bureau_code), (fiscal_year))""",
}

# The plan in force per FY and the status of every row (metrics.md), over ``{values}``
# (metric, fiscal_year, bureau_code, value, numerator, denominator), the plans ``{plans}`` and
# their targets ``{targets}``; needs ``fy_span`` and ``as_of``. The build's kpi (below) and a
# draft revision's statuses (pipelines/revision.py: the live kpi's values, the plans with the
# draft added) are both this one text: the CTEs' tail and final SELECT of a WITH query.
JUDGE = """
targeted AS (
    -- the plan in force for the FY: among the plans covering it, the latest adopted; the
    -- FY's targets are that plan's targets for it (raw-data.md, plans.csv)
    SELECT w.*, f.plan_id, t.kind AS target_kind, CAST(t.target_min AS DOUBLE) AS target_min,
           CAST(t.target_max AS DOUBLE) AS target_max
    FROM {values} w
    LEFT JOIN (SELECT y.fiscal_year, p.plan_id FROM fy_span y JOIN {plans} p
                 ON y.fiscal_year BETWEEN p.fy_from AND p.fy_to
               QUALIFY row_number() OVER (PARTITION BY y.fiscal_year
                                          ORDER BY p.adopted_on DESC NULLS LAST,
                                                   p.plan_id) = 1) f
      ON f.fiscal_year = w.fiscal_year
    LEFT JOIN {targets} t
      ON t.plan_id = f.plan_id AND t.metric = w.metric
     AND w.fiscal_year BETWEEN t.fy_from AND t.fy_to
     AND (w.bureau_code IS NULL OR bureau_target(w.metric))
),
with_prev AS (
    SELECT *, lag(value) OVER (PARTITION BY metric, bureau_code ORDER BY fiscal_year)
                  AS prev_value,
              lag(fiscal_year) OVER (PARTITION BY metric, bureau_code ORDER BY fiscal_year)
                  AS prev_fy
    FROM targeted
)
SELECT p.metric, CAST(p.fiscal_year AS INTEGER) AS fiscal_year, p.bureau_code, p.value,
       p.numerator, p.denominator, p.target_kind,
       CASE WHEN p.target_kind = 'growth' THEN NULL ELSE p.target_min END AS target_min,
       CASE WHEN p.target_kind = 'growth' THEN NULL ELSE p.target_max END AS target_max,
       kpi_status(p.target_kind, p.target_min, p.target_max, p.value, p.prev_value,
                  p.prev_fy, p.fiscal_year, a.as_of_date, a.as_of_fy) AS status, p.plan_id
FROM with_prev p CROSS JOIN as_of a
"""

# The skeleton (every metric × FY × (ministry + bureaus where broken down)) is left-joined to
# the computed values so that a zero count is a row with 0, and a rate with no denominator is
# NULL. ``metric_catalogue`` (metric, is_rate, by_bureau) and ``fy_span`` (fiscal_year) and
# ``as_of`` (as_of_date, as_of_fy) are created by the builder before this runs.
KPI = """
CREATE TABLE kpi AS
WITH skeleton AS (
    SELECT m.metric, f.fiscal_year, NULL::VARCHAR AS bureau_code, m.is_rate
    FROM metric_catalogue m CROSS JOIN fy_span f
    UNION ALL
    SELECT m.metric, f.fiscal_year, b.bureau_code, m.is_rate
    FROM metric_catalogue m CROSS JOIN fy_span f CROSS JOIN bureaus b
    WHERE m.by_bureau
),
valued AS (
    SELECT s.metric, s.fiscal_year, s.bureau_code, s.is_rate,
           CAST(coalesce(v.num, 0) AS DOUBLE) AS numerator,
           CASE WHEN s.is_rate THEN CAST(coalesce(v.den, 0) AS DOUBLE) END AS denominator
    FROM skeleton s LEFT JOIN metric_values v
      ON v.metric = s.metric AND v.fiscal_year = s.fiscal_year
     AND ((s.bureau_code IS NULL AND v.is_total)
          OR (v.bureau_code = s.bureau_code AND NOT v.is_total))
),
with_value AS (
    SELECT *, CASE WHEN NOT is_rate THEN numerator
                   WHEN denominator > 0 THEN numerator / denominator END AS value
    FROM valued
),
""" + JUDGE.format(values="with_value", plans="plans", targets="plan_targets") + """
ORDER BY p.metric, p.fiscal_year, p.bureau_code NULLS FIRST;
"""


# --- kpi_pace (metrics.md "Pace of the year in progress") ------------------------------------
# Each event metric as its counted units with the date that counts them: a hire by hire_date,
# a pass by exam_date, a participant by the first qualifying completion of the FY, a rate's
# numerator unit by its first qualifying completed_on (drills: sent_on), a drill by its
# sent_on. Counting the units dated on or before April 1 of k + d days is same-day(k) by the
# metric's definition (denominators are kpi's, unchanged); the units of a whole FY are kpi's
# numerator (tests/test_pace.py checks this for every row). Yields (fiscal_year, bureau_code,
# day) per unit; the grouping into ministry-wide and bureau rows is done once, below.
# They read the as-of FY and the 3 before it only (``pace_fys``), and completed training through
# ``pace_done``: each employee's first completion per FY, category and level, made once
# (PACE_DONE) instead of one pass over all training per metric.
PACE_DONE = """
CREATE TEMP TABLE pace_done AS
SELECT employee_id, fiscal_year, category, level, min(completed_on) AS day
FROM done WHERE fiscal_year IN (SELECT fiscal_year FROM pace_fys)
GROUP BY ALL"""
FIRST_DONE = """
    SELECT employee_id, fiscal_year, min(day) AS day FROM pace_done
    WHERE {where} GROUP BY employee_id, fiscal_year"""

PACE_EVENTS = {
    "digital_hires": """
        SELECT hire_fiscal_year, bureau_code, hire_date FROM stg_hiring
        WHERE track = 'digital_candidate'""",
    "new_hire_a_level_rate": f"""
        SELECT h.hire_fiscal_year, h.bureau_code, a.day FROM stg_hiring h
        JOIN ({FIRST_DONE.format(where="category = 'unified_it' AND level = 'A'")}) a
          ON a.employee_id = h.employee_id AND a.fiscal_year = h.hire_fiscal_year""",
    "new_hire_security_rate": f"""
        SELECT h.hire_fiscal_year, h.bureau_code, s.day FROM stg_hiring h
        JOIN ({FIRST_DONE.format(where="category = 'new_hire'")}) s
          ON s.employee_id = h.employee_id AND s.fiscal_year = h.hire_fiscal_year""",
    "training_participants": f"""
        SELECT d.fiscal_year, r.bureau_code, min(d.day) FROM pace_done d
        LEFT JOIN stg_roster r ON r.employee_id = d.employee_id AND r.fiscal_year = d.fiscal_year
        WHERE d.category IN {PARTICIPANT_CATEGORIES}
        GROUP BY d.fiscal_year, d.employee_id, r.bureau_code""",
    "ipa_passes": """
        SELECT fiscal_year, bureau_code, exam_date FROM stg_certification WHERE result = 'pass'""",
    "security_elearning_rate": f"""
        SELECT r.fiscal_year, r.bureau_code, e.day FROM stg_roster r
        JOIN ({FIRST_DONE.format(where="category = 'security_elearning'")}) e
          USING (employee_id, fiscal_year)
        WHERE r.employment_type <> 'political' AND r.placement = 'home'
          AND r.fiscal_year IN (SELECT fiscal_year FROM pace_fys)""",
    "phishing_drills_held": """
        SELECT fiscal_year, NULL, min(sent_on) FROM stg_phishing_drills
        GROUP BY fiscal_year, drill_id""",
    "phishing_open_rate": """
        SELECT fiscal_year, bureau_code, sent_on FROM stg_phishing_drills WHERE opened""",
    "phishing_report_rate": """
        SELECT fiscal_year, bureau_code, sent_on FROM stg_phishing_drills WHERE reported""",
    "phishing_followup_rate": f"""
        WITH o AS ({OPENERS})
        SELECT o.fiscal_year, o.bureau_code, f.day FROM o
        JOIN ({FIRST_DONE.format(where="category = 'phishing_followup'")}) f
          USING (employee_id, fiscal_year)
        WHERE o.fiscal_year IN (SELECT fiscal_year FROM pace_fys)""",
    "promotion_training_rate": f"""
        WITH promoted AS ({PROMOTED})
        SELECT p.fiscal_year, p.bureau_code, f.day FROM promoted p
        JOIN ({FIRST_DONE.format(where="category = 'promotion'")}) f
          USING (employee_id, fiscal_year)
        WHERE p.fiscal_year IN (SELECT fiscal_year FROM pace_fys)""",
}

# One event metric's units of the as-of FY and the 3 before it, counted per fiscal day
# (day = date − April 1 of the FY) for the ministry-wide row and each bureau.
# ``pace_events`` (metric, fiscal_year, bureau_code, is_total, fy_day, units) is created by the
# builder; each PACE_EVENTS query is inserted as
PACE_INSERT = """
INSERT INTO pace_events
SELECT ?, fy, bureau_code, grouping(bureau_code) = 1, day - make_date(fy, 4, 1), count(*)
FROM (SELECT * FROM ({query}) AS e(fy, bureau_code, day)) e, as_of a
WHERE fy BETWEEN a.as_of_fy - 3 AND a.as_of_fy
GROUP BY GROUPING SETS ((fy, day, bureau_code), (fy, day))"""

# ``kpi_pace_curve``: the year-to-date curves the plan pages draw, one row per kpi row (event
# metric, FY N−3..N, ministry or bureau) and fiscal day on which its count changed, plus day 0:
# the cumulative numerator and the value (counts: the count; rates: over kpi's denominator).
PACE_CURVE = """
CREATE TABLE kpi_pace_curve AS
WITH rows AS (
    SELECT k.metric, k.fiscal_year, k.bureau_code, k.denominator, m.is_rate
    FROM kpi k JOIN metric_catalogue m USING (metric) CROSS JOIN as_of a
    WHERE k.metric IN (SELECT metric FROM pace_metrics)
      AND k.fiscal_year BETWEEN a.as_of_fy - 3 AND a.as_of_fy
),
steps AS (
    SELECT r.metric, r.fiscal_year, r.bureau_code, r.denominator, r.is_rate, e.fy_day,
           sum(e.units) OVER (PARTITION BY r.metric, r.fiscal_year, r.bureau_code
                              ORDER BY e.fy_day) AS numerator
    FROM rows r JOIN pace_events e
      ON e.metric = r.metric AND e.fiscal_year = r.fiscal_year
     AND ((r.bureau_code IS NULL AND e.is_total)
          OR (e.bureau_code = r.bureau_code AND NOT e.is_total))
    UNION ALL
    SELECT metric, fiscal_year, bureau_code, denominator, is_rate, 0, 0 FROM rows
)
SELECT metric, CAST(fiscal_year AS INTEGER) AS fiscal_year, bureau_code,
       CAST(fy_day AS INTEGER) AS fy_day, CAST(max(numerator) AS DOUBLE) AS numerator,
       CASE WHEN NOT any_value(is_rate) THEN max(numerator)
            WHEN any_value(denominator) > 0 THEN max(numerator) / any_value(denominator)
       END AS value
FROM steps GROUP BY metric, fiscal_year, bureau_code, fy_day
ORDER BY metric, fiscal_year, bureau_code NULLS FIRST, fy_day;
"""

# ``PACE_INPUTS``: per kpi row of the as-of FY of an event metric, what kpi_pace needs from SQL
# (the rows pipelines/pace.py ``project`` takes): ytd, the reference years' remainders
# full(k) − same-day(k) (newest first), the FY's target and the previous FY's value. It reads
# kpi and kpi_pace_curve only, and the as-of date from ``{as_of}`` (as_of_date, as_of_fy): the
# build's ``as_of`` table, or a built warehouse's kpi_pace (pace.inputs).
PACE_INPUTS = """
WITH a AS ({as_of}),
cur AS (
    SELECT k.*, a.as_of_date, CAST(a.as_of_date - make_date(a.as_of_fy, 4, 1)
                                   AS INTEGER) AS fy_day
    FROM kpi k CROSS JOIN a
    WHERE k.fiscal_year = a.as_of_fy AND k.metric IN (SELECT metric FROM kpi_pace_curve)
),
ref AS (
    SELECT c.metric, c.bureau_code, k.fiscal_year,
           k.value - coalesce((SELECT max(v.value) FROM kpi_pace_curve v
                               WHERE v.metric = k.metric AND v.fiscal_year = k.fiscal_year
                                 AND v.bureau_code IS NOT DISTINCT FROM k.bureau_code
                                 AND v.fy_day <= c.fy_day), 0) AS remainder
    FROM cur c JOIN kpi k
      ON k.metric = c.metric AND k.bureau_code IS NOT DISTINCT FROM c.bureau_code
     AND k.fiscal_year BETWEEN c.fiscal_year - 3 AND c.fiscal_year - 1
    WHERE k.value IS NOT NULL
)
SELECT c.metric, c.bureau_code, c.fiscal_year, c.as_of_date AS as_of, c.fy_day,
       c.value AS ytd, c.denominator IS NOT NULL AS is_rate, c.denominator,
       coalesce((SELECT list(r.remainder ORDER BY r.fiscal_year DESC) FROM ref r
                 WHERE r.metric = c.metric AND r.bureau_code IS NOT DISTINCT FROM c.bureau_code),
                []) AS remainders,
       c.target_kind, c.target_min, c.target_max, p.value AS previous_value
FROM cur c LEFT JOIN kpi p
  ON p.metric = c.metric AND p.bureau_code IS NOT DISTINCT FROM c.bureau_code
 AND p.fiscal_year = c.fiscal_year - 1
ORDER BY c.metric, c.bureau_code NULLS FIRST"""
PACE_INPUTS_BUILD = PACE_INPUTS.format(as_of="SELECT as_of_date, as_of_fy FROM as_of")
PACE_INPUTS_BUILT = PACE_INPUTS.format(
    as_of="SELECT max(as_of) AS as_of_date, max(fiscal_year) AS as_of_fy FROM kpi_pace")
# the same as a temp table (also run by pipelines/revision.py over a draft's kpi: the same rows
# with its targets)
PACE_BASE = "CREATE TEMP TABLE pace_base AS " + PACE_INPUTS_BUILD

# --- kpi_pace_history (metrics.md "The projection's track record") --------------------------
# Each count event metric's units as PACE_EVENTS yields them, over every FY (not only the 4 the
# curves need): hires, passes and drills read their staging tables whole anyway; participants
# are counted by their first qualifying completion from ``done`` directly (pace_done holds the
# curves' 4 FYs only).
PACE_HISTORY_EVENTS = {
    "digital_hires": PACE_EVENTS["digital_hires"],
    "ipa_passes": PACE_EVENTS["ipa_passes"],
    "training_participants": f"""
        SELECT fiscal_year, NULL, min(completed_on) FROM done
        WHERE category IN {PARTICIPANT_CATEGORIES} GROUP BY fiscal_year, employee_id""",
    "phishing_drills_held": PACE_EVENTS["phishing_drills_held"],
}
# same-day(k) of one of them, ministry-wide, for every FY k before the as-of FY: its units dated
# on or before April 1 of k + d days (``pace_history_days``: metric, fiscal_year, same_day)
PACE_HISTORY_INSERT = """
INSERT INTO pace_history_days
SELECT ?, fy, count(*) FILTER (WHERE day - make_date(fy, 4, 1)
                                     <= a.as_of_date - make_date(a.as_of_fy, 4, 1))
FROM (SELECT * FROM ({query}) AS e(fy, bureau_code, day)) e, as_of a
WHERE fy < a.as_of_fy
GROUP BY fy"""
# The rows to project for the history (the form of PACE_INPUTS, plus ``outcome`` = full(k)): per
# count event metric and FY k before the as-of FY with at least one reference year of its own
# (k−1..k−3 with a kpi value), ministry-wide, k's target (kpi's row of k) and k−1's value.
PACE_HISTORY = """
WITH a AS (SELECT as_of_fy, CAST(as_of_date - make_date(as_of_fy, 4, 1) AS INTEGER) AS fy_day
           FROM as_of),
y AS (
    SELECT k.metric, k.fiscal_year, k.value AS outcome, coalesce(h.same_day, 0) AS same_day,
           k.target_kind, k.target_min, k.target_max
    FROM kpi k LEFT JOIN pace_history_days h USING (metric, fiscal_year)
    WHERE k.bureau_code IS NULL AND k.metric IN (SELECT metric FROM pace_history_metrics)
)
SELECT c.metric, NULL::VARCHAR AS bureau_code, c.fiscal_year, NULL::DATE AS as_of, a.fy_day,
       CAST(c.same_day AS DOUBLE) AS ytd, false AS is_rate, NULL::DOUBLE AS denominator,
       list(r.outcome - r.same_day ORDER BY r.fiscal_year DESC) AS remainders,
       c.target_kind, c.target_min, c.target_max, p.outcome AS previous_value, c.outcome
FROM y c CROSS JOIN a
JOIN y r ON r.metric = c.metric AND r.outcome IS NOT NULL
        AND r.fiscal_year BETWEEN c.fiscal_year - 3 AND c.fiscal_year - 1
LEFT JOIN y p ON p.metric = c.metric AND p.fiscal_year = c.fiscal_year - 1
WHERE c.fiscal_year < a.as_of_fy
GROUP BY ALL
ORDER BY c.metric, c.fiscal_year"""
