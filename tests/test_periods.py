"""Month indices and the months a spell covers (reporting day = last day of the month)."""

import datetime as dt

import polars as pl
import pytest

from data_access.periods import (
    OPEN_END_MONTH,
    month_end,
    month_index,
    month_key,
    parse_month,
    spell_month_columns,
)

SEPT_2013 = 2013 * 12 + 8


def months_of(start: dt.date, end: dt.date | None) -> tuple[int, int]:
    frame = pl.DataFrame(
        {"start_date": [start], "end_date": [end]},
        schema={"start_date": pl.Date, "end_date": pl.Date},
    )
    row = frame.select(spell_month_columns()).row(0)
    return row[0], row[1]


def test_month_index_round_trip() -> None:
    assert month_index(dt.date(2013, 9, 24)) == SEPT_2013
    assert month_key(SEPT_2013) == "2013-09"
    assert parse_month("2013-09") == SEPT_2013
    assert month_end(SEPT_2013) == dt.date(2013, 9, 30)
    assert month_end(2012 * 12 + 1) == dt.date(2012, 2, 29)


@pytest.mark.parametrize("text", ["2013-13", "13-2013", "2013", "", "2013-0x", "1800-01"])
def test_parse_month_rejects_malformed_input(text: str) -> None:
    with pytest.raises(ValueError, match="Monat"):
        parse_month(text)


def test_spell_ending_on_the_last_day_covers_that_month() -> None:
    assert months_of(dt.date(2013, 1, 15), dt.date(2013, 9, 30)) == (2013 * 12, SEPT_2013)


def test_spell_ending_before_the_last_day_does_not_cover_that_month() -> None:
    assert months_of(dt.date(2013, 1, 15), dt.date(2013, 9, 29)) == (2013 * 12, SEPT_2013 - 1)


def test_open_spell_runs_on() -> None:
    assert months_of(dt.date(2005, 1, 1), None) == (2005 * 12, OPEN_END_MONTH)


def test_spell_within_one_month_covers_no_reporting_day() -> None:
    start, end = months_of(dt.date(2013, 9, 2), dt.date(2013, 9, 20))
    assert end < start
