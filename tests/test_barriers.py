"""Barrier analysis on hand-made data, values known by hand.

Four persons in receipt since 01/2008 (so from 01/2012 on: four years and longer), barriers recorded
on 05.01.2012 and never resolved: N none, D debts, H debts and health, A all ten.
"""

import datetime as dt

import polars as pl
import pytest

from teilhabe import barriers
from teilhabe.cases import read_cases
from teilhabe.definitions import BARRIER_CODES, BARRIERS, SERVICE_CATEGORIES
from teilhabe.figures import COUNT_COLUMNS as COUNTS
from teilhabe.protection import DEMO_SECRET, Protection, deviation
from teilhabe.selection import Filters

D = dt.date
SEPT_2013 = 2013 * 12 + 8
EXACT = Protection(exact=True)  # exact definitions: no perturbation, every rate shown
PUBLISHED = Protection()  # the cell-key method as the app publishes
BOTH_ANY = Filters(barriers=("debts", "health"), barrier_mode="any")
BOTH_ALL = Filters(barriers=("debts", "health"), barrier_mode="all")


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine, ensure_schema
    from data_access.store import replace_dataset

    engine = create_db_engine(
        make_url(f"sqlite:///{tmp_path_factory.mktemp('barriers') / 'b.sqlite'}")
    )
    ensure_schema(engine, allow_upgrade=True)
    people = ["A", "D", "H", "N"]
    assessments = [("A", code) for code in BARRIER_CODES] + [
        ("D", "debts"),
        ("H", "debts"),
        ("H", "health"),
    ]
    replace_dataset(
        engine=engine,
        tables={
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
                    "population_date": [D(2023, 3, 31)],
                    "lat": [48.68],
                    "lon": [10.15],
                }
            ),
            "barrier": pl.DataFrame(
                {
                    "code": [b.code for b in BARRIERS],
                    "label": [b.label for b in BARRIERS],
                    "description": [b.description for b in BARRIERS],
                    "key_factor": [b.key_factor for b in BARRIERS],
                }
            ),
            "service_category": pl.DataFrame(
                {
                    "code": [c.code for c in SERVICE_CATEGORIES],
                    "label": [c.label for c in SERVICE_CATEGORIES],
                }
            ),
            "client": pl.DataFrame(
                {
                    "id": people,
                    "municipality_ags": ["08135019"] * 4,
                    "sex": ["f"] * 4,
                    "birth_year": [1970] * 4,
                    "single_parent": [False] * 4,
                    "household_id": people,
                }
            ),
            "benefit_spell": pl.DataFrame(
                {"client_id": people, "start_date": [D(2008, 1, 1)] * 4, "end_date": [None] * 4},
                schema_overrides={"end_date": pl.Date},
            ),
            "barrier_assessment": pl.DataFrame(
                {
                    "client_id": [c for c, _ in assessments],
                    "barrier_code": [b for _, b in assessments],
                    "recorded_on": [D(2012, 1, 5)] * len(assessments),
                    "resolved_on": [None] * len(assessments),
                },
                schema_overrides={"resolved_on": pl.Date},
            ),
            "provider": pl.DataFrame(
                {
                    "id": ["P"],
                    "name": ["Beratung"],
                    "kind": ["counselling"],
                    "municipality_ags": ["08135019"],
                }
            ),
            "service": pl.DataFrame(
                {
                    "id": ["S"],
                    "provider_id": ["P"],
                    "name": ["Schuldnerberatung"],
                    "category_code": ["debt_counselling"],
                    "labour_market_measure": [False],
                    "active_from": [D(2005, 1, 1)],
                }
            ),
            "referral": pl.DataFrame(
                {
                    # D and H in the outcome window (10/2011 .. 09/2012), A recently, and N,
                    # who has no debts, recently as well (does not count for debts)
                    "client_id": ["D", "H", "A", "N"],
                    "service_id": ["S"] * 4,
                    "barrier_code": ["debts"] * 4,
                    "start_date": [D(2012, 6, 1), D(2012, 8, 1), D(2013, 2, 1), D(2013, 3, 1)],
                    "end_date": [None] * 4,
                    "status": ["completed", "completed", "active", "active"],
                },
                schema_overrides={"end_date": pl.Date},
            ),
            "integration": pl.DataFrame(
                {
                    "client_id": ["H"],
                    "date": [D(2013, 6, 20)],  # within 12 months of H's referral (08/2012)
                    "kind": ["employment"],
                    "continued_12m": [None],
                },
                schema_overrides={"continued_12m": pl.Boolean},
            ),
            "dataset_info": pl.DataFrame(
                {"key": ["synthetic", "as_of"], "value": ["true", "2013-09"]}
            ),
        },
    )
    copy = read_cases(engine=engine, secret=DEMO_SECRET)
    engine.dispose()
    return copy


