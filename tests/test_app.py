"""Every page through Streamlit's AppTest, on the demo database."""

import json
import re
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from teilhabe import barriers, figures
from teilhabe.cli.main import main
from teilhabe.demo import AS_OF
from teilhabe.protection import MAX_DEVIATION, Protection
from teilhabe.reporting.formatting import NOT_SHOWN, format_count, format_decimal
from teilhabe.selection import Filters

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app(monkeypatch, demo_sqlite_url) -> AppTest:
    monkeypatch.setenv("TEILHABE_DATABASE_URL", demo_sqlite_url)
    st.cache_resource.clear()  # the engine is cached per process; start from this database
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=60)


def shown(markdown: str) -> str:
    """Markdown source as the reader sees it: text from data and links comes escaped
    (``reporting.text.markdown_text``), and a backslash before a character shows the character."""
    return re.sub(r"\\(.)", r"\1", markdown)


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def cases(demo_cases):
    return demo_cases  # read_cases of the demo with DEMO_SECRET, read once per run


def percent(value: float) -> str:
    return f"{format_decimal(value, 1)}\u00a0%"


def headline(demo_engine, cases, as_of: int = AS_OF, **kwargs) -> dict:
    """The published headline figures of the data layer (what every page must show)."""
    return figures.headline_figures(
        engine=demo_engine, cases=cases, as_of=as_of, protection=Protection(), **kwargs
    ).to_dict()


def assert_near(published: dict, exact: dict) -> None:
    """Published counts are the exact ones with a deviation of at most ±2."""
    for key, value in exact.items():
        assert abs(published[key] - value) <= MAX_DEVIATION, key


def test_overview_shows_the_headline_figures(app: AppTest, demo_engine, cases) -> None:
    app.run()
    assert not app.exception
    assert app.title[0].value == "Übersicht"
    published = headline(demo_engine, cases)
    assert_near(published, {"elb": 4230, "lzb": 2380, "lzb_4y_plus": 1388})  # the seed figures
    assert abs(published["integration_rate"] - 25.2) < 0.5
    assert metric_values(app) == {
        "ELB": format_count(published["elb"]),
        "LZB": format_count(published["lzb"]),
        "LZB ≥ 4 Jahre": format_count(published["lzb_4y_plus"]),
        "Integrationsquote (K2)": percent(published["integration_rate"]),
        "Träger/Behörden": "20",
        "Gemeinden": "11",
    }
    assert "Stichtag 30.09.2013" in app.caption[0].value
    assert any("Demodaten" in info.value for info in app.info)
    assert len(app.get("plotly_chart")) == 3


def test_changing_the_as_of_month_updates_every_figure(app: AppTest, demo_engine, cases) -> None:
    app.run()
    app.selectbox(key="stand").set_value("2012-09").run()
    assert not app.exception
    values = metric_values(app)
    published = headline(demo_engine, cases, AS_OF - 12)
    assert_near(published, {"elb": 4350, "lzb": 2467, "lzb_4y_plus": 1415})  # exact in 09/2012
    assert (values["ELB"], values["LZB"], values["LZB ≥ 4 Jahre"]) == tuple(
        format_count(published[k]) for k in ("elb", "lzb", "lzb_4y_plus")
    )
    assert "Stichtag 30.09.2012" in app.caption[0].value


def test_a_link_with_an_invalid_month_is_ignored_with_a_notice(
    app: AppTest, demo_engine, cases
) -> None:
    app.query_params["stand"] = "2099-01"
    app.run()
    assert not app.exception
    assert metric_values(app)["LZB"] == format_count(headline(demo_engine, cases)["lzb"])
    assert any("ungültige Werte („2099-01“)" in shown(toast.value) for toast in app.toast)
    assert any("Stichtag" in warning.value for warning in app.sidebar.warning)


def test_repeated_link_parameters(app: AppTest) -> None:
    """Every value of a multi-value filter; the first of a single-value one, with a notice."""
    app.query_params["hemmnis"] = ["debts", "health"]
    app.query_params["stand"] = ["2012-09", "2013-09"]
    app.run()
    assert not app.exception
    assert app.session_state["hemmnis"] == ["debts", "health"]
    assert app.session_state["stand"] == "2012-09"
    assert "Stichtag 30.09.2012" in app.caption[0].value
    assert any("„Stichtag“ mehrfach" in warning.value for warning in app.sidebar.warning)


