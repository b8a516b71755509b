"""Tables for display: German headers, numbers as ``2.380``, dates as ``24.09.2013``, "–"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from teilhabe.reporting.exports import Column
from teilhabe.reporting.formatting import (
    NOT_SHOWN,
    format_count,
    format_date,
    format_decimal,
    format_percent,
)


def german(frame: pl.DataFrame, headers: dict[str, str]) -> pl.DataFrame:
    """The columns named in ``headers``, renamed and formatted as text for display.

    Integer columns are counts (a null is a value not shown, "–"); dates are German.
    """
    columns = {}
    for name, header in headers.items():
        values = frame[name].to_list()
        dtype = frame.schema[name]
        if dtype.is_integer():
            columns[header] = [format_count(v) for v in values]
        elif dtype == pl.Date:
            columns[header] = [format_date(v) if isinstance(v, dt.date) else "" for v in values]
        else:
            columns[header] = values
    return pl.DataFrame(columns)


def german_rates(frame: pl.DataFrame, headers: dict[str, str]) -> pl.DataFrame:
    """Like ``german``, but float columns are rates: ``24,3 %``, or signed points for changes."""
    columns = {}
    for name, header in headers.items():
        values = frame[name].to_list()
        dtype = frame.schema[name]
        if dtype.is_float() and name == "change":
            columns[header] = [
                NOT_SHOWN if v is None else f"{'+' if v > 0 else ''}{format_decimal(v, 1)}"
                for v in values
            ]
        elif dtype.is_float():
            columns[header] = [format_percent(v) for v in values]
        elif dtype.is_integer():
            columns[header] = [format_count(v) for v in values]
        else:
            columns[header] = values
    return pl.DataFrame(columns)


def shown(frame: pl.DataFrame, columns: Sequence[Column]) -> pl.DataFrame:
    """The columns of an export spec as the page shows them: German headers, ``2.380``,
    ``24,3 %``, ``3,8``, dates ``24.09.2013``, "–" for a value not shown."""
    formats = {
        "count": format_count,
        "rate": format_percent,
        "decimal": lambda value: format_decimal(value, 1),
    }
    table = {}
    for column in columns:
        values = frame[column.name].to_list()
        if column.kind == "text":
            table[column.header] = [
                format_date(v) if isinstance(v, dt.date) else "" if v is None else str(v)
                for v in values
            ]
        else:
            table[column.header] = [formats[column.kind](v) for v in values]
    return pl.DataFrame(table, schema=dict.fromkeys(table, pl.String))
