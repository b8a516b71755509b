"""The figures on a grid of arrays (teilhabe.windows) equal the polars expressions to the last
digit: on hand-made monthly tables, with and without groups, exact and published, with the
early months whose windows are incomplete (null), and on one-row and two-row tables (polars
divides a column of more than one row by 12 through its reciprocal)."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from teilhabe import cube, indicators
from teilhabe.indicators import BASE_MEASURES, figures_from_base
from teilhabe.protection import Protection

PROTECTIONS = [Protection(), Protection(exact=True), Protection(min_rate_base=5)]


def base_table(seed: int, groups: list[str] | None, months: int, first: int = 24_000):
    """A monthly table like ``monthly_base``: random counts and key sums (keys may be negative
    sums, as in a difference of two tables), every group with every month."""
    rng = np.random.default_rng(seed)
    labels = groups or [None]
    rows = len(labels) * months
    columns: dict[str, object] = {}
    if groups:
        columns["sex"] = [g for g in labels for _ in range(months)]
    columns["month"] = pl.Series([first + m for _ in labels for m in range(months)], dtype=pl.Int32)
    for measure in BASE_MEASURES:
        if measure.endswith("__key"):
            values = rng.integers(-(2**33), 2**33, rows)
        else:
            values = rng.integers(0, 40, rows)
        columns[measure] = pl.Series(values, dtype=pl.Int64)
    return pl.DataFrame(columns)


def reference(base: pl.DataFrame, protection: Protection, by, first) -> pl.DataFrame:
    keys = [] if by is None else [by]
    return indicators._figures_from_frame(base.sort(*keys, "month"), protection, keys, first)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    grouped=st.booleans(),
    months=st.integers(1, 40),
    first_offset=st.one_of(st.none(), st.integers(0, 39)),
    protection=st.sampled_from(PROTECTIONS),
)
def test_the_grid_equals_the_polars_expressions(
    seed, grouped, months, first_offset, protection
) -> None:
    groups = ["m", "f", "d"] if grouped else None
    base = base_table(seed, groups, months)
    by = "sex" if grouped else None
    first = None if first_offset is None else 24_000 + first_offset
    got = figures_from_base(base, protection, by, first=first)
    assert_frame_equal(got, reference(base, protection, by, first), check_exact=True)


@pytest.mark.parametrize("months", [1, 2, 13, 25])
@pytest.mark.parametrize("protection", PROTECTIONS)
def test_short_tables_and_the_division_by_twelve(months, protection) -> None:
    base = base_table(7, None, months)
    for first in (None, 24_000 + months - 1):
        got = figures_from_base(base, protection, first=first)
        assert_frame_equal(got, reference(base, protection, None, first), check_exact=True)


def test_uneven_groups_take_the_polars_way() -> None:
    base = base_table(3, ["f", "m"], 30).filter(
        ~((pl.col("sex") == "m") & (pl.col("month") < 24_003))
    )
    got = figures_from_base(base, Protection(), "sex", first=24_025)
    assert_frame_equal(got, reference(base, Protection(), "sex", 24_025), check_exact=True)


def test_a_hand_made_rate() -> None:
    """K2 of a constant table: 12 integrations a month over 12 months against a mean ELB of
    100 (exact): 144 %."""
    base = base_table(1, None, 25).with_columns(
        elb=pl.lit(100, pl.Int64), integrations=pl.lit(12, pl.Int64)
    )
    got = figures_from_base(base, Protection(exact=True), first=24_024)
    assert got.select("month", "elb", "integrations_12m", "integration_rate").rows() == [
        (24_024, 100, 144, 144.0)
    ]


def test_the_numpy_sums_equal_the_polars_sums() -> None:
    """Rows of a rollup summed into the grid in numpy (several rows a cell, key sums that wrap
    modulo 2^32, an Enum whose order is not the text's) as polars sums them."""
    rng = np.random.default_rng(5)
    ages = pl.Enum(["u25", "25_34", "55plus"])
    rows = 400

    def frame(measures):
        return pl.DataFrame(
            {
                "age_group": pl.Series(rng.choice(["u25", "55plus", "25_34"], rows), dtype=ages),
                "month": pl.Series(rng.integers(100, 106, rows), dtype=pl.Int32),
                **{
                    m: pl.Series(
                        rng.integers(2**31, 2**32, rows)
                        if m.endswith("__key")
                        else rng.integers(0, 9, rows),
                        dtype=pl.UInt32,
                    )
                    for m in measures
                },
            }
        )

    stocks = (*cube.STOCKS, *cube.STOCK_KEYS)
    flows = (*cube.FLOWS, *cube.FLOW_KEYS)
    parts = [(frame(stocks), stocks), (frame(flows).filter(pl.col("month") < 104), flows)]
    got = indicators._numpy_grid(parts, ["age_group"], 100, 106)
    want = indicators._polars_grid(parts, ["age_group"], ["age_group"], 100, 106)
    assert got is not None
    assert_frame_equal(got.frame(), want.frame(), check_exact=True)
    assert got.groups["age_group"].to_list() == ["25_34", "55plus", "u25"]  # as text
    assert (got.values[..., list(BASE_MEASURES).index("elb__key")] < 2**32).all()
    total = indicators._numpy_grid([(f.drop("age_group"), m) for f, m in parts], [], 100, 106)
    assert total is not None
    assert total.values[0, :, 0].tolist() == [
        parts[0][0].filter(pl.col("month") == m)["elb"].sum() for m in range(100, 107)
    ]