def test_an_unreachable_database_gives_one_clear_message(monkeypatch) -> None:
    monkeypatch.setenv("TEILHABE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Datenbank nicht erreichbar.")
    for detail in ("127.0.0.1", "nobody", "none", "postgresql"):  # nothing about the server
        assert detail not in at.error[0].value
    assert not at.metric


def test_integration_page_shows_every_figure_and_a_breakdown(
    app: AppTest, demo_engine, cases
) -> None:
    app.run()
    app.switch_page("pages/integration.py").run()
    assert not app.exception
    assert app.title[0].value == "Integration"
    published = headline(demo_engine, cases)
    # exact: 25.2, 65.2, 22.1, -3.5, 14.2, 9.8 (rates of published parts stay close)
    exact = {
        "integration_rate": 25.2,
        "continuity_rate": 65.2,
        "integration_rate_single_parents": 22.1,
        "lzb_change": -3.5,
        "integration_rate_lzb": 14.2,
        "activation_rate_lzb": 9.8,
    }
    for key, value in exact.items():
        assert abs(published[key] - value) < 0.5, key
    assert metric_values(app) == {
        "Integrationsquote (K2)": percent(published["integration_rate"]),
        "Kontinuität (K2E3)": percent(published["continuity_rate"]),
        "Alleinerziehende (K2E4)": percent(published["integration_rate_single_parents"]),
        "Veränderung LZB (K3)": percent(published["lzb_change"]),
        "Integration LZB (K3E1)": percent(published["integration_rate_lzb"]),
        "Aktivierung LZB (K3E2)": percent(published["activation_rate_lzb"]),
        "Zugangsrate LZB (K3E3)": percent(published["lzb_entry_rate"]),
        "Abgangsrate LZB (K3E4)": percent(published["lzb_exit_rate"]),
        "Veränderung ELB (K1E2)": percent(published["elb_change"]),
        "Zugangsrate ELB (K1E3)": percent(published["elb_entry_rate"]),
        "Abgangsrate ELB (K1E4)": percent(published["elb_exit_rate"]),
    }
    assert percent(published["elb_change"]) == "\u22122,8\u00a0%"  # exact -2.8: a minus sign
    headers = [h.value for h in app.header]
    assert "Hilfebedürftigkeit (K1)" in headers
    assert any("K1E1" in c.value and "Leistungsbeträge" in c.value for c in app.caption)
    kennzahlen = app.dataframe[1].value
    assert list(kennzahlen["Kennzahl"]) == [
        "K1E2", "K1E3", "K1E4", "K2", "K2E3", "K2E4", "K3", "K3E1", "K3E2", "K3E3", "K3E4"
    ]  # fmt: skip
    assert kennzahlen["Stichtag"][0] == percent(published["elb_change"])
    # short on the card, the full term in its help
    helps = {m.label: m.help for m in app.metric}
    assert helps["Integration LZB (K3E1)"].startswith("**Integrationsquote der LZB (K3E1):**")
    table = app.dataframe[0].value
    assert list(table.columns) == [
        "Gemeinde",
        "Stichtag",
        "Vorjahr",
        "Veränderung (Prozentpunkte)",
        "ELB",
    ]
    assert len(table) == 11
    assert {b.label for b in app.get("download_button")} >= {"CSV", "Excel", "PNG"}


def test_the_barrier_count_breakdown_keeps_every_group(app: AppTest) -> None:
    """ "keine" and "4 und mehr" were dropped by a numeric axis; K3 gave NaN positions."""
    app.run()
    app.switch_page("pages/integration.py").run()
    for key in ("integration_rate", "lzb_change"):
        app.selectbox(key="kennzahl").set_value(key).run()
        app.selectbox(key="aufgliederung").set_value("barrier_count").run()
        assert not app.exception
        chart = json.loads(app.get("plotly_chart")[1].proto.spec)
        bars = chart["data"][0]
        # in their own order, "keine" on top (plotly draws the first bar at the bottom)
        assert bars["y"] == ["4 und mehr", "3", "2", "1", "keine"]
        assert chart["layout"]["yaxis"]["type"] == "category"
        assert list(app.dataframe[0].value["Zahl der Hemmnisse"]) == [
            "keine", "1", "2", "3", "4 und mehr"
        ]  # fmt: skip


