"""Many users at once: N concurrent sessions on the Compare page, and the server's memory.

Protocol mode (what a deployment needs to know: sessions held per server process):

    .venv/bin/python benchmarks/load_test.py --clients 1 20 50 100 --think 15 45 --duration 300 \
                                             [--url http://host:port] [--no-browser-check] --json out.json

N clients speak Streamlit's websocket protocol directly (benchmarks/st_protocol.py: open a session, send
a widget change, wait for the server's "script finished"), each changing "Requests per day" after a
think time drawn from ``--think LO HI``. They cost the machine almost nothing beyond the server (no
layout, no drawing), so the numbers are the server's. Each phase (one N):

* **ramp-up**: the N sessions open one after another, evenly over ``--ramp`` seconds (default: the
  longest think time), each starting its think-and-change loop once open; one headless Chromium page
  loads the Compare page halfway through and checks that a chart is drawn (``--no-browser-check`` to
  leave it out). Nothing of the ramp is counted: not the first page loads (a new session costs several
  reruns), not the reruns sent while sessions are still arriving, not the browser's CPU.
* **measured window** of ``--duration`` seconds, from the end of the ramp (and of the browser check):
  input -> script finished p50 / p95 of the reruns *sent* in the window, errors (a failed or timed-out
  run, an exception drawn by the app), server CPU per rerun and share of a core (the server's CPU time
  read at the window's edges / reruns in it; idle work such as Streamlit's config-file polling
  included), the server's memory after the phase.
* **the 1-client baseline** (N = 1) has no ramp, uses ``--baseline-think`` (default 2-4 s) and runs
  until it has at least ``--min-reruns`` reruns (default 30): alone, a client's pauses only set the wall
  time (a run takes ~0.1 s), and with the 15-45 s think time a 120 s window held 3 reruns, a p95 of
  nothing. Short pauses keep the process as warm as under load, so the baseline is not slowed by idling.
* the machine's 1-minute load average (/proc/loadavg) every 5 s, reported per ramp and window: the
  machine is shared, so every number goes with the load it was measured under.

It starts its own server unless given ``--url`` (e.g. the proxy of scripts/serve.sh; server CPU and
memory are then not measured). ``--json`` writes ``{"results": [{"clients": N, "reruns": R, "p50_ms": X,
"p95_ms": Y, "errors": E, ...}, ...]}`` (plus the load averages, ramp and window lengths per phase).

Browser mode (below; what one browser user sees, on a machine shared with the browsers):

    .venv/bin/python benchmarks/load_test.py [--sessions 1 5 10 20] [--reruns 4] [--think 15 45] [--total 500]
                                             [--app app|floor] [--json out.json]

Starts the app on loopback (127.0.0.1, a free port) and one headless Chromium. For each N it opens N
browser contexts (N separate Streamlit sessions) on the Compare page; once all have drawn their first
chart, every session, as a user would, repeatedly types a new "Requests per day" value (never repeated
across sessions, so each is an evaluation-cache miss), waits for the redrawn chart, and reads it for a
*think time* drawn uniformly from ``--think MIN MAX`` seconds (default 15-45 s: a page of metrics, five
charts and a table) before the next change. Sessions start at random offsets within the first think
time, so they are not in step. ``--think 0 0`` is the stress case instead: every session changes its
input again the moment its chart is redrawn.

Reports per N: p50/p95 of input -> redrawn chart (the first chart's drawn trace and y range change)
and of input -> the server's "script finished" message reaching the page (the server's share,
queueing behind other sessions included, before the browser draws); CPU time per rerun of the server
and of the browser (Chromium and the Playwright driver, which draw every page on the same cores); and
the share of the machine's cores busy. Memory: the resident set (VmRSS) of the streamlit process and
its children after warm-up (the first phase) and after ``--total`` reruns in all (a soak phase of 5
sessions with a short think time makes up the rest), with the sessions closed and 5 s to settle.

The load generator shares the machine with the server; it runs at ``--client-nice`` (default 10), so the
server under test gets the CPU first, as it would with users on their own machines (the browsers'
drawing still competes with each other: that part of input -> chart grows with N on a small machine).
The single-session baseline (N = 1) makes ``--baseline-reruns`` changes with the soak's short think
time: alone, its pauses change nothing but the run time.

``--app floor`` runs the same load against benchmarks/floor_app.py (the page's widgets and charts with
no computation): what Streamlit and the browser alone do under the same load.

Targets (issue 9): p95 at 20 sessions within 2x of one session; memory flat after warm-up.
Bounded: each wait times out at 180 s and the run stops starting new work at ``--budget`` seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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
SCRIPTS = {"app": ROOT / "app.py", "floor": ROOT / "benchmarks" / "floor_app.py"}
TICK = os.sysconf("SC_CLK_TCK")
#: [ms] how often a page checks for its redrawn chart: a timer rather than every animation frame, so a
#: waiting page is not asked for frames (on one page the two measured the same browser CPU). The timing
#: error it adds is < POLL_MS, alike for every N.
POLL_MS = 25


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, user + system CPU [s]) for every process."""
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                f = (d / "stat").read_text().rsplit(")", 1)[1].split()
                out[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / TICK)
            except (OSError, IndexError, ValueError):
                continue
    return out


