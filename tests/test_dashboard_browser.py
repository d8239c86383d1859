"""The served dashboard in a real browser: ``python run.py dashboard`` on a free port as a
subprocess, driven with playwright and Debian's chromium (no browser download).

Without chromium the browser test skips, except under ``CI=true`` where a missing browser
fails it (``.ci/run`` installs it). The page must load with no failed request: every
front-end asset comes from the local cache (``python -m model.dashboard.assets``), as on
a machine without internet.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support import ROOT, cli

from model.dashboard import assets

SCENARIO = "nk_famine"  # not the default, so the page proves it got the command's argument
LEAD_COPY = Path("/tmp/dashboard_screenshot.png")
SLOW = 240_000  # ms: a loaded 2-core machine needs a while to start and redraw


def chromium_binary() -> str | None:
    """Debian's real chromium binary (the ``chromium`` on PATH is a wrapper script)."""
    if Path("/usr/lib/chromium/chromium").exists():
        return "/usr/lib/chromium/chromium"
    if shutil.which("dpkg"):
        listed = subprocess.run(["dpkg", "-L", "chromium"], capture_output=True, text=True)
        for line in listed.stdout.splitlines():
            if line.endswith("lib/chromium/chromium"):
                return line
    return None


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true, where the browser test must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's chromium instead of a downloaded build."""
    binary = chromium_binary()
    if binary is None:
        unavailable("Debian's chromium is not installed (apt-get install -y chromium)")
    if assets.missing(assets.cache_dir()):
        unavailable("dashboard front-end assets missing (python -m model.dashboard.assets)")
    return {**browser_type_launch_args, "executable_path": binary,
            "args": ["--no-sandbox", "--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Wide enough that the sidebar with the controls stays open (≥ 1280 px)."""
    return {**browser_context_args, "viewport": {"width": 1600, "height": 2000}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python run.py dashboard`` as a subprocess, its output collected by a thread."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "dashboard", *args, "--port",
             str(self.port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/"

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_ready(self, timeout: float = SLOW / 1000) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("dashboard exited: " + "\n".join(self.lines[-20:]))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise AssertionError("dashboard did not start: " + "\n".join(self.lines[-20:]))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {**os.environ, "ALLIANCE_SIM_EXPORT_DIR": str(tmp_path_factory.mktemp("export")),
           "PYTHONUNBUFFERED": "1"}
    served = Server(SCENARIO, env=env)
    try:
        served.wait_ready()
        yield served
    finally:
        served.stop()


def listening_addresses(port: int) -> set[str]:
    """IPv4/IPv6 addresses with a socket in LISTEN state on ``port`` (from /proc/net)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.browser
def test_serves_on_127_0_0_1_by_default_and_prints_the_address(server):
    assert any(f"http://127.0.0.1:{server.port}/" in line for line in server.lines)
    addresses = listening_addresses(server.port)
    assert addresses == {"0100007F"}  # 127.0.0.1 only: neither 0.0.0.0 nor ::


def test_bad_scenario_or_port_is_a_one_line_error():
    result = cli("dashboard", "no_such_scenario", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unknown scenario 'no_such_scenario'" in (
        result.stderr)
    result = cli("dashboard", "--port", "70000")
    assert result.returncode == 2 and "expected a port from 1 to 65535" in result.stderr


@pytest.mark.browser
def test_lever_slider_redraws_the_ensemble_and_step_advances_the_month(
        server, page: Page, tmp_path):
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(f"failed {request.url}"))
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.set_default_timeout(SLOW)
    expect.set_options(timeout=SLOW)
    page.goto(server.url)

    expect(page.get_by_text(f"scenario '{SCENARIO}'").first).to_be_visible()
    timing = page.locator(".ensemble-timing")
    expect(timing).to_contain_text("recomputed and redrawn")
    chart = page.locator(".solara-image").first
    before = chart.get_attribute("src")
    expect(page.locator(".ensemble-settings")).to_contain_text("changed from the file: nothing")

    # move the war_demand slider: click near the left end of its track
    track = page.locator(".v-input", has=page.get_by_text("war_demand", exact=True)).locator(
        ".v-slider").first
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
    expect(page.locator(".ensemble-settings")).to_contain_text(
        re.compile(r"changed from the file: war_demand=0\.\d+"))
    expect(page.get_by_text("Recomputing the ensemble")).to_have_count(0)
    expect(chart).not_to_have_attribute("src", before)

    # press Step: the Mesa run advances one month
    expect(page.get_by_text("Step: 0")).to_be_visible()
    page.get_by_role("button", name="Step").click()
    expect(page.get_by_text("Step: 1")).to_be_visible()
    expect(page.locator(".run-month")).to_contain_text("Month 1")
    expect(page.get_by_text("The game this month (month 1 of this run)")).to_be_visible()

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 0
    with contextlib.suppress(OSError):  # a convenience copy; the test's own file is the record
        shutil.copyfile(shot, LEAD_COPY)
    assert failed == [], f"requests failed (offline assets incomplete?): {failed}"
