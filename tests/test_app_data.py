"""The Daten page through Streamlit's AppTest: upload, check, import, templates, data quality."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from data_access.auth import Actor
from data_access.db import create_db_engine, ensure_schema
from data_access.models import Client, ImportLog
from data_access.settings import Settings
from teilhabe import figures
from teilhabe.cases import read_cases
from teilhabe.demo import AS_OF
from teilhabe.exchange.tabular import import_table
from teilhabe.exchange.templates import template_csv, template_xlsx
from teilhabe.protection import Protection
from teilhabe.reporting.formatting import NOT_SHOWN, format_count
from teilhabe.startup import build_cube_store

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
PAGE = str(REPO / "pages" / "data.py")
REGISTERED = "pages/data.py" in (REPO / "app.py").read_text(encoding="utf-8")

# Login through OIDC as the app sees it: an [auth] section and a logged-in person whose
# "groups" claim gives the role (TEILHABE_ROLE_SOURCE=claim; see test_app_auth.py for the rest).
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
STEWARD = {
    "is_logged_in": True,
    "sub": "sub-david",
    "email": "david.daten@jobcenter.example",
    "name": "David Daten",
    "groups": ["teilhabe-daten"],
}
CLI = Actor.command_line("tester")


def shown(markdown: str) -> str:
    """Markdown source as the reader sees it: file names and notes come escaped
    (``reporting.text.markdown_text``), a backslash before a character shows the character."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def log_in(at: AppTest, user: dict | None = STEWARD) -> AppTest:
    """Configure login on ``at`` and log ``user`` in (None: nobody logged in)."""
    at.secrets.update(AUTH_SECRETS)
    at.user = dict(user) if user is not None else {}
    return at


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("cp1252")


@pytest.fixture
def database(demo_sqlite_url, tmp_path, monkeypatch, warm_case_cache) -> str:
    """A private copy of the demo database for the app (imports change it)."""
    target = tmp_path / "app.sqlite"
    source = sqlite3.connect(make_url(demo_sqlite_url).database)
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    url = f"sqlite:///{target}"
    monkeypatch.setenv("TEILHABE_DATABASE_URL", url)
    monkeypatch.setenv("TEILHABE_DATA_DIR", str(tmp_path / "data"))
    warm_case_cache(url, tmp_path / "data")  # as after the app's first run on this copy
    for key, value in ROLE_ENV.items():
        monkeypatch.setenv(key, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    return url


def open_page(user: dict | None = STEWARD) -> AppTest:
    """The Daten page as ``user`` (default: a data steward): through the router once app.py
    lists it, else the page on its own."""
    if REGISTERED:
        at = log_in(AppTest.from_file(APP, default_timeout=60), user)
        at.run()
        at.switch_page("pages/data.py").run()
    else:
        at = log_in(AppTest.from_file(PAGE, default_timeout=60), user)
        at.run()
    assert not at.exception
    return at


def clients(url: str) -> int:
    engine = create_db_engine(make_url(url))
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Client)).scalar_one()
    finally:
        engine.dispose()


HEADER = ["Personen-ID", "Gemeindeschlüssel", "Geschlecht", "Geburtsjahr"]
TEST_SECRET = "ein-geheimnis-nur-fuer-die-tests"


def published_elb(engine) -> int:
    """The ELB as of 09/2013 as the app publishes it with ``TEST_SECRET``."""
    cases = read_cases(engine=engine, secret=TEST_SECRET)
    stock = figures.benefit_stock(cases=cases, as_of=AS_OF, protection=Protection())
    return stock["elb"].item()