def tree_cpu_s(root: int, exclude: int = -1) -> float:
    """CPU time [s] of ``root`` and its live descendants, leaving out the subtree of ``exclude``."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid == exclude or pid not in table:
            continue
        total += table[pid][1]
        todo += children.get(pid, [])
    return total


def cpu_s(pid: int) -> float:
    """User + system CPU time [s] of ``pid`` (the streamlit server: sessions run as its threads)."""
    return tree_cpu_s(pid)


#: page -> times (perf_counter) at which the server's "script finished" message reached the page
FINISHED: dict = {}


def _watch_script_runs(page) -> None:
    """Record when each "script finished" message arrives over the page's websocket: input -> that moment
    is the server's share of a rerun (queueing behind other sessions included), before any drawing."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    times = FINISHED.setdefault(page, [])

    def on_frame(payload) -> None:
        if isinstance(payload, (bytes, bytearray)) and len(payload) < 512:  # the message is a few bytes
            msg = ForwardMsg()
            try:
                msg.ParseFromString(bytes(payload))
            except Exception:  # not a ForwardMsg: ignore
                return
            if msg.WhichOneof("type") == "script_finished":
                times.append(time.perf_counter())

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))


async def open_session(browser, url: str, gate: asyncio.Semaphore):
    async with gate:  # a few page loads at a time: 20 at once would only queue in the same 2 cores
        ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await ctx.new_page()
        _watch_script_runs(page)
        await page.goto(url, timeout=WAIT_MS)
        await page.wait_for_function(f"({SIGNATURE_JS})() !== null", timeout=WAIT_MS, polling="raf")
        await page.wait_for_selector(IDLE, timeout=WAIT_MS)
        return ctx, page


async def rerun(page, value: float) -> tuple[float, Optional[float]]:
    """Type ``value``, press Enter, wait for the redrawn chart and the end of the run.

    Returns (ms to the redrawn chart, ms to the server's "script finished" message or None)."""
    before = await page.evaluate(SIGNATURE_JS)
    box = page.get_by_role("spinbutton", name=INPUT_LABEL, exact=True)
    await box.fill(f"{value:.0f}")
    t0 = time.perf_counter()
    await box.press("Enter")
    await page.wait_for_function(f"(b) => ({SIGNATURE_JS})() !== b && ({SIGNATURE_JS})() !== null", arg=before,
                                 timeout=WAIT_MS, polling=POLL_MS)
    ms = (time.perf_counter() - t0) * 1000
    await page.wait_for_selector(IDLE, timeout=WAIT_MS)
    done = [t for t in FINISHED.get(page, ()) if t > t0]
    return ms, ((done[0] - t0) * 1000 if done else None)


