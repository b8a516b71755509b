"""The registry's code lists: one order, one month name, and the co-occurrence matrix in it."""

import polars as pl

from teilhabe.barriers import co_occurrence_matrix
from teilhabe.definitions import (
    AGE_GROUP_CODES,
    BARRIER_CODES,
    DURATION_BANDS,
    RATES,
    format_month,
    in_group_order,
)
from teilhabe.figures import RATES as FIGURE_RATES


def test_groups_are_sorted_in_the_registrys_order_not_alphabetically() -> None:
    frame = pl.DataFrame({"duration": ["u2", "4plus", "2_4"], "elb": [5, 7, 9]})
    ordered = in_group_order(frame, "duration")
    assert ordered["duration"].to_list() == ["u2", "2_4", "4plus"] == list(DURATION_BANDS)
    assert ordered["elb"].to_list() == [5, 9, 7]
    counts = pl.DataFrame({"barrier_count": ["4plus", "0", "2", "1", "3"]})
    assert in_group_order(counts, "barrier_count")["barrier_count"].to_list() == [
        "0", "1", "2", "3", "4plus",
    ]  # fmt: skip
    ages = pl.DataFrame({"age_group": ["55plus", "u25", "35_44", "25_34", "45_54"]})
    assert tuple(in_group_order(ages, "age_group")["age_group"]) == AGE_GROUP_CODES


def test_one_month_name_and_one_list_of_rates() -> None:
    assert format_month(2013 * 12 + 8) == "September 2013"
    assert format_month(2014 * 12) == "Januar 2014"
    assert FIGURE_RATES is RATES
    assert list(RATES)[:2] == ["integration_rate", "continuity_rate"]


def test_the_co_occurrence_matrix_is_square_in_catalogue_order() -> None:
    pairs = pl.DataFrame(
        {
            "barrier_a": ["debts", "debts", "health", "health"],
            "barrier_b": ["debts", "health", "debts", "health"],
            "share": [40.0, 10.0, 10.0, 25.0],
        }
    )
    matrix = co_occurrence_matrix(pairs, "share")
    assert len(matrix) == len(BARRIER_CODES) and all(len(r) == len(BARRIER_CODES) for r in matrix)
    debts, health = BARRIER_CODES.index("debts"), BARRIER_CODES.index("health")
    assert matrix[debts][debts] == 40.0
    assert matrix[debts][health] == matrix[health][debts] == 10.0
    assert matrix[health][health] == 25.0
    assert matrix[0][0] is None  # a pair without a value
