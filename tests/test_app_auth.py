"""Login and roles in the app (AppTest with ``st.user`` set): the gate, the sidebar, the Daten
page for each role, the anonymous local default and anonymous imports where allowed."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from data_access import auth
from data_access.db import create_db_engine
from data_access.models import District, ImportLog
from teilhabe.exchange.templates import template_csv

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")

AUTH_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "ein-langes-zufaelliges-geheimnis",
        "client_id": "teilhabe-monitor",
        "client_secret": "geheim",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
}
ROLE_ENV = {
    "TEILHABE_ROLE_SOURCE": "claim",
    "TEILHABE_ROLE_CLAIM": "groups",
    "TEILHABE_ROLE_MAPPING": "teilhabe-lesen=betrachter,teilhabe-daten=datenverantwortung,"
    "teilhabe-admin=administration",
}


def person(sub: str, email: str, name: str, groups: list[str]) -> dict:
    return {"is_logged_in": True, "sub": sub, "email": email, "name": name, "groups": groups}


VIEWER = person("sub-bea", "bea.betrachter@jobcenter.example", "Bea Betrachter", ["teilhabe-lesen"])
STEWARD = person("sub-david", "david.daten@jobcenter.example", "David Daten", ["teilhabe-daten"])
NO_ROLE = person("sub-olaf", "olaf.ohne@jobcenter.example", "Olaf Ohne", ["andere-gruppe"])


@pytest.fixture
def database(demo_sqlite_url, tmp_path, monkeypatch, warm_case_cache) -> str:
    """A private copy of the demo database, roles from the "groups" claim."""
    target = tmp_path / "app.sqlite"
    source = sqlite3.connect(make_url(demo_sqlite_url).database)
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    url = f"sqlite:///{target}"
    monkeypatch.setenv("TEILHABE_DATABASE_URL", url)
    monkeypatch.setenv("TEILHABE_DATA_DIR", str(tmp_path / "data"))
    warm_case_cache(url, tmp_path / "data")  # as after the app's first run on this copy
    monkeypatch.delenv("TEILHABE_ANONYMOUS_IMPORTS", raising=False)
    for key, value in ROLE_ENV.items():
        monkeypatch.setenv(key, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    return url


def app(user: dict | None, *, login: bool = True) -> AppTest:
    """The app with login configured and ``user`` logged in ({}: nobody), or without login."""
    at = AppTest.from_file(APP, default_timeout=90)
    if login:
        at.secrets.update(AUTH_SECRETS)
        at.user = dict(user or {})
    else:
        at.user = {}
    return at


def data_page(at: AppTest) -> AppTest:
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


def shown_elb(at: AppTest) -> str:
    return {m.label: m.value for m in at.metric}["ELB"]


def published_elb(url: str) -> str:
    """The demo's ELB of 09/2013 as the data layer publishes it (exact: 4,230)."""
    from teilhabe import figures
    from teilhabe.cases import read_cases
    from teilhabe.demo import AS_OF
    from teilhabe.protection import DEMO_SECRET, Protection
    from teilhabe.reporting.formatting import format_count

    engine = create_db_engine(make_url(url))
    cases = read_cases(engine=engine, secret=DEMO_SECRET)
    stock = figures.benefit_stock(cases=cases, as_of=AS_OF, protection=Protection())
    engine.dispose()
    return format_count(stock["elb"].item())


def texts(elements) -> str:
    """The elements' Markdown as the reader sees it: names and addresses from the login come
    escaped (``reporting.text.markdown_text``: a backslash before a character, an invisible
    word joiner where an address would become a link)."""
    shown = "\n".join(str(e.value) for e in elements)
    return re.sub(r"\\(.)", r"\1", shown).replace("\u2060", "")


def uploaders(at: AppTest) -> list:
    return list(at.get("file_uploader"))


def tab_labels(at: AppTest) -> list[str]:
    return [tab.label for tab in at.tabs]


def frame(at: AppTest, column: str):
    """The (last) table on the page that has ``column``."""
    return [d.value for d in at.dataframe if column in d.value.columns][-1]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def districts(url: str) -> int:
    engine = create_db_engine(make_url(url))
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(District)).scalar_one()
    finally:
        engine.dispose()


