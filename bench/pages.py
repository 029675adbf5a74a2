"""Dashboard page render times (Streamlit AppTest), for ``python -m bench --pages``.

Each page is opened in its own AppTest session, rendered once to warm up (imports, the query
cache for this warehouse's run id), then rendered ``repeats`` more times; the median of those
reruns is the page's time — what a user waits for after changing a control.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from pathlib import Path

from pipelines.settings import ROOT

APP = ROOT / "dashboard" / "app.py"


def page_files() -> dict[str, str]:
    """Page name → file relative to app.py, for every page in the navigation."""
    from dashboard import nav

    return {Path(p.file).stem: p.file for p in (*nav.PLAN_PAGES, *nav.ANALYSIS_PAGES)}


def time_pages(warehouse: Path, repeats: int = 3) -> dict[str, float]:
    """Median seconds per page render on ``warehouse`` (after one warm-up render)."""
    from streamlit.testing.v1 import AppTest

    old = os.environ.get("DTP_WAREHOUSE")
    os.environ["DTP_WAREHOUSE"] = str(warehouse)
    try:
        out: dict[str, float] = {}
        for name, file in page_files().items():
            at = AppTest.from_file(str(APP), default_timeout=120)
            at.run()
            at.switch_page(file)
            at.run()  # warm-up
            if at.exception:
                raise RuntimeError(f"page {name} failed: {at.exception[0].value}")
            times = []
            for _ in range(max(1, repeats)):
                gc.collect()  # a collection inside a 50 ms render would be noise
                start = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - start)
            out[name] = statistics.median(times)
        return out
    finally:
        if old is None:
            os.environ.pop("DTP_WAREHOUSE", None)
        else:
            os.environ["DTP_WAREHOUSE"] = old


if __name__ == "__main__":
    import sys

    for page, secs in time_pages(Path(sys.argv[1])).items():
        print(f"{page:15s} {secs:.3f} s")