failures: list[str] = []


async def phase(browser, url: str, n: int, reruns: int, base: float, think: tuple[float, float],
                rng: random.Random, server_pid: int) -> dict:
    gate = asyncio.Semaphore(4)
    opened = await asyncio.gather(*(open_session(browser, url, gate) for _ in range(n)), return_exceptions=True)
    sessions = [s for s in opened if not isinstance(s, BaseException)]
    failures.extend(f"session load: {s.__class__.__name__}" for s in opened if isinstance(s, BaseException))
    await asyncio.sleep(2)  # the last page loads' trailing work settles
    me = os.getpid()
    s0, b0, t0 = cpu_s(server_pid), tree_cpu_s(me, exclude=server_pid), time.monotonic()

    async def user(i: int, page) -> list[tuple[float, Optional[float]]]:
        out = []
        await asyncio.sleep(rng.uniform(0, think[1]))  # users do not start in step
        for k in range(reruns):
            try:
                out.append(await rerun(page, base + i * 10_007 + k * 131))
            except Exception as exc:  # a timed-out rerun counts as a failure, the others go on
                failures.append(f"session {i} rerun {k}: {exc.__class__.__name__}")
            if k < reruns - 1:
                await asyncio.sleep(rng.uniform(*think))  # reading the result
        return out

    pairs = [t for ts in await asyncio.gather(*(user(i, pg) for i, (_, pg) in enumerate(sessions))) for t in ts]
    times = [c for c, _ in pairs]
    server_times = [s for _, s in pairs if s is not None]
    wall = time.monotonic() - t0
    server = cpu_s(server_pid) - s0
    browser_cpu = tree_cpu_s(me, exclude=server_pid) - b0  # before the contexts close (their renderers exit)
    await asyncio.gather(*(ctx.close() for ctx, _ in sessions))
    for _, pg in sessions:
        FINISHED.pop(pg, None)
    k = max(1, len(times))
    return {"sessions": n, "reruns": len(times), "times": times, "server_times": server_times, "wall_s": wall,
            "server_cpu_ms_per_rerun": server * 1000 / k, "browser_cpu_ms_per_rerun": browser_cpu * 1000 / k,
            "cores_busy": (server + browser_cpu) / wall / (os.cpu_count() or 1) if wall > 0 else 0.0}


