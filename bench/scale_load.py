"""The dashboard under load (bench/scale.py): gunicorn with 2 workers serving
web.app:create_app(), loaded by wrk (or a Python client), against /healthz of the same server.

Every dashboard request is rendered cold: nothing is cached on the server. The trivial
route is loaded before and after the dashboard, and the dashboard's rate is compared with
their mean, so a neighbour's load on the machine weighs on both alike. Then the same load,
but each request carrying the page's ETag (a browser asking about the page it holds): 304.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

TARGET = 0.10
AGENT = "lockgate-bench"  # Flask-Login's strong session protection binds a session to it


def throughput(url: str, folder: Path, password: str, seconds: int) -> None:
    """Print the dashboard's requests/s as a share of the trivial route's."""
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "LOCKGATE_DATABASE_URL": url,
        "LOCKGATE_INSTANCE": str(folder),
        "LOCKGATE_SECRET_KEY": "bench",
    }
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}"]
    server = subprocess.Popen([*command, "--log-level", "warning", "web.app:create_app()"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
        cookie = _session_cookie(base, "pmo", password)
        _load(f"{base}/portfolio/", cookie, 2)  # each worker parses the policies once
        tool = "wrk -t2 -c8" if shutil.which("wrk") else "a Python client, 8 threads"
        print(f"\nthroughput: gunicorn 2 workers, {tool}, {seconds} s per route:")
        before = _load(f"{base}/healthz", "", seconds)
        dashboard = _load(f"{base}/portfolio/", cookie, seconds)
        tag = _etag(f"{base}/portfolio/", cookie)
        revalidated = _load(f"{base}/portfolio/", cookie, seconds, {"If-None-Match": tag})
        after = _load(f"{base}/healthz", "", seconds)
        trivial = (before + after) / 2
        share = dashboard / trivial
        verdict = "PASS" if share >= TARGET else "MISS"
        print(f"  trivial   /healthz    {before:8,.0f} and {after:8,.0f} req/s")
        print(
            f"  dashboard /portfolio/ {dashboard:8,.0f} req/s = {share:6.1%} of trivial  "
            f"[{verdict} >= {TARGET:.0%}]",
        )
        print(
            f"  dashboard revalidated (304) {revalidated:8,.0f} req/s = "
            f"{revalidated / trivial:6.1%} of trivial",
            flush=True,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _wait_until_up(base: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _session_cookie(base: str, username: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None, "no CSRF token on the login page"
    data = {"username": username, "password": password, "csrf_token": token.group(1)}
    response = opener.open(f"{base}/login", urllib.parse.urlencode(data).encode())
    assert "/login" not in response.url, "the bench user could not log in"
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _etag(url: str, cookie: str) -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": AGENT})
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(response.headers["ETag"])


def _load(url: str, cookie: str, seconds: int, headers: dict[str, str] | None = None) -> float:
    headers = {"User-Agent": AGENT, **({"Cookie": cookie} if cookie else {}), **(headers or {})}
    if shutil.which("wrk"):
        command = ["wrk", "-t2", "-c8", f"-d{seconds}s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(url)
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        if "Non-2xx" in output:
            raise SystemExit(f"{url} answered errors under load:\n{output}")
        found = re.search(r"Requests/sec:\s+([\d.]+)", output)
        assert found is not None, output
        return float(found.group(1))
    return _python_load(url, headers, seconds)


def _python_load(url: str, headers: dict[str, str], seconds: int) -> float:
    done, deadline = [0], time.monotonic() + seconds

    def worker() -> None:
        request = urllib.request.Request(url, headers=headers)
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(request, timeout=30).read()
            except urllib.error.HTTPError as answer:  # a 304 is an answer, not a failure
                if answer.code != 304:
                    raise
            done[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / seconds
