"""Fixtures for the browser tests: a real Streamlit server and headless Chromium via Playwright.

Fixtures
--------
``start_streamlit(script, env=None, netwatch_log=None) -> str`` (session)
    Factory: starts ``python -m ui.serve <script>`` (``streamlit run`` with the addresses set)
    on a free port with a fresh ``TEILHABE_DATA_DIR`` and without ``TEILHABE_DATABASE_URL``;
    returns the base URL. Stopped at session end. With
    ``netwatch_log`` the server runs under ``netwatch.py``, which records (and refuses) every
    attempt of the server process to reach another machine in that file.
``app_server -> str`` (session)
    The dashboard (``app.py``) started with ``start_streamlit``; it builds its own demo SQLite.
``browser`` (session), ``page`` (function)
    Playwright Chromium (the system browser, never a Playwright download), viewport 1400x1000,
    locale de-DE. Requests to any host other than 127.0.0.1/localhost are aborted and recorded
    in ``page.external_requests`` (also available as the ``external_requests`` fixture).
``open_app`` / ``save_screenshot``
    The helpers ``open_app(page, url)`` and ``save_screenshot(page, name) -> Path``, handed
    out as fixtures so tests need not import this conftest.

Server logs and screenshots go to ``tests/artifacts/`` (git-ignored). When a test that uses
``page`` fails, a screenshot ``failed-<test name>.png`` is saved there automatically.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

# Streamlit renders after its script run; on a loaded 2-core machine charts can take seconds.
expect.set_options(timeout=30_000)

REPO = Path(__file__).resolve().parents[2]
BROWSER_TESTS = Path(__file__).resolve().parent
ARTIFACTS = REPO / "tests" / "artifacts"

SERVER_START_TIMEOUT = 120  # seconds until /_stcore/health must answer "ok"
APP_READY_TIMEOUT = 180_000  # ms until the first script run (demo build included) is done
APP_READY_SELECTOR = '[data-testid="stApp"][data-test-script-state="notRunning"]'

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}


# ---------------------------------------------------------------------------------------------
# Markers
# ---------------------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every test in tests/browser is a browser test (``-m "not browser"`` deselects them).
    for item in items:
        if BROWSER_TESTS in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Keep each phase's report on the item, so the page fixture can tell whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _artifact_path(name: str, suffix: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "artifact"
    return ARTIFACTS / f"{safe}{suffix}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _health_ok(base_url: str) -> bool:
    # No proxies: the server is local and the machine may have proxy variables set.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def is_local_url(url: str) -> bool:
    """True for URLs that do not leave the machine (127.0.0.1/localhost, data:, blob:, about:)."""
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS


def open_app(page, url: str) -> None:
    """Open ``url`` and wait until Streamlit has finished running the script."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(APP_READY_SELECTOR, timeout=APP_READY_TIMEOUT)
    try:
        # Charts and images may still be loading after the script run; give them a moment.
        page.wait_for_load_state("networkidle", timeout=5_000)
    except Exception:
        pass  # Streamlit keeps a websocket open; "networkidle" is a courtesy, not a must
    page.wait_for_selector(APP_READY_SELECTOR, timeout=APP_READY_TIMEOUT)


def save_screenshot(page, name: str) -> Path:
    """Save a full-page PNG as ``tests/artifacts/<name>.png`` and return its path."""
    path = _artifact_path(name, ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


# ---------------------------------------------------------------------------------------------
# Streamlit server
# ---------------------------------------------------------------------------------------------


StartStreamlit = Callable[..., str]


@pytest.fixture(scope="session")
def start_streamlit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartStreamlit]:
    """Factory ``start_streamlit(script, env=None, netwatch_log=None) -> base_url``.

    Each server runs ``sys.executable -m ui.serve <script>`` from the repository root on a
    free port of 127.0.0.1, with ``TEILHABE_DATA_DIR`` set to a new temporary folder and
    ``TEILHABE_DATABASE_URL`` removed. ``env`` is applied on top of that; a value of ``None``
    removes the variable. Output goes to ``tests/artifacts/streamlit-<script>-<port>.log``.
    All servers are stopped at the end of the session.
    """
    processes: list[subprocess.Popen] = []

    def start(
        script: Path,
        env: Mapping[str, str | None] | None = None,
        netwatch_log: Path | None = None,
    ) -> str:
        script = Path(script).resolve()
        if not script.is_file():
            pytest.fail(f"Streamlit script {script} does not exist", pytrace=False)

        data_dir = tmp_path_factory.mktemp(f"data-{script.stem}")
        server_env = _server_env(data_dir, env or {})

        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = _artifact_path(f"streamlit-{script.stem}-{port}", ".log")
        python = [sys.executable]
        if netwatch_log is not None:
            python += [str(BROWSER_TESTS / "netwatch.py"), str(netwatch_log)]
        command = [
            *python, "-m", "ui.serve", str(script),
            "--server.headless", "true",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        with log_path.open("w") as log:
            log.write(f"$ {' '.join(command)}\n")
            log.flush()
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=server_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so the whole process group can be stopped
            )
        processes.append(process)

        _wait_until_healthy(process, base_url, script, log_path)
        return base_url

    yield start
    _stop(processes)


