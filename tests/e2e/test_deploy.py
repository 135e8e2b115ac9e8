"""Several app processes behind nginx (scripts/serve.sh): each browser session stays on its process."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import LAUNCH_ARGS, wait_charts, wait_idle

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _free_port_block(n: int) -> int:
    """A port P with P..P+n free on loopback."""
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p + n > 65000:
            continue
        ok = True
        for q in range(p, p + n + 1):
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", q))
                except OSError:
                    ok = False
                    break
        if ok:
            return p
    raise RuntimeError("no free block of ports")


@pytest.fixture(scope="module")
def proxy(chromium_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        msg = "NO NGINX FOUND: install Debian's nginx (scripts/test.sh does so as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    port = _free_port_block(2)
    proc = subprocess.Popen(["bash", "scripts/serve.sh", "--replicas", "2", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    logdir = None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"serve.sh exited early (code {proc.poll()})")
            m = re.search(r"logs in (\S+);", line)
            if m:
                logdir = Path(m.group(1))
                break
        assert logdir is not None, "serve.sh did not report that it is serving"
        with urllib.request.urlopen(url + "/_stcore/health", timeout=10) as r:
            assert r.read().decode().strip() == "ok"
        yield url, logdir, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_two_sessions_behind_the_proxy_each_stay_on_their_process(proxy, chromium_path):
    from playwright.sync_api import sync_playwright

    url, logdir, port = proxy
    backends = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        try:
            pages = []
            for name in ("alice", "bob"):
                ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                page = ctx.new_page()
                page.goto(url, timeout=180_000)
                wait_idle(page)
                wait_charts(page)
                pages.append((name, ctx, page))
            for i, (name, ctx, page) in enumerate(pages):  # a Compare rerun in each session
                box = page.get_by_label("Requests per day [req/day]", exact=True)
                box.fill(str(123_000 + 1000 * i))
                box.press("Enter")
                wait_idle(page)
                wait_charts(page)
                assert page.get_by_test_id("stException").count() == 0
                cookie = {c["name"]: c["value"] for c in ctx.cookies()}.get("tco_backend")
                assert cookie in (f"127.0.0.1:{port + 1}", f"127.0.0.1:{port + 2}"), cookie
                backends[name] = cookie
        finally:
            browser.close()
    streams, log = [], ""
    for _ in range(40):  # nginx logs a websocket when it closes
        log = (logdir / "access.log").read_text()
        streams = re.findall(r"GET /_stcore/stream 101 up=(\S+) cookie=(\S*)", log)
        if len(streams) >= 2:
            break
        time.sleep(0.5)
    assert len(streams) >= 2, log[-2000:]
    for up, cookie in streams:
        if cookie and cookie != "-":
            assert up == cookie, (up, cookie)  # the websocket went to the process the cookie names
    # least connections: the second browser, arriving while the first holds its websocket, got the other process
    assert len(set(backends.values())) == 2, backends
