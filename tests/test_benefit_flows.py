"""K1E2, K1E3, K1E4, K3E3 and K3E4 on hand-made spells, known by hand.

As of 09/2013 the 12-month window of entries and exits is 10/2012 .. 09/2013, and the stocks
they are set against are those at the end of 09/2012 .. 08/2013 (each month's previous month).
An entry in month M: in the stock at the end of M, not at the end of M - 1; an exit: the other
way round. LZB from the 21st of 24 months in receipt (see ``data_access.receipt``).

The same spells and the same expected values are checked on PostgreSQL in ``test_postgres``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from teilhabe.cases import read_cases
from teilhabe.indicators import figures_series, monthly_base
from teilhabe.protection import DEMO_SECRET, Protection
from teilhabe.selection import Filters

SEPT_2013 = 2013 * 12 + 8
D = dt.date
EXACT = Protection(exact=True)

SPELLS = [
    ("A", D(2010, 1, 1), None),  # ELB and LZB throughout: no entry, no exit
    ("B", D(2012, 3, 1), D(2013, 3, 31)),  # ELB exit 04/2013 (never LZB: 13 months)
    ("C", D(2013, 1, 1), None),  # ELB entry 01/2013
    # two spells end to end: no exit and entry in 01/2013; LZB from 11/2012 (21st month) on,
    # and the second spell continues it
    ("D", D(2011, 3, 1), D(2012, 12, 31)),
    ("D", D(2013, 1, 1), None),
    # LZB from 09/2011, leaves (ELB and LZB exit 12/2012) and comes back after two months: ELB
    # entry 02/2013, and LZB again at once (22 of the 24 months) - an LZB entry 02/2013
    ("E", D(2010, 1, 1), D(2012, 11, 30)),
    ("E", D(2013, 2, 1), None),
    ("F", D(2012, 6, 1), D(2013, 8, 31)),  # ELB exit in 09/2013, the window's last month
    ("G", D(2009, 1, 1), D(2012, 9, 30)),  # ELB and LZB exit in 10/2012, the window's first
    ("H", D(2012, 9, 1), None),  # ELB entry 09/2012: the month before the window
    ("J", D(2011, 1, 1), D(2013, 6, 30)),  # LZB entry 09/2012 (before the window), exits 07/2013
]
# sum of the ELB stocks at the end of 09/2012 .. 08/2013:
# A 12, B 7, C 8, D 12, E 10, F 12, G 1, H 12, J 10
ELB_STOCK_SUM = 84
# sum of the LZB stocks at the end of 09/2012 .. 08/2013: A 12, D 10, E 10, G 1, J 10
LZB_STOCK_SUM = 43


@pytest.fixture
def cases(build_db):
    return read_cases(engine=build_db(SPELLS), secret=DEMO_SECRET)


def flow_figures(cases) -> dict:
    """The figures of 09/2013 the tests check (also on PostgreSQL, ``test_postgres``)."""
    row = figures_series(cases, Filters(), SEPT_2013, SEPT_2013, EXACT).row(0, named=True)
    keys = (
        "elb",
        "elb_year_before",
        "elb_change",
        "elb_entries_12m",
        "elb_exits_12m",
        "elb_prev_mean_12m",
        "elb_entry_rate",
        "elb_exit_rate",
        "lzb",
        "lzb_year_before",
        "lzb_change",
        "lzb_entries_12m",
        "lzb_exits_12m",
        "lzb_prev_mean_12m",
        "lzb_entry_rate",
        "lzb_exit_rate",
    )
    return {key: row[key] for key in keys}


EXPECTED = {
    "elb": 5,  # A, C, D, E, H
    "elb_year_before": 8,  # A, B, D, E, F, G, H, J
    "elb_change": pytest.approx(5 / 8 * 100 - 100),  # K1E2: -37.5 %
    "elb_entries_12m": 2,  # C 01/2013, E 02/2013
    "elb_exits_12m": 5,  # G 10/2012, E 12/2012, B 04/2013, J 07/2013, F 09/2013
    "elb_prev_mean_12m": pytest.approx(ELB_STOCK_SUM / 12),
    "elb_entry_rate": pytest.approx(2 / ELB_STOCK_SUM * 100),  # K1E3: 2.38 %
    "elb_exit_rate": pytest.approx(5 / ELB_STOCK_SUM * 100),  # K1E4: 5.95 %
    "lzb": 3,  # A, D, E
    "lzb_year_before": 4,  # A, E, G, J
    "lzb_change": pytest.approx(3 / 4 * 100 - 100),
    "lzb_entries_12m": 2,  # D 11/2012, E 02/2013
    "lzb_exits_12m": 3,  # G 10/2012, E 12/2012, J 07/2013
    "lzb_prev_mean_12m": pytest.approx(LZB_STOCK_SUM / 12),
    "lzb_entry_rate": pytest.approx(2 / LZB_STOCK_SUM * 100),  # K3E3: 4.65 %
    "lzb_exit_rate": pytest.approx(3 / LZB_STOCK_SUM * 100),  # K3E4: 6.98 %
}


def test_entries_exits_and_their_rates_as_counted_by_hand(cases) -> None:
    assert flow_figures(cases) == EXPECTED


def test_k1e2_is_the_change_of_the_elb_stock_in_percent(cases) -> None:
    assert flow_figures(cases)["elb_change"] == pytest.approx(-37.5)


def test_each_month_the_stock_is_the_last_plus_entries_minus_exits(cases) -> None:
    base = monthly_base(cases, Filters(), SEPT_2013 - 24, SEPT_2013)
    for stock in ("elb", "lzb"):
        balance = base.select(
            pl.col(stock) - pl.col(stock).shift(1),
            pl.col(f"{stock}_entries") - pl.col(f"{stock}_exits"),
        ).slice(1)
        assert balance.to_series(0).to_list() == balance.to_series(1).to_list(), stock


def test_the_flows_of_single_months(cases) -> None:
    base = monthly_base(cases, Filters(), SEPT_2013 - 12, SEPT_2013)
    flows = {
        column: {m - SEPT_2013 + 12: n for m, n in base.select("month", column).iter_rows() if n}
        for column in ("elb_entries", "elb_exits", "lzb_entries", "lzb_exits")
    }
    # months after 09/2012: 1 = 10/2012 ... 12 = 09/2013; H's entry is month 0 (09/2012)
    assert flows == {
        "elb_entries": {0: 1, 4: 1, 5: 1},
        "elb_exits": {1: 1, 3: 1, 7: 1, 10: 1, 12: 1},
        "lzb_entries": {0: 1, 2: 1, 5: 1},
        "lzb_exits": {1: 1, 3: 1, 10: 1},
    }


def test_an_exit_counts_in_the_group_of_its_last_month_in_the_stock(build_db) -> None:
    """X leaves after 47 months (12/2012: "2 to 4 years"; in 01/2013 it would have been 48):
    the exit of 01/2013 belongs to the stock it left, "2 to 4 years" of 12/2012."""
    spells = [("X", D(2009, 1, 1), D(2012, 12, 31)), ("Y", D(2013, 1, 1), None)]
    cases = read_cases(engine=build_db(spells), secret=DEMO_SECRET)
    base = monthly_base(cases, Filters(), SEPT_2013 - 12, SEPT_2013, by="duration")
    flows = base.filter((pl.col("elb_exits") > 0) | (pl.col("elb_entries") > 0))
    january = 2013 * 12
    assert flows.select("duration", "month", "elb_entries", "elb_exits").rows() == [
        ("2_4", january, 0, 1),
        ("u2", january, 1, 0),  # Y's entry: duration 0 in its month
    ]


def test_rates_of_too_small_a_published_base_are_not_shown(cases) -> None:
    """Published (cell-key) mean stocks of about 7 and 3.6 are below the minimum base of 10."""
    row = figures_series(cases, Filters(), SEPT_2013, SEPT_2013, Protection()).row(0, named=True)
    for key in ("elb_change", "elb_entry_rate", "elb_exit_rate", "lzb_entry_rate"):
        assert row[key] is None, key
    assert row["lzb_exit_rate"] is None
    shown = Protection(min_rate_base=3)
    row = figures_series(cases, Filters(), SEPT_2013, SEPT_2013, shown).row(0, named=True)
    assert row["elb_prev_mean_12m"] >= 3
    assert row["elb_entry_rate"] == pytest.approx(
        row["elb_entries_12m"] / 12 / row["elb_prev_mean_12m"] * 100
    )
