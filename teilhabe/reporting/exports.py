"""Tables as files for officials: CSV (as German Excel reads it) and Excel, with a header.

Input is a table that has already passed the protection layer (``teilhabe.protection``): a
null in a figure column is a value not shown (a rate of too small a group) and is written as "–".
Above the table a few lines say what it is: title, Stichtag, the active filters and the note on
how the numbers are protected.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import xlsxwriter

from teilhabe.reporting.formatting import NOT_SHOWN, format_date
from teilhabe.reporting.safe_text import spreadsheet_text


@dataclass(frozen=True)
class Column:
    """One column of an export: source column, German header, and how to write its values."""

    name: str
    header: str
    kind: str = "text"  # text, count, rate (percent, one decimal), decimal (one decimal)


def _cell(value: Any, kind: str) -> object:
    """The value as written: "–" for a null figure, numbers rounded as shown in the app."""
    if kind == "text":
        if isinstance(value, dt.date):
            return format_date(value)
        return "" if value is None else value
    if value is None:
        return NOT_SHOWN
    if kind == "count":
        return int(value)
    return round(float(value), 1)


def rows(frame: pl.DataFrame, columns: Sequence[Column]) -> list[list[object]]:
    return [
        [_cell(value, column.kind) for value, column in zip(row, columns, strict=True)]
        for row in frame.select([c.name for c in columns]).iter_rows()
    ]


def to_csv(frame: pl.DataFrame, columns: Sequence[Column], header: Sequence[str]) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with BOM: opens correctly in a German Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in header:
        writer.writerow([spreadsheet_text(line)])
    writer.writerow([])
    writer.writerow([spreadsheet_text(c.header) for c in columns])
    for row in rows(frame, columns):
        writer.writerow(
            [str(v).replace(".", ",") if isinstance(v, float) else spreadsheet_text(v) for v in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    frame: pl.DataFrame, columns: Sequence[Column], header: Sequence[str], sheet: str = "Tabelle"
) -> bytes:
    """One worksheet: the header lines, then the table with numbers as numbers and "–" as text."""
    buffer = io.BytesIO()
    # text from data stays text: no formulas, no links made from strings
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    worksheet = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    formats = {
        "count": book.add_format({"num_format": "#,##0"}),
        "rate": book.add_format({"num_format": "0.0"}),
        "decimal": book.add_format({"num_format": "0.0"}),
        "not_shown": book.add_format({"align": "right"}),
    }
    for line_number, line in enumerate(header):
        worksheet.write_string(line_number, 0, line, bold if line_number == 0 else None)
    top = len(header) + 1
    for column_number, column in enumerate(columns):
        worksheet.write_string(top, column_number, column.header, bold)
        worksheet.set_column(column_number, column_number, max(12, len(column.header) + 2))
    for row_number, row in enumerate(rows(frame, columns), start=top + 1):
        for column_number, (value, column) in enumerate(zip(row, columns, strict=True)):
            if isinstance(value, int | float) and not isinstance(value, bool):
                worksheet.write_number(row_number, column_number, value, formats[column.kind])
            elif value == NOT_SHOWN and column.kind != "text":
                worksheet.write_string(row_number, column_number, value, formats["not_shown"])
            elif isinstance(value, str):
                worksheet.write_string(row_number, column_number, value)
            else:
                worksheet.write(row_number, column_number, value)
    book.close()
    return buffer.getvalue()
