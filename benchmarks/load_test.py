"""Many users at once: N concurrent browser sessions on the Compare page, and the server's memory.

    .venv/bin/python benchmarks/load_test.py [--sessions 1 5 10 20] [--reruns 5] [--total 500] [--json out.json]

Starts the app on loopback (127.0.0.1, a free port) and one headless Chromium. For each N, opens N
browser contexts (N separate Streamlit sessions) on the Compare page, then every session at the same
time types ``--reruns`` new "Requests per day" values (never repeated across sessions, so each is an
evaluation-cache miss) and times input -> updated chart (the first chart's drawn trace and y range
change). Reports p50/p95 per N and the server's CPU time per rerun (page loads included), which
tells the server's share from the browser's. Memory: the resident set (VmRSS) of the streamlit process and its
children after warm-up (the N = 1 phase) and after ``--total`` reruns in all (a soak phase of 5
sessions makes up the rest), with the sessions closed and 5 s to settle.

Targets (issue 9): p95 at 20 sessions within 2x of one session; memory flat after warm-up.
Bounded: each wait times out at 180 s and the run stops at ``--budget`` seconds. Browser and
server share this machine's cores, so on a small machine the browser's own rendering is part of
what is measured (the report says how many cores).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ui_latency import (INPUT_LABEL, LAUNCH_ARGS, ROOT, SIGNATURE_JS, find_chromium, machine,  # noqa: E402
                        pct, rss_tree_mb, serve)

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
WAIT_MS = 180_000


def cpu_s(pid: int) -> float:
    """User + system CPU time [s] of ``pid`` (the streamlit server: sessions run as its threads)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def open_session(browser, url: str):
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    await page.goto(url, timeout=WAIT_MS)
    await page.wait_for_function(f"({SIGNATURE_JS})() !== null", timeout=WAIT_MS, polling="raf")
    await page.wait_for_selector(IDLE, timeout=WAIT_MS)
    return ctx, page


async def rerun(page, value: float) -> float:
    """Type ``value``, press Enter, wait for the redrawn chart and the end of the run; ms to the chart."""
    before = await page.evaluate(SIGNATURE_JS)
    box = page.get_by_role("spinbutton", name=INPUT_LABEL, exact=True)
    await box.fill(f"{value:.0f}")
    t0 = time.perf_counter()
    await box.press("Enter")
    await page.wait_for_function(f"(b) => ({SIGNATURE_JS})() !== b && ({SIGNATURE_JS})() !== null", arg=before,
                                 timeout=WAIT_MS, polling="raf")
    ms = (time.perf_counter() - t0) * 1000
    await page.wait_for_timeout(100)
    await page.wait_for_selector(IDLE, timeout=WAIT_MS)
    return ms


failures: list[str] = []


async def phase(browser, url: str, n: int, reruns: int, base: float) -> list[float]:
    opened = await asyncio.gather(*(open_session(browser, url) for _ in range(n)), return_exceptions=True)
    sessions = [s for s in opened if not isinstance(s, BaseException)]
    failures.extend(f"session load: {s.__class__.__name__}" for s in opened if isinstance(s, BaseException))

    async def user(i: int, page) -> list[float]:
        out = []
        for k in range(reruns):
            try:
                out.append(await rerun(page, base + i * 10_007 + k * 131))
            except Exception as exc:  # a timed-out rerun counts as a failure, the others go on
                failures.append(f"session {i} rerun {k}: {exc.__class__.__name__}")
        return out

    times = [t for ts in await asyncio.gather(*(user(i, pg) for i, (_, pg) in enumerate(sessions))) for t in ts]
    await asyncio.gather(*(ctx.close() for ctx, _ in sessions))
    return times