def test_filters_apply_on_the_integration_page(app: AppTest, demo_engine, cases) -> None:
    app.query_params.update({"hemmnis": "debts,health", "verknuepfung": "all"})
    app.run()
    app.switch_page("pages/integration.py").run()
    assert not app.exception
    assert "Hemmnisse (alle zugleich): Schulden, Gesundheit" in shown(app.caption[0].value)
    # the page shows what the data layer (and so `teilhabe figures`) computes for the group
    group = Filters(barriers=("debts", "health"), barrier_mode="all")
    expected = headline(demo_engine, cases, filters=group)["integration_rate"]
    everybody = headline(demo_engine, cases)["integration_rate"]
    assert expected < everybody  # two barriers at once: integrated less often
    assert metric_values(app)["Integrationsquote (K2)"] == percent(expected)
    app.selectbox(key="aufgliederung").set_value("sex").run()
    assert sorted(app.dataframe[0].value["Geschlecht"]) == ["männlich", "weiblich"]


def test_the_overview_shows_what_the_cli_prints_for_the_same_filters(
    app: AppTest, demo_sqlite_url, capsys
) -> None:
    ags = "08135019"  # Heidenheim an der Brenz
    assert (
        main(
            [
                "figures",
                "--json",
                "--municipality",
                ags,
                "--sex",
                "f",
                "--database-url",
                demo_sqlite_url,
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    app.query_params.update({"gemeinde": ags, "geschlecht": "f"})
    app.run()
    assert not app.exception
    shown = metric_values(app)
    assert shown["ELB"] == format_count(printed["elb"])
    assert shown["LZB"] == format_count(printed["lzb"])
    assert shown["LZB ≥ 4 Jahre"] == format_count(printed["lzb_4y_plus"])
    assert shown["Integrationsquote (K2)"] == percent(printed["integration_rate"])
    assert printed["protection"] == "cell-key"
    assert printed["elb"] < 4230  # the filter narrowed the group


def test_barriers_page_without_a_barrier_filter(app: AppTest, cases) -> None:
    app.run()
    app.switch_page("pages/barriers.py").run()
    assert not app.exception
    assert app.title[0].value == "Hemmnisse"
    assert any("Wählen Sie in der Seitenleiste" in info.value for info in app.info)
    prevalence = app.dataframe[0].value
    assert list(prevalence.columns) == ["Hemmnis", "ELB", "Anteil ELB", "LZB", "Anteil LZB", "K2"]
    debts = prevalence[prevalence["Hemmnis"] == "Schulden"].iloc[0]
    page = barriers.prevalence(cases, Filters(), AS_OF, Protection())
    published = page.filter(pl.col("barrier") == "debts").row(0, named=True)
    assert_near(published, {"elb": 926, "lzb": 686})  # exact: 926, 686
    assert (debts["ELB"], debts["LZB"]) == (
        format_count(published["elb"]),
        format_count(published["lzb"]),
    )
    assert len(app.get("plotly_chart")) == 5


def test_barriers_page_with_a_barrier_combination(app: AppTest, demo_engine, cases) -> None:
    app.query_params.update({"hemmnis": "debts,health", "verknuepfung": "all"})
    app.run()
    app.switch_page("pages/barriers.py").run()
    assert not app.exception
    group = Filters(barriers=("debts", "health"), barrier_mode="all")
    sides = barriers.group_comparison(cases, group, AS_OF, Protection())
    mine = sides.filter(pl.col("side") == "group").row(0, named=True)
    assert metric_values(app) == {
        "ELB": format_count(mine["elb"]),
        "LZB": format_count(mine["lzb"]),
        "Integrationsquote (K2)": percent(mine["integration_rate"]),
        "Integration LZB (K3E1)": percent(mine["integration_rate_lzb"]),
    }
    # tables in page order: prevalence, number of barriers, municipalities, duration, referrals
    places = app.dataframe[2].value
    assert len(places) == 11 and "*" not in set(places["ELB"])
    names = figures.municipality_names(engine=demo_engine)
    layer = figures.breakdown_series(
        cases=cases, by="municipality", months=[AS_OF], protection=Protection(), filters=group
    ).with_columns(pl.col("municipality").replace_strict(names).alias("Gemeinde"))
    expected = {
        row["Gemeinde"]: (
            format_count(row["elb"]),
            format_count(row["lzb"]),
            NOT_SHOWN if row["integration_rate"] is None else percent(row["integration_rate"]),
        )
        for row in layer.iter_rows(named=True)
    }
    shown = {
        row["Gemeinde"]: (str(row["ELB"]), str(row["LZB"]), str(row["Integrationsquote (K2)"]))
        for _, row in places.iterrows()
    }
    assert shown == expected
    # small municipalities: no count of 1 or 2, and no K2 of a mean stock below 10
    assert not {"1", "2"} & (set(places["ELB"]) | set(places["LZB"]))
    assert NOT_SHOWN in set(places["Integrationsquote (K2)"])
    referrals = app.dataframe[4].value
    assert list(referrals["Hemmnis"]) == ["Gesundheit", "Schulden"]


def test_network_map_page(app: AppTest) -> None:
    app.query_params.update({"hemmnis": "addiction"})
    app.run()
    app.switch_page("pages/network_map.py").run()
    assert not app.exception
    assert app.title[0].value == "Netzwerkkarte"
    assert len(app.get("plotly_chart")) == 1
    measures = app.selectbox(key="kartenmass")
    assert "coverage_rate" in measures.options or "Abdeckung der gewählten Hemmnisse" in (
        measures.options
    )
    gaps, values = app.dataframe[0].value, app.dataframe[1].value
    assert set(gaps["Hemmnis"]) == {"Sucht"} and len(gaps) == 11
    assert {"ja", "nein"} >= set(gaps["Lücke (über 10 km)"])
    assert len(values) == 11
    app.slider(key="entfernung").set_value(50).run()
    assert set(app.dataframe[0].value["Lücke (über 50 km)"]) == {"nein"}


def test_network_page(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/network.py").run()
    assert not app.exception
    assert app.title[0].value == "Netzwerk"
    directory = app.dataframe[0].value
    assert len(directory) == 28
    app.selectbox(key="angebot").set_value("debts").run()
    assert set(app.dataframe[0].value["Leistungsart"]) == {"Schuldnerberatung"}
    app.text_input(key="suche").set_value("Bildungswerk").run()
    assert len(app.dataframe[0].value) == 0  # it offers no debt counselling
    app.selectbox(key="angebot").set_value("").run()
    assert set(app.dataframe[0].value["Träger"]) == {"Bildungswerk Brenztal"}


def test_presentation_turns_its_slides(app: AppTest) -> None:
    app.query_params.update({"gemeinde": "08135019", "folie": "3"})
    app.run()
    app.switch_page("pages/presentation.py").run()
    assert not app.exception
    assert app.title[0].value == "Hemmnisse"
    assert "Gemeinden: Heidenheim an der Brenz" in shown(app.caption[0].value)
    titles = []
    for _ in range(6):
        app.button(key="folie_weiter").click().run()
        titles.append(app.title[0].value)
    assert titles == [
        "Netzwerkkarte",
        "Reichweite des Netzwerks",
        "Netzwerkveranstaltungen",
        "Kennzahlen",
        "Integrationsquote",
        "Hemmnisse",
    ]
    app.button(key="folie_zurueck").click().run()
    assert app.title[0].value == "Integrationsquote"


def test_leaving_the_presentation_returns_to_the_overview(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/presentation.py").run()
    app.button(key="beenden").click().run()
    assert not app.exception
    assert app.title[0].value == "Übersicht"
