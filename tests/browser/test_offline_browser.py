"""The offline promise, seen from outside: no request leaves the machine, from the browser or the
server process, at start-up or during page runs; no Streamlit version in the page; visitors of
an unreachable database read one German line without host, user or path (the server log has
them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit

BROWSER_TESTS = Path(__file__).resolve().parent
REPO = BROWSER_TESTS.parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"

PAGES = ["", "integration", "barriers", "network_map", "network", "presentation", "data"]


def attempts(log: Path) -> tuple[bool, list[dict]]:
    """(hook armed, recorded attempts to reach another machine) from a netwatch log."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    armed = any("armed" in line for line in lines)
    return armed, [line for line in lines if "event" in line]


def describe(found: list[dict]) -> str:
    return "\n\n".join(f"{a['event']} {a['address']}\n{''.join(a['stack'])}" for a in found)


def test_netwatch_records_and_refuses_a_lookup_of_another_machine(tmp_path: Path) -> None:
    """The watcher itself: a lookup of a foreign name is logged and refused, localhost is not."""
    log = tmp_path / "netwatch.jsonl"
    code = (
        "import socket\n"
        "socket.getaddrinfo('localhost', 80)\n"
        "socket.getaddrinfo('127.0.0.1', 80)\n"
        "try:\n"
        "    socket.getaddrinfo('checkip.amazonaws.com', 80)\n"
        "except PermissionError:\n"
        "    print('refused')\n"
    )
    result = subprocess.run(
        [sys.executable, str(BROWSER_TESTS / "netwatch.py"), str(log), "-c", code],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused"
    armed, found = attempts(log)
    assert armed
    assert [(a["event"], a["address"]) for a in found] == [
        ("socket.getaddrinfo", "'checkip.amazonaws.com'")
    ]


@pytest.fixture(scope="module")
def watched_app(app_server, app_server_netwatch_log) -> tuple[str, Path]:
    """The dashboard on its demo database, its server process under netwatch: the shared
    ``app_server`` of this worker (the log also covers every page run of the other tests)."""
    return app_server, app_server_netwatch_log


def test_no_connection_leaves_the_machine_at_start_or_during_page_runs(
    watched_app, page, open_app, external_requests
) -> None:
    url, log = watched_app
    armed, found = attempts(log)
    assert armed, "the netwatch hook did not run in the server process"
    assert not found, f"server start reached out:\n{describe(found)}"

    for path in PAGES:
        open_app(page, f"{url}/{path}")
        assert page.get_by_text("Seite nicht gefunden").count() == 0, path
        assert page.get_by_text("Datenbank nicht erreichbar").count() == 0

    assert not external_requests
    _, found = attempts(log)
    assert not found, f"page runs reached out:\n{describe(found)}"

    # a websocket from another origin is refused without Streamlit looking up this machine's
    # external address for its origin check
    assert foreign_origin_websocket(url) == 403
    _, found = attempts(log)
    assert not found, f"the origin check reached out:\n{describe(found)}"


def test_a_foreign_origin_before_any_page_run_makes_no_lookup(start_streamlit, tmp_path) -> None:
    """A websocket from another site that arrives before any page has run: the server (started
    by ``ui.serve``, as every script starts it) knows its addresses already and asks nobody.
    Started by a plain `streamlit run`, Streamlit would look up checkip.amazonaws.com here."""
    log = tmp_path / "netwatch.jsonl"
    url = start_streamlit(REPO / "app.py", netwatch_log=log)
    assert foreign_origin_websocket(url) == 403
    armed, found = attempts(log)
    assert armed, "the netwatch hook did not run in the server process"
    assert not found, f"the origin check reached out:\n{describe(found)}"


def foreign_origin_websocket(url: str) -> int | None:
    """HTTP status of a websocket handshake to the app with the Origin of another site."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(
            url.replace("http://", "ws://") + "/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers={"Origin": "http://teilhabe.jobcenter.example"},
            open_timeout=30,
        ):
            return None
    except InvalidStatus as error:
        return error.response.status_code


def test_the_page_shows_no_streamlit_version(watched_app, page, open_app) -> None:
    url, _ = watched_app
    open_app(page, url)
    assert page.locator('[data-testid="stMainMenu"]').count() == 0
    html = page.content()
    assert "Made with Streamlit" not in html
    assert f"v{streamlit.__version__}" not in html


@pytest.mark.parametrize(
    ("database_url", "secrets"),
    [
        ("postgresql+psycopg://geheimnutzer@127.0.0.1:1/geheimdb", ["geheimnutzer", "geheimdb"]),
        # a folder of the path is a file, so the database cannot be created there
        ("sqlite:///{tmp}/geheimordner/teilhabe.sqlite", ["geheimordner", "sqlite"]),
    ],
    ids=["postgresql", "sqlite"],
)
def test_an_unusable_database_tells_visitors_nothing_about_it(
    start_streamlit, page, open_app, tmp_path, database_url, secrets
) -> None:
    (tmp_path / "geheimordner").write_text("eine Datei, kein Ordner")
    database_url = database_url.format(tmp=tmp_path)
    url = start_streamlit(REPO / "app.py", env={"TEILHABE_DATABASE_URL": database_url})
    open_app(page, url)
    alert = page.get_by_text("Datenbank nicht erreichbar")
    assert alert.count() == 1
    shown = page.locator('[data-testid="stMain"]').inner_text()
    for detail in [*secrets, "127.0.0.1", ":1/", str(tmp_path), "postgresql", "psycopg"]:
        assert detail not in shown
    assert page.locator('[data-testid="stMetric"]').count() == 0
    port = url.rsplit(":", 1)[1]
    server_log = (ARTIFACTS / f"streamlit-app-{port}.log").read_text()
    assert "ist nicht erreichbar" in server_log and secrets[0] in server_log  # details: the log