async def run(args) -> dict:
    from playwright.async_api import async_playwright

    t_start = time.monotonic()
    out: dict = {"machine": machine(), "reruns_per_session": args.reruns, "phases": []}
    done = 0
    with serve(ROOT / "app.py") as (url, proc):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=args.chromium, args=LAUNCH_ARGS)
            out["rss_mb_started"] = rss_tree_mb(proc.pid)
            base = 30_000.0
            for n in args.sessions:
                if time.monotonic() - t_start > args.budget:
                    print(f"budget of {args.budget:.0f} s reached before N = {n}", file=sys.stderr)
                    break
                t0, c0 = time.monotonic(), cpu_s(proc.pid)
                times = await phase(browser, url, n, args.reruns, base)
                server_cpu_ms = (cpu_s(proc.pid) - c0) * 1000 / len(times)
                base += 1_000_000
                done += len(times)
                await asyncio.sleep(5)
                rss = rss_tree_mb(proc.pid)
                row = {"sessions": n, "reruns": len(times), "p50_ms": statistics.median(times),
                       "p95_ms": pct(times, 0.95), "max_ms": max(times), "wall_s": time.monotonic() - t0,
                       "server_cpu_ms_per_rerun": server_cpu_ms, "rss_mb_after": rss}
                out["phases"].append(row)
                print(f"N={n:>3}: {len(times):>4} reruns  p50 {row['p50_ms']:7.0f} ms  p95 {row['p95_ms']:7.0f} ms  "
                      f"max {row['max_ms']:7.0f} ms  ({row['wall_s']:.0f} s)  server CPU {server_cpu_ms:.0f} ms/rerun  "
                      f"RSS {rss:.0f} MB", flush=True)
                if n == args.sessions[0]:
                    out["rss_mb_warm"] = rss
            soak = []
            while done < args.total and time.monotonic() - t_start < args.budget:
                k = min(5, args.total - done)
                per = max(1, min(20, (args.total - done) // k))
                times = await phase(browser, url, k, per, base)
                base += 1_000_000
                soak += times
                done += len(times)
            await asyncio.sleep(5)
            out["reruns_total"] = done
            out["failures"] = failures
            out["rss_mb_after_total"] = rss_tree_mb(proc.pid)
            if soak:
                out["soak"] = {"reruns": len(soak), "p50_ms": statistics.median(soak), "p95_ms": pct(soak, 0.95)}
            await browser.close()
    return out


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    ap.add_argument("--reruns", type=int, default=5, help="input changes per session and phase")
    ap.add_argument("--total", type=int, default=500, help="reruns in all before the last memory reading")
    ap.add_argument("--budget", type=float, default=1500, help="stop starting new work after this many seconds")
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args(argv)
    args.chromium = find_chromium()
    if args.chromium is None:
        print("no Chromium (set TCO_CHROMIUM or apt-get install chromium; never `playwright install`)", file=sys.stderr)
        return 1
    print(f"load_test: {machine()}; app on 127.0.0.1; {args.reruns} reruns per session per phase", flush=True)
    out = asyncio.run(run(args))
    ph = {r["sessions"]: r for r in out["phases"]}
    if 1 in ph and max(ph) > 1:
        n = max(ph)
        ratio = ph[n]["p95_ms"] / ph[1]["p95_ms"]
        out["p95_ratio"] = {"sessions": n, "ratio": ratio}
        print(f"p95 at {n} sessions / p95 at 1 session: {ratio:.2f}x (target <= 2x: {'ok' if ratio <= 2 else 'MISSED'})")
    if "rss_mb_warm" in out:
        growth = out["rss_mb_after_total"] - out["rss_mb_warm"]
        print(f"server RSS: {out['rss_mb_started']:.0f} MB at start, {out['rss_mb_warm']:.0f} MB after warm-up, "
              f"{out['rss_mb_after_total']:.0f} MB after {out['reruns_total']} reruns ({growth:+.0f} MB)")
    if out.get("failures"):
        print(f"{len(out['failures'])} rerun(s) timed out: {out['failures'][:5]}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
