"""The app's notice about an incomplete last month, through Streamlit's AppTest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from data_access.db import create_db_engine
from data_access.settings import Settings
from teilhabe.startup import build_cube_store

APP = str(Path(__file__).resolve().parents[1] / "app.py")
NOTICE = "Letzter Monat möglicherweise unvollständig"


def app_on(url: str, tmp_path: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("TEILHABE_DATABASE_URL", url)
    monkeypatch.setenv("TEILHABE_DATA_DIR", str(tmp_path / "data"))
    # real data (synthetic = false) are published with the installation's secret
    monkeypatch.setenv("TEILHABE_CELL_KEY_SECRET", "ein-geheimnis-nur-fuer-die-tests")
    # the data were changed outside an import: prepared as `teilhabe cube build` does
    engine = create_db_engine(make_url(url))
    build_cube_store(engine, Settings.load())
    engine.dispose()
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def test_an_incomplete_last_month_is_named_and_the_month_before_offered(
    demo_sqlite_url, tmp_path, monkeypatch
) -> None:
    """Real data whose extract holds only a few of September's integrations."""
    target = tmp_path / "late.sqlite"
    source = sqlite3.connect(make_url(demo_sqlite_url).database)
    with sqlite3.connect(target) as copy:
        source.backup(copy)
        copy.execute(
            "DELETE FROM integration WHERE date >= '2013-09-01' AND rowid NOT IN "
            "(SELECT rowid FROM integration WHERE date >= '2013-09-01' LIMIT 20)"
        )
        copy.execute("UPDATE dataset_info SET value = 'late-extract' WHERE key = 'data_version'")
        copy.execute("UPDATE dataset_info SET value = 'false' WHERE key = 'synthetic'")
    source.close()
    at = app_on(f"sqlite:///{target}", tmp_path, monkeypatch)
    warnings = [w.value for w in at.sidebar.warning]
    assert any(w.startswith(f"{NOTICE}: September 2013 enthält weniger") for w in warnings)
    button = at.button(key="vormonat_waehlen")
    assert button.label == "Stichtag August 2013 wählen"
    button.click().run()
    assert not at.exception
    assert at.selectbox(key="stand").value == "2013-08"
    assert "Stichtag 31.08.2013" in at.caption[0].value
    assert not any(NOTICE in w.value for w in at.sidebar.warning)


def test_the_complete_demo_gets_no_notice(demo_sqlite_url, tmp_path, monkeypatch) -> None:
    at = app_on(demo_sqlite_url, tmp_path, monkeypatch)
    assert not any(NOTICE in w.value for w in at.sidebar.warning)