def published(cases, people: str) -> int:
    """The published count of exactly these persons: their number plus the deviation of the
    perturbation table for the sum of their record keys (nothing else)."""
    keys = cases.clients.filter(pl.col("client_id").is_in(list(people)))["key"]
    assert keys.len() == len(people)
    return len(people) + deviation(len(people), sum(keys.to_list()))


def by_barrier(frame: pl.DataFrame, *columns: str) -> dict[str, tuple]:
    return {row[0]: tuple(row[1:]) for row in frame.select("barrier", *columns).iter_rows()}


def test_prevalence_among_everybody(cases) -> None:
    table = by_barrier(
        barriers.prevalence(cases, Filters(), SEPT_2013, EXACT), "elb", "elb_share", "lzb"
    )
    assert table["debts"] == (3, 75.0, 3)  # A, D, H of four
    assert table["health"] == (2, 50.0, 2)  # A, H
    assert table["qualification"] == (1, 25.0, 1)  # A
    assert list(table) == list(BARRIER_CODES)


def test_prevalence_within_any_and_all_of_the_chosen_barriers(cases) -> None:
    any_of = by_barrier(barriers.prevalence(cases, BOTH_ANY, SEPT_2013, EXACT), "elb", "elb_share")
    assert any_of["debts"] == (3, 100.0)  # the group: A, D, H
    assert any_of["health"] == (2, pytest.approx(200 / 3))
    assert any_of["qualification"] == (1, pytest.approx(100 / 3))
    all_of = by_barrier(barriers.prevalence(cases, BOTH_ALL, SEPT_2013, EXACT), "elb", "elb_share")
    assert all_of["debts"] == (2, 100.0)  # the group: A, H
    assert all_of["qualification"] == (1, 50.0)


def test_integration_rate_of_those_with_a_barrier(cases) -> None:
    table = by_barrier(
        barriers.prevalence(cases, Filters(), SEPT_2013, EXACT),
        "integrations_12m",
        "integration_rate",
    )
    # H integrated in 06/2013; with debts: A, D, H for 12 months each, 36 / 12 = 3 on average
    assert table["debts"] == (1, pytest.approx(100 / 3))
    assert table["qualification"] == (0, 0.0)  # a true zero stays visible


def test_published_prevalence_of_small_groups(cases) -> None:
    exact = by_barrier(barriers.prevalence(cases, Filters(), SEPT_2013, EXACT), "elb", "lzb")
    table = by_barrier(
        barriers.prevalence(cases, Filters(), SEPT_2013, PUBLISHED),
        "elb",
        "lzb",
        "elb_share",
        "lzb_share",
        "integrations_12m",
        "integration_rate",
    )
    assert table["debts"][0] == published(cases, "ADH")
    assert table["health"][0] == published(cases, "AH")  # 2 persons: published 0 or 3 or 4
    assert table["qualification"][0] == published(cases, "A")
    for code, (elb, lzb, *shares, integrations, integration_rate) in table.items():
        # everybody is LZB: the same persons, the same published value
        assert elb == lzb, code
        assert elb not in (1, 2) and integrations not in (1, 2), code
        assert abs(elb - exact[code][0]) <= 2, code
        # the group (4 persons) and the mean stock are published below 10: no share, no rate
        assert shares == [None, None] and integration_rate is None, code
    assert table["debts"][4] in (0, 3) and table["health"][4] in (0, 3)  # one integration (H)
    assert {table[c][4] for c in BARRIER_CODES if c not in ("debts", "health")} == {0}  # 0 stays


def test_shares_are_ratios_of_published_counts(cases) -> None:
    low = Protection(min_rate_base=3)
    group = published(cases, "ADHN")
    table = by_barrier(barriers.prevalence(cases, Filters(), SEPT_2013, low), "elb", "elb_share")
    for code, people in (("debts", "ADH"), ("health", "AH")):
        count = published(cases, people)
        assert table[code] == (count, pytest.approx(100 * count / group)), code


