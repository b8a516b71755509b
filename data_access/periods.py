"""Months as integers: the one place where dates become month indices.

A month index is ``year * 12 + month - 1``. A person counts as in receipt in a month when a benefit
spell covers the month's reporting day, its last day (Stichtag at the end of the month).
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

# End month of an open (ongoing) spell: far beyond any month the data can ask about.
OPEN_END_MONTH = 9999 * 12


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> dt.date:
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_month(text: str) -> int:
    """Parse ``YYYY-MM`` into a month index; raises ValueError with a readable message."""
    try:
        year_text, month_text = text.strip().split("-")
        year, month = int(year_text), int(month_text)
    except ValueError:
        raise ValueError(f"Monat {text!r} ist nicht im Format JJJJ-MM.") from None
    if not (1 <= month <= 12 and 1900 <= year <= 9998):
        raise ValueError(f"Monat {text!r} liegt außerhalb des gültigen Bereichs.")
    return year * 12 + month - 1


def month_key(index: int) -> str:
    """``YYYY-MM`` for a month index (the machine-readable form used in CLI and URLs)."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_index_expr(day: pl.Expr) -> pl.Expr:
    """The month index of a date column (vectorised ``month_index``)."""
    return day.dt.year().cast(pl.Int32) * 12 + day.dt.month().cast(pl.Int32) - 1


def covered_months(start: pl.Expr, end: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """First and last month whose reporting day (the month's last day) lies in [start, end].

    ``end`` null means open-ended (``OPEN_END_MONTH``). A period that covers no reporting day
    (it starts and ends within one month, before its last day) gets ``last < first``.
    """
    end_index = month_index_expr(end)
    first = month_index_expr(start)
    last = (
        pl.when(end.is_null())
        .then(pl.lit(OPEN_END_MONTH, dtype=pl.Int32))
        .when(end == end.dt.month_end())
        .then(end_index)
        .otherwise(end_index - 1)
    )
    return first, last


def spell_month_columns() -> list[pl.Expr]:
    """``start_month`` and ``end_month`` of benefit spells from ``start_date``/``end_date``."""
    first, last = covered_months(pl.col("start_date"), pl.col("end_date"))
    return [first.cast(pl.Int64).alias("start_month"), last.cast(pl.Int64).alias("end_month")]
