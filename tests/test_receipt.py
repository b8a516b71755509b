"""The ELB and LZB definitions (§ 48a SGB II) on small hand-made spells, with exact values."""

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.receipt import derive_lzb_from
from teilhabe.cases import read_cases
from teilhabe.figures import STOCK_COLUMNS, benefit_stock, figure_series
from teilhabe.protection import DEMO_SECRET, Protection

SEPT_2013 = 2013 * 12 + 8
EXACT = Protection(exact=True)  # no perturbation: these tests look at raw definitions


def stock(engine, month: int = SEPT_2013) -> dict:
    cases = read_cases(engine=engine, secret=DEMO_SECRET)
    return benefit_stock(cases=cases, as_of=month, protection=EXACT).row(0, named=True)


def test_21_of_24_months_is_lzb_and_20_is_not(build_db) -> None:
    engine = build_db(
        [
            # 21 months: receipt from 01/2012 (months 01/2012 .. 09/2013), nothing before
            ("lzb_21", dt.date(2012, 1, 1), None),
            # 20 months: from 02/2012
            ("elb_20", dt.date(2012, 2, 1), None),
            # 24 months in the window with a gap of 3 months: 21 of 24
            ("gap_3", dt.date(2010, 1, 1), dt.date(2012, 3, 31)),
            ("gap_3", dt.date(2012, 7, 1), None),
            # a gap of 4 months: 20 of 24
            ("gap_4", dt.date(2010, 1, 1), dt.date(2012, 2, 29)),
            ("gap_4", dt.date(2012, 7, 1), None),
            # 24 of 24 but left before the reporting day: not in the stock at all
            ("left", dt.date(2010, 1, 1), dt.date(2013, 9, 29)),
        ]
    )
    assert stock(engine) == {
        "elb": 4,
        "lzb": 2,
        "lzb_under_2y": 2,
        "lzb_2_4y": 0,
        "lzb_4y_plus": 0,
    }


def test_exactly_four_years_of_current_receipt(build_db) -> None:
    engine = build_db(
        [
            ("four_years", dt.date(2009, 9, 30), None),  # four years on 30.09.2013
            ("one_day_short", dt.date(2009, 10, 1), None),
            ("three_years", dt.date(2010, 9, 1), None),
        ]
    )
    assert stock(engine) == {
        "elb": 3,
        "lzb": 3,
        "lzb_under_2y": 0,
        "lzb_2_4y": 2,
        "lzb_4y_plus": 1,
    }


def test_series_equals_the_figure_of_each_month(build_db) -> None:
    engine = build_db(
        [
            ("a", dt.date(2011, 1, 10), dt.date(2012, 6, 30)),
            ("a", dt.date(2012, 8, 1), None),
            ("b", dt.date(2009, 3, 1), dt.date(2013, 5, 31)),
            ("c", dt.date(2012, 12, 1), None),
        ]
    )
    series = figure_series(
        cases=read_cases(engine=engine, secret=DEMO_SECRET),
        first=SEPT_2013 - 14,
        last=SEPT_2013,
        protection=EXACT,
    ).select("month", *STOCK_COLUMNS)
    for row in series.iter_rows(named=True):
        month = row.pop("month")
        assert row == stock(engine, month), month


def brute_force_lzb_months(spells: list[tuple[int, int]]) -> set[int]:
    """LZB months of one client, counted month by month straight from the definition."""
    receipt = {m for start, end in spells for m in range(start, end + 1)}
    return {m for m in receipt if sum(1 for k in range(m - 23, m + 1) if k in receipt) >= 21}


@st.composite
def client_spells(draw) -> list[tuple[int, int]]:
    """Non-overlapping spells of one client as month ranges (possibly adjacent)."""
    month, spells = 0, []
    for _ in range(draw(st.integers(1, 4))):
        start = month + draw(st.integers(0, 8))
        end = start + draw(st.integers(-1, 30))  # -1: a spell covering no reporting day
        spells.append((start, end))
        month = max(start, end) + 1
    return spells


@settings(max_examples=300, deadline=None)
@given(st.lists(client_spells(), min_size=1, max_size=4))
def test_lzb_intervals_match_the_definition_month_by_month(clients) -> None:
    base = 2010 * 12
    rows = [
        (f"c{i}", base + start, base + end)
        for i, spells in enumerate(clients)
        for start, end in spells
    ]
    frame = pl.DataFrame(rows, schema=["client_id", "start_month", "end_month"], orient="row")
    lzb_from = derive_lzb_from(frame)
    for i, spells in enumerate(clients):
        derived = {
            m - base
            for (client, _, end), first in zip(rows, lzb_from, strict=True)
            if client == f"c{i}" and first is not None
            for m in range(first, end + 1)
        }
        assert derived == brute_force_lzb_months(spells)
