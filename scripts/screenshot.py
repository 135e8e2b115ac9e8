"""Take a full-page screenshot of the app's first page from a real browser.

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--width 1280]

Starts ``streamlit run app.py`` on a free local port, opens it in Chromium (Debian's
/usr/bin/chromium, or $TCO_CHROMIUM; never ``playwright install``), waits until the script has
finished and the charts are drawn, sizes the viewport to the page and saves a PNG.

The server and browser helpers here are also used by the end-to-end tests (tests/e2e/conftest.py).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parent.parent
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"


def find_chromium() -> Optional[str]:
    """Browser executable: $TCO_CHROMIUM, then /usr/bin/chromium, then chromium on PATH; None if none."""
    env = os.environ.get("TCO_CHROMIUM")
    if env and Path(env).exists():
        return env
    for cand in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and Path(cand).exists():
            return cand
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(env: Optional[dict] = None, timeout_s: float = 60.0) -> Iterator[str]:
    """Run the app on a free port; yield its URL; stop the whole process group afterwards."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    log = open(ROOT / "test-artifacts" / f"streamlit-{port}.log", "wb") if (ROOT / "test-artifacts").is_dir() \
        else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode} before answering")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer on {url} within {timeout_s:.0f} s")
            time.sleep(0.3)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if log is not subprocess.DEVNULL:
            log.close()


def wait_idle(page, timeout_ms: int = 180_000) -> None:
    """Wait until the app's script run has finished (after load or any interaction)."""
    page.wait_for_timeout(300)  # let a rerun start before asking whether it finished
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def wait_charts(page, count: int = 3, timeout_ms: int = 180_000) -> None:
    """Wait for ``count`` drawn plotly charts (the Compare page draws 3 until an on-demand section is opened)."""
    page.wait_for_function(f"document.querySelectorAll(\"{CHART}\").length >= {count}", timeout=timeout_ms)


def full_page_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside stMain: grow the viewport to its scroll height, then capture."""
    width = page.viewport_size["width"]
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                           " return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); }")
    page.set_viewport_size({"width": width, "height": int(height) + 20})
    page.wait_for_timeout(1500)  # plotly relayouts on resize
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    args = ap.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("no Chromium found (set TCO_CHROMIUM or apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with running_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(url)
        wait_idle(page)
        wait_charts(page)
        page.wait_for_timeout(1500)
        full_page_screenshot(page, Path(args.out))
        browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
