"""Populations with their reference date: the one nearest to the Stichtag, and its import."""

import datetime as dt

import polars as pl

from data_access.auth import Actor
from data_access.periods import month_index
from data_access.population import populations, populations_at
from teilhabe.exchange.tabular import import_table

D = dt.date
SEPT_2013 = month_index(D(2013, 9, 30))

CLI = Actor.command_line("tester")


def municipalities() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ags": ["08135019", "08135021"],
            "district_key": ["08135"] * 2,
            "name": ["Heidenheim an der Brenz", "Hermaringen"],
            "kind": ["Stadt", "Gemeinde"],
            "population": [50196, 2170],
            "population_date": [D(2023, 3, 31), D(2018, 9, 30)],
            "lat": [48.68, 48.60],
            "lon": [10.15, 10.26],
        }
    )


def district() -> pl.DataFrame:
    return pl.DataFrame(
        {"key": ["08135"], "name": ["Landkreis Heidenheim"], "jobcenter_name": ["JC"]}
    )


def test_the_population_nearest_to_the_stichtag_is_used_with_its_date(build_db) -> None:
    engine = build_db([], district=district(), municipality=municipalities())
    stored = populations(engine=engine)
    assert populations_at(stored, SEPT_2013).rows() == [
        ("08135019", 50196, D(2023, 3, 31)),
        ("08135021", 2170, D(2018, 9, 30)),
    ]
    # further populations are imported with their date (German file, as people have them)
    csv = b"AGS;Stand Einwohnerzahl;Einwohner\n08135019;31.12.2012;46.140\n"
    report = import_table(engine, "Einwohnerzahlen", csv, name="einwohner_2012.csv", actor=CLI)
    assert report.ok and (report.added, report.data_version is not None) == (1, True)
    stored = populations(engine=engine)
    assert stored.height == 3
    at_2013 = populations_at(stored, SEPT_2013)
    assert at_2013.row(0) == ("08135019", 46140, D(2012, 12, 31))
    # for a Stichtag in 2022 the 2023 figure is nearer
    assert populations_at(stored, month_index(D(2022, 12, 31))).row(0) == (
        "08135019",
        50196,
        D(2023, 3, 31),
    )
    # a tie goes to the earlier date; the same file twice changes nothing
    again = import_table(
        engine, "municipality_population", csv, name="einwohner_2012.csv", actor=CLI
    )
    assert (again.added, again.updated, again.unchanged, again.data_version) == (0, 0, 1, None)
