"""Login through a real OpenID Connect provider in the browser, and what each role may do.

A mock OIDC provider (PyPI ``oidc-provider-mock``) runs on 127.0.0.1 inside the test process,
with three persons whose ``groups`` claim gives their role. The app runs with an ``[auth]``
section pointing at it (a secrets file of its own, ``STREAMLIT_SECRETS_FILES``) and takes roles
from the claim. Chromium logs in through the provider's form, exactly as a person would.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from teilhabe.exchange.templates import template_csv

# the mock provider uses an Authlib API that Authlib deprecates; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

REPO = Path(__file__).resolve().parents[2]
USERS = {
    "sub-bea": {
        "email": "bea.betrachter@jobcenter.example",
        "name": "Bea Betrachter",
        "groups": ["/Teilhabe/Lesen"],
    },
    "sub-david": {
        "email": "david.daten@jobcenter.example",
        "name": "David Daten",
        "groups": ["/Teilhabe/Daten", "/Jobcenter/Alle"],
    },
    "sub-olaf": {"email": "olaf.ohne@jobcenter.example", "name": "Olaf Ohne", "groups": []},
}
MAPPING = "/Teilhabe/Lesen=betrachter,/Teilhabe/Daten=datenverantwortung"


def shown(text: str) -> re.Pattern[str]:
    """``text`` as the page shows it: an e-mail address from the login carries an invisible word
    joiner after its "@" (``reporting.text.markdown_text``: no address becomes a link)."""
    return re.compile(re.escape(text).replace("@", "@\u2060?"))


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[str]:
    """A real OIDC provider on 127.0.0.1 (free port); its base URL (= issuer)."""
    import werkzeug.serving
    from oidc_provider_mock import User, app

    wsgi = app(user_claims=[User(sub=sub, claims=claims) for sub, claims in USERS.items()])
    server = werkzeug.serving.make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def auth_app(start_streamlit, oidc_provider, tmp_path_factory) -> tuple[str, Path]:
    """The dashboard with login through the provider; (base URL, its SQLite file). Its data
    folder starts empty, so its first page run builds the demo data, as on a first start (the
    other servers start on a copy, ``demo_data_dir``)."""
    folder = tmp_path_factory.mktemp("auth-app")
    secrets = folder / "secrets.toml"
    # the redirect URI to register with the provider: the app's address + /oauth2callback
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "ein-langes-zufaelliges-geheimnis-fuer-tests"\n'
        'client_id = "teilhabe-monitor"\n'
        'client_secret = "geheim"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    data_dir = folder / "data"
    url = start_streamlit(
        REPO / "app.py",
        env={
            "STREAMLIT_SECRETS_FILES": str(secrets),
            "TEILHABE_DATA_DIR": str(data_dir),
            "TEILHABE_ROLE_SOURCE": "claim",
            "TEILHABE_ROLE_CLAIM": "groups",
            "TEILHABE_ROLE_MAPPING": MAPPING,
            "TEILHABE_ANONYMOUS_IMPORTS": None,
            # the app talks to the provider directly, never through a proxy
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        },
    )
    return url, data_dir / "teilhabe.sqlite"


def log_in(page, open_app, base_url: str, sub: str, screenshot=None) -> None:
    """Open the app, press "Anmelden", choose the person on the provider's page, come back."""
    # the provider's pages load a stylesheet from a CDN: answer it locally (no internet)
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.fulfill(body="", status=200))
    open_app(page, f"{base_url}/data")  # a link to a page shows the login, not the page
    expect(page.get_by_role("heading", name="Teilhabe-Monitor", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    if screenshot:
        screenshot(page, "login")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_role("button", name=sub, exact=True).click()
    page.wait_for_url(f"{base_url}/**")
    open_app(page, page.url)


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def test_a_viewer_sees_the_analysis_but_no_import(auth_app, page, open_app, save_screenshot):
    base_url, _ = auth_app
    log_in(page, open_app, base_url, "sub-bea", save_screenshot)
    expect(sidebar(page).get_by_text("Bea Betrachter")).to_be_visible()
    expect(sidebar(page).get_by_text("Rolle: Betrachter")).to_be_visible()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()

    open_app(page, f"{base_url}/data")  # straight to the Daten page by its address
    expect(page.get_by_role("heading", name="Daten", exact=True)).to_be_visible()
    expect(page.get_by_text("Kein Import mit Ihrer Rolle")).to_be_visible()
    expect(page.get_by_role("tab", name="Datenqualität", exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name="Import", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    save_screenshot(page, "data_page_betrachter")

    # logging out: through the provider's end-session page back to the login
    sidebar(page).get_by_role("button", name="Abmelden").click()
    page.wait_for_url("**/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{base_url}/**")
    open_app(page, page.url)
    expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    assert page.external_requests == []


def test_a_data_steward_imports_and_the_log_names_them(
    auth_app, page, open_app, save_screenshot, tmp_path
):
    base_url, database = auth_app
    log_in(page, open_app, base_url, "sub-david")
    open_app(page, f"{base_url}/data")
    expect(sidebar(page).get_by_text("Rolle: Datenverantwortung")).to_be_visible()
    expect(page.get_by_text("Höchstens 100 MB je Datei;")).to_be_visible()
    # the uploader's own (German) instruction names the configured limit, not Streamlit's 200
    instruction = page.get_by_test_id("stFileUploaderDropzoneInstructions").locator("span").first
    content = instruction.evaluate("e => getComputedStyle(e, '::after').content")
    assert "bis 100 MB" in content, content
    save_screenshot(page, "data_page_datenverantwortung")

    upload = tmp_path / "kreise.csv"  # the first table of the list: Kreise
    upload.write_bytes(template_csv("district"))
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
    expect(page.get_by_text("keine Probleme")).to_be_visible()
    page.get_by_role("button", name="Importieren").click()
    expect(page.get_by_text("kreise.csv").first).to_be_visible()
    page.get_by_role("tab", name="Importprotokoll", exact=True).click()
    log = page.get_by_role("tabpanel", name="Importprotokoll")
    expect(
        log.get_by_text(shown("von david.daten@jobcenter.example (Rolle Datenverantwortung)"))
    ).to_be_visible()
    expect(log.get_by_test_id("stDataFrame")).to_be_visible()
    save_screenshot(page, "data_page_import_log")

    with sqlite3.connect(database) as connection:
        logged = connection.execute(
            "SELECT file_name, imported_by, imported_by_subject, imported_by_email, "
            "imported_by_role FROM import_log"
        ).fetchall()
    assert logged == [
        (
            "kreise.csv",
            "david.daten@jobcenter.example",
            "sub-david",
            "david.daten@jobcenter.example",
            "datenverantwortung",
        )
    ]
    assert page.external_requests == []


def test_a_person_without_a_role_sees_only_the_message(auth_app, page, open_app, save_screenshot):
    base_url, _ = auth_app
    log_in(page, open_app, base_url, "sub-olaf")
    expect(page.get_by_role("heading", name="Kein Zugang zum Teilhabe-Monitor")).to_be_visible()
    expect(page.get_by_text(shown("olaf.ohne@jobcenter.example")).first).to_be_visible()
    open_app(page, f"{base_url}/data")
    expect(page.get_by_role("heading", name="Kein Zugang zum Teilhabe-Monitor")).to_be_visible()
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    save_screenshot(page, "no_role")
    assert page.external_requests == []
