"""The layers (issue 17): ``release`` (disclosure, publication, public edition, exports) and
``pipelines`` are Streamlit-free and never import the dashboard, so ``pipelines publish``,
``pipelines rollup`` and the dashboard share them. Checked twice: statically with an
import-linter contract (every import, lazy ones inside functions included), and at run time
in a fresh interpreter (what importing each module really loads)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

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
