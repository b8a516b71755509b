"""Group membership is taken in each month: barriers, their number and the age group as they were.

Hand-made data, values known by hand. Reporting day is the last day of a month; a barrier counts
from the month of its recording to the month before the day it is resolved.
"""

import datetime as dt

import polars as pl
import pytest

from teilhabe import cube
from teilhabe.cases import read_cases
from teilhabe.definitions import BARRIERS
from teilhabe.indicators import figures_series, monthly_base
from teilhabe.protection import DEMO_SECRET, Protection
from teilhabe.selection import Filters

D = dt.date
SEPT_2013 = 2013 * 12 + 8
DEC_2012 = 2012 * 12 + 11
JAN_2013 = 2013 * 12
MAR_2013 = 2013 * 12 + 2
JUL_2013 = 2013 * 12 + 6


@pytest.fixture
def cases(build_db):
    engine = build_db(
        [
            ("X", D(2012, 1, 1), D(2013, 6, 30)),  # debts from 03/2013, integrated in 06/2013
            ("Y", D(2012, 1, 1), None),  # debts 01/2012 .. 12/2012, health throughout
            ("Z", D(2012, 1, 1), None),  # born 1988: under 25 in 2012, 25 in 2013
        ],
        client=pl.DataFrame(
            {
                "id": ["X", "Y", "Z"],
                "municipality_ags": ["08135019"] * 3,
                "sex": ["f", "f", "m"],
                "birth_year": [1970, 1970, 1988],
                "single_parent": [False] * 3,
                "household_id": ["X", "Y", "Z"],
            }
        ),
        barrier=pl.DataFrame(
            {
                "code": [b.code for b in BARRIERS],
                "label": [b.label for b in BARRIERS],
                "description": [b.description for b in BARRIERS],
                "key_factor": [b.key_factor for b in BARRIERS],
            }
        ),
        barrier_assessment=pl.DataFrame(
            {
                "client_id": ["X", "Y", "Y"],
                "barrier_code": ["debts", "debts", "health"],
                "recorded_on": [D(2013, 3, 10), D(2012, 1, 5), D(2012, 1, 5)],
                "resolved_on": [None, D(2013, 1, 15), None],
            },
            schema_overrides={"resolved_on": pl.Date},
        ),
        integration=pl.DataFrame(
            {
                "client_id": ["X"],
                "date": [D(2013, 6, 20)],
                "kind": ["employment"],
                "continued_12m": [None],
            },
            schema_overrides={"continued_12m": pl.Boolean},
        ),
    )
    return read_cases(engine=engine, secret=DEMO_SECRET)


def elb_by_month(cases, filters: Filters, first: int, last: int) -> dict[int, int]:
    base = monthly_base(cases, filters, first, last)
    return dict(zip(base["month"], base["elb"], strict=True))


def test_a_barrier_counts_in_the_months_it_is_recorded(cases) -> None:
    debts = elb_by_month(cases, Filters(barriers=("debts",)), DEC_2012, JUL_2013)
    # Y until 12/2012 (resolved 15.01.2013), X from 03/2013 until the end of receipt in 06/2013
    assert debts == {
        DEC_2012: 1,
        JAN_2013: 0,
        JAN_2013 + 1: 0,
        MAR_2013: 1,
        MAR_2013 + 1: 1,
        MAR_2013 + 2: 1,
        MAR_2013 + 3: 1,
        JUL_2013: 0,
    }


def test_any_and_all_of_several_barriers(cases) -> None:
    both = Filters(barriers=("debts", "health"), barrier_mode="all")
    either = Filters(barriers=("debts", "health"), barrier_mode="any")
    assert elb_by_month(cases, both, DEC_2012, MAR_2013) == {
        DEC_2012: 1,  # Y
        JAN_2013: 0,
        JAN_2013 + 1: 0,
        MAR_2013: 0,
    }
    assert elb_by_month(cases, either, DEC_2012, MAR_2013) == {
        DEC_2012: 1,  # Y (debts and health)
        JAN_2013: 1,  # Y (health)
        JAN_2013 + 1: 1,
        MAR_2013: 2,  # X (debts) and Y (health)
    }


def test_an_unknown_barrier_code_matches_nobody(cases) -> None:
    assert elb_by_month(cases, Filters(barriers=("unknown",)), MAR_2013, MAR_2013) == {MAR_2013: 0}
    assert elb_by_month(
        cases, Filters(barriers=("debts", "unknown"), barrier_mode="all"), MAR_2013, MAR_2013
    ) == {MAR_2013: 0}


def test_k2_of_a_barrier_group_uses_the_group_of_each_month(cases) -> None:
    row = figures_series(
        cases, Filters(barriers=("debts",)), SEPT_2013, SEPT_2013, Protection(exact=True)
    ).row(0, named=True)
    # window 10/2012 .. 09/2013: X integrated in 06/2013 with debts; stock Y 3 months, X 4
    assert row["integrations_12m"] == 1
    assert row["elb_mean_12m"] == pytest.approx((3 + 4) / 12)
    assert row["integration_rate"] == pytest.approx(100 / (7 / 12))


def test_barrier_count_is_that_of_the_month(cases) -> None:
    def counts(month: int) -> dict[str, int]:
        base = monthly_base(cases, Filters(), month, month, by="barrier_count")
        return dict(zip(base["barrier_count"], base["elb"], strict=True))

    # only groups that occur in the months asked for get rows
    assert counts(DEC_2012) == {"0": 2, "2": 1}  # X, Z none; Y debts and health
    assert counts(MAR_2013) == {"0": 1, "1": 2}  # Z none; X debts; Y health


def test_age_group_is_that_of_the_months_year(cases) -> None:
    young = elb_by_month(cases, Filters(age_groups=("u25",)), DEC_2012, JAN_2013)
    assert young == {DEC_2012: 1, JAN_2013: 0}  # Z turns 25 in 2013
    by_age = monthly_base(cases, Filters(), JAN_2013, JAN_2013, by="age_group")
    assert dict(zip(by_age["age_group"], by_age["elb"], strict=True)) == {
        "25_34": 1,
        "35_44": 2,
    }


def test_the_barrier_group_of_another_data_version_is_not_reused(cases, build_db) -> None:
    debts = Filters(barriers=("debts",))
    assert elb_by_month(cases, debts, MAR_2013, MAR_2013) == {MAR_2013: 1}
    other = read_cases(engine=build_db([("W", D(2012, 1, 1), None)]), secret=DEMO_SECRET)
    assert elb_by_month(other, debts, MAR_2013, MAR_2013) == {MAR_2013: 0}
    assert elb_by_month(cases, debts, MAR_2013, MAR_2013) == {MAR_2013: 1}


def test_the_cube_sums_to_the_persons(cases) -> None:
    # every month: ELB in the cube = persons in receipt; with or without the barrier mask
    for frame in (cases.stock_cells, cases.stock_plain):
        per_month = frame.group_by("month").agg(pl.col("elb").sum()).sort("month")
        assert per_month.filter(pl.col("month") == MAR_2013)["elb"].item() == 3
        assert per_month.filter(pl.col("month") == JUL_2013)["elb"].item() == 2
    assert set(cube.MEASURES) == set(cube.STOCKS) | set(cube.FLOWS)
