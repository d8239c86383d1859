"""The dashboard's server from the command line (no browser): a port in use is a one-line
error before any address is printed, and loading the page logs no warning."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from support import ROOT, in_process


def test_a_port_in_use_is_one_line_before_any_address(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, out, err = in_process(capsys, "dashboard", "baseline", "--port", str(port))
    assert status == 2
    assert "http://" not in out + err
    assert err.count("\n") == 1
    assert f"--port {port}: 127.0.0.1:{port} is already in use" in err


@pytest.mark.slow  # a real `python run.py dashboard` server, loaded over HTTP
def test_loading_the_page_logs_no_cookie_warning():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "dashboard", "baseline",
                               "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline, status = time.monotonic() + 180, []
        while time.monotonic() < deadline and len(status) < 2:
            assert server.poll() is None, server.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
                    status.append(page.status)
            except OSError:
                time.sleep(0.5)
        assert status == [200, 200]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "samesite" not in output.lower() and "Warning" not in output, output
    assert f"http://127.0.0.1:{port}/" in output
