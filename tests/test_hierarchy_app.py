"""Land → Jobcenter → Gemeinde in the app (AppTest), on a demo of three districts.

The demo's first district is Landkreis Heidenheim (08135, Baden-Württemberg), the others are
synthetic (99002, 99003 in the non-existent Land 99), eleven municipalities each.
"""

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
HOSTILE = "[Neu anmelden](https://evil.example/x)"


@pytest.fixture(scope="module")
def districts_url(tmp_path_factory) -> str:
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine, ensure_schema
    from teilhabe.demo import load_demo
    from teilhabe.demo.spec import DemoSpec

    url = f"sqlite:///{tmp_path_factory.mktemp('districts') / 'districts.sqlite'}"
    engine = create_db_engine(make_url(url))
    ensure_schema(engine, allow_upgrade=True)
    load_demo(engine, DemoSpec(clients=3000, districts=3))
    with engine.begin() as connection:  # a Jobcenter's name is text from data
        connection.execute(
            text("UPDATE district SET jobcenter_name = :name WHERE key = '99003'"),
            {"name": HOSTILE},
        )
    engine.dispose()
    return url


@pytest.fixture
def app(monkeypatch, districts_url, tmp_path) -> AppTest:
    monkeypatch.setenv("TEILHABE_DATABASE_URL", districts_url)
    monkeypatch.setenv("TEILHABE_DATA_DIR", str(tmp_path / "data"))
    st.cache_resource.clear()
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=120)


def multiselects(at: AppTest) -> dict:
    return {m.label: m for m in at.sidebar.multiselect}


def test_the_jobcenter_choice_comes_first_and_the_municipalities_follow(app: AppTest) -> None:
    app.run()
    assert not app.exception
    chosen = multiselects(app)
    assert list(chosen)[:3] == ["Land", "Jobcenter", "Gemeinden"]
    assert chosen["Land"].options == ["Baden-Württemberg", "Land 99"]
    assert chosen["Jobcenter"].options == ["Jobcenter Landkreis Heidenheim", "Jobcenter 2", HOSTILE]
    # no flat list of all 33 municipalities: first a Jobcenter
    assert chosen["Gemeinden"].options == [] and chosen["Gemeinden"].disabled
    assert app.caption[0].value.startswith("3 Jobcenter in 2 Ländern · Stichtag 30.09.2013")

    chosen["Jobcenter"].set_value(["08135"]).run()
    chosen = multiselects(app)
    places = chosen["Gemeinden"].options
    assert (
        len(places) == 11 and "Giengen an der Brenz" in places and not chosen["Gemeinden"].disabled
    )
    assert app.caption[0].value.startswith("Jobcenter Landkreis Heidenheim · Stichtag")
    assert app.query_params["jobcenter"] == "08135"

    chosen["Gemeinden"].set_value(["08135019"]).run()  # Heidenheim, then another Jobcenter
    multiselects(app)["Jobcenter"].set_value(["99002"]).run()
    chosen = multiselects(app)
    assert chosen["Gemeinden"].value == []  # Heidenheim is not in Jobcenter 2: dropped
    assert chosen["Gemeinden"].options[:2] == ["Beispielort 2-1", "Beispielort 2-10"]

    # a Land narrows the Jobcenters; with one Jobcenter in it its municipalities are offered
    chosen["Jobcenter"].set_value([]).run()
    multiselects(app)["Land"].set_value(["08"]).run()
    chosen = multiselects(app)
    assert chosen["Jobcenter"].options == ["Jobcenter Landkreis Heidenheim"]
    assert len(chosen["Gemeinden"].options) == 11
    assert app.caption[0].value.startswith("Jobcenter Landkreis Heidenheim · Stichtag")
    assert app.query_params["land"] == "08"


def test_breakdowns_by_land_and_jobcenter_at_the_chosen_level(app: AppTest) -> None:
    app.switch_page("pages/integration.py").run()
    assert not app.exception
    by = next(s for s in app.selectbox if s.label == "Aufgliederung nach")
    assert by.options[:3] == ["Land", "Jobcenter", "Geschlecht"]
    by.set_value("jobcenter").run()
    assert not app.exception
    # the breakdown's table: the Jobcenters by name, each with its own figure
    table = next(d.value for d in app.dataframe if d.value.columns[0] == "Jobcenter")
    assert sorted(table.iloc[:, 0].tolist()) == sorted(
        ["Jobcenter Landkreis Heidenheim", "Jobcenter 2", HOSTILE]
    )
    multiselects(app)["Jobcenter"].set_value(["08135", "99002"]).run()
    by = next(s for s in app.selectbox if s.label == "Aufgliederung nach")
    assert by.options[:3] == ["Land", "Jobcenter", "Gemeinde"]
    assert app.caption[0].value.startswith("2 Jobcenter in 2 Ländern")


def test_links_choose_jobcenters_and_hostile_values_are_named_as_text(app: AppTest) -> None:
    # an old link with a municipality only: its Jobcenter is chosen, so it stays offered
    app.query_params["gemeinde"] = "99002003"
    app.run()
    assert not app.exception
    chosen = multiselects(app)
    assert chosen["Jobcenter"].value == ["99002"]
    assert chosen["Gemeinden"].value == ["99002003"]
    assert app.caption[0].value.startswith("Jobcenter 2 · Stichtag")


def test_a_hostile_jobcenter_in_the_link_is_ignored_with_a_notice(app: AppTest) -> None:
    app.query_params["jobcenter"] = HOSTILE
    app.run()
    assert not app.exception
    assert multiselects(app)["Jobcenter"].value == []
    assert [t.value for t in app.toast] == [
        "Der Link enthält für „Jobcenter“ ungültige Werte "
        "(„\\[Neu anmelden\\]\\(https\u2060\\://evil\\.example/x\\)“); sie wurden ignoriert."
    ]


def test_a_hostile_jobcenter_name_in_the_headline_is_text(app: AppTest) -> None:
    app.query_params["jobcenter"] = "99003"
    app.run()
    assert not app.exception
    assert app.caption[0].value.startswith(
        "\\[Neu anmelden\\]\\(https\u2060\\://evil\\.example/x\\) · Stichtag"
    )
