"""The demo data: the seed article's figures come out of the case data, deterministically."""

import hashlib

import polars as pl
from sqlalchemy import text

from data_access import figures
from data_access.cases import read_cases
from data_access.models import Base
from data_access.protection import DEMO_SECRET, MAX_DEVIATION, Protection
from teilhabe.demo import AS_OF, DemoSpec, generate


def test_seed_figures_as_of_september_2013(demo_engine) -> None:
    assert figures.data_as_of(engine=demo_engine) == AS_OF
    cases = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    stock = figures.benefit_stock(cases=cases, as_of=AS_OF, protection=Protection(exact=True))
    exact = {
        "elb": 4230,
        "lzb": 2380,
        "lzb_under_2y": 187,
        "lzb_2_4y": 805,
        "lzb_4y_plus": 1388,
    }
    assert stock.row(0, named=True) == exact
    # published (cell-key) values: within the maximum deviation, the same on every call
    published = figures.benefit_stock(cases=cases, as_of=AS_OF, protection=Protection())
    row = published.row(0, named=True)
    assert MAX_DEVIATION == 2
    assert {k: abs(v - exact[k]) <= MAX_DEVIATION for k, v in row.items()} == dict.fromkeys(
        exact, True
    )
    again = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    assert figures.benefit_stock(cases=again, as_of=AS_OF, protection=Protection()).equals(
        published
    )
    assert figures.provider_count(engine=demo_engine) == 20
    assert figures.municipality_count(engine=demo_engine) == 11


def test_network_conference_of_24_september_2013(demo_engine) -> None:
    events = figures.network_events(engine=demo_engine, until=AS_OF)
    conference = events.filter(pl.col("date") == pl.date(2013, 9, 24)).row(0, named=True)
    assert conference["attendees"] == 150
    assert conference["providers"] == 20


def test_the_generator_is_deterministic() -> None:
    first, second = generate(DemoSpec(clients=3000)), generate(DemoSpec(clients=3000))
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].equals(second[name]), name


def database_fingerprint(engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(text(f"SELECT * FROM {table.name} ORDER BY 1, 2")).all()
            digest.update(repr(rows).encode())
    return digest.hexdigest()


def test_running_demo_twice_gives_the_same_database(tmp_path) -> None:
    from teilhabe.cli import main

    url = f"sqlite:///{tmp_path / 'twice.sqlite'}"
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine

    assert main(["demo", "--database-url", url, "--clients", "3000"]) == 0
    engine = create_db_engine(make_url(url))
    once = database_fingerprint(engine)
    assert main(["demo", "--database-url", url, "--clients", "3000"]) == 0
    assert database_fingerprint(engine) == once


def test_integration_rate_falls_with_the_number_of_barriers() -> None:
    """Plausible synthetic outcomes: the more barriers, the fewer integrations."""
    tables = generate()
    barriers = tables["barrier_assessment"].group_by("client_id").len("barriers")
    outcome = (
        tables["client"]
        .select(pl.col("id").alias("client_id"))
        .join(barriers, on="client_id", how="left")
        .with_columns(pl.col("barriers").fill_null(0).clip(upper_bound=4))
        .join(
            tables["integration"].select("client_id").unique().with_columns(done=True),
            on="client_id",
            how="left",
        )
        .group_by("barriers")
        .agg(pl.col("done").is_not_null().mean().alias("share"))
        .sort("barriers")
    )
    shares = outcome["share"].to_list()
    assert shares == sorted(shares, reverse=True)


def test_scaled_demo_has_several_districts() -> None:
    tables = generate(DemoSpec(clients=6000, districts=3))
    assert tables["district"].height == 3
    assert tables["municipality"].height == 33
    assert tables["client"].height == 6000
    assert tables["provider"].height == 60
    assert tables["client"]["id"].is_unique().all()
