"""script/serve-conference: two app processes behind HAProxy serve the Übersicht in a browser,
new visitors are spread over the processes, and each visitor's page, reloads and websocket
(handshake and reconnect) stay on the visitor's process (the sticky cookie)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
START_TIMEOUT = 240  # s: two app processes start on a loaded 2-core machine


def _haproxy() -> str | None:
    return shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """(X-Teilhabe-Process, the sticky cookie set) of a GET through the proxy."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        response.read()
        sticky = [
            c.split(";", 1)[0]
            for c in response.headers.get_all("Set-Cookie") or []
            if c.startswith("TEILHABE_SERVER=")
        ]
        return response.headers["X-Teilhabe-Process"], sticky[0] if sticky else None


@pytest.fixture(scope="module")
def conference(tmp_path_factory) -> Iterator[str]:
    if _haproxy() is None:
        if os.environ.get("TEILHABE_REQUIRE_BROWSER"):
            pytest.fail("HAProxy missing (script/test installs it: apt-get install haproxy)")
        pytest.skip("HAProxy missing (Debian: apt-get install haproxy)")
    port = _free_port()
    app_port = _free_port()
    while app_port in (port, port + 1) or app_port + 1 == port:
        app_port = _free_port()
    run_dir = tmp_path_factory.mktemp("conference")
    env = dict(os.environ)
    env.pop("TEILHABE_DATABASE_URL", None)
    env.pop("TEILHABE_CELL_KEY_SECRET", None)
    env.update(
        TEILHABE_DATA_DIR=str(tmp_path_factory.mktemp("conference-data")),
        TEILHABE_PORT=str(port),
        TEILHABE_BIND="127.0.0.1",
        TEILHABE_APP_PORT=str(app_port),
        TEILHABE_RUN_DIR=str(run_dir),
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "serve-conference.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(REPO / "script" / "serve-conference"), "2"],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if _get(f"{url}/_stcore/health")[0]:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGTERM)
            pytest.fail(f"serve-conference did not come up:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _websocket_process(url: str, cookie: str) -> str:
    """The process that answers a websocket handshake to /_stcore/stream with ``cookie``."""
    from websockets.sync.client import connect

    with connect(
        url.replace("http://", "ws://") + "/_stcore/stream",
        subprotocols=["streamlit"],
        additional_headers={"Cookie": cookie, "Origin": url},
        open_timeout=30,
    ) as ws:
        return ws.response.headers["X-Teilhabe-Process"]


def test_two_processes_serve_the_overview_and_each_visitor_stays_on_one(
    conference, browser, open_app
) -> None:
    url = conference
    seen: dict[str, set[str]] = {}
    contexts = []
    for visitor in ("a", "b"):
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="de-DE")
        contexts.append(context)
        page = context.new_page()
        processes: set[str] = set()
        page.on(
            "response",
            lambda response, processes=processes: processes.update(
                [response.headers["x-teilhabe-process"]]
                if "x-teilhabe-process" in response.headers
                else []
            ),
        )
        open_app(page, url)
        assert page.get_by_role("heading", name="Übersicht").count() == 1
        assert page.get_by_text("Datenbank nicht erreichbar").count() == 0
        # the headline cards (ELB, LZB, LZB ≥ 4 Jahre, K2, …); a page may run twice at first
        expect(page.locator('[data-testid="stMetric"]').nth(3)).to_be_visible()
        metrics = page.locator('[data-testid="stMetric"]').count()
        page.reload()  # a new websocket, as after a lost connection
        open_app(page, url)
        expect(page.locator('[data-testid="stMetric"]')).to_have_count(metrics)
        seen[visitor] = processes
        cookie = next(c for c in context.cookies() if c["name"] == "TEILHABE_SERVER")
        # the websocket (handshake and every reconnect) reaches the visitor's process
        assert _websocket_process(url, f"TEILHABE_SERVER={cookie['value']}") == cookie["value"]
        assert processes == {cookie["value"]}
    # the first visitor's open websocket makes the other process the one with fewer connections
    assert seen["a"] != seen["b"]
    assert seen["a"] | seen["b"] == {"app1", "app2"}
    for context in contexts:
        context.close()
