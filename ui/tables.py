"""Tables for display: German headers, numbers as ``2.380``, dates as ``24.09.2013``, "*"."""

from __future__ import annotations

import datetime as dt

import polars as pl

from teilhabe.formatting import format_count, format_date, format_decimal, format_percent


def german(frame: pl.DataFrame, headers: dict[str, str]) -> pl.DataFrame:
    """The columns named in ``headers``, renamed and formatted as text for display.

    Integer columns are counts (a null is a suppressed count, shown as "*"); dates are German.
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


def german_rates(
    frame: pl.DataFrame, headers: dict[str, str], decimals: set[str] = frozenset()
) -> pl.DataFrame:
    """Like ``german``, but float columns are rates: ``24,3 %``, or signed points for changes;
    float columns named in ``decimals`` are plain numbers with one decimal (``3,8``)."""
    columns = {}
    for name, header in headers.items():
        values = frame[name].to_list()
        dtype = frame.schema[name]
        if dtype.is_float() and name in decimals:
            columns[header] = [format_decimal(v, 1) for v in values]
        elif dtype.is_float() and name == "change":
            columns[header] = [
                "*" if v is None else f"{'+' if v > 0 else ''}{format_decimal(v, 1)}"
                for v in values
            ]
        elif dtype.is_float():
            columns[header] = [format_percent(v) for v in values]
        elif dtype.is_integer():
            columns[header] = [format_count(v) for v in values]
        else:
            columns[header] = values
    return pl.DataFrame(columns)
