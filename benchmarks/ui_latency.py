"""Measured interaction speed: the app against the floor this stack imposes, in a real Chromium.

    .venv/bin/python benchmarks/ui_latency.py [--rounds 3] [--reruns 6] [--json out.json]

Starts two servers on loopback (127.0.0.1, free ports): the app (app.py, Compare page) and
benchmarks/floor_app.py (the same widgets and charts, no computation). Rounds alternate the two
(ABBA order, so drift on a shared machine hits both alike). Each round, per server:

* **first chart** [ms]: a fresh browser context (a new session) from ``goto`` to the first plotly chart
  drawn (an SVG trace path present), on a warm server (one warm-up load per server first; the cold
  first load is reported apart);
* **rerun** [ms]: ``--reruns`` times, type a new "Requests per day" value (never repeated, so the
  app's evaluation cache never hits), press Enter, and time until the first chart's drawn trace
  changes (polled every animation frame in the page).

Prints medians and p95 per server and the ratio app / floor. Targets (issue 9): rerun within
1.25x of the floor, first chart within 1.5x. Bounded: every wait times out (120 s) and the whole
run stops at ``--budget`` seconds. Never run ``playwright install``: Debian's Chromium is used.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
INPUT_LABEL = "Requests per day [req/day]"
#: the drawn shape and y range of the page's first chart (first scatter line, else first bar): changes when
#: it is redrawn with new data (the range too: a path alone can stay the same when every trace scales alike)
SIGNATURE_JS = """() => {
  const g = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!g) return null;
  const p = g.querySelector('.scatterlayer path.js-line') || g.querySelector('.barlayer path');
  const y = g._fullLayout && g._fullLayout.yaxis ? g._fullLayout.yaxis.range.join(',') : '';
  return p ? p.getAttribute('d') + '|' + y : null;
}"""
WAIT_MS = 120_000


def find_chromium() -> Optional[str]:
    for cand in (os.environ.get("TCO_CHROMIUM"), "/usr/bin/chromium"):
        if cand and Path(cand).exists():
            return cand
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(script: Path, timeout_s: float = 90.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run script`` on 127.0.0.1:<free port>; yields (url, process); stops its process group."""
    port = free_port()
    cmd = [PYTHON, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{script.name}: streamlit exited with code {proc.returncode}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{script.name}: no answer on {url} within {timeout_s:.0f} s")
            time.sleep(0.3)
        yield url, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def rss_tree_mb(pid: int) -> float:
    """Resident memory [MB] of ``pid`` and all its descendants (VmRSS from /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    total_kb, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
    return total_kb / 1024


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d')}")


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def wait_idle(page) -> None:
    page.wait_for_timeout(200)
    page.wait_for_selector(IDLE, timeout=WAIT_MS)


def first_chart_ms(browser, url: str) -> tuple[float, object, object]:
    """(ms from navigation to the first drawn chart, context, page) in a fresh context."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(f"({SIGNATURE_JS})() !== null", timeout=WAIT_MS, polling="raf")
    ms = (time.perf_counter() - t0) * 1000
    wait_idle(page)
    return ms, ctx, page


def rerun_ms(page, value: float) -> float:
    """Type ``value`` into the requests-per-day input and time until the first chart is redrawn [ms]."""
    before = page.evaluate(SIGNATURE_JS)
    box = page.get_by_role("spinbutton", name=INPUT_LABEL, exact=True)
    box.fill(f"{value:.0f}")
    t0 = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(f"(before) => ({SIGNATURE_JS})() !== before && ({SIGNATURE_JS})() !== null",
                           arg=before, timeout=WAIT_MS, polling="raf")
    ms = (time.perf_counter() - t0) * 1000
    wait_idle(page)
    return ms


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reruns", type=int, default=6, help="input changes per round and server")
    ap.add_argument("--budget", type=float, default=900, help="stop after this many seconds [s]")
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("no Chromium (set TCO_CHROMIUM or apt-get install chromium; never `playwright install`)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    t_start = time.monotonic()
    res = {k: {"first": [], "rerun": [], "cold_first": None} for k in ("app", "floor")}
    value = 40_000.0
    with serve(ROOT / "app.py") as (app_url, app_proc), serve(ROOT / "benchmarks" / "floor_app.py") as (floor_url, _), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        urls = {"app": app_url, "floor": floor_url}
        for name, url in urls.items():  # warm-up: imports, catalog, first plotly bundle in the browser cache
            ms, ctx, _ = first_chart_ms(browser, url)
            res[name]["cold_first"] = ms
            ctx.close()
        for r in range(args.rounds):
            order = ("app", "floor") if r % 2 == 0 else ("floor", "app")
            for name in order:
                if time.monotonic() - t_start > args.budget:
                    break
                ms, ctx, page = first_chart_ms(browser, urls[name])
                res[name]["first"].append(ms)
                for _ in range(args.reruns):
                    value += 1_237  # a new value every time: no cache hit in the app
                    res[name]["rerun"].append(rerun_ms(page, value))
                ctx.close()
        browser.close()
    out = {"machine": machine(), "rounds": args.rounds, "reruns_per_round": args.reruns}
    print(f"ui_latency: {out['machine']}; {args.rounds} rounds x {args.reruns} reruns, app vs floor alternating")
    print(f"{'':22}{'app p50':>10}{'floor p50':>11}{'ratio':>8}{'app p95':>10}{'floor p95':>11}{'target':>8}")
    for metric, target in (("first", 1.5), ("rerun", 1.25)):
        a, f = res["app"][metric], res["floor"][metric]
        if not a or not f:
            continue
        ratio = statistics.median(a) / statistics.median(f)
        out[metric] = {"app_p50_ms": statistics.median(a), "floor_p50_ms": statistics.median(f), "ratio": ratio,
                       "app_p95_ms": pct(a, 0.95), "floor_p95_ms": pct(f, 0.95), "target": target, "n": len(a)}
        label = "first chart [ms]" if metric == "first" else "rerun to chart [ms]"
        print(f"{label:22}{statistics.median(a):10.0f}{statistics.median(f):11.0f}{ratio:7.2f}x"
              f"{pct(a, 0.95):10.0f}{pct(f, 0.95):11.0f}{'ok' if ratio <= target else 'MISSED':>8} (<= {target}x)")
    print(f"cold first chart [ms]: app {res['app']['cold_first']:.0f}, floor {res['floor']['cold_first']:.0f} "
          "(first load after server start)")
    out["cold_first_ms"] = {k: res[k]["cold_first"] for k in res}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