def test_upload_check_then_import(database) -> None:
    at = open_page()
    assert at.title[0].value == "Daten"
    assert "Datenstand 30.09.2013" in at.caption[0].value
    at.selectbox(key="import_table").set_value("client").run()

    bad = csv_bytes([HEADER, ["NEU-1", "08135019", "w", "1980"], ["NEU-2", "99999999", "w", "17"]])
    at.file_uploader(key="import_file").set_value(("personen.csv", bad, "text/csv")).run()
    assert not at.exception
    assert "2 Probleme" in at.error[0].value
    problems = at.dataframe[1].value  # after the column guide
    assert list(problems.columns) == ["Datei", "Zeile", "Spalte", "Wert", "Problem"]
    assert problems[["Zeile", "Spalte", "Wert"]].values.tolist() == [
        ["3", "Geburtsjahr", "17"],
        ["3", "Gemeindeschlüssel", "99999999"],
    ]
    assert not [b for b in at.button if b.key == "import_confirm"]
    assert clients(database) == 24_000

    good = csv_bytes(
        [HEADER, ["NEU-1", "08135019", "w", "1980"], ["NEU-2", "08135019", "m", "1975"]]
    )
    at.file_uploader(key="import_file").set_value(("personen.csv", good, "text/csv")).run()
    assert not at.error
    assert "2 Zeilen geprüft, keine Probleme. Beim Import: 2 neu, 0 geändert, 0 unverändert" in (
        at.success[0].value
    )
    assert any("Windows-1252" in shown(caption.value) for caption in at.caption)
    version = figures.dataset_info(engine=create_db_engine(make_url(database)))["data_version"]

    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert "**personen.csv** importiert: 2 neu, 0 geändert, 0 unverändert" in shown(
        at.success[0].value
    )
    # the uploader is empty again: no second "Importieren" for the same file
    assert len(at.success) == 1
    assert not [b for b in at.button if b.key == "import_confirm"]
    assert [u.key for u in at.get("file_uploader")] == ["import_file_1"]
    assert clients(database) == 24_002
    engine = create_db_engine(make_url(database))
    assert figures.dataset_info(engine=engine)["data_version"] != version
    with engine.connect() as connection:
        logged = connection.execute(
            select(
                ImportLog.file_name,
                ImportLog.imported_by,
                ImportLog.imported_by_subject,
                ImportLog.imported_by_email,
                ImportLog.imported_by_role,
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in logged] == [
        (
            "personen.csv",
            "david.daten@jobcenter.example",
            "sub-david",
            "david.daten@jobcenter.example",
            "datenverantwortung",
        )
    ]
    log = at.dataframe[-1].value
    assert log[["Tabelle", "Datei", "neu", "von", "Rolle", "Kennung (OIDC)"]].values.tolist() == [
        [
            "Personen",
            "personen.csv",
            "2",
            "david.daten@jobcenter.example",
            "Datenverantwortung",
            "sub-david",
        ]
    ]


def test_an_excel_upload_and_the_templates(database) -> None:
    at = open_page()
    at.selectbox(key="import_table").set_value("district").run()
    buttons = {b.label: b for b in at.get("download_button")}
    assert {"Vorlage CSV", "Vorlage Excel"} <= set(buttons)
    workbook = template_xlsx("district")
    at.file_uploader(key="import_file").set_value(("kreise.xlsx", workbook, "application/x")).run()
    assert not at.exception and not at.error
    assert "Beim Import: 0 neu, 0 geändert, 1 unverändert" in at.success[0].value
    guide = at.dataframe[0].value
    assert guide["Spalte"].tolist() == ["Kreisschlüssel", "Kreis", "Jobcenter"]


def test_the_data_quality_panel(database) -> None:
    at = open_page()
    overview = at.dataframe[1].value
    assert overview.set_index("Tabelle").loc["Personen", "Zeilen"] == "24.000"
    assert overview.set_index("Tabelle").loc["Leistungszeiträume", "bis"] == "28.09.2013"
    gaps = at.dataframe[2].value.set_index("Prüfung")["Anzahl"]
    assert gaps["Personen ohne Leistungszeitraum"] == "0"
    assert gaps["Verweise auf fehlende Datensätze"] == "0"
    missing = at.dataframe[3].value
    assert list(missing.columns) == ["Tabelle", "Spalte", "leer", "Anteil"]
    assert any("30.09.2013" in m.value for m in at.markdown)
    assert any(c.value == Protection().note for c in at.caption)  # how counts are protected


def test_one_or_two_persons_without_spells_are_not_shown(database, monkeypatch) -> None:
    monkeypatch.setenv("TEILHABE_CELL_KEY_SECRET", TEST_SECRET)  # the import makes data real
    engine = create_db_engine(make_url(database))
    rows = [HEADER, ["NEU-1", "08135019", "w", "1980"]]
    assert import_table(engine, "client", csv_bytes(rows), name="p.csv", actor=CLI).ok
    engine.dispose()
    gaps = open_page().dataframe[2].value.set_index("Prüfung")["Anzahl"]
    assert gaps["Personen ohne Leistungszeitraum"] == NOT_SHOWN
    rows = [HEADER, *([f"NEU-{i}", "08135019", "w", "1980"] for i in (2, 3))]
    assert import_table(engine, "client", csv_bytes(rows), name="p2.csv", actor=CLI).ok
    engine.dispose()
    st.cache_data.clear()
    gaps = open_page().dataframe[2].value.set_index("Prüfung")["Anzahl"]
    assert gaps["Personen ohne Leistungszeitraum"] == "3"  # from 3 on as counted


def test_real_data_without_a_secret_stop_with_the_message(database) -> None:
    engine = create_db_engine(make_url(database))
    rows = [HEADER, ["NEU-1", "08135019", "w", "1980"]]
    assert import_table(engine, "client", csv_bytes(rows), name="p.csv", actor=CLI).ok  # real
    engine.dispose()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert not at.metric
    assert len(at.error) == 1
    assert at.error[0].value.startswith("TEILHABE_CELL_KEY_SECRET fehlt: Für echte Daten")
    # the Daten page (imports, data quality: no figures about persons) still works
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Daten"


def test_the_page_works_on_a_database_without_data(tmp_path, monkeypatch) -> None:
    """The first data come in here: an empty database must not stop the page."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    engine = create_db_engine(make_url(url))
    ensure_schema(engine, allow_upgrade=True)
    engine.dispose()
    monkeypatch.setenv("TEILHABE_DATABASE_URL", url)
    monkeypatch.setenv("TEILHABE_DATA_DIR", str(tmp_path / "data"))
    for key, value in ROLE_ENV.items():
        monkeypatch.setenv(key, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = log_in(AppTest.from_file(PAGE, default_timeout=60))
    at.run()
    assert not at.exception
    assert at.title[0].value == "Daten"
    assert "noch keine Leistungsdaten" in at.info[0].value
    at.selectbox(key="import_table").set_value("district").run()
    upload = ("kreis.csv", template_csv("district"), "text/csv")
    at.file_uploader(key="import_file").set_value(upload).run()
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert "**kreis.csv** importiert: 1 neu" in shown(at.success[0].value)


def test_other_pages_show_imported_data_without_a_restart(database, monkeypatch) -> None:
    """An import (here from another session) gives a new data version; the next run uses it."""
    monkeypatch.setenv("TEILHABE_CELL_KEY_SECRET", TEST_SECRET)  # the import makes data real
    at = log_in(AppTest.from_file(APP, default_timeout=60))
    at.run()
    engine = create_db_engine(make_url(database))
    before = published_elb(engine)
    assert abs(before - 4230) <= 2
    assert {m.label: m.value for m in at.metric}["ELB"] == format_count(before)
    new = [[f"NEU-{i}", "08135019", "f", "1980"] for i in range(5)]
    assert import_table(engine, "client", csv_bytes([HEADER, *new]), name="p.csv", actor=CLI).ok
    spells = [["Personen-ID", "Beginn"], *[[f"NEU-{i}", "01.01.2013"] for i in range(5)]]
    assert import_table(engine, "benefit_spell", csv_bytes(spells), name="s.csv", actor=CLI).ok
    at.run()  # until the store has the new version, the app shows the last complete one
    assert {m.label: m.value for m in at.metric}["ELB"] == format_count(before)
    build_cube_store(engine, Settings.load())  # as every import of the CLI and the page ends
    engine.dispose()
    engine = create_db_engine(make_url(database))
    after = published_elb(engine)
    engine.dispose()
    assert abs(after - 4235) <= 2  # 4,230 and 5 new persons
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["ELB"] == format_count(after)
    assert not any("Demodaten" in info.value for info in at.info)  # no longer synthetic


def test_real_data_without_a_prepared_version_are_not_built_on_a_request(
    database, monkeypatch
) -> None:
    """Real data that no build has prepared yet: the pages say so calmly, nothing is built."""
    monkeypatch.setenv("TEILHABE_CELL_KEY_SECRET", TEST_SECRET)
    with sqlite3.connect(make_url(database).database) as connection:
        connection.execute("UPDATE dataset_info SET value = 'false' WHERE key = 'synthetic'")
    settings = Settings.load()
    # the store holds the demo's version only (built with the demo secret, so it does not count)
    before = sorted(settings.cube_store.rglob("*"))
    at = log_in(AppTest.from_file(APP, default_timeout=60))
    at.run()
    assert not at.exception
    assert any("noch kein Datenstand aufbereitet" in info.value for info in at.info)
    assert not at.metric
    assert sorted(settings.cube_store.rglob("*")) == before  # the request built nothing
    engine = create_db_engine(make_url(database))
    build_cube_store(engine, settings)  # `teilhabe cube build`
    engine.dispose()
    at.run()
    assert not at.exception
    assert {m.label for m in at.metric} >= {"ELB", "LZB"}
