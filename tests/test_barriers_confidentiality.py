"""Property: every table of the Hemmnisse page obeys the confidentiality rule, for random barrier
combinations (and other filters) on the demo data."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access import barriers
from data_access.cases import read_cases
from data_access.catalogue import BARRIER_CODES, SEXES
from data_access.figures import COUNT_COLUMNS, figure_series
from data_access.indicators import Filters
from teilhabe.demo import AS_OF

THRESHOLD = 3
MUNICIPALITIES = ["08135010", "08135019", "08135021", "08135027", "08135031"]

barrier_filters = st.builds(
    Filters,
    municipalities=st.lists(st.sampled_from(MUNICIPALITIES), unique=True, max_size=2).map(tuple),
    sexes=st.lists(st.sampled_from(list(SEXES)), unique=True, max_size=1).map(tuple),
    barriers=st.lists(st.sampled_from(BARRIER_CODES), unique=True, min_size=1, max_size=3).map(
        tuple
    ),
    barrier_mode=st.sampled_from(["any", "all"]),
)
PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def cases(demo_engine):
    return read_cases(engine=demo_engine)


def visible_counts_are_not_small(frame: pl.DataFrame, columns) -> None:
    for column in columns:
        visible = frame[column].drop_nulls()
        assert not visible.is_between(1, THRESHOLD - 1).any(), column


@PROPERTY
@given(filters=barrier_filters, months_back=st.integers(0, 12))
def test_prevalence_and_co_occurrence(cases, filters, months_back) -> None:
    as_of = AS_OF - months_back
    prevalence = barriers.prevalence(cases, filters, as_of, THRESHOLD)
    visible_counts_are_not_small(prevalence, ["elb", "lzb", "integrations_12m"])
    # a share or rate is only shown with its count
    assert prevalence.filter(pl.col("elb").is_null() & pl.col("elb_share").is_not_null()).is_empty()
    assert prevalence.filter(
        pl.col("integrations_12m").is_null() & pl.col("integration_rate").is_not_null()
    ).is_empty()
    pairs = barriers.co_occurrence(cases, filters, as_of, THRESHOLD)
    visible_counts_are_not_small(pairs, ["elb"])
    assert pairs.filter(pl.col("elb").is_null() & pl.col("share").is_not_null()).is_empty()


@PROPERTY
@given(filters=barrier_filters)
def test_group_and_everybody_else_cannot_be_told_from_the_total(cases, filters) -> None:
    sides = barriers.group_comparison(cases, filters, AS_OF, THRESHOLD)
    visible_counts_are_not_small(sides, COUNT_COLUMNS)
    everybody = figure_series(
        cases=cases,
        first=AS_OF,
        last=AS_OF,
        threshold=THRESHOLD,
        filters=Filters(
            municipalities=filters.municipalities,
            sexes=filters.sexes,
            age_groups=filters.age_groups,
        ),
    ).row(0, named=True)
    for column in COUNT_COLUMNS:
        hidden = sides.filter(pl.col(column).is_null()).height
        # The total is published without the barrier filter on every page, so it cannot be
        # hidden here: one hidden side would follow from the total minus the other.
        assert not (hidden == 1 and everybody[column] is not None), column


@PROPERTY
@given(filters=barrier_filters)
def test_matrix_and_referrals(cases, filters) -> None:
    matrix = barriers.rate_matrix(cases, filters, AS_OF, THRESHOLD)
    visible_counts_are_not_small(matrix, ["elb", "integrations_12m"])
    assert matrix.filter(
        pl.col("integrations_12m").is_null() & pl.col("integration_rate").is_not_null()
    ).is_empty()
    referrals = barriers.referral_outcomes(cases, filters, AS_OF, THRESHOLD)
    visible_counts_are_not_small(
        referrals, ["referrals_12m", "clients_12m", "referrals_outcome_known", "integrated_12m"]
    )
    assert referrals.filter(
        pl.col("integrated_12m").is_null() & pl.col("outcome_rate").is_not_null()
    ).is_empty()
