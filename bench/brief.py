"""Benchmark: the executive briefing pack on the sample data (issue 9; goal < 15 s each).

``python -m bench.brief`` builds the sample warehouse from data/raw into a temporary folder,
then times, each in a fresh process as a user would run it,

* a baseline: the same process start, imports and warehouse read (``kpi`` through
  ``dashboard.queries``) without making a file;
* ``python -m dashboard brief --out pack.pptx`` and ``--out pack.pdf``;

and prints the seconds, the ratio to the 15 s goal and the ratio to the baseline. Each is the
median of three runs. Made in the same run, so the numbers compare on any machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 15.0
REPEATS = 3
BASELINE = """
import sys, streamlit.logger
streamlit.logger.set_log_level("error")
from pathlib import Path
from dashboard import brief, queries
v = brief.view_for(Path(sys.argv[1]))
queries.kpi(v.run, v.bureaus)
"""


def _time(cmd: list[str]) -> float:
    runs = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main(raw: Path | None = None) -> int:
    raw = raw or ROOT / "data" / "raw"
    with tempfile.TemporaryDirectory(prefix="bench-brief-") as tmp:
        wh = Path(tmp) / "warehouse.duckdb"
        subprocess.run([sys.executable, "-m", "pipelines", "build", "--raw", str(raw),
                        "--warehouse", str(wh)], cwd=ROOT, check=True, capture_output=True)
        base = _time([sys.executable, "-c", BASELINE, str(wh)])
        print(f"briefing pack on {raw} (median of {REPEATS}, fresh process each)")
        print(f"  baseline (start, imports, read kpi): {base:6.2f} s")
        for kind in ("pptx", "pdf"):
            out = Path(tmp) / f"pack.{kind}"
            secs = _time([sys.executable, "-m", "dashboard", "brief", "--warehouse", str(wh),
                          "--out", str(out)])
            print(f"  {kind:4}: {secs:6.2f} s  ({out.stat().st_size:,} bytes)  "
                  f"goal ratio {secs / GOAL_S:.2f} (< 1 meets < {GOAL_S:.0f} s)  "
                  f"vs baseline {secs / base:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
