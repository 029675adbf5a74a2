"""Where every word of a PDF lands (issue 29): ``pdftotext -bbox`` (poppler-utils), and the
briefing packs' PowerPoint files through LibreOffice Impress (``soffice --headless
--convert-to pdf``), as an office client lays them out. Two words whose boxes intersect
overlap; a word not inside its page leaves it."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" '
                   r'yMax="([\d.-]+)">(.*?)</word>')
TOLERANCE = 0.6  # pt: glyph boxes of neighbouring words may touch
# a word's box is its font's whole height (ascent + descent), more than the line pitch of
# ordinary single spacing: consecutive lines' boxes meet by a point or two. Words overlap when
# their boxes share more than this part of the lower one's height (text printed over text).
LINE_SHARE = 0.3


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def words(pdf: Path) -> tuple[list[Word], list[tuple[float, float]]]:
    """Every word of ``pdf`` with its box (pt), and each page's size."""
    out = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    found, sizes = [], []
    for n, (w, h, body) in enumerate(_PAGE.findall(out), start=1):
        sizes.append((float(w), float(h)))
        for x0, y0, x1, y1, text in _WORD.findall(body):
            found.append(Word(n, html.unescape(text), float(x0), float(y0), float(x1),
                              float(y1)))
    return found, sizes


def problems(pdf: Path) -> tuple[list[str], list[str]]:
    """(pairs of overlapping words, words off their page) of ``pdf``, as readable lines."""
    found, sizes = words(pdf)
    overlaps, off = [], []
    by_page: dict[int, list[Word]] = {}
    for w in found:
        by_page.setdefault(w.page, []).append(w)
        pw, ph = sizes[w.page - 1]
        if w.x0 < -TOLERANCE or w.y0 < -TOLERANCE or w.x1 > pw + TOLERANCE \
                or w.y1 > ph + TOLERANCE:
            off.append(f"p{w.page} {w.text!r} ({w.x0:.0f},{w.y0:.0f})-({w.x1:.0f},{w.y1:.0f})")
    for page, ws in by_page.items():
        ws.sort(key=lambda w: w.y0)
        for i, a in enumerate(ws):
            for b in ws[i + 1:]:
                if b.y0 >= a.y1 - TOLERANCE:
                    break
                shared = min(a.y1, b.y1) - b.y0
                if shared <= LINE_SHARE * min(a.y1 - a.y0, b.y1 - b.y0):
                    continue
                if a.x0 < b.x1 - TOLERANCE and b.x0 < a.x1 - TOLERANCE:
                    overlaps.append(f"p{page} {a.text!r} × {b.text!r} "
                                    f"at ({b.x0:.0f},{b.y0:.0f})")
    return overlaps, off


def to_pdf(files: Sequence[Path], out_dir: Path) -> list[Path]:
    """``files`` (PowerPoint) converted by LibreOffice in one ``soffice`` run (its start takes
    seconds), with a throwaway profile (HOME) so that no user setting or lock interferes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home}
        subprocess.run([SOFFICE, "--headless", "--norestore", "--nolockcheck",
                        f"-env:UserInstallation=file://{home}/profile",
                        "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, files)],
                       env=env, capture_output=True, timeout=600, check=True)
    return [out_dir / (f.stem + ".pdf") for f in files]
