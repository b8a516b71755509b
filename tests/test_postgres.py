"""The same figures on PostgreSQL as on SQLite, from the same demo generator and hand-made data."""

import datetime as dt
import json

import pytest
from sqlalchemy.engine import make_url

from data_access.db import create_db_engine
from teilhabe import figures
from teilhabe.cases import read_cases
from teilhabe.cli.main import main
from teilhabe.protection import DEMO_SECRET, Protection
from tests.test_benefit_flows import EXPECTED, SPELLS, flow_figures

SEPT_2013 = 2013 * 12 + 8


@pytest.fixture(scope="module")
def postgres_demo_url(postgres_url: str) -> str:
    """The PostgreSQL test database filled by ``teilhabe demo`` once for this module."""
    assert main(["demo", "--database-url", postgres_url]) == 0
    return postgres_url


def test_demo_figures_are_identical_on_postgresql(postgres_demo_url, demo_engine) -> None:
    engine = create_db_engine(make_url(postgres_demo_url))
    cases_pg = read_cases(engine=engine, secret=DEMO_SECRET)
    cases_lite = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    # the same records with the same record keys (clients, integrations, referrals)
    for name in ("clients", "spells", "integrations", "barriers", "measures", "referral_rows"):
        assert getattr(cases_pg, name).equals(getattr(cases_lite, name)), name
    try:
        for month in (SEPT_2013, SEPT_2013 - 12, SEPT_2013 - 40):
            for protection in (Protection(), Protection(exact=True)):
                on_postgres = figures.headline_figures(
                    engine=engine, cases=cases_pg, as_of=month, protection=protection
                ).to_dict()
                on_sqlite = figures.headline_figures(
                    engine=demo_engine, cases=cases_lite, as_of=month, protection=protection
                ).to_dict()
                events_pg, events_lite = (
                    on_postgres.pop("network_events"),
                    on_sqlite.pop("network_events"),
                )
                assert on_postgres == on_sqlite, (month, protection)
                assert events_pg.equals(events_lite)
        # and the database side of the network figures, events included
        assert figures.network_events(engine=engine).equals(
            figures.network_events(engine=demo_engine)
        )
    finally:
        engine.dispose()


def test_cli_figures_on_postgresql(postgres_demo_url, demo_sqlite_url, capsys) -> None:
    args = ["figures", "--json", "--as-of", "2013-09", "--database-url"]
    assert main([*args, postgres_demo_url, "--exact"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["lzb"], result["lzb_4y_plus"], result["providers"]) == (2380, 1388, 20)
    assert result["protection"] == "none"
    # published: the same values as from SQLite
    assert main([*args, postgres_demo_url]) == 0
    on_postgres = json.loads(capsys.readouterr().out)
    assert main([*args, demo_sqlite_url]) == 0
    on_sqlite = json.loads(capsys.readouterr().out)
    assert on_postgres["protection"] == "cell-key"
    assert on_postgres == on_sqlite


def test_hand_made_definitions_on_postgresql(build_db, postgres_demo_url) -> None:
    engine = build_db(
        [
            ("lzb_21", dt.date(2012, 1, 1), None),
            ("elb_20", dt.date(2012, 2, 1), None),
            ("four_years", dt.date(2009, 9, 30), None),
            ("one_day_short", dt.date(2009, 10, 1), None),
        ],
        url=postgres_demo_url,
    )
    try:
        stock = figures.benefit_stock(
            cases=read_cases(engine=engine, secret=DEMO_SECRET),
            as_of=SEPT_2013,
            protection=Protection(exact=True),
        )
        assert stock.row(0, named=True) == {
            "elb": 4,
            "lzb": 3,
            "lzb_under_2y": 1,
            "lzb_2_4y": 1,
            "lzb_4y_plus": 1,
        }
    finally:
        engine.dispose()


def test_entries_and_exits_on_postgresql(build_db, postgres_demo_url) -> None:
    """The hand-made spells of ``test_benefit_flows`` give the same K1E2 .. K3E4 there."""
    engine = build_db(SPELLS, url=postgres_demo_url)
    try:
        assert flow_figures(read_cases(engine=engine, secret=DEMO_SECRET)) == EXPECTED
    finally:
        engine.dispose()


def test_the_cube_store_from_postgresql_holds_the_same_copy(
    postgres_url, demo_engine, tmp_path
) -> None:
    from teilhabe import cube_build, cube_store

    assert main(["demo", "--database-url", postgres_url]) == 0  # other tests replace the data
    engine = create_db_engine(make_url(postgres_url))
    try:
        manifest = cube_build.build_store(
            engine, tmp_path, database_label="pg", secret=DEMO_SECRET, partition_persons=5000
        )
    finally:
        engine.dispose()
    assert manifest.partitions == 5
    stored = cube_store.read_version(tmp_path, "pg", manifest.folder)
    direct = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    for name in cube_store.CASE_FIELDS:
        expected, got = getattr(direct, name), getattr(stored, name)
        assert got.sort(got.columns).equals(expected.sort(expected.columns)), name
