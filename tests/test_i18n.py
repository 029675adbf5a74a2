"""The string table (release/i18n.py) and the formatters (dashboard/fmt.py).

The table test reads the dashboard's and the release's code: a key the code asks for must be
in ``STRINGS``, and every key in ``STRINGS`` must be asked for somewhere. Keys built at run time
(``t(f"status_{s}")``) are allowed only for the families listed in ``FAMILIES``, with the values
they can take.
"""

from __future__ import annotations

import ast
import datetime as dt
import string
from pathlib import Path

from dashboard import access, downloads, fmt, nav
from pipelines import revision
from pipelines.delivery import flow, versions
from release import catalogue, i18n

CODE = sorted(p for pkg in ("dashboard", "release", "pipelines/delivery")
              for p in (Path(__file__).parent.parent / pkg).rglob("*.py"))

# prefix of a key built at run time → the values that complete it
FAMILIES: dict[str, tuple[str, ...]] = {
    "status_": tuple(i18n.STATUS_SYMBOLS),
    "data_kind_": tuple(sorted({ds.kind for ds in catalogue.DOWNLOADABLE})),
    "dict_kind_": catalogue.KINDS,
    "qa_origin_": ("sample", "provided"),
    "data_": downloads.FORMATS,  # the download buttons
    "role_": (*access.ROLES, *access.EXTRA_ROLES, "public"),  # the signed-in line (signin.py)
    # the data deliveries page (issue 22)
    "dlv_state_": flow.STATES,
    "dlv_phase_": flow.PHASES,
    "dlv_kind_": tuple(k.lower() for k in versions.KINDS),
    "brief_": ("pptx", "pdf"),  # the Overview's briefing-pack buttons
    "month_": tuple(str(m) for m in range(1, 13)),  # the year-to-date charts' month ticks
    "unit_": ("digital_hires", "training_participants", "ipa_passes",
              "phishing_drills_held"),  # counts' units in the key messages (Japanese)
    "digest_freq_": ("on_change", "monthly"),  # the digest's subscription (dashboard/digest.py)
    "draft_err_": revision.ERROR_KEYS,  # the draft revision's errors (pipelines/revision.py)
    "rollup_flag_": ("F", "C", "S", "P"),  # roll-up flags + policy (dashboard/rollup/ui.py)
    "rollup_ds_": tuple(f"{d}{s}" for d in access.ROLLUP_DATASETS
                        for s in ("", "_def")),  # the roll-up's downloads
}


def _prefix(node: ast.expr) -> str | None:
    """The constant start of a key built at run time: f"status_{x}" or "data_kind_" + x."""
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0],
                                                                         ast.Constant):
        return node.values[0].value
    if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant):
        return node.left.value
    return None


def _scan() -> tuple[set[str], set[str], set[str]]:
    """(string literals outside the table's keys, literal keys asked for, run-time prefixes)."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in CODE}
    table_keys: set[int] = set()
    for p, tree in trees.items():
        if p.name == "i18n.py" and p.parent.name == "release":
            for node in ast.walk(tree):
                if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                        and node.target.id == "STRINGS" and isinstance(node.value, ast.Dict)):
                    table_keys |= {id(k) for k in node.value.keys}
    literals, asked, prefixes = set(), set(), set()
    for tree in trees.values():
        lookups = {"t"}  # t(...), i18n.t(...), v.t(...), and partials of i18n.t
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and ast.unparse(node.value.func) == "functools.partial"
                    and ast.unparse(node.value.args[0]) == "i18n.t"):
                lookups |= {ast.unparse(target) for target in node.targets}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in table_keys):
                literals.add(node.value)
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else ast.unparse(func)
                if name not in lookups:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    asked.add(first.value)
                elif isinstance(first, ast.IfExp):
                    asked |= {b.value for b in (first.body, first.orelse)
                              if isinstance(b, ast.Constant)}
                elif (prefix := _prefix(first)) is not None:
                    prefixes.add(prefix)
    return literals, asked, prefixes


def test_every_key_asked_for_is_in_the_table():
    _, asked, prefixes = _scan()
    assert sorted(prefixes - set(FAMILIES)) == [], "a key built at run time: add its FAMILY"
    built = {p + v for p in prefixes for v in FAMILIES[p]}
    pages = {p.title_key for p in (*nav.PLAN_PAGES, *nav.ANALYSIS_PAGES, *nav.ROLLUP_PAGES)}
    assert sorted((asked | built | pages) - set(i18n.STRINGS)) == []


def test_every_key_in_the_table_is_used():
    literals, _, prefixes = _scan()
    built = {p + v for p in prefixes for v in FAMILIES.get(p, ())}
    assert sorted(set(i18n.STRINGS) - literals - built) == []


def test_both_languages_have_the_placeholders():
    """Both texts exist and take the same values (the era is shown in Japanese only)."""
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    bad = [key for key, (ja, en) in i18n.STRINGS.items()
           if not (ja and en and fields(ja) - {"era"} == fields(en))]
    assert bad == []


# --- formatters --------------------------------------------------------------------------------

def test_fy_label_languages():
    assert fmt.fy_label(2022, "ja") == "令和4年度 (2022)"
    assert fmt.fy_label(2022, "en") == "FY2022"
    assert fmt.fy_label(2019, "ja") == "令和元年度 (2019)"
    assert "in progress" in fmt.fy_label(2026, "en", in_progress=True)
    assert "集計中" in fmt.fy_label(2026, "ja", in_progress=True)
    assert fmt.fy_tick(2022, "ja") == "令和4年度<br>(2022)"


def test_values_targets_and_changes():
    assert (fmt.value(None, False), fmt.value(1234, False), fmt.value(0.5, True)) == (
        "–", "1,234", "50.0%")
    assert fmt.value(2.345, False) == "2.35"
    assert fmt.target("range", 1, 2, False, "ja") == "1〜2"
    assert fmt.target("min", 1.0, None, True, "en") == "at least 100%"
    assert fmt.target(None, None, None, True, "en") == "no target"
    assert fmt.change(0.5, 0.25, True, "ja") == "+25.0ポイント"
    assert fmt.change(0.5, 0.25, True, "en") == "+25.0 pts"
    assert fmt.change(3, 5, False, "en") == "-2"
    assert fmt.change(3, None, False, "en") is None


def test_dates_and_timestamps():
    assert fmt.date(dt.date(2021, 4, 1), "ja") == "2021年4月1日"
    assert fmt.date(dt.date(2021, 4, 1), "en") == "2021-04-01"
    assert fmt.timestamp(dt.datetime(2021, 3, 31, 15, 30), "en") == "2021-04-01 00:30 JST"
    assert fmt.timestamp(None, "ja") == "–"