# --- Without [auth]: the local default -------------------------------------------------------


def test_without_login_the_analysis_works_and_the_data_page_has_no_uploader(database) -> None:
    at = app(None, login=False)
    at.run()
    assert not at.exception
    assert shown_elb(at) == published_elb(database)  # Übersicht as before
    assert "Ohne Anmeldung (lokale Installation)" in texts(at.sidebar.caption)
    assert not [b for b in at.sidebar.button if b.label == "Abmelden"]

    data_page(at)
    assert uploaders(at) == []
    assert tab_labels(at) == ["Datenqualität", "Importprotokoll"]
    notice = texts(at.info)
    assert "Import nur mit Anmeldung" in notice and "[auth]" in notice
    assert ".streamlit/secrets.toml" in notice and "Anmeldung und Rollen" in notice
    assert not [b for b in at.button if b.key == "import_confirm"]
    assert at.dataframe  # data quality and import log are there


def test_anonymous_imports_only_when_the_installation_allows_them(database, monkeypatch) -> None:
    monkeypatch.setenv("TEILHABE_ANONYMOUS_IMPORTS", "true")
    st.cache_resource.clear()
    at = data_page(app(None, login=False))
    assert len(uploaders(at)) == 1
    assert tab_labels(at) == ["Import", "Datenqualität", "Importprotokoll"]
    assert "Import ohne Anmeldung ist eingeschaltet" in texts(at.warning)
    assert "Import ohne Anmeldung eingeschaltet" in texts(at.sidebar.caption)
    assert any("Höchstens 100 MB je Datei" in c.value for c in at.caption)

    at.selectbox(key="import_table").set_value("district").run()
    upload = ("kreis.csv", template_csv("district"), "text/csv")
    at.file_uploader(key="import_file").set_value(upload).run()
    at.button(key="import_confirm").click().run()
    assert not at.exception
    engine = create_db_engine(make_url(database))
    with engine.connect() as connection:
        by = connection.execute(select(ImportLog.imported_by, ImportLog.imported_by_role)).all()
    engine.dispose()
    assert [tuple(r) for r in by] == [("Weboberfläche (ohne Anmeldung)", "datenverantwortung")]


# --- With [auth] -----------------------------------------------------------------------------


def test_nobody_logged_in_sees_only_the_login(database) -> None:
    at = app({})
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Teilhabe-Monitor"]
    assert [b.label for b in at.button] == ["Anmelden"]
    assert not at.metric and not at.tabs and not at.sidebar.multiselect
    # the Daten page is not there (its address shows the login; see the browser test)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/data.py")
    # and the page file run on its own (without the router's gate) shows nothing either
    page = AppTest.from_file(str(REPO / "pages" / "data.py"), default_timeout=90)
    page.secrets.update(AUTH_SECRETS)
    page.user = {}
    page.run()
    assert not page.exception and not page.dataframe and uploaders(page) == []


def test_a_person_without_a_role_sees_a_clear_message_and_nothing_else(database) -> None:
    at = app(NO_ROLE)
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Kein Zugang zum Teilhabe-Monitor"]
    message = texts(at.error)
    assert "olaf.ohne@jobcenter.example" in message and "keine Rolle" in message
    assert "sub-olaf" in texts(at.markdown)  # to pass on to the administration
    assert [b.label for b in at.button] == ["Abmelden"]
    assert not at.metric and not at.dataframe and not at.tabs and not at.sidebar.multiselect
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/data.py")


def test_a_viewer_sees_the_analysis_but_cannot_import(database) -> None:
    at = app(VIEWER)
    at.run()
    assert not at.exception
    assert shown_elb(at) == published_elb(database)
    assert "Bea Betrachter" in texts(at.sidebar.markdown)
    assert "Rolle: Betrachter" in texts(at.sidebar.caption)

    data_page(at)
    assert uploaders(at) == []
    assert tab_labels(at) == ["Datenqualität", "Importprotokoll"]
    assert "Kein Import mit Ihrer Rolle" in texts(at.info)
    # a forged request for an import does nothing
    at.session_state["import_requested"] = True
    at.run()
    assert uploaders(at) == [] and districts(database) == 1

    # logging out ends the session: the next run shows the login
    at.sidebar.button(key="logout").click().run()
    assert at.user == {"is_logged_in": False}
    at.run()
    assert [t.value for t in at.title] == ["Teilhabe-Monitor"]


