"""Serving benchmark (issue 19): what a visit costs the server, against Streamlit's own floor.

``python -m bench serve [--warehouse F] [--path /hiring?bureau=ICB] [--sessions 1,10]
[--visits 5] [--rounds 1] [--repeat 1] [--profile DIR]``

For each app — the dashboard on the warehouse, and ``bench/minimal_app.py`` (one title, one
Plotly chart) — and each N of ``--sessions``, a fresh ``streamlit run`` on 127.0.0.1 (through
``bench.probe``, which writes down every script run) is visited once to warm up (imports, the
query cache), then by N real browser sessions at once (Playwright, Debian chromium: one new
browser context each, i.e. a first visit): N = 1 ``--visits`` times in a row, larger N
``--rounds`` times. A visit has settled when the page's title is drawn, Streamlit's run is over
and no element still shows its loading placeholder (``stSkeleton``), checked twice 400 ms apart
(as tests/browser_support.py ``idle``). Reported per app and N:

* server CPU s per visit: user + system time of the server process (``/proc/<pid>/stat``, with
  its children), from before the visits until the server is quiet again after their browsers
  closed, divided by the visits;
* script runs per visit (from the probe's log) and their thread CPU;
* median and p95 settle time (from the navigation's start);
* the server's peak RSS (``VmHWM``) at the end.

The app and the minimal app alternate (``--repeat`` times), so both see the same machine load;
the ratios app ÷ minimal are printed last. ``--profile DIR`` instead profiles the script runs of
one first visit (after a warm-up visit) with cProfile and prints where the time went.

Everything is bounded (timeouts on every wait) and loopback only; servers and the browser are
stopped in ``finally``. Exit codes: 0 done, 1 a visit failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.settings import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
APPS = {"app": ROOT / "dashboard" / "app.py", "minimal": ROOT / "bench" / "minimal_app.py"}
SETTLED = ("() => !!document.querySelector('[data-testid=\"stMain\"] h1') && !document."
           "querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')")
TIMEOUT_MS = 120_000
TICK = os.sysconf("SC_CLK_TCK")


# --- the server -----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    probe_log: Path

    def cpu(self) -> float:
        """User + system CPU seconds of the server and its children (live and waited for)."""
        return _cpu(self.proc.pid) + sum(_cpu(c) for c in _children(self.proc.pid))

    def loop_cpu(self) -> float:
        """CPU seconds of the server's main thread: the event loop (static files, websocket
        messages); scripts run in threads of their own."""
        try:
            f = _stat_path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/stat")
        except OSError:
            return 0.0
        return (int(f[11]) + int(f[12])) / TICK

    def peak_rss_mb(self) -> float:
        return _status_kb(self.proc.pid, "VmHWM") / 1024

    def runs(self) -> list[dict]:
        if not self.probe_log.exists():
            return []
        return [json.loads(line) for line in self.probe_log.read_text().splitlines() if line]

    def quiet(self, limit: float = 15.0) -> None:
        """Wait (at most ``limit`` s) until the server used < 10 ms CPU over 0.5 s."""
        deadline = time.monotonic() + limit
        last = self.cpu()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu()
            if now - last < 0.01:
                return
            last = now


def _stat_path(path: str) -> list[str]:
    with open(path) as f:
        return f.read().rsplit(")", 1)[1].split()  # fields from 3 (state) on


def _stat(pid: int) -> list[str]:
    return _stat_path(f"/proc/{pid}/stat")


def _cpu(pid: int) -> float:
    try:
        f = _stat(pid)
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime are fields 14–17 (1-based); f[0] is field 3
    return sum(int(x) for x in f[11:15]) / TICK


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(_stat(int(d))[1]) == pid:
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                continue
    return out


def _status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def start(app: Path, warehouse: Path, workdir: Path, profile: Path | None = None) -> Server:
    """``streamlit run app`` through the probe on a free loopback port, once it answers."""
    port = _free_port()
    probe_log = workdir / f"runs-{port}.jsonl"
    env = {**os.environ, "DTP_WAREHOUSE": str(warehouse), "DTP_PROBE_LOG": str(probe_log)}
    if profile is not None:
        env["DTP_PROBE_PROFILE"] = str(profile)
    log = workdir / f"streamlit-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.probe", str(app),
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return Server(proc, url, probe_log)
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"{app.name} did not start: " + log.read_text()[-2000:])
        time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- visits ---------------------------------------------------------------------------------------

class VisitFailed(RuntimeError):
    pass


async def _visit(browser, url: str, context=None) -> float:  # noqa: ANN001 — Playwright objects
    """One first visit of a Streamlit session: a new tab in ``context`` (a browser that has
    been here before: its cache holds Streamlit's static files), else in a new browser context
    (nothing cached). Returns the seconds until the page has settled."""
    own = context is None
    if own:
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    try:
        t0 = time.perf_counter()
        await page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        for _ in range(50):  # settled, and still so 400 ms later (a rerun may follow a run)
            await page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)
            settled = time.perf_counter() - t0
            await page.wait_for_timeout(400)
            if await page.evaluate(SETTLED):
                break
        else:
            raise VisitFailed(f"{url}: never settled")
        problem = await page.evaluate(
            "() => !document.querySelector('[data-testid=\"stPlotlyChart\"]') ? 'no chart' : "
            "document.querySelector('[data-testid=\"stException\"], "
            "[data-testid=\"stAlertContentError\"]')?.innerText || ''")
        if problem:
            raise VisitFailed(f"{url}: {problem[:300]}")
        return settled
    finally:
        await page.close()
        if own:
            await context.close()


def _gc_total(runs: list[dict]) -> float:
    return runs[-1]["gc_total"] if runs else 0.0


MODES = ("cold", "warm")  # a browser new to the server / one whose cache holds its static files


@dataclass
class Batch:
    settles: list[float]
    cpu: float  # server CPU s per visit
    loop_cpu: float  # of which the server's main thread (HTTP, websocket, event loop)
    runs: float  # script runs per visit (bench.probe's log)
    run_cpu: float  # their script-thread CPU s per visit
    after_cpu: float  # Streamlit's clean-up after them (its garbage collection), per visit
    gc: float  # seconds in garbage collection per visit


async def _visits(url: str, n: int, batches: int, modes: tuple[str, ...], server: Server
                  ) -> dict[str, list[Batch]]:
    """Per mode, ``batches`` times ``n`` visits at once (after one warm-up visit)."""
    from playwright.async_api import async_playwright

    out: dict[str, list[Batch]] = {m: [] for m in modes}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            warm = await browser.new_context(viewport={"width": 1400, "height": 1000})
            await _visit(browser, url, warm)  # warm-up: imports, caches, the browser's cache
            for mode in modes:
                for _ in range(batches):
                    await asyncio.to_thread(server.quiet)
                    before = server.runs()
                    cpu, loop, gc0 = server.cpu(), server.loop_cpu(), _gc_total(before)
                    settles = await asyncio.gather(*(
                        _visit(browser, url, warm if mode == "warm" else None)
                        for _ in range(n)))
                    await asyncio.to_thread(server.quiet)
                    after = server.runs()
                    runs = after[len(before):]
                    out[mode].append(Batch(
                        list(settles), (server.cpu() - cpu) / n, (server.loop_cpu() - loop) / n,
                        runs=len(runs) / n, run_cpu=sum(r["cpu"] for r in runs) / n,
                        after_cpu=sum(r["after_cpu"] for r in runs) / n,
                        gc=(_gc_total(after) - gc0) / n))
        finally:
            await browser.close()
    return out


@dataclass
class Result:
    batches: list[Batch] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)  # peak MB per server

    def per_batch(self, name: str) -> list[float]:
        return [getattr(b, name) for b in self.batches]

    @property
    def settles(self) -> list[float]:
        return [x for b in self.batches for x in b.settles]


Key = tuple[str, int, str]  # app, N, mode


def measure(app: str, path: str, warehouse: Path, n: int, batches: int,
            modes: tuple[str, ...], workdir: Path, results: dict[Key, Result]) -> None:
    """One fresh server of ``app``: a warm-up visit, then per mode ``batches`` × ``n``."""
    server = start(APPS[app], warehouse, workdir)
    try:
        url = server.url + (path if app == "app" else "/")
        done = asyncio.run(_visits(url, n, batches, modes, server))
        rss = server.peak_rss_mb()
    finally:
        stop(server.proc)
    for mode, got in done.items():
        r = results.setdefault((app, n, mode), Result())
        r.batches += got
        r.rss.append(rss)


# --- report ---------------------------------------------------------------------------------------

def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(0.95 * len(xs) + 0.5) - 1))]


def _span(xs: list[float], digits: int) -> str:
    if not xs:
        return "—"
    text = f"{statistics.median(xs):.{digits}f}"
    if len(xs) > 1:
        text += f" ({min(xs):.{digits}f}–{max(xs):.{digits}f})"
    return text


def report(results: dict[Key, Result], sessions: list[int], modes: tuple[str, ...]) -> None:
    """Medians (ranges over batches) for the app and the minimal app, and app ÷ minimal."""
    print()
    print(f"{'':26s}{'app':>24s}{'minimal':>24s}{'ratio':>8s}")
    for n in sessions:
        for mode in modes:
            a, m = results[("app", n, mode)], results[("minimal", n, mode)]
            rows = [
                ("server CPU s / visit", a.per_batch("cpu"), m.per_batch("cpu"), 3),
                ("  main thread", a.per_batch("loop_cpu"), m.per_batch("loop_cpu"), 3),
                ("  script runs (thread)", a.per_batch("run_cpu"), m.per_batch("run_cpu"), 3),
                ("  after the runs", a.per_batch("after_cpu"), m.per_batch("after_cpu"), 3),
                ("garbage collection s", a.per_batch("gc"), m.per_batch("gc"), 3),
                ("script runs / visit", a.per_batch("runs"), m.per_batch("runs"), 2),
                ("settle median s", [statistics.median(a.settles)],
                 [statistics.median(m.settles)], 2),
                ("settle p95 s", [_p95(a.settles)], [_p95(m.settles)], 2),
                ("peak RSS MB", a.rss, m.rss, 0),
            ]
            print(f"N = {n}, {mode} browser cache ({len(a.settles)} visits each)")
            for label, xa, xm, digits in rows:
                ratio = (f"{statistics.median(xa) / statistics.median(xm):8.2f}"
                         if xa and xm and statistics.median(xm) else "")
                print(f"  {label:24s}{_span(xa, digits):>24s}{_span(xm, digits):>24s}{ratio}")
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average at the end: {load} on {os.cpu_count()} cores")
    except OSError:
        pass


# --- profile --------------------------------------------------------------------------------------

def profile(path: str, warehouse: Path, workdir: Path, out: Path, top: int = 35) -> None:
    """cProfile of the script runs of one first visit (after a warm-up visit)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("run-*.prof"):
        old.unlink()
    server = start(APPS["app"], warehouse, workdir, profile=out)
    try:
        asyncio.run(_visits(server.url + path, 1, 1, ("cold",), server))
        runs = server.runs()
    finally:
        stop(server.proc)
    warm = {r["session"] for r in runs[:1]}
    measured = [r for r in runs if r["session"] not in warm]
    for r in measured:
        print(f"run {r['n']}: {r['cpu']:.3f} CPU s, {r['wall']:.3f} s wall, "
              f"rerun={r['rerun']}, query={r['query']!r}")
    files = [str(out / f"run-{r['n']}.prof") for r in measured]
    if files:
        stats = pstats.Stats(*files)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        print(f"profiles: {', '.join(files)}")


# --- CLI ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench serve",
                                description="server cost of a visit, against a minimal app")
    p.add_argument("--warehouse", type=Path, default=ROOT / "data" / "warehouse.duckdb",
                   help="warehouse file (default: the sample's, `make warehouse`)")
    p.add_argument("--path", default="/hiring?bureau=ICB",
                   help="the page and filter each session opens (default /hiring?bureau=ICB)")
    p.add_argument("--sessions", default="1,10",
                   help="comma-separated numbers of concurrent sessions (default 1,10)")
    p.add_argument("--visits", type=int, default=5,
                   help="visits in a row for N = 1 (default 5)")
    p.add_argument("--rounds", type=int, default=1,
                   help="rounds of N concurrent visits for N > 1 (default 1)")
    p.add_argument("--repeat", type=int, default=1,
                   help="alternate app and minimal app K times (default 1)")
    p.add_argument("--cache", choices=("cold", "warm", "both"), default="both",
                   help="visits from a browser new to the server (cold: it fetches Streamlit's "
                        "static files), one that has been there (warm), or both (default)")
    p.add_argument("--profile", type=Path, default=None, metavar="DIR",
                   help="profile one first visit's script runs into DIR instead")
    args = p.parse_args(argv)
    try:
        sessions = [int(x) for x in args.sessions.split(",") if x.strip()]
    except ValueError:
        p.error("--sessions: comma-separated whole numbers, e.g. 1,10")
    if not sessions or any(not 1 <= n <= 50 for n in sessions):
        p.error("--sessions: between 1 and 50 each")
    if not 1 <= args.visits <= 100 or not 1 <= args.rounds <= 20 or not 1 <= args.repeat <= 20:
        p.error("--visits 1–100, --rounds 1–20, --repeat 1–20")
    if not args.path.startswith("/"):
        p.error("--path starts with /")
    if not args.warehouse.is_file():
        p.error(f"--warehouse {args.warehouse}: no such file (make warehouse)")
    if not CHROMIUM.exists():
        print(f"needs Debian chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    warehouse = args.warehouse.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        workdir = Path(tmp)
        try:
            if args.profile is not None:
                profile(args.path, warehouse, workdir, args.profile)
                return 0
            modes = MODES if args.cache == "both" else (args.cache,)
            results: dict[Key, Result] = {}
            for k in range(args.repeat):
                for n in sessions:
                    for app in ("app", "minimal"):  # alternating: the same load for both
                        batches = args.visits if n == 1 else args.rounds
                        started = time.perf_counter()
                        measure(app, args.path, warehouse, n, batches, modes, workdir, results)
                        got = ", ".join(f"{mode} {statistics.median(cpu[-batches:]):.3f}"
                                        for mode in modes
                                        if (cpu := results[(app, n, mode)].per_batch("cpu")))
                        print(f"[{k + 1}/{args.repeat}] {app:8s} N={n:<3d} CPU s/visit {got} "
                              f"({time.perf_counter() - started:.0f} s)", flush=True)
            report(results, sessions, modes)
        except VisitFailed as exc:
            print(f"visit failed: {exc}", file=sys.stderr)
            return 1
    return 0