async def run(args) -> dict:
    from playwright.async_api import async_playwright

    rng = random.Random(args.seed)
    think = (args.think[0], args.think[1])
    soak_think = (args.soak_think[0], args.soak_think[1])
    t_start = time.monotonic()
    out: dict = {"machine": machine(), "app": args.app, "reruns_per_session": args.reruns, "think_s": list(think),
                 "phases": []}
    done = 0
    with serve(SCRIPTS[args.app]) as (url, proc):
        if args.client_nice:
            # The load generator (this process, and the Playwright driver and Chromium it starts, which
            # inherit it) yields the CPU to the server under test: real users draw on their own machines.
            os.nice(args.client_nice)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=args.chromium, args=LAUNCH_ARGS)
            out["rss_mb_started"] = rss_tree_mb(proc.pid)
            base = 30_000.0
            for n in args.sessions:
                if time.monotonic() - t_start > args.budget:
                    print(f"budget of {args.budget:.0f} s reached before N = {n}", file=sys.stderr)
                    break
                if n == 1:  # the baseline: one user interferes with nobody, so more reruns, shorter pauses
                    row = await phase(browser, url, n, args.baseline_reruns, base, soak_think, rng, proc.pid)
                else:
                    row = await phase(browser, url, n, args.reruns, base, think, rng, proc.pid)
                times, server_times = row.pop("times"), row.pop("server_times")
                base += 1_000_000
                done += len(times)
                await asyncio.sleep(5)
                if not times:
                    print(f"N={n:>3}: no rerun finished", flush=True)
                    continue
                row.update({"p50_ms": statistics.median(times), "p95_ms": pct(times, 0.95), "max_ms": max(times),
                            "rss_mb_after": rss_tree_mb(proc.pid)})
                if server_times:
                    row.update({"server_p50_ms": statistics.median(server_times),
                                "server_p95_ms": pct(server_times, 0.95)})
                out["phases"].append(row)
                server_part = (f"server done p50 {row['server_p50_ms']:5.0f} / p95 {row['server_p95_ms']:5.0f} ms  "
                               if server_times else "")
                print(f"N={n:>3}: {len(times):>4} reruns  chart p50 {row['p50_ms']:6.0f} ms  p95 {row['p95_ms']:6.0f} ms  "
                      f"max {row['max_ms']:6.0f} ms  {server_part}({row['wall_s']:.0f} s)  CPU per rerun: server "
                      f"{row['server_cpu_ms_per_rerun']:.0f} ms, browser {row['browser_cpu_ms_per_rerun']:.0f} ms; "
                      f"cores busy {row['cores_busy']:.0%}  RSS {row['rss_mb_after']:.0f} MB", flush=True)
                if "rss_mb_warm" not in out:
                    out["rss_mb_warm"] = row["rss_mb_after"]
            soak = []
            while done < args.total and time.monotonic() - t_start < args.budget:
                k = min(5, args.total - done)
                per = max(1, min(20, (args.total - done) // k))
                row = await phase(browser, url, k, per, base, soak_think, rng, proc.pid)
                base += 1_000_000
                soak += row["times"]
                done += len(row["times"])
            await asyncio.sleep(5)
            out["reruns_total"] = done
            out["failures"] = failures
            out["rss_mb_after_total"] = rss_tree_mb(proc.pid)
            if soak:
                out["soak"] = {"reruns": len(soak), "p50_ms": statistics.median(soak), "p95_ms": pct(soak, 0.95)}
            await browser.close()
    return out



# ---------------------------------------------------------------------------------------------
# Protocol mode: --clients N [N ...]

async def _browser_check(url: str, chromium: Optional[str], stop: asyncio.Event) -> dict:
    """One real page under the load: does the Compare page still draw its first chart, and how fast."""
    if chromium is None:
        return {"ok": False, "reason": "no Chromium (set TCO_CHROMIUM or apt-get install chromium)"}
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            t0 = time.perf_counter()
            await page.goto(url, timeout=WAIT_MS)
            await page.wait_for_function(f"({SIGNATURE_JS})() !== null", timeout=WAIT_MS, polling=250)
            return {"ok": True, "first_chart_ms": (time.perf_counter() - t0) * 1000.0}
        except Exception as exc:  # reported, never fatal: the check is one data point
            return {"ok": False, "reason": f"{type(exc).__name__}: {exc}"[:300]}
        finally:
            await browser.close()


class LoadSampler:
    """The machine's load average (/proc/loadavg, 1 minute) every ``every_s`` seconds, by phase label: the
    machine is shared, so every number is reported with the load it was measured under."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s, self.label, self.samples = every_s, "", {}
        self._task: Optional[asyncio.Task] = None

    @staticmethod
    def now() -> float:
        return float(Path("/proc/loadavg").read_text().split()[0])

    async def _loop(self) -> None:
        while True:
            self.samples.setdefault(self.label, []).append(self.now())
            await asyncio.sleep(self.every_s)

    def start(self, label: str) -> None:
        self.label = label
        if self._task is None:
            self._task = asyncio.create_task(self._loop())
        else:
            self.samples.setdefault(label, []).append(self.now())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def summary(self, label: str) -> Optional[dict]:
        v = self.samples.get(label)
        if not v:
            return None
        return {"min": min(v), "mean": round(statistics.fmean(v), 2), "max": max(v), "samples": len(v)}


async def protocol_phase(url: str, n: int, think: tuple[float, float], duration: float, rng: random.Random,
                         base: float, check: Optional[str], browser_check: bool, ramp: float = 0.0,
                         min_reruns: int = 0, pid: Optional[int] = None,
                         sampler: Optional[LoadSampler] = None) -> dict:
    """One phase of ``n`` protocol clients.

    Ramp-up: client i opens its session (the first page load, not counted) at i x ``ramp`` / n seconds and
    starts its think-and-change loop; the measured window opens when the ramp ends and lasts ``duration``
    seconds (longer if fewer than ``min_reruns`` reruns were measured by then). Only reruns sent inside the
    window count, and the server's CPU is read at the window's edges, so first page loads and the ramp's
    uneven load are left out of every figure.
    """
    from st_protocol import ProtocolClient, RunError, number_state

    latencies: list[float] = []
    errors: list[str] = []
    loads: list[float] = []
    t_start = time.monotonic()
    window = {"start": float("inf"), "end": float("inf"), "cpu0": None, "cpu1": None, "t1": None}

    def window_open(now: float) -> bool:
        return window["start"] <= now < window["end"]

    async def measure_edges(checker: Optional[asyncio.Task]) -> None:
        await asyncio.sleep(max(0.0, t_start + ramp - time.monotonic()))
        if checker is not None:  # the browser check's Chromium is not part of the measured load
            await asyncio.wait([checker])
        window["start"] = time.monotonic()
        window["end"] = window["start"] + duration
        if sampler:
            sampler.start(f"{n}:window")
        window["cpu0"] = cpu_s(pid) if pid else None
        while time.monotonic() < window["end"] or len(latencies) < min_reruns:
            if time.monotonic() >= window["end"]:
                window["end"] = time.monotonic() + 1.0  # too few reruns yet: the window stays open
            await asyncio.sleep(0.2)
        window["cpu1"], window["t1"] = (cpu_s(pid) if pid else None), time.monotonic()

    async def client(i: int) -> None:
        await asyncio.sleep(i * ramp / n)  # staggered arrivals: one session opening at a time
        c = ProtocolClient(url)
        value = base + 1000.0 * i
        try:
            await c.connect()
            loads.append((await c.run()).ms)
            wid = c.widget_id("requests_per_day", "Requests per day")
            while True:
                await asyncio.sleep(rng.uniform(*think))
                now = time.monotonic()
                if now >= window["end"]:
                    break
                value += 7.0 * n  # never the same value twice: every change is an evaluation-cache miss
                run = await c.run([number_state(wid, value)])
                if window_open(now):
                    latencies.append(run.ms)
                    if run.exceptions:
                        errors.append(f"client {i}: the page drew {run.exceptions} exception(s)")
        except (RunError, OSError, KeyError, websockets_errors()) as exc:
            errors.append(f"client {i}: {type(exc).__name__}: {exc}"[:300])
        finally:
            await c.close()

    if sampler:
        sampler.start(f"{n}:ramp")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client(i)) for i in range(n)]
    # One real page during the ramp (half the sessions open): it still draws; its CPU stays out of the window.
    checker = asyncio.create_task(_delayed_check(url, check, stop, (0.0, ramp / 2))) if browser_check else None
    edges = asyncio.create_task(measure_edges(checker))
    await edges
    await asyncio.gather(*tasks)
    stop.set()
    out = {"clients": n, "reruns": len(latencies), "p50_ms": pct(latencies, 0.5) if latencies else None,
           "p95_ms": pct(latencies, 0.95) if latencies else None, "errors": len(errors),
           "first_load_p50_ms": pct(loads, 0.5) if loads else None, "error_samples": errors[:5],
           "ramp_s": round(window["start"] - t_start, 1), "window_s": round(window["t1"] - window["start"], 1),
           "think_s": list(think)}
    if window["cpu0"] is not None and window["cpu1"] is not None:
        out["server_cpu_ms_per_rerun"] = (window["cpu1"] - window["cpu0"]) * 1000.0 / max(len(latencies), 1)
        out["server_cpu_share"] = (window["cpu1"] - window["cpu0"]) / max(window["t1"] - window["start"], 1e-9)
    if sampler:
        out["load_avg"] = {"ramp": sampler.summary(f"{n}:ramp"), "window": sampler.summary(f"{n}:window")}
    if checker is not None:
        out["browser_check"] = await checker
    return out


async def _delayed_check(url: str, chromium: Optional[str], stop: asyncio.Event, think) -> dict:
    await asyncio.sleep(think[1])
    return await _browser_check(url, chromium, stop)


def websockets_errors():
    import websockets

    return websockets.exceptions.WebSocketException


async def protocol_run(args) -> dict:
    rng = random.Random(args.seed)
    out = {"machine": machine(), "mode": "protocol", "think_s": list(args.think), "duration_s": args.duration,
           "ramp_s": args.ramp, "baseline": {"think_s": list(args.baseline_think), "min_reruns": args.min_reruns},
           "results": []}
    chromium = find_chromium()
    sampler = LoadSampler()
    sampler.start("start")
    out["load_avg_start"] = LoadSampler.now()

    async def all_phases(url: str, pid: Optional[int]) -> None:
        for n in args.clients:
            if n == 1:  # one client alone: its pauses only set the wall time, so shorter ones and more reruns
                think, ramp, min_reruns = tuple(args.baseline_think), 0.0, args.min_reruns
            else:
                think, ramp, min_reruns = tuple(args.think), (args.ramp if args.ramp is not None else args.think[1]), 0
            res = await protocol_phase(url, n, think, args.duration, rng, 50_000.0 + 100_000.0 * n, chromium,
                                       args.browser_check, ramp=ramp, min_reruns=min_reruns, pid=pid, sampler=sampler)
            if pid:
                res["server_rss_mb"] = rss_tree_mb(pid)
            out["results"].append(res)
            bc = res.get("browser_check", {})
            la = (res.get("load_avg") or {}).get("window") or {}
            print(f"{n:4d} clients: {res['reruns']:5d} reruns in {res['window_s']:.0f} s (after a {res['ramp_s']:.0f} s "
                  f"ramp), input -> script finished p50 {_ms(res['p50_ms'])} p95 {_ms(res['p95_ms'])}, "
                  f"errors {res['errors']}"
                  + (f", server CPU {res['server_cpu_ms_per_rerun']:.0f} ms/rerun ({res['server_cpu_share']:.0%} of a "
                     f"core), RSS {res['server_rss_mb']:.0f} MB" if "server_cpu_ms_per_rerun" in res else "")
                  + (f", load average {la['min']:.2f}-{la['max']:.2f} (mean {la['mean']:.2f})" if la else "")
                  + (f", browser check {'ok' if bc.get('ok') else 'FAILED'}" if bc else ""), flush=True)

    try:
        if args.url:
            await all_phases(args.url.rstrip("/"), None)
        else:
            with serve(SCRIPTS[args.app]) as (url, proc):
                await all_phases(url, proc.pid)
    finally:
        sampler.stop()
    return out


def _ms(v: Optional[float]) -> str:
    return "n/a" if v is None else f"{v:.0f} ms"


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    ap.add_argument("--reruns", type=int, default=4, help="input changes per session and phase")
    ap.add_argument("--think", type=float, nargs=2, default=[15.0, 45.0], metavar=("MIN", "MAX"),
                    help="seconds a user reads the result before the next change (uniform); 0 0 = no pause")
    ap.add_argument("--soak-think", type=float, nargs=2, default=[0.5, 1.5], metavar=("MIN", "MAX"),
                    help="think time in the memory soak (short: it only has to add reruns)")
    ap.add_argument("--baseline-reruns", type=int, default=12,
                    help="reruns of the single session (N = 1), with the soak's think time")
    ap.add_argument("--client-nice", type=int, default=10,
                    help="nice value of the load generator and its browser (0: same priority as the server)")
    ap.add_argument("--total", type=int, default=500, help="reruns in all before the last memory reading")
    ap.add_argument("--app", choices=sorted(SCRIPTS), default="app", help="floor: benchmarks/floor_app.py")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--budget", type=float, default=2700, help="stop starting new work after this many seconds")
    ap.add_argument("--json", help="also write the numbers here")
    ap.add_argument("--clients", type=int, nargs="+",
                    help="protocol mode: numbers of concurrent protocol-level sessions, one phase each")
    ap.add_argument("--duration", type=float, default=300.0, help="protocol mode: seconds per phase")
    ap.add_argument("--url", help="protocol mode: an app already running (else one is started on loopback)")
    ap.add_argument("--no-browser-check", dest="browser_check", action="store_false",
                    help="protocol mode: no Chromium page checking that the page still renders")
    ap.add_argument("--ramp", type=float, default=None,
                    help="protocol mode: seconds over which the N sessions open, one after another, before the "
                         "measured window (default: the longest think time)")
    ap.add_argument("--min-reruns", type=int, default=30,
                    help="protocol mode: the 1-client baseline runs until it has at least this many reruns")
    ap.add_argument("--baseline-think", type=float, nargs=2, default=[2.0, 4.0], metavar=("MIN", "MAX"),
                    help="protocol mode: think time of the 1-client baseline (alone, it only sets the wall time)")
    args = ap.parse_args(argv)
    if args.clients:
        if any(n < 1 for n in args.clients) or args.duration <= 0:
            ap.error("--clients needs N >= 1 and --duration > 0")
        if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
            ap.error("--url must be on this machine (loopback): a load test never targets another host")
        print(f"load_test (protocol): {machine()}; think {args.think[0]:g}-{args.think[1]:g} s, "
              f"{args.duration:g} s per phase", flush=True)
        out = asyncio.run(protocol_run(args))
        res = {r["clients"]: r for r in out["results"]}
        if 1 in res and max(res) > 1 and res[1]["p95_ms"] and res[max(res)]["p95_ms"]:
            n = max(res)
            out["p95_ratio"] = {"clients": n, "ratio": res[n]["p95_ms"] / res[1]["p95_ms"]}
            print(f"p95 at {n} clients / at 1 client: {out['p95_ratio']['ratio']:.2f}x")
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2))
        return 1 if any(r["errors"] for r in out["results"]) else 0
    if args.think[0] < 0 or args.think[1] < args.think[0]:
        ap.error("--think MIN MAX needs 0 <= MIN <= MAX")
    args.chromium = find_chromium()
    if args.chromium is None:
        print("no Chromium (set TCO_CHROMIUM or apt-get install chromium; never `playwright install`)", file=sys.stderr)
        return 1
    print(f"load_test: {machine()}; {args.app} on 127.0.0.1; {args.reruns} reruns per session per phase, "
          f"think time {args.think[0]:g}-{args.think[1]:g} s", flush=True)
    out = asyncio.run(run(args))
    ph = {r["sessions"]: r for r in out["phases"]}
    if 1 in ph and max(ph) > 1:
        n = max(ph)
        ratio = ph[n]["p95_ms"] / ph[1]["p95_ms"]
        out["p95_ratio"] = {"sessions": n, "ratio": ratio}
        print(f"p95 input -> chart at {n} sessions / at 1 session: {ratio:.2f}x "
              f"(target <= 2x: {'ok' if ratio <= 2 else 'MISSED'})")
        if "server_p95_ms" in ph[n] and "server_p95_ms" in ph[1]:
            sratio = ph[n]["server_p95_ms"] / ph[1]["server_p95_ms"]
            out["server_p95_ratio"] = {"sessions": n, "ratio": sratio}
            print(f"p95 input -> server done at {n} sessions / at 1 session: {sratio:.2f}x")
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
