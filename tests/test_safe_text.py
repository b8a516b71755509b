"""Text from data stays text in every spreadsheet the app writes (no formula, no link)."""

from __future__ import annotations

import csv
import io
import zipfile

import polars as pl

from teilhabe.reporting.exports import Column, to_csv, to_xlsx
from teilhabe.reporting.safe_text import spreadsheet_text

HOSTILE = [
    '=HYPERLINK("https://evil.example/x","Hier klicken")',
    "+49 7321 1234",
    "-1+1",
    "@SUM(A1:A2)",
    "\tTab",
    "\rWagenrücklauf",
    "Arbeiterhilfe Ostalbrand",
]


def test_formula_starts_get_an_apostrophe_and_everything_else_stays() -> None:
    assert [spreadsheet_text(v) for v in HOSTILE] == [
        '\'=HYPERLINK("https://evil.example/x","Hier klicken")',
        "'+49 7321 1234",
        "'-1+1",
        "'@SUM(A1:A2)",
        "'\tTab",
        "'\rWagenrücklauf",
        "Arbeiterhilfe Ostalbrand",
    ]
    assert spreadsheet_text(-3) == -3 and spreadsheet_text(None) is None


def frame() -> pl.DataFrame:
    return pl.DataFrame({"name": HOSTILE, "count": list(range(3, 3 + len(HOSTILE)))})


COLUMNS = [Column("name", "Träger"), Column("count", "Personen", "count")]


def test_csv_export_writes_no_cell_that_starts_a_formula() -> None:
    data = to_csv(frame(), COLUMNS, ["Titel", "=Kopfzeile aus einer URL"]).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(data), delimiter=";") for cell in row]
    assert "'=Kopfzeile aus einer URL" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "3" in cells  # numbers stay numbers


def test_excel_export_has_no_formula_and_no_link() -> None:
    data = to_xlsx(frame(), COLUMNS, ["Titel"])
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(book.read(n).decode("utf-8") for n in sheets)
        names = book.namelist()
    assert "<f>" not in xml and "<f " not in xml  # no formula cell
    assert not [
        n for n in names if "hyperlink" in n.lower() or n.endswith(".rels") and "sheet" in n
    ]


def test_the_check_report_csv_keeps_hostile_values_as_text() -> None:
    from teilhabe.exchange.core import TableImportReport
    from teilhabe.exchange.report import Problem
    from ui.imports import problems_csv

    report = TableImportReport("provider", "=datei.csv", "0" * 64, "csv", dry_run=True)
    report.problems.append(Problem("=datei.csv", 2, "Name", "=2+5", "Pflichtfeld fehlt"))
    data = problems_csv(report).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(data), delimiter=";") for cell in row]
    assert "'=2+5" in cells and "'=datei.csv" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
