"""The § 48a figures (K2, K2E3, K2E4, K3, K3E1, K3E2) on hand-made data, known by hand.

As of 09/2013 the 12-month window is 10/2012 .. 09/2013; K2E3 looks at 10/2011 .. 09/2012.
"""

import datetime as dt

import polars as pl
import pytest

from teilhabe.cases import read_cases
from teilhabe.indicators import figures_series
from teilhabe.protection import DEMO_SECRET, Protection
from teilhabe.selection import Filters

SEPT_2013 = 2013 * 12 + 8
D = dt.date
EXACT = Protection(exact=True)  # exact definitions on hand-made data: no perturbation


@pytest.fixture
def cases(build_db):
    engine = build_db(
        [
            ("A", D(2010, 1, 1), None),  # LZB throughout, integrated in the window's last month
            ("B", D(2010, 1, 1), D(2012, 9, 30)),  # left on the day before the window
            ("C", D(2012, 10, 1), None),  # new in the window's first month; a single parent
            ("D", D(2010, 1, 1), D(2013, 3, 31)),  # in the window for 6 months, LZB
            ("E", D(2009, 1, 1), D(2011, 10, 31)),  # integrated in the K2E3 window
        ],
        single_parents=("C",),
        integration=pl.DataFrame(
            {
                "client_id": ["A", "B", "C", "E"],
                "date": [D(2013, 9, 15), D(2012, 9, 30), D(2012, 10, 1), D(2011, 10, 5)],
                "kind": ["employment", "employment", "training", "self_employment"],
                "continued_12m": [None, True, None, False],
            },
            schema_overrides={"continued_12m": pl.Boolean},
        ),
        provider=pl.DataFrame(
            {
                "id": ["P"],
                "name": ["Träger"],
                "kind": ["education"],
                "municipality_ags": ["08135019"],
            }
        ),
        service_category=pl.DataFrame({"code": ["activation"], "label": ["Aktivierung"]}),
        service=pl.DataFrame(
            {
                "id": ["S"],
                "provider_id": ["P"],
                "name": ["Coaching"],
                "category_code": ["activation"],
                "labour_market_measure": [True],
                "active_from": [D(2005, 1, 1)],
            }
        ),
        referral=pl.DataFrame(
            {
                "client_id": ["A"],
                "service_id": ["S"],
                "start_date": [D(2013, 8, 1)],
                "end_date": [None],
                "status": ["active"],
            },
            schema_overrides={"end_date": pl.Date},
        ),
    )
    return read_cases(engine=engine, secret=DEMO_SECRET)


def at_september_2013(cases, filters: Filters | None = None) -> dict:
    return figures_series(cases, filters or Filters(), SEPT_2013, SEPT_2013, EXACT).row(
        0, named=True
    )


def test_k2_counts_integrations_of_the_12_months_over_the_average_elb_stock(cases) -> None:
    row = at_september_2013(cases)
    # A and C integrated in the window (B on the day before it); average ELB (12 + 12 + 6) / 12
    assert row["integrations_12m"] == 2
    assert row["elb_mean_12m"] == pytest.approx(30 / 12)
    assert row["integration_rate"] == pytest.approx(80.0)
    assert (
        row["integrations_employment_12m"],
        row["integrations_training_12m"],
        row["integrations_self_employment_12m"],
    ) == (1, 1, 0)


def test_k3_compares_the_lzb_stock_with_a_year_before(cases) -> None:
    row = at_september_2013(cases)
    assert (row["lzb"], row["lzb_year_before"]) == (1, 3)  # A now; A, B and D in 09/2012
    assert row["lzb_change"] == pytest.approx(100 / 3 - 100)


def test_k3e1_integrations_of_lzb_over_the_average_lzb_stock(cases) -> None:
    row = at_september_2013(cases)
    assert row["integrations_lzb_12m"] == 1  # A; C is not LZB
    assert row["lzb_mean_12m"] == pytest.approx(18 / 12)  # A 12 months, D 6
    assert row["integration_rate_lzb"] == pytest.approx(100 / 1.5)


def test_k2e3_continuity_of_the_integrations_a_year_earlier(cases) -> None:
    row = at_september_2013(cases)
    assert (row["continued_12m"], row["continuity_known_12m"]) == (1, 2)  # B yes, E no
    assert row["continuity_rate"] == pytest.approx(50.0)


def test_k2e4_single_parents(cases) -> None:
    row = at_september_2013(cases)
    assert row["integrations_single_parent_12m"] == 1
    assert row["elb_single_parent_mean_12m"] == pytest.approx(1.0)  # C all 12 months
    assert row["integration_rate_single_parents"] == pytest.approx(100.0)


def test_k3e2_activation_of_lzb(cases) -> None:
    row = at_september_2013(cases)
    assert (row["lzb_measure"], row["lzb"]) == (1, 1)
    assert row["activation_rate_lzb"] == pytest.approx(100.0)


def test_a_month_earlier_the_window_moves(cases) -> None:
    row = figures_series(cases, Filters(), SEPT_2013 - 1, SEPT_2013 - 1, EXACT).row(0, named=True)
    # window 09/2012 .. 08/2013: B's integration (30.09.2012) now counts, A's does not yet
    assert row["integrations_12m"] == 2
    # A, B in 09/2012, C from 10/2012, D
    assert row["elb_mean_12m"] == pytest.approx((12 + 1 + 11 + 7) / 12)


def test_filters_select_the_group_at_the_as_of_month(cases) -> None:
    single = at_september_2013(cases, Filters(municipalities=("08135019",), sexes=("m",)))
    assert single["elb"] == 0  # everybody in the test data is female
    everybody = at_september_2013(cases, Filters(sexes=("f",)))
    assert everybody["elb"] == 2
