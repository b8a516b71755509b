"""Table exports: what the page shows, "–" where it shows "–", with a header naming the view."""

import csv
import io
import re
import zipfile

import polars as pl

from teilhabe.reporting.exports import Column, to_csv, to_xlsx
from teilhabe.reporting.formatting import NOT_SHOWN

FRAME = pl.DataFrame(
    {
        "label": ["Schulden", "Sucht"],
        "elb": [929, None],
        "share": [21.96, None],
    },
    schema={"label": pl.String, "elb": pl.Int64, "share": pl.Float64},
)
COLUMNS = [
    Column("label", "Hemmnis"),
    Column("elb", "ELB", "count"),
    Column("share", "Anteil", "rate"),
]
HEADER = ["Teilhabe-Monitor – Test", "Stichtag 30.09.2013", "Auswahl: Hemmnisse: Schulden"]


def test_csv_as_german_excel_reads_it() -> None:
    data = to_csv(FRAME, COLUMNS, HEADER)
    assert data.startswith("\ufeff".encode())  # BOM: Excel detects UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[:3] == [[line] for line in HEADER]
    assert rows[3] == []
    assert rows[4:] == [
        ["Hemmnis", "ELB", "Anteil"],
        ["Schulden", "929", "22,0"],
        ["Sucht", NOT_SHOWN, NOT_SHOWN],
    ]


def test_excel_has_numbers_as_numbers_and_not_shown_as_text() -> None:
    data = to_xlsx(FRAME, COLUMNS, HEADER, sheet="Verbreitung")
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    texts = re.findall(r"<t[^>]*>([^<]*)</t>", strings)
    assert {"Stichtag 30.09.2013", "Hemmnis", "Schulden", "Sucht", NOT_SHOWN} <= set(texts)
    numbers = re.findall(r"<c r=\"([A-Z]+\d+)\"[^>]*><v>([^<]*)</v>", sheet)
    values = {cell: value for cell, value in numbers}
    # table header on row 5 (3 header lines, one empty), data from row 6; numbers unformatted
    assert values["B6"] == "929" and values["C6"] == "22"
    not_shown = str(texts.index(NOT_SHOWN))
    assert re.search(rf'<c r="B7"[^>]*t="s"[^>]*><v>{not_shown}</v>', sheet)
    assert re.search(rf'<c r="C7"[^>]*t="s"[^>]*><v>{not_shown}</v>', sheet)
    assert "*" not in texts
