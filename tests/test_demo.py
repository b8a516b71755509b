"""The demo data: the seed article's figures come out of the case data, deterministically."""

import hashlib

import polars as pl
from sqlalchemy import text

from data_access.models import Base
from teilhabe import figures
from teilhabe.cases import read_cases
from teilhabe.demo import AS_OF, DemoSpec, generate
from teilhabe.indicators import figures_series
from teilhabe.protection import DEMO_SECRET, MAX_DEVIATION, Protection
from teilhabe.selection import Filters

EXACT = Protection(exact=True)


def test_seed_figures_as_of_september_2013(demo_engine) -> None:
    assert figures.data_as_of(engine=demo_engine) == AS_OF
    cases = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    stock = figures.benefit_stock(cases=cases, as_of=AS_OF, protection=Protection(exact=True))
    exact = {
        "elb": 4230,
        "lzb": 2380,
        "lzb_under_2y": 312,
        "lzb_2_4y": 680,
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
            if table.name == "case_change":  # the record of changes (ids go on), not data
                continue
            rows = connection.execute(text(f"SELECT * FROM {table.name} ORDER BY 1, 2")).all()
            digest.update(repr(rows).encode())
    return digest.hexdigest()


def test_running_demo_twice_gives_the_same_database(tmp_path) -> None:
    from teilhabe.cli.main import main

    url = f"sqlite:///{tmp_path / 'twice.sqlite'}"
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine

    assert main(["demo", "--database-url", url, "--clients", "3000"]) == 0
    engine = create_db_engine(make_url(url))
    once = database_fingerprint(engine)
    assert main(["demo", "--database-url", url, "--clients", "3000"]) == 0
    assert database_fingerprint(engine) == once


def test_integration_rate_falls_with_barriers_and_duration(demo_engine) -> None:
    """Plausible synthetic outcomes: the more barriers and the longer the receipt, the lower K2
    (the seed's central finding)."""
    cases = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    for by, order in (
        ("barrier_count", ["0", "1", "2", "3", "4plus"]),
        ("duration", ["u2", "2_4", "4plus"]),
    ):
        rates = dict(
            figures_series(cases, Filters(), AS_OF, AS_OF, EXACT, by=by)
            .select(by, "integration_rate")
            .iter_rows()
        )
        shown = [round(rates[group], 1) for group in order]
        assert shown == sorted(shown, reverse=True), by
    assert shown == [37.4, 20.0, 9.0]


def test_scaled_demo_has_several_districts() -> None:
    tables = generate(DemoSpec(clients=6000, districts=3))
    assert tables["district"].height == 3
    assert tables["municipality"].height == 33
    assert tables["client"].height == 6000
    assert tables["provider"].height == 60
    assert tables["client"]["id"].is_unique().all()


# The data of DemoSpec(6000, 3) as the generator wrote them when it still held every table in
# memory (revision 4, before the pieces): a CSV digest of every table but the boundaries and the
# comparison group (read from files). Generating piece by piece must not change a row.
DEMO_6000_3_DIGEST = "1141f2ba17dd9adb6e8cadd512d51c369f0f06dfe4313140a6c9ae51c1142fc7"


def test_the_data_generated_piece_by_piece_are_those_of_revision_4() -> None:
    tables = generate(DemoSpec(clients=6000, districts=3))
    digest = hashlib.sha256()
    for name in sorted(tables):
        if name in ("municipality_boundary", "peer_figure"):
            continue
        digest.update(name.encode())
        digest.update(tables[name].write_csv().encode())
    assert digest.hexdigest() == DEMO_6000_3_DIGEST


def test_the_demo_written_piece_by_piece_is_the_data_set_written_at_once(tmp_path) -> None:
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine, ensure_schema
    from data_access.store import replace_dataset, replace_dataset_chunks
    from teilhabe.demo import generate_pieces, load_demo

    spec = DemoSpec(clients=3000, districts=2)
    fingerprints, written = [], []
    for number, write in enumerate(
        (
            lambda engine: load_demo(engine, spec),  # piece by piece
            lambda engine: replace_dataset(engine=engine, tables=generate(spec)),
        )
    ):
        engine = create_db_engine(make_url(f"sqlite:///{tmp_path / f'{number}.sqlite'}"))
        ensure_schema(engine, allow_upgrade=True)
        written.append(write(engine))
        fingerprints.append(database_fingerprint(engine))
    assert fingerprints[0] == fingerprints[1] and written[0] == written[1]
    assert written[0]["client"] == 3000 and written[0]["referral"] > 0
    pieces = [name for name, _ in generate_pieces(spec)]
    assert pieces.count("client") == 2 and pieces.count("referral") == 4  # per district, twice
    # an unknown table is refused and nothing is changed
    before = fingerprints[0]
    try:
        replace_dataset_chunks(engine=engine, chunks=[("client", pl.DataFrame()), ("nix", None)])
    except ValueError as error:
        assert "nix" in str(error)
    else:
        raise AssertionError("an unknown table was accepted")
    assert database_fingerprint(engine) == before


def exact(cases, filters: Filters | None = None, first: int = AS_OF) -> pl.DataFrame:
    """The exact monthly figures (rates in percent) from ``first`` to 09/2013."""
    return figures_series(cases, filters or Filters(), AS_OF, first, EXACT)


def test_the_demo_is_calibrated_against_published_values(demo_engine) -> None:
    """K2 in the mid-20s (national 2013: 24.3 %), men clearly above women (29.7 % / 19.3 %),
    K3E1 in the mid-teens (2014: 16.4 %), K3E2 around 10 %, a plausible K2E3."""
    cases = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    now = exact(cases).row(0, named=True)
    rounded = {
        key: round(now[key], 1)
        for key in (
            "integration_rate",
            "integration_rate_lzb",
            "activation_rate_lzb",
            "continuity_rate",
            "integration_rate_single_parents",
            "lzb_change",
        )
    }
    assert rounded == {
        "integration_rate": 25.2,
        "integration_rate_lzb": 14.2,
        "activation_rate_lzb": 9.8,
        "continuity_rate": 65.2,
        "integration_rate_single_parents": 22.1,
        "lzb_change": -3.5,
    }
    assert now["integrations_12m"] == 1072
    assert 22 <= rounded["integration_rate"] <= 28
    assert 10 <= rounded["integration_rate_lzb"] <= 25
    assert 5 <= rounded["activation_rate_lzb"] <= 20
    assert 50 <= rounded["continuity_rate"] <= 80
    women = exact(cases, Filters(sexes=("f",)))["integration_rate"][0]
    men = exact(cases, Filters(sexes=("m",)))["integration_rate"][0]
    assert (round(men, 1), round(women, 1)) == (29.7, 20.1)
    assert men - women >= 5


def test_the_last_month_is_as_complete_as_the_months_before(demo_engine) -> None:
    """No cliff at the end of the data: ELB, LZB and the integrations of the last 12 months
    change from 08 to 09/2013 by no more than the mean change of the year before, and
    integrations and spell ends run through September at the rate of the months before."""
    cases = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    series = exact(cases, first=AS_OF - 13).select("month", "elb", "lzb", "integrations_12m")
    changes = series.with_columns(pl.exclude("month").diff().abs()).drop_nulls()
    year_before, last = changes.head(12), changes.row(-1, named=True)
    assert series.tail(2).rows() == [(AS_OF - 1, 4230, 2380, 1071), (AS_OF, 4230, 2380, 1072)]
    for column in ("elb", "lzb", "integrations_12m"):
        assert last[column] <= year_before[column].mean(), column

    tables = {"integration": "date", "benefit_spell": "end_date"}
    with demo_engine.connect() as connection:
        for table, column in tables.items():
            per_month = dict(
                connection.execute(
                    text(
                        f"SELECT substr({column}, 1, 7), count(*) FROM {table} "
                        f"WHERE {column} >= '2012-09-01' GROUP BY 1"
                    )
                ).all()
            )
            before = [per_month[f"{y}-{m:02d}"] for y, m in [(2012, 9), (2012, 10), (2012, 11),
                      (2012, 12)] + [(2013, m) for m in range(1, 9)]]  # fmt: skip
            assert per_month["2013-09"] >= 0.8 * sum(before) / len(before), table
            latest = connection.execute(text(f"SELECT max({column}) FROM {table}")).scalar()
            assert str(latest) >= "2013-09-28", table


def test_the_local_demo_of_an_older_generator_is_renewed(tmp_path) -> None:
    """A local demo database written before the keys were corrected is replaced on start;
    data that are no longer pure demo data are left alone."""
    from data_access.db import create_db_engine, ensure_schema
    from data_access.settings import Settings
    from data_access.store import set_dataset_info
    from teilhabe.demo import data_version, load_demo
    from teilhabe.figures import dataset_info
    from teilhabe.startup import open_database

    settings = Settings.load(environ={"TEILHABE_DATA_DIR": str(tmp_path)}, secrets_file=None)
    assert settings.uses_default_database
    engine = create_db_engine(settings.database_url)
    ensure_schema(engine, allow_upgrade=True)
    load_demo(engine, DemoSpec(clients=3000))
    with engine.begin() as connection:  # as revision 2 wrote them
        set_dataset_info(connection, "data_version", "demo-r2-20130924-3000-1")
        connection.execute(text("UPDATE municipality SET name = 'Nattheim' WHERE ags = '08135027'"))
    open_database(settings).dispose()
    assert dataset_info(engine=engine)["data_version"] == data_version(DemoSpec(clients=3000))
    with engine.connect() as connection:
        names = dict(connection.execute(text("SELECT ags, name FROM municipality")).all())
    assert (names["08135026"], names["08135027"]) == ("Nattheim", "Niederstotzingen")

    with engine.begin() as connection:  # imported data since: kept as they are
        set_dataset_info(connection, "data_version", "import-7-20261130T080000Z-abcdef12")
    open_database(settings).dispose()
    assert dataset_info(engine=engine)["data_version"] == "import-7-20261130T080000Z-abcdef12"
    engine.dispose()
