"""Shared fixtures: a tiny real warehouse built once per session from tests/dataset.py, and
chromium for the real-browser tests (tests/browser_support.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import browser_support  # noqa: E402
import dataset  # noqa: E402

from pipelines.warehouse import build  # noqa: E402


@contextmanager
def _session_env(name: str, value: str) -> Iterator[None]:
    """``name`` set to ``value`` inside, put back as it was (or unset) after."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(name, value)
        yield


def build_from(data: dict, tmp: Path) -> Path:
    """Write ``data`` as CSVs under ``tmp`` and build a warehouse from them."""
    raw = dataset.write(data, tmp / "raw")
    wh = tmp / "warehouse.duckdb"
    build(raw, wh)
    return wh


@pytest.fixture(scope="session", autouse=True)
def _audit_log_outside_the_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test (and every app a browser test starts) writes its audit lines to a temporary
    file, never to the repository's data/audit.jsonl."""
    path = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    with _session_env("DTP_AUDIT_LOG", str(path)):
        yield path


@pytest.fixture(scope="session", autouse=True)
def _release_register_outside_the_repo(tmp_path_factory: pytest.TempPathFactory
                                       ) -> Iterator[Path]:
    """Every test (and every `publish` it runs) records releases in a temporary register,
    never in the repository's data/releases."""
    path = tmp_path_factory.mktemp("releases")
    with _session_env("DTP_RELEASES", str(path)):
        yield path


@pytest.fixture(scope="session", autouse=True)
def _no_digest_from_test_builds() -> Iterator[None]:
    """A version made live in a test never starts the executive digest (issue 25), even in a
    checkout with a real config/subscriptions.toml; tests/test_digest.py turns it on itself."""
    with _session_env("DTP_DIGEST_AUTO", "off"):
        yield


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from(dataset.base(), tmp_path_factory.mktemp("tiny"))


def kpi_row(wh: Path, metric: str, fy: int, bureau: str | None = None) -> dict:
    with duckdb.connect(str(wh), read_only=True) as con:
        rel = con.sql(
            "SELECT * FROM kpi WHERE metric = $m AND fiscal_year = $fy "
            "AND bureau_code IS NOT DISTINCT FROM $b",
            params={"m": metric, "fy": fy, "b": bureau},
        )
        rows = rel.fetchall()
        cols = rel.columns
    assert len(rows) == 1, (metric, fy, bureau, rows)
    return dict(zip(cols, rows[0], strict=True))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian chromium through Playwright, one per browser test module (browser_support)."""
    with browser_support.chromium() as b:
        yield b


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh context (1440×1000, Japanese locale) and page in the module's chromium."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def rollup_packs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two small, differently shaped organisations (own bureaus, sizes, targets and seeds;
    ``sample --organisation``), each built and published at "home" (threshold 5)."""
    from pipelines.sample import generate
    from release import publication
    from release.organisation import resolve

    root = tmp_path_factory.mktemp("rollup-packs")
    packs = []
    for code, seed in (("MOE", 21), ("XYZ", 22)):
        raw = root / f"raw-{code}"
        generate(raw, staff=150, seed=seed, organisation=code)
        wh = root / f"{code}.duckdb"
        build(raw, wh)
        packs.append(publication.write_pack(wh, root / f"pack-{code}", 5,
                                            resolve(code, None, None, raw)).out_dir)
    return packs


@pytest.fixture(scope="session")
def rollup_file(rollup_packs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A roll-up of the two organisations' packs (``rollup_packs``): the roll-up edition's
    tests (test_rollup_edition.py, test_browser_rollup.py)."""
    from release import rollup

    packs = rollup_packs
    root = tmp_path_factory.mktemp("rollup-edition")
    out = root / "rollup.duckdb"
    rollup.build_rollup(packs, out)
    return out


# A name that is Markdown (a link and an image to the sender's server; issue 28): a valid
# name, so the roll-up accepts it when the pack says it in every file; the pages show it as text.
HOSTILE_NAME = ("悪意省 [今すぐ確認](http://phish.invalid/phish) "
                "![x](http://beacon.invalid/beacon.png)")


@pytest.fixture(scope="session")
def hostile_rollup_file(rollup_packs: list[Path]) -> Path:
    """``rollup_packs``' organisations, XYZ published again under :data:`HOSTILE_NAME` (JA and
    EN): the roll-up edition's tests that pack text is data on every page."""
    from release import publication, rollup
    from release.organisation import Organisation

    root = rollup_packs[0].parent
    pack = publication.write_pack(root / "XYZ.duckdb", root / "pack-XYZ-hostile", 5,
                                  Organisation("XYZ", HOSTILE_NAME, HOSTILE_NAME)).out_dir
    out = root / "hostile-rollup.duckdb"
    rollup.build_rollup([rollup_packs[0], pack], out)
    return out
