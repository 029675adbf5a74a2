"""The layers (issue 17): ``release`` (disclosure, publication, public edition, exports) and
``pipelines`` are Streamlit-free and never import the dashboard, so ``pipelines publish``,
``pipelines rollup`` and the dashboard share them. Checked twice: statically with an
import-linter contract (every import, lazy ones inside functions included), and at run time
in a fresh interpreter (what importing each module really loads).

The two editions of the dashboard (issue 24, item 6): the roll-up edition is its own package,
``dashboard.rollup`` (its pages in ``dashboard/rollup/views/``). The ministry edition's modules
never import it (``dashboard.app``, the entry point of every edition, is the one that does), and
it imports only the modules both editions share (``SHARED``), never a ministry-only one (plan
pace, review, deliveries, digest, ...). The page scripts are not modules (no import graph for
them): their imports are read with ``ast``."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# the dashboard modules both editions use (``datasets`` and ``review`` only as the imports of
# ``downloads`` and ``brief``: the download budget and the briefing pack's machinery); every
# other module of dashboard/ (but app.py, the entry point) is the ministry edition's own, and
# the roll-up never imports it, directly or not
SHARED = ("access", "audit", "brief", "charts", "datasets", "downloads", "fmt", "messages", "nav",
          "queries", "review", "signin", "state", "ui")
MINISTRY = tuple(sorted(f"dashboard.{m.name}"
                        for m in pkgutil.iter_modules([str(ROOT / "dashboard")])
                        if m.name not in ("app", "rollup", "__main__")))
MINISTRY_ONLY = tuple(m for m in MINISTRY if m.split(".")[1] not in SHARED)
_INDENT = "\n    "

CONTRACTS = """
[importlinter]
root_packages =
    release
    pipelines
    dashboard
include_external_packages = True

[importlinter:contract:release-pipelines-no-ui]
name = release and pipelines never import Streamlit or the dashboard
type = forbidden
source_modules =
    release
    pipelines
forbidden_modules =
    streamlit
    dashboard

[importlinter:contract:layers]
name = dashboard above release above pipelines
type = layers
layers =
    dashboard
    release
    pipelines
exhaustive = false
# the CLI (python -m pipelines publish / rollup) is an entry point above the layers; the
# delivery flow's messages and summary line take their words from the string table
ignore_imports =
    pipelines.__main__ -> release.*
    pipelines.delivery.* -> release.i18n

[importlinter:contract:delivery]
name = the delivery flow (pipelines.delivery) is Streamlit- and dashboard-free, and the build
    never imports it
type = forbidden
source_modules =
    pipelines.delivery
forbidden_modules =
    streamlit
    dashboard
    release.connection
    release.disclosure
    release.publication

[importlinter:contract:build-not-delivery]
name = the build and the sample never import the delivery flow
type = forbidden
source_modules =
    pipelines.warehouse
    pipelines.raw
    pipelines.sql
    pipelines.sample
forbidden_modules =
    pipelines.delivery

[importlinter:contract:ministry-not-rollup]
name = the ministry edition's modules never import the roll-up edition (dashboard.rollup)
type = forbidden
source_modules =
    """ + _INDENT.join(MINISTRY) + """
forbidden_modules =
    dashboard.rollup

[importlinter:contract:rollup-not-ministry]
name = the roll-up edition imports only the dashboard modules both editions share
type = forbidden
source_modules =
    dashboard.rollup
forbidden_modules =
    """ + _INDENT.join(MINISTRY_ONLY) + """
"""


def test_import_linter_contracts(tmp_path):
    pytest.importorskip("importlinter")
    cfg = tmp_path / "importlinter.ini"
    cfg.write_text(CONTRACTS, encoding="utf-8")
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), str(cfg), "--no-cache"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def _modules(package: str) -> list[str]:
    path = ROOT / package
    return [package] + [f"{package}.{m.name}" for m in pkgutil.walk_packages(
        [str(path)], prefix="") if not m.name.startswith("_")]


@pytest.mark.parametrize("package", ["release", "pipelines"])
def test_importing_release_or_pipelines_loads_no_streamlit_or_dashboard(package):
    """Each module imported on its own in a fresh interpreter: neither ``streamlit`` nor any
    ``dashboard`` module is in ``sys.modules`` afterwards."""
    code = (
        "import importlib, sys\n"
        f"for name in {_modules(package)!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'dashboard'))\n"
        "print(' '.join(bad))\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"{package} loads {r.stdout.strip()}"


def _page_imports(page: Path) -> set[str]:
    """The modules a page script imports (``from dashboard import x`` counts as
    ``dashboard.x``)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(page.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def test_the_editions_pages_keep_to_their_edition():
    """The page scripts (run by ``st.navigation``, imported by no module): a ministry page never
    imports the roll-up package, a roll-up page never a ministry-only module."""
    assert MINISTRY_ONLY and "dashboard.queries" in MINISTRY
    ministry_pages = sorted((ROOT / "dashboard" / "views").glob("*.py"))
    rollup_pages = sorted((ROOT / "dashboard" / "rollup" / "views").glob("*.py"))
    assert ministry_pages and rollup_pages
    bad = [f"{p.name} imports {m}" for p in ministry_pages for m in sorted(_page_imports(p))
           if m == "dashboard.rollup" or m.startswith("dashboard.rollup.")]
    bad += [f"rollup/views/{p.name} imports {m}" for p in rollup_pages
            for m in sorted(_page_imports(p)) if m in MINISTRY_ONLY]
    assert not bad, bad


def test_importing_either_edition_loads_none_of_the_other():
    """In fresh interpreters: the ministry edition's modules load no ``dashboard.rollup``
    module; the roll-up package's modules load no ministry-only module."""
    rollup = ["dashboard.rollup"] + [f"dashboard.rollup.{m.name}" for m in pkgutil.iter_modules(
        [str(ROOT / "dashboard" / "rollup")]) if not m.name.startswith("_")]
    for names, bad in ((list(MINISTRY), ("dashboard.rollup",)), (rollup, MINISTRY_ONLY)):
        code = (
            "import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n"
            f"bad = {tuple(bad)!r}\n"
            "print(' '.join(sorted(m for m in sys.modules\n"
            "                      if any(m == b or m.startswith(b + '.') for b in bad))))\n")
        r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "", f"{names} load {r.stdout.strip()}"


def test_the_page_list_points_each_edition_at_its_own_pages():
    """``nav``: the roll-up's pages are ``dashboard/rollup/views/``, the ministry's
    ``dashboard/views/``; every file named is there, and every roll-up page file is listed."""
    from dashboard import nav

    app_dir = ROOT / "dashboard"
    ministry = {p.file for p in (*nav.PLAN_PAGES, *nav.ANALYSIS_PAGES)}
    ministry |= set(nav.METRIC_PAGE.values())
    rollup = {p.file for p in nav.ROLLUP_PAGES}
    assert all(f.startswith("views/") for f in ministry), ministry
    assert all(f.startswith("rollup/views/") for f in rollup), rollup
    missing = sorted(f for f in ministry | rollup if not (app_dir / f).is_file())
    assert not missing, missing
    assert {f"rollup/views/{p.name}" for p in (app_dir / "rollup" / "views").glob("*.py")} \
        == rollup