def test_a_data_steward_imports_and_the_log_names_them(database) -> None:
    at = data_page(app(STEWARD))
    assert len(uploaders(at)) == 1
    assert "Rolle: Datenverantwortung" in texts(at.sidebar.caption)
    at.selectbox(key="import_table").set_value("district").run()
    upload = ("kreis.csv", template_csv("district"), "text/csv")
    at.file_uploader(key="import_file").set_value(upload).run()
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert "**kreis.csv** importiert" in texts(at.success) or "nichts zu ändern" in texts(at.info)
    log = at.dataframe[-1].value
    assert log[["Datei", "von", "Rolle", "Kennung (OIDC)"]].values.tolist() == [
        ["kreis.csv", "david.daten@jobcenter.example", "Datenverantwortung", "sub-david"]
    ]


def test_roles_from_the_role_table(database, monkeypatch) -> None:
    monkeypatch.setenv("TEILHABE_ROLE_SOURCE", "table")
    st.cache_resource.clear()
    at = app(STEWARD)  # the "groups" claim does not count now
    at.run()
    assert [t.value for t in at.title] == ["Kein Zugang zum Teilhabe-Monitor"]

    engine = create_db_engine(make_url(database))
    admin = auth.Actor.command_line("root")
    auth.add_user(engine, "David.Daten@jobcenter.example", "datenverantwortung", actor=admin)
    at.run()
    assert "Rolle: Datenverantwortung" in texts(at.sidebar.caption)
    data_page(at)
    assert len(uploaders(at)) == 1

    auth.add_user(engine, "sub-david", "betrachter", actor=admin)  # the subject wins
    engine.dispose()
    at.run()
    assert uploaders(at) == [] and "Rolle: Betrachter" in texts(at.sidebar.caption)


def test_the_administration_manages_the_role_table_on_the_page(database, monkeypatch) -> None:
    monkeypatch.setenv("TEILHABE_ROLE_SOURCE", "table")
    st.cache_resource.clear()
    engine = create_db_engine(make_url(database))
    auth.add_user(engine, "sub-ada", "administration", actor=auth.Actor.command_line("root"))
    engine.dispose()
    admin = person("sub-ada", "ada.admin@jobcenter.example", "Ada Admin", [])
    at = data_page(app(admin))
    assert tab_labels(at) == ["Import", "Datenqualität", "Importprotokoll", "Rollen"]
    assert frame(at, "Kennung")["Kennung"].tolist() == ["sub-ada"]

    at.text_input(key="role_identity").input("Bea.Betrachter@jobcenter.example")
    at.selectbox(key="role_new").set_value("betrachter")
    button(at, "Rolle vergeben").click().run()
    assert not at.exception
    assert "bea.betrachter@jobcenter.example hat jetzt die Rolle „Betrachter“" in texts(
        at.success
    ).replace("Bea.Betrachter", "bea.betrachter")
    table = frame(at, "Kennung").set_index("Kennung")
    assert table.loc["bea.betrachter@jobcenter.example", "Rolle"] == "Betrachter"
    assert table.loc["bea.betrachter@jobcenter.example", "vergeben von"] == (
        "ada.admin@jobcenter.example"
    )

    at.selectbox(key="role_remove_identity").set_value("bea.betrachter@jobcenter.example")
    at.button(key="role_remove").click().run()
    assert "keine Rolle mehr" in texts(at.success)
    assert frame(at, "Kennung")["Kennung"].tolist() == ["sub-ada"]


def test_only_the_administration_sees_the_roles_and_claims_are_shown_read_only(database) -> None:
    at = data_page(app(STEWARD))
    assert "Rollen" not in tab_labels(at)
    admin = person("sub-ada", "ada.admin@jobcenter.example", "Ada Admin", ["teilhabe-admin"])
    at = data_page(app(admin))
    assert tab_labels(at)[-1] == "Rollen"
    assert "Claim „groups“" in texts(at.info)
    mapping = frame(at, "Gruppe")
    assert mapping.values.tolist()[-1] == ["teilhabe-admin", "Administration"]