def _server_env(data_dir: Path, env: Mapping[str, str | None]) -> dict[str, str]:
    """The test environment of a server: its own data folder, no database URL, then ``env``."""
    server_env = dict(os.environ)
    server_env.pop("TEILHABE_DATABASE_URL", None)
    server_env["TEILHABE_DATA_DIR"] = str(data_dir)
    server_env["PYTHONUNBUFFERED"] = "1"
    for key, value in env.items():
        if value is None:
            server_env.pop(key, None)
        else:
            server_env[key] = value
    return server_env


def _wait_until_healthy(
    process: subprocess.Popen, base_url: str, script: Path, log_path: Path
) -> None:
    """Wait for the server's health check; fail with its log if it exits or takes too long."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not _health_ok(base_url):
        if process.poll() is not None:
            pytest.fail(
                f"Streamlit ({script.name}) exited with code {process.returncode} before it "
                f"was healthy; log {log_path}:\n{_tail(log_path)}",
                pytrace=False,
            )
        if time.monotonic() > deadline:
            pytest.fail(
                f"Streamlit ({script.name}) not healthy at {base_url} after "
                f"{SERVER_START_TIMEOUT} s; log {log_path}:\n{_tail(log_path)}",
                pytrace=False,
            )
        time.sleep(0.3)


def _stop(processes: list[subprocess.Popen]) -> None:
    """Stop every server's process group: SIGTERM, and SIGKILL after 10 s."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def demo_data_dir(
    tmp_path_factory: pytest.TempPathFactory, demo_build: Path, warm_case_cache
) -> Callable[[str], Path]:
    """``demo_data_dir(name) -> Path``: a new data folder (``TEILHABE_DATA_DIR``) as the app
    leaves it after its first start without a configured database: the demo SQLite (a copy of
    the run's ``demo_build``) and its Parquet case copy. A server started on it skips building
    the demo; that first start itself is covered by ``auth_app`` (test_auth_browser.py) and
    the serve-conference test."""
    import shutil

    def make(name: str) -> Path:
        folder = tmp_path_factory.mktemp(f"data-{name}")
        shutil.copyfile(demo_build / "demo.sqlite", folder / "teilhabe.sqlite")
        warm_case_cache(None, folder)
        return folder

    return make


@pytest.fixture(scope="session")
def app_server_netwatch_log() -> Path:
    """The netwatch log of ``app_server`` (one per worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return _artifact_path(f"netwatch-app-{worker}", ".jsonl")


@pytest.fixture(scope="session")
def app_server(
    start_streamlit: StartStreamlit, demo_data_dir, app_server_netwatch_log: Path
) -> str:
    """Base URL of the dashboard (app.py) on the demo data in its default local database,
    published with the demo's documented cell-key secret and the default minimum rate base.
    One server per worker for every test that needs no special configuration; its process runs
    under ``netwatch.py`` (``app_server_netwatch_log``), which refuses and records any attempt
    to reach another machine (checked by test_offline_browser.py)."""
    app_server_netwatch_log.unlink(missing_ok=True)
    return start_streamlit(
        REPO / "app.py",
        env={
            "TEILHABE_DATA_DIR": str(demo_data_dir("app")),
            "TEILHABE_CELL_KEY_SECRET": None,
            "TEILHABE_MIN_RATE_BASE": None,
        },
        netwatch_log=app_server_netwatch_log,
    )


@pytest.fixture(scope="session")
def published_headline(demo_engine, demo_cases) -> Callable[..., dict]:
    """``published_headline(as_of=AS_OF, filters=None)``: the data layer's published headline
    figures (``Protection()``), which every page must show."""
    from teilhabe import figures
    from teilhabe.demo import AS_OF
    from teilhabe.protection import Protection

    def headline(as_of: int = AS_OF, filters=None) -> dict:
        return figures.headline_figures(
            engine=demo_engine,
            cases=demo_cases,
            as_of=as_of,
            protection=Protection(),
            filters=filters,
        ).to_dict()

    return headline


# ---------------------------------------------------------------------------------------------
# Browser
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    """Headless system Chromium driven by Playwright (session-wide)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A fresh page (own context) that may only talk to the local machine.

    Every request to another host is aborted and its URL appended to
    ``page.external_requests``.
    """
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000},
        locale="de-DE",
        timezone_id="Europe/Berlin",
    )
    external_requests: list[str] = []

    def guard(route, req) -> None:
        if is_local_url(req.url):
            route.continue_()
        else:
            external_requests.append(req.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.external_requests = external_requests
    yield page

    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        try:
            save_screenshot(page, f"failed-{request.node.name}")
        except Exception:
            pass  # the screenshot is a diagnosis aid; never mask the real failure
    context.close()


@pytest.fixture
def external_requests(page) -> list[str]:
    """URLs of all requests the page tried to send off the machine (they were aborted)."""
    return page.external_requests


# Hand the helpers out as fixtures too, so test modules need not import this conftest.
@pytest.fixture(name="open_app")
def _open_app_fixture() -> Callable[..., None]:
    """``open_app(page, url)``: go to ``url`` and wait until the script run is finished."""
    return open_app


@pytest.fixture(name="save_screenshot")
def _save_screenshot_fixture() -> Callable[..., Path]:
    """``save_screenshot(page, name) -> Path``: full-page PNG in ``tests/artifacts/``."""
    return save_screenshot
