"""``python -m bench.probe SCRIPT [streamlit options]``: ``streamlit run SCRIPT`` with every script
run written down — for the serving benchmark (bench/serve.py), never for production.

Each script run (Streamlit's ``exec_func_with_error_handling``, once per run of the script,
including the reruns that ``st.rerun``/``st.switch_page`` or a widget make) appends one JSON line
to ``$DTP_PROBE_LOG`` once it has finished: session id, wall and thread-CPU seconds, whether it
ended in a rerun, the CPU seconds of Streamlit's clean-up after it (``_on_script_finished``,
where it collects garbage: ``runner.postScriptGC``) and the seconds the process has spent in
garbage collections so far (``gc.callbacks``). With ``DTP_PROBE_PROFILE=DIR`` each run is also
profiled (cProfile, in the script thread) into ``DIR/run-<n>.prof``.
"""

from __future__ import annotations

import cProfile
import gc
import itertools
import json
import os
import sys
import threading
import time
from pathlib import Path

_gc = {"seconds": 0.0, "started": 0.0}


def _gc_timer(phase: str, info: dict) -> None:
    if phase == "start":
        _gc["started"] = time.perf_counter()
    else:
        _gc["seconds"] += time.perf_counter() - _gc["started"]


def _install(log: Path, profile_dir: Path | None) -> None:
    from streamlit.runtime.scriptrunner import script_runner

    gc.callbacks.append(_gc_timer)
    real_exec = script_runner.exec_func_with_error_handling
    real_finished = script_runner.ScriptRunner._on_script_finished
    lock = threading.Lock()
    numbers = itertools.count(1)
    pending = threading.local()  # the run of this script thread, written once it has finished

    def probed(func, ctx):  # noqa: ANN001, ANN202 — Streamlit's own signature
        n = next(numbers)
        prof = cProfile.Profile() if profile_dir is not None else None
        wall, cpu = time.perf_counter(), time.thread_time()
        if prof is not None:
            prof.enable()
        try:
            result = real_exec(func, ctx)
        finally:
            if prof is not None:
                prof.disable()
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        pending.line = {"n": n, "session": ctx.session_id, "wall": round(wall, 4),
                        "cpu": round(cpu, 4), "rerun": bool(result[2]),  # rerun data
                        "query": ctx.query_string}
        if prof is not None:
            prof.dump_stats(profile_dir / f"run-{n}.prof")
        return result

    def finished(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        cpu = time.thread_time()
        try:
            return real_finished(self, *args, **kwargs)  # Streamlit's gc.collect(2) is here
        finally:
            line = getattr(pending, "line", None)
            if line is not None:
                pending.line = None
                line["after_cpu"] = round(time.thread_time() - cpu, 4)
                line["gc_total"] = round(_gc["seconds"], 4)
                with lock, open(log, "a") as out:
                    out.write(json.dumps(line) + "\n")

    script_runner.exec_func_with_error_handling = probed
    script_runner.ScriptRunner._on_script_finished = finished


def main(argv: list[str]) -> int:
    log = Path(os.environ["DTP_PROBE_LOG"])
    profile = os.environ.get("DTP_PROBE_PROFILE")
    _install(log, Path(profile) if profile else None)
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", "run", *argv]
    return streamlit_main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
