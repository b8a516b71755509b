"""The column guide and the empty templates (CSV, Excel) of every importable table."""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl

from teilhabe.exchange.checking import _example_text
from teilhabe.exchange.specs import BARRIER_LABELS, CATEGORY_LABELS
from teilhabe.exchange.tables import table_spec

# --- Templates -------------------------------------------------------------------------------


KIND_LABELS = {
    "text": "Text",
    "email": "E-Mail-Adresse",
    "url": "Webadresse (http:// oder https://)",
    "integer": "ganze Zahl",
    "number": "Zahl (Dezimalkomma oder -punkt)",
    "date": "Datum (TT.MM.JJJJ oder JJJJ-MM-TT)",
    "boolean": "ja/nein",
    "code": "Wert aus einer Liste",
    "list": "Liste",
}


def column_guide(table: str) -> pl.DataFrame:
    """One row per column of a table: header, required, content, allowed values, also read as."""
    spec = table_spec(table)
    rows = []
    for column in spec.columns:
        codes = column.codes
        if codes is None and column.catalogue == "barrier":
            codes = BARRIER_LABELS
        elif codes is None and column.catalogue == "service_category":
            codes = CATEGORY_LABELS
        kind = KIND_LABELS[column.kind]
        if column.digits and column.kind != "list":
            kind = f"{column.digits} Ziffern"
        content = "; ".join(
            part
            for part in (
                kind,
                "Teil des Schlüssels" if column.name in spec.key else "",
                column.note,
            )
            if part
        )
        rows.append(
            {
                "Spalte": column.header,
                "Pflicht": "ja" if column.required else "nein",
                "Inhalt": content,
                "Erlaubte Werte": ", ".join(f"{label} ({code})" for code, label in codes.items())
                if codes
                else "",
                "Auch erkannt als": ", ".join(a for a in column.aliases if a != column.header),
            }
        )
    return pl.DataFrame(rows)


def template_csv(table: str) -> bytes:
    """The table's CSV template: German headers and one example row, as German Excel saves it
    (semicolon, UTF-8 with BOM, CRLF); importable as it is once its references exist."""
    spec = table_spec(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in spec.columns])
    writer.writerow([_example_text(c.example) for c in spec.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(table: str) -> bytes:
    """The table's Excel template: sheet 1 with headers and an example row (dates as dates,
    keys as text), sheet 2 "Erläuterungen" with what each column holds."""
    import xlsxwriter

    spec = table_spec(table)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    date = workbook.add_format({"num_format": "dd.mm.yyyy"})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(spec.label[:31])
    for position, column in enumerate(spec.columns):
        sheet.write_string(0, position, column.header, bold)
        sheet.set_column(position, position, max(14, len(column.header) + 4))
        value = column.example
        if value is None:
            continue
        if isinstance(value, bool) or column.kind in ("boolean",):
            sheet.write_string(1, position, _example_text(value))
        elif isinstance(value, dt.date):
            sheet.write_datetime(1, position, dt.datetime.combine(value, dt.time()), date)
        elif isinstance(value, int | float):
            sheet.write_number(1, position, value)
        else:
            sheet.write_string(1, position, _example_text(value), text)
    sheet.freeze_panes(1, 0)
    guide = column_guide(spec.name)
    notes = workbook.add_worksheet("Erläuterungen")
    notes.write_string(0, 0, f"Vorlage für {spec.label}: {spec.description}")
    notes.write_string(
        1,
        0,
        "Zeile 1 des ersten Blatts sind die Spaltenüberschriften; die Beispielzeile ersetzen. "
        "Schlüssel: " + spec.key_label + ".",
    )
    for position, header in enumerate(guide.columns):
        notes.write_string(3, position, header, bold)
        notes.set_column(position, position, 28 if position != 2 else 60)
    for line, row in enumerate(guide.iter_rows(), start=4):
        for position, value in enumerate(row):
            notes.write_string(line, position, str(value))
    workbook.close()
    return buffer.getvalue()


def template_name(table: str, suffix: str) -> str:
    return f"vorlage-{table_spec(table).name.replace('_', '-')}.{suffix}"