def test_co_occurrence(cases) -> None:
    pairs = {
        (a, b): (n, share)
        for a, b, n, share in barriers.co_occurrence(cases, Filters(), SEPT_2013, EXACT).iter_rows()
    }
    assert len(pairs) == len(BARRIER_CODES) ** 2
    assert pairs["debts", "health"] == pairs["health", "debts"] == (2, 50.0)  # A, H
    assert pairs["debts", "debts"] == (3, 75.0)
    assert pairs["language", "mobility"] == (1, 25.0)  # only A has all
    shown = {
        (a, b): (n, share)
        for a, b, n, share in barriers.co_occurrence(
            cases, Filters(), SEPT_2013, PUBLISHED
        ).iter_rows()
    }
    assert shown["debts", "health"] == shown["health", "debts"] == (published(cases, "AH"), None)
    assert shown["debts", "debts"] == (published(cases, "ADH"), None)  # the group is below 10
    prevalence = by_barrier(barriers.prevalence(cases, Filters(), SEPT_2013, PUBLISHED), "elb")
    assert {code: shown[code, code][0] for code in BARRIER_CODES} == {
        code: elb for code, (elb,) in prevalence.items()
    }
    assert all(n not in (1, 2) for n, _ in shown.values())


def test_integration_rate_by_number_of_barriers_and_duration(cases) -> None:
    matrix = barriers.rate_matrix(cases, Filters(), SEPT_2013, EXACT)
    rates = {
        (count, duration): (elb, rate) for count, duration, elb, _, rate, _ in matrix.iter_rows()
    }
    # everybody four years and longer in the whole window; H (2 barriers) integrated
    assert rates == {
        ("0", "4plus"): (1, 0.0),
        ("1", "4plus"): (1, 0.0),
        ("2", "4plus"): (1, 100.0),
        ("4plus", "4plus"): (1, 0.0),
    }


def test_group_against_everybody_else(cases) -> None:
    sides = barriers.group_comparison(cases, BOTH_ALL, SEPT_2013, EXACT)
    table = {
        side: (elb, rate)
        for side, elb, rate in sides.select("side", "elb", "integration_rate").iter_rows()
    }
    assert table == {"group": (2, 50.0), "others": (2, 0.0)}  # A, H (H integrated); D, N
    with pytest.raises(ValueError, match="barrier filter"):
        barriers.group_comparison(cases, Filters(), SEPT_2013, EXACT)


def test_group_against_everybody_else_publishes_each_side_by_its_own_persons(cases) -> None:
    sides = barriers.group_comparison(cases, BOTH_ALL, SEPT_2013, PUBLISHED)
    # 2 and 2: each side is published with the keys of its own persons (never as 1 or 2), so
    # the total minus one side does not give the other side away
    assert sides["elb"].to_list() == [published(cases, "AH"), published(cases, "DN")]
    assert sides["lzb"].to_list() == sides["elb"].to_list()
    assert all(n not in (1, 2) for n in sides.select(*COUNTS).row(0) + sides.select(*COUNTS).row(1))
    assert sides["integration_rate"].to_list() == [None, None]  # mean stocks below 10


def test_referrals_to_matching_services_and_their_outcome(cases) -> None:
    outcomes = barriers.referral_outcomes(cases, Filters(), SEPT_2013, EXACT)
    row = outcomes.filter(pl.col("barrier") == "debts").row(0, named=True)
    assert row == {
        "barrier": "debts",
        "referrals_12m": 1,  # A in 02/2013 (N has no debts)
        "clients_12m": 1,
        "referrals_outcome_known": 2,  # D 06/2012, H 08/2012
        "integrated_12m": 1,  # H in 06/2013
        "outcome_rate": 50.0,
    }
    chosen = barriers.referral_outcomes(cases, BOTH_ALL, SEPT_2013, EXACT)
    assert chosen["barrier"].to_list() == ["health", "debts"]  # catalogue order
    assert chosen.filter(pl.col("barrier") == "debts")["referrals_outcome_known"].item() == 1
    shown = barriers.referral_outcomes(cases, Filters(), SEPT_2013, PUBLISHED)
    counts = ["referrals_12m", "clients_12m", "referrals_outcome_known", "integrated_12m"]
    pairs = zip(outcomes.iter_rows(named=True), shown.iter_rows(named=True), strict=True)
    for exact_row, row in pairs:
        assert row["barrier"] == exact_row["barrier"]
        for column in counts:
            assert row[column] not in (1, 2), (row["barrier"], column)
            assert abs(row[column] - exact_row[column]) <= 2, (row["barrier"], column)
            if exact_row[column] == 0:
                assert row[column] == 0, (row["barrier"], column)  # 0 stays 0
        assert row["outcome_rate"] is None  # at most 2 referrals with a known outcome
