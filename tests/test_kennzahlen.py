"""K1 and K1E1 from imported benefit amounts, and the comparison with published figures of other
Jobcenters: imports (checks with file, row and field; nothing changed on error), exact sums and
changes, their protection, peer means and ranges; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from data_access.auth import Actor
from data_access.db import create_db_engine, ensure_schema
from data_access.models import BenefitAmount, ImportLog, PeerFigure
from data_access.store import replace_dataset
from teilhabe import amounts, figures, peers
from teilhabe.cases import read_cases
from teilhabe.demo.peers import PEER_FILE
from teilhabe.exchange import tabular
from teilhabe.exchange.kennzahl_tables import parse_month_text
from teilhabe.protection import DEMO_SECRET, Protection, deviation, record_keys

STEWARD = Actor.command_line("tester")
SEPT_2012, SEPT_2013 = 2012 * 12 + 8, 2013 * 12 + 8
CLIENTS = [f"P{i:02d}" for i in range(1, 13)]  # twelve persons
APP = str(Path(__file__).resolve().parents[1] / "app.py")


def base_tables() -> dict[str, pl.DataFrame]:
    """One Kreis (08135), one town, twelve persons in receipt since 2011, a thirteenth whose
    spell ended in 2012."""
    ids = [*CLIENTS, "P13"]
    return {
        "district": pl.DataFrame(
            {"key": ["08135"], "name": ["Testkreis"], "jobcenter_name": ["Jobcenter Test"]}
        ),
        "municipality": pl.DataFrame(
            {
                "ags": ["08135019"],
                "district_key": ["08135"],
                "name": ["Teststadt"],
                "kind": ["Stadt"],
                "population": [50000],
                "population_date": [dt.date(2012, 12, 31)],
                "lat": [48.68],
                "lon": [10.15],
            }
        ),
        "client": pl.DataFrame(
            {
                "id": ids,
                "municipality_ags": ["08135019"] * len(ids),
                "sex": ["f"] * len(ids),
                "birth_year": [1970] * len(ids),
                "single_parent": [False] * len(ids),
                "household_id": ids,
            }
        ),
        "benefit_spell": pl.DataFrame(
            {
                "client_id": ids,
                "start_date": [dt.date(2011, 1, 1)] * len(ids),
                "end_date": [None] * len(CLIENTS) + [dt.date(2012, 10, 15)],
            },
            schema={"client_id": pl.String, "start_date": pl.Date, "end_date": pl.Date},
        ),
        "dataset_info": pl.DataFrame(
            {"key": ["synthetic", "data_version", "as_of"], "value": ["true", "test-1", "2013-09"]}
        ),
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_db_engine(make_url(url))
    ensure_schema(engine, allow_upgrade=True)
    replace_dataset(engine=engine, tables=base_tables())
    yield engine
    engine.dispose()


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def amounts_file() -> bytes:
    """09/2012: 500,00 € living costs and 400 € housing each; 09/2013: 550,50 € and 350 €."""
    rows = ["Personen-ID;Monat;Lebensunterhalt;Unterkunft"]
    rows += [f"{c};09.2012;500,00;400" for c in CLIENTS]
    rows += [f"{c};2013-09;550,50;350" for c in CLIENTS]
    rows += ["P13;09.2012;0;1.234,56"]  # no living costs: does not count as a person for K1
    return csv_bytes(rows)


def count_rows(engine: Engine, model) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def test_amounts_are_imported_in_cents_logged_and_give_a_new_version(engine) -> None:
    before = figures.dataset_info(engine=engine)["data_version"]
    report = tabular.import_table(
        engine, "benefit_amount", amounts_file(), name="betraege.csv", actor=STEWARD
    )
    assert report.problems == []
    assert (report.added, report.updated, report.unchanged) == (25, 0, 0)
    with engine.connect() as connection:
        stored = connection.execute(
            select(
                BenefitAmount.month,
                func.sum(BenefitAmount.living_costs_cents),
                func.sum(BenefitAmount.housing_costs_cents),
            )
            .group_by(BenefitAmount.month)
            .order_by(BenefitAmount.month)
        ).all()
        log = connection.execute(select(ImportLog.table_name, ImportLog.added)).all()
    assert [tuple(r) for r in stored] == [
        (SEPT_2012, 600_000, 12 * 40_000 + 123_456),
        (SEPT_2013, 660_600, 12 * 35_000),
    ]
    assert [tuple(r) for r in log] == [("benefit_amount", 25)]
    info = figures.dataset_info(engine=engine)
    assert info["data_version"] != before
    assert info["synthetic"] == "false"  # amounts are data about persons
    again = tabular.import_table(
        engine, "benefit_amount", amounts_file(), name="betraege.csv", actor=STEWARD
    )
    assert (again.added, again.updated, again.unchanged, again.changed) == (0, 0, 25, False)


def test_k1_and_k1e1_exact_and_protected(engine) -> None:
    tabular.import_table(engine, "benefit_amount", amounts_file(), name="b.csv", actor=STEWARD)
    cases = read_cases(engine=engine, secret=DEMO_SECRET)
    exact = amounts.benefit_changes(
        engine=engine, cases=cases, as_of=SEPT_2013, protection=Protection(exact=True)
    )
    # living: 12 x 550.50 = 6,606.00 against 12 x 500.00 = 6,000.00; housing: 12 x 350 =
    # 4,200 against 12 x 400 + 1,234.56 = 6,034.56
    assert exact["benefits_living_change"] == pytest.approx(10.1)
    assert exact["benefits_housing_change"] == pytest.approx((4200 / 6034.56 - 1) * 100)
    sums = amounts.benefit_sums(
        engine=engine, cases=cases, months=[SEPT_2012, SEPT_2013], protection=Protection()
    )
    keys = record_keys(CLIENTS, secret=DEMO_SECRET, kind="client").cast(pl.Int64).sum()
    keys_13 = keys + record_keys(["P13"], secret=DEMO_SECRET, kind="client").cast(pl.Int64)[0]
    twelve = 12 + deviation(12, keys)
    assert [s.living_persons for s in sums] == [twelve, twelve]
    assert sums[0].housing_persons == 13 + deviation(13, keys_13)
    # published sums: rounded to full 1,000 euros
    assert [(s.living_euros, s.housing_euros) for s in sums] == [
        (6_000.0, 6_000.0),
        (7_000.0, 4_000.0),
    ]
    protected = amounts.benefit_changes(
        engine=engine, cases=cases, as_of=SEPT_2013, protection=Protection()
    )
    assert protected == {
        "benefits_living_change": pytest.approx(100 / 6),
        "benefits_housing_change": pytest.approx(-100 / 3),
    }


def test_sums_of_too_few_persons_are_not_published(engine) -> None:
    tabular.import_table(engine, "benefit_amount", amounts_file(), name="b.csv", actor=STEWARD)
    cases = read_cases(engine=engine, secret=DEMO_SECRET)
    strict = Protection(min_rate_base=20)  # twelve persons, published as 10 to 14
    sums = amounts.benefit_sums(
        engine=engine, cases=cases, months=[SEPT_2012, SEPT_2013], protection=strict
    )
    assert [(s.living_euros, s.housing_euros) for s in sums] == [(None, None), (None, None)]
    assert amounts.benefit_changes(
        engine=engine, cases=cases, as_of=SEPT_2013, protection=strict
    ) == {"benefits_living_change": None, "benefits_housing_change": None}
    # a month without any amounts: nothing published, no change
    assert amounts.benefit_changes(
        engine=engine, cases=cases, as_of=SEPT_2013 + 1, protection=Protection()
    ) == {"benefits_living_change": None, "benefits_housing_change": None}


def test_without_amounts_there_is_no_k1(engine) -> None:
    cases = read_cases(engine=engine, secret=DEMO_SECRET)
    assert not amounts.has_amounts(engine=engine)
    assert (
        amounts.benefit_changes(
            engine=engine, cases=cases, as_of=SEPT_2013, protection=Protection()
        )
        == {}
    )


def test_a_bad_amounts_file_names_file_row_and_field_and_changes_nothing(engine) -> None:
    content = csv_bytes(
        [
            "Personen-ID;Monat;Lebensunterhalt;Unterkunft",
            "P01;13.2013;500;400",
            "P01;09.2013;-5;abc",
            "P02;09.2013;;",
            "P13;09.2013;500;400",
            "P03;09.2013;500;400",
            "P03;2013-09;1;1",
            "P99;09.2013;500;400",
        ]
    )
    version = figures.dataset_info(engine=engine)["data_version"]
    report = tabular.import_table(engine, "benefit_amount", content, name="b.csv", actor=STEWARD)
    assert [str(p) for p in report.problems] == [
        "b.csv, Zeile 2, Spalte Monat, Wert „13.2013“: Der Monat ist nicht lesbar (erwartet "
        "MM.JJJJ oder JJJJ-MM, z. B. 09.2013).",
        "b.csv, Zeile 3, Spalte Lebensunterhalt, Wert „-5“: Der Wert liegt nicht zwischen 0 und "
        "100.000.",
        "b.csv, Zeile 3, Spalte Unterkunft, Wert „abc“: Der Wert ist keine Zahl.",
        "b.csv, Zeile 4, Spalte Lebensunterhalt, Wert „“: Mindestens einer der Beträge "
        "(Lebensunterhalt oder Unterkunft) ist nötig.",
        "b.csv, Zeile 5, Spalte Monat, Wert „09.2013“: In diesem Monat hat die Person keinen "
        "Leistungszeitraum (zuerst die Leistungszeiträume importieren).",
        "b.csv, Zeile 7, Spalte Personen-ID, Wert „P03 / 2013-09“: Der Schlüssel (Personen-ID "
        "und Monat) kommt in der Datei doppelt vor (auch in Zeile 6).",
        "b.csv, Zeile 8, Spalte Personen-ID, Wert „P99“: Unbekannte Person (nicht in der "
        "Datenbank; zuerst die Personen importieren).",
    ]
    assert count_rows(engine, BenefitAmount) == 0
    assert count_rows(engine, ImportLog) == 0
    assert figures.dataset_info(engine=engine)["data_version"] == version


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2013-09", SEPT_2013),
        ("09.2013", SEPT_2013),
        ("9/2013", SEPT_2013),
        ("201309", SEPT_2013),
        ("30.09.2013", SEPT_2013),
        ("2013-09-30", SEPT_2013),
        ("13.2013", None),
        ("2013", None),
        ("Sept. 2013", None),
    ],
)
def test_month_formats(text: str, month: int | None) -> None:
    assert parse_month_text(text) == month


# --- Peers -------------------------------------------------------------------------------------

PEER_HEADER = "Jobcenter-Schlüssel;Jobcenter;Vergleichstyp;Land;Monat;Kennzahl;Wert"
PEER_ROWS = [
    PEER_HEADER,
    "08135;Jobcenter Test;IIIb;BW;09.2013;K2;99,9",  # the own: its type counts, its value not
    "11111;JC A;IIIb;BW;09.2013;K2;20,0",
    "11112;JC B;IIIb;BY;09.2013;K2;30",
    "11113;JC C;IIIb;08;09.2013;K2;25.5",
    "11114;JC D;IIa;BW;09.2013;K2;50,0",  # another type
    "11111;JC A;IIIb;BW;08.2013;K2;10,0",  # an older month
    "11111;JC A;IIIb;BW;09.2013;K3;-2,5",
    "11111;JC A;IIIb;BW;09.2013;K1E3;3,1",  # no own figure: not compared
    "BW;Baden-Württemberg;;;09.2013;K2;27,6",
    "DE;Deutschland;;;2013-09;K2;24,3",
    "de;Deutschland;;;2013-09;K3;-1,5",
]


def test_peers_import_and_compare_with_mean_and_range(engine) -> None:
    report = tabular.import_table(
        engine, "peer_figure", csv_bytes(PEER_ROWS), name="v.csv", actor=STEWARD
    )
    assert report.problems == []
    assert report.added == 11
    assert figures.dataset_info(engine=engine)["synthetic"] == "true"  # no data about persons
    own = {"integration_rate": 25.1, "lzb_change": -3.6, "activation_rate_lzb": 9.9}
    result = peers.peer_comparison(engine=engine, own=own, as_of=SEPT_2013 + 2)
    assert (result.month, result.own_key, result.comparison_type, result.land) == (
        SEPT_2013,
        "08135",
        "IIIb",
        "BW",
    )
    assert (result.peers, result.synthetic) == (3, False)
    assert result.rows.to_dicts() == [
        {
            "code": "K2",
            "label": "Integrationsquote",
            "own": 25.1,
            "type_mean": pytest.approx((20.0 + 30.0 + 25.5) / 3),
            "type_min": 20.0,
            "type_max": 30.0,
            "type_count": 3,
            "land": 27.6,
            "germany": 24.3,
        },
        {
            "code": "K3",
            "label": "Veränderung des Bestands an Langzeitleistungsbeziehenden",
            "own": -3.6,
            "type_mean": -2.5,
            "type_min": -2.5,
            "type_max": -2.5,
            "type_count": 1,
            "land": None,
            "germany": -1.5,
        },
    ]
    older = peers.peer_comparison(engine=engine, own=own, as_of=SEPT_2013 - 1)
    assert older.month == SEPT_2013 - 1
    assert older.rows.select("code", "type_mean", "germany").rows() == [("K2", 10.0, None)]
    earlier = peers.peer_comparison(engine=engine, own=own, as_of=SEPT_2013 - 2)
    assert earlier.rows.is_empty()
    assert earlier.note == "Die Vergleichswerte beginnen erst nach dem Stichtag."
    # an own figure not shown (too small a group) is not compared
    hidden = peers.peer_comparison(
        engine=engine, own={"integration_rate": None, "lzb_change": -3.6}, as_of=SEPT_2013
    )
    assert hidden.rows["code"].to_list() == ["K3"]


def test_a_bad_peer_file_names_file_row_and_field_and_changes_nothing(engine) -> None:
    content = csv_bytes(
        [
            PEER_HEADER,
            "11111;JC A;IIIb;BW;13.2013;K2;24,3",
            "11111;JC A;IIIb;XX;09.2013;K9;abc",
            "11112;JC B;;BW;09.2013;K2;1.5",
            "11112;JC B;IIa;08;09.2013;K2;2,5",
            "DE;Deutschland;;;2013-09;K2;24.3",
            "de;Deutschland;;;09.2013;K2;24.3",
            "11113;JC C;IIIb;BW;09.2013;K2;",
        ]
    )
    report = tabular.import_table(engine, "peer_figure", content, name="v.csv", actor=STEWARD)
    lines = [str(p) for p in report.problems]
    assert lines[0] == (
        "v.csv, Zeile 2, Spalte Monat, Wert „13.2013“: Der Monat ist nicht lesbar (erwartet "
        "MM.JJJJ oder JJJJ-MM, z. B. 09.2013)."
    )
    assert lines[1].startswith(
        "v.csv, Zeile 3, Spalte Land, Wert „XX“: Unbekannter Wert; erlaubt: SH"
    )
    assert lines[2].startswith(
        "v.csv, Zeile 3, Spalte Kennzahl, Wert „K9“: Unbekannter Wert; erlaubt: K1"
    )
    assert lines[3:] == [
        "v.csv, Zeile 3, Spalte Wert, Wert „abc“: Der Wert ist keine Zahl.",
        "v.csv, Zeile 4, Spalte Vergleichstyp, Wert „“: Für ein Jobcenter ist dieses Feld nötig "
        "(nur die Zeilen für Deutschland, Schlüssel DE, und für die Länder, z. B. BW, bleiben "
        "leer).",
        "v.csv, Zeile 5, Spalte Jobcenter-Schlüssel, Wert „11112 / 09.2013 / K2“: Der Schlüssel "
        "(Jobcenter-Schlüssel und Monat und Kennzahl) kommt in der Datei doppelt vor (auch in "
        "Zeile 4).",
        "v.csv, Zeile 7, Spalte Jobcenter-Schlüssel, Wert „de / 09.2013 / K2“: Der Schlüssel "
        "(Jobcenter-Schlüssel und Monat und Kennzahl) kommt in der Datei doppelt vor (auch in "
        "Zeile 6).",
        "v.csv, Zeile 8, Spalte Wert, Wert „“: Pflichtfeld ist leer.",
    ]
    assert count_rows(engine, PeerFigure) == 0
    assert count_rows(engine, ImportLog) == 0


def test_without_peer_figures_there_is_nothing_to_compare(engine) -> None:
    assert (
        peers.peer_comparison(engine=engine, own={}, as_of=SEPT_2013).note
        == "Keine Vergleichswerte importiert."
    )


# --- Demo ----------------------------------------------------------------------------------------


def test_the_demo_holds_its_synthetic_comparison_group(demo_engine) -> None:
    with demo_engine.connect() as connection:
        rows = connection.execute(
            select(PeerFigure.jobcenter_key, PeerFigure.synthetic, PeerFigure.comparison_type)
        ).all()
    assert len(rows) == 2535
    assert all(synthetic for _, synthetic, _ in rows)
    jobcenters = {key for key, _, kind in rows if kind == "IIIb"} - {"08135"}
    assert len(jobcenters) == 12
    # the file the demo loads is one the import takes as it is
    report = tabular.validate(demo_engine, "peer_figure", PEER_FILE, actor=STEWARD)
    assert (report.problems, report.added, report.unchanged) == ([], 0, 2535)
    cases = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    own = figures.headline_figures(
        engine=demo_engine, cases=cases, as_of=SEPT_2013, protection=Protection()
    )
    result = peers.peer_comparison(engine=demo_engine, own=own, as_of=SEPT_2013)
    assert (result.comparison_type, result.peers, result.synthetic) == ("IIIb", 12, True)
    k2 = result.rows.row(by_predicate=pl.col("code") == "K2", named=True)
    assert k2["own"] == peers.as_mapping(own)["integration_rate"]  # published, protected
    assert 20 <= k2["type_min"] < k2["type_mean"] < k2["type_max"] <= 31
    assert (k2["land"], k2["germany"]) == (27.6, 24.3)


def test_the_integration_page_shows_the_comparison(monkeypatch, demo_sqlite_url) -> None:
    import streamlit as st

    monkeypatch.setenv("TEILHABE_DATABASE_URL", demo_sqlite_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    app.switch_page("pages/integration.py").run()
    assert not app.exception
    assert "Vergleich" in [h.value for h in app.header]
    captions = [c.value for c in app.caption]
    assert any(c.startswith("K1 und K1E1 (Veränderung der Leistungen") for c in captions)
    assert any("Synthetische Vergleichswerte (Demo)" in i.value for i in app.info)
    table = app.dataframe[-1].value
    assert list(table.columns) == [
        "Kennzahl",
        "Eigenes Jobcenter",
        "Vergleichstyp: Mittel",
        "Min.",
        "Max.",
        "Jobcenter",
        "Baden-Württemberg",
        "Deutschland",
    ]
    # every Kennzahl of the demo's peer file that the case data give as well (K1E2..K3E4)
    assert list(table["Kennzahl"]) == [
        "K1E2 Veränderung ELB-Bestand",
        "K1E3 Zugangsrate ELB",
        "K1E4 Abgangsrate ELB",
        "K2 Integrationsquote",
        "K2E3 Kontinuierliche Beschäftigung",
        "K2E4 Integration Alleinerziehende",
        "K3 Veränderung LZB-Bestand",
        "K3E1 Integrationsquote LZB",
        "K3E2 Aktivierungsquote LZB",
        "K3E3 Zugangsrate LZB",
        "K3E4 Abgangsrate LZB",
    ]
    assert list(table["Deutschland"])[3] == "24,3\u00a0%"
    assert list(table["Jobcenter"]) == ["12"] * 11


def test_text_from_the_peer_file_is_escaped_in_the_chart() -> None:
    from teilhabe.reporting.peer_chart import peer_chart

    rows = pl.DataFrame(
        [
            {
                "code": "K2",
                "label": "Integrationsquote",
                "own": 25.1,
                "type_mean": 25.0,
                "type_min": 20.0,
                "type_max": 30.0,
                "type_count": 3,
                "land": 27.6,
                "germany": 24.3,
            }
        ],
        schema=peers.COMPARISON_SCHEMA,
    )
    figure = peer_chart(
        rows,
        comparison_type='<a href="https://x.example">IIIb</a>',
        land_name="Baden-Württemberg",
        own_name="<b>JC</b>",
    )
    names = [trace.name for trace in figure.data]
    assert (
        "Vergleichstyp &lt;a href=&#34;https://x.example&#34;&gt;IIIb&lt;/a&gt;: Mittelwert"
        in names
    )
    assert "&lt;b&gt;JC&lt;/b&gt;" in names
    assert not any("<a" in str(trace.hovertemplate) for trace in figure.data)


def test_the_figures_command_gives_k1_and_k1e1_where_amounts_exist(
    engine, monkeypatch, capsys, tmp_path
) -> None:
    from teilhabe.cli.main import main

    monkeypatch.setenv("TEILHABE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEILHABE_CELL_KEY_SECRET", "a-test-secret-of-enough-length")
    url = engine.url.render_as_string(hide_password=False)
    arguments = ["figures", "--json", "--exact", "--as-of", "2013-09", "--database-url", url]
    assert main(arguments) == 0
    without = json.loads(capsys.readouterr().out)
    assert "benefits_living_change" not in without  # no amounts: no K1, no key
    tabular.import_table(engine, "benefit_amount", amounts_file(), name="b.csv", actor=STEWARD)
    assert main(arguments) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["benefits_living_change"] == 10.1
    assert result["benefits_housing_change"] == round((4200 / 6034.56 - 1) * 100, 1)  # -30.4
