"""The briefing packs as executives open them (issue 29): every PowerPoint file converted by
LibreOffice Impress (``soffice --headless --convert-to pdf``, all files in one run) and every
PDF of the product itself, read back with ``pdftotext -bbox``: no two words overlap, none
leaves its page. On the shipped sample (JA, EN, the plan review of r3, one bureau) and on a
data set with plan generations, a revision, and a bureau whose name is 1,203 characters long
(legal in the contract) chosen as the view's one bureau; the roll-up brief too.

Skipped (not failed) only when LibreOffice or poppler-utils is missing (``make browser``
installs both: libreoffice-impress poppler-utils).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_from
from pdf_layout import PDFTOTEXT, SOFFICE, problems, to_pdf
from test_plans import generations

from dashboard import brief
from dashboard.rollup import brief as rollup_brief

pytestmark = pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None,
                                reason="needs LibreOffice (soffice) and poppler-utils")

LONG = ("長い名称の局" * 201)[:1203]  # 1,203 characters


def _sample(tmp: Path) -> Path:
    from pipelines import sample
    from pipelines.warehouse import build

    raw = tmp / "raw"
    sample.generate(raw, staff=sample.DEFAULT_STAFF, seed=sample.DEFAULT_SEED)
    wh = tmp / "warehouse.duckdb"
    build(raw, wh)
    return wh


def _long_names(tmp: Path) -> Path:
    data = generations()
    data["bureaus"][0]["name_ja"] = LONG
    data["bureaus"][0]["name_en"] = ("A bureau with a very long name " * 40)[:1203]
    return build_from(data, tmp)


# (name, warehouse, lang, bureaus, plan)
CASES = (
    ("sample-ja", "sample", "ja", None, None),
    ("sample-en", "sample", "en", None, None),
    ("sample-ja-plan", "sample", "ja", None, "r3"),
    ("sample-en-plan", "sample", "en", None, "r3-rev1"),
    ("sample-ja-ICB", "sample", "ja", ["ICB"], None),
    ("long-ja", "long", "ja", ["B1"], "p2"),
    ("long-en", "long", "en", ["B1"], None),
    ("long-ja-all", "long", "ja", None, "p2r"),
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case's PPTX through LibreOffice and its own PDF: name → PDF file."""
    tmp = tmp_path_factory.mktemp("brief_layout")
    whs = {"sample": _sample(tmp / "sample"), "long": _long_names(tmp / "long")}
    out, pptx = {}, []
    for name, wh, lang, bureaus, plan in CASES:
        v = brief.view_for(whs[wh], lang=lang, bureaus=bureaus)
        for kind in brief.KINDS:
            path = tmp / f"{name}.{kind}"
            path.write_bytes(brief.build(v, kind, plan=plan))
            if kind == "pptx":
                pptx.append(path)
                out[f"{name}.source.pptx"] = path
            else:
                out[f"{name}.pdf"] = path
    for lang in ("ja", "en"):  # the roll-up's pack, organisations with a 1,203-character name
        pack = _rollup_pack(lang)
        for kind, make in (("pptx", rollup_brief.pptx_bytes), ("pdf", rollup_brief.pdf_bytes)):
            path = tmp / f"rollup-{lang}.{kind}"
            path.write_bytes(make(pack))
            if kind == "pptx":
                pptx.append(path)
            else:
                out[path.name] = path
    for path in to_pdf(pptx, tmp / "libreoffice"):
        out[f"{path.stem}.pptx"] = path
    return out


def _rollup_pack(lang: str) -> rollup_brief.Pack:
    """A roll-up pack as ``rollup_brief.content`` makes it, two organisations, one with a
    1,203-character name (on the title page and in the chart's legend)."""
    from dashboard.brief import Chart, Series

    names = (LONG, "総務省") if lang == "ja" else (LONG.replace("長い名称の局", "Long name "),
                                                   "MIC")
    table = rollup_brief.Table(title="Summary", header=("Metric", "A", "B"),
                               rows=(("Hires", "1", "2"), ("Rate", "90.0%", "95.0%")),
                               widths=(3.0, 2.0, 2.0), notes=("note",))
    chart = Chart(title="Hires", kind="bar", categories=("FY2024", "FY2025"),
                  series=tuple(Series(n, (1.0, 2.0)) for n in names), targets=(),
                  is_rate=False, caption="caption", ticks=("FY24", "FY25"),
                  axis_title="Fiscal year")
    return rollup_brief.Pack(lang=lang, title="Roll-up", subtitle="Executive briefing",
                             facts=(("Organisations", ", ".join(names)),
                                    ("As of", "2026-11-20")),
                             summary=table, chart=chart, chart_notes=("notes",),
                             government=table, pace_title="Pace", pace=("a line",))


NAMES = [f"{c[0]}.{k}" for c in CASES for k in ("pptx", "pdf")] + [
    f"rollup-{lang}.{k}" for lang in ("ja", "en") for k in ("pptx", "pdf")]


@pytest.mark.parametrize("name", NAMES)
def test_no_word_overlaps_or_leaves_the_page(rendered: dict[str, Path], name: str) -> None:
    overlaps, off = problems(rendered[name])
    assert (overlaps, off) == ([], []), f"{name}: {len(overlaps)} overlapping, {len(off)} off"


def test_long_name_in_full_in_the_notes_and_appendix(rendered: dict[str, Path]) -> None:
    """The 1,203-character name is clipped on the title page, in full in the PDF's appendix
    (and the PPTX's notes, read by test_brief)."""
    from pdf_layout import words

    found, _ = words(rendered["long-ja.pdf"])
    first = "".join(w.text for w in found if w.page == 1)
    assert "…" in first and LONG not in first
    last = max(w.page for w in found)
    assert LONG in "".join(w.text for w in found if w.page == last)
    from pptx import Presentation

    prs = Presentation(str(rendered["long-ja.source.pptx"]))
    title = prs.slides[0]
    shown = " ".join(sh.text_frame.text for sh in title.shapes if sh.has_text_frame)
    assert "…" in shown and LONG not in shown
    assert LONG in title.notes_slide.notes_text_frame.text
    found, _ = words(rendered["rollup-ja.pdf"])  # the roll-up's pack: the same appendix
    last = max(w.page for w in found)
    assert LONG not in "".join(w.text for w in found if w.page == 1)
    assert LONG in "".join(w.text for w in found if w.page == last)
