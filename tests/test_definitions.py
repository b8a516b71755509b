"""The registry's code lists: one order, one month name, and the co-occurrence matrix in it;
the rates' codes and the typed headline figures; German signs of numbers and changes."""

from dataclasses import FrozenInstanceError, fields

import polars as pl
import pytest

from teilhabe.barriers import co_occurrence_matrix
from teilhabe.definitions import (
    AGE_GROUP_CODES,
    BARRIER_CODES,
    DURATION_BANDS,
    K1_RATES,
    K2_RATES,
    K3_RATES,
    KENNZAHLEN,
    LOWER_IS_BETTER,
    RATES,
    format_month,
    in_group_order,
)
from teilhabe.figures import COUNT_COLUMNS, HeadlineFigures, kennzahlen_table
from teilhabe.figures import RATES as FIGURE_RATES
from teilhabe.reporting.formatting import (
    format_change,
    format_count,
    format_decimal,
    format_percent,
)
from teilhabe.reporting.glossary import GLOSSARY, SHORT_LABELS
from ui.components import delta_style


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


def test_every_rate_has_a_code_a_glossary_entry_and_a_field_of_the_headline() -> None:
    assert list(KENNZAHLEN) == sorted(RATES, key=lambda key: KENNZAHLEN[key][0])
    assert set(K1_RATES + K2_RATES + K3_RATES) == set(RATES) and set(RATES) >= LOWER_IS_BETTER
    assert all(key in GLOSSARY and key in SHORT_LABELS for key in RATES)
    names = [field.name for field in fields(HeadlineFigures)]
    assert names == [*COUNT_COLUMNS, *RATES, "providers", "municipalities", "network_events"]


def test_headline_figures_are_typed_and_read_by_key() -> None:
    values = dict.fromkeys((*COUNT_COLUMNS, "providers", "municipalities"), 3)
    figures = HeadlineFigures(**values, **dict.fromkeys(RATES, 12.5), network_events=pl.DataFrame())
    assert figures.value("elb_entry_rate") == 12.5 and figures.value("elb") == 3
    assert list(figures.to_dict())[-3:] == ["providers", "municipalities", "network_events"]
    with pytest.raises(KeyError):
        figures.value("providers")  # not a figure of the registry
    with pytest.raises(FrozenInstanceError):
        figures.elb = 4  # type: ignore[misc]


def test_negative_numbers_have_the_minus_sign_and_zero_none() -> None:
    assert format_count(-1234) == "\u22121.234"
    assert format_decimal(-3.64) == "\u22123,6"
    assert format_decimal(-0.04) == "0,0"  # rounds to zero: no sign
    assert format_percent(-37.5) == "\u221237,5\u00a0%"
    assert (format_change(1.25), format_change(-0.3), format_change(0.0)) == (
        "+1,2",
        "\u22120,3",
        "0,0",
    )
    assert format_change(0.01) == "0,0"


def test_a_change_of_zero_is_neutral_and_better_is_green() -> None:
    assert delta_style(0.0, lower_is_better=True) == ("off", "off")
    assert delta_style(0) == ("off", "off")
    assert delta_style(-0.3, lower_is_better=True) == ("green", "down")
    assert delta_style(0.3, lower_is_better=True) == ("red", "up")
    assert delta_style(-0.3) == ("red", "down")
    assert delta_style(2) == ("green", "up")


def test_the_kennzahlen_table_has_every_rate_with_its_change_in_points() -> None:
    values = dict.fromkeys((*COUNT_COLUMNS, "providers", "municipalities"), 3)
    now = HeadlineFigures(
        **values,
        **{**dict.fromkeys(RATES, 10.04), "elb_change": -2.76, "lzb_exit_rate": None},
        network_events=pl.DataFrame(),
    )
    before = HeadlineFigures(
        **values,
        **{**dict.fromkeys(RATES, 10.0), "elb_change": -7.24},
        network_events=pl.DataFrame(),
    )
    table = kennzahlen_table(now, before)
    assert table["code"].to_list()[:4] == ["K1E2", "K1E3", "K1E4", "K2"]
    assert table.row(0) == ("K1E2", KENNZAHLEN["elb_change"][1], -2.76, -7.24, 4.4)
    assert table.row(1)[-1] == 0.0  # 10.0 against 10.0 as shown
    assert table.row(-1)[2:] == (None, 10.0, None)  # K3E4 not shown: no change either
