"""Exports of a filtered breakdown: "*" exactly where the data layer (and so the page) hides."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import polars as pl
import pytest

from data_access import figures
from data_access.cases import read_cases
from data_access.indicators import Filters
from teilhabe.demo import AS_OF
from teilhabe.exports import Column, to_csv, to_xlsx

THRESHOLD = 3
FILTERS = Filters(sexes=("f",), barriers=("addiction",))  # small: many cells hidden
COLUMNS = [
    Column("municipality", "Gemeinde"),
    Column("elb", "ELB", "count"),
    Column("lzb", "LZB", "count"),
    Column("lzb_4y_plus", "LZB ≥ 4 Jahre", "count"),
    Column("integrations_12m", "Integrationen", "count"),
    Column("integration_rate", "K2", "rate"),
    Column("integration_rate_lzb", "K3E1", "rate"),
]
HEADER = ["Teilhabe-Monitor – Nach Gemeinden", "Stichtag 30.09.2013", "Auswahl: ..."]


@pytest.fixture(scope="module")
def breakdown(demo_engine) -> pl.DataFrame:
    frame = figures.breakdown_series(
        cases=read_cases(engine=demo_engine),
        by="municipality",
        months=[AS_OF],
        threshold=THRESHOLD,
        filters=FILTERS,
    )
    return frame.sort("municipality")


def hidden(frame: pl.DataFrame) -> list[list[bool]]:
    """Per row and figure column, whether the data layer hides the value."""
    names = [c.name for c in COLUMNS[1:]]
    return [[value is None for value in row] for row in frame.select(names).iter_rows()]


def test_the_breakdown_has_hidden_and_shown_values(breakdown) -> None:
    marks = [mark for row in hidden(breakdown) for mark in row]
    assert any(marks) and not all(marks)


def test_csv_has_stars_exactly_where_values_are_hidden(breakdown) -> None:
    text = to_csv(breakdown, COLUMNS, HEADER).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    table = rows[len(HEADER) + 2 :]
    assert [row[0] for row in table] == breakdown["municipality"].to_list()
    stars = [[cell == "*" for cell in row[1:]] for row in table]
    assert stars == hidden(breakdown)
    for row in table:  # shown counts are never small
        for cell in row[1:5]:
            assert cell == "*" or int(cell) == 0 or int(cell) >= THRESHOLD


def test_excel_has_stars_exactly_where_values_are_hidden(breakdown) -> None:
    data = to_xlsx(breakdown, COLUMNS, HEADER, sheet="Gemeinden")
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        strings = re.findall(r"<t[^>]*>([^<]*)</t>", book.read("xl/sharedStrings.xml").decode())
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    cells = {}
    for attributes, body in re.findall(r"<c ([^>]*)>(.*?)</c>", sheet):
        ref = re.search(r'r="([A-Z]+\d+)"', attributes).group(1)
        value = re.search(r"<v>([^<]*)</v>", body).group(1)
        cells[ref] = strings[int(value)] if 't="s"' in attributes else value
    first = len(HEADER) + 3  # header lines, an empty line, the table header (1-based rows)
    letters = "ABCDEFG"
    stars = [
        [cells.get(f"{letters[column]}{first + row}") == "*" for column in range(1, len(COLUMNS))]
        for row in range(breakdown.height)
    ]
    assert stars == hidden(breakdown)
    names = [cells[f"A{first + row}"] for row in range(breakdown.height)]
    assert names == breakdown["municipality"].to_list()
    for row, values in enumerate(breakdown.select("elb", "lzb").iter_rows()):
        for letter, value in zip("BC", values, strict=True):
            shown = cells[f"{letter}{first + row}"]
            assert shown == ("*" if value is None else str(value))
