"""Property: whatever the filters and breakdown, no shown count is small or derivable."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.cases import read_cases
from data_access.catalogue import BARRIER_CODES, SEXES
from data_access.figures import (
    COUNT_COLUMNS,
    breakdown_series,
    figure_series,
    group_totals_hidden,
)
from data_access.indicators import AGE_GROUPS, DIMENSIONS, Filters, figures_series
from teilhabe.demo import AS_OF

THRESHOLD = 3
MUNICIPALITIES = ["08135010", "08135019", "08135021", "08135027", "08135031"]


@pytest.fixture(scope="module")
def cases(demo_engine):
    return read_cases(engine=demo_engine)


filters_strategy = st.builds(
    Filters,
    municipalities=st.lists(st.sampled_from(MUNICIPALITIES), unique=True, max_size=2).map(tuple),
    sexes=st.lists(st.sampled_from(list(SEXES)), unique=True, max_size=1).map(tuple),
    age_groups=st.lists(st.sampled_from(list(AGE_GROUPS)), unique=True, max_size=2).map(tuple),
    barriers=st.lists(st.sampled_from(BARRIER_CODES), unique=True, max_size=3).map(tuple),
    barrier_mode=st.sampled_from(["any", "all"]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(filters=filters_strategy, by=st.sampled_from(DIMENSIONS), months_back=st.integers(0, 24))
def test_breakdowns_show_no_small_or_derivable_count(cases, filters, by, months_back) -> None:
    as_of = AS_OF - months_back
    shown = breakdown_series(
        cases=cases, by=by, months=[as_of], threshold=THRESHOLD, filters=filters
    )
    exact = figures_series(cases, filters, as_of, as_of, by=by)
    total = figure_series(
        cases=cases, first=as_of, last=as_of, threshold=THRESHOLD, filters=filters
    )
    totals_hidden = group_totals_hidden(exact, by=by, threshold=THRESHOLD).get(as_of, set())
    for column in COUNT_COLUMNS:
        visible = shown[column].drop_nulls()
        assert not visible.is_between(1, THRESHOLD - 1).any(), column
        hidden = exact.join(shown.select(by, pl.col(column).alias("shown")), on=by).filter(
            pl.col("shown").is_null()
        )[column]
        if hidden.len() and total[column][0] is not None and column not in totals_hidden:
            # total minus the visible groups gives the hidden groups' sum: it must not pin one
            assert hidden.len() >= 2, column
            assert hidden.sum() >= THRESHOLD, column


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(filters=filters_strategy, months_back=st.integers(0, 24))
def test_headline_rows_hide_small_parts_and_their_rates(cases, filters, months_back) -> None:
    as_of = AS_OF - months_back
    row = figure_series(
        cases=cases, first=as_of, last=as_of, threshold=THRESHOLD, filters=filters
    ).row(0, named=True)
    for column in COUNT_COLUMNS:
        assert row[column] is None or not 1 <= row[column] < THRESHOLD, column
    parts = ("lzb_under_2y", "lzb_2_4y", "lzb_4y_plus")
    hidden = [p for p in parts if row[p] is None]
    if row["lzb"] is not None:
        assert len(hidden) != 1  # one hidden part would follow from the whole minus the others
    if row["integrations_12m"] is None:
        assert row["integration_rate"] is None
